#include "store/sqlite/sqlite_store.h"

#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <exception>
#include <filesystem>
#include <limits>
#include <mutex>
#include <string_view>
#include <thread>
#include <tuple>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "log/leaf.h"
#include "log/proof.h"
#include "log/tiles.h"
#include "store/json_text.h"
#include "store/public_ids.h"
#include "store/sealed_fields.h"
#include "store/sqlite/migrations.h"
#include "store/sqlite/page_check.h"
#include "store/sqlite/sqlite_db.h"

namespace undersigned::store {
namespace {

// ---------------------------------------------------------------------------------------------
// SQL. Every statement is a constant; values only enter through bound parameters.
//
// The statements of Sign() avoid RETURNING: SQLite runs RETURNING through an ephemeral table
// (a B-tree opened and closed per execution), which cost more than the whole rest of an
// insert. They read sqlite3_last_insert_rowid() instead.

#define US_CAMPAIGN_COLS                                                                        \
  "id, uuid, slug, title, demand, letter_markdown, targets, goal, deadline, status, language, " \
  "created, modified, identifiers, threshold, organizers, outcome, outcome_at, groups, "        \
  "anonymity_floor, time_zone, description, organized_by"

#define US_SIGNATURE_COLS                                                                   \
  "id, uuid, campaign_id, person_id, name, email, canonical_email, postal_code, country, "  \
  "comment, public_name, wants_updates, state, source, confirm_sends, created, modified, "  \
  "confirmed, (SELECT p.uuid FROM people p WHERE p.id = signatures.person_id), group_key, " \
  "protection, seal_threshold, sealed IS NOT NULL, verified, attestation"

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

constexpr const char* kBegin = "BEGIN IMMEDIATE";
constexpr const char* kCommit = "COMMIT";
constexpr const char* kRollback = "ROLLBACK";
constexpr const char* kSavepoint = "SAVEPOINT op";
constexpr const char* kRelease = "RELEASE op";
constexpr const char* kRollbackTo = "ROLLBACK TO op";

// campaigns
constexpr const char* kInsertCampaign =
    "INSERT INTO campaigns (uuid, slug, title, demand, letter_markdown, targets, goal, deadline, "
    "status, language, created, modified, identifiers, threshold, organizers, groups, "
    "anonymity_floor, time_zone, description, organized_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, "
    "?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20) RETURNING id";
constexpr const char* kInsertCounts =
    "INSERT INTO campaign_counts (campaign_id, last_change) VALUES (?1, ?2) "
    "ON CONFLICT (campaign_id) DO NOTHING";
constexpr const char* kUpdateCampaign =
    "UPDATE campaigns SET slug = ?2, title = ?3, demand = ?4, letter_markdown = ?5, targets = ?6, "
    "goal = ?7, deadline = ?8, status = ?9, language = ?10, identifiers = ?13, threshold = ?14, "
    "organizers = ?15, groups = ?16, anonymity_floor = ?17, time_zone = ?18, description = ?19, "
    "organized_by = ?20, modified = CASE WHEN ?11 > modified THEN ?11 ELSE max(modified, ?12) END "
    "WHERE id = ?1 "
    "RETURNING uuid, created, modified, outcome, outcome_at";
constexpr const char* kInsertText =
    "INSERT INTO campaign_texts (campaign_id, version, hash, created, demand, letter_markdown) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
constexpr const char* kLatestText =
    "SELECT version, hash FROM campaign_texts WHERE campaign_id = ?1 ORDER BY version DESC "
    "LIMIT 1";
constexpr const char* kCampaignTexts =
    "SELECT version, hash, created, demand, letter_markdown FROM campaign_texts "
    "WHERE campaign_id = ?1 ORDER BY version";
constexpr const char* kCampaignById = "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE id = ?1";
constexpr const char* kCampaignBySlug =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE slug = ?1";
constexpr const char* kCampaignByUuid =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE uuid = ?1";
// The status filter ?1 (NULL: any), compared with the status at time ?n (TimeFilter::status_at,
// as StatusAt in core/campaign.h: open with a deadline at or before it reads closed); with ?n
// NULL the comparison with the deadline is NULL and the stored status is compared.
#define US_STATUS_AT(n)                                            \
  "(?1 IS NULL OR (CASE WHEN status = 'open' AND deadline <= ?" #n \
  " THEN 'closed' ELSE "                                           \
  "status END) = ?1)"
// clang-format off
constexpr const char* kListCampaigns =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE " US_STATUS_AT(7) " AND "
    US_TIME_FILTER(2, 3) " ORDER BY created DESC, id DESC LIMIT ?4 OFFSET ?5";
constexpr const char* kCountCampaigns =
    "SELECT count(*) FROM campaigns WHERE " US_STATUS_AT(5) " AND " US_TIME_FILTER(2, 3);
// clang-format on
// Campaigns carrying a foreign identifier (exact match; ?6 in the list, ?4 in the count): a
// scan of the (small) campaigns table; identifiers is stored before the long columns, so the
// scan does not read letters.
#define US_HAS_IDENTIFIER(n) \
  "EXISTS (SELECT 1 FROM json_each(campaigns.identifiers) WHERE value = ?" #n ")"
// clang-format off
constexpr const char* kListCampaignsByIdentifier =
    "SELECT " US_CAMPAIGN_COLS " FROM campaigns WHERE " US_HAS_IDENTIFIER(6)
    " AND " US_STATUS_AT(7) " AND " US_TIME_FILTER(2, 3)
    " ORDER BY created DESC, id DESC LIMIT ?4 OFFSET ?5";
// clang-format on
constexpr const char* kCountCampaignsByIdentifier =
    "SELECT count(*) FROM campaigns WHERE " US_HAS_IDENTIFIER(4) " AND " US_STATUS_AT(
        5) " AND " US_TIME_FILTER(2, 3);

// counts
constexpr const char* kCountsOf =
    "SELECT pending, confirmed, withdrawn, last_change, changes, groups FROM campaign_counts "
    "WHERE campaign_id = ?1";
constexpr const char* kAllCounts =
    "SELECT campaign_id, pending, confirmed, withdrawn, last_change, changes, groups "
    "FROM campaign_counts";
constexpr const char* kSaveCounts =
    "INSERT INTO campaign_counts (campaign_id, pending, confirmed, withdrawn, last_change, "
    "changes, groups) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (campaign_id) DO UPDATE SET "
    "pending = excluded.pending, confirmed = excluded.confirmed, withdrawn = excluded.withdrawn, "
    "last_change = excluded.last_change, changes = excluded.changes, groups = excluded.groups";

// people
// ?10 the id a new person gets (RowIds), ?1 its public id.
constexpr const char* kUpsertPerson =
    "INSERT INTO people (id, uuid, canonical_email, email, given_name, family_name, postal_code, "
    "country, subscribed, created, modified) VALUES (?10, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9) "
    "ON CONFLICT (canonical_email) DO UPDATE SET email = excluded.email, given_name = "
    "excluded.given_name, family_name = excluded.family_name, postal_code = "
    "excluded.postal_code, country = excluded.country, subscribed = max(subscribed, "
    "excluded.subscribed), modified = excluded.modified";
constexpr const char* kLastPersonId = "SELECT coalesce(max(id), 0) FROM people";
constexpr const char* kPersonIdByEmail = "SELECT id, uuid FROM people WHERE canonical_email = ?1";
// A person keyed by an affiliation hash ("affiliation:...", see migrations.cc) stands for one
// verified signature, not for someone with an address: the API's people never include them.
#define US_NOT_AFFILIATION "substr(canonical_email, 1, 12) <> 'affiliation:'"
constexpr const char* kPersonById =
    "SELECT " US_PERSON_COLS " FROM people WHERE id = ?1 AND " US_NOT_AFFILIATION;
constexpr const char* kListPeople =
    "SELECT " US_PERSON_COLS " FROM people WHERE " US_NOT_AFFILIATION
    " AND " US_TIME_FILTER(1, 2) " ORDER BY id DESC LIMIT ?3 OFFSET ?4";
constexpr const char* kCountPeople =
    "SELECT count(*) FROM people WHERE " US_NOT_AFFILIATION " AND " US_TIME_FILTER(1, 2);
constexpr const char* kListPeopleByEmail =
    "SELECT " US_PERSON_COLS " FROM people WHERE canonical_email = ?5 AND " US_TIME_FILTER(
        1, 2) " ORDER BY id DESC LIMIT ?3 OFFSET ?4";
// The person signup helper and PUT /people/{id}: NULL leaves a field as it is.
constexpr const char* kSignupPerson =
    "INSERT INTO people (id, uuid, canonical_email, email, given_name, family_name, postal_code, "
    "country, subscribed, created, modified) VALUES (?1, ?2, ?3, ?4, coalesce(?5, ''), "
    "coalesce(?6, ''), coalesce(?7, ''), coalesce(?8, ''), coalesce(?9, 0), ?10, ?10) "
    "ON CONFLICT (canonical_email) DO UPDATE SET email = excluded.email, given_name = "
    "coalesce(?5, given_name), family_name = coalesce(?6, family_name), postal_code = "
    "coalesce(?7, postal_code), country = coalesce(?8, country), subscribed = coalesce(?9, "
    "subscribed), modified = max(modified, ?10)";
constexpr const char* kPersonByEmail =
    "SELECT " US_PERSON_COLS " FROM people WHERE canonical_email = ?1";
constexpr const char* kUpdatePerson =
    "UPDATE people SET given_name = coalesce(?2, given_name), family_name = coalesce(?3, "
    "family_name), postal_code = coalesce(?4, postal_code), country = coalesce(?5, country), "
    "subscribed = coalesce(?6, subscribed), modified = max(modified, ?7) WHERE id = ?1 "
    "AND " US_NOT_AFFILIATION " RETURNING " US_PERSON_COLS;
constexpr const char* kCountPeopleByEmail =
    "SELECT count(*) FROM people WHERE canonical_email = ?3 AND " US_TIME_FILTER(1, 2);

// signatures
// ?25 the id a new signature gets (RowIds), ?1 its public id.
constexpr const char* kInsertSignature =
    "INSERT INTO signatures (id, uuid, campaign_id, person_id, name, email, canonical_email, "
    "postal_code, country, comment, public_name, wants_updates, state, source, confirm_sends, "
    "created, modified, confirmed, log_salt, log_index, group_key, protection, seal_threshold, "
    "sealed, verified, attestation) VALUES (?25, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, "
    "?12, "
    "?13, ?14, ?15, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24) ON CONFLICT (campaign_id, "
    "person_id) DO NOTHING";
constexpr const char* kLastSignatureId =
    "SELECT id FROM signatures WHERE id BETWEEN (?1 << 40) AND (?1 << 40) + 1099511627775 "
    "ORDER BY id DESC LIMIT 1";
constexpr const char* kSignatureByPerson =
    "SELECT " US_SIGNATURE_COLS " FROM signatures WHERE campaign_id = ?1 AND person_id = ?2";
// Every token ever issued for a signature stays valid (signature_tokens): the link in an
// earlier mail still works after a re-send. Only a token of the signing kind confirms; any
// token withdraws (see migrations.cc).
constexpr const char* kSignatureByConfirmHash =
    "SELECT " US_SIGNATURE_COLS
    " FROM signatures WHERE id = (SELECT signature_id FROM signature_tokens WHERE hash = ?1 AND "
    "kind = 'signing')";
constexpr const char* kSignatureByWithdrawHash =
    "SELECT " US_SIGNATURE_COLS
    " FROM signatures WHERE id = (SELECT signature_id FROM signature_tokens WHERE hash = ?1)";
// A new token (?1) for signature ?2: of the signing kind (the "confirm" mail's), or
// withdraw-only (the "already_signed" mail's).
constexpr const char* kInsertSigningToken =
    "INSERT INTO signature_tokens (hash, signature_id, kind) VALUES (?1, ?2, 'signing')";
constexpr const char* kInsertWithdrawToken =
    "INSERT INTO signature_tokens (hash, signature_id, kind) VALUES (?1, ?2, 'withdraw')";
constexpr const char* kSignatureById = "SELECT " US_SIGNATURE_COLS " FROM signatures WHERE id = ?1";
// A fresh signing over a withdrawn row: everything but id, uuid, campaign and created.
constexpr const char* kResignSignature =
    "UPDATE signatures SET person_id = ?2, name = ?3, email = ?4, postal_code = ?5, country = ?6, "
    "comment = ?7, public_name = ?8, wants_updates = ?9, state = ?10, source = ?11, "
    "confirm_sends = ?12, modified = ?13, confirmed = ?14, group_key = ?15, protection = ?16, "
    "seal_threshold = ?17, sealed = ?18, verified = ?19, attestation = ?20 WHERE id = ?1";
// A trusted client re-recording an existing signature: its fields, confirmed.
constexpr const char* kRecordConfirmed =
    "UPDATE signatures SET person_id = ?2, name = ?3, email = ?4, postal_code = ?5, country = ?6, "
    "comment = ?7, public_name = ?8, wants_updates = ?9, state = 'confirmed', source = ?10, "
    "modified = ?11, confirmed = coalesce(confirmed, ?11), group_key = ?12, attestation = ?13 "
    "WHERE id = ?1";
// A re-send (its token is added to signature_tokens).
constexpr const char* kResend =
    "UPDATE signatures SET confirm_sends = confirm_sends + 1, modified = ?2 WHERE id = ?1";
constexpr const char* kConfirmSignature =
    "UPDATE signatures SET state = 'confirmed', confirmed = ?2, modified = ?2, verified = CASE "
    "WHEN verified IS NULL THEN NULL ELSE 1 END WHERE id = ?1";
constexpr const char* kWithdrawSignature =
    "UPDATE signatures SET state = 'withdrawn', modified = ?2 WHERE id = ?1";
constexpr const char* kRecentPublic =
    "SELECT name, comment, confirmed, group_key, verified, protection FROM signatures WHERE "
    "campaign_id = ?1 AND state = 'confirmed' AND public_name = 1 ORDER BY confirmed DESC "
    "LIMIT ?2";
// The reveal (see Reveal): a group's confirmed sealed signatures whose threshold is reached.
constexpr const char* kSealedToReveal =
    "SELECT id, sealed, seal_threshold FROM signatures WHERE campaign_id = ?1 AND group_key = ?2 "
    "AND sealed IS NOT NULL AND seal_threshold <= ?3 AND state = 'confirmed' AND protection = "
    "'sealed' ORDER BY id";
constexpr const char* kRevealSignature =
    "UPDATE signatures SET name = ?2, email = ?3, postal_code = ?4, country = ?5, comment = ?6, "
    "sealed = NULL, public_name = 1 WHERE id = ?1";
// A campaign's signatures, newest first; ?6 (list) / ?4 (count): a group key, or NULL for all.
constexpr const char* kListSignatures =
    "SELECT " US_SIGNATURE_COLS
    " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(1) " AND (?6 IS NULL OR "
    "group_key = ?6) AND " US_SIG_TIME_FILTER(2, 3) " ORDER BY id DESC LIMIT ?4 OFFSET ?5";
constexpr const char* kCountSignatures =
    "SELECT count(*) FROM signatures WHERE " US_SIG_IN_CAMPAIGN(
        1) " AND (?4 IS NULL OR group_key = ?4) "
    "AND " US_SIG_TIME_FILTER(2, 3);
// A person's signatures, newest first: "campaign_id IN (all campaigns)" lets the planner take
// the (campaign_id, person_id) index one campaign at a time instead of scanning signatures.
#define US_PERSON_SIGS                                                                       \
  " FROM signatures WHERE campaign_id IN (SELECT id FROM campaigns) AND person_id = ?1 AND " \
  "protection = 'none' AND " US_SIG_TIME_FILTER(2, 3)
constexpr const char* kListPersonSignatures =
    "SELECT " US_SIGNATURE_COLS US_PERSON_SIGS " ORDER BY id DESC LIMIT ?4 OFFSET ?5";
constexpr const char* kCountPersonSignatures = "SELECT count(*)" US_PERSON_SIGS;
#undef US_PERSON_SIGS
constexpr const char* kSetSignatureComment =
    "UPDATE signatures SET comment = ?2, modified = max(modified, ?3) WHERE id = ?1";
constexpr const char* kConfirmedOf =
    "SELECT " US_SIGNATURE_COLS
    " FROM signatures WHERE " US_SIG_IN_CAMPAIGN(1) " AND state = 'confirmed' ORDER BY id";

// organizations
#define US_ORGANIZATION_COLS                                                                 \
  "id, uuid, campaign_id, name, website, contact_email, canonical_email, statement, state, " \
  "logo IS NOT NULL, created, modified, decided"
constexpr const char* kInsertOrganization =
    "INSERT INTO organizations (uuid, campaign_id, name, website, contact_email, "
    "canonical_email, statement, state, confirm_hash, created, modified, logo) VALUES (?1, ?2, "
    "?3, ?4, ?5, ?6, ?7, 'pending', ?8, ?9, ?9, ?10)";
constexpr const char* kOrganizationByConfirm =
    "SELECT " US_ORGANIZATION_COLS " FROM organizations WHERE confirm_hash = ?1";
constexpr const char* kOrganizationByReview =
    "SELECT " US_ORGANIZATION_COLS " FROM organizations WHERE review_hash = ?1";
constexpr const char* kOrganizationByUuid =
    "SELECT " US_ORGANIZATION_COLS " FROM organizations WHERE uuid = ?1";
constexpr const char* kConfirmOrganization =
    "UPDATE organizations SET state = 'confirmed', review_hash = ?2, modified = ?3 WHERE id = ?1";
constexpr const char* kDecideOrganization =
    "UPDATE organizations SET state = ?2, decided = ?3, modified = ?3 WHERE id = ?1";
constexpr const char* kListOrganizations =
    "SELECT " US_ORGANIZATION_COLS
    " FROM organizations WHERE campaign_id = ?1 AND (?2 IS NULL OR state = ?2) ORDER BY id";
constexpr const char* kOrganizationLogo =
    "SELECT logo FROM organizations WHERE uuid = ?1 AND (?2 OR state = 'approved') AND logo IS "
    "NOT NULL";
// One "org_review" mail per organizer (?2 review token).
constexpr const char* kQueueOrganizationReview =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) "
    "SELECT 'org_review', o.value, json_object('campaign_title', c.title, 'campaign_slug', "
    "c.slug, 'language', c.language, 'organization_name', g.name, 'website', g.website, "
    "'review_token', ?2), ?3, ?3 FROM organizations g JOIN campaigns c ON c.id = g.campaign_id, "
    "json_each(c.organizers) o WHERE g.id = ?1";
constexpr const char* kTouchCampaign =
    "UPDATE campaigns SET modified = max(modified, ?2) WHERE id = ?1";
#undef US_ORGANIZATION_COLS

// API tokens
constexpr const char* kInsertToken =
    "INSERT INTO api_tokens (name, hash, created) VALUES (?1, ?2, ?3) RETURNING id";
constexpr const char* kRevokeTokens =
    "UPDATE api_tokens SET revoked = ?2 WHERE name = ?1 AND revoked IS NULL";
constexpr const char* kFindToken =
    "SELECT id, name, created, revoked FROM api_tokens WHERE hash = ?1 AND revoked IS NULL";

// outbox
constexpr const char* kInsertOutbox =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) VALUES (?1, ?2, ?3, ?4, "
    "?4)";
// Unsent messages come in two kinds (see migrations.cc): fresh ones (never tried) are the rows
// from outbox_fresh.from_id on with attempts = 0, in id order; tried ones are in outbox_retry.
#define US_FRESH_OUTBOX "id >= (SELECT from_id FROM outbox_fresh) AND sent IS NULL AND attempts = 0"
constexpr const char* kDueFreshOutbox =
    "SELECT " US_OUTBOX_COLS " FROM outbox WHERE " US_FRESH_OUTBOX
    " AND next_attempt <= ?1 ORDER BY id LIMIT ?2";
constexpr const char* kDueRetryOutbox =
    "SELECT " US_OUTBOX_COLS
    " FROM outbox WHERE sent IS NULL AND attempts > 0 AND next_attempt <= ?1 "
    "ORDER BY next_attempt, id LIMIT ?2";
// After a message was marked: from_id moves to the first fresh message left (or, if none is,
// to the last message, so that every message inserted later is at or after it).
constexpr const char* kAdvanceFreshOutbox =
    "UPDATE outbox_fresh SET from_id = coalesce((SELECT id FROM outbox WHERE " US_FRESH_OUTBOX
    " ORDER BY id LIMIT 1), (SELECT max(id) FROM outbox), 0)";
// Returns whether it cleared a work address (the recipient of the neutral verify mails).
constexpr const char* kMarkSent =
    "UPDATE outbox SET sent = coalesce(sent, ?2), payload = '', recipient = CASE WHEN kind IN "
    "('verify', 'verify_already') THEN '' ELSE recipient END WHERE id = ?1 "
    "RETURNING kind IN ('verify', 'verify_already')";
constexpr const char* kMarkFailed =
    "UPDATE outbox SET attempts = attempts + 1, next_attempt = ?2, last_error = ?3 WHERE id = ?1 "
    "AND sent IS NULL";
constexpr const char* kOutboxExists = "SELECT 1 FROM outbox WHERE id = ?1";
constexpr const char* kOutboxDepth =
    "SELECT (SELECT count(*) FROM outbox WHERE " US_FRESH_OUTBOX
    ") + (SELECT count(*) FROM outbox WHERE sent IS NULL AND attempts > 0 AND next_attempt < ?1)";
// A fresh message is due when it was made (next_attempt = created), so the first fresh one in id
// order is the one due first (up to clock steps back).
constexpr const char* kNextOutbox =
    "SELECT CASE WHEN f IS NULL THEN r WHEN r IS NULL THEN f ELSE min(f, r) END FROM (SELECT "
    "(SELECT next_attempt FROM outbox WHERE " US_FRESH_OUTBOX
    " ORDER BY id LIMIT 1) AS f, (SELECT min(next_attempt) FROM outbox WHERE sent IS NULL AND "
    "attempts > 0) AS r)";

// instance secrets
constexpr const char* kGetSecret = "SELECT value FROM instance_secrets WHERE name = ?1";
constexpr const char* kPutSecret =
    "INSERT INTO instance_secrets (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING";
constexpr const char* kReplaceSecret =
    "INSERT INTO instance_secrets (name, value) VALUES (?1, ?2) "
    "ON CONFLICT (name) DO UPDATE SET value = excluded.value";

// the signature log
constexpr const char* kInsertLeaf = "INSERT INTO log_leaves (idx, entry, hash) VALUES (?1, ?2, ?3)";
constexpr const char* kInsertNode = "INSERT INTO log_nodes (level, idx, hash) VALUES (?1, ?2, ?3)";
constexpr const char* kLeafHashRange =
    "SELECT idx, hash FROM log_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
constexpr const char* kNodeHashRange =
    "SELECT idx, hash FROM log_nodes WHERE level = ?3 AND idx >= ?1 AND idx < ?2 ORDER BY idx";
constexpr const char* kLeafEntryRange =
    "SELECT idx, entry FROM log_leaves WHERE idx >= ?1 AND idx < ?2 ORDER BY idx";
constexpr const char* kAllLeaves = "SELECT idx, entry, hash FROM log_leaves ORDER BY idx";
constexpr const char* kLogSize = "SELECT coalesce(max(idx) + 1, 0) FROM log_leaves";
constexpr const char* kLogSalt = "SELECT log_salt FROM signatures WHERE id = ?1";
constexpr const char* kSetLogSalt =
    "UPDATE signatures SET log_salt = ?2, log_index = coalesce(?3, log_index) WHERE id = ?1";
constexpr const char* kCampaignUuid = "SELECT uuid FROM campaigns WHERE id = ?1";
constexpr const char* kConfirmedCounts =
    "SELECT c.id, c.uuid, c.slug, coalesce(cc.confirmed, 0), coalesce(cc.groups, '{}') "
    "FROM campaigns c LEFT JOIN "
    "campaign_counts cc ON cc.campaign_id = c.id ORDER BY c.id";
constexpr const char* kSaveCheckpoint =
    "INSERT INTO log_checkpoints (size, note, counts, created) VALUES (?1, ?2, ?3, ?4) "
    "ON CONFLICT (size) DO NOTHING";
constexpr const char* kLatestCheckpoint =
    "SELECT size, note, counts, created FROM log_checkpoints ORDER BY size DESC LIMIT 1";
constexpr const char* kReceiptByConfirmHash =
    "SELECT s.campaign_id, s.state, s.log_index, s.log_salt, l.entry FROM signatures s "
    "LEFT JOIN log_leaves l ON l.idx = s.log_index WHERE s.id = (SELECT signature_id FROM "
    "signature_tokens WHERE hash = ?1 AND kind = 'signing')";

// campaign thresholds and outcomes
constexpr const char* kCampaignRules =
    "SELECT threshold, outcome, deadline, groups, title, slug, language, "
    "(SELECT hash FROM campaign_texts t WHERE t.campaign_id = c.id ORDER BY version DESC "
    "LIMIT 1) FROM campaigns c WHERE id = ?1";
constexpr const char* kDecideCampaign =
    "UPDATE campaigns SET outcome = ?2, outcome_at = ?3, modified = max(modified, ?3) "
    "WHERE id = ?1 AND outcome = 'pending'";
// One "outcome" mail per confirmed signer (?2 outcome, ?3 confirmed count, ?4 now).
constexpr const char* kQueueOutcomeToSigners =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) "
    "SELECT 'outcome', s.email, json_object('outcome', ?2, 'role', 'signer', 'campaign_title', "
    "c.title, 'campaign_slug', c.slug, 'language', c.language, 'threshold', c.threshold, "
    "'confirmed', ?3), ?4, ?4 FROM signatures s JOIN campaigns c ON c.id = s.campaign_id "
    "WHERE s." US_SIG_IN_CAMPAIGN(1) " AND s.state = 'confirmed' AND s.email <> ''";
// ... the sealed addresses of confirmed signers, with the payload of their mail, for Decide to
// open one by one ...
constexpr const char* kSealedOutcomeRecipients =
    "SELECT s.sealed, json_object('outcome', ?2, 'role', 'signer', 'campaign_title', c.title, "
    "'campaign_slug', c.slug, 'language', c.language, 'threshold', c.threshold, 'confirmed', ?3) "
    "FROM signatures s JOIN campaigns c ON c.id = s.campaign_id WHERE s.campaign_id = ?1 AND "
    "s.state = 'confirmed' AND s.sealed IS NOT NULL";
// ... and one per organizer.
constexpr const char* kQueueOutcomeToOrganizers =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) "
    "SELECT 'outcome', o.value, json_object('outcome', ?2, 'role', 'organizer', "
    "'campaign_title', c.title, 'campaign_slug', c.slug, 'language', c.language, 'threshold', "
    "c.threshold, 'confirmed', ?3), ?4, ?4 FROM campaigns c, json_each(c.organizers) o "
    "WHERE c.id = ?1";
