#include "store/sqlite/migrations.h"

#include <sqlite3.h>

#include <string>
#include <string_view>

#include "log/leaf.h"

namespace undersigned::store {
namespace {

// Version 1: the initial schema.
//
// Times are Unix seconds (INTEGER). Token hashes are stored as BLOBs (the bytes of the hex
// hash the service hands over, see HashKey in rows.h), which halves the token index that every
// signature insert touches. Indexes are kept to what the queries need, since each one costs
// every insert a B-tree write:
//  - signatures(campaign_id, person_id) UNIQUE: one signature per person (= canonical email,
//    unique in people) per campaign, and the ON CONFLICT target of Sign. Keyed by person_id
//    rather than the email so that a new signer (a new, ascending person id) appends to this
//    index instead of writing a random page of it: random-key indexes dominate the bytes each
//    group commit writes.
//  - No index on campaign_id, nor on the uuids of people and signatures. A signature's id is
//    its campaign's id times 2^40 plus its number in the campaign, so a campaign's signatures
//    are a range of the table itself, newest-first listing and oldest-first export included
//    (row_ids.h, RowIds). The uuids the API shows for people and signatures are made
//    from their ids (store/public_ids.h), so a lookup by uuid is a lookup by id. Each of those
//    three indexes cost every new signer a B-tree insert on the writer (about 3 µs each).
//  - signatures_public: partial index holding only confirmed public signers, newest first.
//  - No index on modified, for people or signatures: the listings' optional bounds ("?N IS
//    NULL OR modified > ?N") keep the planner from using one (the people list and count scan
//    the table in rowid order; signature listings read their campaign's range of ids), so it
//    would cost every insert and every change for nothing. (One on people.modified cost the writer
//    about 12% of its time per new signer, measured with store_bench, and no query used it.)
//  - The outbox: a new message is a row insert and nothing else. Messages never tried yet
//    ("fresh") are found in id order from outbox_fresh.from_id, which the store moves past
//    each message it marks sent or failed; messages tried and not sent are in the partial
//    index outbox_retry. So the sender's queries and the outbox depth read only unsent
//    messages however many were sent, and a new signer's mail enters no index (an index of
//    every unsent message cost the writer about 3 µs per signature). The outbox depth counts
//    the fresh ones by reading them: cheap while mail flows, a scan of the backlog during a
//    long SMTP outage.
//  - signature_tokens: the hash of every token ever mailed for a signature, so that the links
//    in an earlier mail keep working after a re-send (a signature may have several). One token
//    per mail, not one per link: a confirmation mail carries its confirm and withdraw links
//    together, so both are the same capability, and one row of kind 'signing' (confirms and
//    withdraws) serves both. The "already signed" mail has only a withdraw link; its token is
//    of kind 'withdraw' (withdraws only), so it cannot confirm. WITHOUT ROWID: the hash is the
//    only key, so each token costs one B-tree insert, an append when hashes start with a
//    time-ordered prefix. Nothing looks tokens up by signature.
//  - campaigns.identifiers: foreign OSDI identifiers ("system:id") as a JSON array. Filtering
//    petitions by one scans the campaigns table (json_each), which stays small.
//  - Signer groups (core/group.h): campaigns.groups declares them; campaign_counts.groups keeps
//    each group's confirmed count beside the campaign's. A signature in a group proven by an
//    email domain belongs to a person keyed by "affiliation:" and a keyed hash of its work
//    address and campaign (made by the service), so the work address itself is never stored
//    and a second signing through an alias of it finds the first. A sealed name (and the
//    other personal fields) is kept only encrypted in signatures.sealed until the reveal;
//    signatures_sealed holds only those rows, so the reveal finds them without a scan.
//  - organizations: co-signing organizations (core/organization.h), few per campaign; their
//    logo (a re-encoded PNG) is stored with them and served from there.
//  - The signature log (log/leaf.h): log_leaves holds each leaf's bytes and hash by index (an
//    append), log_nodes every completed node of the tile levels 8, 16, ... (log/tiles.h), so
//    that a tile is one range read and any other node one range read of at most 128 hashes
//    hashed up (every level cost each leaf another insert, and each commit a page per level).
//    signatures.log_salt is the salt of the signer's commitment (made at the first
//    confirmation), log_index the index of their latest "confirm" leaf, for receipts.
//    log_checkpoints keeps every signed checkpoint with the counts published alongside it.
constexpr const char* kV1 = R"sql(
CREATE TABLE campaigns (
  id              INTEGER PRIMARY KEY,
  uuid            TEXT    NOT NULL UNIQUE,
  -- JSON array of foreign "system:id" strings; before the long columns, so that a scan of it
  -- does not read letters' overflow pages
  identifiers     TEXT    NOT NULL DEFAULT '[]',
  slug            TEXT    NOT NULL UNIQUE,
  title           TEXT    NOT NULL,
  demand          TEXT    NOT NULL DEFAULT '',
  letter_markdown TEXT    NOT NULL DEFAULT '',
  targets         TEXT    NOT NULL DEFAULT '[]',  -- JSON array of target objects
  goal            INTEGER NOT NULL,
  deadline        INTEGER,
  status          TEXT    NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
  language        TEXT    NOT NULL,
  threshold       INTEGER,                        -- succeeds at this many confirmed, by deadline
  organizers      TEXT    NOT NULL DEFAULT '[]',  -- JSON array of addresses told the outcome
  outcome         TEXT    NOT NULL DEFAULT 'pending'
                          CHECK (outcome IN ('pending', 'succeeded', 'failed')),
  outcome_at      INTEGER,
  groups          TEXT    NOT NULL DEFAULT '[]',  -- JSON array of signer groups (core/group.h)
  anonymity_floor INTEGER NOT NULL DEFAULT 5,
  created         INTEGER NOT NULL,
  modified        INTEGER NOT NULL
);
CREATE INDEX campaigns_created ON campaigns (created);

CREATE TABLE campaign_counts (
  campaign_id INTEGER PRIMARY KEY REFERENCES campaigns (id) ON DELETE CASCADE,
  pending     INTEGER NOT NULL DEFAULT 0 CHECK (pending >= 0),
  confirmed   INTEGER NOT NULL DEFAULT 0 CHECK (confirmed >= 0),
  withdrawn   INTEGER NOT NULL DEFAULT 0 CHECK (withdrawn >= 0),
  last_change INTEGER NOT NULL,
  changes     INTEGER NOT NULL DEFAULT 0, -- +1 per committed change: orders concurrent answers
  groups      TEXT    NOT NULL DEFAULT '{}' -- JSON {"group key": confirmed} of declared groups
);

CREATE TABLE people (
  id              INTEGER PRIMARY KEY,
  uuid            TEXT    NOT NULL,  -- made from id (store/public_ids.h): no index
  canonical_email TEXT    NOT NULL UNIQUE,
  email           TEXT    NOT NULL,
  given_name      TEXT    NOT NULL DEFAULT '',
  family_name     TEXT    NOT NULL DEFAULT '',
  postal_code     TEXT    NOT NULL DEFAULT '',
  country         TEXT    NOT NULL DEFAULT '',
  subscribed      INTEGER NOT NULL DEFAULT 0,
  created         INTEGER NOT NULL,
  modified        INTEGER NOT NULL
);

CREATE TABLE signatures (
  id                  INTEGER PRIMARY KEY,  -- campaign_id * 2^40 + its number in the campaign
  uuid                TEXT    NOT NULL,     -- made from id (store/public_ids.h): no index
  campaign_id         INTEGER NOT NULL REFERENCES campaigns (id),
  person_id           INTEGER NOT NULL REFERENCES people (id),
  name                TEXT    NOT NULL,
  email               TEXT    NOT NULL,
  canonical_email     TEXT    NOT NULL,
  postal_code         TEXT    NOT NULL DEFAULT '',
  country             TEXT    NOT NULL DEFAULT '',
  comment             TEXT    NOT NULL DEFAULT '',
  public_name         INTEGER NOT NULL DEFAULT 0,
  wants_updates       INTEGER NOT NULL DEFAULT 0,
  -- (These CHECKs compare with = rather than IN: SQLite evaluates an IN list of three or more
  -- through a temporary B-tree opened and closed on every insert and update of the row.)
  state               TEXT    NOT NULL
                              CHECK (state = 'pending' OR state = 'confirmed' OR
                                     state = 'withdrawn'),
  source              TEXT    NOT NULL,
  confirm_sends       INTEGER NOT NULL DEFAULT 0,
  created             INTEGER NOT NULL,
  modified            INTEGER NOT NULL,
  confirmed           INTEGER,
  log_salt            BLOB,
  log_index           INTEGER,
  group_key           TEXT    NOT NULL DEFAULT 'public',
  protection          TEXT    NOT NULL DEFAULT 'none'
                              CHECK (protection = 'none' OR protection = 'sealed' OR
                                     protection = 'anonymous'),
  seal_threshold      INTEGER,
  sealed              BLOB,     -- encrypted personal fields until the reveal (sealed_fields.h)
  verified            INTEGER,  -- NULL: not a verified group; 0: link not followed yet; 1: yes
  attestation         TEXT    NOT NULL DEFAULT '',
  UNIQUE (campaign_id, person_id)
);
CREATE INDEX signatures_public ON signatures (campaign_id, confirmed)
  WHERE state = 'confirmed' AND public_name = 1;
CREATE INDEX signatures_sealed ON signatures (campaign_id, group_key, seal_threshold)
  WHERE sealed IS NOT NULL;

CREATE TABLE organizations (
  id              INTEGER PRIMARY KEY,
  uuid            TEXT    NOT NULL UNIQUE,
  campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
  name            TEXT    NOT NULL,
  website         TEXT    NOT NULL,
  contact_email   TEXT    NOT NULL,
  canonical_email TEXT    NOT NULL,
  statement       TEXT    NOT NULL DEFAULT '',
  state           TEXT    NOT NULL
                          CHECK (state IN ('pending', 'confirmed', 'approved', 'rejected')),
  confirm_hash    BLOB    NOT NULL UNIQUE,
  review_hash     BLOB    UNIQUE,
  created         INTEGER NOT NULL,
  modified        INTEGER NOT NULL,
  decided         INTEGER,
  logo            BLOB,  -- last: a listing does not read its overflow pages
  UNIQUE (campaign_id, canonical_email)
);

CREATE TABLE signature_tokens (
  hash         BLOB    PRIMARY KEY,
  signature_id INTEGER NOT NULL REFERENCES signatures (id),
  kind         TEXT    NOT NULL CHECK (kind IN ('signing', 'withdraw'))
) WITHOUT ROWID;

CREATE TABLE api_tokens (
  id      INTEGER PRIMARY KEY,
  name    TEXT    NOT NULL,
  hash    BLOB    NOT NULL UNIQUE,
  created INTEGER NOT NULL,
  revoked INTEGER
);
CREATE INDEX api_tokens_name ON api_tokens (name) WHERE revoked IS NULL;

CREATE TABLE outbox (
  id           INTEGER PRIMARY KEY,
  kind         TEXT    NOT NULL,
  recipient    TEXT    NOT NULL,
  payload      TEXT    NOT NULL,
  attempts     INTEGER NOT NULL DEFAULT 0,
  next_attempt INTEGER NOT NULL,
  created      INTEGER NOT NULL,
  sent         INTEGER,
  last_error   TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX outbox_retry ON outbox (next_attempt) WHERE sent IS NULL AND attempts > 0;
CREATE TABLE outbox_fresh (
  only    INTEGER PRIMARY KEY CHECK (only = 1),
  from_id INTEGER NOT NULL  -- no message before it is fresh (unsent and never tried)
);
INSERT INTO outbox_fresh (only, from_id) VALUES (1, 0);

CREATE TABLE log_leaves (
  idx   INTEGER PRIMARY KEY,
  entry BLOB NOT NULL,
  hash  BLOB NOT NULL
);

CREATE TABLE log_nodes (
  level INTEGER NOT NULL,
  idx   INTEGER NOT NULL,
  hash  BLOB    NOT NULL,
  PRIMARY KEY (level, idx)
) WITHOUT ROWID;

CREATE TABLE log_checkpoints (
  size    INTEGER PRIMARY KEY,
  note    TEXT    NOT NULL,
  counts  TEXT    NOT NULL,  -- JSON published with it (GET /log/counts)
  created INTEGER NOT NULL
);

CREATE TABLE instance_secrets (
  name  TEXT PRIMARY KEY,
  value BLOB NOT NULL
) WITHOUT ROWID;
)sql";

// Version 2: every version of a campaign's text (log/leaf.h, TextHash). campaign_texts keeps
// the demand and letter of each version with its hash; a version is added whenever an edit
// changes either, so the text people signed stays on record and a leaf's text hash can be
// looked up. Existing campaigns get their current text as version 1, dated to their last
// change (earlier edits were not kept). The hash is computed by the SQL function
// undersigned_text_hash (registered by Migrate). Few rows: one per edit of a text, written
// only by campaign edits, never by signing.
constexpr const char* kV2 = R"sql(
CREATE TABLE campaign_texts (
  campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
  version         INTEGER NOT NULL CHECK (version >= 1),
  hash            TEXT    NOT NULL,  -- TextHash(demand, letter_markdown), hex
  created         INTEGER NOT NULL,  -- when this version became the campaign's text
  demand          TEXT    NOT NULL,
  letter_markdown TEXT    NOT NULL,
  PRIMARY KEY (campaign_id, version)
);
INSERT INTO campaign_texts (campaign_id, version, hash, created, demand, letter_markdown)
  SELECT id, 1, undersigned_text_hash(demand, letter_markdown), modified, demand,
         letter_markdown
  FROM campaigns;
)sql";

void TextHashFunction(sqlite3_context* ctx, int argc, sqlite3_value** argv) {
  std::string_view parts[2];
  for (int i = 0; i < argc && i < 2; ++i) {
    const auto* text = reinterpret_cast<const char*>(sqlite3_value_text(argv[i]));
    parts[i] = text ? std::string_view(text, sqlite3_value_bytes(argv[i])) : std::string_view();
  }
  const std::string hash = log::TextHash(parts[0], parts[1]);
  sqlite3_result_text(ctx, hash.data(), static_cast<int>(hash.size()), SQLITE_TRANSIENT);
}

// Version 3: a campaign's time zone (IANA name), in which a deadline typed as a date ends
// (core/time_zone.h). Campaigns made before it keep their stored deadline instants and read
// as UTC, the zone they were resolved in.
constexpr const char* kV3 = R"sql(
ALTER TABLE campaigns ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'UTC';
)sql";

