// Every SQL statement of the PostgreSQL store, in one place (the schema is in migrations.cc).
// Values only enter through parameters ($1...). Each constant is prepared once per connection
// under its address (pg_conn.h). Times are Unix seconds; token hashes are bytea (HashKey).
#pragma once

namespace undersigned::store::pg::sql {

#define US_CAMPAIGN_COLS                                                                        \
  "id, uuid, slug, title, demand, letter_markdown, targets, goal, deadline, status, language, " \
  "created, modified, identifiers, threshold, organizers, outcome, outcome_at, groups, "        \
  "anonymity_floor, time_zone, description, organized_by, image, secondary_targets"

// Signature (rows.h, SignatureFrom) then, for SignatureRow, sealed, log_salt, log_index and
// verifies (verified NULL: not a verified group), then the signature's origin (29..33).
#define US_ORIGIN_COLS "ref_host, utm_source, utm_medium, utm_campaign, share_channel"
#define US_SIGNATURE_COLS_WITH(comment, public_name)                                               \
  "id, uuid, campaign_id, person_id, name, email, canonical_email, postal_code, country, " comment \
  ", " public_name                                                                                 \
  ", wants_updates, state, source, confirm_sends, created, "                                       \
  "modified, "                                                                                     \
  "confirmed, (SELECT p.uuid FROM people p WHERE p.id = signatures.person_id), group_key, "        \
  "protection, seal_threshold, sealed IS NOT NULL, coalesce(verified, false), attestation, "       \
  "sealed, log_salt, log_index, verified IS NOT NULL, " US_ORIGIN_COLS
// Moderation (migrations.cc, version 5) as every public read applies it: a hidden comment, or one
// not approved yet on a campaign whose comments wait for approval, reads as empty; a hidden name
// as not public (the signature still counts).
#define US_SHOWN_COMMENT                                                                    \
  "(CASE WHEN comment_review = 1 OR (comment_review = 0 AND NOT EXISTS (SELECT 1 FROM "     \
  "comment_approval q WHERE q.campaign_id = signatures.campaign_id)) THEN comment ELSE '' " \
  "END)"
// The public reads' columns (moderated).
#define US_SIGNATURE_COLS \
  US_SIGNATURE_COLS_WITH(US_SHOWN_COMMENT, "(public_name AND NOT name_hidden)")
// The writer's (as stored).
#define US_SIGNATURE_ROW_COLS US_SIGNATURE_COLS_WITH("comment", "public_name")
// The writer's, then the moderation (34..39; store::ModerationCandidate).
#define US_MODERATION_COLS                                                 \
  US_SIGNATURE_ROW_COLS                                                    \
  ", coalesce(client_net, ''), comment_review, name_hidden, invalidated, " \
  "invalidated_by, invalidation_reason"

#define US_PERSON_COLS                                                                \
  "id, uuid, given_name, family_name, email, canonical_email, postal_code, country, " \
  "subscribed, created, modified"

#define US_ORGANIZATION_COLS                                                                 \
  "id, uuid, campaign_id, name, website, contact_email, canonical_email, statement, state, " \
  "logo IS NOT NULL, created, modified, decided"

#define US_OUTBOX_COLS "id, kind, recipient, payload, attempts, next_attempt, created, last_error"

// Optional modified bounds ($a, $b NULL: no bound).
#define US_TIME_FILTER(a, b)                                  \
  "($" #a "::bigint IS NULL OR modified > $" #a ") AND ($" #b \
  "::bigint IS NULL OR modified < $" #b ")"
// Over signatures, where a sealed or anonymous signature's time is compared by its day.
#define US_SIG_MODIFIED \
  "(CASE protection WHEN 'none' THEN modified ELSE modified - modified % 86400 END)"
#define US_SIG_TIME_FILTER(a, b)                                         \
  "($" #a "::bigint IS NULL OR " US_SIG_MODIFIED " > $" #a ") AND ($" #b \
  "::bigint IS NULL OR " US_SIG_MODIFIED " < $" #b ")"
// A campaign's signatures as a range of ids (campaign id * 2^40 + number).
#define US_SIG_IN_CAMPAIGN(n) \
  "id BETWEEN ($" #n "::bigint << 40) AND ($" #n "::bigint << 40) + 1099511627775"
// Status filter $1 (NULL: any) at time $n (StatusAt: open past its deadline reads closed).
#define US_STATUS_AT(n)                                                  \
  "($1::text IS NULL OR (CASE WHEN status = 'open' AND deadline <= $" #n \
  "::bigint THEN 'closed' ELSE status END) = $1)"
#define US_NOT_AFFILIATION "left(canonical_email, 12) <> 'affiliation:'"

// --- campaigns
inline constexpr const char* kInsertCampaign =
    "INSERT INTO campaigns (uuid, slug, title, demand, letter_markdown, targets, goal, deadline, "
    "status, language, created, modified, identifiers, threshold, organizers, groups, "
    "anonymity_floor, time_zone, description, organized_by, secondary_targets) VALUES ($1, $2, "
    "$3, $4, $5, $6::jsonb, $7, $8, $9, $10, $11, $12, $13::jsonb, $14, $15::jsonb, $16::jsonb, "
    "$17, $18, $19, $20, $21::jsonb) RETURNING id";
inline constexpr const char* kUpdateCampaign =
    "UPDATE campaigns SET slug = $2, title = $3, demand = $4, letter_markdown = $5, targets = "
    "$6::jsonb, goal = $7, deadline = $8, status = $9, language = $10, identifiers = $13::jsonb, "
    "threshold = $14, organizers = $15::jsonb, groups = $16::jsonb, anonymity_floor = $17, "
    "time_zone = $18, description = $19, organized_by = $20, secondary_targets = $21::jsonb, "
    "modified = CASE WHEN $11::bigint > "
    "modified THEN $11 ELSE greatest(modified, $12::bigint) END WHERE id = $1 "
    "RETURNING uuid, created, modified, outcome, outcome_at, image";
// A campaign's picture: its description ($2, JSON or NULL) moves modified by at least a second
// (as kTouchCampaign), so that another process's Refresh sees each change.
inline constexpr const char* kSetCampaignImage =
    "UPDATE campaigns SET image = $2, modified = greatest(modified + 1, $3::bigint) WHERE id = $1";
inline constexpr const char* kPutCampaignImageJpeg =
    "INSERT INTO campaign_images (campaign_id, jpeg) VALUES ($1, $2) "
    "ON CONFLICT (campaign_id) DO UPDATE SET jpeg = excluded.jpeg";
inline constexpr const char* kDeleteCampaignImageJpeg =
    "DELETE FROM campaign_images WHERE campaign_id = $1";
inline constexpr const char* kCampaignImageJpeg =
    "SELECT jpeg FROM campaign_images WHERE campaign_id = $1";
inline constexpr const char* kInsertText =
    "INSERT INTO campaign_texts (campaign_id, version, hash, created, demand, letter_markdown) "
    "VALUES ($1, $2, $3, $4, $5, $6)";
inline constexpr const char* kLatestText =
    "SELECT version, hash FROM campaign_texts WHERE campaign_id = $1 ORDER BY version DESC "
    "LIMIT 1";
inline constexpr const char* kCampaignTexts =
    "SELECT version, hash, created, demand, letter_markdown FROM campaign_texts "
    "WHERE campaign_id = $1 ORDER BY version";
inline constexpr const char* kCampaignById =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE id = $1";
inline constexpr const char* kCampaignBySlug =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE slug = $1";
inline constexpr const char* kCampaignByUuid =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE uuid = $1";
// $6 (list) / $4 (count): an identifier the campaign must carry, or NULL.
inline constexpr const char* kListCampaigns =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE " US_STATUS_AT(7) " AND " US_TIME_FILTER(
        2, 3) " AND ($6::text IS NULL OR identifiers @> jsonb_build_array($6::text)) "
              "ORDER BY created DESC, id DESC LIMIT $4 OFFSET $5";
