// SqliteTx's methods: the SQL behind each WriteTx call (see sqlite_tx.h).
#include "store/sqlite/sqlite_tx.h"

#include <sqlite3.h>

#include <algorithm>
#include <utility>

#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"

namespace undersigned::store {
namespace {

// Binds group_key, protection, seal_threshold, sealed, verified, attestation from first on.
void BindGroupFields(Stmt& st, int first, const SignatureRow& row) {
  const Signature& s = row.signature;
  st.Bind(first, KeyOrPublic(s.form.group));
  st.Bind(first + 1, ProtectionName(s.form.protection));
  if (s.form.protection == Protection::kSealed) {
    st.Bind(first + 2, s.form.seal_threshold);
  } else {
    st.BindNull(first + 2);
  }
  if (row.sealed.empty()) {
    st.BindNull(first + 3);
  } else {
    st.BindBlob(first + 3, row.sealed);
  }
  if (row.verifies) {
    st.Bind(first + 4, s.verified ? 1 : 0);
  } else {
    st.BindNull(first + 4);
  }
  st.Bind(first + 5, s.attestation);
}

void BindLogFields(Stmt& st, int first, const SignatureRow& row) {
  if (row.log_salt.empty()) {
    st.BindNull(first);
  } else {
    st.BindBlob(first, row.log_salt);
  }
  if (row.leaf_index) {
    st.Bind(first + 1, static_cast<std::int64_t>(*row.leaf_index));
  } else {
    st.BindNull(first + 1);
  }
}

Result<SignatureRow> ReadRow(Db& db, Stmt& st) {
  return QueryOne(db, st, "no such signature",
                  [](Stmt& s) { return Wrap(SignatureRowFromRow(s)); });
}

}  // namespace

// --- campaigns

Result<const Campaign*> SqliteTx::CampaignById(std::int64_t id) {
  auto it = campaigns_.find(id);
  if (it != campaigns_.end()) return &it->second;
  auto c = ReadCampaign(db_, sql::kCampaignById, [&](Stmt& st) { st.Bind(1, id); });
  if (!c) return Fail(c.error());
  return &campaigns_.emplace(id, std::move(*c)).first->second;
}

Result<std::string> SqliteTx::CurrentTextHash(std::int64_t campaign_id) {
  auto it = text_hashes_.find(campaign_id);
  if (it != text_hashes_.end()) return it->second;
  auto st = db_.Prepare(sql::kLatestText);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  int rc = st->Step();
  std::string hash;
  if (rc == SQLITE_ROW) {
    hash = st->Text(1);
  } else if (rc != SQLITE_DONE) {
    return Fail(db_.ErrorFor(rc, "reading the campaign's text"));
  }
  return text_hashes_.emplace(campaign_id, std::move(hash)).first->second;
}

Result<CampaignCounts> SqliteTx::Counts(std::int64_t campaign_id) {
  auto it = counts_.find(campaign_id);
  if (it != counts_.end()) return it->second.counts;
  auto c = ReadCounts(db_, campaign_id);
  if (!c) return Fail(c.error());
  return counts_.emplace(campaign_id, Entry{*c, false}).first->second.counts;
}

const CampaignCounts* SqliteTx::Peek(std::int64_t campaign_id) const {
  auto it = counts_.find(campaign_id);
  return it == counts_.end() ? nullptr : &it->second.counts;
}

void SqliteTx::MoveCounts(std::int64_t campaign_id, const CountsDelta& d) {
  Entry& e = counts_.at(campaign_id);
  e.dirty = true;  // (a move between groups changes no other count, and must be saved too)
  for (const GroupCount& g : d.groups) {
    auto it = std::find_if(e.counts.groups.begin(), e.counts.groups.end(),
                           [&](const GroupCount& x) { return x.key == g.key; });
    if (it != e.counts.groups.end()) {
      it->confirmed += g.confirmed;
    } else {
      e.counts.groups.push_back(g);
    }
  }
  if (d.pending == 0 && d.confirmed == 0 && d.withdrawn == 0) return;
  e.counts.pending += d.pending;
  e.counts.confirmed += d.confirmed;
  e.counts.withdrawn += d.withdrawn;
  e.counts.last_change = std::max(e.counts.last_change, d.now);
  e.counts.changes += 1;
  auto& hour = e.hours[DeltaHour(d)];
  hour[0] += d.pending;
  hour[1] += d.confirmed;
  hour[2] += d.withdrawn;
}

Result<void> SqliteTx::Flush() {
  for (auto& [id, e] : counts_) {
    if (!e.dirty) continue;
    auto st = db_.Prepare(sql::kSaveCounts);
    if (!st) return Fail(st.error());
    st->Bind(1, id).Bind(2, e.counts.pending).Bind(3, e.counts.confirmed);
    st->Bind(4, e.counts.withdrawn).Bind(5, e.counts.last_change).Bind(6, e.counts.changes);
    const std::string groups = GroupCountsJson(e.counts.groups);  // bound without a copy
    st->Bind(7, groups);
    if (auto r = StepDone(db_, *st, "saving counts"); !r) return r;
    for (const auto& [hour, d] : e.hours) {
      auto h = db_.Prepare(sql::kAddHour);
      if (!h) return Fail(h.error());
      h->Bind(1, id).Bind(2, hour).Bind(3, d[0]).Bind(4, d[1]).Bind(5, d[2]);
      if (auto r = StepDone(db_, *h, "saving hourly counts"); !r) return r;
    }
    e.hours.clear();
  }
  for (const auto& [k, d] : tallies_.deltas()) {
    if (d.pending == 0 && d.confirmed == 0) continue;
    auto st = db_.Prepare(sql::kAddTally);
    if (!st) return Fail(st.error());
    st->Bind(1, k.campaign_id).Bind(2, kTallyKindNames[k.kind]).Bind(3, k.key);
    st->Bind(4, d.pending).Bind(5, d.confirmed);
    if (auto r = StepDone(db_, *st, "saving the tallies"); !r) return r;
  }
  tallies_.Clear();
  return {};
}

void SqliteTx::Clear() {
  counts_.clear();
  tallies_.Clear();
  campaigns_.clear();
  text_hashes_.clear();
  cleared_addresses_ = 0;
  discard_ = false;
}

Result<bool> SqliteTx::RecordOutcome(std::int64_t campaign_id, CampaignOutcome outcome,
                                     UnixTime now) {
  auto st = db_.Prepare(sql::kDecideCampaign);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, OutcomeName(outcome)).Bind(3, now);
  if (auto r = StepDone(db_, *st, "deciding the campaign"); !r) return Fail(r.error());
  if (db_.Changes() == 0) return false;
  if (auto it = campaigns_.find(campaign_id); it != campaigns_.end()) {
    it->second.outcome = outcome;
    it->second.outcome_at = now;
    it->second.modified = std::max(it->second.modified, now);
  }
  return true;
}