// Version 4: a petition's description apart from its letter (OSDI clients send and read both)
// and who organizes a campaign ("Organized by" on its page). Plain text columns, before nothing
// in particular: campaigns are few, and no scan of them reads these.
constexpr const char* kV4 = R"sql(
ALTER TABLE campaigns ADD COLUMN description TEXT NOT NULL DEFAULT '';
ALTER TABLE campaigns ADD COLUMN organized_by TEXT NOT NULL DEFAULT '';
)sql";

// Version 5: the per-email signing limit's token bucket, on the person it limits (NULL: never
// limited), so that it survives a restart and, on PostgreSQL, holds across nodes.
constexpr const char* kV5 = R"sql(
ALTER TABLE people ADD COLUMN limit_tokens REAL;
ALTER TABLE people ADD COLUMN limit_at REAL;
)sql";

// Version 6: organizer accounts (store/account_store.h; issue 13).
//  - users: email is the canonical address, unique; password_hash a crypto_pwhash_str string
//    (Argon2id, empty: none yet); totp_sealed the TOTP secret sealed by the service (never in
//    clear), totp_last_step the last step used (a code works once).
//  - sessions and account_tokens keep only hashes of the tokens (bytes, as HashKey makes them);
//    a revoked session is deleted; expired rows are never read and are purged now and then.
//  - memberships: one role per user and campaign; the primary key serves "per user", the index
//    "per campaign".
//  - organizer_actions: the append-only record; triggers refuse UPDATE and DELETE.
//  - api_tokens gains a scope: an owner, a campaign (NULL: every one) and read_only. No
//    REFERENCES on these (SQLite cannot drop a column that has one); the service checks them.
constexpr const char* kV6 = R"sql(
CREATE TABLE users (
  id             INTEGER PRIMARY KEY,
  uuid           TEXT    NOT NULL UNIQUE,
  email          TEXT    NOT NULL UNIQUE,
  display_name   TEXT    NOT NULL DEFAULT '',
  password_hash  TEXT    NOT NULL DEFAULT '',
  totp_sealed    BLOB,
  totp_last_step INTEGER,
  admin          INTEGER NOT NULL DEFAULT 0,
  created        INTEGER NOT NULL,
  disabled       INTEGER
);
CREATE TABLE sessions (
  id         INTEGER PRIMARY KEY,
  token_hash BLOB    NOT NULL UNIQUE,
  user_id    INTEGER NOT NULL REFERENCES users (id),
  created    INTEGER NOT NULL,
  last_seen  INTEGER NOT NULL,
  expires    INTEGER NOT NULL,
  address    TEXT    NOT NULL DEFAULT '',
  user_agent TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_expires ON sessions (expires);
CREATE TABLE memberships (
  user_id     INTEGER NOT NULL REFERENCES users (id),
  campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
  role        TEXT    NOT NULL CHECK (role IN ('owner', 'editor', 'moderator', 'viewer')),
  created     INTEGER NOT NULL,
  modified    INTEGER NOT NULL,
  PRIMARY KEY (user_id, campaign_id)
) WITHOUT ROWID;
CREATE INDEX memberships_campaign ON memberships (campaign_id, user_id);
CREATE TABLE account_tokens (
  token_hash BLOB    PRIMARY KEY,
  kind       TEXT    NOT NULL CHECK (kind IN ('invite', 'sign_in')),
  user_id    INTEGER NOT NULL REFERENCES users (id),
  created    INTEGER NOT NULL,
  expires    INTEGER NOT NULL,
  used       INTEGER
) WITHOUT ROWID;
CREATE INDEX account_tokens_expires ON account_tokens (expires);
CREATE TABLE organizer_actions (
  id          INTEGER PRIMARY KEY,
  at          INTEGER NOT NULL,
  user_id     INTEGER REFERENCES users (id),
  campaign_id INTEGER REFERENCES campaigns (id),
  action      TEXT    NOT NULL,
  subject     TEXT    NOT NULL DEFAULT '',
  detail      TEXT    NOT NULL DEFAULT '{}'
);
CREATE INDEX organizer_actions_campaign ON organizer_actions (campaign_id, id);
CREATE INDEX organizer_actions_user ON organizer_actions (user_id, id);
CREATE TRIGGER organizer_actions_no_update BEFORE UPDATE ON organizer_actions
BEGIN SELECT RAISE(ABORT, 'the record of organizer actions is append-only'); END;
CREATE TRIGGER organizer_actions_no_delete BEFORE DELETE ON organizer_actions
BEGIN SELECT RAISE(ABORT, 'the record of organizer actions is append-only'); END;
ALTER TABLE api_tokens ADD COLUMN owner_user_id INTEGER;
ALTER TABLE api_tokens ADD COLUMN campaign_id INTEGER;
ALTER TABLE api_tokens ADD COLUMN read_only INTEGER NOT NULL DEFAULT 0;
)sql";