inline constexpr const char* kCountCampaigns =
    "SELECT count(*) FROM campaigns WHERE " US_STATUS_AT(5) " AND " US_TIME_FILTER(
        2, 3) " AND ($4::text IS NULL OR identifiers @> jsonb_build_array($4::text))";
inline constexpr const char* kNextOutcomeDeadline =
    "SELECT min(deadline) FROM campaigns WHERE threshold IS NOT NULL AND outcome = 'pending'";
inline constexpr const char* kDueCampaigns =
    "SELECT id, threshold FROM campaigns WHERE threshold IS NOT NULL AND outcome = 'pending' "
    "AND deadline <= $1 ORDER BY id";
inline constexpr const char* kDecideCampaign =
    "UPDATE campaigns SET outcome = $2, outcome_at = $3, modified = greatest(modified, $3) "
    "WHERE id = $1 AND outcome = 'pending' RETURNING modified";
inline constexpr const char* kTouchCampaign =
    "UPDATE campaigns SET modified = greatest(modified + 1, $2) WHERE id = $1";  // as SQLite's
// Serialises the writers of a campaign whose threshold is still undecided (PgTx::Counts), so
// that the one write that reaches it, on whichever node, sees it reached.
inline constexpr const char* kLockCampaign =
    "SELECT outcome FROM campaigns WHERE id = $1 FOR NO KEY UPDATE";

// --- counts: one row per (campaign, node), summed on read
#define US_GROUP_SUMS(where)                                                                       \
  "(SELECT coalesce(jsonb_object_agg(key, total), '{}') FROM (SELECT e.key, sum(e.value::bigint) " \
  "AS total FROM campaign_counts g, jsonb_each_text(g.groups) e WHERE " where                      \
  " GROUP BY e.key) s)"
inline constexpr const char* kCountsOf =
    "SELECT coalesce(sum(pending), 0), coalesce(sum(confirmed), 0), coalesce(sum(withdrawn), 0), "
    "coalesce(max(last_change), 0), coalesce(sum(changes), 0), " US_GROUP_SUMS(
        "g.campaign_id = $1") " FROM campaign_counts WHERE campaign_id = $1";
inline constexpr const char* kAllCounts =
    "SELECT c.id, coalesce(sum(n.pending), 0), coalesce(sum(n.confirmed), 0), "
    "coalesce(sum(n.withdrawn), 0), coalesce(max(n.last_change), 0), coalesce(sum(n.changes), "
    "0), " US_GROUP_SUMS("g.campaign_id = c.id") " FROM campaigns c LEFT JOIN campaign_counts n "
                                                 "ON n.campaign_id = c.id GROUP BY c.id";
// --- nodes: each opened store registers a row with a lease on the database's clock ($2 seconds),
// renewed while it lives; the rows of nodes whose lease ended long ago are folded into node 0.
#define US_DB_NOW "extract(epoch from clock_timestamp())::bigint"
inline constexpr const char* kNewNode =
    "INSERT INTO nodes (started, lease_until) VALUES ($1, " US_DB_NOW " + $2) RETURNING id";