constexpr const char* kDueCampaigns =
    "SELECT id, threshold FROM campaigns WHERE threshold IS NOT NULL AND outcome = 'pending' "
    "AND deadline <= ?1 ORDER BY id";
constexpr const char* kNextOutcomeDeadline =
    "SELECT min(deadline) FROM campaigns WHERE threshold IS NOT NULL AND outcome = 'pending'";

#undef US_CAMPAIGN_COLS
#undef US_SIGNATURE_COLS
#undef US_PERSON_COLS
#undef US_OUTBOX_COLS
#undef US_TIME_FILTER
#undef US_SIG_TIME_FILTER
#undef US_SIG_MODIFIED
#undef US_HAS_IDENTIFIER
#undef US_SIG_IN_CAMPAIGN
#undef US_FRESH_OUTBOX
#undef US_NOT_AFFILIATION

// ---------------------------------------------------------------------------------------------
// Helpers.

UnixTime SystemNow() { return static_cast<UnixTime>(std::time(nullptr)); }

// Counts forks (a pthread_atfork child handler), so that random pools are refilled in a child.
std::atomic<unsigned> g_forks{0};
unsigned Forks() {
  static const bool registered = [] {
    pthread_atfork(nullptr, nullptr, [] { g_forks.fetch_add(1, std::memory_order_relaxed); });
    return true;
  }();
  (void)registered;
  return g_forks.load(std::memory_order_relaxed);
}

// Random bytes from a per-thread pool that libsodium refills 4 KiB at a time: one getrandom(2)
// per few hundred uuids and salts instead of one each, on the signing path. Refilled after a
// fork, so that two processes never hand out the same bytes.
void RandomBytes(void* out, std::size_t n) {
  struct Pool {
    unsigned char bytes[4096];
    std::size_t used = sizeof bytes;
    unsigned forks = 0;
  };
  thread_local Pool pool;
  if (n > sizeof pool.bytes / 4) {
    randombytes_buf(out, n);
    return;
  }
  const unsigned forks = Forks();
  if (pool.used + n > sizeof pool.bytes || pool.forks != forks) {
    randombytes_buf(pool.bytes, sizeof pool.bytes);
    pool.used = 0;
    pool.forks = forks;
  }
  std::memcpy(out, pool.bytes + pool.used, n);
  sodium_memzero(pool.bytes + pool.used, n);  // handed out once
  pool.used += n;
}

// A UUIDv7 (RFC 9562): 48 bits of Unix milliseconds, then random bits. Time-ordered, so a new
// row appends to the uuid index instead of dirtying a random page of it on every insert.
std::string NewUuid() {
  std::array<unsigned char, 16> b;
  RandomBytes(b.data(), b.size());
  auto ms = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(
                                           std::chrono::system_clock::now().time_since_epoch())
                                           .count());
  for (int i = 0; i < 6; ++i) b[i] = static_cast<unsigned char>(ms >> (8 * (5 - i)));
  b[6] = static_cast<unsigned char>((b[6] & 0x0f) | 0x70);  // version 7
  b[8] = static_cast<unsigned char>((b[8] & 0x3f) | 0x80);  // RFC 4122 variant
  return FormatUuid(b);
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// The stored form of a token hash: a hex string (hex SHA-256 is what the service makes; a
// time-ordered hex prefix before it is welcome, see the header) is stored as its bytes, halving
// the unique indexes; anything else is kept byte for byte. Hex digits are case-insensitive.
std::string HashKey(std::string_view hash) {
  if (hash.size() >= 32 && hash.size() % 2 == 0) {
    std::string out(hash.size() / 2, '\0');
    bool ok = true;
    for (std::size_t i = 0; i < out.size() && ok; ++i) {
      int hi = HexValue(hash[2 * i]);
      int lo = HexValue(hash[2 * i + 1]);
      ok = hi >= 0 && lo >= 0;
      out[i] = static_cast<char>((hi << 4) | lo);
    }
    if (ok) return out;
  }
  return std::string(hash);
}

// base (a JSON object, or empty for {}) with extra string members appended, without parsing
// base: the payload is built once per signature on the hot path.
Result<std::string> ExtendPayload(
    std::string_view base, std::initializer_list<std::pair<const char*, std::string_view>> extra) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!base.empty() && is_space(base.front())) base.remove_prefix(1);
  while (!base.empty() && is_space(base.back())) base.remove_suffix(1);
  std::string out;
  out.reserve(base.size() + 256);
  bool empty_object = true;
  if (base.empty()) {
    out = "{";
  } else {
    if (base.size() < 2 || base.front() != '{' || base.back() != '}') {
      return Fail(Code::kInternal, "mail payload is not a JSON object");
    }
    base.remove_suffix(1);
    for (char c : base.substr(1)) {
      if (!is_space(c)) {
        empty_object = false;
        break;
      }
    }
    out.append(base);
  }
  for (const auto& [key, value] : extra) {
    if (!empty_object) out.push_back(',');
    empty_object = false;
    AppendJsonString(out, key);
    out.push_back(':');
    AppendJsonString(out, value);
  }
  out.push_back('}');
  return out;
}

std::string TargetsJson(const std::vector<Target>& targets) {
  nlohmann::json arr = nlohmann::json::array();
  for (const Target& t : targets) {
    arr.push_back({{"name", t.name},
                   {"title", t.title},
                   {"organization", t.organization},
                   {"x_handle", t.x_handle},
                   {"bluesky_handle", t.bluesky_handle},
                   {"mastodon_handle", t.mastodon_handle}});
  }
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<Target>> ParseTargets(std::string_view text) {
  nlohmann::json arr = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!arr.is_array()) return Fail(Code::kInternal, "stored campaign targets are not a JSON array");
  std::vector<Target> out;
  out.reserve(arr.size());
  auto str = [](const nlohmann::json& o, const char* key) -> std::string {
    auto it = o.find(key);
    if (it == o.end() || !it->is_string()) return {};
    return it->get<std::string>();
  };
  for (const auto& o : arr) {
    if (!o.is_object()) continue;
    out.push_back(Target{str(o, "name"), str(o, "title"), str(o, "organization"),
                         str(o, "x_handle"), str(o, "bluesky_handle"), str(o, "mastodon_handle")});
  }
  return out;
}

std::string GroupsJson(const std::vector<SignerGroup>& groups) {
  nlohmann::json arr = nlohmann::json::array();
  for (const SignerGroup& g : groups) {
    nlohmann::json o = {{"key", g.key},
                        {"name", g.name},
                        {"kind", GroupKindName(g.kind)},
                        {"organization", g.organization},
                        {"domains", g.domains},
                        {"attestation", g.attestation},
                        {"seal_thresholds", g.seal_thresholds}};
    if (g.goal) o["goal"] = *g.goal;
    arr.push_back(std::move(o));
  }
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<SignerGroup>> ParseGroups(std::string_view text) {
  if (text == "[]") return std::vector<SignerGroup>{};
  nlohmann::json arr = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!arr.is_array()) return Fail(Code::kInternal, "stored campaign groups are not a JSON array");
  std::vector<SignerGroup> out;
  try {
    for (const auto& o : arr) {
      SignerGroup g;
      g.key = o.at("key").get<std::string>();
      g.name = o.at("name").get<std::string>();
      g.kind = ParseGroupKind(o.at("kind").get<std::string>()).value_or(GroupKind::kPublic);
      g.organization = o.value("organization", "");
      g.domains = o.value("domains", std::vector<std::string>{});
      g.attestation = o.value("attestation", "");
      g.seal_thresholds = o.value("seal_thresholds", std::vector<std::int64_t>{});
      if (o.contains("goal")) g.goal = o.at("goal").get<std::int64_t>();
      out.push_back(std::move(g));
    }
  } catch (const nlohmann::json::exception&) {
    return Fail(Code::kInternal, "stored campaign groups are malformed");
  }
  return out;
}

// Group counts as campaign_counts.groups keeps them: {"key": confirmed}.
std::string GroupCountsJson(const std::vector<GroupCount>& groups) {
  if (groups.empty()) return "{}";
  nlohmann::json o = nlohmann::json::object();
  for (const GroupCount& g : groups) o[g.key] = g.confirmed;
  return o.dump();
}

std::vector<GroupCount> ParseGroupCounts(std::string_view text) {
  std::vector<GroupCount> out;
  if (text == "{}" || text.empty()) return out;
  nlohmann::json o = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!o.is_object()) return out;
  for (const auto& [key, value] : o.items()) {
    if (value.is_number_integer()) out.push_back(GroupCount{key, value.get<std::int64_t>()});
  }
  return out;
}

// A campaign's foreign identifiers as a JSON array of strings.
std::string IdentifiersJson(const std::vector<std::string>& ids) {
  nlohmann::json arr = nlohmann::json::array();
  for (const std::string& id : ids) arr.push_back(id);
  return arr.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<std::vector<std::string>> ParseIdentifiers(std::string_view text) {
  nlohmann::json arr = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  if (!arr.is_array()) {
    return Fail(Code::kInternal, "stored campaign identifiers are not a JSON array");
  }
  std::vector<std::string> out;
  out.reserve(arr.size());
  for (const auto& id : arr) {
    if (id.is_string()) out.push_back(id.get<std::string>());
  }
  return out;
}

// A signature's group key, the public group for none. A reference, since statements bind text
// without copying it.
const std::string& KeyOrPublic(const std::string& key) {
  static const std::string kPublic = kPublicGroupKey;
  return key.empty() ? kPublic : key;
}

SignatureState ParseState(std::string_view s) {
  if (s == "confirmed") return SignatureState::kConfirmed;
  if (s == "withdrawn") return SignatureState::kWithdrawn;
  return SignatureState::kPending;
}

Result<Campaign> CampaignFromRow(const Stmt& st) {
  Campaign c;
  c.id = st.Int(0);
  c.uuid = st.Text(1);
  c.slug = st.Text(2);
  c.title = st.Text(3);
  c.demand = st.Text(4);
  c.letter_markdown = st.Text(5);
  auto targets = ParseTargets(st.View(6));
  if (!targets) return Fail(targets.error());
  c.targets = std::move(*targets);
  c.goal = st.Int(7);
  c.deadline = st.OptInt(8);
  c.status = ParseStatus(st.View(9)).value_or(CampaignStatus::kDraft);
  c.language = st.Text(10);
  c.created = st.Int(11);
  c.modified = st.Int(12);
  auto identifiers = ParseIdentifiers(st.View(13));
  if (!identifiers) return Fail(identifiers.error());
  c.identifiers = std::move(*identifiers);
  c.threshold = st.OptInt(14);
  auto organizers = ParseIdentifiers(st.View(15));
  if (!organizers) return Fail(organizers.error());
  c.organizers = std::move(*organizers);
  c.outcome = ParseOutcome(st.View(16)).value_or(CampaignOutcome::kPending);
  c.outcome_at = st.OptInt(17);
  auto groups = ParseGroups(st.View(18));
  if (!groups) return Fail(groups.error());
  c.groups = std::move(*groups);
  c.anonymity_floor = static_cast<int>(st.Int(19));
  c.time_zone = st.Text(20);
  c.description = st.Text(21);
  c.organized_by = st.Text(22);
  return c;
}

Signature SignatureFromRow(const Stmt& st) {
  Signature s;
  s.id = st.Int(0);
  s.uuid = st.Text(1);
  s.campaign_id = st.Int(2);
  s.person_id = st.Int(3);
  s.form.name = st.Text(4);
  s.form.email = st.Text(5);
  s.canonical_email = st.Text(6);
  s.form.postal_code = st.Text(7);
  s.form.country = st.Text(8);
  s.form.comment = st.Text(9);
  s.form.public_name = st.Bool(10);
  s.form.wants_updates = st.Bool(11);
  s.state = ParseState(st.View(12));
  s.source = st.Text(13);
  s.confirm_sends = static_cast<int>(st.Int(14));
  s.created = st.Int(15);
  s.modified = st.Int(16);
  s.confirmed = st.OptInt(17);
  s.person_uuid = st.Text(18);
  s.form.group = st.Text(19);
  s.form.protection = ParseProtection(st.View(20)).value_or(Protection::kNone);
  s.form.seal_threshold = st.OptInt(21).value_or(0);
  s.sealed = st.Bool(22);
  s.verified = st.OptInt(23).value_or(0) == 1;
  s.attestation = st.Text(24);
  return s;
}

Person PersonFromRow(const Stmt& st) {
  Person p;
  p.id = st.Int(0);
  p.uuid = st.Text(1);
  p.given_name = st.Text(2);
  p.family_name = st.Text(3);
  p.email = st.Text(4);
  p.canonical_email = st.Text(5);
  p.postal_code = st.Text(6);
  p.country = st.Text(7);
  p.subscribed = st.Bool(8);
  p.created = st.Int(9);
  p.modified = st.Int(10);
  return p;
}

Organization OrganizationFromRow(const Stmt& st) {
  Organization o;
  o.id = st.Int(0);
  o.uuid = st.Text(1);
  o.campaign_id = st.Int(2);
  o.form.name = st.Text(3);
  o.form.website = st.Text(4);
  o.form.contact_email = st.Text(5);
  o.canonical_email = st.Text(6);
  o.form.statement = st.Text(7);
  o.state = ParseOrganizationState(st.View(8)).value_or(OrganizationState::kPending);
  o.has_logo = st.Bool(9);
  o.created = st.Int(10);
  o.modified = st.Int(11);
  o.decided = st.OptInt(12);
  return o;
}

OutboxMessage OutboxFromRow(const Stmt& st) {
  OutboxMessage m;
  m.id = st.Int(0);
  m.kind = st.Text(1);
  m.recipient = st.Text(2);
  m.payload = st.Text(3);
  m.attempts = static_cast<int>(st.Int(4));
  m.next_attempt = st.Int(5);
  m.created = st.Int(6);
  m.last_error = st.Text(7);
  return m;
}

struct Limits {
  std::int64_t limit;
  std::int64_t offset;
};
Limits PageLimits(Page p) {
  std::int64_t per = std::clamp(p.per_page, 1, 1000);
  std::int64_t page = std::max(p.page, 1);
  return {per, (page - 1) * per};
}

const char* StatusOrNull(const std::optional<CampaignStatus>& s) {
  return s ? StatusName(*s) : nullptr;
}

// Runs a query expected to return at most one row, mapping it with fn. kNotFound (with
// not_found as message) if there is no row.
template <typename F>
auto QueryOne(Db& db, Stmt& st, std::string_view not_found, F&& fn)
    -> Result<std::decay_t<decltype(*fn(st))>> {
  int rc = st.Step();
  if (rc == SQLITE_ROW) return fn(st);
  if (rc == SQLITE_DONE) return Fail(Code::kNotFound, std::string(not_found));
  return Fail(db.ErrorFor(rc, "reading"));
}

template <typename T>
Result<T> Wrap(T v) {
  return v;
}

Result<Campaign> ReadCampaign(Db& db, const char* sql, auto bind) {
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  bind(*st);
  return QueryOne(db, *st, "no such campaign", [](Stmt& s) { return CampaignFromRow(s); });
}

Result<CampaignCounts> ReadCounts(Db& db, std::int64_t campaign_id) {
  auto st = db.Prepare(kCountsOf);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  int rc = st->Step();
  CampaignCounts c;
  if (rc == SQLITE_ROW) {
    c.pending = st->Int(0);
    c.confirmed = st->Int(1);
    c.withdrawn = st->Int(2);
    c.last_change = st->Int(3);
    c.changes = st->Int(4);
    c.groups = ParseGroupCounts(st->View(5));
  } else if (rc != SQLITE_DONE) {
    return Fail(db.ErrorFor(rc, "reading counts"));
  }
  return c;
}

Result<Signature> ReadSignature(Db& db, const char* sql, std::string_view key, bool blob) {
  auto st = db.Prepare(sql);
  if (!st) return Fail(st.error());
  if (blob) {
    st->BindBlob(1, key);
  } else {
    st->Bind(1, key);
  }
  return QueryOne(db, *st, "no such signature", [](Stmt& s) { return Wrap(SignatureFromRow(s)); });
}

Result<void> StepDone(Db& db, Stmt& st, std::string_view what) {
  int rc = st.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, what));
  return {};
}