// Version 7: moderation (core/moderation.h; issue 13 part 5).
//  - signatures.client_net: the signer's network (/24 or /48, ClientNetwork), for invalidating
//    a flood by address range; NULL when none was known, and set back to NULL once its
//    retention passed (ForgetClientNetworks).
//  - comment_review: 0 not reviewed, 1 approved, 2 hidden; name_hidden: the public name is not
//    shown (the signature still counts). Public reads (queries.h) apply both.
//  - invalidated (time), invalidated_by, invalidation_reason: the organizers removed it (state
//    'invalidated', which the CHECK on state is widened to allow: see AllowInvalidatedState).
//  - comment_approval: campaigns whose comments show only once approved (one row each).
constexpr const char* kV7 = R"sql(
ALTER TABLE signatures ADD COLUMN client_net TEXT;
ALTER TABLE signatures ADD COLUMN comment_review INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signatures ADD COLUMN name_hidden INTEGER NOT NULL DEFAULT 0;
ALTER TABLE signatures ADD COLUMN invalidated INTEGER;
ALTER TABLE signatures ADD COLUMN invalidated_by TEXT NOT NULL DEFAULT '';
ALTER TABLE signatures ADD COLUMN invalidation_reason TEXT NOT NULL DEFAULT '';
CREATE TABLE comment_approval (
  campaign_id INTEGER PRIMARY KEY REFERENCES campaigns (id),
  since       INTEGER NOT NULL
);
)sql";