inline constexpr const char* kRenewNode =
    "UPDATE nodes SET lease_until = " US_DB_NOW " + $2 WHERE id = $1 AND lease_until > 0";
// A closed node never writes again: its lease ends now, so the next fold takes its rows.
inline constexpr const char* kEndNode = "UPDATE nodes SET lease_until = 0 WHERE id = $1";
// The nodes to fold: lease ended more than $1 seconds ago, not held by a writer right now.
inline constexpr const char* kDeadNodes = "SELECT id FROM nodes WHERE lease_until < " US_DB_NOW
                                          " - $1 ORDER BY id FOR UPDATE SKIP LOCKED";
// Moves the count rows of the nodes in $1 (locked by kDeadNodes) into node 0's row of each
// campaign: sums (and the sum of changes, so pollers see no change), the latest change, the
// group counts added key by key.
inline constexpr const char* kFoldCounts =
    "WITH gone AS (DELETE FROM campaign_counts WHERE node = ANY($1::bigint[]) RETURNING *), "
    "sums AS (SELECT campaign_id, sum(pending) AS pending, sum(confirmed) AS confirmed, "
    "sum(withdrawn) AS withdrawn, sum(changes) AS changes, max(last_change) AS last_change FROM "
    "gone GROUP BY campaign_id), groups AS (SELECT campaign_id, jsonb_object_agg(key, total) AS "
    "groups FROM (SELECT g.campaign_id, e.key, sum(e.value::bigint) AS total FROM gone g, "
    "jsonb_each_text(g.groups) e GROUP BY g.campaign_id, e.key) k GROUP BY campaign_id) "
    "INSERT INTO campaign_counts AS c (campaign_id, node, pending, confirmed, withdrawn, changes, "
    "last_change, groups) SELECT s.campaign_id, 0, s.pending, s.confirmed, s.withdrawn, "
    "s.changes, s.last_change, coalesce(g.groups, '{}') FROM sums s LEFT JOIN groups g USING "
    "(campaign_id) ON CONFLICT (campaign_id, node) DO UPDATE SET pending = c.pending + "
    "excluded.pending, confirmed = c.confirmed + excluded.confirmed, withdrawn = c.withdrawn + "
    "excluded.withdrawn, changes = c.changes + excluded.changes, last_change = "
    "greatest(c.last_change, excluded.last_change), groups = (SELECT "
    "coalesce(jsonb_object_agg(key, "
    "total), '{}') FROM (SELECT key, sum(value::bigint) AS total FROM (SELECT * FROM "
    "jsonb_each_text(c.groups) UNION ALL SELECT * FROM jsonb_each_text(excluded.groups)) u GROUP "
    "BY key) s)";
inline constexpr const char* kDeleteNodes = "DELETE FROM nodes WHERE id = ANY($1::bigint[])";
#undef US_DB_NOW

// --- people
inline constexpr const char* kTakeIds =
    "SELECT nextval($1::regclass) FROM generate_series(1, $2::integer)";
inline constexpr const char* kSignupPerson =
    "INSERT INTO people AS p (id, uuid, canonical_email, email, given_name, family_name, "
    "postal_code, country, subscribed, created, modified) VALUES ($1, $2, $3, $4, coalesce($5, "
    "''), coalesce($6, ''), coalesce($7, ''), coalesce($8, ''), coalesce($9::boolean, false), "
    "$10, $10) ON CONFLICT (canonical_email) DO UPDATE SET email = excluded.email, given_name = "
    "coalesce($5, p.given_name), family_name = coalesce($6, p.family_name), postal_code = "
    "coalesce($7, p.postal_code), country = coalesce($8, p.country), subscribed = "
    "coalesce($9::boolean, p.subscribed), modified = greatest(p.modified, $10) "
    "RETURNING " US_PERSON_COLS;
inline constexpr const char* kUpdatePerson =
    "UPDATE people SET given_name = coalesce($2, given_name), family_name = coalesce($3, "
    "family_name), postal_code = coalesce($4, postal_code), country = coalesce($5, country), "
    "subscribed = coalesce($6::boolean, subscribed), modified = greatest(modified, $7) WHERE id = "
    "$1 AND " US_NOT_AFFILIATION " RETURNING " US_PERSON_COLS;
inline constexpr const char* kPersonById =
    "SELECT " US_PERSON_COLS " FROM people WHERE id = $1 AND " US_NOT_AFFILIATION;
// $5: a canonical email, or NULL for everyone (people keyed by an affiliation are left out).
inline constexpr const char* kListPeople =
    "SELECT " US_PERSON_COLS " FROM people WHERE ($5::text IS NULL AND " US_NOT_AFFILIATION
    " OR canonical_email = $5) AND " US_TIME_FILTER(1, 2) " ORDER BY id DESC LIMIT $3 OFFSET $4";
inline constexpr const char* kCountPeople =
    "SELECT count(*) FROM people WHERE ($3::text IS NULL AND " US_NOT_AFFILIATION
    " OR canonical_email = $3) AND " US_TIME_FILTER(1, 2);

// --- signatures
// The confirmed signatures that came through a personal link (service/referrals.h); the
// `referral <> ''` lets the planner use the partial index signatures_referral.
inline constexpr const char* kCountReferred =
    "SELECT count(*) FROM signatures WHERE referral = $2 AND referral <> '' AND campaign_id = $1 "
    "AND state = 'confirmed'";