Result<std::vector<DueCampaign>> SqliteTx::DueCampaigns(UnixTime now) {
  auto st = db_.Prepare(sql::kDueCampaigns);
  if (!st) return Fail(st.error());
  st->Bind(1, now);
  std::vector<DueCampaign> due;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) due.push_back({st->Int(0), st->Int(1)});
  if (rc != SQLITE_DONE) return Fail(db_.ErrorFor(rc, "reading campaigns"));
  return due;
}

Result<void> SqliteTx::TouchCampaign(std::int64_t campaign_id, UnixTime now) {
  auto st = db_.Prepare(sql::kTouchCampaign);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, now);
  if (auto r = StepDone(db_, *st, "updating the campaign"); !r) return r;
  if (auto it = campaigns_.find(campaign_id); it != campaigns_.end()) {
    it->second.modified = std::max(it->second.modified, now);
  }
  return {};
}

// --- people and signatures

Result<std::optional<TokenBucket>> SqliteTx::SignerBucket(std::string_view canonical_email) {
  looked_up_email_.clear();
  looked_up_.reset();
  auto st = db_.Prepare(sql::kPersonBucketByEmail);
  if (!st) return Fail(st.error());
  st->Bind(1, canonical_email);
  const int rc = st->Step();
  if (rc == SQLITE_DONE) {
    looked_up_email_ = canonical_email;
    return std::optional<TokenBucket>();
  }
  if (rc != SQLITE_ROW) return Fail(db_.ErrorFor(rc, "reading the person's limit"));
  looked_up_email_ = canonical_email;
  looked_up_ = PersonRef{st->Int(0), st->Text(1)};
  if (st->IsNull(2) || st->IsNull(3)) return std::optional<TokenBucket>();
  return std::optional<TokenBucket>(TokenBucket{st->Double(2), st->Double(3)});
}