// Widens the CHECK on signatures.state to allow 'invalidated' in place, as SQLite documents for
// loosening a constraint (lang_altertable.html, "Making Other Kinds Of Table Schema Changes"):
// the table's stored CREATE statement is edited and the schema version moved on, so that every
// connection reads it again. No row is rewritten (rebuilding the table would copy every
// signature). The edit must have found the clause, or the migration fails.
Result<void> AllowInvalidatedState(Db& db) {
  auto version = db.QueryText("PRAGMA schema_version");
  if (!version) return Fail(version.error());
  if (auto r = db.Exec("PRAGMA writable_schema = ON"); !r) return r;
  auto edit = db.Exec(
      "UPDATE sqlite_schema SET sql = replace(sql, 'state = ''withdrawn''),', 'state = "
      "''withdrawn'' OR state = ''invalidated''),') WHERE type = 'table' AND name = "
      "'signatures'");
  (void)db.Exec("PRAGMA writable_schema = OFF");
  if (!edit) return edit;
  const std::string bump =
      "PRAGMA schema_version = " + std::to_string(std::stoll(*version) + 1);  // our own integer
  if (auto r = db.Exec(bump.c_str()); !r) return r;
  auto check = db.QueryText(
      "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'signatures' AND sql "
      "LIKE '%state = ''invalidated''%'");
  if (!check) return Fail(check.error());
  if (*check != "1") return Fail(Code::kInternal, "the CHECK on signatures.state was not found");
  return {};
}