// ---------------------------------------------------------------------------------------------
// The signature log's storage.

Result<log::Hash> HashFromBlob(std::string_view blob) {
  log::Hash h{};
  if (blob.size() != h.size()) return Fail(Code::kInternal, "a stored log hash is not 32 bytes");
  std::memcpy(h.data(), blob.data(), h.size());
  return h;
}

std::string_view BlobOf(const log::Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

// count consecutive hashes at a stored level: leaf hashes for level 0, log_nodes at the tile
// levels above (8, 16, ...; see StoresNodesOf).
Result<std::vector<log::Hash>> ReadStoredHashRange(Db& db, std::uint8_t level, std::uint64_t first,
                                                   std::uint64_t count) {
  auto st = db.Prepare(level == 0 ? kLeafHashRange : kNodeHashRange);
  if (!st) return Fail(st.error());
  st->Bind(1, static_cast<std::int64_t>(first)).Bind(2, static_cast<std::int64_t>(first + count));
  if (level != 0) st->Bind(3, static_cast<std::int64_t>(level));
  std::vector<log::Hash> out;
  out.reserve(count);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    if (static_cast<std::uint64_t>(st->Int(0)) != first + out.size()) break;  // a gap
    auto h = HashFromBlob(st->View(1));
    if (!h) return Fail(h.error());
    out.push_back(*h);
  }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the log"));
  if (out.size() != count) return Fail(Code::kNotFound, "no such log node");
  return out;
}

// log_nodes keeps only the nodes of the tile levels (multiples of log::kTileHeight): they are
// what tiles serve, and any other node is at most 2^7 = 128 hashes of the tile level below it.
// Keeping every level cost each appended leaf another insert, and each commit a page per level.
bool StoresNodesOf(std::uint8_t level) { return level % log::kTileHeight == 0; }

// count consecutive hashes at any level: read from the tile level at or below it and hashed up.
Result<std::vector<log::Hash>> ReadHashRange(Db& db, std::uint8_t level, std::uint64_t first,
                                             std::uint64_t count) {
  if (StoresNodesOf(level)) return ReadStoredHashRange(db, level, first, count);
  const int up = level % log::kTileHeight;
  const auto base = static_cast<std::uint8_t>(level - up);
  if (first > (std::numeric_limits<std::uint64_t>::max() >> up) ||
      count > (std::uint64_t{1} << (56 - up))) {
    return Fail(Code::kNotFound, "no such log node");
  }
  auto hashes = ReadStoredHashRange(db, base, first << up, count << up);
  if (!hashes) return Fail(hashes.error());
  std::vector<log::Hash>& h = *hashes;
  for (int l = 0; l < up; ++l) {
    const std::size_t n = h.size() / 2;
    for (std::size_t i = 0; i < n; ++i) h[i] = log::NodeHash(h[2 * i], h[2 * i + 1]);
    h.resize(n);
  }
  return hashes;
}

// Reads perfect-subtree hashes straight from one connection (used to restore the writer's
// compact range at open).
class DbNodeReader final : public log::NodeReader {
 public:
  explicit DbNodeReader(Db& db) : db_(db) {}
  Result<log::Hash> Node(std::uint8_t level, std::uint64_t index) override {
    auto r = ReadHashRange(db_, level, index, 1);
    if (!r) return Fail(r.error());
    return r->front();
  }

 private:
  Db& db_;
};

// The writer's side of the log: the compact range of the committed tree plus what the batch
// being written appended, and the SQL that persists each leaf and every node it completes.
// Operations append through Batch::log(); a rolled-back operation (or batch) puts the range back
// where it was. Writer thread only.
class LogWriter {
 public:
  LogWriter(Db& db, bool enabled, log::CompactRange range)
      : db_(db), enabled_(enabled), range_(std::move(range)) {
    range_.set_visitor([this](std::uint8_t level, std::uint64_t index, const log::Hash& hash) {
      if (error_) return;
      if (auto r = Persist(level, index, hash); !r) error_ = r.error();
    });
  }
  LogWriter(const LogWriter&) = delete;
  LogWriter& operator=(const LogWriter&) = delete;

  bool enabled() const { return enabled_; }
  std::uint64_t size() const { return range_.Size(); }
  log::Hash Root() const { return range_.Root(); }

  // Appends one entry: its leaf row and the node rows it completes. Returns its index.
  Result<std::uint64_t> Append(std::string_view entry) {
    return AppendHashed(entry, log::LeafHash(entry));
  }
  // The same with the entry's LeafHash computed by the caller (off the writer thread).
  Result<std::uint64_t> AppendHashed(std::string_view entry, const log::Hash& leaf_hash) {
    if (!op_saved_) {
      op_snapshot_ = {range_.Size(), range_.Hashes()};
      op_saved_ = true;
    }
    const std::uint64_t index = range_.Size();
    pending_entry_ = entry;
    error_.reset();
    range_.Append(leaf_hash);
    if (error_) return Fail(*std::exchange(error_, std::nullopt));
    return index;
  }

  // The campaign's uuid (leaves name campaigns by uuid, which never changes).
  Result<std::string> CampaignUuid(std::int64_t campaign_id) {
    auto it = uuids_.find(campaign_id);
    if (it != uuids_.end()) return it->second;
    auto st = db_.Prepare(kCampaignUuid);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db_.ErrorFor(rc, "reading the campaign"));
    return uuids_.emplace(campaign_id, st->Text(0)).first->second;
  }

  void BeginBatch() { batch_snapshot_ = {range_.Size(), range_.Hashes()}; }
  void AbortBatch() { Restore(batch_snapshot_); }
  void BeginOp() { op_saved_ = false; }
  void AbortOp() {
    if (op_saved_) Restore(op_snapshot_);
    op_saved_ = false;
  }

 private:
  struct Snapshot {
    std::uint64_t size = 0;
    std::vector<log::Hash> hashes;
  };
  void Restore(const Snapshot& s) { range_.Reset(s.size, s.hashes); }

  Result<void> Persist(std::uint8_t level, std::uint64_t index, const log::Hash& hash) {
    if (!StoresNodesOf(level)) return {};
    if (level == 0) {
      auto st = db_.Prepare(kInsertLeaf);
      if (!st) return Fail(st.error());
      st->Bind(1, static_cast<std::int64_t>(index)).BindBlob(2, pending_entry_);
      st->BindBlob(3, BlobOf(hash));
      return StepDone(db_, *st, "appending to the log");
    }
    auto st = db_.Prepare(kInsertNode);
    if (!st) return Fail(st.error());
    st->Bind(1, static_cast<int>(level)).Bind(2, static_cast<std::int64_t>(index));
    st->BindBlob(3, BlobOf(hash));
    return StepDone(db_, *st, "appending to the log");
  }

  Db& db_;
  const bool enabled_;
  log::CompactRange range_;
  Snapshot batch_snapshot_;
  Snapshot op_snapshot_;
  bool op_saved_ = false;
  std::string_view pending_entry_;
  std::optional<Error> error_;
  std::unordered_map<std::int64_t, std::string> uuids_;
};

// The row ids of new people and signatures, handed out by the writer. They are chosen by the
// store, not by SQLite, because the public id (store/public_ids.h) is made from the row id and
// goes in with the row. A signature's id is its campaign's id times 2^40 plus its number in the
// campaign (see US_SIG_IN_CAMPAIGN); a person's is the next after the largest.
//
// The next id of each is read from the table at its first use and counted on in memory. If
// another process inserted rows meanwhile, the insert meets a primary-key conflict: Forget()
// and take again. A rolled-back insert leaves a gap, which is harmless. Writer thread only.
class RowIds {
 public:
  static constexpr int kCampaignShift = 40;
  static constexpr std::int64_t kMaxCampaign = (std::int64_t{1} << (63 - kCampaignShift)) - 1;

  // The id the next new person gets (call Took() once it was inserted).
  Result<std::int64_t> NextPerson(Db& db) {
    if (!next_person_) {
      auto st = db.Prepare(kLastPersonId);
      if (!st) return Fail(st.error());
      int rc = st->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the last person id"));
      next_person_ = st->Int(0) + 1;
    }
    return *next_person_;
  }
  void TookPerson() { ++*next_person_; }

  // The id the next new signature of a campaign gets (call TookSignature() once inserted).
  Result<std::int64_t> NextSignature(Db& db, std::int64_t campaign_id) {
    if (campaign_id < 1 || campaign_id > kMaxCampaign) {
      return Fail(Code::kInternal, "campaign id out of the range signature ids can hold");
    }
    auto it = next_signature_.find(campaign_id);
    if (it == next_signature_.end()) {
      const std::int64_t base = campaign_id << kCampaignShift;
      auto st = db.Prepare(kLastSignatureId);
      if (!st) return Fail(st.error());
      st->Bind(1, campaign_id);
      int rc = st->Step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return Fail(db.ErrorFor(rc, "reading the last signature id"));
      }
      const std::int64_t next = (rc == SQLITE_ROW ? st->Int(0) : base) + 1;
      it = next_signature_.emplace(campaign_id, next).first;
    }
    if (it->second - (campaign_id << kCampaignShift) >= (std::int64_t{1} << kCampaignShift)) {
      return Fail(Code::kInternal, "a campaign holds at most 2^40 signatures");
    }
    return it->second;
  }
  void TookSignature(std::int64_t campaign_id) { ++next_signature_.at(campaign_id); }

  void Forget() {
    next_person_.reset();
    next_signature_.clear();
  }

 private:
  std::optional<std::int64_t> next_person_;
  std::unordered_map<std::int64_t, std::int64_t> next_signature_;
};

// Binds a PersonChange's five fields from parameter first on (NULL for an absent one).
void BindChange(Stmt& st, int first, const PersonChange& change) {
  st.Bind(first, change.given_name).Bind(first + 1, change.family_name);
  st.Bind(first + 2, change.postal_code).Bind(first + 3, change.country);
  st.Bind(first + 4, change.subscribed);
}

// True if rc is a primary-key conflict (another process took the id RowIds handed out).
bool IsPrimaryKeyConflict(Db& db, int rc) {
  return (rc & 0xff) == SQLITE_CONSTRAINT &&
         sqlite3_extended_errcode(db.raw()) == SQLITE_CONSTRAINT_PRIMARYKEY;
}

// ---------------------------------------------------------------------------------------------
// The store.

// State of the batch being written, shared by the operations in it. Counts are read from the
// database at a campaign's first touch in the batch, changed in memory by each operation after
// its SQL succeeded, and written once per campaign just before COMMIT.
class Batch {
 public:
  Batch(Db& db, LogWriter& log) : db_(db), log_(log) {}
  Db& db() { return db_; }
  LogWriter& log() { return log_; }
  // The counts of a campaign as this batch has them so far, if it touched it.
  const CampaignCounts* Peek(std::int64_t campaign_id) const {
    auto it = counts_.find(campaign_id);
    return it == counts_.end() ? nullptr : &it->second.counts;
  }

  Result<CampaignCounts*> Counts(std::int64_t campaign_id) {
    auto it = counts_.find(campaign_id);
    if (it != counts_.end()) return &it->second.counts;
    auto c = ReadCounts(db_, campaign_id);
    if (!c) return Fail(c.error());
    return &counts_.emplace(campaign_id, Entry{*c, false}).first->second.counts;
  }
  // REQUIRES: Counts(campaign_id) succeeded in this batch. Call only once the operation's SQL is
  // done, so that a rolled-back operation never changes counts.
  CampaignCounts Apply(std::int64_t campaign_id, int pending, int confirmed, int withdrawn,
                       UnixTime now) {
    Entry& e = counts_.at(campaign_id);
    e.counts.pending += pending;
    e.counts.confirmed += confirmed;
    e.counts.withdrawn += withdrawn;
    e.counts.last_change = std::max(e.counts.last_change, now);
    e.counts.changes += 1;
    e.dirty = true;
    return e.counts;
  }
  // A group's confirmed count moves by delta (call before the Apply of the same change).
  // REQUIRES: Counts(campaign_id) succeeded in this batch.
  std::int64_t ApplyGroup(std::int64_t campaign_id, const std::string& key, int delta) {
    Entry& e = counts_.at(campaign_id);
    e.dirty = true;  // (a move between groups changes no other count, and must be saved too)
    for (GroupCount& g : e.counts.groups) {
      if (g.key == key) return g.confirmed += delta;
    }
    e.counts.groups.push_back(GroupCount{key, delta});
    return delta;
  }
  Result<void> Flush() {
    for (auto& [id, e] : counts_) {
      if (!e.dirty) continue;
      auto st = db_.Prepare(kSaveCounts);
      if (!st) return Fail(st.error());
      st->Bind(1, id).Bind(2, e.counts.pending).Bind(3, e.counts.confirmed);
      st->Bind(4, e.counts.withdrawn).Bind(5, e.counts.last_change).Bind(6, e.counts.changes);
      const std::string groups = GroupCountsJson(e.counts.groups);  // bound without a copy
      st->Bind(7, groups);
      if (auto r = StepDone(db_, *st, "saving counts"); !r) return r;
    }
    return {};
  }
  // What the writer needs to know of a campaign: its threshold, outcome and deadline (each
  // counted signature asks), its signer groups (counts by group, the reveal) and the texts of
  // the mails it queues. Read once per batch; deciding or editing a campaign forgets its entry.
  struct Rules {
    std::optional<std::int64_t> threshold;
    bool pending = true;
    std::optional<UnixTime> deadline;
    std::vector<SignerGroup> groups;  // declared groups (empty: not counted by group)
    std::string title, slug, language;
    std::string text_hash;  // the current CampaignText's, named in every leaf
  };
  Result<const Rules*> RulesOf(std::int64_t campaign_id) {
    auto it = rules_.find(campaign_id);
    if (it != rules_.end()) return &it->second;
    auto st = db_.Prepare(kCampaignRules);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db_.ErrorFor(rc, "reading the campaign"));
    auto groups = ParseGroups(st->View(3));
    if (!groups) return Fail(groups.error());
    Rules t{st->OptInt(0), st->View(1) == "pending",
            st->OptInt(2), std::move(*groups),
            st->Text(4),   st->Text(5),
            st->Text(6),   st->Text(7)};
    return &rules_.emplace(campaign_id, t).first->second;
  }
  void ForgetRules(std::int64_t campaign_id) { rules_.erase(campaign_id); }

  void Clear() {
    counts_.clear();
    rules_.clear();
    cleared_addresses_ = 0;
  }

  // An operation cleared a work address from the outbox: its old copies must leave the WAL
  // (see "Work addresses" in sqlite_store.h).
  void NoteClearedAddress() { ++cleared_addresses_; }
  int cleared_addresses() const { return cleared_addresses_; }

  // An operation that succeeded but wants nothing it wrote kept (e.g. kResendLimit) calls this;
  // its savepoint is rolled back.
  void Discard() { discard_ = true; }
  bool TakeDiscard() { return std::exchange(discard_, false); }

 private:
  struct Entry {
    CampaignCounts counts;
    bool dirty;
  };
  Db& db_;
  LogWriter& log_;
  int cleared_addresses_ = 0;
  std::unordered_map<std::int64_t, Entry> counts_;
  std::unordered_map<std::int64_t, Rules> rules_;
  bool discard_ = false;
};

// The log leaf of a signature that counts at once, made before queueing (off the writer
// thread): its salt goes into the signature's insert, the leaf is appended right after.
struct PreparedLeaf {
  std::string salt;
  std::string entry;  // empty: built on the writer (no campaign uuid or text hash was given)
  log::Hash hash{};
  std::string text;  // the text hash entry names; the writer rebuilds it if that is not current
};

// One queued write. A blocking write (Write) lives on the caller's stack until done is
// released; an asynchronous one (WriteAsync) lives on the heap and `complete` answers and frees
// it.
struct WriteOp {
  bool (*run)(void* fn, Batch& batch) = nullptr;  // false: roll back this op
  void* fn = nullptr;
  void (*complete)(WriteOp* op) = nullptr;  // set: Finish calls it instead of waking a waiter
  std::optional<Error> batch_error;         // set if the whole transaction failed
  // Completion: a plain mutex and condition variable, which sleep in the kernel at once
  // (std::binary_semaphore spins and yields first, which costs dozens of waiting threads CPU
  // that the writer needs).
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;

  void Finish() {
    if (complete != nullptr) {
      complete(this);  // frees *this
      return;
    }
    std::lock_guard lk(mu);
    done = true;
    cv.notify_one();  // under the lock: the waiter cannot return and free *this before this
  }
  void Wait() {
    std::unique_lock lk(mu);
    cv.wait(lk, [this] { return done; });
  }
};