Result<PersonRef> SqliteTx::UpsertSigner(const SignerPerson& p) {
  // SignerBucket just read this person: an existing one keeps the id it read.
  std::optional<PersonRef> known;
  if (!looked_up_email_.empty() && looked_up_email_ == p.canonical_email) known = looked_up_;
  looked_up_email_.clear();
  looked_up_.reset();
  PersonRef out;
  for (int attempt = 0;; ++attempt) {
    auto id = row_ids_.NextPerson(db_);
    if (!id) return Fail(id.error());
    out.uuid = public_ids().Uuid(IdKind::kPerson, *id);
    auto st = db_.Prepare(sql::kUpsertPerson);
    if (!st) return Fail(st.error());
    st->Bind(10, *id).Bind(1, out.uuid).Bind(2, p.canonical_email).Bind(3, p.email);
    st->Bind(4, p.given_name).Bind(5, p.family_name).Bind(6, p.postal_code).Bind(7, p.country);
    st->Bind(8, p.subscribed).Bind(9, p.now);
    if (p.bucket) {
      st->Bind(11, p.bucket->tokens).Bind(12, p.bucket->at);
    } else {
      st->BindNull(11).BindNull(12);
    }
    // An upsert does not set the last insert rowid when it updates: 0 then means "existed".
    db_.SetLastInsertId(0);
    const int rc = st->Step();
    if (rc == SQLITE_DONE) break;
    if (attempt == 0 && IsPrimaryKeyConflict(db_, rc)) {
      row_ids_.Forget();
      continue;
    }
    return Fail(db_.ErrorFor(rc, "saving the person"));
  }
  out.id = db_.LastInsertId();
  if (out.id != 0) {
    row_ids_.TookPerson();
    return out;
  }
  // An existing person keeps their id and uuid.
  if (known) return *known;
  auto st = db_.Prepare(sql::kPersonIdByEmail);
  if (!st) return Fail(st.error());
  st->Bind(1, p.canonical_email);
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(db_.ErrorFor(rc, "finding the person"));
  out.id = st->Int(0);
  out.uuid = st->Text(1);
  return out;
}