// Version 8: updates to signers, unsubscribes and deliveries to targets (issue 13, parts 7 and
// 8; store/outreach_store.h). updates.queued_through is the last signature id an update queued
// mail for: each batch queues the next recipients and moves it in one transaction. outbox.update_id
// names the update a message belongs to, for its delivery counts. unsubscribes: one row per
// person and campaign, with the update whose link was used. deliveries.letter keeps the letter
// as it was delivered (JSON), from which each target's mail renders its PDF at send time.
constexpr const char* kV8 = R"sql(
CREATE TABLE updates (
  id             INTEGER PRIMARY KEY,
  campaign_id    INTEGER NOT NULL REFERENCES campaigns (id),
  kind           TEXT    NOT NULL DEFAULT 'update' CHECK (kind IN ('update', 'delivered')),
  subject        TEXT    NOT NULL,
  body_markdown  TEXT    NOT NULL,
  author_user_id INTEGER REFERENCES users (id),
  state          TEXT    NOT NULL CHECK (state IN ('draft', 'scheduled', 'sending', 'sent')),
  send_at        INTEGER,
  queued_through INTEGER NOT NULL DEFAULT 0,  -- the last signature id it queued mail for
  created        INTEGER NOT NULL,
  modified       INTEGER NOT NULL,
  finished       INTEGER
);
CREATE INDEX updates_campaign ON updates (campaign_id, id);
CREATE INDEX updates_due ON updates (send_at) WHERE state IN ('scheduled', 'sending');
CREATE TABLE unsubscribes (
  campaign_id INTEGER NOT NULL REFERENCES campaigns (id),
  person_id   INTEGER NOT NULL REFERENCES people (id),
  update_id   INTEGER REFERENCES updates (id),
  created     INTEGER NOT NULL,
  PRIMARY KEY (campaign_id, person_id)
) WITHOUT ROWID;
CREATE INDEX unsubscribes_update ON unsubscribes (update_id) WHERE update_id IS NOT NULL;
CREATE TABLE deliveries (
  id              INTEGER PRIMARY KEY,
  campaign_id     INTEGER NOT NULL REFERENCES campaigns (id),
  user_id         INTEGER REFERENCES users (id),
  created         INTEGER NOT NULL,
  recipients      TEXT    NOT NULL,  -- JSON array of the targets' addresses
  checkpoint_size INTEGER NOT NULL,
  checkpoint_hash TEXT    NOT NULL,
  confirmed       INTEGER NOT NULL,
  letter          TEXT    NOT NULL   -- JSON: the letter as delivered
);
CREATE INDEX deliveries_campaign ON deliveries (campaign_id, id);
ALTER TABLE outbox ADD COLUMN update_id INTEGER;
CREATE INDEX outbox_update ON outbox (update_id) WHERE update_id IS NOT NULL;
)sql";

// Version 9: where signatures come from, and the dashboard's hourly counts (issue 13).
//  - signatures gains its origin (core/origin.h): the referrer's host, utm_source, utm_medium,
//    utm_campaign and our share channel, '' when unknown (every signature made before).
//    Written once, by the insert; no index (the dashboard's tallies read the campaign's range).
//  - signature_hours: each campaign's count deltas per hour (pending, confirmed, withdrawn:
//    the same moves as campaign_counts), added by the writer at each commit, one row per
//    campaign and hour a batch touched. New signatures in an hour are the sum of its three
//    columns, the confirmed count at its end the running sum of confirmed. Sealed and
//    anonymous signatures are counted in their day's first hour (they are dated to the day
//    everywhere). The chart reads a campaign's hours in a window: a range of this table's key,
//    at most 24 rows a day however many sign. Filled here from the rows there are: a
//    withdrawal is dated by the row's last change, a confirmation by its time.
constexpr const char* kV9 = R"sql(
ALTER TABLE signatures ADD COLUMN ref_host TEXT NOT NULL DEFAULT '';
ALTER TABLE signatures ADD COLUMN utm_source TEXT NOT NULL DEFAULT '';
ALTER TABLE signatures ADD COLUMN utm_medium TEXT NOT NULL DEFAULT '';
ALTER TABLE signatures ADD COLUMN utm_campaign TEXT NOT NULL DEFAULT '';
ALTER TABLE signatures ADD COLUMN share_channel TEXT NOT NULL DEFAULT '';
CREATE TABLE signature_hours (
  campaign_id INTEGER NOT NULL,
  hour        INTEGER NOT NULL,  -- Unix seconds, a multiple of 3600
  pending     INTEGER NOT NULL DEFAULT 0,
  confirmed   INTEGER NOT NULL DEFAULT 0,
  withdrawn   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, hour)
) WITHOUT ROWID;
INSERT INTO signature_hours (campaign_id, hour, pending, confirmed, withdrawn)
  SELECT campaign_id, h, sum(p), sum(c), sum(w) FROM (
    SELECT campaign_id, (CASE protection WHEN 'none' THEN created - created % 3600
                         ELSE created - created % 86400 END) AS h, 1 AS p, 0 AS c, 0 AS w
      FROM signatures
    UNION ALL
    SELECT campaign_id, (CASE protection WHEN 'none' THEN confirmed - confirmed % 3600
                         ELSE confirmed - confirmed % 86400 END), -1, 1, 0
      FROM signatures WHERE confirmed IS NOT NULL
    UNION ALL
    SELECT campaign_id, (CASE protection WHEN 'none' THEN modified - modified % 3600
                         ELSE modified - modified % 86400 END),
           CASE WHEN confirmed IS NULL THEN -1 ELSE 0 END,
           CASE WHEN confirmed IS NULL THEN 0 ELSE -1 END, 1
      FROM signatures WHERE state = 'withdrawn'
  ) GROUP BY campaign_id, h;
)sql";

// Version 10: the dashboard's tallies as a rollup (issue 13; store/tally_rollup.h).
// signature_tallies has a row per campaign, tally (kind: group, country, referrer, utm_source,
// channel, source) and key: how many of the campaign's signatures, pending and confirmed, have
// that value (withdrawn and invalidated ones are not counted). The writer adds each batch's
// moves to it just before COMMIT, in the same transaction as the rows that moved them, so the
// dashboard reads a campaign's keys (a few hundred rows) instead of every signature (about
// 2.4 s at 1,000,000). A key whose signatures all left keeps a row of zeros (readers skip it).
// Filled here from the rows there are.
constexpr const char* kV10 = R"sql(
CREATE TABLE signature_tallies (
  campaign_id INTEGER NOT NULL,
  kind        TEXT    NOT NULL,
  key         TEXT    NOT NULL,
  pending     INTEGER NOT NULL DEFAULT 0,
  confirmed   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (campaign_id, kind, key)
) WITHOUT ROWID;
INSERT INTO signature_tallies (campaign_id, kind, key, pending, confirmed)
  SELECT campaign_id, kind, key, sum(state = 'pending'), sum(state = 'confirmed') FROM (
    SELECT campaign_id, 'group' AS kind, group_key AS key, state FROM signatures
    UNION ALL SELECT campaign_id, 'country', country, state FROM signatures
    UNION ALL SELECT campaign_id, 'referrer', ref_host, state FROM signatures
    UNION ALL SELECT campaign_id, 'utm_source', utm_source, state FROM signatures
    UNION ALL SELECT campaign_id, 'channel', share_channel, state FROM signatures
    UNION ALL SELECT campaign_id, 'source', source, state FROM signatures
  ) WHERE state IN ('pending', 'confirmed') GROUP BY campaign_id, kind, key;
)sql";