class SqliteStore final : public Store {
 public:
  // wal_fd: a descriptor of the -wal file to fdatasync after commits, or -1 to answer callers
  // right after COMMIT (synchronous_full off). Owned from here on.
  // log_range: the log's compact range as stored (restored by OpenSqliteStore).
  SqliteStore(SqliteOptions options, std::unique_ptr<Db> writer,
              std::vector<std::unique_ptr<Db>> readers, std::unique_ptr<Db> checkpointer,
              int wal_fd, log::CompactRange log_range)
      : options_(std::move(options)),
        wal_path_(options_.path + "-wal"),
        writer_(std::move(writer)),
        log_(std::make_unique<LogWriter>(*writer_, options_.log_enabled, std::move(log_range))),
        readers_(std::move(readers)),
        checkpointer_(std::move(checkpointer)),
        wal_fd_(wal_fd),
        scrub_wanted_(options_.scrub_wal_at_open),
        scrub_by_(std::chrono::steady_clock::now()) {
    for (auto& r : readers_) free_readers_.push_back(r.get());
    sqlite3_wal_hook(writer_->raw(), &SqliteStore::WalHook, this);
    if (wal_fd_ >= 0) syncer_ = std::thread([this] { SyncLoop(); });
    checkpoint_thread_ = std::thread([this] { CheckpointLoop(); });
    thread_ = std::thread([this] { WriterLoop(); });
  }
  ~SqliteStore() override {
    Close();
    if (wal_fd_ >= 0) ::close(wal_fd_);
  }

  // Called once by OpenSqliteStore, before the store is handed out: the keys made from
  // instance secrets (sealed fields, public ids).
  Result<void> LoadSealKey() {
    auto key = InstanceSecret("seal-key");
    if (!key) return Fail(key.error());
    sealer_ = std::make_unique<FieldSealer>(*key);
    auto id_key = InstanceSecret("id-key");
    if (!id_key) return Fail(id_key.error());
    public_ids_ = std::make_unique<PublicIds>(*id_key);
    return {};
  }

  SqliteStats Stats() const {
    return {transactions_.load(),  operations_.load(),   max_batch_seen_.load(),
            pages_written_.load(), syncs_.load(),        checkpoints_.load(),
            wal_scrubs_.load(),    scrub_pending_.load()};
  }

