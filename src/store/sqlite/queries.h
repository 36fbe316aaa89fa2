// All the SQL of the SQLite backend, in one place: what each table is read and written with.
// The schema and its migrations are in store/sqlite/migrations.cc; who runs each statement:
// sqlite_tx.cc (the transaction scripts' WriteTx), campaigns.cc, signatures.cc, people.cc,
// organizations.cc, outbox.cc, log.cc, instance.cc (the Store's subjects), writer.cc
// (BEGIN/COMMIT/SAVEPOINT).
//
// The statements of signing avoid RETURNING: SQLite runs RETURNING through an ephemeral table
// (a B-tree opened and closed per execution), which cost more than the whole rest of an
// insert. They read sqlite3_last_insert_rowid() instead.
#pragma once

namespace undersigned::store::sql {

// Every statement is a constant; values only enter through bound parameters. Each is a char
// array (one object for the whole program): Db::Prepare caches statements by its address.

#define US_CAMPAIGN_COLS                                                                        \
  "id, uuid, slug, title, demand, letter_markdown, targets, goal, deadline, status, language, " \
  "created, modified, identifiers, threshold, organizers, outcome, outcome_at, groups, "        \
  "anonymity_floor, time_zone, description, organized_by, image, secondary_targets"

#define US_SIGNATURE_COLS_WITH(comment, public_name)                                               \
  "id, uuid, campaign_id, person_id, name, email, canonical_email, postal_code, country, " comment \
  ", " public_name                                                                                 \
  ", wants_updates, state, source, confirm_sends, created, modified, confirmed, (SELECT p.uuid "   \
  "FROM people p WHERE p.id = signatures.person_id), group_key, protection, seal_threshold, "      \
  "sealed IS NOT NULL, verified, attestation, ref_host, utm_source, utm_medium, utm_campaign, "    \
  "share_channel"

// Moderation (migrations.cc, version 7) as every public read applies it: a hidden comment, or
// one not approved yet on a campaign whose comments wait for approval, reads as empty; a hidden
// name as not public (the signature still counts).
#define US_SHOWN_COMMENT                                                                    \
  "(CASE WHEN comment_review = 1 OR (comment_review = 0 AND NOT EXISTS (SELECT 1 FROM "     \
  "comment_approval q WHERE q.campaign_id = signatures.campaign_id)) THEN comment ELSE '' " \
  "END)"
#define US_SHOWN_PUBLIC_NAME "(public_name = 1 AND name_hidden = 0)"
// A signature as the public reads see it (moderated).
#define US_SIGNATURE_COLS US_SIGNATURE_COLS_WITH(US_SHOWN_COMMENT, US_SHOWN_PUBLIC_NAME)

// A signature as the writer keeps it (store::SignatureRow): the columns above as stored, then the
// sealed blob, the log salt and leaf index, and whether it is in a group proven by domain
// (30..33).
#define US_SIGNATURE_ROW_COLS                      \
  US_SIGNATURE_COLS_WITH("comment", "public_name") \
  ", sealed, log_salt, log_index, verified IS NOT NULL"
// The same, then its moderation (34..39; store::ModerationCandidate).
#define US_MODERATION_COLS                                                 \
  US_SIGNATURE_ROW_COLS                                                    \
  ", coalesce(client_net, ''), comment_review, name_hidden, invalidated, " \
  "invalidated_by, invalidation_reason"

#define US_PERSON_COLS                                                                \
  "id, uuid, given_name, family_name, email, canonical_email, postal_code, country, " \
  "subscribed, created, modified"

#define US_OUTBOX_COLS "id, kind, recipient, payload, attempts, next_attempt, created, last_error"

// The same over signatures, where a sealed or anonymous signature's time is compared by its day
// (as it is shown), so that bounds cannot find its exact time.
#define US_SIG_MODIFIED \
  "(CASE protection WHEN 'none' THEN modified ELSE modified - modified % 86400 END)"
#define US_SIG_TIME_FILTER(after, before)                                     \
  "(?" #after " IS NULL OR " US_SIG_MODIFIED " > ?" #after ") AND (?" #before \
  " IS NULL OR " US_SIG_MODIFIED " < ?" #before ")"

// The signatures of campaign ?N, as a range of row ids: a signature's id is its campaign's id
// times 2^40 plus its number in the campaign (RowIds), so that a campaign's signatures are a
// range of the table itself, in the order they came, with no index on campaign_id. (Without a
// "campaign_id = ?N" beside it: the planner would take that to the (campaign_id, person_id)
// index and sort.)
#define US_SIG_IN_CAMPAIGN(n) "id BETWEEN (?" #n " << 40) AND (?" #n " << 40) + 1099511627775"

// Optional modified_date filters: ?N IS NULL disables a bound.
#define US_TIME_FILTER(after, before)                              \
  "(?" #after " IS NULL OR modified > ?" #after ") AND (?" #before \
  " IS NULL OR modified < ?" #before ")"

inline constexpr char kBegin[] = "BEGIN IMMEDIATE";
inline constexpr char kCommit[] = "COMMIT";
inline constexpr char kRollback[] = "ROLLBACK";
inline constexpr char kSavepoint[] = "SAVEPOINT op";
inline constexpr char kRelease[] = "RELEASE op";
inline constexpr char kRollbackTo[] = "ROLLBACK TO op";
// A read transaction on a reader (so that several reads agree).
inline constexpr char kBeginRead[] = "BEGIN";
inline constexpr char kEndRead[] = "COMMIT";

// campaigns
inline constexpr char kInsertCampaign[] =
    "INSERT INTO campaigns (uuid, slug, title, demand, letter_markdown, targets, goal, deadline, "
    "status, language, created, modified, identifiers, threshold, organizers, groups, "
    "anonymity_floor, time_zone, description, organized_by, secondary_targets) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21) "
    "RETURNING id";
inline constexpr char kInsertCounts[] =
    "INSERT INTO campaign_counts (campaign_id, last_change) VALUES (?1, ?2) "
    "ON CONFLICT (campaign_id) DO NOTHING";
inline constexpr char kUpdateCampaign[] =
    "UPDATE campaigns SET slug = ?2, title = ?3, demand = ?4, letter_markdown = ?5, targets = ?6, "
    "goal = ?7, deadline = ?8, status = ?9, language = ?10, identifiers = ?13, threshold = ?14, "
    "organizers = ?15, groups = ?16, anonymity_floor = ?17, time_zone = ?18, description = ?19, "
    "organized_by = ?20, secondary_targets = ?21, "
    "modified = CASE WHEN ?11 > modified THEN ?11 ELSE max(modified, ?12) END "
    "WHERE id = ?1 "
    "RETURNING uuid, created, modified, outcome, outcome_at, image";
// A campaign's picture: its description (?2, JSON or NULL) moves modified by at least a second
// (as kTouchCampaign), so that another process's Refresh sees each change.
inline constexpr char kSetCampaignImage[] =
    "UPDATE campaigns SET image = ?2, modified = max(modified + 1, ?3) WHERE id = ?1";
inline constexpr char kPutCampaignImageJpeg[] =
    "INSERT INTO campaign_images (campaign_id, jpeg) VALUES (?1, ?2) "
    "ON CONFLICT (campaign_id) DO UPDATE SET jpeg = excluded.jpeg";
inline constexpr char kDeleteCampaignImageJpeg[] =
    "DELETE FROM campaign_images WHERE campaign_id = ?1";
inline constexpr char kCampaignImageJpeg[] =
    "SELECT jpeg FROM campaign_images WHERE campaign_id = ?1";
inline constexpr char kInsertText[] =
    "INSERT INTO campaign_texts (campaign_id, version, hash, created, demand, letter_markdown) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
inline constexpr char kLatestText[] =
    "SELECT version, hash FROM campaign_texts WHERE campaign_id = ?1 ORDER BY version DESC "
    "LIMIT 1";
inline constexpr char kCampaignTexts[] =
    "SELECT version, hash, created, demand, letter_markdown FROM campaign_texts "
    "WHERE campaign_id = ?1 ORDER BY version";
inline constexpr char kCampaignById[] = "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE id = ?1";
inline constexpr char kCampaignBySlug[] =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE slug = ?1";
inline constexpr char kCampaignByUuid[] =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE uuid = ?1";
// The status filter ?1 (NULL: any), compared with the status at time ?n (TimeFilter::status_at,
// as StatusAt in core/campaign.h: open with a deadline at or before it reads closed); with ?n
// NULL the comparison with the deadline is NULL and the stored status is compared.
#define US_STATUS_AT(n)                                            \
  "(?1 IS NULL OR (CASE WHEN status = 'open' AND deadline <= ?" #n \
  " THEN 'closed' ELSE "                                           \
  "status END) = ?1)"
// clang-format off
inline constexpr char kListCampaigns[] =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE " US_STATUS_AT(7) " AND "
    US_TIME_FILTER(2, 3) " ORDER BY created DESC, id DESC LIMIT ?4 OFFSET ?5";
inline constexpr char kCountCampaigns[] =
    "SELECT count(*) FROM campaigns WHERE " US_STATUS_AT(5) " AND " US_TIME_FILTER(2, 3);
// clang-format on
// Campaigns carrying a foreign identifier (exact match; ?6 in the list, ?4 in the count): a
// scan of the (small) campaigns table; identifiers is stored before the long columns, so the
// scan does not read letters.
#define US_HAS_IDENTIFIER(n) \
  "EXISTS (SELECT 1 FROM json_each(campaigns.identifiers) WHERE value = ?" #n ")"
// clang-format off
inline constexpr char kListCampaignsByIdentifier[] =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE " US_HAS_IDENTIFIER(6)
    " AND " US_STATUS_AT(7) " AND " US_TIME_FILTER(2, 3)
    " ORDER BY created DESC, id DESC LIMIT ?4 OFFSET ?5";
// clang-format on
inline constexpr char kCountCampaignsByIdentifier[] =
    "SELECT count(*) FROM campaigns WHERE " US_HAS_IDENTIFIER(4) " AND " US_STATUS_AT(
        5) " AND " US_TIME_FILTER(2, 3);

// counts
inline constexpr char kCountsOf[] =
    "SELECT pending, confirmed, withdrawn, last_change, changes, groups FROM campaign_counts "
    "WHERE campaign_id = ?1";
inline constexpr char kAllCounts[] =
    "SELECT campaign_id, pending, confirmed, withdrawn, last_change, changes, groups "
    "FROM campaign_counts";
inline constexpr char kSaveCounts[] =
    "INSERT INTO campaign_counts (campaign_id, pending, confirmed, withdrawn, last_change, "
    "changes, groups) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (campaign_id) DO UPDATE SET "
    "pending = excluded.pending, confirmed = excluded.confirmed, withdrawn = excluded.withdrawn, "
    "last_change = excluded.last_change, changes = excluded.changes, groups = excluded.groups";
// The dashboard's hourly counts (migration 9): a batch's deltas for campaign ?1 in hour ?2.
inline constexpr char kAddHour[] =
    "INSERT INTO signature_hours (campaign_id, hour, pending, confirmed, withdrawn) VALUES (?1, "
    "?2, ?3, ?4, ?5) ON CONFLICT (campaign_id, hour) DO UPDATE SET pending = pending + "
    "excluded.pending, confirmed = confirmed + excluded.confirmed, withdrawn = withdrawn + "
    "excluded.withdrawn";
// The dashboard's tallies (migration 10, store/tally_rollup.h): a batch's deltas for campaign
// ?1, tally ?2, key ?3.
inline constexpr char kAddTally[] =
    "INSERT INTO signature_tallies (campaign_id, kind, key, pending, confirmed) VALUES (?1, ?2, "
    "?3, ?4, ?5) ON CONFLICT (campaign_id, kind, key) DO UPDATE SET pending = pending + "
    "excluded.pending, confirmed = confirmed + excluded.confirmed";
// What a signature adds to the tallies, as stored (before a save changes it).
inline constexpr char kTallyFieldsOf[] =
    "SELECT state, group_key, country, ref_host, utm_source, share_channel, source, campaign_id "
    "FROM signatures WHERE id = ?1";

// people
// ?10 the id a new person gets (RowIds), ?1 its public id.
// ?11, ?12: the per-email limit's bucket (NULL keeps the stored one).
inline constexpr char kUpsertPerson[] =
    "INSERT INTO people (id, uuid, canonical_email, email, given_name, family_name, postal_code, "
    "country, subscribed, created, modified, limit_tokens, limit_at) VALUES (?10, ?1, ?2, ?3, ?4, "
    "?5, ?6, ?7, ?8, ?9, ?9, ?11, ?12) ON CONFLICT (canonical_email) DO UPDATE SET email = "
    "excluded.email, given_name = excluded.given_name, family_name = excluded.family_name, "
    "postal_code = excluded.postal_code, country = excluded.country, subscribed = "
    "max(subscribed, excluded.subscribed), modified = excluded.modified, limit_tokens = "
    "coalesce(excluded.limit_tokens, limit_tokens), limit_at = coalesce(excluded.limit_at, "
    "limit_at)";
inline constexpr char kPersonBucketByEmail[] =
    "SELECT id, uuid, limit_tokens, limit_at FROM people WHERE canonical_email = ?1";
inline constexpr char kLastPersonId[] = "SELECT coalesce(max(id), 0) FROM people";
inline constexpr char kPersonIdByEmail[] = "SELECT id, uuid FROM people WHERE canonical_email = ?1";
// A person keyed by an affiliation hash ("affiliation:...", see migrations.cc) stands for one
// verified signature, not for someone with an address: the API's people never include them.
#define US_NOT_AFFILIATION "substr(canonical_email, 1, 12) <> 'affiliation:'"
inline constexpr char kPersonById[] =
    "SELECT " US_PERSON_COLS " FROM people WHERE id = ?1 AND " US_NOT_AFFILIATION;
inline constexpr char kListPeople[] =
    "SELECT " US_PERSON_COLS " FROM people WHERE " US_NOT_AFFILIATION
    " AND " US_TIME_FILTER(1, 2) " ORDER BY id DESC LIMIT ?3 OFFSET ?4";
inline constexpr char kCountPeople[] =
    "SELECT count(*) FROM people WHERE " US_NOT_AFFILIATION " AND " US_TIME_FILTER(1, 2);
inline constexpr char kListPeopleByEmail[] =
    "SELECT " US_PERSON_COLS " FROM people WHERE canonical_email = ?5 AND " US_TIME_FILTER(
        1, 2) " ORDER BY id DESC LIMIT ?3 OFFSET ?4";
// The person signup helper and PUT /people/{id}: NULL leaves a field as it is.
inline constexpr char kSignupPerson[] =
    "INSERT INTO people (id, uuid, canonical_email, email, given_name, family_name, postal_code, "
    "country, subscribed, created, modified) VALUES (?1, ?2, ?3, ?4, coalesce(?5, ''), "
    "coalesce(?6, ''), coalesce(?7, ''), coalesce(?8, ''), coalesce(?9, 0), ?10, ?10) "
    "ON CONFLICT (canonical_email) DO UPDATE SET email = excluded.email, given_name = "
    "coalesce(?5, given_name), family_name = coalesce(?6, family_name), postal_code = "
    "coalesce(?7, postal_code), country = coalesce(?8, country), subscribed = coalesce(?9, "
    "subscribed), modified = max(modified, ?10)";
inline constexpr char kPersonByEmail[] =
    "SELECT " US_PERSON_COLS " FROM people WHERE canonical_email = ?1";
inline constexpr char kUpdatePerson[] =
    "UPDATE people SET given_name = coalesce(?2, given_name), family_name = coalesce(?3, "
    "family_name), postal_code = coalesce(?4, postal_code), country = coalesce(?5, country), "
    "subscribed = coalesce(?6, subscribed), modified = max(modified, ?7) WHERE id = ?1 "
    "AND " US_NOT_AFFILIATION " RETURNING " US_PERSON_COLS;
inline constexpr char kCountPeopleByEmail[] =
    "SELECT count(*) FROM people WHERE canonical_email = ?3 AND " US_TIME_FILTER(1, 2);

// signatures
// ?25 the id a new signature gets (RowIds), ?1 its public id.
inline constexpr char kInsertSignature[] =
    "INSERT INTO signatures (id, uuid, campaign_id, person_id, name, email, canonical_email, "
    "postal_code, country, comment, public_name, wants_updates, state, source, confirm_sends, "
    "created, modified, confirmed, log_salt, log_index, group_key, protection, seal_threshold, "
    "sealed, verified, attestation, ref_host, utm_source, utm_medium, utm_campaign, "
    "share_channel, client_net, referral) VALUES (?25, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, "
    "?11, ?12, ?13, ?14, ?15, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?26, ?27, ?28, "
    "?29, ?30, ?31, ?32) ON CONFLICT (campaign_id, person_id) DO NOTHING";
// The confirmed signatures that came through a personal link (service/referrals.h). The
// `referral <> ''` lets SQLite use the partial index signatures_referral.
inline constexpr char kCountReferred[] =
    "SELECT count(*) FROM signatures WHERE referral = ?2 AND referral <> '' AND campaign_id = ?1 "
    "AND state = 'confirmed'";
inline constexpr char kLastSignatureId[] =
    "SELECT id FROM signatures WHERE id BETWEEN (?1 << 40) AND (?1 << 40) + 1099511627775 "
    "ORDER BY id DESC LIMIT 1";
inline constexpr char kSignatureByPerson[] =
    "SELECT " US_SIGNATURE_ROW_COLS " FROM signatures WHERE campaign_id = ?1 AND person_id = ?2";
// Every token ever issued for a signature stays valid (signature_tokens): the link in an
// earlier mail still works after a re-send. Only a token of the signing kind confirms; any
// token withdraws (see migrations.cc).
inline constexpr char kSignatureByConfirmHash[] =
    "SELECT " US_SIGNATURE_ROW_COLS
    " FROM signatures WHERE id = (SELECT signature_id FROM signature_tokens WHERE hash = ?1 AND "
    "kind = 'signing')";
inline constexpr char kSignatureByWithdrawHash[] =
    "SELECT " US_SIGNATURE_ROW_COLS
    " FROM signatures WHERE id = (SELECT signature_id FROM signature_tokens WHERE hash = ?1)";
// A new token (?1) for signature ?2: of the signing kind (the "confirm" mail's), or
// withdraw-only (the "already_signed" mail's).
inline constexpr char kInsertSigningToken[] =
    "INSERT INTO signature_tokens (hash, signature_id, kind) VALUES (?1, ?2, 'signing')";
inline constexpr char kInsertWithdrawToken[] =
    "INSERT INTO signature_tokens (hash, signature_id, kind) VALUES (?1, ?2, 'withdraw')";
inline constexpr char kSignatureById[] =
    "SELECT " US_SIGNATURE_COLS " FROM signatures WHERE id = ?1";
inline constexpr char kRecentPublic[] =
    "SELECT name, " US_SHOWN_COMMENT
    ", confirmed, group_key, verified, protection FROM signatures WHERE "
    "campaign_id = ?1 AND state = 'confirmed' AND public_name = 1 AND name_hidden = 0 ORDER BY "
    "confirmed DESC LIMIT ?2";
// A campaign's signatures, newest first; ?6 (list) / ?4 (count): a group key, or NULL for all.
inline constexpr char kListSignatures[] =
    "SELECT " US_SIGNATURE_COLS
    " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(1) " AND (?6 IS NULL OR "
    "group_key = ?6) AND state <> 'invalidated' AND " US_SIG_TIME_FILTER(
        2, 3) " ORDER BY id DESC LIMIT ?4 OFFSET ?5";
inline constexpr char kCountSignatures[] =
    "SELECT count(*) FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND (?4 IS NULL OR group_key = ?4) "
    "AND state <> 'invalidated' AND " US_SIG_TIME_FILTER(2, 3);
// A person's signatures, newest first: "campaign_id IN (all campaigns)" lets the planner take
// the (campaign_id, person_id) index one campaign at a time instead of scanning signatures.
#define US_PERSON_SIGS                                                                       \
  " FROM signatures WHERE campaign_id IN (SELECT id FROM campaigns) AND person_id = ?1 AND " \
  "protection = 'none' AND state <> 'invalidated' AND " US_SIG_TIME_FILTER(2, 3)
inline constexpr char kListPersonSignatures[] =
    "SELECT " US_SIGNATURE_COLS US_PERSON_SIGS " ORDER BY id DESC LIMIT ?4 OFFSET ?5";
inline constexpr char kCountPersonSignatures[] = "SELECT count(*)" US_PERSON_SIGS;
#undef US_PERSON_SIGS
inline constexpr char kSetSignatureComment[] =
    "UPDATE signatures SET comment = ?2, modified = max(modified, ?3) WHERE id = ?1";
inline constexpr char kConfirmedOf[] =
    "SELECT " US_SIGNATURE_COLS
    " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(1) " AND state = 'confirmed' ORDER BY id";

// organizations
#define US_ORGANIZATION_COLS                                                                 \
  "id, uuid, campaign_id, name, website, contact_email, canonical_email, statement, state, " \
  "logo IS NOT NULL, created, modified, decided"
inline constexpr char kInsertOrganization[] =
    "INSERT INTO organizations (uuid, campaign_id, name, website, contact_email, "
    "canonical_email, statement, state, confirm_hash, created, modified, logo) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?9, ?10)";
inline constexpr char kOrganizationByConfirm[] =
    "SELECT " US_ORGANIZATION_COLS " FROM organizations WHERE confirm_hash = ?1";
inline constexpr char kOrganizationByReview[] =
    "SELECT " US_ORGANIZATION_COLS " FROM organizations WHERE review_hash = ?1";
inline constexpr char kOrganizationByUuid[] =
    "SELECT " US_ORGANIZATION_COLS " FROM organizations WHERE uuid = ?1";
inline constexpr char kListOrganizations[] =
    "SELECT " US_ORGANIZATION_COLS
    " FROM organizations WHERE campaign_id = ?1 AND (?2 IS NULL OR state = ?2) ORDER BY id";
inline constexpr char kOrganizationLogo[] =
    "SELECT logo FROM organizations WHERE uuid = ?1 AND (?2 OR state = 'approved') AND logo IS "
    "NOT NULL";
// modified moves forward by at least a second, so that two changes within one second (hiding
// a comment, then showing it again) are each seen by another process's Refresh.
inline constexpr char kTouchCampaign[] =
    "UPDATE campaigns SET modified = max(modified + 1, ?2) WHERE id = ?1";
#undef US_ORGANIZATION_COLS

// API tokens
inline constexpr char kInsertToken[] =
    "INSERT INTO api_tokens (name, hash, created) VALUES (?1, ?2, ?3) RETURNING id";
inline constexpr char kRevokeTokens[] =
    "UPDATE api_tokens SET revoked = ?2 WHERE name = ?1 AND revoked IS NULL";
inline constexpr char kFindToken[] =
    "SELECT id, name, created, revoked FROM api_tokens WHERE hash = ?1 AND revoked IS NULL";

// outbox
inline constexpr char kInsertOutbox[] =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) VALUES (?1, ?2, ?3, ?4, "
    "?4)";
// Unsent messages come in two kinds (see migrations.cc): fresh ones (never tried) are the rows
// from outbox_fresh.from_id on with attempts = 0, in id order; tried ones are in outbox_retry.
#define US_FRESH_OUTBOX "id >= (SELECT from_id FROM outbox_fresh) AND sent IS NULL AND attempts = 0"
inline constexpr char kDueFreshOutbox[] =
    "SELECT " US_OUTBOX_COLS " FROM outbox WHERE " US_FRESH_OUTBOX
    " AND next_attempt <= ?1 ORDER BY id LIMIT ?2";
inline constexpr char kDueRetryOutbox[] =
    "SELECT " US_OUTBOX_COLS
    " FROM outbox WHERE sent IS NULL AND attempts > 0 AND next_attempt <= ?1 "
    "ORDER BY next_attempt, id LIMIT ?2";
// After a message was marked: from_id moves to the first fresh message left (or, if none is,
// to the last message, so that every message inserted later is at or after it).
inline constexpr char kAdvanceFreshOutbox[] =
    "UPDATE outbox_fresh SET from_id = coalesce((SELECT id FROM outbox WHERE " US_FRESH_OUTBOX
    " ORDER BY id LIMIT 1), (SELECT max(id) FROM outbox), 0)";
// Returns whether it cleared a work address (the recipient of the neutral verify mails).
inline constexpr char kMarkSent[] =
    "UPDATE outbox SET sent = coalesce(sent, ?2), payload = '', recipient = CASE WHEN kind IN "
    "('verify', 'verify_already') THEN '' ELSE recipient END WHERE id = ?1 "
    "RETURNING kind IN ('verify', 'verify_already')";
inline constexpr char kMarkFailed[] =
    "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3 WHERE id = ?1 "
    "AND sent IS NULL";
inline constexpr char kOutboxExists[] = "SELECT 1 FROM outbox WHERE id = ?1";
inline constexpr char kOutboxDepth[] =
    "SELECT (SELECT count(*) FROM outbox WHERE " US_FRESH_OUTBOX
    ") + (SELECT count(*) FROM outbox WHERE sent IS NULL AND attempts > 0 AND next_attempt < ?1)";
// A fresh message is due when it was made (next_attempt = created), so the first fresh one in id
// order is the one due first (up to clock steps back).
inline constexpr char kNextOutbox[] =
    "SELECT CASE WHEN f IS NULL THEN r WHEN r IS NULL THEN f ELSE min(f, r) END FROM (SELECT "
    "(SELECT next_attempt FROM outbox WHERE " US_FRESH_OUTBOX
    " ORDER BY id LIMIT 1) AS f, (SELECT min(next_attempt) FROM outbox WHERE sent IS NULL AND "
    "attempts > 0) AS r)";

// instance secrets
inline constexpr char kGetSecret[] = "SELECT value FROM instance_secrets WHERE name = ?1";
inline constexpr char kPutSecret[] =
    "INSERT INTO instance_secrets (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING";
inline constexpr char kReplaceSecret[] =
    "INSERT INTO instance_secrets (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";

// the signature log
inline constexpr char kInsertLeaf[] =
    "INSERT INTO log_leaves (idx, entry, hash) VALUES (?1, ?2, ?3)";
inline constexpr char kInsertNode[] =
    "INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)";
inline constexpr char kLeafHashRange[] =
    "SELECT idx, hash FROM log_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
inline constexpr char kNodeHashRange[] =
    "SELECT idx, hash FROM log_nodes WHERE level = ?3 AND idx >= ?1 AND idx < ?2 ORDER BY idx";
inline constexpr char kLeafEntryRange[] =
    "SELECT idx, entry FROM log_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
inline constexpr char kAllLeaves[] = "SELECT idx, entry, hash FROM log_leaves ORDER BY idx";
inline constexpr char kLogSize[] = "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves";
inline constexpr char kConfirmedCounts[] =
    "SELECT c.id, c.uuid, c.slug, coalesce(cc.confirmed, 0), coalesce(cc.groups, '{}') "
    "FROM campaigns c LEFT JOIN "
    "campaign_counts cc ON cc.campaign_id = c.id ORDER BY c.id";
inline constexpr char kSaveCheckpoint[] =
    "INSERT INTO log_checkpoints (size, note, counts, created) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (size) DO NOTHING";
inline constexpr char kLatestCheckpoint[] =
    "SELECT size, note, counts, created FROM log_checkpoints ORDER BY size DESC LIMIT 1";
inline constexpr char kReceiptByConfirmHash[] =
    "SELECT s.campaign_id, s.state, s.log_index, s.log_salt, l.entry FROM signatures s "
    "LEFT JOIN log_leaves l ON l.idx = s.log_index WHERE s.id = (SELECT signature_id FROM "
    "signature_tokens WHERE hash = ?1 AND kind = 'signing')";

inline constexpr char kDecideCampaign[] =
    "UPDATE campaigns SET outcome = ?2, outcome_at = ?3, modified = max(modified, ?3) "
    "WHERE id = ?1 AND outcome = 'pending'";
inline constexpr char kDueCampaigns[] =
    "SELECT id, threshold FROM campaigns WHERE threshold IS NOT NULL AND outcome = 'pending' "
    "AND deadline <= ?1 ORDER BY id";
inline constexpr char kNextOutcomeDeadline[] =
    "SELECT min(deadline) FROM campaigns WHERE threshold IS NOT NULL AND outcome = 'pending'";

// --- written by SqliteTx (store/sqlite/sqlite_tx.cc) for the transaction scripts

// Every mutable column of a signature (store::WriteTx::SaveSignature).
inline constexpr char kSaveSignature[] =
    "UPDATE signatures SET person_id = ?2, name = ?3, email = ?4, postal_code = ?5, country = ?6, "
    "comment = ?7, public_name = ?8, wants_updates = ?9, state = ?10, source = ?11, "
    "confirm_sends = ?12, modified = ?13, confirmed = ?14, group_key = ?15, protection = ?16, "
    "seal_threshold = ?17, sealed = ?18, verified = ?19, attestation = ?20, log_salt = ?21, "
    "log_index = ?22 WHERE id = ?1";
// The reveal: a group's confirmed sealed signatures whose threshold is reached, as
// US_SIGNATURE_ROW_COLS but without the person's public id (the reveal does not need it, and
// looking it up cost each of 100,000 revealed rows a read of people).
inline constexpr char kSealedToReveal[] =
    "SELECT id, uuid, campaign_id, person_id, name, email, canonical_email, postal_code, country, "
    "comment, public_name, wants_updates, state, source, confirm_sends, created, modified, "
    "confirmed, '', group_key, protection, seal_threshold, sealed IS NOT NULL, verified, "
    "attestation, ref_host, utm_source, utm_medium, utm_campaign, share_channel, sealed, "
    "log_salt, log_index, verified IS NOT NULL FROM signatures WHERE "
    "campaign_id = ?1 AND group_key = ?2 AND sealed IS NOT NULL AND seal_threshold <= ?3 AND "
    "state = 'confirmed' AND protection = 'sealed' ORDER BY id";
// Confirmed signers told a campaign's outcome: an address in clear, or a sealed one.
inline constexpr char kOutcomeRecipients[] =
    "SELECT email, sealed FROM signatures WHERE " US_SIG_IN_CAMPAIGN(1) " AND state = "
    "'confirmed' AND (email <> '' OR sealed IS NOT NULL) ORDER BY id";
inline constexpr char kSaveOrganization[] =
    "UPDATE organizations SET state = ?2, modified = ?3, decided = ?4, "
    "review_hash = coalesce(?5, review_hash) WHERE id = ?1";

// --- the dashboard (dashboard.cc; store/dashboard_store.h)

inline constexpr char kSignatureHours[] =
    "SELECT hour, pending, confirmed, withdrawn FROM signature_hours WHERE campaign_id = ?1 AND "
    "hour >= ?2 AND hour < ?3 ORDER BY hour";
// The rollup's keys of a campaign (a key whose signatures all left has zeros).
inline constexpr char kTallies[] =
    "SELECT kind, key, confirmed, pending FROM signature_tallies WHERE campaign_id = ?1 AND "
    "(pending <> 0 OR confirmed <> 0)";
// The full recount: one read of a campaign's signatures for every tally (withdrawn ones are not
// counted).
inline constexpr char kTallyRows[] =
    "SELECT state = 'confirmed', group_key, country, ref_host, utm_source, share_channel, source "
    "FROM signatures WHERE " US_SIG_IN_CAMPAIGN(1) " AND state IN ('pending', 'confirmed')";
// Every message, then the unsent ones by kind (US_FRESH_OUTBOX reads only the fresh range).
inline constexpr char kOutboxCounts[] =
    "SELECT (SELECT count(*) FROM outbox), (SELECT count(*) FROM outbox WHERE " US_FRESH_OUTBOX
    "), (SELECT count(*) FROM outbox WHERE sent IS NULL AND attempts > 0 AND next_attempt < ?1), "
    "(SELECT count(*) FROM outbox WHERE sent IS NULL AND attempts > 0 AND next_attempt >= ?1)";
// The organizers' search (SignatureSearch): ?2 text (lower case) in the name, postal code or
// country of an unprotected signature; ?3 group; ?4 state; ?5, ?6 created bounds (a protected
// signature by its day); ?7 a source, or an origin value of an unprotected signature; ?8 only
// ids below it (the next page after the row with that id).
#define US_SIG_CREATED \
  "(CASE protection WHEN 'none' THEN created ELSE created - created % 86400 END)"
#define US_SEARCH \
  " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(1) " AND (?2 IS NULL OR (protection = 'none' AND " \
  "sealed IS NULL AND (instr(lower(name), ?2) > 0 OR instr(lower(postal_code), ?2) > 0 OR "       \
  "instr(lower(country), ?2) > 0))) AND (?3 IS NULL OR group_key = ?3) AND (?4 IS NULL OR "      \
  "state = ?4) AND (?5 IS NULL OR " US_SIG_CREATED " >= ?5) AND (?6 IS NULL OR " US_SIG_CREATED  \
  " < ?6) AND (?7 IS NULL OR source = ?7 OR (protection = 'none' AND (share_channel = ?7 OR "    \
  "utm_source = ?7 OR ref_host = ?7))) AND (?8 IS NULL OR id < ?8)"
inline constexpr char kSearchSignatures[] =
    "SELECT " US_SIGNATURE_COLS US_SEARCH " ORDER BY id DESC LIMIT ?9 OFFSET ?10";
inline constexpr char kCountSearch[] = "SELECT count(*)" US_SEARCH;
#undef US_SEARCH
#undef US_SIG_CREATED

// --- moderation (service/tx/moderation.cc through SqliteTx; core/moderation.h)
// A campaign's pending (?2) and/or confirmed (?3) signatures created in [?4, ?5) (NULL: no
// bound), oldest first; the network and domain are tested by the caller.
inline constexpr char kModerationCandidates[] =
    "SELECT " US_MODERATION_COLS " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND ((?2 AND state = 'pending') OR (?3 AND state = 'confirmed')) AND (?4 IS NULL OR "
           "created >= ?4) AND (?5 IS NULL OR created < ?5) ORDER BY id";
inline constexpr char kModerationOf[] =
    "SELECT " US_MODERATION_COLS " FROM signatures WHERE id = ?1";
inline constexpr char kSaveModeration[] =
    "UPDATE signatures SET comment_review = ?2, name_hidden = ?3, invalidated = ?4, "
    "invalidated_by = ?5, invalidation_reason = ?6 WHERE id = ?1";
inline constexpr char kCommentApprovalOf[] =
    "SELECT count(*) FROM comment_approval WHERE campaign_id = ?1";
inline constexpr char kSetCommentApproval[] =
    "INSERT INTO comment_approval (campaign_id, since) VALUES (?1, ?2) ON CONFLICT DO NOTHING";
inline constexpr char kClearCommentApproval[] =
    "DELETE FROM comment_approval WHERE campaign_id = ?1";
// The comments waiting for approval (comment_review 0, not empty) of a confirmed or pending
// signature of campaign ?1, oldest first, at most ?2.
inline constexpr char kAwaitingComments[] =
    "SELECT " US_MODERATION_COLS " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND comment_review = 0 AND comment <> '' AND (state = 'confirmed' OR state = "
           "'pending') ORDER BY id LIMIT ?2";
// Forgets the networks of signatures made before ?1.
inline constexpr char kForgetClientNetworks[] =
    "UPDATE signatures SET client_net = NULL WHERE client_net IS NOT NULL AND created < ?1";

#undef US_CAMPAIGN_COLS
#undef US_SIGNATURE_COLS
#undef US_SIGNATURE_COLS_WITH
#undef US_SHOWN_COMMENT
#undef US_SHOWN_PUBLIC_NAME
#undef US_MODERATION_COLS
#undef US_SIGNATURE_ROW_COLS
#undef US_PERSON_COLS
#undef US_OUTBOX_COLS
#undef US_TIME_FILTER
#undef US_SIG_TIME_FILTER
#undef US_SIG_MODIFIED
#undef US_HAS_IDENTIFIER
#undef US_SIG_IN_CAMPAIGN
#undef US_FRESH_OUTBOX
#undef US_NOT_AFFILIATION

}  // namespace undersigned::store::sql