inline constexpr const char* kInsertSignature =
    "INSERT INTO signatures (id, uuid, campaign_id, person_id, name, email, canonical_email, "
    "postal_code, country, comment, public_name, wants_updates, state, source, confirm_sends, "
    "created, modified, confirmed, log_salt, log_index, group_key, protection, seal_threshold, "
    "sealed, verified, attestation, " US_ORIGIN_COLS
    ", client_net, referral) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
    "$9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23, $24, $25, $26, "
    "$27, $28, $29, $30, $31, $32, $33) ON CONFLICT "
    "(campaign_id, person_id) DO NOTHING RETURNING id, (SELECT p.uuid FROM people p WHERE p.id = "
    "signatures.person_id)";
// Returns the row's tallied columns as they were before it (store/tally_rollup.h): the
// sub-select reads the statement's snapshot, the row before this update.
inline constexpr const char* kSaveSignature =
    "UPDATE signatures SET person_id = $2, name = $3, email = $4, canonical_email = $5, "
    "postal_code = $6, country = $7, comment = $8, public_name = $9, wants_updates = $10, state = "
    "$11, source = $12, confirm_sends = $13, modified = $14, confirmed = $15, log_salt = $16, "
    "log_index = $17, group_key = $18, protection = $19, seal_threshold = $20, sealed = $21, "
    "verified = $22, attestation = $23 FROM (SELECT campaign_id, state, group_key, country, "
    "ref_host, utm_source, share_channel, source FROM signatures WHERE id = $1) AS was WHERE "
    "signatures.id = $1 RETURNING was.campaign_id, was.state, was.group_key, was.country, "
    "was.ref_host, was.utm_source, was.share_channel, was.source";
inline constexpr const char* kSignatureById =
    "SELECT " US_SIGNATURE_COLS " FROM signatures WHERE id = $1";
// Any token withdraws; only one of the signing kind confirms ($2 true: signing only).
inline constexpr const char* kSignatureByToken =
    "SELECT " US_SIGNATURE_COLS
    " FROM signatures WHERE id = (SELECT signature_id FROM "
    "signature_tokens WHERE hash = $1 AND (NOT $2::boolean OR kind = 'signing'))";
inline constexpr const char* kRecentPublic =
    "SELECT name, " US_SHOWN_COMMENT
    ", confirmed, group_key, coalesce(verified, false), protection FROM signatures WHERE "
    "campaign_id = $1 AND state = 'confirmed' AND public_name AND NOT name_hidden ORDER BY "
    "confirmed DESC LIMIT $2";
// (Without the person's public id, which the reveal does not read: write_tx.h.)
inline constexpr const char* kSealedToReveal =
    "SELECT id, uuid, campaign_id, person_id, name, email, canonical_email, postal_code, country, "
    "comment, public_name, wants_updates, state, source, confirm_sends, created, modified, "
    "confirmed, '', group_key, protection, seal_threshold, sealed IS NOT NULL, "
    "coalesce(verified, false), attestation, sealed, log_salt, log_index, verified IS NOT "
    "NULL, " US_ORIGIN_COLS
    " FROM signatures WHERE campaign_id = $1 AND group_key = $2 "
    "AND sealed IS NOT NULL AND seal_threshold <= $3 AND state = 'confirmed' AND protection = "
    "'sealed' ORDER BY id FOR NO KEY UPDATE";
// The writer's reads of a signature it may change lock its row until COMMIT: a write of the same
// signature on another node (the same link followed twice at once) waits, then reads the row as
// that one left it (READ COMMITTED re-reads a locked row), so a change is counted once.
inline constexpr const char* kLockSignatureOf =
    "SELECT " US_SIGNATURE_ROW_COLS
    " FROM signatures WHERE campaign_id = $1 AND person_id = $2 FOR NO KEY UPDATE";
inline constexpr const char* kLockSignatureByToken =
    "SELECT " US_SIGNATURE_ROW_COLS
    " FROM signatures WHERE id = (SELECT signature_id FROM signature_tokens WHERE hash = $1 AND "
    "(NOT $2::boolean OR kind = 'signing')) FOR NO KEY UPDATE";
inline constexpr const char* kOutcomeRecipients =
    "SELECT email, sealed FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND state = 'confirmed' AND (email <> '' OR sealed IS NOT NULL) ORDER BY id";
// $6 (list) / $4 (count): a group key, or NULL for all.
inline constexpr const char* kListSignatures =
    "SELECT " US_SIGNATURE_COLS " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND ($6::text IS NULL OR group_key = $6) AND state <> 'invalidated' AND "
           " " US_SIG_TIME_FILTER(2, 3) " ORDER BY id DESC LIMIT $4 OFFSET $5";
inline constexpr const char* kCountSignatures =
    "SELECT count(*) FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND ($4::text IS NULL OR group_key = $4) AND state <> 'invalidated' AND "
           " " US_SIG_TIME_FILTER(2, 3);
// A person's signatures: "campaign_id IN (campaigns)" lets the planner use the (campaign_id,
// person_id) index one campaign at a time.
#define US_PERSON_SIGS                                                                       \
  " FROM signatures WHERE campaign_id IN (SELECT id FROM campaigns) AND person_id = $1 AND " \
  "protection = 'none' AND state <> 'invalidated' AND " US_SIG_TIME_FILTER(2, 3)
inline constexpr const char* kListPersonSignatures =
    "SELECT " US_SIGNATURE_COLS US_PERSON_SIGS " ORDER BY id DESC LIMIT $4 OFFSET $5";
inline constexpr const char* kCountPersonSignatures = "SELECT count(*)" US_PERSON_SIGS;
#undef US_PERSON_SIGS
inline constexpr const char* kSetSignatureComment =
    "UPDATE signatures SET comment = $2, modified = greatest(modified, $3) WHERE id = $1";
