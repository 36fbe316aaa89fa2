#include "store/postgres/pg_tx.h"

#include <algorithm>

#include "core/group.h"
#include "store/postgres/queries.h"
#include "store/postgres/rows.h"

namespace undersigned::store::pg {
namespace {

constexpr std::int64_t kIdBlock = 64;            // ids taken from a sequence at once
constexpr std::size_t kMaxKnownPeople = 100000;  // signers a writer remembers (~10 MB)

const char* TokenKindName(TokenKind k) { return k == TokenKind::kSigning ? "signing" : "withdraw"; }

std::string_view HashBytes(const log::Hash& h) {
  return {reinterpret_cast<const char*>(h.data()), h.size()};
}

// The rows of items as one multi-row statement's columns (PgRows), each added by add.
template <typename T, typename F>
PgRows Rows(int cols, const std::vector<T>& items, F&& add) {
  PgRows rows(cols);
  for (const T& item : items) add(rows.Add(), item);
  return rows;
}

}  // namespace

Result<std::int64_t> IdPool::Take(PgConn& conn) {
  std::lock_guard lk(mu_);
  if (ids_.empty()) {
    auto r = conn.Run(sql::kTakeIds, PgParams().Text(sequence_).Int(kIdBlock), "taking ids");
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->rows(); ++i) ids_.push_back(r->Int(i, 0));
    if (ids_.empty()) return Fail(Code::kInternal, "the sequence gave no id");
  }
  const std::int64_t id = ids_.front();
  ids_.pop_front();
  return id;
}

// --- campaigns

Result<const Campaign*> PgTx::CampaignById(std::int64_t id) {
  if (auto it = campaigns_.find(id); it != campaigns_.end()) return &it->second;
  return ReadCampaign(id);
}

// Reads the campaign into its entry (the same object once made: scripts keep the pointer for
// the whole job, write_tx.h).
Result<const Campaign*> PgTx::ReadCampaign(std::int64_t id) {
  auto r = conn_.Run(sql::kCampaignById, PgParams().Int(id), "reading the campaign");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such campaign");
  auto c = CampaignFrom(*r, 0);
  if (!c) return Fail(c.error());
  return &(campaigns_[id] = std::move(*c));
}

Result<std::string> PgTx::CurrentTextHash(std::int64_t campaign_id) {
  if (auto it = text_hashes_.find(campaign_id); it != text_hashes_.end()) return it->second;
  auto r = conn_.Run(sql::kLatestText, PgParams().Int(campaign_id), "reading the campaign's text");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "the campaign has no text");
  return text_hashes_[campaign_id] = r->Text(0, 1);
}

Result<CampaignCounts> PgTx::Counts(std::int64_t campaign_id) {
  if (auto it = counts_.find(campaign_id); it != counts_.end()) return it->second.now;
  auto campaign = CampaignById(campaign_id);
  if (!campaign) return Fail(campaign.error());
  bool reveals = false;
  for (const SignerGroup& g : (*campaign)->groups) reveals = reveals || !g.seal_thresholds.empty();
  if (((*campaign)->threshold && (*campaign)->outcome == CampaignOutcome::kPending) || reveals) {
    // Take turns with other nodes' writers of this campaign while a count decides something (its
    // undecided threshold, a sealed group's reveals), so that the one write that reaches it, on
    // whichever node, sees it reached; then read the campaign again (another node may have
    // decided it meanwhile). The log's lock first, as every writer takes it, so that two nodes
    // never wait for each other's locks.
    if (auto l = LockLogFirst(); !l) return Fail(l.error());
    auto lock = conn_.Run(sql::kLockCampaign, PgParams().Int(campaign_id), "locking the campaign");
    if (!lock) return Fail(lock.error());
    if (lock->rows() > 0 && lock->View(0, 0) != "pending") {
      if (auto again = ReadCampaign(campaign_id); !again) return Fail(again.error());
    }
  }
  auto r = conn_.Run(sql::kCountsOf, PgParams().Int(campaign_id), "reading counts");
  if (!r) return Fail(r.error());
  CountsEntry e;
  if (r->rows() > 0) e.now = CountsFrom(*r, 0, 0);
  return counts_.emplace(campaign_id, std::move(e)).first->second.now;
}