// Version 11: a campaign's picture (issue 13). campaigns.image describes it (JSON, store/columns.h
// ImageJson: sha256, alt, width, height; NULL: none); campaign_images keeps its re-encoded JPEG,
// apart from the campaign, so that reading a campaign never reads the picture's bytes.
constexpr const char* kV11 = R"sql(
ALTER TABLE campaigns ADD COLUMN image TEXT;
CREATE TABLE campaign_images (
  campaign_id INTEGER PRIMARY KEY REFERENCES campaigns (id),
  jpeg        BLOB    NOT NULL
);
)sql";

// Version 12: the people who can move a campaign's targets, with posts for supporters to send
// them (issue 15; core/share_target.h), as JSON (store/columns.h SecondaryTargetsJson).
constexpr const char* kV12 = R"sql(
ALTER TABLE campaigns ADD COLUMN secondary_targets TEXT NOT NULL DEFAULT '[]';
)sql";

// Version 13: events (issue 15, part 1; store/event_store.h).
//  - events: a campaign's events; reminders is a JSON array of offsets in seconds before a
//    slot's start; promote_until the seconds before the start after which a cancellation no
//    longer promotes the waitlist.
//  - event_slots: each event's times (UTC instants and the IANA zone they are shown in) and
//    capacity in seats (0: no limit).
//  - rsvps: name and email sealed together (store/sealed_fields.h), email_key a keyed hash of
//    the address for one live RSVP per slot, wait_seq the waitlist's order while waitlisted,
//    confirm_hash the hash of the mailed confirmation token while pending.
//  - event_reminders: each (slot, offset) reminder claimed once (the claim and its mail are one
//    transaction).
constexpr const char* kV13 = R"sql(
CREATE TABLE events (
  id               INTEGER PRIMARY KEY,
  campaign_id      INTEGER NOT NULL REFERENCES campaigns (id),
  slug             TEXT    NOT NULL,
  title            TEXT    NOT NULL,
  description      TEXT    NOT NULL DEFAULT '',
  kind             TEXT    NOT NULL CHECK (kind IN ('in_person', 'online')),
  venue            TEXT    NOT NULL DEFAULT '',
  address          TEXT    NOT NULL DEFAULT '',
  online_link      TEXT    NOT NULL DEFAULT '',
  private_location INTEGER NOT NULL DEFAULT 0,
  accessibility    TEXT    NOT NULL DEFAULT '',
  host_name        TEXT    NOT NULL DEFAULT '',
  host_email       TEXT    NOT NULL DEFAULT '',
  status           TEXT    NOT NULL CHECK (status IN ('draft', 'proposed', 'listed', 'cancelled')),
  reminders        TEXT    NOT NULL DEFAULT '[86400,7200]',
  promote_until    INTEGER NOT NULL DEFAULT 3600,
  created_by       INTEGER REFERENCES users (id),
  host_token_hash  TEXT    NOT NULL DEFAULT '',
  created          INTEGER NOT NULL,
  modified         INTEGER NOT NULL,
  UNIQUE (campaign_id, slug)
);
CREATE TABLE event_slots (
  id        INTEGER PRIMARY KEY,
  event_id  INTEGER NOT NULL REFERENCES events (id),
  starts    INTEGER NOT NULL,
  ends      INTEGER NOT NULL,
  time_zone TEXT    NOT NULL,
  capacity  INTEGER NOT NULL DEFAULT 0 CHECK (capacity >= 0),
  created   INTEGER NOT NULL,
  modified  INTEGER NOT NULL,
  CHECK (ends > starts)
);
CREATE INDEX event_slots_event ON event_slots (event_id, starts);
CREATE INDEX event_slots_starts ON event_slots (starts);
CREATE TABLE rsvps (
  id           INTEGER PRIMARY KEY,
  event_id     INTEGER NOT NULL REFERENCES events (id),
  slot_id      INTEGER NOT NULL REFERENCES event_slots (id),
  sealed       BLOB    NOT NULL,
  email_key    TEXT    NOT NULL,
  guests       INTEGER NOT NULL DEFAULT 0 CHECK (guests >= 0),
  status       TEXT    NOT NULL CHECK (status IN ('pending', 'accepted', 'waitlisted',
                                                  'cancelled')),
  wait_seq     INTEGER,
  confirm_hash TEXT UNIQUE,
  checked_in   INTEGER NOT NULL DEFAULT 0,
  referrer     TEXT    NOT NULL DEFAULT '',
  source       TEXT    NOT NULL DEFAULT 'web',
  created      INTEGER NOT NULL,
  modified     INTEGER NOT NULL,
  confirmed    INTEGER
);
CREATE INDEX rsvps_slot ON rsvps (slot_id, status);
CREATE INDEX rsvps_event ON rsvps (event_id, id);
CREATE UNIQUE INDEX rsvps_once ON rsvps (slot_id, email_key) WHERE status <> 'cancelled';
CREATE TABLE event_reminders (
  slot_id  INTEGER NOT NULL REFERENCES event_slots (id),
  offset_s INTEGER NOT NULL,
  claimed  INTEGER NOT NULL,
  PRIMARY KEY (slot_id, offset_s)
);
)sql";