inline constexpr const char* kConfirmedOf =
    "SELECT " US_SIGNATURE_COLS " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND state = 'confirmed' AND id > $2 ORDER BY id LIMIT 1000";

// --- moderation (service/tx/moderation.cc through PgTx; core/moderation.h)
// A campaign's pending ($2) and/or confirmed ($3) signatures created in [$4, $5) (NULL: no
// bound), by id, locked; the network and domain are tested by the caller.
inline constexpr const char* kModerationCandidates =
    "SELECT " US_MODERATION_COLS " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND (($2::boolean AND state = 'pending') OR ($3::boolean AND state = 'confirmed')) "
           "AND ($4::bigint IS NULL OR created >= $4) AND ($5::bigint IS NULL OR created < $5) "
           "ORDER BY id FOR NO KEY UPDATE";
inline constexpr const char* kModerationOf =
    "SELECT " US_MODERATION_COLS " FROM signatures WHERE id = $1 FOR NO KEY UPDATE";
inline constexpr const char* kSaveModeration =
    "UPDATE signatures SET comment_review = $2, name_hidden = $3, invalidated = $4, "
    "invalidated_by = $5, invalidation_reason = $6 WHERE id = $1";
inline constexpr const char* kCommentApprovalOf =
    "SELECT count(*) FROM comment_approval WHERE campaign_id = $1";
inline constexpr const char* kSetCommentApproval =
    "INSERT INTO comment_approval (campaign_id, since) VALUES ($1, $2) ON CONFLICT DO NOTHING";
inline constexpr const char* kClearCommentApproval =
    "DELETE FROM comment_approval WHERE campaign_id = $1";
inline constexpr const char* kAwaitingComments =
    "SELECT " US_MODERATION_COLS " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND comment_review = 0 AND comment <> '' AND state IN ('confirmed', 'pending') ORDER "
           "BY id LIMIT $2";
inline constexpr const char* kForgetClientNetworks =
    "UPDATE signatures SET client_net = NULL WHERE client_net IS NOT NULL AND created < $1";

// --- organizations
inline constexpr const char* kInsertOrganization =
    "INSERT INTO organizations (uuid, campaign_id, name, website, contact_email, "
    "canonical_email, statement, state, confirm_hash, created, modified, logo, decided) VALUES "
    "($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) ON CONFLICT DO NOTHING RETURNING id";
inline constexpr const char* kOrganizationByConfirm =
    "SELECT " US_ORGANIZATION_COLS " FROM organizations WHERE confirm_hash = $1";
inline constexpr const char* kOrganizationByReview =
    "SELECT " US_ORGANIZATION_COLS " FROM organizations WHERE review_hash = $1";
inline constexpr const char* kOrganizationByUuid =
    "SELECT " US_ORGANIZATION_COLS " FROM organizations WHERE uuid = $1";
inline constexpr const char* kSaveOrganization =
    "UPDATE organizations SET state = $2, modified = $3, decided = $4, review_hash = "
    "coalesce($5, review_hash) WHERE id = $1";
inline constexpr const char* kListOrganizations =
    "SELECT " US_ORGANIZATION_COLS
    " FROM organizations WHERE campaign_id = $1 AND ($2::text IS NULL OR state = $2) ORDER BY id";
inline constexpr const char* kOrganizationLogo =
    "SELECT logo FROM organizations WHERE uuid = $1 AND ($2::boolean OR state = 'approved') AND "
    "logo IS NOT NULL";

// --- API tokens
inline constexpr const char* kInsertApiToken =
    "INSERT INTO api_tokens (name, hash, created) VALUES ($1, $2, $3) RETURNING id";
inline constexpr const char* kRevokeApiTokens =
    "UPDATE api_tokens SET revoked = $2 WHERE name = $1 AND revoked IS NULL";
inline constexpr const char* kFindApiToken =
    "SELECT id, name, created, revoked FROM api_tokens WHERE hash = $1 AND revoked IS NULL";

// --- outbox
// Claims up to $2 due messages ($1 now) that no other node's sender holds, leasing them to
// node $4 until $3. The same node gets its own leased messages again.
inline constexpr const char* kClaimOutbox =
    "WITH due AS (SELECT id FROM outbox WHERE sent IS NULL AND next_attempt <= $1 AND "
    "(lease_until IS NULL OR lease_until <= $1 OR leased_by = $4) ORDER BY next_attempt, id "
    "LIMIT $2 FOR UPDATE SKIP LOCKED), leased AS (UPDATE outbox o SET leased_by = $4, "
    "lease_until = $3 FROM due WHERE o.id = due.id RETURNING o.id, o.kind, o.recipient, "
    "o.payload, o.attempts, o.next_attempt, o.created, o.last_error) SELECT * FROM leased "
    "ORDER BY next_attempt, id";
// A node that closes gives its leases back.
inline constexpr const char* kReleaseOutbox =
    "UPDATE outbox SET leased_by = NULL, lease_until = NULL WHERE leased_by = $1 AND sent IS "
    "NULL";
inline constexpr const char* kMarkSent =
    "UPDATE outbox SET sent = coalesce(sent, $2), payload = '', recipient = CASE WHEN "
    "work_address OR kind IN ('verify', 'verify_already') THEN '' ELSE recipient END WHERE id = "
    "$1";
inline constexpr const char* kMarkFailed =
    "UPDATE outbox SET attempts = attempts + 1, next_attempt = $2, last_error = $3, leased_by = "
    "NULL, lease_until = NULL WHERE id = $1 AND sent IS NULL";