void PgTx::MoveCounts(std::int64_t campaign_id, const CountsDelta& delta) {
  auto it = counts_.find(campaign_id);
  if (it == counts_.end()) return;  // REQUIRES: Counts() succeeded (see write_tx.h)
  CountsEntry& e = it->second;
  e.now.pending += delta.pending;
  e.now.confirmed += delta.confirmed;
  e.now.withdrawn += delta.withdrawn;
  e.delta.pending += delta.pending;
  e.delta.confirmed += delta.confirmed;
  e.delta.withdrawn += delta.withdrawn;
  // A move between groups only is not a change of the counts (write_tx.h).
  if (delta.pending != 0 || delta.confirmed != 0 || delta.withdrawn != 0) {
    e.now.changes += 1;
    e.now.last_change = std::max(e.now.last_change, delta.now);
    e.delta.now = std::max(e.delta.now, delta.now);
    e.changes += 1;
    auto& hour = e.hours[DeltaHour(delta)];
    hour[0] += delta.pending;
    hour[1] += delta.confirmed;
    hour[2] += delta.withdrawn;
  }
  e.moved = true;
  auto add = [](std::vector<GroupCount>& groups, const GroupCount& g) {
    for (GroupCount& mine : groups) {
      if (mine.key == g.key) {
        mine.confirmed += g.confirmed;
        return;
      }
    }
    groups.push_back(g);
  };
  for (const GroupCount& g : delta.groups) {
    add(e.now.groups, g);
    add(e.delta.groups, g);
  }
}

Result<bool> PgTx::RecordOutcome(std::int64_t campaign_id, CampaignOutcome outcome, UnixTime now) {
  auto r = conn_.Run(sql::kDecideCampaign,
                     PgParams().Int(campaign_id).Text(OutcomeName(outcome)).Int(now),
                     "deciding the campaign");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) {
    if (campaigns_.count(campaign_id)) {  // decided elsewhere: as it is now
      if (auto again = ReadCampaign(campaign_id); !again) return Fail(again.error());
    }
    return false;
  }
  if (auto it = campaigns_.find(campaign_id); it != campaigns_.end()) {
    it->second.outcome = outcome;
    it->second.outcome_at = now;
    it->second.modified = r->Int(0, 0);
  }
  return true;
}

Result<std::vector<DueCampaign>> PgTx::DueCampaigns(UnixTime now) {
  auto r = conn_.Run(sql::kDueCampaigns, PgParams().Int(now), "reading campaigns");
  if (!r) return Fail(r.error());
  std::vector<DueCampaign> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back({r->Int(i, 0), r->Int(i, 1)});
  return out;
}

Result<void> PgTx::TouchCampaign(std::int64_t campaign_id, UnixTime now) {
  auto r =
      conn_.Run(sql::kTouchCampaign, PgParams().Int(campaign_id).Int(now), "updating the campaign");
  if (!r) return Fail(r.error());
  if (auto it = campaigns_.find(campaign_id); it != campaigns_.end()) {
    it->second.modified = std::max(it->second.modified, now);
  }
  return {};
}

// --- people and signatures

// A signer costs no round trip: their id is this node's memory of them (people never change
// id), or else a fresh one on the guess that they are new. Their row is written at the flush by
// one multi-row upsert for the batch (FlushRows), whose RETURNING checks every guess: a signer
// that was not new after all is learnt, and the batch runs again (PgWriter).
Result<std::optional<TokenBucket>> PgTx::SignerBucket(std::string_view canonical_email) {
  const std::string email(canonical_email);
  if (auto it = people_rows_.find(email); it != people_rows_.end()) {
    const PersonEntry& e = it->second;
    return e.person.bucket ? e.person.bucket : e.stored;
  }
  if (auto k = known_.find(email); k != known_.end()) return k->second.bucket;
  return std::optional<TokenBucket>();  // a guess: checked at the flush
}