  // --- campaigns
  Result<Campaign> CreateCampaign(const Campaign& in) override {
    Campaign c = in;
    if (c.uuid.empty()) c.uuid = NewUuid();
    if (c.created == 0) c.created = SystemNow();
    if (c.modified == 0) c.modified = c.created;
    std::string targets = TargetsJson(c.targets);
    std::string identifiers = IdentifiersJson(c.identifiers);
    std::string organizers = IdentifiersJson(c.organizers);
    std::string groups = GroupsJson(c.groups);
    c.outcome = CampaignOutcome::kPending;
    c.outcome_at.reset();
    return Write<Campaign>([&](Batch& b) -> Result<Campaign> {
      Db& db = b.db();
      auto st = db.Prepare(kInsertCampaign);
      if (!st) return Fail(st.error());
      st->Bind(1, c.uuid).Bind(2, c.slug).Bind(3, c.title).Bind(4, c.demand);
      st->Bind(5, c.letter_markdown).Bind(6, targets).Bind(7, c.goal).Bind(8, c.deadline);
      st->Bind(9, StatusName(c.status)).Bind(10, c.language).Bind(11, c.created);
      st->Bind(12, c.modified).Bind(13, identifiers).Bind(14, c.threshold).Bind(15, organizers);
      st->Bind(16, groups).Bind(17, c.anonymity_floor).Bind(18, c.time_zone);
      st->Bind(19, c.description).Bind(20, c.organized_by);
      int rc = st->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "creating the campaign"));
      c.id = st->Int(0);
      st->Reset();
      auto counts = db.Prepare(kInsertCounts);
      if (!counts) return Fail(counts.error());
      counts->Bind(1, c.id).Bind(2, c.created);
      if (auto r = StepDone(db, *counts, "creating the campaign counts"); !r)
        return Fail(r.error());
      if (auto r = KeepText(db, c, c.created); !r) return Fail(r.error());
      return c;
    });
  }

  Result<Campaign> UpdateCampaign(const Campaign& in) override {
    Campaign c = in;
    // modified moves: to c.modified if the caller set it later than the stored one (callers
    // pass their clock's now), else to the system's now.
    const UnixTime system_now = SystemNow();
    std::string targets = TargetsJson(c.targets);
    std::string identifiers = IdentifiersJson(c.identifiers);
    std::string organizers = IdentifiersJson(c.organizers);
    std::string groups = GroupsJson(c.groups);
    return Write<Campaign>([&](Batch& b) -> Result<Campaign> {
      Db& db = b.db();
      b.ForgetRules(c.id);
      auto st = db.Prepare(kUpdateCampaign);
      if (!st) return Fail(st.error());
      st->Bind(1, c.id).Bind(2, c.slug).Bind(3, c.title).Bind(4, c.demand);
      st->Bind(5, c.letter_markdown).Bind(6, targets).Bind(7, c.goal).Bind(8, c.deadline);
      st->Bind(9, StatusName(c.status)).Bind(10, c.language).Bind(11, c.modified);
      st->Bind(12, system_now).Bind(13, identifiers).Bind(14, c.threshold).Bind(15, organizers);
      st->Bind(16, groups).Bind(17, c.anonymity_floor).Bind(18, c.time_zone);
      st->Bind(19, c.description).Bind(20, c.organized_by);
      int rc = st->Step();
      if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such campaign");
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "updating the campaign"));
      c.uuid = st->Text(0);
      c.created = st->Int(1);
      c.modified = st->Int(2);
      // The outcome is the store's to decide: what is stored stands.
      c.outcome = ParseOutcome(st->View(3)).value_or(CampaignOutcome::kPending);
      c.outcome_at = st->OptInt(4);
      st->Reset();
      if (auto r = KeepText(db, c, c.modified); !r) return Fail(r.error());
      return c;
    });
  }

  Result<std::vector<CampaignText>> CampaignTexts(std::int64_t campaign_id) override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kCampaignTexts);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id);
    std::vector<CampaignText> out;
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) {
      out.push_back(
          {static_cast<int>(st->Int(0)), st->Text(1), st->Int(2), st->Text(3), st->Text(4)});
    }
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the campaign's texts"));
    return out;
  }

  // Keeps c's demand and letter as a new version of its text, dated `when`, unless they are
  // the current version already.
  static Result<void> KeepText(Db& db, const Campaign& c, UnixTime when) {
    const std::string hash = log::TextHash(c.demand, c.letter_markdown);
    auto latest = db.Prepare(kLatestText);
    if (!latest) return Fail(latest.error());
    latest->Bind(1, c.id);
    std::int64_t version = 0;
    int rc = latest->Step();
    if (rc == SQLITE_ROW) {
      if (latest->View(1) == hash) return {};
      version = latest->Int(0);
    } else if (rc != SQLITE_DONE) {
      return Fail(db.ErrorFor(rc, "reading the campaign's text"));
    }
    latest->Reset();
    auto st = db.Prepare(kInsertText);
    if (!st) return Fail(st.error());
    st->Bind(1, c.id).Bind(2, version + 1).Bind(3, hash).Bind(4, when);
    st->Bind(5, c.demand).Bind(6, c.letter_markdown);
    return StepDone(db, *st, "keeping the campaign's text");
  }

  Result<Campaign> GetCampaignBySlug(const std::string& slug) override {
    auto r = Reader();
    return ReadCampaign(*r, kCampaignBySlug, [&](Stmt& st) { st.Bind(1, slug); });
  }
  Result<Campaign> GetCampaignByUuid(const std::string& uuid) override {
    auto r = Reader();
    return ReadCampaign(*r, kCampaignByUuid, [&](Stmt& st) { st.Bind(1, uuid); });
  }
  Result<Campaign> GetCampaignById(std::int64_t id) override {
    auto r = Reader();
    return ReadCampaign(*r, kCampaignById, [&](Stmt& st) { st.Bind(1, id); });
  }

  Result<Paged<Campaign>> ListCampaigns(std::optional<CampaignStatus> status,
                                        const TimeFilter& filter, Page page) override {
    return ListCampaignsWhere(nullptr, status, filter, page);
  }
  Result<Paged<Campaign>> ListCampaignsByIdentifier(const std::string& identifier,
                                                    std::optional<CampaignStatus> status,
                                                    const TimeFilter& filter, Page page) override {
    return ListCampaignsWhere(&identifier, status, filter, page);
  }

  // ListCampaigns restricted to the campaigns carrying identifier among their foreign
  // identifiers (exact match) if identifier is not null.
  Result<Paged<Campaign>> ListCampaignsWhere(const std::string* identifier,
                                             std::optional<CampaignStatus> status,
                                             const TimeFilter& filter, Page page) {
    auto r = Reader();
    Db& db = *r;
    Limits lim = PageLimits(page);
    const char* status_name = StatusOrNull(status);
    Paged<Campaign> out;
    {
      auto st = db.Prepare(identifier ? kCountCampaignsByIdentifier : kCountCampaigns);
      if (!st) return Fail(st.error());
      BindOptText(*st, 1, status_name);
      st->Bind(2, filter.modified_after).Bind(3, filter.modified_before);
      if (identifier) st->Bind(4, *identifier);
      st->Bind(5, filter.status_at);
      int rc = st->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting campaigns"));
      out.total = st->Int(0);
    }
    if (lim.offset >= out.total) return out;
    auto st = db.Prepare(identifier ? kListCampaignsByIdentifier : kListCampaigns);
    if (!st) return Fail(st.error());
    BindOptText(*st, 1, status_name);
    st->Bind(2, filter.modified_after).Bind(3, filter.modified_before);
    st->Bind(4, lim.limit).Bind(5, lim.offset);
    if (identifier) st->Bind(6, *identifier);
    st->Bind(7, filter.status_at);
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) {
      auto c = CampaignFromRow(*st);
      if (!c) return Fail(c.error());
      out.items.push_back(std::move(*c));
    }
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing campaigns"));
    return out;
  }

  Result<std::map<std::int64_t, CampaignCounts>> LoadAllCounts() override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kAllCounts);
    if (!st) return Fail(st.error());
    std::map<std::int64_t, CampaignCounts> out;
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) {
      out[st->Int(0)] = CampaignCounts{st->Int(1), st->Int(2), st->Int(3),
                                       st->Int(4), st->Int(5), ParseGroupCounts(st->View(6))};
    }
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading counts"));
    return out;
  }

  // --- signatures
  Result<SignOutcome> Sign(const NewSignature& s) override {
    const SignPrep prep = PrepareSign(s);
    return Write<SignOutcome>([&](Batch& b) { return SignOp(b, s, prep); });
  }

  void SignAsync(NewSignature s, std::function<void(Result<SignOutcome>)> done) override {
    auto prep = std::make_shared<const SignPrep>(PrepareSign(s));
    WriteAsync<SignOutcome>(
        [this, s = std::move(s), prep = std::move(prep)](Batch& b) { return SignOp(b, s, *prep); },
        std::move(done));
  }

  Result<TokenOutcome> Confirm(const std::string& token_hash, UnixTime now) override {
    std::string key = HashKey(token_hash);
    return Write<TokenOutcome>([&](Batch& b) -> Result<TokenOutcome> {
      Db& db = b.db();
      auto sig = ReadSignature(db, kSignatureByConfirmHash, key, true);
      if (!sig) return Fail(sig.error());
      if (sig->state == SignatureState::kWithdrawn) {
        return Fail(Code::kConflict, "the signature was withdrawn");
      }
      auto counts = b.Counts(sig->campaign_id);
      if (!counts) return Fail(counts.error());
      auto campaign =
          ReadCampaign(db, kCampaignById, [&](Stmt& st) { st.Bind(1, sig->campaign_id); });
      if (!campaign) return Fail(campaign.error());
      TokenOutcome out;
      if (sig->state == SignatureState::kPending) {
        auto st = db.Prepare(kConfirmSignature);
        if (!st) return Fail(st.error());
        st->Bind(1, sig->id).Bind(2, now);
        if (auto r = StepDone(db, *st, "confirming"); !r) return Fail(r.error());
        sig->state = SignatureState::kConfirmed;
        sig->confirmed = now;
        sig->modified = now;
        if (auto r = AppendLeaf(b, *sig, log::LeafEvent::kConfirm, now); !r) {
          return Fail(r.error());
        }
        if (const SignerGroup* g = FindGroup(*campaign, sig->form.group);
            g != nullptr && ProvenByDomain(g->kind)) {
          sig->verified = true;  // the link followed went to the work address
        }
        auto group_count = CountGroup(b, sig->campaign_id, sig->form.group, 1);
        if (!group_count) return Fail(group_count.error());
        if (*group_count > 0) {
          auto revealed = Reveal(b, sig->campaign_id, sig->form.group, *group_count, now);
          if (!revealed) return Fail(revealed.error());
          out.revealed = *revealed;
          if (sig->sealed && sig->form.seal_threshold <= *group_count) sig->sealed = false;
        }
        auto decided = MaybeSucceed(b, sig->campaign_id, (*counts)->confirmed + 1, now);
        if (!decided) return Fail(decided.error());
        if (*decided) {
          out.campaign_decided = true;
          campaign->outcome = CampaignOutcome::kSucceeded;
          campaign->outcome_at = now;
        }
        out.changed = true;
        out.counts = b.Apply(sig->campaign_id, -1, 1, 0, now);
      } else {
        out.counts = **counts;
      }
      out.signature = std::move(*sig);
      out.campaign = std::move(*campaign);
      return out;
    });
  }

  Result<TokenOutcome> Withdraw(const std::string& token_hash, UnixTime now) override {
    std::string key = HashKey(token_hash);
    return Write<TokenOutcome>([&](Batch& b) -> Result<TokenOutcome> {
      Db& db = b.db();
      auto sig = ReadSignature(db, kSignatureByWithdrawHash, key, true);
      if (!sig) return Fail(sig.error());
      auto counts = b.Counts(sig->campaign_id);
      if (!counts) return Fail(counts.error());
      auto campaign =
          ReadCampaign(db, kCampaignById, [&](Stmt& st) { st.Bind(1, sig->campaign_id); });
      if (!campaign) return Fail(campaign.error());
      TokenOutcome out;
      if (sig->state != SignatureState::kWithdrawn) {
        auto st = db.Prepare(kWithdrawSignature);
        if (!st) return Fail(st.error());
        st->Bind(1, sig->id).Bind(2, now);
        if (auto r = StepDone(db, *st, "withdrawing"); !r) return Fail(r.error());
        bool was_pending = sig->state == SignatureState::kPending;
        if (!was_pending) {
          if (auto r = AppendLeaf(b, *sig, log::LeafEvent::kWithdraw, now); !r) {
            return Fail(r.error());
          }
          if (auto r = CountGroup(b, sig->campaign_id, sig->form.group, -1); !r) {
            return Fail(r.error());
          }
        }
        sig->state = SignatureState::kWithdrawn;
        sig->modified = now;
        out.changed = true;
        out.counts = b.Apply(sig->campaign_id, was_pending ? -1 : 0, was_pending ? 0 : -1, 1, now);
      } else {
        out.counts = **counts;
      }
      out.signature = std::move(*sig);
      out.campaign = std::move(*campaign);
      return out;
    });
  }

  Result<TokenOutcome> FindByConfirmToken(const std::string& hash) override {
    return FindByToken(kSignatureByConfirmHash, hash);
  }
  Result<TokenOutcome> FindByWithdrawToken(const std::string& hash) override {
    return FindByToken(kSignatureByWithdrawHash, hash);
  }

  Result<std::vector<PublicSigner>> RecentPublicSigners(std::int64_t campaign_id,
                                                        int limit) override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kRecentPublic);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id).Bind(2, std::max(limit, 0));
    std::vector<PublicSigner> out;
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) {
      PublicSigner p{st->Text(0),
                     st->Text(1),
                     st->Int(2),
                     st->Text(3),
                     st->OptInt(4).value_or(0) == 1,
                     st->View(5) == "anonymous"};
      if (st->View(5) != "none") p.confirmed = StartOfDay(p.confirmed);
      out.push_back(std::move(p));
    }
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading signers"));
    return out;
  }

  Result<Paged<Signature>> ListSignatures(std::int64_t campaign_id, const TimeFilter& filter,
                                          Page page) override {
    return ListSignaturesWhere(campaign_id, nullptr, filter, page);
  }
  Result<Paged<Signature>> ListSignaturesInGroup(std::int64_t campaign_id,
                                                 const std::string& group_key,
                                                 const TimeFilter& filter, Page page) override {
    return ListSignaturesWhere(campaign_id, &group_key, filter, page);
  }

  // ListSignatures restricted to one group if group is not null.
  Result<Paged<Signature>> ListSignaturesWhere(std::int64_t campaign_id, const std::string* group,
                                               const TimeFilter& filter, Page page) {
    auto r = Reader();
    Db& db = *r;
    Limits lim = PageLimits(page);
    Paged<Signature> out;
    if (!filter.modified_after && !filter.modified_before && group == nullptr) {
      // Every row is counted in exactly one of the three counts; no need to scan.
      auto c = ReadCounts(db, campaign_id);
      if (!c) return Fail(c.error());
      out.total = c->pending + c->confirmed + c->withdrawn;
    } else {
      auto st = db.Prepare(kCountSignatures);
      if (!st) return Fail(st.error());
      st->Bind(1, campaign_id).Bind(2, filter.modified_after).Bind(3, filter.modified_before);
      BindOptText(*st, 4, group != nullptr ? group->c_str() : nullptr);
      int rc = st->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting signatures"));
      out.total = st->Int(0);
    }
    if (lim.offset >= out.total) return out;
    auto st = db.Prepare(kListSignatures);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id).Bind(2, filter.modified_after).Bind(3, filter.modified_before);
    st->Bind(4, lim.limit).Bind(5, lim.offset);
    BindOptText(*st, 6, group != nullptr ? group->c_str() : nullptr);
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) out.items.push_back(SignatureFromRow(*st));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing signatures"));
    return out;
  }

  Result<Signature> GetSignatureByUuid(const std::string& uuid) override {
    const auto id = public_ids_->RowId(IdKind::kSignature, uuid);
    if (!id) return Fail(Code::kNotFound, "no such signature");
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kSignatureById);
    if (!st) return Fail(st.error());
    st->Bind(1, *id);
    return QueryOne(db, *st, "no such signature",
                    [](Stmt& s) { return Wrap(SignatureFromRow(s)); });
  }

  Result<void> ForEachConfirmed(std::int64_t campaign_id,
                                const std::function<bool(const Signature&)>& fn) override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kConfirmedOf);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id);
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) {
      if (!fn(SignatureFromRow(*st))) return {};
    }
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading signatures"));
    return {};
  }

  // --- people
  Result<Paged<Person>> ListPeople(const std::optional<std::string>& canonical_email,
                                   const TimeFilter& filter, Page page) override {
    auto r = Reader();
    Db& db = *r;
    Limits lim = PageLimits(page);
    Paged<Person> out;
    {
      auto st = db.Prepare(canonical_email ? kCountPeopleByEmail : kCountPeople);
      if (!st) return Fail(st.error());
      st->Bind(1, filter.modified_after).Bind(2, filter.modified_before);
      if (canonical_email) st->Bind(3, *canonical_email);
      int rc = st->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting people"));
      out.total = st->Int(0);
    }
    if (lim.offset >= out.total) return out;
    auto st = db.Prepare(canonical_email ? kListPeopleByEmail : kListPeople);
    if (!st) return Fail(st.error());
    st->Bind(1, filter.modified_after).Bind(2, filter.modified_before);
    st->Bind(3, lim.limit).Bind(4, lim.offset);
    if (canonical_email) st->Bind(5, *canonical_email);
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) out.items.push_back(PersonFromRow(*st));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing people"));
    return out;
  }

  Result<Person> GetPersonByUuid(const std::string& uuid) override {
    const auto id = public_ids_->RowId(IdKind::kPerson, uuid);
    if (!id) return Fail(Code::kNotFound, "no such person");
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kPersonById);
    if (!st) return Fail(st.error());
    st->Bind(1, *id);
    return QueryOne(db, *st, "no such person", [](Stmt& s) { return Wrap(PersonFromRow(s)); });
  }

  Result<Person> UpsertPerson(const std::string& email, const std::string& canonical_email,
                              const PersonChange& change, UnixTime now) override {
    return Write<Person>([&](Batch& b) -> Result<Person> {
      Db& db = b.db();
      for (int attempt = 0;; ++attempt) {
        auto id = row_ids_.NextPerson(db);
        if (!id) return Fail(id.error());
        // Bound as a view: it must outlive the Step below.
        const std::string uuid = public_ids_->Uuid(IdKind::kPerson, *id);
        auto st = db.Prepare(kSignupPerson);
        if (!st) return Fail(st.error());
        st->Bind(1, *id).Bind(2, uuid);
        st->Bind(3, canonical_email).Bind(4, email);
        BindChange(*st, 5, change);
        st->Bind(10, now);
        // An upsert does not set the last insert rowid when it updates: 0 then means "existed".
        db.SetLastInsertId(0);
        const int rc = st->Step();
        if (rc == SQLITE_DONE) break;
        if (attempt == 0 && IsPrimaryKeyConflict(db, rc)) {
          row_ids_.Forget();
          continue;
        }
        return Fail(db.ErrorFor(rc, "saving the person"));
      }
      if (db.LastInsertId() != 0) row_ids_.TookPerson();
      auto st = db.Prepare(kPersonByEmail);
      if (!st) return Fail(st.error());
      st->Bind(1, canonical_email);
      return QueryOne(db, *st, "no such person", [](Stmt& s) { return Wrap(PersonFromRow(s)); });
    });
  }

  Result<Person> UpdatePerson(const std::string& uuid, const PersonChange& change,
                              UnixTime now) override {
    const auto id = public_ids_->RowId(IdKind::kPerson, uuid);
    if (!id) return Fail(Code::kNotFound, "no such person");
    return Write<Person>([&](Batch& b) -> Result<Person> {
      Db& db = b.db();
      auto st = db.Prepare(kUpdatePerson);
      if (!st) return Fail(st.error());
      st->Bind(1, *id);
      BindChange(*st, 2, change);
      st->Bind(7, now);
      return QueryOne(db, *st, "no such person", [](Stmt& s) { return Wrap(PersonFromRow(s)); });
    });
  }

  Result<Paged<Signature>> ListPersonSignatures(std::int64_t person_id, const TimeFilter& filter,
                                                Page page) override {
    auto r = Reader();
    Db& db = *r;
    Limits lim = PageLimits(page);
    Paged<Signature> out;
    {
      auto st = db.Prepare(kCountPersonSignatures);
      if (!st) return Fail(st.error());
      st->Bind(1, person_id).Bind(2, filter.modified_after).Bind(3, filter.modified_before);
      int rc = st->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting signatures"));
      out.total = st->Int(0);
    }
    if (lim.offset >= out.total) return out;
    auto st = db.Prepare(kListPersonSignatures);
    if (!st) return Fail(st.error());
    st->Bind(1, person_id).Bind(2, filter.modified_after).Bind(3, filter.modified_before);
    st->Bind(4, lim.limit).Bind(5, lim.offset);
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) out.items.push_back(SignatureFromRow(*st));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing signatures"));
    return out;
  }

  Result<Signature> SetSignatureComment(const std::string& uuid, const std::string& comment,
                                        UnixTime now) override {
    const auto id = public_ids_->RowId(IdKind::kSignature, uuid);
    if (!id) return Fail(Code::kNotFound, "no such signature");
    return Write<Signature>([&](Batch& b) -> Result<Signature> {
      Db& db = b.db();
      auto st = db.Prepare(kSetSignatureComment);
      if (!st) return Fail(st.error());
      st->Bind(1, *id).Bind(2, comment).Bind(3, now);
      if (auto done = StepDone(db, *st, "saving the comment"); !done) return Fail(done.error());
      if (db.Changes() == 0) return Fail(Code::kNotFound, "no such signature");
      auto read = db.Prepare(kSignatureById);
      if (!read) return Fail(read.error());
      read->Bind(1, *id);
      return QueryOne(db, *read, "no such signature",
                      [](Stmt& s) { return Wrap(SignatureFromRow(s)); });
    });
  }

  // --- organizations
  Result<Organization> AddOrganization(const NewOrganization& in) override {
    Organization o;
    o.uuid = in.uuid.empty() ? NewUuid() : in.uuid;
    o.campaign_id = in.campaign_id;
    o.form = in.form;
    o.canonical_email = in.canonical_email;
    o.has_logo = !in.logo_png.empty();
    o.created = o.modified = in.now;
    const std::string confirm_key = HashKey(in.confirm_token_hash);
    auto payload = ExtendPayload(in.mail_payload, {{"confirm_token", in.confirm_token},
                                                   {"organization_name", in.form.name}});
    if (!payload) return Fail(payload.error());
    return Write<Organization>([&](Batch& b) -> Result<Organization> {
      Db& db = b.db();
      auto st = db.Prepare(kInsertOrganization);
      if (!st) return Fail(st.error());
      st->Bind(1, o.uuid).Bind(2, o.campaign_id).Bind(3, o.form.name).Bind(4, o.form.website);
      st->Bind(5, o.form.contact_email).Bind(6, o.canonical_email).Bind(7, o.form.statement);
      st->BindBlob(8, confirm_key).Bind(9, in.now);
      if (in.logo_png.empty()) {
        st->BindNull(10);
      } else {
        st->BindBlob(10, in.logo_png);
      }
      int rc = st->Step();
      if (rc == SQLITE_CONSTRAINT) {
        return Fail(Code::kConflict,
                    "This address has already put an organization on this letter; follow the "
                    "link we sent to it.");
      }
      if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "saving the organization"));
      o.id = db.LastInsertId();
      st->Reset();
      auto mail = db.Prepare(kInsertOutbox);
      if (!mail) return Fail(mail.error());
      mail->Bind(1, "org_confirm").Bind(2, o.form.contact_email).Bind(3, *payload).Bind(4, in.now);
      if (auto r = StepDone(db, *mail, "queueing mail"); !r) return Fail(r.error());
      return o;
    });
  }

  Result<OrganizationOutcome> ConfirmOrganization(const std::string& confirm_token_hash,
                                                  const std::string& review_token,
                                                  const std::string& review_token_hash,
                                                  UnixTime now) override {
    const std::string key = HashKey(confirm_token_hash);
    const std::string review_key = HashKey(review_token_hash);
    return Write<OrganizationOutcome>([&](Batch& b) -> Result<OrganizationOutcome> {
      Db& db = b.db();
      auto out = ReadOrganization(db, kOrganizationByConfirm, key, true);
      if (!out) return Fail(out.error());
      if (out->organization.state != OrganizationState::kPending) return out;
      auto st = db.Prepare(kConfirmOrganization);
      if (!st) return Fail(st.error());
      st->Bind(1, out->organization.id).BindBlob(2, review_key).Bind(3, now);
      if (auto r = StepDone(db, *st, "confirming the organization"); !r) return Fail(r.error());
      st->Reset();
      auto mail = db.Prepare(kQueueOrganizationReview);
      if (!mail) return Fail(mail.error());
      mail->Bind(1, out->organization.id).Bind(2, review_token).Bind(3, now);
      if (auto r = StepDone(db, *mail, "queueing the review mail"); !r) return Fail(r.error());
      out->organization.state = OrganizationState::kConfirmed;
      out->organization.modified = now;
      out->changed = true;
      return out;
    });
  }

  Result<OrganizationOutcome> FindOrganizationByConfirmToken(const std::string& hash) override {
    auto r = Reader();
    return ReadOrganization(*r, kOrganizationByConfirm, HashKey(hash), true);
  }
  Result<OrganizationOutcome> FindOrganizationByReviewToken(const std::string& hash) override {
    auto r = Reader();
    return ReadOrganization(*r, kOrganizationByReview, HashKey(hash), true);
  }

  Result<OrganizationOutcome> DecideOrganization(const std::string& uuid, bool approve,
                                                 UnixTime now) override {
    return Write<OrganizationOutcome>([&](Batch& b) -> Result<OrganizationOutcome> {
      Db& db = b.db();
      auto out = ReadOrganization(db, kOrganizationByUuid, uuid, false);
      if (!out) return Fail(out.error());
      Organization& o = out->organization;
      const OrganizationState target =
          approve ? OrganizationState::kApproved : OrganizationState::kRejected;
      if (o.state == target) return out;
      if (o.state == OrganizationState::kPending) {
        return Fail(Code::kConflict, "The organization has not confirmed its contact address yet.");
      }
      if (o.state != OrganizationState::kConfirmed) {
        return Fail(Code::kConflict, std::string("The organization was already ") +
                                         OrganizationStateName(o.state) + ".");
      }
      auto st = db.Prepare(kDecideOrganization);
      if (!st) return Fail(st.error());
      st->Bind(1, o.id).Bind(2, OrganizationStateName(target)).Bind(3, now);
      if (auto r = StepDone(db, *st, "deciding on the organization"); !r) return Fail(r.error());
      st->Reset();
      // The campaign's page changes: its modified date moves, so that every process's
      // CampaignService::Refresh picks the decision up.
      auto touch = db.Prepare(kTouchCampaign);
      if (!touch) return Fail(touch.error());
      touch->Bind(1, o.campaign_id).Bind(2, now);
      if (auto r = StepDone(db, *touch, "updating the campaign"); !r) return Fail(r.error());
      out->campaign.modified = std::max(out->campaign.modified, now);
      o.state = target;
      o.decided = now;
      o.modified = now;
      out->changed = true;
      return out;
    });
  }

  Result<std::vector<Organization>> ListOrganizations(
      std::int64_t campaign_id, std::optional<OrganizationState> state) override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kListOrganizations);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id);
    BindOptText(*st, 2, state ? OrganizationStateName(*state) : nullptr);
    std::vector<Organization> out;
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) out.push_back(OrganizationFromRow(*st));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing organizations"));
    return out;
  }

  Result<std::string> OrganizationLogo(const std::string& uuid, bool any_state) override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kOrganizationLogo);
    if (!st) return Fail(st.error());
    st->Bind(1, uuid).Bind(2, any_state);
    return QueryOne(db, *st, "no such logo", [](Stmt& s) { return Wrap(s.Text(0)); });
  }

  // An organization and its campaign, by a key of sql (a blob token key or the uuid text).
  static Result<OrganizationOutcome> ReadOrganization(Db& db, const char* sql,
                                                      const std::string& key, bool blob) {
    auto st = db.Prepare(sql);
    if (!st) return Fail(st.error());
    if (blob) {
      st->BindBlob(1, key);
    } else {
      st->Bind(1, key);
    }
    auto o = QueryOne(db, *st, "no such organization",
                      [](Stmt& s) { return Wrap(OrganizationFromRow(s)); });
    if (!o) return Fail(o.error());
    st->Reset();
    auto c = ReadCampaign(db, kCampaignById, [&](Stmt& s) { s.Bind(1, o->campaign_id); });
    if (!c) return Fail(c.error());
    return OrganizationOutcome{std::move(*o), std::move(*c), false};
  }

  // --- API tokens
  Result<ApiToken> CreateApiToken(const std::string& name, const std::string& hash,
                                  UnixTime now) override {
    std::string key = HashKey(hash);
    return Write<ApiToken>([&](Batch& b) -> Result<ApiToken> {
      Db& db = b.db();
      auto st = db.Prepare(kInsertToken);
      if (!st) return Fail(st.error());
      st->Bind(1, name).BindBlob(2, key).Bind(3, now);
      int rc = st->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "creating the token"));
      return ApiToken{st->Int(0), name, now, std::nullopt};
    });
  }

  Result<int> RevokeApiToken(const std::string& name, UnixTime now) override {
    return Write<int>([&](Batch& b) -> Result<int> {
      Db& db = b.db();
      auto st = db.Prepare(kRevokeTokens);
      if (!st) return Fail(st.error());
      st->Bind(1, name).Bind(2, now);
      if (auto r = StepDone(db, *st, "revoking tokens"); !r) return Fail(r.error());
      int n = db.Changes();
      if (n == 0) return Fail(Code::kNotFound, "no live token with that name");
      return n;
    });
  }

  Result<ApiToken> FindApiToken(const std::string& hash) override {
    std::string key = HashKey(hash);
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kFindToken);
    if (!st) return Fail(st.error());
    st->BindBlob(1, key);
    return QueryOne(db, *st, "no such token", [](Stmt& s) {
      return Wrap(ApiToken{s.Int(0), s.Text(1), s.Int(2), s.OptInt(3)});
    });
  }

  // --- outbox
  // The first `limit` due of the fresh and the retried messages together, by next attempt.
  Result<std::vector<OutboxMessage>> DueOutbox(UnixTime now, int limit) override {
    auto r = Reader();
    Db& db = *r;
    limit = std::max(limit, 0);
    std::vector<OutboxMessage> out;
    for (const char* sql : {kDueRetryOutbox, kDueFreshOutbox}) {
      auto st = db.Prepare(sql);
      if (!st) return Fail(st.error());
      st->Bind(1, now).Bind(2, limit);
      int rc;
      while ((rc = st->Step()) == SQLITE_ROW) out.push_back(OutboxFromRow(*st));
      if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the outbox"));
    }
    std::sort(out.begin(), out.end(), [](const OutboxMessage& a, const OutboxMessage& b) {
      return std::tie(a.next_attempt, a.id) < std::tie(b.next_attempt, b.id);
    });
    if (out.size() > static_cast<std::size_t>(limit)) out.resize(static_cast<std::size_t>(limit));
    return out;
  }

  // Moves outbox_fresh.from_id past messages that are no longer fresh; after every mark.
  static Result<void> AdvanceFreshOutbox(Db& db) {
    auto st = db.Prepare(kAdvanceFreshOutbox);
    if (!st) return Fail(st.error());
    return StepDone(db, *st, "advancing the outbox");
  }

  Result<void> MarkOutboxSent(std::int64_t id, UnixTime now) override {
    return Write<bool>([&](Batch& b) -> Result<bool> {
             Db& db = b.db();
             auto st = db.Prepare(kMarkSent);
             if (!st) return Fail(st.error());
             st->Bind(1, id).Bind(2, now);
             // RETURNING: the update is complete once the first step returned its row.
             int rc = st->Step();
             if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such outbox message");
             if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "marking sent"));
             if (st->Bool(0)) b.NoteClearedAddress();
             st->Reset();
             if (auto r = AdvanceFreshOutbox(db); !r) return Fail(r.error());
             return true;
           })
        .map([](bool) {});
  }

  Result<void> MarkOutboxFailed(std::int64_t id, UnixTime next_attempt,
                                const std::string& error) override {
    return Write<bool>([&](Batch& b) -> Result<bool> {
             Db& db = b.db();
             auto st = db.Prepare(kMarkFailed);
             if (!st) return Fail(st.error());
             st->Bind(1, id).Bind(2, next_attempt).Bind(3, error);
             if (auto r = StepDone(db, *st, "marking failed"); !r) return Fail(r.error());
             if (db.Changes() > 0) {
               st->Reset();
               if (auto r = AdvanceFreshOutbox(db); !r) return Fail(r.error());
               return true;
             }
             st->Reset();
             // Not updated: unknown, or already sent (then there is nothing to retry).
             auto ex = db.Prepare(kOutboxExists);
             if (!ex) return Fail(ex.error());
             ex->Bind(1, id);
             int rc = ex->Step();
             if (rc == SQLITE_ROW) return true;
             if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such outbox message");
             return Fail(db.ErrorFor(rc, "marking failed"));
           })
        .map([](bool) {});
  }

  Result<std::int64_t> OutboxDepth() override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kOutboxDepth);
    if (!st) return Fail(st.error());
    st->Bind(1, kOutboxNever);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting the outbox"));
    return st->Int(0);
  }

  Result<std::optional<UnixTime>> NextOutboxAttempt() override {
    return ReadOptInt(kNextOutbox, "reading the outbox");
  }

  // The one value (perhaps NULL) of a one-row query without parameters, on a reader.
  Result<std::optional<std::int64_t>> ReadOptInt(const char* sql, std::string_view what) {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(sql);
    if (!st) return Fail(st.error());
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, what));
    return st->OptInt(0);
  }

  // --- instance
  // --- campaign outcomes
  Result<int> DecideDueCampaigns(UnixTime now) override {
    return Write<int>([&](Batch& b) -> Result<int> {
      Db& db = b.db();
      std::vector<std::pair<std::int64_t, std::int64_t>> due;  // id, threshold
      {
        auto st = db.Prepare(kDueCampaigns);
        if (!st) return Fail(st.error());
        st->Bind(1, now);
        int rc;
        while ((rc = st->Step()) == SQLITE_ROW) due.emplace_back(st->Int(0), st->Int(1));
        if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading campaigns"));
      }
      int decided = 0;
      for (const auto& [id, threshold] : due) {
        auto counts = b.Counts(id);
        if (!counts) return Fail(counts.error());
        const std::int64_t confirmed = (*counts)->confirmed;
        // Success is recorded the moment the threshold is reached; this only catches a count
        // that reached it in a write that did not record it.
        auto outcome =
            confirmed >= threshold ? CampaignOutcome::kSucceeded : CampaignOutcome::kFailed;
        auto r = Decide(b, id, outcome, confirmed, now);
        if (!r) return Fail(r.error());
        if (*r) ++decided;
      }
      return decided;
    });
  }

  Result<std::optional<UnixTime>> NextOutcomeDeadline() override {
    return ReadOptInt(kNextOutcomeDeadline, "reading campaigns");
  }

  // --- the signature log
  Result<LogHead> GetLogHead() override {
    return Write<LogHead>([&](Batch& b) -> Result<LogHead> {
      Db& db = b.db();
      LogHead head;
      head.size = b.log().size();
      head.root = b.log().Root();
      auto st = db.Prepare(kConfirmedCounts);
      if (!st) return Fail(st.error());
      int rc;
      while ((rc = st->Step()) == SQLITE_ROW) {
        LogCampaignCount c{st->Int(0), st->Text(1), st->Text(2), st->Int(3),
                           ParseGroupCounts(st->View(4))};
        // Counts this batch changed are written just before COMMIT: take them from the batch.
        if (const CampaignCounts* mine = b.Peek(c.campaign_id)) {
          c.confirmed = mine->confirmed;
          c.groups = mine->groups;
        }
        // A campaign without declared groups is not counted by group: its leaves all say
        // "public".
        if (c.groups.empty() && c.confirmed != 0) {
          c.groups.push_back({kPublicGroupKey, c.confirmed});
        }
        head.counts.push_back(std::move(c));
      }
      if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading counts"));
      return head;  // (it wrote nothing)
    });
  }

  Result<std::vector<log::Hash>> LogNodes(std::uint8_t level, std::uint64_t first,
                                          std::uint64_t count) override {
    if (count == 0) return std::vector<log::Hash>{};
    auto r = Reader();
    return ReadHashRange(*r, level, first, count);
  }

  Result<std::vector<std::string>> LogEntries(std::uint64_t first, std::uint64_t count) override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kLeafEntryRange);
    if (!st) return Fail(st.error());
    st->Bind(1, static_cast<std::int64_t>(first)).Bind(2, static_cast<std::int64_t>(first + count));
    std::vector<std::string> out;
    out.reserve(count);
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) {
      if (static_cast<std::uint64_t>(st->Int(0)) != first + out.size()) break;
      out.push_back(st->Text(1));
    }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the log"));
    if (out.size() != count) return Fail(Code::kNotFound, "no such log entry");
    return out;
  }

  Result<void> ForEachLogLeaf(
      const std::function<bool(std::uint64_t, std::string_view, std::string_view)>& fn) override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kAllLeaves);
    if (!st) return Fail(st.error());
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) {
      if (!fn(static_cast<std::uint64_t>(st->Int(0)), st->View(1), st->View(2))) return {};
    }
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the log"));
    return {};
  }

  Result<void> SaveCheckpoint(const StoredCheckpoint& c) override {
    return Write<bool>([&](Batch& b) -> Result<bool> {
             Db& db = b.db();
             auto st = db.Prepare(kSaveCheckpoint);
             if (!st) return Fail(st.error());
             st->Bind(1, static_cast<std::int64_t>(c.size)).Bind(2, c.note);
             st->Bind(3, c.counts_json).Bind(4, c.created);
             if (auto r = StepDone(db, *st, "saving the checkpoint"); !r) return Fail(r.error());
             return true;
           })
        .map([](bool) {});
  }

  Result<std::optional<StoredCheckpoint>> LatestCheckpoint() override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kLatestCheckpoint);
    if (!st) return Fail(st.error());
    int rc = st->Step();
    if (rc == SQLITE_DONE) return std::optional<StoredCheckpoint>();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the checkpoint"));
    return std::optional<StoredCheckpoint>(StoredCheckpoint{static_cast<std::uint64_t>(st->Int(0)),
                                                            st->Text(1), st->Text(2), st->Int(3)});
  }

  Result<LogReceiptInfo> LogReceipt(const std::string& token_hash) override {
    std::string key = HashKey(token_hash);
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kReceiptByConfirmHash);
    if (!st) return Fail(st.error());
    st->BindBlob(1, key);
    int rc = st->Step();
    if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such signature");
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the signature"));
    if (ParseState(st->View(1)) != SignatureState::kConfirmed || st->IsNull(2) || st->IsNull(4)) {
      return Fail(Code::kConflict, "the signature is not confirmed");
    }
    return LogReceiptInfo{st->Int(0), static_cast<std::uint64_t>(st->Int(2)), st->Text(3),
                          st->Text(4)};
  }

  Result<std::string> InstanceSecret(const std::string& name) override {
    std::string fresh(32, '\0');
    randombytes_buf(fresh.data(), fresh.size());
    return InstanceValue(name, fresh);
  }

  Result<std::string> InstanceValue(const std::string& name, const std::string& initial) override {
    auto found = FindInstanceValue(name);
    if (!found) return Fail(found.error());
    if (*found) return std::move(**found);
    return Write<std::string>([&](Batch& b) -> Result<std::string> {
      Db& db = b.db();
      auto put = db.Prepare(kPutSecret);
      if (!put) return Fail(put.error());
      put->Bind(1, name).BindBlob(2, initial);
      if (auto r = StepDone(db, *put, "saving a secret"); !r) return Fail(r.error());
      put->Reset();
      // Another caller may have won the race; everyone gets the stored value.
      auto get = db.Prepare(kGetSecret);
      if (!get) return Fail(get.error());
      get->Bind(1, name);
      return QueryOne(db, *get, "secret vanished", [](Stmt& s) { return Wrap(s.Text(0)); });
    });
  }

  Result<std::optional<std::string>> FindInstanceValue(const std::string& name) override {
    auto r = Reader();
    Db& db = *r;
    auto st = db.Prepare(kGetSecret);
    if (!st) return Fail(st.error());
    st->Bind(1, name);
    int rc = st->Step();
    if (rc == SQLITE_ROW) return std::optional<std::string>(st->Text(0));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading an instance value"));
    return std::optional<std::string>();
  }

  Result<void> SetInstanceValue(const std::string& name, const std::string& value) override {
    return Write<void>([&](Batch& b) -> Result<void> {
      Db& db = b.db();
      auto put = db.Prepare(kReplaceSecret);
      if (!put) return Fail(put.error());
      put->Bind(1, name).BindBlob(2, value);
      return StepDone(db, *put, "saving an instance value");
    });
  }

  Result<void> Backup(const std::string& path) override {
    std::error_code ec;
    if (std::filesystem::exists(path, ec) || ec) {
      return Fail(Code::kConflict, "the backup file already exists; choose a new path");
    }
    auto dest = Db::Open(path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (!dest) return Fail(dest.error());
    auto fail = [&](Error e) -> Result<void> {
      dest->reset();
      std::filesystem::remove(path, ec);
      return Fail(std::move(e));
    };
    auto r = Reader();
    sqlite3_backup* bk = sqlite3_backup_init((*dest)->raw(), "main", r->raw(), "main");
    if (bk == nullptr) return fail((*dest)->ErrorFor(SQLITE_ERROR, "starting the backup"));
    // All pages in one step: one read transaction, so the copy is a consistent snapshot while
    // the writer carries on (WAL).
    int rc = sqlite3_backup_step(bk, -1);
    int finish = sqlite3_backup_finish(bk);
    if (rc != SQLITE_DONE) return fail((*dest)->ErrorFor(rc, "copying the database"));
    if (finish != SQLITE_OK) return fail((*dest)->ErrorFor(finish, "finishing the backup"));
    return {};
  }

  void Close() override {
    std::lock_guard close_lock(close_mu_);
    {
      std::lock_guard lk(mu_);
      closing_ = true;
    }
    cv_.notify_one();
    if (thread_.joinable()) thread_.join();  // every queued write committed
    {
      std::lock_guard lk(sync_mu_);
      sync_stop_ = true;
    }
    sync_cv_.notify_one();
    if (syncer_.joinable()) syncer_.join();  // ... synced, and its caller answered
    {
      std::lock_guard lk(ckpt_mu_);
      ckpt_stop_ = true;
    }
    ckpt_cv_.notify_one();
    if (checkpoint_thread_.joinable()) checkpoint_thread_.join();
  }

 private:
  // A read connection leased from the pool for the lifetime of this object.
  class ReadLease {
   public:
    ReadLease(SqliteStore& s, Db* db) : s_(s), db_(db) {}
    ReadLease(const ReadLease&) = delete;
    ReadLease& operator=(const ReadLease&) = delete;
    ~ReadLease() { s_.ReturnReader(db_); }
    Db& operator*() const { return *db_; }
    Db* operator->() const { return db_; }

   private:
    SqliteStore& s_;
    Db* db_;
  };

  ReadLease Reader() {
    std::unique_lock lk(readers_mu_);
    readers_cv_.wait(lk, [&] { return !free_readers_.empty(); });
    Db* db = free_readers_.back();
    free_readers_.pop_back();
    return ReadLease(*this, db);
  }
  void ReturnReader(Db* db) {
    {
      std::lock_guard lk(readers_mu_);
      free_readers_.push_back(db);
    }
    readers_cv_.notify_one();
  }

  static void BindOptText(Stmt& st, int i, const char* v) {
    if (v != nullptr) {
      st.Bind(i, v);
    } else {
      st.BindNull(i);
    }
  }

  Result<Signature> ReadSignatureByPerson(Db& db, std::int64_t campaign_id,
                                          std::int64_t person_id) {
    auto st = db.Prepare(kSignatureByPerson);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id).Bind(2, person_id);
    return QueryOne(db, *st, "no such signature",
                    [](Stmt& s) { return Wrap(SignatureFromRow(s)); });
  }

  // What Sign needs that no database does, computed before queueing, off the writer thread.
  struct SignPrep {
    std::string given, family;  // SplitName of the form's name
    std::string token_key;      // HashKey of the token hash
    PreparedLeaf leaf;          // for a signature that counts at once, with the log on
    std::string sealed;         // the sealed personal fields, if any
    // The form as the row keeps it, when that differs from the form given: with sealed fields
    // blank. (A copy only then: most signatures are kept as typed.)
    std::optional<SignatureForm> sealed_form;
    const SignatureForm& Stored(const NewSignature& s) const {
      return sealed_form ? *sealed_form : s.form;
    }
  };
  SignPrep PrepareSign(const NewSignature& s) const {
    auto [given, family] = SplitName(s.form.name);
    SignPrep p{std::move(given), std::move(family), HashKey(s.token_hash),
               PreparedLeaf{},   std::string(),     std::nullopt};
    // Sealed: every personal field only in the sealed blob. Anonymous: no name was kept at all
    // (ValidateSignatureForm); an address for updates is sealed the same way.
    if (s.form.protection == Protection::kSealed ||
        (s.form.protection == Protection::kAnonymous && !s.form.email.empty())) {
      p.sealed = sealer_->Seal(s.form);
      SignatureForm& f = p.sealed_form.emplace(s.form);
      f.email.clear();
      if (s.form.protection == Protection::kSealed) {
        f.name.clear();
        f.postal_code.clear();
        f.country.clear();
        f.comment.clear();
      }
    }
    if (s.form.protection != Protection::kNone) p.given.clear(), p.family.clear();
    // (form.work_email is never bound: the work address is not stored.)
    if (s.confirm_now && options_.log_enabled) {
      PreparedLeaf& l = p.leaf;
      l.salt.assign(log::kSaltBytes, '\0');
      RandomBytes(l.salt.data(), l.salt.size());
      if (!s.campaign_uuid.empty() && !s.text_hash.empty()) {
        log::Leaf leaf;
        leaf.campaign = s.campaign_uuid;
        leaf.event = log::LeafEvent::kConfirm;
        leaf.group = s.form.group.empty() ? kPublicGroupKey : s.form.group;
        leaf.day = FormatIso8601(s.now).substr(0, 10);
        leaf.text = s.text_hash;
        l.text = s.text_hash;
        leaf.commitment = log::Commitment(
            std::span<const std::uint8_t>(reinterpret_cast<const std::uint8_t*>(l.salt.data()),
                                          l.salt.size()),
            s.canonical_email);
        l.entry = log::FormatLeaf(leaf);
        l.hash = log::LeafHash(l.entry);
      }
    }
    return p;
  }

  // Sign, on the writer thread, inside its savepoint.
  // retried_id: this is the second try after a primary-key conflict on a new signature's id.
  Result<SignOutcome> SignOp(Batch& b, const NewSignature& s, const SignPrep& p,
                             bool retried_id = false) {
    Db& db = b.db();
    // Person first: the signature references it.
    std::int64_t person_id;
    std::string person_public;
    for (int attempt = 0;; ++attempt) {
      auto id = row_ids_.NextPerson(db);
      if (!id) return Fail(id.error());
      person_public = public_ids_->Uuid(IdKind::kPerson, *id);
      auto st = db.Prepare(kUpsertPerson);
      if (!st) return Fail(st.error());
      const SignatureForm& f = p.Stored(s);
      st->Bind(10, *id).Bind(1, person_public).Bind(2, s.canonical_email).Bind(3, f.email);
      st->Bind(4, p.given).Bind(5, p.family).Bind(6, f.postal_code).Bind(7, f.country);
      st->Bind(8, s.form.wants_updates).Bind(9, s.now);
      // An upsert does not set the last insert rowid when it updates: 0 then means "existed".
      db.SetLastInsertId(0);
      const int rc = st->Step();
      if (rc == SQLITE_DONE) break;
      if (attempt == 0 && IsPrimaryKeyConflict(db, rc)) {
        row_ids_.Forget();
        continue;
      }
      return Fail(db.ErrorFor(rc, "saving the person"));
    }
    person_id = db.LastInsertId();
    if (person_id != 0) {
      row_ids_.TookPerson();
    } else {  // an existing person keeps their id and uuid
      auto id = db.Prepare(kPersonIdByEmail);
      if (!id) return Fail(id.error());
      id->Bind(1, s.canonical_email);
      int rc = id->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "finding the person"));
      person_id = id->Int(0);
      person_public = id->Text(1);
    }
    auto counts = b.Counts(s.campaign_id);
    if (!counts) return Fail(counts.error());

    SignOutcome out;
    const SignatureState fresh_state =
        s.confirm_now ? SignatureState::kConfirmed : SignatureState::kPending;
    const int fresh_sends = s.confirm_now ? 0 : 1;
    const std::optional<UnixTime> fresh_confirmed =
        s.confirm_now ? std::optional<UnixTime>(s.now) : std::nullopt;
    {
      auto id = row_ids_.NextSignature(db, s.campaign_id);
      if (!id) return Fail(id.error());
      std::string uuid = public_ids_->Uuid(IdKind::kSignature, *id);
      auto st = db.Prepare(kInsertSignature);
      if (!st) return Fail(st.error());
      st->Bind(25, *id).Bind(1, uuid).Bind(2, s.campaign_id).Bind(3, person_id);
      const SignatureForm& f = p.Stored(s);
      st->Bind(4, f.name);
      st->Bind(5, f.email).Bind(6, s.canonical_email).Bind(7, f.postal_code);
      st->Bind(8, f.country).Bind(9, f.comment).Bind(10, f.public_name);
      st->Bind(11, f.wants_updates).Bind(12, SignatureStateName(fresh_state));
      st->Bind(13, s.source).Bind(14, fresh_sends).Bind(15, s.now).Bind(16, fresh_confirmed);
      BindGroupFields(*st, 19, s, p);
      // A signature that counts at once gets its log salt and leaf index in this insert (its
      // leaf is the next one appended, in CountOrMail), which saves the writer two statements.
      const bool leaf_now = s.confirm_now && b.log().enabled();
      if (leaf_now) {
        st->BindBlob(17, p.leaf.salt).Bind(18, static_cast<std::int64_t>(b.log().size()));
      } else {
        st->BindNull(17).BindNull(18);
      }
      int rc = st->Step();
      if (IsPrimaryKeyConflict(db, rc) && !retried_id) {
        // Another process took this id: read the last ids again, then insert again.
        st->Reset();
        row_ids_.Forget();
        return SignOp(b, s, p, true);
      }
      if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "saving the signature"));
      if (db.Changes() == 1) {  // inserted; 0 if one exists (DO NOTHING)
        row_ids_.TookSignature(s.campaign_id);
        Signature& sig = out.signature;
        sig.id = *id;
        st->Reset();
        // A signature that counts at once is mailed nothing, so it has no token to keep.
        if (!s.confirm_now) {
          if (auto r = InsertToken(db, kInsertSigningToken, sig.id, p.token_key); !r) {
            return Fail(r.error());
          }
        }
        sig.uuid = std::move(uuid);
        sig.campaign_id = s.campaign_id;
        sig.person_id = person_id;
        sig.person_uuid = person_public;
        sig.form = p.Stored(s);
        sig.form.work_email.clear();  // as stored: never
        sig.sealed = !p.sealed.empty() && s.form.protection == Protection::kSealed;
        sig.attestation = s.attestation;
        sig.canonical_email = s.canonical_email;
        sig.state = fresh_state;
        sig.source = s.source;
        sig.confirm_sends = fresh_sends;
        sig.created = sig.modified = s.now;
        sig.confirmed = fresh_confirmed;
        if (auto r =
                CountOrMail(b, s, sig, (*counts)->confirmed, 0, out, leaf_now ? &p.leaf : nullptr);
            !r) {
          return Fail(r.error());
        }
        return out;
      }
    }

    // One exists for this campaign and person (= canonical email).
    auto existing = ReadSignatureByPerson(db, s.campaign_id, person_id);
    if (!existing) return Fail(existing.error());
    Signature& sig = *existing;
    const SignatureState was = sig.state;

    if (was == SignatureState::kWithdrawn) {
      // Signing again after withdrawing: a fresh signing on the same row.
      auto st = db.Prepare(kResignSignature);
      if (!st) return Fail(st.error());
      const SignatureForm& f = p.Stored(s);
      st->Bind(1, sig.id).Bind(2, person_id).Bind(3, f.name).Bind(4, f.email);
      st->Bind(5, f.postal_code).Bind(6, f.country).Bind(7, f.comment);
      st->Bind(8, f.public_name).Bind(9, f.wants_updates);
      st->Bind(10, SignatureStateName(fresh_state)).Bind(11, s.source).Bind(12, fresh_sends);
      st->Bind(13, s.now).Bind(14, fresh_confirmed);
      BindGroupFields(*st, 15, s, p);
      if (auto r = StepDone(db, *st, "re-signing"); !r) return Fail(r.error());
      st->Reset();
      // A new token (unless it counts at once: then nothing is mailed); the earlier ones
      // stay valid too (an old confirmation mail's links confirm and withdraw this fresh
      // signing, an old withdraw-only link withdraws it).
      if (!s.confirm_now) {
        if (auto r = InsertToken(db, kInsertSigningToken, sig.id, p.token_key); !r) {
          return Fail(r.error());
        }
      }
      sig.person_id = person_id;
      sig.form = p.Stored(s);
      sig.form.work_email.clear();  // as stored: never
      sig.sealed = !p.sealed.empty() && s.form.protection == Protection::kSealed;
      sig.attestation = s.attestation;
      sig.verified = false;
      sig.state = fresh_state;
      sig.source = s.source;
      sig.confirm_sends = fresh_sends;
      sig.modified = s.now;
      sig.confirmed = fresh_confirmed;
      if (auto r = CountOrMail(b, s, sig, (*counts)->confirmed, -1, out, nullptr); !r) {
        return Fail(r.error());
      }
      out.signature = std::move(sig);
      return out;
    }

    if (s.confirm_now) {
      // A trusted client records the signature: it counts now; nothing is mailed.
      auto st = db.Prepare(kRecordConfirmed);
      if (!st) return Fail(st.error());
      // Never a verified group (the service sends those through the work address), so nothing
      // is sealed here.
      const SignatureForm& f = p.Stored(s);
      st->Bind(1, sig.id).Bind(2, person_id).Bind(3, f.name).Bind(4, f.email);
      st->Bind(5, f.postal_code).Bind(6, f.country).Bind(7, f.comment);
      st->Bind(8, f.public_name).Bind(9, f.wants_updates).Bind(10, s.source);
      st->Bind(11, s.now).Bind(12, KeyOrPublic(f.group));
      st->Bind(13, s.attestation);
      if (auto r = StepDone(db, *st, "recording the signature"); !r) return Fail(r.error());
      const std::string old_group = sig.form.group;
      sig.person_id = person_id;
      sig.form = p.Stored(s);
      sig.form.work_email.clear();  // as stored: never
      sig.attestation = s.attestation;
      sig.state = SignatureState::kConfirmed;
      sig.source = s.source;
      sig.modified = s.now;
      if (!sig.confirmed) sig.confirmed = s.now;
      if (was == SignatureState::kPending) {
        if (auto r = AppendLeaf(b, sig, log::LeafEvent::kConfirm, s.now); !r) {
          return Fail(r.error());
        }
        if (auto r = CountGroup(b, s.campaign_id, sig.form.group, 1); !r) return Fail(r.error());
        auto decided = MaybeSucceed(b, s.campaign_id, (*counts)->confirmed + 1, s.now);
        if (!decided) return Fail(decided.error());
        out.campaign_decided = *decided;
      } else if (KeyOrPublic(old_group) != KeyOrPublic(sig.form.group)) {
        // Re-recorded into another group: it moves between the groups' counts, and the log
        // says so (a withdrawal from the old group, a confirmation into the new one), so that
        // every group's count still adds up from the leaves.
        Signature before = sig;
        before.form.group = old_group;
        if (auto r = AppendLeaf(b, before, log::LeafEvent::kWithdraw, s.now); !r) {
          return Fail(r.error());
        }
        if (auto r = AppendLeaf(b, sig, log::LeafEvent::kConfirm, s.now); !r) {
          return Fail(r.error());
        }
        if (auto r = CountGroup(b, s.campaign_id, old_group, -1); !r) return Fail(r.error());
        if (auto r = CountGroup(b, s.campaign_id, sig.form.group, 1); !r) return Fail(r.error());
      }
      out.kind = SignOutcome::Kind::kAlreadyConfirmed;
      out.counts =
          was == SignatureState::kPending ? b.Apply(s.campaign_id, -1, 1, 0, s.now) : **counts;
      out.signature = std::move(sig);
      return out;
    }

    out.counts = **counts;
    if (sig.confirm_sends >= s.max_confirm_sends) {
      b.Discard();  // not even the person's modified date moves
      out.kind = SignOutcome::Kind::kResendLimit;
      out.signature = std::move(sig);
      return out;
    }
    {
      auto st = db.Prepare(kResend);
      if (!st) return Fail(st.error());
      st->Bind(1, sig.id).Bind(2, s.now);
      if (auto r = StepDone(db, *st, "resending"); !r) return Fail(r.error());
    }
    // The new token is added, the earlier ones stay valid: a mail that arrives late still
    // works.
    if (was == SignatureState::kPending) {
      if (auto r = InsertToken(db, kInsertSigningToken, sig.id, p.token_key); !r) {
        return Fail(r.error());
      }
      if (auto r = QueueMail(db, "confirm", s, sig.uuid, true); !r) {
        return Fail(r.error());
      }
      out.kind = SignOutcome::Kind::kResent;
    } else {
      // Confirmed: the "already signed" mail carries only a withdraw link, so its token is
      // kept withdraw-only: it cannot confirm (nor fetch a receipt).
      if (auto r = InsertToken(db, kInsertWithdrawToken, sig.id, p.token_key); !r) {
        return Fail(r.error());
      }
      if (auto r = QueueMail(db, "already_signed", s, sig.uuid, false); !r) {
        return Fail(r.error());
      }
      out.kind = SignOutcome::Kind::kAlreadyConfirmed;
    }
    sig.confirm_sends += 1;
    sig.modified = s.now;
    out.signature = std::move(sig);
    return out;
  }

  // The end of a fresh signing (a new row, or one over a withdrawn signature, withdrawn = -1):
  // a trusted client's signature counts now (its log leaf, perhaps the campaign's success),
  // anyone else's waits for the confirmation mail queued here. Sets out.kind, out.counts and
  // out.campaign_decided; counts change last, once the SQL succeeded.
  // prepared: the leaf whose salt (and the next leaf's index) the row was inserted with, if so.
  Result<void> CountOrMail(Batch& b, const NewSignature& s, const Signature& sig,
                           std::int64_t confirmed_before, int withdrawn, SignOutcome& out,
                           const PreparedLeaf* prepared) {
    if (s.confirm_now) {
      if (auto r = AppendLeaf(b, sig, log::LeafEvent::kConfirm, s.now, prepared); !r) {
        return r;
      }
      if (auto r = CountGroup(b, s.campaign_id, sig.form.group, 1); !r) return Fail(r.error());
      auto decided = MaybeSucceed(b, s.campaign_id, confirmed_before + 1, s.now);
      if (!decided) return Fail(decided.error());
      out.campaign_decided = *decided;
    } else if (auto r = QueueMail(b.db(), "confirm", s, sig.uuid, true); !r) {
      return r;
    }
    out.kind = SignOutcome::Kind::kCreated;
    out.counts =
        b.Apply(s.campaign_id, s.confirm_now ? 0 : 1, s.confirm_now ? 1 : 0, withdrawn, s.now);
    return {};
  }

  // Records a campaign's outcome (if it has none yet) and queues the "outcome" mail to every
  // confirmed signer and organizer, in the caller's transaction: exactly once, since the
  // outcome never changes again. True if this call decided it.
  Result<bool> Decide(Batch& b, std::int64_t campaign_id, CampaignOutcome outcome,
                      std::int64_t confirmed, UnixTime now) {
    Db& db = b.db();
    b.ForgetRules(campaign_id);
    auto st = db.Prepare(kDecideCampaign);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id).Bind(2, OutcomeName(outcome)).Bind(3, now);
    if (auto r = StepDone(db, *st, "deciding the campaign"); !r) return Fail(r.error());
    if (db.Changes() == 0) return false;
    st->Reset();
    for (const char* sql : {kQueueOutcomeToSigners, kQueueOutcomeToOrganizers}) {
      auto q = db.Prepare(sql);
      if (!q) return Fail(q.error());
      q->Bind(1, campaign_id).Bind(2, OutcomeName(outcome)).Bind(3, confirmed).Bind(4, now);
      if (auto r = StepDone(db, *q, "queueing the outcome mail"); !r) return Fail(r.error());
    }
    // Signers whose address is sealed (a sealed name, or an anonymous signer who asked for
    // updates) are told too: their address is opened here, for this mail only.
    auto sealed = db.Prepare(kSealedOutcomeRecipients);
    if (!sealed) return Fail(sealed.error());
    sealed->Bind(1, campaign_id).Bind(2, OutcomeName(outcome)).Bind(3, confirmed);
    std::vector<std::pair<std::string, std::string>> mails;  // (sealed blob, payload)
    int rc;
    while ((rc = sealed->Step()) == SQLITE_ROW)
      mails.emplace_back(sealed->Text(0), sealed->Text(1));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading sealed signers"));
    sealed->Reset();
    for (const auto& [blob, payload] : mails) {
      auto f = sealer_->Open(blob);
      if (!f) return Fail(f.error());
      if (f->email.empty()) continue;
      auto mail = db.Prepare(kInsertOutbox);
      if (!mail) return Fail(mail.error());
      mail->Bind(1, "outcome").Bind(2, f->email).Bind(3, payload).Bind(4, now);
      if (auto r = StepDone(db, *mail, "queueing the outcome mail"); !r) return Fail(r.error());
    }
    return true;
  }

  // Called before a change that brings the campaign's confirmed count to `confirmed`: if that
  // reaches its threshold by its deadline, the campaign succeeds now.
  Result<bool> MaybeSucceed(Batch& b, std::int64_t campaign_id, std::int64_t confirmed,
                            UnixTime now) {
    auto t = b.RulesOf(campaign_id);
    if (!t) return Fail(t.error());
    const Batch::Rules& th = **t;
    if (!th.threshold || !th.pending) return false;
    if (confirmed < *th.threshold || (th.deadline && now > *th.deadline)) return false;
    return Decide(b, campaign_id, CampaignOutcome::kSucceeded, confirmed, now);
  }

  // Appends the log leaf of a change to sig's counted state (a confirmation or the withdrawal of
  // a counted signature), keeping the signature's commitment salt and, for a confirmation, the
  // leaf's index for its receipt. Nothing when the log is off.
  // prepared: the leaf of a new signature inserted with its salt and this leaf's index, which
  // spares reading and writing them here (and building the leaf, if it was built already).
  static Result<void> AppendLeaf(Batch& b, const Signature& sig, log::LeafEvent event, UnixTime now,
                                 const PreparedLeaf* prepared = nullptr) {
    LogWriter& lw = b.log();
    if (!lw.enabled()) return {};
    const std::uint64_t expected = lw.size();
    auto rules = b.RulesOf(sig.campaign_id);
    if (!rules) return Fail(rules.error());
    const std::string& text = (*rules)->text_hash;
    // (A leaf made before queueing names the text the caller knew; an edit committed since
    // makes it stale, and it is built again below with the same salt.)
    if (prepared != nullptr && !prepared->entry.empty() && prepared->text == text) {
      auto index = lw.AppendHashed(prepared->entry, prepared->hash);
      if (!index) return Fail(index.error());
      if (*index != expected) return Fail(Code::kInternal, "log index out of step");
      return {};
    }
    Db& db = b.db();
    auto uuid = lw.CampaignUuid(sig.campaign_id);
    if (!uuid) return Fail(uuid.error());
    std::string salt;
    bool fresh_salt = false;
    if (prepared != nullptr) {
      salt = prepared->salt;
    } else {
      auto st = db.Prepare(kLogSalt);
      if (!st) return Fail(st.error());
      st->Bind(1, sig.id);
      int rc = st->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the signature"));
      salt = st->Text(0);
    }
    if (salt.size() != log::kSaltBytes) {
      salt.assign(log::kSaltBytes, '\0');
      randombytes_buf(salt.data(), salt.size());
      fresh_salt = true;
    }
    log::Leaf leaf;
    leaf.campaign = *uuid;
    leaf.event = event;
    leaf.group = sig.form.group.empty() ? kPublicGroupKey : sig.form.group;
    leaf.day = FormatIso8601(now).substr(0, 10);
    leaf.text = text;
    leaf.commitment =
        log::Commitment(std::span<const std::uint8_t>(
                            reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size()),
                        sig.canonical_email);
    auto index = lw.Append(log::FormatLeaf(leaf));
    if (!index) return Fail(index.error());
    if (prepared != nullptr) {
      if (*index != expected) return Fail(Code::kInternal, "log index out of step");
      return {};
    }
    if (fresh_salt || event == log::LeafEvent::kConfirm) {
      auto st = db.Prepare(kSetLogSalt);
      if (!st) return Fail(st.error());
      st->Bind(1, sig.id).BindBlob(2, salt);
      if (event == log::LeafEvent::kConfirm) {
        st->Bind(3, static_cast<std::int64_t>(*index));
      } else {
        st->BindNull(3);
      }
      if (auto r = StepDone(db, *st, "saving the log salt"); !r) return r;
    }
    return {};
  }

  // Binds group_key, protection, seal_threshold, sealed, verified, attestation at first, ...
  static void BindGroupFields(Stmt& st, int first, const NewSignature& s, const SignPrep& p) {
    st.Bind(first, KeyOrPublic(s.form.group));
    st.Bind(first + 1, ProtectionName(s.form.protection));
    if (s.form.protection == Protection::kSealed) {
      st.Bind(first + 2, s.form.seal_threshold);
    } else {
      st.BindNull(first + 2);
    }
    if (p.sealed.empty()) {
      st.BindNull(first + 3);
    } else {
      st.BindBlob(first + 3, p.sealed);
    }
    if (s.by_domain) {
      st.Bind(first + 4, 0);
    } else {
      st.BindNull(first + 4);
    }
    st.Bind(first + 5, s.attestation);
  }

  // Moves a group's confirmed count by delta, for a campaign that declares groups (others are
  // not counted by group). Returns the group's count after, or 0 if not counted.
  static Result<std::int64_t> CountGroup(Batch& b, std::int64_t campaign_id, const std::string& key,
                                         int delta) {
    auto t = b.RulesOf(campaign_id);
    if (!t) return Fail(t.error());
    if ((*t)->groups.empty()) return 0;
    if (auto c = b.Counts(campaign_id); !c) return Fail(c.error());
    return b.ApplyGroup(campaign_id, KeyOrPublic(key), delta);
  }

  // The reveal: once a group has `count` verified signers, every confirmed sealed signature of
  // it whose threshold is <= count is opened, its name written in clear and made public, for
  // good, and its signer told by a "revealed" mail queued in this same transaction (so exactly
  // once: a revealed row is no longer sealed). Runs at every confirmation into a group with
  // sealed thresholds reached, which also reveals late signers as they confirm. Returns how
  // many it revealed.
  Result<int> Reveal(Batch& b, std::int64_t campaign_id, const std::string& key, std::int64_t count,
                     UnixTime now) {
    auto t = b.RulesOf(campaign_id);
    if (!t) return Fail(t.error());
    const Batch::Rules& rules = **t;
    const SignerGroup* group = nullptr;
    for (const SignerGroup& g : rules.groups) {
      if (g.key == key) group = &g;
    }
    if (group == nullptr || group->seal_thresholds.empty() ||
        count < group->seal_thresholds.front()) {
      return 0;
    }
    Db& db = b.db();
    auto st = db.Prepare(kSealedToReveal);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id).Bind(2, key).Bind(3, count);
    struct Row {
      std::int64_t id;
      std::string sealed;
      std::int64_t threshold;
    };
    std::vector<Row> rows;
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) rows.push_back({st->Int(0), st->Text(1), st->Int(2)});
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading sealed signatures"));
    st->Reset();
    for (const Row& row : rows) {
      auto f = sealer_->Open(row.sealed);
      if (!f) return Fail(f.error());
      auto up = db.Prepare(kRevealSignature);
      if (!up) return Fail(up.error());
      up->Bind(1, row.id).Bind(2, f->name).Bind(3, f->email).Bind(4, f->postal_code);
      up->Bind(5, f->country).Bind(6, f->comment);
      if (auto r = StepDone(db, *up, "revealing a name"); !r) return Fail(r.error());
      up->Reset();
      if (f->email.empty()) continue;
      nlohmann::json payload = {{"campaign_title", rules.title},
                                {"campaign_slug", rules.slug},
                                {"language", rules.language},
                                {"group", group->name},
                                {"threshold", row.threshold},
                                {"name", f->name},
                                {"count", count}};
      auto mail = db.Prepare(kInsertOutbox);
      if (!mail) return Fail(mail.error());
      const std::string text =
          payload.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
      mail->Bind(1, "revealed").Bind(2, f->email).Bind(3, text).Bind(4, now);
      if (auto r = StepDone(db, *mail, "queueing the reveal notice"); !r) return Fail(r.error());
    }
    return static_cast<int>(rows.size());
  }

  // Adds a token (its stored key, see HashKey) of signature_id: sql is kInsertSigningToken or
  // kInsertWithdrawToken.
  static Result<void> InsertToken(Db& db, const char* sql, std::int64_t signature_id,
                                  const std::string& key) {
    auto st = db.Prepare(sql);
    if (!st) return Fail(st.error());
    st->BindBlob(1, key).Bind(2, signature_id);
    return StepDone(db, *st, "saving the token");
  }

  // Queues a mail for signature s with its raw token: kind "confirm" carries it as "token" (its
  // confirm and withdraw links both use it), "already_signed" as "withdraw_token" (a
  // withdraw-only token). A signature in a group proven by domain gets them at its work
  // address instead, as the neutral kinds "verify" and "verify_already", without the name
  // (the employer's mail system sees them).
  Result<void> QueueMail(Db& db, const char* kind, const NewSignature& s,
                         const std::string& signature_uuid, bool with_confirm) {
    const bool work = s.by_domain;
    if (work) kind = with_confirm ? "verify" : "verify_already";
    const std::string& recipient = work ? s.form.work_email : s.form.email;
    const std::string name = work ? std::string() : s.form.name;
    Result<std::string> payload =
        ExtendPayload(s.mail_payload, {{with_confirm ? "token" : "withdraw_token", s.token},
                                       {"name", name},
                                       {"signature_uuid", signature_uuid}});
    if (!payload) return Fail(payload.error());
    auto st = db.Prepare(kInsertOutbox);
    if (!st) return Fail(st.error());
    st->Bind(1, kind).Bind(2, recipient).Bind(3, *payload).Bind(4, s.now);
    return StepDone(db, *st, "queueing mail");
  }

  Result<TokenOutcome> FindByToken(const char* sql, const std::string& hash) {
    std::string key = HashKey(hash);
    auto r = Reader();
    Db& db = *r;
    // One read transaction, so signature, campaign and counts agree.
    auto begin = db.Prepare(kBeginRead);
    if (!begin) return Fail(begin.error());
    if (auto x = StepDone(db, *begin, "reading"); !x) return Fail(x.error());
    auto result = [&]() -> Result<TokenOutcome> {
      auto sig = ReadSignature(db, sql, key, true);
      if (!sig) return Fail(sig.error());
      auto campaign =
          ReadCampaign(db, kCampaignById, [&](Stmt& st) { st.Bind(1, sig->campaign_id); });
      if (!campaign) return Fail(campaign.error());
      auto counts = ReadCounts(db, sig->campaign_id);
      if (!counts) return Fail(counts.error());
      return TokenOutcome{std::move(*sig), std::move(*campaign), *counts, false};
    }();
    auto end = db.Prepare(kEndRead);
    if (end) (void)StepDone(db, *end, "reading");
    return result;
  }

  static constexpr const char* kBeginRead = "BEGIN";
  static constexpr const char* kEndRead = "COMMIT";

  // Queues fn (run on the writer thread inside the operation's savepoint) and blocks until its
  // batch committed. fn's error rolls back only its own savepoint.
  template <typename T, typename F>
  Result<T> Write(F&& fn) {
    Result<T> result = Fail(Code::kInternal, "write not run");
    auto thunk = [&](Batch& b) -> bool {
      try {
        result = fn(b);
      } catch (const std::exception& e) {
        result = Fail(Code::kInternal, std::string("write failed: ") + e.what());
      }
      return result.has_value();
    };
    WriteOp op;
    op.fn = &thunk;
    op.run = [](void* f, Batch& b) { return (*static_cast<decltype(thunk)*>(f))(b); };
    {
      std::lock_guard lk(mu_);
      if (closing_) return Fail(Code::kUnavailable, "the store is closing");
      queue_.push_back(&op);
    }
    cv_.notify_one();
    op.Wait();
    if (op.batch_error) return Fail(*op.batch_error);
    return result;
  }

  // Queues fn like Write but returns at once; done(result) is called exactly once: on the
  // syncer thread once the batch is durable (or failed), or right here if the store is closing.
  template <typename T, typename F>
  void WriteAsync(F&& fn, std::function<void(Result<T>)> done) {
    struct Op final : WriteOp {
      Op(F&& f, std::function<void(Result<T>)> d) : body(std::move(f)), done(std::move(d)) {}
      std::decay_t<F> body;
      std::function<void(Result<T>)> done;
      Result<T> result = Fail(Code::kInternal, "write not run");
    };
    auto* op = new Op(std::forward<F>(fn), std::move(done));
    op->fn = op;
    op->run = [](void* self, Batch& b) -> bool {
      Op* o = static_cast<Op*>(self);
      try {
        o->result = o->body(b);
      } catch (const std::exception& e) {
        o->result = Fail(Code::kInternal, std::string("write failed: ") + e.what());
      }
      return o->result.has_value();
    };
    op->complete = [](WriteOp* w) {
      std::unique_ptr<Op> o(static_cast<Op*>(w));
      Result<T> r = o->batch_error ? Result<T>(Fail(*o->batch_error)) : std::move(o->result);
      auto callback = std::move(o->done);
      o.reset();
      callback(std::move(r));
    };
    {
      std::unique_lock lk(mu_);
      if (!closing_) {
        queue_.push_back(op);
        lk.unlock();
        cv_.notify_one();
        return;
      }
    }
    op->batch_error = Error{Code::kUnavailable, "the store is closing", {}, 0};
    op->complete(op);
  }

  void WriterLoop() {
    pthread_setname_np(pthread_self(), "us-sqlite-write");
    std::vector<WriteOp*> batch;
    batch.reserve(static_cast<std::size_t>(std::max(options_.max_batch, 1)));
    Batch state(*writer_, *log_);
    for (;;) {
      {
        std::unique_lock lk(mu_);
        auto ready = [&] { return !queue_.empty() || closing_; };
        if (scrub_wanted_ && !ready()) {
          // Idle with a WAL to scrub: once idle for kScrubIdle (one scrub serves a burst of
          // sent mail), and again after kScrubRetry if reads held the WAL.
          if (!cv_.wait_for(lk, kScrubIdle, ready)) {
            lk.unlock();
            const bool scrubbed = ScrubWal();
            lk.lock();
            if (!scrubbed) cv_.wait_for(lk, kScrubRetry, ready);
          }
          continue;
        }
        cv_.wait(lk, ready);
        if (queue_.empty()) return;  // closing and drained
        std::size_t n =
            std::min(queue_.size(), static_cast<std::size_t>(std::max(options_.max_batch, 1)));
        batch.assign(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
        queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(n));
      }
      RunBatch(batch, state);
      if (wal_fd_ >= 0) {
        // Durability is the syncer's job, so that this thread can run the next batch while
        // the disk flushes this one.
        {
          std::lock_guard lk(sync_mu_);
          sync_queue_.insert(sync_queue_.end(), batch.begin(), batch.end());
        }
        sync_cv_.notify_one();
      } else {
        // After Finish an op may be gone (its caller returns): touch nothing afterwards.
        for (WriteOp* op : batch) op->Finish();
      }
      batch.clear();
      AfterCommit();
      if (state.cleared_addresses() > 0 && !scrub_wanted_) {
        scrub_wanted_ = true;
        scrub_by_ = std::chrono::steady_clock::now() + kScrubDelay;
        WakeCheckpointer();  // it copies most of the WAL beside the writer; the scrub, the rest
      }
      if (scrub_wanted_ && std::chrono::steady_clock::now() >= scrub_by_) {
        if (!ScrubWal()) scrub_by_ = std::chrono::steady_clock::now() + kScrubRetry;
      }
    }
  }

  // Truncates the WAL to zero bytes (see "Work addresses" in sqlite_store.h) on the writer
  // thread, between batches. False if reads (or the checkpointer's pass) held the WAL for
  // longer than kScrubBusy; then nothing is lost and the caller tries again later.
  bool ScrubWal() {
    sqlite3* db = writer_->raw();
    sqlite3_busy_timeout(db, static_cast<int>(kScrubBusy.count()));
    int rc = sqlite3_wal_checkpoint_v2(db, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr);
    sqlite3_busy_timeout(db, std::max(options_.busy_timeout_ms, 0));
    if (rc != SQLITE_OK) return false;
    // The truncation on disk too, so that a power loss cannot bring the old frames back. A
    // descriptor of its own: wal_fd_ belongs to the syncer.
    int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
      const bool synced = ::fsync(fd) == 0;
      ::close(fd);
      if (!synced) return false;
    }
    checkpoints_.fetch_add(1, std::memory_order_relaxed);
    wal_scrubs_.fetch_add(1, std::memory_order_relaxed);
    scrub_pending_.store(0, std::memory_order_relaxed);  // every clearing so far was before it
    scrub_wanted_ = false;
    // The WAL starts again from its beginning: what AfterCommit tracks starts again too.
    {
      std::lock_guard lk(ckpt_mu_);
      wal_generation_ = ++ckpt_generation_;
    }
    wal_frames_ = last_frames_ = last_wake_frames_ = 0;
    return true;
  }

  // Answers committed operations once the WAL holding their commit is on disk. One
  // fdatasync covers every batch committed before it started (group commit across batches).
  void SyncLoop() {
    pthread_setname_np(pthread_self(), "us-sqlite-sync");
    std::vector<WriteOp*> ops;
    for (;;) {
      {
        std::unique_lock lk(sync_mu_);
        sync_cv_.wait(lk, [&] { return !sync_queue_.empty() || sync_stop_; });
        if (sync_queue_.empty()) return;  // stopping and drained
        ops.swap(sync_queue_);
      }
      if (auto r = SyncWal(); !r) {
        for (WriteOp* op : ops) {
          if (!op->batch_error) op->batch_error = r.error();
        }
      }
      syncs_.fetch_add(1, std::memory_order_relaxed);
      // After Finish an op may be gone (its caller returns): touch nothing afterwards.
      for (WriteOp* op : ops) op->Finish();
      ops.clear();
    }
  }

  Result<void> SyncWal() {
    // SQLite only deletes the WAL when the last connection closes, which cannot happen while
    // this store is open; check anyway, since syncing a deleted file would prove nothing.
    struct stat st {};
    if (::fstat(wal_fd_, &st) != 0 || st.st_nlink == 0) {
      int fd = ::open(wal_path_.c_str(), O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        return Fail(Code::kInternal, "the write was committed but the WAL file is gone");
      }
      ::close(wal_fd_);
      wal_fd_ = fd;
    }
    if (::fdatasync(wal_fd_) != 0) {
      if (errno == ENOSPC || errno == EDQUOT) {
        return Fail(DiskFull(std::string("syncing the WAL: ") + std::strerror(errno)));
      }
      return Fail(Code::kInternal,
                  std::string("the write was committed but could not be synced to disk: ") +
                      std::strerror(errno));
    }
    return {};
  }

  // Called by SQLite on the writer thread after each commit with the WAL's size in pages.
  static int WalHook(void* self, sqlite3*, const char*, int frames) {
    static_cast<SqliteStore*>(self)->wal_frames_ = frames;
    return SQLITE_OK;
  }

  // Checkpointing. Copying WAL pages back into the database is left to a checkpointer thread
  // on its own connection (PASSIVE: it never blocks the writer), woken each time the WAL grew
  // by kCheckpointPages. But a WAL only restarts from its beginning (instead of growing) after
  // a checkpoint that caught up completely, which a background thread never does while the
  // writer keeps appending. So once the WAL reaches kRestartPages, the checkpointer chases the
  // writer until it is at most kTailPages behind, and then the writer itself copies that short
  // tail between two batches; its next transaction restarts the WAL.
  void AfterCommit() {
    if (wal_frames_ < last_frames_) {  // the WAL restarted
      std::lock_guard lk(ckpt_mu_);
      wal_generation_ = ++ckpt_generation_;
      last_wake_frames_ = 0;
    }
    last_frames_ = wal_frames_;
    if (wal_frames_ >= kRestartPages) {
      CheckpointResult r;
      {
        std::lock_guard lk(ckpt_mu_);
        r = ckpt_result_;
      }
      // Past kWalLimitPages the checkpointer is not keeping up: the writer copies everything
      // itself, which bounds the WAL's size by slowing writes down.
      bool caught_up = r.generation == wal_generation_ && r.log <= wal_frames_ &&
                       wal_frames_ - r.done <= kTailPages;
      if (caught_up || wal_frames_ >= kWalLimitPages) {
        int log = 0, done = 0;
        if (sqlite3_wal_checkpoint_v2(writer_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE, &log,
                                      &done) == SQLITE_OK) {
          checkpoints_.fetch_add(1, std::memory_order_relaxed);
        }
        last_wake_frames_ = wal_frames_;
        return;
      }
      if (wal_frames_ - last_wake_frames_ >= kTailPages) WakeCheckpointer();
      return;
    }
    if (wal_frames_ - last_wake_frames_ >= kCheckpointPages) WakeCheckpointer();
  }

  void WakeCheckpointer() {
    last_wake_frames_ = wal_frames_;
    {
      std::lock_guard lk(ckpt_mu_);
      ckpt_wanted_ = true;
    }
    ckpt_cv_.notify_one();
  }

  void CheckpointLoop() {
    pthread_setname_np(pthread_self(), "us-sqlite-ckpt");
    for (;;) {
      std::uint64_t generation;
      {
        std::unique_lock lk(ckpt_mu_);
        // Also once a second when idle, so a quiet store's WAL gets copied back and restarts.
        ckpt_cv_.wait_for(lk, std::chrono::seconds(1), [&] { return ckpt_wanted_ || ckpt_stop_; });
        if (ckpt_stop_) return;
        ckpt_wanted_ = false;
        generation = ckpt_generation_;
      }
      int log = 0, done = 0;
      int rc = sqlite3_wal_checkpoint_v2(checkpointer_->raw(), nullptr, SQLITE_CHECKPOINT_PASSIVE,
                                         &log, &done);
      if (rc != SQLITE_OK) continue;  // e.g. BUSY: the writer is finishing a tail itself
      checkpoints_.fetch_add(1, std::memory_order_relaxed);
      std::lock_guard lk(ckpt_mu_);
      ckpt_result_ = CheckpointResult{generation, log, done};
    }
  }

  Result<void> Run(const char* sql) {
    auto st = writer_->Prepare(sql);
    if (!st) return Fail(st.error());
    return StepDone(*writer_, *st, sql);
  }

  void FailAll(const std::vector<WriteOp*>& batch, const Error& e) {
    for (WriteOp* op : batch) op->batch_error = e;
  }

  // Runs a batch in one transaction. First without savepoints (they cost the writer about a
  // sixth of its time per operation); if any operation fails or discards its work, the whole
  // transaction is rolled back and the batch runs again with a savepoint around each operation,
  // so that only that one is undone. Operations are functions of the database, safe to run
  // twice: the second run overwrites what the first one returned.
  void RunBatch(const std::vector<WriteOp*>& batch, Batch& state) {
    transactions_.fetch_add(1, std::memory_order_relaxed);
    operations_.fetch_add(static_cast<std::int64_t>(batch.size()), std::memory_order_relaxed);
    auto size = static_cast<std::int64_t>(batch.size());
    if (size > max_batch_seen_.load(std::memory_order_relaxed)) max_batch_seen_.store(size);
    if (!RunBatchOnce(batch, state, /*savepoints=*/false)) {
      RunBatchOnce(batch, state, /*savepoints=*/true);
    }
  }

  // false: an operation failed without savepoints; nothing was kept, run it again with them.
  bool RunBatchOnce(const std::vector<WriteOp*>& batch, Batch& state, bool savepoints) {
    state.Clear();
    state.log().BeginBatch();
    if (auto r = Run(kBegin); !r) {
      FailAll(batch, r.error());
      return true;
    }
    auto abort = [&](Error e) {
      state.log().AbortBatch();
      if (writer_->InTransaction()) (void)Run(kRollback);
      if (e.code != Code::kUnavailable) e.message = "the write was not committed: " + e.message;
      FailAll(batch, e);
      return true;
    };
    for (WriteOp* op : batch) {
      if (savepoints) {
        if (auto r = Run(kSavepoint); !r) return abort(r.error());
        state.log().BeginOp();
      }
      bool keep = op->run(op->fn, state);
      if (state.TakeDiscard()) keep = false;
      if (!keep) {
        if (!writer_->InTransaction()) {
          // SQLite rolled the whole transaction back (I/O error, disk full...): the
          // operation's failed step left its code on the connection.
          int rc = sqlite3_extended_errcode(writer_->raw());
          if ((rc & 0xff) == SQLITE_FULL) return abort(writer_->ErrorFor(rc, "write"));
          return abort(Error{Code::kInternal, "the transaction was rolled back", {}, 0});
        }
        if (!savepoints) {
          state.log().AbortBatch();
          if (auto r = Run(kRollback); !r) return abort(r.error());
          return false;
        }
        state.log().AbortOp();
        if (auto r = Run(kRollbackTo); !r) return abort(r.error());
      }
      if (savepoints) {
        if (auto r = Run(kRelease); !r) return abort(r.error());
      }
    }
    if (auto r = state.Flush(); !r) return abort(r.error());
    // Before COMMIT, so that whoever sees the clearing committed also sees it pending.
    if (state.cleared_addresses() > 0) {
      scrub_pending_.fetch_add(state.cleared_addresses(), std::memory_order_relaxed);
    }
    if (auto r = Run(kCommit); !r) return abort(r.error());
    int cur = 0, high = 0;
    if (sqlite3_db_status(writer_->raw(), SQLITE_DBSTATUS_CACHE_WRITE, &cur, &high, 1) ==
        SQLITE_OK) {
      pages_written_.fetch_add(cur, std::memory_order_relaxed);
    }
    return true;
  }

  static constexpr int kCheckpointPages = 2000;  // 8 MiB of 4 KiB pages
  static constexpr int kRestartPages = 16000;    // 64 MiB
  static constexpr int kTailPages = 512;
  static constexpr int kWalLimitPages = 65536;  // 256 MiB
  // Scrubbing the WAL (ScrubWal): at most this long after the commit that cleared an address
  // while writes keep coming (the bound the README states); after this long without writes;
  // how long a TRUNCATE waits for reads to end; how soon a scrub that had to give up tries
  // again.
  static constexpr std::chrono::milliseconds kScrubDelay{1000};
  static constexpr std::chrono::milliseconds kScrubIdle{100};
  static constexpr std::chrono::milliseconds kScrubBusy{20};
  static constexpr std::chrono::milliseconds kScrubRetry{50};

  struct CheckpointResult {
    std::uint64_t generation = 0;  // of the WAL the pass ran on
    int log = 0;                   // frames in the WAL
    int done = 0;                  // frames copied into the database
  };

  const SqliteOptions options_;
  std::unique_ptr<FieldSealer> sealer_;    // set once by LoadSealKey, before any write
  std::unique_ptr<PublicIds> public_ids_;  // set once by LoadSealKey, before any use
  const std::string wal_path_;
  std::unique_ptr<Db> writer_;      // used by the writer thread only (and Open before it starts)
  std::unique_ptr<LogWriter> log_;  // writer thread only
  RowIds row_ids_;                  // writer thread only
  std::vector<std::unique_ptr<Db>> readers_;
  std::unique_ptr<Db> checkpointer_;  // used by the checkpoint thread only
  int wal_fd_;                        // used by the syncer thread only

  // Writer thread only.
  int wal_frames_ = 0;  // set by WalHook after each commit
  int last_frames_ = 0;
  int last_wake_frames_ = 0;
  std::uint64_t wal_generation_ = 0;
  bool scrub_wanted_ = false;  // a cleared address may be in the WAL (set at open if asked)
  std::chrono::steady_clock::time_point scrub_by_;  // when busy, scrub at the latest then

  std::mutex sync_mu_;  // guards sync_queue_ and sync_stop_
  std::condition_variable sync_cv_;
  std::vector<WriteOp*> sync_queue_;  // committed, waiting for fdatasync
  bool sync_stop_ = false;
  std::thread syncer_;

  std::mutex ckpt_mu_;  // guards the ckpt_ fields
  std::condition_variable ckpt_cv_;
  std::uint64_t ckpt_generation_ = 0;  // how many times the WAL restarted
  CheckpointResult ckpt_result_;       // of the last background pass
  bool ckpt_wanted_ = false;
  bool ckpt_stop_ = false;
  std::thread checkpoint_thread_;

  std::mutex readers_mu_;
  std::condition_variable readers_cv_;
  std::vector<Db*> free_readers_;

  std::mutex mu_;  // guards queue_ and closing_
  std::condition_variable cv_;
  std::deque<WriteOp*> queue_;
  bool closing_ = false;

  std::mutex close_mu_;
  std::thread thread_;

  std::atomic<std::int64_t> transactions_{0};
  std::atomic<std::int64_t> operations_{0};
  std::atomic<std::int64_t> max_batch_seen_{0};
  std::atomic<std::int64_t> pages_written_{0};
  std::atomic<std::int64_t> syncs_{0};
  std::atomic<std::int64_t> checkpoints_{0};
  std::atomic<std::int64_t> wal_scrubs_{0};
  std::atomic<std::int64_t> scrub_pending_{0};
};