Result<std::optional<SignatureRow>> SqliteTx::InsertSignature(const SignatureRow& in) {
  const Signature& s = in.signature;
  for (int attempt = 0;; ++attempt) {
    auto id = row_ids_.NextSignature(db_, s.campaign_id);
    if (!id) return Fail(id.error());
    std::string uuid = public_ids().Uuid(IdKind::kSignature, *id);
    auto st = db_.Prepare(sql::kInsertSignature);
    if (!st) return Fail(st.error());
    st->Bind(25, *id).Bind(1, uuid).Bind(2, s.campaign_id).Bind(3, s.person_id);
    st->Bind(4, s.form.name).Bind(5, s.form.email).Bind(6, s.canonical_email);
    st->Bind(7, s.form.postal_code).Bind(8, s.form.country).Bind(9, s.form.comment);
    st->Bind(10, s.form.public_name).Bind(11, s.form.wants_updates);
    st->Bind(12, SignatureStateName(s.state)).Bind(13, s.source).Bind(14, s.confirm_sends);
    st->Bind(15, s.created).Bind(16, s.confirmed);
    BindLogFields(*st, 17, in);
    BindGroupFields(*st, 19, in);
    st->Bind(26, s.origin.referrer).Bind(27, s.origin.utm_source).Bind(28, s.origin.utm_medium);
    st->Bind(29, s.origin.utm_campaign).Bind(30, s.origin.channel);
    BindOptText(*st, 31, in.client_net.empty() ? nullptr : in.client_net.c_str());
    st->Bind(32, s.origin.referral);
    int rc = st->Step();
    if (attempt == 0 && IsPrimaryKeyConflict(db_, rc)) {
      // Another process took this id: read the last ids again, then insert again.
      st->Reset();
      row_ids_.Forget();
      continue;
    }
    if (rc != SQLITE_DONE) return Fail(db_.ErrorFor(rc, "saving the signature"));
    if (db_.Changes() != 1) return std::optional<SignatureRow>();  // one exists (DO NOTHING)
    row_ids_.TookSignature(s.campaign_id);
    tallies_.Move(s.campaign_id, nullptr, TallyFields::OfInsert(in));
    std::optional<SignatureRow> out(in);
    out->signature.id = *id;
    out->signature.uuid = std::move(uuid);
    return out;
  }
}

Result<SignatureRow> SqliteTx::SignatureOf(std::int64_t campaign_id, std::int64_t person_id) {
  auto st = db_.Prepare(sql::kSignatureByPerson);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, person_id);
  return ReadRow(db_, *st);
}

Result<SignatureRow> SqliteTx::SignatureByToken(std::string_view token_hash, TokenKind kind) {
  auto st = db_.Prepare(kind == TokenKind::kSigning ? sql::kSignatureByConfirmHash
                                                    : sql::kSignatureByWithdrawHash);
  if (!st) return Fail(st.error());
  const std::string key = HashKey(token_hash);
  st->BindBlob(1, key);
  return ReadRow(db_, *st);
}

Result<void> SqliteTx::SaveSignature(const SignatureRow& row) {
  const Signature& s = row.signature;
  // What the row adds to the tallies as stored, to move them by the difference.
  TallyFields before;
  std::int64_t campaign_id = 0;
  {
    auto old = db_.Prepare(sql::kTallyFieldsOf);
    if (!old) return Fail(old.error());
    old->Bind(1, s.id);
    const int rc = old->Step();
    if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such signature");
    if (rc != SQLITE_ROW) return Fail(db_.ErrorFor(rc, "reading the signature"));
    before.counted = TallyFields::CountedOf(old->View(0));
    for (int k = 0; k < kTallyKinds; ++k) before.keys[k] = old->Text(k + 1);
    campaign_id = old->Int(7);
    old->Reset();
  }
  auto st = db_.Prepare(sql::kSaveSignature);
  if (!st) return Fail(st.error());
  st->Bind(1, s.id).Bind(2, s.person_id).Bind(3, s.form.name).Bind(4, s.form.email);
  st->Bind(5, s.form.postal_code).Bind(6, s.form.country).Bind(7, s.form.comment);
  st->Bind(8, s.form.public_name).Bind(9, s.form.wants_updates);
  st->Bind(10, SignatureStateName(s.state)).Bind(11, s.source).Bind(12, s.confirm_sends);
  st->Bind(13, s.modified).Bind(14, s.confirmed);
  BindGroupFields(*st, 15, row);
  BindLogFields(*st, 21, row);
  if (auto r = StepDone(db_, *st, "saving the signature"); !r) return r;
  tallies_.Move(campaign_id, &before, TallyFields::OfSave(before, row));
  return {};
}

// --- moderation

namespace {
ModerationCandidate CandidateFromRow(const Stmt& st) {
  ModerationCandidate c;
  c.row = SignatureRowFromRow(st);
  c.client_net = st.Text(34);
  c.moderation.comment = static_cast<CommentReview>(std::clamp<std::int64_t>(st.Int(35), 0, 2));
  c.moderation.name_hidden = st.Bool(36);
  c.moderation.invalidated = st.OptInt(37);
  c.moderation.invalidated_by = st.Text(38);
  c.moderation.invalidation_reason = st.Text(39);
  return c;
}
}  // namespace