Result<PersonRef> PgTx::UpsertSigner(const SignerPerson& p) {
  auto it = people_rows_.find(p.canonical_email);
  if (it == people_rows_.end()) {
    PersonEntry e;
    if (auto k = known_.find(p.canonical_email); k != known_.end()) {
      e.id = k->second.id;
      e.uuid = k->second.uuid;
      e.stored = k->second.bucket;
    } else {
      auto id = people_.Take(conn_);
      if (!id) return Fail(id.error());
      e.id = *id;
      e.uuid = ctx_.public_ids->Uuid(IdKind::kPerson, e.id);
      e.is_new = true;
    }
    e.person = p;
    it = people_rows_.emplace(p.canonical_email, std::move(e)).first;
  } else {
    const bool subscribed = it->second.person.subscribed || p.subscribed;
    std::optional<TokenBucket> bucket = p.bucket ? p.bucket : it->second.person.bucket;
    it->second.person = p;
    it->second.person.subscribed = subscribed;
    it->second.person.bucket = bucket;
  }
  it->second.dirty = true;
  return PersonRef{it->second.id, it->second.uuid};
}

// The row's parameters in kInsertSignature's order (id and uuid assigned).
static void AddSignatureParams(PgParams& p, const SignatureRow& row) {
  const Signature& s = row.signature;
  const std::string& group = s.form.group.empty() ? std::string(kPublicGroupKey) : s.form.group;
  p.Int(s.id).Text(s.uuid).Int(s.campaign_id).Int(s.person_id);
  p.Text(s.form.name).Text(s.form.email).Text(s.canonical_email).Text(s.form.postal_code);
  p.Text(s.form.country).Text(s.form.comment).Bool(s.form.public_name);
  p.Bool(s.form.wants_updates).Text(SignatureStateName(s.state)).Text(s.source);
  p.Int(std::int64_t{s.confirm_sends}).Int(s.created).Int(s.modified).Int(s.confirmed);
  p.OptBytes(row.log_salt);
  if (row.leaf_index) {
    p.Int(static_cast<std::int64_t>(*row.leaf_index));
  } else {
    p.Null();
  }
  p.Text(group).Text(ProtectionName(s.form.protection));
  if (s.form.protection == Protection::kSealed) {
    p.Int(s.form.seal_threshold);
  } else {
    p.Null();
  }
  p.OptBytes(row.sealed).OptBool(row.verifies ? std::optional<bool>(s.verified) : std::nullopt);
  p.Text(s.attestation);
  p.Text(s.origin.referrer).Text(s.origin.utm_source).Text(s.origin.utm_medium);
  p.Text(s.origin.utm_campaign).Text(s.origin.channel);
  p.OptText(row.client_net.empty() ? nullptr : row.client_net.c_str());
  p.Text(s.origin.referral);
}

Result<std::optional<SignatureRow>> PgTx::InsertSignature(const SignatureRow& in) {
  const Signature& s = in.signature;
  if (s.campaign_id < 1 || s.campaign_id >= (std::int64_t{1} << 23)) {
    return Fail(Code::kInternal, "campaign id out of the range signature ids can hold");
  }
  const auto key = std::make_pair(s.campaign_id, s.person_id);
  if (new_signature_keys_.count(key)) return std::optional<SignatureRow>();  // this batch's
  auto number = numbers_.Take(conn_);
  if (!number) return Fail(number.error());
  if (*number >= (std::int64_t{1} << 40)) {
    return Fail(Code::kInternal, "signature numbers are exhausted");
  }
  SignatureRow row = in;
  row.signature.id = (s.campaign_id << 40) + *number;
  row.signature.uuid = ctx_.public_ids->Uuid(IdKind::kSignature, row.signature.id);
  // A person new in this batch has no signature anywhere yet: the row waits for the flush.
  const PersonEntry* person = nullptr;
  for (const auto& [email, e] : people_rows_) {
    if (e.id == s.person_id) person = &e;
  }
  if (person != nullptr && person->is_new) {
    row.signature.person_uuid = person->uuid;
    new_signatures_.push_back(row);
    new_signature_keys_.insert(key);
    // (The flush fails the batch unless every row kept for it goes in.)
    tallies_.Move(s.campaign_id, nullptr, TallyFields::OfInsert(row));
    return std::optional<SignatureRow>(std::move(row));
  }
  // (No flush first: the rows kept in memory are of other people, and signatures name people
  // by id, without a foreign key.)
  PgParams p;
  AddSignatureParams(p, row);
  auto r = conn_.Run(sql::kInsertSignature, p, "saving the signature");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return std::optional<SignatureRow>();
  row.signature.person_uuid = r->Text(0, 1);
  tallies_.Move(s.campaign_id, nullptr, TallyFields::OfInsert(row));
  return std::optional<SignatureRow>(std::move(row));
}

