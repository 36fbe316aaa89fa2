#include "store/sqlite/rows.h"

#include <sqlite3.h>

#include <algorithm>
#include <ctime>

#include <nlohmann/json.hpp>

#include "store/sqlite/queries.h"

namespace undersigned::store {

UnixTime SystemNow() { return static_cast<UnixTime>(std::time(nullptr)); }

// A signature's group key, the public group for none. A reference, since statements bind text
// without copying it.
const std::string& KeyOrPublic(const std::string& key) {
  static const std::string kPublic = kPublicGroupKey;
  return key.empty() ? kPublic : key;
}

SignatureState ParseState(std::string_view s) {
  if (s == "confirmed") return SignatureState::kConfirmed;
  if (s == "withdrawn") return SignatureState::kWithdrawn;
  if (s == "invalidated") return SignatureState::kInvalidated;
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
  auto image = ParseImage(st.View(23));
  if (!image) return Fail(image.error());
  c.image = std::move(*image);
  auto secondary = ParseSecondaryTargetsJson(st.View(24));
  if (!secondary) return Fail(secondary.error());
  c.secondary_targets = std::move(*secondary);
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
  s.origin = {st.Text(25), st.Text(26), st.Text(27),
              st.Text(28), st.Text(29), ""};  // referral: not read back (core/origin.h)
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

Limits PageLimits(Page p) {
  std::int64_t per = std::clamp(p.per_page, 1, 1000);
  std::int64_t page = std::max(p.page, 1);
  return {per, (page - 1) * per};
}

const char* StatusOrNull(const std::optional<CampaignStatus>& s) {
  return s ? StatusName(*s) : nullptr;
}

Result<CampaignCounts> ReadCounts(Db& db, std::int64_t campaign_id) {
  auto st = db.Prepare(sql::kCountsOf);
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

SignatureRow SignatureRowFromRow(const Stmt& st) {
  SignatureRow r;
  r.signature = SignatureFromRow(st);
  if (!st.IsNull(30)) r.sealed = st.Text(30);
  if (!st.IsNull(31)) r.log_salt = st.Text(31);
  if (auto i = st.OptInt(32)) r.leaf_index = static_cast<std::uint64_t>(*i);
  r.verifies = st.Bool(33);
  return r;
}

void BindOptText(Stmt& st, int i, const char* v) {
  if (v != nullptr) {
    st.Bind(i, v);
  } else {
    st.BindNull(i);
  }
}

Result<void> StepDone(Db& db, Stmt& st, std::string_view what) {
  int rc = st.Step();
  if (rc != SQLITE_DONE && rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, what));
  return {};
}

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

}  // namespace undersigned::store