inline constexpr const char* kOutboxExists = "SELECT 1 FROM outbox WHERE id = $1";
inline constexpr const char* kOutboxDepth =
    "SELECT count(*) FROM outbox WHERE sent IS NULL AND next_attempt < $1";
// (A message another node holds is due for this one when its lease ends; $1 this node.)
inline constexpr const char* kNextOutbox =
    "SELECT min(CASE WHEN leased_by IS DISTINCT FROM $1 AND lease_until > next_attempt THEN "
    "lease_until ELSE next_attempt END) FROM outbox WHERE sent IS NULL";

// --- instance values
inline constexpr const char* kGetValue = "SELECT value FROM instance_values WHERE name = $1";
inline constexpr const char* kPutValue =
    "INSERT INTO instance_values (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING";
inline constexpr const char* kReplaceValue =
    "INSERT INTO instance_values (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET "
    "value = excluded.value";

// --- the signature log
// A writing batch's first leaf locks the next position until its COMMIT.
inline constexpr const char* kLockLogNext =
    "SELECT next_index FROM log_state WHERE only_row FOR UPDATE";
inline constexpr const char* kLogState =
    "SELECT (SELECT next_index FROM log_state), (SELECT integrated FROM log_integrator)";
inline constexpr const char* kLeafHashRange =
    "SELECT idx, hash FROM log_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx";
inline constexpr const char* kNodeHashRange =
    "SELECT idx, hash FROM log_nodes WHERE level = $3 AND idx >= $1 AND idx < $2 ORDER BY idx";
inline constexpr const char* kLeafEntryRange =
    "SELECT idx, entry FROM log_leaves WHERE idx >= $1 AND idx < $2 ORDER BY idx";
inline constexpr const char* kLeavesFrom =
    "SELECT idx, entry, hash FROM log_leaves WHERE idx >= $1 ORDER BY idx LIMIT 10000";
// The integrator's lease: taken if free, expired or already ours ($1 owner, $2 seconds).
inline constexpr const char* kTakeIntegratorLease =
    "UPDATE log_integrator SET owner = $1, expires_at = extract(epoch FROM clock_timestamp()) + "
    "$2::double precision WHERE only_row AND (owner = $1 OR expires_at < extract(epoch FROM "
    "clock_timestamp())) RETURNING owner";
inline constexpr const char* kReleaseIntegratorLease =
    "UPDATE log_integrator SET expires_at = 0 WHERE only_row AND owner = $1";
// Integration commits only while its lease holds and nobody moved the integrated size.
inline constexpr const char* kSetIntegrated =
    "UPDATE log_integrator SET integrated = $2 WHERE only_row AND integrated = $1 AND owner = $3 "
    "AND expires_at > extract(epoch FROM clock_timestamp())";
inline constexpr const char* kLogSalt = "SELECT log_salt FROM signatures WHERE id = $1";
inline constexpr const char* kConfirmedCounts =
    "SELECT c.id, c.uuid, c.slug, coalesce(sum(n.confirmed), 0), " US_GROUP_SUMS(
        "g.campaign_id = c.id") " FROM campaigns c LEFT JOIN campaign_counts n ON n.campaign_id = "
                                "c.id GROUP BY c.id ORDER BY c.id";
inline constexpr const char* kSaveCheckpoint =
    "INSERT INTO log_checkpoints (size, note, counts, created) VALUES ($1, $2, $3, $4) "
    "ON CONFLICT (size) DO NOTHING";
inline constexpr const char* kLatestCheckpoint =
    "SELECT size, note, counts, created FROM log_checkpoints ORDER BY size DESC LIMIT 1";
inline constexpr const char* kReceiptByConfirmHash =
    "SELECT s.campaign_id, s.state, s.log_index, s.log_salt, l.entry FROM signatures s "
    "LEFT JOIN log_leaves l ON l.idx = s.log_index WHERE s.id = (SELECT signature_id FROM "
    "signature_tokens WHERE hash = $1 AND kind = 'signing')";

// --- the dashboard (dashboard.cc; store/dashboard_store.h)
inline constexpr const char* kSignatureHours =
    "SELECT hour, sum(pending), sum(confirmed), sum(withdrawn) FROM signature_hours WHERE "
    "campaign_id = $1 AND hour >= $2 AND hour < $3 GROUP BY hour ORDER BY hour";
// The tallies' rollup (migration 8): every node's rows of the campaign summed, per tally and
// key (a key whose signatures all left sums to zeros, and is skipped).
inline constexpr const char* kTallies =
    "SELECT kind, key, sum(confirmed), sum(pending) FROM signature_tallies WHERE campaign_id = "
    "$1 GROUP BY kind, key HAVING sum(confirmed) <> 0 OR sum(pending) <> 0";
// The full recount: every tally in one read of the campaign's signatures: a row per (tally,
// key); GROUPING's mask names the tally (its bit clear: the column grouped by).
inline constexpr const char* kRecountTallies =
    "SELECT GROUPING(group_key, country, ref_host, utm_source, share_channel, source), "
    "coalesce(group_key, country, ref_host, utm_source, share_channel, source), count(*) FILTER "
    "(WHERE state = 'confirmed'), count(*) FILTER (WHERE state = 'pending') FROM signatures "
    "WHERE " US_SIG_IN_CAMPAIGN(1) " AND state IN ('pending', 'confirmed') GROUP BY GROUPING SETS "
    "((group_key), (country), (ref_host), (utm_source), (share_channel), (source))";