// Every row lock a writer takes comes after the log's lock (Counts does the same for a
// campaign's row): two nodes' writers then never hold one each and wait for the other's. (Their
// leaves need the log's lock anyway; a signing that only finds its signature pending waits too.)
Result<void> PgTx::LockLogFirst() {
  if (!ctx_.log_enabled) return {};
  return LockLog();
}

Result<SignatureRow> PgTx::SignatureOf(std::int64_t campaign_id, std::int64_t person_id) {
  if (auto l = LockLogFirst(); !l) return Fail(l.error());
  if (auto f = FlushRows(); !f) return Fail(f.error());
  auto r = conn_.Run(sql::kLockSignatureOf, PgParams().Int(campaign_id).Int(person_id),
                     "reading the signature");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such signature");
  return SignatureRowFrom(*r, 0);
}

Result<SignatureRow> PgTx::SignatureByToken(std::string_view token_hash, TokenKind kind) {
  const std::string key = HashKey(token_hash);
  if (auto l = LockLogFirst(); !l) return Fail(l.error());
  if (auto f = FlushRows(); !f) return Fail(f.error());  // rows of this batch first
  auto r =
      conn_.Run(sql::kLockSignatureByToken, PgParams().Bytes(key).Bool(kind == TokenKind::kSigning),
                "reading the signature");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such signature");
  return SignatureRowFrom(*r, 0);
}

Result<void> PgTx::SaveSignature(const SignatureRow& row) {
  if (auto f = FlushRows(); !f) return Fail(f.error());
  const Signature& s = row.signature;
  const std::string& group = s.form.group.empty() ? std::string(kPublicGroupKey) : s.form.group;
  PgParams p;
  p.Int(s.id).Int(s.person_id).Text(s.form.name).Text(s.form.email).Text(s.canonical_email);
  p.Text(s.form.postal_code).Text(s.form.country).Text(s.form.comment).Bool(s.form.public_name);
  p.Bool(s.form.wants_updates).Text(SignatureStateName(s.state)).Text(s.source);
  p.Int(std::int64_t{s.confirm_sends}).Int(s.modified).Int(s.confirmed).OptBytes(row.log_salt);
  if (row.leaf_index) {
    p.Int(static_cast<std::int64_t>(*row.leaf_index));
  } else {
    p.Null();
  }
  p.Text(group).Text(ProtectionName(s.form.protection));
  if (s.form.protection == Protection::kSealed) {
    p.Int(s.form.seal_threshold);
  } else {
    p.Null();
  }
  p.OptBytes(row.sealed).OptBool(row.verifies ? std::optional<bool>(s.verified) : std::nullopt);
  p.Text(s.attestation);
  auto r = conn_.Run(sql::kSaveSignature, p, "saving the signature");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such signature");
  // The row as it was (RETURNING was.*), to move the tallies by the difference.
  TallyFields before;
  before.counted = TallyFields::CountedOf(r->View(0, 1));
  for (int k = 0; k < kTallyKinds; ++k) before.keys[k] = r->Text(0, k + 2);
  tallies_.Move(r->Int(0, 0), &before, TallyFields::OfSave(before, row));
  return {};
}

Result<void> PgTx::AddToken(std::int64_t signature_id, std::string_view token_hash,
                            TokenKind kind) {
  tokens_.push_back({HashKey(token_hash), signature_id, kind});
  return {};
}

Result<std::vector<SignatureRow>> PgTx::SealedToReveal(std::int64_t campaign_id,
                                                       std::string_view group_key,
                                                       std::int64_t count) {
  if (auto l = LockLogFirst(); !l) return Fail(l.error());
  if (auto f = FlushRows(); !f) return Fail(f.error());
  auto r = conn_.Run(sql::kSealedToReveal, PgParams().Int(campaign_id).Text(group_key).Int(count),
                     "reading sealed signatures");
  if (!r) return Fail(r.error());
  std::vector<SignatureRow> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(SignatureRowFrom(*r, i));
  return out;
}

// --- moderation

namespace {
ModerationCandidate CandidateFrom(const PgResult& r, int i) {
  ModerationCandidate c;
  c.row = SignatureRowFrom(r, i);
  c.client_net = r.Text(i, 34);
  c.moderation.comment = static_cast<CommentReview>(std::clamp<std::int64_t>(r.Int(i, 35), 0, 2));
  c.moderation.name_hidden = r.Bool(i, 36);
  c.moderation.invalidated = r.OptInt(i, 37);
  c.moderation.invalidated_by = r.Text(i, 38);
  c.moderation.invalidation_reason = r.Text(i, 39);
  return c;
}
}  // namespace