Result<void> Configure(Db& db, const SqliteOptions& o, bool writer) {
  std::string pragmas =
      "PRAGMA busy_timeout = " + std::to_string(std::max(o.busy_timeout_ms, 0)) +
      "; PRAGMA cache_size = -" +
      std::to_string(std::max(writer ? o.writer_cache_kib : o.reader_cache_kib, 64)) +
      "; PRAGMA temp_store = MEMORY; PRAGMA mmap_size = 0;";
  if (writer) {
    // NORMAL: COMMIT does not fsync; SqliteStore's syncer fdatasyncs the WAL before any caller
    // is answered, which is what FULL would do, but off the writer thread and once for every
    // batch committed meanwhile. Checkpoints still sync the WAL before copying it (NORMAL).
    pragmas += " PRAGMA synchronous = NORMAL; PRAGMA wal_autocheckpoint = 0;";
    pragmas += " PRAGMA foreign_keys = ON; PRAGMA journal_size_limit = 100663296;";
    // FAST: content a write removes or replaces is zeroed where that costs no extra I/O, so a
    // work address cleared from the outbox once its link is sent (or a sealed name replaced at
    // the reveal) does not linger in free space of the page it was on.
    pragmas += " PRAGMA secure_delete = FAST;";
    if (o.max_pages > 0) pragmas += " PRAGMA max_page_count = " + std::to_string(o.max_pages) + ";";
  }
  // Our own integers only; PRAGMAs take no bound parameters.
  return db.Exec(pragmas.c_str());
}