Result<std::vector<ModerationCandidate>> SqliteTx::ModerationCandidates(
    std::int64_t campaign_id, bool pending, bool confirmed, std::optional<UnixTime> from,
    std::optional<UnixTime> to) {
  auto st = db_.Prepare(sql::kModerationCandidates);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, pending).Bind(3, confirmed).Bind(4, from).Bind(5, to);
  std::vector<ModerationCandidate> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.push_back(CandidateFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(db_.ErrorFor(rc, "reading signatures"));
  return out;
}

Result<ModerationCandidate> SqliteTx::SignatureForModeration(std::int64_t signature_id) {
  auto st = db_.Prepare(sql::kModerationOf);
  if (!st) return Fail(st.error());
  st->Bind(1, signature_id);
  return QueryOne(db_, *st, "no such signature", [](Stmt& s) { return Wrap(CandidateFromRow(s)); });
}

Result<void> SqliteTx::SaveModeration(std::int64_t signature_id, const SignatureModeration& m) {
  auto st = db_.Prepare(sql::kSaveModeration);
  if (!st) return Fail(st.error());
  st->Bind(1, signature_id).Bind(2, static_cast<std::int64_t>(m.comment)).Bind(3, m.name_hidden);
  st->Bind(4, m.invalidated).Bind(5, m.invalidated_by).Bind(6, m.invalidation_reason);
  if (auto r = StepDone(db_, *st, "saving the moderation"); !r) return r;
  if (db_.Changes() != 1) return Fail(Code::kNotFound, "no such signature");
  return {};
}

Result<bool> SqliteTx::CommentApproval(std::int64_t campaign_id) {
  auto st = db_.Prepare(sql::kCommentApprovalOf);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(db_.ErrorFor(rc, "reading the comment approval"));
  return st->Int(0) > 0;
}

Result<void> SqliteTx::SetCommentApproval(std::int64_t campaign_id, bool on, UnixTime now) {
  auto st = db_.Prepare(on ? sql::kSetCommentApproval : sql::kClearCommentApproval);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  if (on) st->Bind(2, now);
  return StepDone(db_, *st, "saving the comment approval");
}

Result<std::vector<ModerationCandidate>> SqliteTx::AwaitingComments(std::int64_t campaign_id,
                                                                    int limit) {
  auto st = db_.Prepare(sql::kAwaitingComments);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, std::max(limit, 0));
  std::vector<ModerationCandidate> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.push_back(CandidateFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(db_.ErrorFor(rc, "reading comments"));
  return out;
}

Result<std::int64_t> SqliteTx::ForgetClientNetworks(UnixTime before) {
  auto st = db_.Prepare(sql::kForgetClientNetworks);
  if (!st) return Fail(st.error());
  st->Bind(1, before);
  if (auto r = StepDone(db_, *st, "forgetting networks"); !r) return Fail(r.error());
  return static_cast<std::int64_t>(db_.Changes());
}

Result<void> SqliteTx::AddToken(std::int64_t signature_id, std::string_view token_hash,
                                TokenKind kind) {
  auto st = db_.Prepare(kind == TokenKind::kSigning ? sql::kInsertSigningToken
                                                    : sql::kInsertWithdrawToken);
  if (!st) return Fail(st.error());
  const std::string key = HashKey(token_hash);
  st->BindBlob(1, key).Bind(2, signature_id);
  return StepDone(db_, *st, "saving the token");
}

Result<std::vector<SignatureRow>> SqliteTx::SealedToReveal(std::int64_t campaign_id,
                                                           std::string_view group_key,
                                                           std::int64_t count) {
  auto st = db_.Prepare(sql::kSealedToReveal);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, group_key).Bind(3, count);
  std::vector<SignatureRow> rows;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) rows.push_back(SignatureRowFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(db_.ErrorFor(rc, "reading sealed signatures"));
  return rows;
}