Result<std::vector<ModerationCandidate>> PgTx::ModerationCandidates(std::int64_t campaign_id,
                                                                    bool pending, bool confirmed,
                                                                    std::optional<UnixTime> from,
                                                                    std::optional<UnixTime> to) {
  if (auto l = LockLogFirst(); !l) return Fail(l.error());
  if (auto f = FlushRows(); !f) return Fail(f.error());
  auto r = conn_.Run(sql::kModerationCandidates,
                     PgParams().Int(campaign_id).Bool(pending).Bool(confirmed).Int(from).Int(to),
                     "reading signatures");
  if (!r) return Fail(r.error());
  std::vector<ModerationCandidate> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(CandidateFrom(*r, i));
  return out;
}

Result<ModerationCandidate> PgTx::SignatureForModeration(std::int64_t signature_id) {
  if (auto l = LockLogFirst(); !l) return Fail(l.error());
  if (auto f = FlushRows(); !f) return Fail(f.error());
  auto r = conn_.Run(sql::kModerationOf, PgParams().Int(signature_id), "reading the signature");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such signature");
  return CandidateFrom(*r, 0);
}

Result<void> PgTx::SaveModeration(std::int64_t signature_id, const SignatureModeration& m) {
  if (auto f = FlushRows(); !f) return Fail(f.error());
  PgParams p;
  p.Int(signature_id).Int(static_cast<std::int64_t>(m.comment)).Bool(m.name_hidden);
  p.Int(m.invalidated).Text(m.invalidated_by).Text(m.invalidation_reason);
  auto r = conn_.Run(sql::kSaveModeration, p, "saving the moderation");
  if (!r) return Fail(r.error());
  if (r->affected() == 0) return Fail(Code::kNotFound, "no such signature");
  return {};
}

Result<bool> PgTx::CommentApproval(std::int64_t campaign_id) {
  auto r = conn_.Run(sql::kCommentApprovalOf, PgParams().Int(campaign_id),
                     "reading the comment approval");
  if (!r) return Fail(r.error());
  return r->Int(0, 0) > 0;
}

Result<void> PgTx::SetCommentApproval(std::int64_t campaign_id, bool on, UnixTime now) {
  auto r = on ? conn_.Run(sql::kSetCommentApproval, PgParams().Int(campaign_id).Int(now),
                          "saving the comment approval")
              : conn_.Run(sql::kClearCommentApproval, PgParams().Int(campaign_id),
                          "saving the comment approval");
  if (!r) return Fail(r.error());
  return {};
}

Result<std::vector<ModerationCandidate>> PgTx::AwaitingComments(std::int64_t campaign_id,
                                                                int limit) {
  if (auto f = FlushRows(); !f) return Fail(f.error());
  auto r = conn_.Run(sql::kAwaitingComments,
                     PgParams().Int(campaign_id).Int(std::int64_t{std::max(limit, 0)}),
                     "reading comments");
  if (!r) return Fail(r.error());
  std::vector<ModerationCandidate> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(CandidateFrom(*r, i));
  return out;
}

Result<std::int64_t> PgTx::ForgetClientNetworks(UnixTime before) {
  if (auto f = FlushRows(); !f) return Fail(f.error());
  auto r = conn_.Run(sql::kForgetClientNetworks, PgParams().Int(before), "forgetting networks");
  if (!r) return Fail(r.error());
  return r->affected();
}

Result<void> PgTx::ForEachOutcomeRecipient(
    std::int64_t campaign_id, const std::function<Result<void>(const OutcomeRecipient&)>& fn) {
  if (auto f = FlushRows(); !f) return Fail(f.error());
  auto r = conn_.Run(sql::kOutcomeRecipients, PgParams().Int(campaign_id), "reading signers");
  if (!r) return Fail(r.error());
  for (int i = 0; i < r->rows(); ++i) {
    OutcomeRecipient to;
    if (!r->IsNull(i, 1)) {
      to.sealed = r->Bytes(i, 1);
    } else {
      to.email = r->Text(i, 0);
    }
    if (auto x = fn(to); !x) return x;
  }
  return {};
}