// For the owner of the data directory, before any of its connections opens: empties what a
// killed server left in the WAL (see "Work addresses"), then runs CheckDatabaseFile over the
// B-trees the schema names, on a file that now holds every page's current version. That check
// reads the file through a descriptor of its own, which must open and close while this process
// has no SQLite connection to the file: closing any descriptor of a file drops every POSIX lock
// the process holds on it, SQLite's included (another process could then take the database for
// itself, and delete the WAL under the store). If another process's read keeps the WAL busy,
// the check is left out (and the writer scrubs later).
Result<void> ScrubAndCheckFile(const SqliteOptions& options) {
  std::error_code ec;
  if (!std::filesystem::exists(options.path, ec)) return {};  // a new database
  std::vector<std::pair<std::string, std::uint32_t>> roots{{"sqlite_schema", 1}};
  {
    auto db = Db::Open(options.path, SQLITE_OPEN_READWRITE);
    if (!db) return Fail(db.error());
    sqlite3* raw = (*db)->raw();
    sqlite3_busy_timeout(raw, std::max(options.busy_timeout_ms, 0));
    if (sqlite3_wal_checkpoint_v2(raw, nullptr, SQLITE_CHECKPOINT_TRUNCATE, nullptr, nullptr) !=
        SQLITE_OK) {
      return {};
    }
    auto st = (*db)->Prepare("SELECT name, rootpage FROM sqlite_schema WHERE rootpage > 0");
    if (!st) return Fail(st.error());
    int rc;
    while ((rc = st->Step()) == SQLITE_ROW) {
      roots.emplace_back(st->Text(0), static_cast<std::uint32_t>(st->Int(1)));
    }
    if (rc != SQLITE_DONE) {
      return Fail(Code::kInternal, "the database file " + options.path +
                                       " is damaged: its schema cannot be read (" +
                                       sqlite3_errstr(rc) + ")");
    }
  }  // closed: no connection of this process is open now
  return CheckDatabaseFile(options.path, roots);
}

}  // namespace