inline constexpr const char* kOutboxCounts =
    "SELECT count(*) FILTER (WHERE sent IS NULL AND attempts = 0), count(*) FILTER (WHERE sent "
    "IS NULL AND attempts > 0 AND next_attempt < $1), count(*) FILTER (WHERE sent IS NULL AND "
    "attempts > 0 AND next_attempt >= $1), count(*) FILTER (WHERE sent IS NOT NULL) FROM outbox";
// The organizers' search (SignatureSearch), as SQLite's (store/sqlite/queries.h).
#define US_SIG_CREATED \
  "(CASE protection WHEN 'none' THEN created ELSE created - created % 86400 END)"
#define US_SEARCH \
  " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(1) " AND ($2::text IS NULL OR (protection = "       \
  "'none' AND sealed IS NULL AND (strpos(lower(name), $2) > 0 OR strpos(lower(postal_code), $2) " \
  "> 0 OR strpos(lower(country), $2) > 0))) AND ($3::text IS NULL OR group_key = $3) AND "        \
  "($4::text IS NULL OR state = $4) AND ($5::bigint IS NULL OR " US_SIG_CREATED " >= $5) AND "    \
  "($6::bigint IS NULL OR " US_SIG_CREATED " < $6) AND ($7::text IS NULL OR source = $7 OR "      \
  "(protection = 'none' AND (share_channel = $7 OR utm_source = $7 OR ref_host = $7))) AND "   \
  "($8::bigint IS NULL OR id < $8)"
inline constexpr const char* kSearchSignatures =
    "SELECT " US_SIGNATURE_COLS US_SEARCH " ORDER BY id DESC LIMIT $9 OFFSET $10";
inline constexpr const char* kCountSearch = "SELECT count(*)" US_SEARCH;
#undef US_SEARCH
#undef US_SIG_CREATED

#undef US_CAMPAIGN_COLS
#undef US_PERSON_COLS
#undef US_ORGANIZATION_COLS
#undef US_OUTBOX_COLS
#undef US_TIME_FILTER
#undef US_SIG_MODIFIED
#undef US_SIG_TIME_FILTER
#undef US_SIG_IN_CAMPAIGN
#undef US_STATUS_AT
#undef US_NOT_AFFILIATION
#undef US_GROUP_SUMS

// The rows the writer keeps in memory, inserted once per batch (or per job, with savepoints):
// one array per column (PgRows).
// Signers, many at once. $11, $12: the per-email limit's new bucket (NULL keeps the stored
// one); $13-$15: whether the row's stored bucket is checked, and the bucket the writer read.
// A row whose stored bucket is not that one (another node took a token meanwhile) is left as
// it is and missing from RETURNING: the writer then reads it (kPeopleByEmails) and runs again.
inline constexpr const char* kUpsertPeople =
    "INSERT INTO people AS p (id, uuid, canonical_email, email, given_name, family_name, "
    "postal_code, country, subscribed, created, modified, limit_tokens, limit_at) SELECT id, "
    "uuid, e, email, g, f, pc, c, s, t, t, lt, la FROM unnest($1::bigint[], $2::text[], "
    "$3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::boolean[], "
    "$10::bigint[], $11::float8[], $12::float8[]) AS v (id, uuid, e, email, g, f, pc, c, s, t, "
    "lt, la) ON CONFLICT (canonical_email) DO UPDATE SET email = excluded.email, given_name = "
    "excluded.given_name, family_name = excluded.family_name, postal_code = excluded.postal_code, "
    "country = excluded.country, subscribed = p.subscribed OR excluded.subscribed, modified = "
    "excluded.modified, limit_tokens = coalesce(excluded.limit_tokens, p.limit_tokens), limit_at "
    "= coalesce(excluded.limit_at, p.limit_at) WHERE NOT EXISTS (SELECT 1 FROM unnest($3::text[], "
    "$13::boolean[], $14::float8[], $15::float8[]) AS x (e, c, t, a) WHERE x.e = "
    "excluded.canonical_email AND x.c AND (x.t, x.a) IS DISTINCT FROM (p.limit_tokens, "
    "p.limit_at)) RETURNING id, uuid, canonical_email, limit_tokens, limit_at";
inline constexpr int kPeopleCols = 15;
inline constexpr const char* kPeopleByEmails =
    "SELECT id, uuid, canonical_email, limit_tokens, limit_at FROM people WHERE canonical_email "
    "= ANY($1::text[])";
// The columns of kInsertSignature, in its order.
inline constexpr const char* kInsertSignatures =
    "INSERT INTO signatures (id, uuid, campaign_id, person_id, name, email, canonical_email, "
    "postal_code, country, comment, public_name, wants_updates, state, source, confirm_sends, "
    "created, modified, confirmed, log_salt, log_index, group_key, protection, seal_threshold, "
    "sealed, verified, attestation, " US_ORIGIN_COLS
    ", client_net, referral) SELECT * FROM unnest($1::bigint[], $2::text[], $3::bigint[], "
    "$4::bigint[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[], "
    "$11::boolean[], $12::boolean[], $13::text[], $14::text[], $15::integer[], $16::bigint[], "
    "$17::bigint[], $18::bigint[], $19::bytea[], $20::bigint[], $21::text[], $22::text[], "
    "$23::bigint[], $24::bytea[], $25::boolean[], $26::text[], $27::text[], $28::text[], "
    "$29::text[], $30::text[], $31::text[], $32::text[], $33::text[]) ON CONFLICT "
    "(campaign_id, person_id) DO NOTHING";