// --- organizations

Result<Organization> PgTx::InsertOrganization(const Organization& in,
                                              std::string_view confirm_token_hash,
                                              std::string_view logo_png) {
  Organization o = in;
  PgParams p;
  p.Text(o.uuid).Int(o.campaign_id).Text(o.form.name).Text(o.form.website);
  p.Text(o.form.contact_email).Text(o.canonical_email).Text(o.form.statement);
  p.Text(OrganizationStateName(o.state)).Bytes(HashKey(confirm_token_hash)).Int(o.created);
  p.Int(o.modified).OptBytes(logo_png).Int(o.decided);
  // DO NOTHING rather than an error, which would abort the whole transaction.
  auto r = conn_.Run(sql::kInsertOrganization, p, "saving the organization");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) {
    return Fail(Code::kConflict,
                "This address has already put an organization on this letter; follow the link "
                "we sent to it.");
  }
  o.id = r->Int(0, 0);
  o.has_logo = !logo_png.empty();
  return o;
}

Result<Organization> PgTx::OrganizationByConfirmToken(std::string_view token_hash) {
  auto r = conn_.Run(sql::kOrganizationByConfirm, PgParams().Bytes(HashKey(token_hash)),
                     "reading the organization");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such organization");
  return OrganizationFrom(*r, 0);
}

Result<Organization> PgTx::OrganizationByUuid(std::string_view uuid) {
  auto r = conn_.Run(sql::kOrganizationByUuid, PgParams().Text(uuid), "reading the organization");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such organization");
  return OrganizationFrom(*r, 0);
}

Result<void> PgTx::SaveOrganization(const Organization& o, std::string_view review_token_hash) {
  PgParams p;
  p.Int(o.id).Text(OrganizationStateName(o.state)).Int(o.modified).Int(o.decided);
  p.OptBytes(review_token_hash.empty() ? std::string_view() : HashKey(review_token_hash));
  auto r = conn_.Run(sql::kSaveOrganization, p, "saving the organization");
  if (!r) return Fail(r.error());
  if (r->affected() == 0) return Fail(Code::kNotFound, "no such organization");
  return {};
}

// --- outbox and log

Result<void> PgTx::QueueMail(const NewMail& mail) {
  mails_.push_back(mail);
  return {};
}

Result<void> PgTx::LockLog() {
  if (log_locked_) return {};
  auto r = conn_.Run(sql::kLockLogNext, "locking the log");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kInternal, "the log's state row is missing");
  log_next_ = static_cast<std::uint64_t>(r->Int(0, 0));
  log_locked_ = true;
  return {};
}

std::uint64_t PgTx::NextLeafIndex() const {
  // Locks the log now if this is the batch's first leaf; a failure is reported by the
  // AppendLeaf that follows (the transaction is aborted by then anyway).
  if (!log_locked_) (void)const_cast<PgTx*>(this)->LockLog();
  return log_next_;
}

Result<std::uint64_t> PgTx::AppendLeaf(std::string_view entry, const log::Hash& hash) {
  if (auto l = LockLog(); !l) return Fail(l.error());
  const std::uint64_t index = log_next_++;
  leaves_.push_back({index, std::string(entry), hash});
  return index;
}

// --- the writer's side

void PgTx::Remember(std::string email, KnownPerson p, bool written) {
  if (known_.size() >= kMaxKnownPeople) known_.clear();
  if (written) written_buckets_.push_back(email);
  known_[std::move(email)] = std::move(p);
}

void PgTx::ForgetWrittenBuckets(std::size_t from) {
  for (std::size_t i = from; i < written_buckets_.size(); ++i) {
    if (auto k = known_.find(written_buckets_[i]); k != known_.end()) k->second.bucket.reset();
  }
  written_buckets_.resize(std::min(from, written_buckets_.size()));
}