Result<std::unique_ptr<Store>> OpenSqliteStore(const SqliteOptions& options) {
  if (sodium_init() < 0) return Fail(Code::kInternal, "libsodium failed to initialise");
  if (options.path.empty()) return Fail(Code::kInvalidArgument, "no database path given");
  if (options.scrub_wal_at_open) {
    if (auto r = ScrubAndCheckFile(options); !r) return Fail(r.error());
  }
  auto writer = Db::Open(options.path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
  if (!writer) return Fail(writer.error());
  Db& w = **writer;
  {
    // Only takes effect on a new, empty file (before the WAL switch and the first table).
    std::string ps = "PRAGMA page_size = " + std::to_string(options.page_size);
    if (auto r = w.Exec(ps.c_str()); !r) return Fail(r.error());
  }
  auto mode = w.QueryText("PRAGMA journal_mode = WAL");
  if (!mode) return Fail(mode.error());
  if (*mode != "wal") {
    return Fail(Code::kInternal, "the database could not be switched to WAL mode");
  }
  if (auto r = Configure(w, options, true); !r) return Fail(r.error());
  if (auto r = Migrate(w); !r) return Fail(r.error());

  // The WAL file exists now (Migrate ran a write transaction). Keep a descriptor of it for the
  // syncer, and make the directory entries of the database and the WAL durable once.
  int wal_fd = -1;
  if (options.synchronous_full) {
    std::string wal_path = options.path + "-wal";
    wal_fd = ::open(wal_path.c_str(), O_RDONLY | O_CLOEXEC);
    if (wal_fd < 0) {
      return Fail(Code::kInternal,
                  "cannot open the WAL file: " + std::string(std::strerror(errno)));
    }
    std::filesystem::path dir = std::filesystem::absolute(options.path).parent_path();
    int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
      ::fsync(dfd);
      ::close(dfd);
    }
    if (::fdatasync(wal_fd) != 0) {
      ::close(wal_fd);
      return Fail(Code::kInternal,
                  "cannot sync the WAL file: " + std::string(std::strerror(errno)));
    }
  }
  auto fail = [&](Error e) -> Result<std::unique_ptr<Store>> {
    if (wal_fd >= 0) ::close(wal_fd);
    return Fail(std::move(e));
  };
  auto checkpointer = Db::Open(options.path, SQLITE_OPEN_READWRITE);
  if (!checkpointer) return fail(checkpointer.error());
  {
    SqliteOptions small = options;
    small.reader_cache_kib = 1024;
    // It only ever waits in a RESTART checkpoint, which holds writers back while it waits.
    small.busy_timeout_ms = 50;
    if (auto c = Configure(**checkpointer, small, false); !c) return fail(c.error());
  }

  std::vector<std::unique_ptr<Db>> readers;
  for (int i = 0; i < std::max(options.read_connections, 1); ++i) {
    auto r = Db::Open(options.path, SQLITE_OPEN_READONLY);
    if (!r) return fail(r.error());
    if (auto c = Configure(**r, options, false); !c) return fail(c.error());
    readers.push_back(std::move(*r));
  }
  // The log's compact range, from the stored nodes (a missing node is a damaged log: say so
  // rather than append to a tree nobody can verify).
  auto log_size = w.QueryText(kLogSize);
  if (!log_size) return fail(log_size.error());
  DbNodeReader nodes(w);
  auto range = log::RestoreCompactRange(nodes, std::stoull(*log_size));
  if (!range) {
    return fail(Error{Code::kInternal,
                      "the signature log in the database is damaged (a node hash of its " +
                          *log_size + " leaves is missing: " + range.error().message + ")",
                      {},
                      0});
  }
  auto store = std::make_unique<SqliteStore>(options, std::move(*writer), std::move(readers),
                                             std::move(*checkpointer), wal_fd, std::move(*range));
  if (auto r = store->LoadSealKey(); !r) return Fail(r.error());
  return std::unique_ptr<Store>(std::move(store));
}

std::optional<SqliteStats> GetSqliteStats(const Store& store) {
  if (const auto* s = dynamic_cast<const SqliteStore*>(&store)) return s->Stats();
  return std::nullopt;
}

}  // namespace undersigned::store
