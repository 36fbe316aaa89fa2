// MemoryTx: an in-memory WriteTx (store/write_tx.h), for testing the transaction scripts'
// rules without any database. Test-only.
//
// A MemoryDb holds the rows (campaigns, counts, people, signatures, tokens, organizations, the
// outbox, the log's leaves) as plain values; Run(fn) runs one script over a MemoryTx of it as
// a backend's batch of one would: a script that fails, or calls Discard(), leaves the MemoryDb
// as it was. Single-threaded.
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "core/group.h"
#include "log/merkle.h"
#include "store/sealed_fields.h"
#include "store/write_tx.h"

namespace undersigned::tx::testing {

struct MemoryOrganization {
  Organization organization;
  std::string confirm_hash, review_hash, logo;
};

struct MemoryDb {
  std::map<std::int64_t, Campaign> campaigns;
  std::map<std::int64_t, std::string> text_hashes;
  std::map<std::int64_t, CampaignCounts> counts;
  std::map<std::string, store::PersonRef> people;  // by canonical email
  std::map<std::string, TokenBucket> buckets;      // the per-email limit's, by canonical email
  std::map<std::int64_t, store::SignatureRow> signatures;
  std::map<std::string, std::pair<std::int64_t, store::TokenKind>> tokens;  // by hash
  std::vector<MemoryOrganization> organizations;
  std::vector<store::NewMail> outbox;
  std::vector<std::pair<std::string, log::Hash>> leaves;
  // Moderation, by signature id (rows' client_net is their network); comment approval's
  // campaigns.
  std::map<std::int64_t, store::SignatureModeration> moderation;
  std::map<std::int64_t, UnixTime> comment_approval;
  bool log_enabled = true;
  std::int64_t next_person = 1;

  std::vector<store::NewMail> Mails(std::string_view kind) const {
    std::vector<store::NewMail> out;
    for (const auto& m : outbox) {
      if (m.kind == kind) out.push_back(m);
    }
    return out;
  }
};

class MemoryTx final : public store::WriteTx {
 public:
  MemoryTx(MemoryDb& db, const store::FieldSealer& sealer) : db_(db), sealer_(sealer) {}

  // Runs script(tx) as one job of a batch: kept if it succeeded and did not discard.
  template <typename F>
  static auto Run(MemoryDb& db, const store::FieldSealer& sealer, F&& script) {
    MemoryDb before = db;
    MemoryTx tx(db, sealer);
    auto r = script(tx);
    if (!r || tx.discarded_) db = std::move(before);
    return r;
  }
  bool discarded() const { return discarded_; }

  Result<const Campaign*> CampaignById(std::int64_t id) override {
    auto it = db_.campaigns.find(id);
    if (it == db_.campaigns.end()) return Fail(Code::kNotFound, "no such campaign");
    return &it->second;
  }
  Result<std::string> CurrentTextHash(std::int64_t campaign_id) override {
    return db_.text_hashes[campaign_id];
  }
  Result<CampaignCounts> Counts(std::int64_t campaign_id) override {
    return db_.counts[campaign_id];
  }
  void MoveCounts(std::int64_t campaign_id, const store::CountsDelta& d) override {
    CampaignCounts& c = db_.counts[campaign_id];
    for (const GroupCount& g : d.groups) {
      bool found = false;
      for (GroupCount& x : c.groups) {
        if (x.key == g.key) x.confirmed += g.confirmed, found = true;
      }
      if (!found) c.groups.push_back(g);
    }
    if (d.pending == 0 && d.confirmed == 0 && d.withdrawn == 0) return;
    c.pending += d.pending;
    c.confirmed += d.confirmed;
    c.withdrawn += d.withdrawn;
    c.last_change = std::max(c.last_change, d.now);
    c.changes += 1;
  }
  Result<bool> RecordOutcome(std::int64_t campaign_id, CampaignOutcome outcome,
                             UnixTime now) override {
    Campaign& c = db_.campaigns.at(campaign_id);
    if (c.outcome != CampaignOutcome::kPending) return false;
    c.outcome = outcome;
    c.outcome_at = now;
    c.modified = std::max(c.modified, now);
    return true;
  }
  Result<std::vector<store::DueCampaign>> DueCampaigns(UnixTime now) override {
    std::vector<store::DueCampaign> out;
    for (const auto& [id, c] : db_.campaigns) {
      if (c.threshold && c.outcome == CampaignOutcome::kPending && c.deadline &&
          *c.deadline <= now) {
        out.push_back({id, *c.threshold});
      }
    }
    return out;
  }
  Result<void> TouchCampaign(std::int64_t campaign_id, UnixTime now) override {
    Campaign& c = db_.campaigns.at(campaign_id);
    c.modified = std::max(c.modified, now);
    return {};
  }