// The rows kept in memory go in with one statement (sql::FlushStatement): people (in one order
// on every node, so that two upserts of the same people lock their rows alike), then the
// signatures of people new in this batch, tokens, mails and leaves. Its answer checks the
// guesses: every signer's id as stored (a wrong one: a returning signer, or one another node
// added meanwhile) and every bucket (a row another node moved was left as it was, and is
// missing from the answer). Either is learnt, and this batch (or job) runs again.
Result<void> PgTx::FlushRows(bool batch_end) {
  std::vector<PersonEntry*> dirty;
  for (auto& [email, e] : people_rows_) {
    if (e.dirty) dirty.push_back(&e);
  }
  std::int64_t moved = 0;  // campaigns whose counts this batch moved
  if (batch_end) {
    for (const auto& [id, e] : counts_) moved += e.moved ? 1 : 0;
  }
  if (dirty.empty() && new_signatures_.empty() && tokens_.empty() && mails_.empty() &&
      leaves_.empty() && moved == 0 && !(batch_end && (log_locked_ || !tallies_.empty()))) {
    return {};
  }
  std::sort(dirty.begin(), dirty.end(), [](const PersonEntry* a, const PersonEntry* b) {
    return a->person.canonical_email < b->person.canonical_email;
  });
  PgParams params;
  Rows(sql::kPeopleCols, dirty, [](PgParams& p, const PersonEntry* e) {
    const SignerPerson& q = e->person;
    p.Int(e->id).Text(e->uuid).Text(q.canonical_email).Text(q.email);
    p.Text(q.given_name).Text(q.family_name).Text(q.postal_code);
    p.Text(q.country).Bool(q.subscribed).Int(q.now);
    const auto& b = q.bucket;
    p.OptDouble(b ? std::optional(b->tokens) : std::nullopt);
    p.OptDouble(b ? std::optional(b->at) : std::nullopt);
    const auto& was = e->stored;  // what the new bucket was taken from
    p.Bool(b.has_value());
    p.OptDouble(was ? std::optional(was->tokens) : std::nullopt);
    p.OptDouble(was ? std::optional(was->at) : std::nullopt);
  }).AppendColumns(params);
  Rows(sql::kSignatureCols, new_signatures_, AddSignatureParams).AppendColumns(params);
  Rows(sql::kTokenCols, tokens_, [](PgParams& p, const Token& t) {
    p.Bytes(t.key).Int(t.signature_id).Text(TokenKindName(t.kind));
  }).AppendColumns(params);
  Rows(sql::kMailCols, mails_, [](PgParams& p, const NewMail& m) {
    p.Text(m.kind).Text(m.recipient).Text(m.payload).Int(m.now).Bool(m.work_address);
  }).AppendColumns(params);
  Rows(sql::kLeafCols, leaves_, [](PgParams& p, const Leaf& l) {
    p.Int(static_cast<std::int64_t>(l.index)).Bytes(l.entry).Bytes(HashBytes(l.hash));
  }).AppendColumns(params);
  if (batch_end) {
    // The counts: added to this lane's node rows, which kAddCountsRows holds first (the fold
    // locks in the same order, pg_nodes.h): a node folded meanwhile writes none.
    params.Int(count_node_.load());
    PgRows counts(7);
    for (const auto& [id, e] : counts_) {
      if (!e.moved) continue;
      PgParams& c = counts.Add();
      c.Int(id).Int(std::int64_t{e.delta.pending}).Int(std::int64_t{e.delta.confirmed});
      c.Int(std::int64_t{e.delta.withdrawn}).Int(e.changes).Int(e.delta.now);
      c.Text(GroupCountsJson(e.delta.groups));
    }
    counts.AppendColumns(params);
    params.Int(count_node_.load());
    PgRows hours(5);
    for (const auto& [id, e] : counts_) {
      for (const auto& [hour, d] : e.hours) {
        hours.Add().Int(id).Int(hour).Int(d[0]).Int(d[1]).Int(d[2]);
      }
    }
    hours.AppendColumns(params);
    params.Int(count_node_.load());
    PgRows tallies(5);
    for (const auto& [k, d] : tallies_.deltas()) {
      if (d.pending == 0 && d.confirmed == 0) continue;
      tallies.Add()
          .Int(k.campaign_id)
          .Text(kTallyKindNames[k.kind])
          .Text(k.key)
          .Int(d.pending)
          .Int(d.confirmed);
    }
    tallies.AppendColumns(params);
    params.Bool(log_locked_).Int(static_cast<std::int64_t>(log_next_));
  }
  auto r = conn_.Run(batch_end ? sql::FlushBatchStatement() : sql::FlushStatement(), params,
                     "saving the batch's rows");
  if (!r) return Fail(r.error());

  auto bucket_of = [](const PgResult& rows, int i) -> std::optional<TokenBucket> {
    auto tokens = rows.OptDouble(i, 3);
    auto at = rows.OptDouble(i, 4);
    if (!tokens || !at) return std::nullopt;
    return TokenBucket{*tokens, *at};
  };
  bool wrong = false;
  std::set<std::string> returned;
  for (int i = 0; i < r->rows(); ++i) {
    if (r->IsNull(i, 0)) continue;  // no person (the count's row alone)
    std::string email = r->Text(i, 2);
    auto it = people_rows_.find(email);
    if (it == people_rows_.end() || it->second.id != r->Int(i, 0)) {
      wrong = true;
    } else {
      it->second.stored = bucket_of(*r, i);  // as it now is (the row is ours until COMMIT)
    }
    returned.insert(email);
    Remember(std::move(email), KnownPerson{r->Int(i, 0), r->Text(i, 1), bucket_of(*r, i)},
             /*written=*/true);
  }
  if (returned.size() != dirty.size()) {
    PgRows missing(1);
    for (const PersonEntry* e : dirty) {
      if (!returned.count(e->person.canonical_email)) missing.Add().Text(e->person.canonical_email);
    }
    auto read = conn_.Run(sql::kPeopleByEmails, missing.Columns(), "reading people");
    if (!read) return Fail(read.error());
    for (int i = 0; i < read->rows(); ++i) {
      Remember(read->Text(i, 2),
               KnownPerson{read->Int(i, 0), read->Text(i, 1), bucket_of(*read, i)},
               /*written=*/false);
    }
    wrong = true;
  }
  if (wrong) {
    learned_ = true;
    return Fail(Code::kUnavailable, "a signer's id or limit was guessed wrong; run again");
  }
  if (r->rows() == 0 || r->Int(0, 5) != static_cast<std::int64_t>(new_signatures_.size())) {
    return Fail(Code::kUnavailable, "a signature was added by another node meanwhile");
  }
  if (batch_end && r->Int(0, 6) != moved) {
    lost_node_ = true;
    return Fail(Code::kUnavailable, "this node's counts were folded (its lease ran out)");
  }
  for (PersonEntry* e : dirty) {
    e->dirty = false;
    e->is_new = false;
    e->person.bucket.reset();  // written: e->stored has it
  }
  new_signatures_.clear();
  new_signature_keys_.clear();
  tokens_.clear();
  mails_.clear();
  leaves_.clear();
  return {};
}