Result<void> SqliteTx::ForEachOutcomeRecipient(
    std::int64_t campaign_id, const std::function<Result<void>(const OutcomeRecipient&)>& fn) {
  auto st = db_.Prepare(sql::kOutcomeRecipients);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  int rc;
  // (fn queues mail: inserts into outbox while this reads signatures, which SQLite allows.)
  while ((rc = st->Step()) == SQLITE_ROW) {
    OutcomeRecipient r;
    if (st->IsNull(1)) {
      r.email = st->Text(0);
    } else {
      r.sealed = st->Text(1);
    }
    if (auto x = fn(r); !x) {
      st->Reset();
      return x;
    }
  }
  if (rc != SQLITE_DONE) return Fail(db_.ErrorFor(rc, "reading signers"));
  return {};
}

// --- organizations

Result<Organization> SqliteTx::InsertOrganization(const Organization& in,
                                                  std::string_view confirm_token_hash,
                                                  std::string_view logo_png) {
  Organization o = in;
  const std::string confirm_key = HashKey(confirm_token_hash);
  auto st = db_.Prepare(sql::kInsertOrganization);
  if (!st) return Fail(st.error());
  st->Bind(1, o.uuid).Bind(2, o.campaign_id).Bind(3, o.form.name).Bind(4, o.form.website);
  st->Bind(5, o.form.contact_email).Bind(6, o.canonical_email).Bind(7, o.form.statement);
  st->BindBlob(8, confirm_key).Bind(9, o.created);
  if (logo_png.empty()) {
    st->BindNull(10);
  } else {
    st->BindBlob(10, logo_png);
  }
  int rc = st->Step();
  if (rc == SQLITE_CONSTRAINT) {
    return Fail(Code::kConflict, "this address already put an organization on this campaign");
  }
  if (rc != SQLITE_DONE) return Fail(db_.ErrorFor(rc, "saving the organization"));
  o.id = db_.LastInsertId();
  o.state = OrganizationState::kPending;
  o.has_logo = !logo_png.empty();
  return o;
}

Result<Organization> SqliteTx::OrganizationByConfirmToken(std::string_view token_hash) {
  auto st = db_.Prepare(sql::kOrganizationByConfirm);
  if (!st) return Fail(st.error());
  const std::string key = HashKey(token_hash);
  st->BindBlob(1, key);
  return QueryOne(db_, *st, "no such organization",
                  [](Stmt& s) { return Wrap(OrganizationFromRow(s)); });
}

Result<Organization> SqliteTx::OrganizationByUuid(std::string_view uuid) {
  auto st = db_.Prepare(sql::kOrganizationByUuid);
  if (!st) return Fail(st.error());
  st->Bind(1, uuid);
  return QueryOne(db_, *st, "no such organization",
                  [](Stmt& s) { return Wrap(OrganizationFromRow(s)); });
}

Result<void> SqliteTx::SaveOrganization(const Organization& o, std::string_view review_token_hash) {
  auto st = db_.Prepare(sql::kSaveOrganization);
  if (!st) return Fail(st.error());
  st->Bind(1, o.id).Bind(2, OrganizationStateName(o.state)).Bind(3, o.modified);
  st->Bind(4, o.decided);
  const std::string review_key = HashKey(review_token_hash);
  if (review_token_hash.empty()) {
    st->BindNull(5);
  } else {
    st->BindBlob(5, review_key);
  }
  return StepDone(db_, *st, "saving the organization");
}

// --- outbox

Result<void> SqliteTx::QueueMail(const NewMail& mail) {
  auto st = db_.Prepare(sql::kInsertOutbox);
  if (!st) return Fail(st.error());
  st->Bind(1, mail.kind).Bind(2, mail.recipient).Bind(3, mail.payload).Bind(4, mail.now);
  return StepDone(db_, *st, "queueing mail");
}

}  // namespace undersigned::store