// Version 14: fundraisers and donations (issue 14, parts 1 and 2; store/fundraising_store.h).
// Money in INTEGER minor units. fundraisers.line_items and suggested are JSON. A donation's
// line_item is its item's key, '' for the whole fundraiser. fundraiser_totals: one row per
// fundraiser and line item ('' the whole), the sum and count of its succeeded donations, moved
// in the same transaction as each donation's status. processed_webhook_events: each provider
// event id handled once.
constexpr const char* kV14 = R"sql(
CREATE TABLE fundraisers (
  id              INTEGER PRIMARY KEY,
  uuid            TEXT    NOT NULL UNIQUE,
  campaign_id     INTEGER REFERENCES campaigns (id),
  slug            TEXT    NOT NULL UNIQUE,
  title           TEXT    NOT NULL,
  story_markdown  TEXT    NOT NULL DEFAULT '',
  goal            INTEGER NOT NULL CHECK (goal >= 0),
  currency        TEXT    NOT NULL,
  suggested       TEXT    NOT NULL DEFAULT '[]',
  monthly_allowed INTEGER NOT NULL DEFAULT 0,
  line_items      TEXT    NOT NULL DEFAULT '[]',
  status          TEXT    NOT NULL CHECK (status IN ('draft', 'open', 'closed')),
  created         INTEGER NOT NULL,
  modified        INTEGER NOT NULL
);
CREATE INDEX fundraisers_campaign ON fundraisers (campaign_id) WHERE campaign_id IS NOT NULL;
CREATE TABLE donations (
  id               INTEGER PRIMARY KEY,
  uuid             TEXT    NOT NULL UNIQUE,
  fundraiser_id    INTEGER NOT NULL REFERENCES fundraisers (id),
  amount           INTEGER NOT NULL CHECK (amount > 0),
  currency         TEXT    NOT NULL,
  line_item        TEXT    NOT NULL DEFAULT '',
  donor_name       TEXT    NOT NULL DEFAULT '',
  donor_email      TEXT    NOT NULL DEFAULT '',
  named            INTEGER NOT NULL DEFAULT 0,
  source           TEXT    NOT NULL CHECK (source IN ('stripe', 'offline')),
  payment_method   TEXT    NOT NULL DEFAULT '',
  reference_number TEXT    NOT NULL DEFAULT '',
  checkout_session TEXT    NOT NULL DEFAULT '',
  payment_intent   TEXT    NOT NULL DEFAULT '',
  subscription     TEXT    NOT NULL DEFAULT '',
  status           TEXT    NOT NULL
                           CHECK (status IN ('pending', 'succeeded', 'refunded', 'disputed')),
  monthly          INTEGER NOT NULL DEFAULT 0,
  recorded_by      INTEGER REFERENCES users (id),
  created          INTEGER NOT NULL,
  modified         INTEGER NOT NULL
);
CREATE INDEX donations_fundraiser ON donations (fundraiser_id, id);
CREATE INDEX donations_intent ON donations (payment_intent) WHERE payment_intent <> '';
CREATE INDEX donations_session ON donations (checkout_session) WHERE checkout_session <> '';
CREATE TABLE fundraiser_totals (
  fundraiser_id INTEGER NOT NULL REFERENCES fundraisers (id),
  line_item     TEXT    NOT NULL,
  amount        INTEGER NOT NULL DEFAULT 0,
  donations     INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (fundraiser_id, line_item)
) WITHOUT ROWID;
CREATE TABLE processed_webhook_events (
  event_id TEXT    PRIMARY KEY,
  type     TEXT    NOT NULL,
  received INTEGER NOT NULL
) WITHOUT ROWID;
)sql";

// Referrals (issue 15, service/referrals.h): the code of the signer's personal link a signature
// came through, '' for none (every signature made before). A partial index: a signature without
// one costs nothing more to write.
constexpr const char* kV15 = R"sql(
ALTER TABLE signatures ADD COLUMN referral TEXT NOT NULL DEFAULT '';
CREATE INDEX signatures_referral ON signatures (referral, campaign_id) WHERE referral <> '';
)sql";