inline constexpr int kSignatureCols = 33;
inline constexpr const char* kInsertTokens =
    "INSERT INTO signature_tokens (hash, signature_id, kind) SELECT * FROM unnest($1::bytea[], "
    "$2::bigint[], $3::text[])";
inline constexpr int kTokenCols = 3;
inline constexpr const char* kInsertMails =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created, work_address) SELECT k, "
    "r, p, t, t, w FROM unnest($1::text[], $2::text[], $3::text[], $4::bigint[], $5::boolean[]) "
    "AS v (k, r, p, t, w)";
inline constexpr int kMailCols = 5;
inline constexpr const char* kInsertLeaves =
    "INSERT INTO log_leaves (idx, entry, hash) SELECT * FROM unnest($1::bigint[], $2::bytea[], "
    "$3::bytea[])";
inline constexpr int kLeafCols = 3;
inline constexpr const char* kInsertNodes =
    "INSERT INTO log_nodes (level, idx, hash) SELECT * FROM unnest($1::smallint[], $2::bigint[], "
    "$3::bytea[]) ON CONFLICT (level, idx) DO NOTHING";
inline constexpr int kNodeCols = 3;

// A batch's count deltas, one row per campaign ($2-$8), added to node $1's rows, holding the
// node's row first (pg_nodes.h); RETURNING a row per campaign written (none if a fold
// took the node).
inline constexpr const char* kAddCountsRows =
    "INSERT INTO campaign_counts AS c (campaign_id, node, pending, confirmed, withdrawn, changes, "
    "last_change, groups) SELECT v.id, n.id, v.p, v.c, v.w, v.ch, v.t, v.g FROM (SELECT id FROM "
    "nodes WHERE id = $1::bigint FOR KEY SHARE) n, unnest($2::bigint[], $3::bigint[], "
    "$4::bigint[], $5::bigint[], $6::bigint[], $7::bigint[], $8::jsonb[]) AS v (id, p, c, w, ch, "
    "t, g) ON CONFLICT (campaign_id, node) DO UPDATE SET pending = c.pending + excluded.pending, "
    "confirmed = c.confirmed + excluded.confirmed, withdrawn = c.withdrawn + excluded.withdrawn, "
    "changes = c.changes + excluded.changes, last_change = greatest(c.last_change, "
    "excluded.last_change), groups = (SELECT coalesce(jsonb_object_agg(key, total), '{}') FROM "
    "(SELECT key, sum(value::bigint) AS total FROM (SELECT * FROM jsonb_each_text(c.groups) UNION "
    "ALL SELECT * FROM jsonb_each_text(excluded.groups)) u GROUP BY key) s) RETURNING 1";
inline constexpr int kAddCountsParams = 8;  // the node, then seven columns
// A batch's hourly count deltas (signature_hours, migration 7), added to node $1's rows: one
// row per campaign ($2) and hour ($3) it moved.
inline constexpr const char* kAddHoursRows =
    "INSERT INTO signature_hours AS h (campaign_id, hour, node, pending, confirmed, withdrawn) "
    "SELECT v.id, v.hr, $1::bigint, v.p, v.c, v.w FROM unnest($2::bigint[], $3::bigint[], "
    "$4::bigint[], $5::bigint[], $6::bigint[]) AS v (id, hr, p, c, w) ON CONFLICT (campaign_id, "
    "hour, node) DO UPDATE SET pending = h.pending + excluded.pending, confirmed = h.confirmed + "
    "excluded.confirmed, withdrawn = h.withdrawn + excluded.withdrawn";
inline constexpr int kAddHoursParams = 6;  // the node, then five columns
// A batch's tally deltas (signature_tallies, migration 8; store/tally_rollup.h), added to node
// $1's rows: one row per campaign ($2), tally ($3) and key ($4) it moved.
inline constexpr const char* kAddTalliesRows =
    "INSERT INTO signature_tallies AS t (campaign_id, kind, key, node, pending, confirmed) "
    "SELECT v.id, v.kind, v.key, $1::bigint, v.p, v.c FROM unnest($2::bigint[], $3::text[], "
    "$4::text[], $5::bigint[], $6::bigint[]) AS v (id, kind, key, p, c) ON CONFLICT "
    "(campaign_id, kind, key, node) DO UPDATE SET pending = t.pending + excluded.pending, "
    "confirmed = t.confirmed + excluded.confirmed";
inline constexpr int kAddTalliesParams = 6;  // the node, then five columns
// The log's next position ($2), written only if $1 (the batch took the log's lock).
inline constexpr const char* kSetLogNextIf =
    "UPDATE log_state SET next_index = $2::bigint WHERE only_row AND $1::boolean";
inline constexpr int kSetLogNextIfParams = 2;

// The rows a batch kept in memory (pg_tx.cc, FlushRows) in one statement: kUpsertPeople,
// kInsertSignatures, kInsertTokens, kInsertMails and kInsertLeaves as parts of one WITH, their
// parameters numbered on in that order (kFlushCols in all). One row per person the upsert
// returned (id, uuid, canonical_email, limit_tokens, limit_at; NULLs when none) with the count
// of signatures inserted. Built once from the parts (queries.cc).
const char* FlushStatement();
inline constexpr int kFlushCols = kPeopleCols + kSignatureCols + kTokenCols + kMailCols + kLeafCols;
// The end of a batch (FlushBatch) in one statement: FlushStatement's parts, then
// kAddCountsRows, kAddHoursRows, kAddTalliesRows and kSetLogNextIf (their parameters after
// kFlushCols, in that order); its rows as
// FlushStatement's with a seventh column, the count rows written.
const char* FlushBatchStatement();

}  // namespace undersigned::store::pg::sql