  Result<std::optional<TokenBucket>> SignerBucket(std::string_view canonical_email) override {
    auto it = db_.buckets.find(std::string(canonical_email));
    if (it == db_.buckets.end()) return std::optional<TokenBucket>();
    return std::optional<TokenBucket>(it->second);
  }
  Result<store::PersonRef> UpsertSigner(const store::SignerPerson& p) override {
    if (p.bucket) db_.buckets[p.canonical_email] = *p.bucket;
    auto it = db_.people.find(p.canonical_email);
    if (it != db_.people.end()) return it->second;
    store::PersonRef ref{db_.next_person, "person-" + std::to_string(db_.next_person)};
    ++db_.next_person;
    db_.people.emplace(p.canonical_email, ref);
    return ref;
  }
  Result<std::optional<store::SignatureRow>> InsertSignature(
      const store::SignatureRow& row) override {
    for (const auto& [id, r] : db_.signatures) {
      if (r.signature.campaign_id == row.signature.campaign_id &&
          r.signature.person_id == row.signature.person_id) {
        return std::optional<store::SignatureRow>();
      }
    }
    store::SignatureRow r = row;
    r.signature.id =
        (row.signature.campaign_id << 40) + static_cast<std::int64_t>(db_.signatures.size() + 1);
    r.signature.uuid = "signature-" + std::to_string(r.signature.id);
    if (r.signature.form.group.empty()) r.signature.form.group = kPublicGroupKey;
    db_.signatures[r.signature.id] = r;
    return std::optional<store::SignatureRow>(r);
  }
  Result<store::SignatureRow> SignatureOf(std::int64_t campaign_id,
                                          std::int64_t person_id) override {
    for (const auto& [id, r] : db_.signatures) {
      if (r.signature.campaign_id == campaign_id && r.signature.person_id == person_id) return r;
    }
    return Fail(Code::kNotFound, "no such signature");
  }
  Result<store::SignatureRow> SignatureByToken(std::string_view token_hash,
                                               store::TokenKind kind) override {
    auto it = db_.tokens.find(std::string(token_hash));
    if (it == db_.tokens.end() ||
        (kind == store::TokenKind::kSigning && it->second.second != store::TokenKind::kSigning)) {
      return Fail(Code::kNotFound, "no such signature");
    }
    return db_.signatures.at(it->second.first);
  }
  Result<void> SaveSignature(const store::SignatureRow& row) override {
    store::SignatureRow& r = db_.signatures.at(row.signature.id);
    r = row;
    if (r.signature.form.group.empty()) r.signature.form.group = kPublicGroupKey;
    return {};
  }
  Result<void> AddToken(std::int64_t signature_id, std::string_view token_hash,
                        store::TokenKind kind) override {
    if (!db_.tokens.emplace(std::string(token_hash), std::pair(signature_id, kind)).second) {
      return Fail(Code::kConflict, "token exists");
    }
    return {};
  }
  Result<std::vector<store::SignatureRow>> SealedToReveal(std::int64_t campaign_id,
                                                          std::string_view group_key,
                                                          std::int64_t count) override {
    std::vector<store::SignatureRow> out;
    for (const auto& [id, r] : db_.signatures) {
      const Signature& s = r.signature;
      if (s.campaign_id == campaign_id && s.form.group == group_key && !r.sealed.empty() &&
          s.form.protection == Protection::kSealed && s.form.seal_threshold <= count &&
          s.state == SignatureState::kConfirmed) {
        out.push_back(r);
      }
    }
    return out;
  }
  Result<void> ForEachOutcomeRecipient(
      std::int64_t campaign_id,
      const std::function<Result<void>(const store::OutcomeRecipient&)>& fn) override {
    for (const auto& [id, r] : db_.signatures) {
      const Signature& s = r.signature;
      if (s.campaign_id != campaign_id || s.state != SignatureState::kConfirmed) continue;
      if (!r.sealed.empty()) {
        if (auto x = fn({"", r.sealed}); !x) return x;
      } else if (!s.form.email.empty()) {
        if (auto x = fn({s.form.email, ""}); !x) return x;
      }
    }
    return {};
  }