// Version 16: conditional pledges (issue 14, part 3; store/pledge_store.h). pledge_campaigns:
// the condition (kind, subject, threshold), deadline, money or not, and the decision (status
// 'open' until decided once). subject_kind never holds 'public_official' (core/pledge.h refuses
// it; the CHECK keeps it so). pledges: the amount, the sealed name and email, the provider's
// ids, the status, the charge attempt (its Idempotency-Key) and ClaimWork's lease, the
// needs-action schedule. One live pledge per address per campaign (pledges_once).
constexpr const char* kV16 = R"sql(
CREATE TABLE pledge_campaigns (
  id             INTEGER PRIMARY KEY,
  uuid           TEXT    NOT NULL UNIQUE,
  slug           TEXT    NOT NULL UNIQUE,
  campaign_id    INTEGER REFERENCES campaigns (id),
  fundraiser_id  INTEGER REFERENCES fundraisers (id),
  title          TEXT    NOT NULL,
  description    TEXT    NOT NULL DEFAULT '',
  kind           TEXT    NOT NULL CHECK (kind IN ('count', 'outcome', 'unless')),
  condition_text TEXT    NOT NULL,
  subject_kind   TEXT    NOT NULL CHECK (subject_kind IN ('', 'company', 'organization')),
  subject_name   TEXT    NOT NULL DEFAULT '',
  threshold      INTEGER NOT NULL DEFAULT 0,
  deadline       INTEGER NOT NULL,
  money          INTEGER NOT NULL,
  currency       TEXT    NOT NULL DEFAULT '',
  minimum        INTEGER NOT NULL DEFAULT 0,
  payee          TEXT    NOT NULL DEFAULT '',
  promise        TEXT    NOT NULL DEFAULT '',
  status         TEXT    NOT NULL CHECK (status IN ('open', 'met', 'failed')),
  decided        INTEGER,
  evidence_url   TEXT    NOT NULL DEFAULT '',
  created_by     INTEGER REFERENCES users (id),
  created        INTEGER NOT NULL,
  modified       INTEGER NOT NULL
);
CREATE INDEX pledge_campaigns_open ON pledge_campaigns (deadline) WHERE status = 'open';
CREATE TABLE pledges (
  id                 INTEGER PRIMARY KEY,
  uuid               TEXT    NOT NULL UNIQUE,
  pledge_campaign_id INTEGER NOT NULL REFERENCES pledge_campaigns (id),
  amount             INTEGER NOT NULL CHECK (amount >= 0),
  currency           TEXT    NOT NULL DEFAULT '',
  sealed             BLOB    NOT NULL,
  email_key          TEXT    NOT NULL,
  status             TEXT    NOT NULL CHECK (status IN ('pending', 'made', 'withdrawn', 'charged',
                                                        'needs_action', 'lapsed', 'released',
                                                        'due')),
  checkout_session   TEXT    NOT NULL DEFAULT '',
  customer           TEXT    NOT NULL DEFAULT '',
  payment_method     TEXT    NOT NULL DEFAULT '',
  payment_intent     TEXT    NOT NULL DEFAULT '',
  attempt            INTEGER NOT NULL DEFAULT 1,
  claimed_until      INTEGER NOT NULL DEFAULT 0,
  reminders_sent     INTEGER NOT NULL DEFAULT 0,
  needs_action_since INTEGER,
  next_step_at       INTEGER,
  created            INTEGER NOT NULL,
  modified           INTEGER NOT NULL
);
CREATE INDEX pledges_campaign ON pledges (pledge_campaign_id, id);
CREATE INDEX pledges_work ON pledges (pledge_campaign_id, claimed_until)
  WHERE status IN ('pending', 'made');
CREATE INDEX pledges_steps ON pledges (next_step_at) WHERE status = 'needs_action';
CREATE UNIQUE INDEX pledges_once ON pledges (pledge_campaign_id, email_key)
  WHERE status NOT IN ('pending', 'withdrawn');
)sql";

}  // namespace

const std::vector<Migration>& SqliteMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "initial schema", kV1},
      {2, "campaign text versions", kV2},
      {3, "campaign time zones", kV3},
      {4, "campaign description and organizer", kV4},
      {5, "per-email limit buckets", kV5},
      {6, "organizer accounts", kV6},
      {7, "moderation", kV7, AllowInvalidatedState},
      {8, "updates, unsubscribes and deliveries", kV8},
      {9, "signature origins and hourly counts", kV9},
      {10, "the dashboard's tallies", kV10},
      {11, "campaign pictures", kV11},
      {12, "secondary targets", kV12},
      {13, "events, slots, RSVPs and reminders", kV13},
      {14, "fundraisers and donations", kV14},
      {15, "referrals", kV15},
      {16, "conditional pledges", kV16},
  };
  return kMigrations;
}

// The last migration's number (the list is kept in order).
int LatestSchemaVersion() { return SqliteMigrations().back().version; }

Result<int> Migrate(Db& db) {
  // BEGIN IMMEDIATE takes the write lock first, so two processes opening the same fresh file
  // cannot both run migration 1.
  if (auto r = db.Exec("BEGIN IMMEDIATE"); !r) return Fail(r.error());
  auto rollback = [&db](Error e) -> Result<int> {
    (void)db.Exec("ROLLBACK");
    return Fail(std::move(e));
  };
  auto version_text = db.QueryText("PRAGMA user_version");
  if (!version_text) return rollback(version_text.error());
  int current = std::stoi(version_text->empty() ? std::string("0") : *version_text);
  int latest = LatestSchemaVersion();
  if (current > latest) {
    return rollback(Error{Code::kInvalidArgument,
                          "the database has schema version " + std::to_string(current) +
                              " but this undersigned knows only up to " + std::to_string(latest) +
                              "; it was written by a newer undersigned, upgrade to open it",
                          {},
                          0});
  }
  if (current == latest) {
    if (auto r = db.Exec("COMMIT"); !r) return rollback(r.error());
    return 0;
  }
  int applied = 0;
  if (int rc = sqlite3_create_function(db.raw(), "undersigned_text_hash", 2,
                                       SQLITE_UTF8 | SQLITE_DETERMINISTIC, nullptr,
                                       TextHashFunction, nullptr, nullptr);
      rc != SQLITE_OK) {
    return rollback(SqliteError(db.raw(), rc, "registering undersigned_text_hash"));
  }
  for (const Migration& m : SqliteMigrations()) {
    if (m.version <= current) continue;
    if (auto r = db.Exec(m.sql); !r) {
      Error e = r.error();
      e.message = "migration " + std::to_string(m.version) + " (" + std::string(m.summary) +
                  ") failed: " + e.message;
      e.code = Code::kInternal;
      return rollback(std::move(e));
    }
    if (m.after != nullptr) {
      if (auto r = m.after(db); !r) {
        Error e = r.error();
        e.message = "migration " + std::to_string(m.version) + " (" + std::string(m.summary) +
                    ") failed: " + e.message;
        e.code = Code::kInternal;
        return rollback(std::move(e));
      }
    }
    ++applied;
  }
  // PRAGMA cannot take a bound parameter; the value is our own integer, not input.
  std::string set_version = "PRAGMA user_version = " + std::to_string(latest);
  if (auto r = db.Exec(set_version.c_str()); !r) return rollback(r.error());
  if (auto r = db.Exec("COMMIT"); !r) return rollback(r.error());
  return applied;
}

}  // namespace undersigned::store