Result<bool> PgTx::FlushBatch() {
  bool moved = false;
  for (const auto& [id, e] : counts_) moved = moved || e.moved;
  if (auto r = FlushRows(/*batch_end=*/true); !r) return Fail(r.error());
  return moved;
}

struct PgTx::Snapshot {
  std::unordered_map<std::int64_t, Campaign> campaigns;
  std::unordered_map<std::int64_t, std::string> text_hashes;
  std::map<std::int64_t, CountsEntry> counts;
  TallyRollup tallies;
  std::unordered_map<std::string, PersonEntry> people_rows;
  std::size_t written_buckets;
  bool log_locked;
  std::uint64_t log_next;
  std::size_t tokens, mails, leaves;
};

std::shared_ptr<PgTx::Snapshot> PgTx::Save() const {
  return std::make_shared<Snapshot>(
      Snapshot{campaigns_, text_hashes_, counts_, tallies_, people_rows_, written_buckets_.size(),
               log_locked_, log_next_, tokens_.size(), mails_.size(), leaves_.size()});
}

void PgTx::Restore(const Snapshot& s) {
  campaigns_ = s.campaigns;
  text_hashes_ = s.text_hashes;
  counts_ = s.counts;
  tallies_ = s.tallies;
  people_rows_ = s.people_rows;
  ForgetWrittenBuckets(s.written_buckets);  // rolled back with the job
  // (Rows are flushed at the end of each job in savepoint mode: none are pending here.)
  new_signatures_.clear();
  new_signature_keys_.clear();
  // (A lock taken inside a savepoint that was rolled back is released with it.)
  log_locked_ = s.log_locked;
  log_next_ = s.log_next;
  tokens_.resize(std::min(tokens_.size(), s.tokens));
  mails_.resize(std::min(mails_.size(), s.mails));
  leaves_.resize(std::min(leaves_.size(), s.leaves));
  discard_ = false;
}

}  // namespace undersigned::store::pg