  Result<std::vector<store::ModerationCandidate>> ModerationCandidates(
      std::int64_t campaign_id, bool pending, bool confirmed, std::optional<UnixTime> from,
      std::optional<UnixTime> to) override {
    std::vector<store::ModerationCandidate> out;
    for (const auto& [id, r] : db_.signatures) {
      const Signature& s = r.signature;
      const bool state = (pending && s.state == SignatureState::kPending) ||
                         (confirmed && s.state == SignatureState::kConfirmed);
      if (s.campaign_id != campaign_id || !state || (from && s.created < *from) ||
          (to && s.created >= *to)) {
        continue;
      }
      out.push_back(Candidate(r));
    }
    return out;
  }
  Result<store::ModerationCandidate> SignatureForModeration(std::int64_t signature_id) override {
    auto it = db_.signatures.find(signature_id);
    if (it == db_.signatures.end()) return Fail(Code::kNotFound, "no such signature");
    return Candidate(it->second);
  }
  Result<void> SaveModeration(std::int64_t signature_id,
                              const store::SignatureModeration& m) override {
    if (!db_.signatures.count(signature_id)) return Fail(Code::kNotFound, "no such signature");
    db_.moderation[signature_id] = m;
    return {};
  }
  Result<bool> CommentApproval(std::int64_t campaign_id) override {
    return db_.comment_approval.count(campaign_id) > 0;
  }
  Result<void> SetCommentApproval(std::int64_t campaign_id, bool on, UnixTime now) override {
    if (on) {
      db_.comment_approval.emplace(campaign_id, now);
    } else {
      db_.comment_approval.erase(campaign_id);
    }
    return {};
  }
  Result<std::vector<store::ModerationCandidate>> AwaitingComments(std::int64_t campaign_id,
                                                                   int limit) override {
    std::vector<store::ModerationCandidate> out;
    for (const auto& [id, r] : db_.signatures) {
      const Signature& s = r.signature;
      if (static_cast<int>(out.size()) >= limit) break;
      if (s.campaign_id != campaign_id || s.form.comment.empty() ||
          (s.state != SignatureState::kPending && s.state != SignatureState::kConfirmed)) {
        continue;
      }
      auto c = Candidate(r);
      if (c.moderation.comment == store::CommentReview::kNone) out.push_back(std::move(c));
    }
    return out;
  }
  Result<std::int64_t> ForgetClientNetworks(UnixTime before) override {
    std::int64_t n = 0;
    for (auto& [id, r] : db_.signatures) {
      if (!r.client_net.empty() && r.signature.created < before) {
        r.client_net.clear();
        ++n;
      }
    }
    return n;
  }

  Result<Organization> InsertOrganization(const Organization& o,
                                          std::string_view confirm_token_hash,
                                          std::string_view logo_png) override {
    for (const auto& m : db_.organizations) {
      if (m.organization.campaign_id == o.campaign_id &&
          m.organization.canonical_email == o.canonical_email) {
        return Fail(Code::kConflict, "exists");
      }
    }
    MemoryOrganization m{o, std::string(confirm_token_hash), "", std::string(logo_png)};
    m.organization.id = static_cast<std::int64_t>(db_.organizations.size() + 1);
    m.organization.state = OrganizationState::kPending;
    db_.organizations.push_back(m);
    return m.organization;
  }
  Result<Organization> OrganizationByConfirmToken(std::string_view token_hash) override {
    for (const auto& m : db_.organizations) {
      if (m.confirm_hash == token_hash) return m.organization;
    }
    return Fail(Code::kNotFound, "no such organization");
  }
  Result<Organization> OrganizationByUuid(std::string_view uuid) override {
    for (const auto& m : db_.organizations) {
      if (m.organization.uuid == uuid) return m.organization;
    }
    return Fail(Code::kNotFound, "no such organization");
  }
  Result<void> SaveOrganization(const Organization& o,
                                std::string_view review_token_hash) override {
    for (auto& m : db_.organizations) {
      if (m.organization.id != o.id) continue;
      m.organization.state = o.state;
      m.organization.modified = o.modified;
      m.organization.decided = o.decided;
      if (!review_token_hash.empty()) m.review_hash = std::string(review_token_hash);
      return {};
    }
    return Fail(Code::kNotFound, "no such organization");
  }

  Result<void> QueueMail(const store::NewMail& mail) override {
    db_.outbox.push_back(mail);
    return {};
  }
  bool log_enabled() const override { return db_.log_enabled; }
  Result<std::uint64_t> AppendLeaf(std::string_view entry, const log::Hash& hash) override {
    db_.leaves.emplace_back(std::string(entry), hash);
    return db_.leaves.size() - 1;
  }
  std::uint64_t NextLeafIndex() const override { return db_.leaves.size(); }
  const store::FieldSealer& sealer() const override { return sealer_; }
  void Discard() override { discarded_ = true; }

 private:
  store::ModerationCandidate Candidate(const store::SignatureRow& r) const {
    store::ModerationCandidate c;
    c.row = r;
    c.client_net = r.client_net;
    if (auto it = db_.moderation.find(r.signature.id); it != db_.moderation.end()) {
      c.moderation = it->second;
    }
    return c;
  }

  MemoryDb& db_;
  const store::FieldSealer& sealer_;
  bool discarded_ = false;
};

}  // namespace undersigned::tx::testing
