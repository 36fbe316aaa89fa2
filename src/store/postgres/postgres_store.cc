// PostgresStore: the Store facade over PostgreSQL (see postgres_store.h for the promises).
//
// Who owns what: the store owns a pool of read connections (reads, and the writes that carry no
// rules and commit on their own: campaigns, people edits, API tokens, outbox marks, instance
// values, checkpoints), the writer (pg_tx.h: its own connection and thread, group commit of the
// transaction scripts' WriteJobs) and the log integrator (pg_log.h: its own connection and
// thread). Each opened store is one node: it registers a row in `nodes` and writes counts only
// to its own campaign_counts rows; its NodeKeeper renews its lease and folds the rows of nodes
// gone for good (pg_nodes.h).
#include "store/postgres/postgres_store.h"

#include <sodium.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <ctime>
#include <functional>
#include <mutex>

#include "log/leaf.h"
#include "log/proof.h"
#include "store/postgres/accounts.h"
#include "store/postgres/dashboard.h"
#include "store/postgres/events.h"
#include "store/postgres/fundraising.h"
#include "store/postgres/migrations.h"
#include "store/postgres/outreach.h"
#include "store/postgres/pg_log.h"
#include "store/postgres/pg_nodes.h"
#include "store/postgres/pg_tx.h"
#include "store/postgres/pledges.h"
#include "store/postgres/queries.h"
#include "store/postgres/rows.h"

namespace undersigned::store {
namespace {

using pg::PgConn;
using pg::PgParams;
using pg::PgResult;
namespace sql = pg::sql;

UnixTime SystemNow() { return static_cast<UnixTime>(std::time(nullptr)); }

// Read connections, borrowed one at a time (a Lease gives it back).
class Pool {
 public:
  explicit Pool(std::vector<std::unique_ptr<PgConn>> conns) : all_(std::move(conns)) {
    for (auto& c : all_) free_.push_back(c.get());
  }
  class Lease {
   public:
    Lease(Pool* pool, PgConn* conn) : pool_(pool), conn_(conn) {}
    Lease(const Lease&) = delete;
    ~Lease() { pool_->Put(conn_); }
    PgConn& operator*() { return *conn_; }
    PgConn* operator->() { return conn_; }

   private:
    Pool* pool_;
    PgConn* conn_;
  };
  Lease Get() {
    std::unique_lock lk(mu_);
    cv_.wait(lk, [this] { return !free_.empty(); });
    PgConn* c = free_.back();
    free_.pop_back();
    lk.unlock();
    if (!c->ok()) (void)c->Reset();
    if (c->in_transaction()) (void)c->Exec("ROLLBACK", "rolling back");
    return Lease(this, c);
  }

 private:
  void Put(PgConn* c) {
    {
      std::lock_guard lk(mu_);
      free_.push_back(c);
    }
    cv_.notify_one();
  }
  std::vector<std::unique_ptr<PgConn>> all_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<PgConn*> free_;
};

// Runs fn(conn) -> Result<T> inside BEGIN ... COMMIT (isolation: the BEGIN text).
template <typename T, typename F>
Result<T> InTransaction(PgConn& conn, const char* begin, F&& fn) {
  if (auto r = conn.Exec(begin, "starting a transaction"); !r) return Fail(r.error());
  Result<T> out = fn(conn);
  if (!out) {
    (void)conn.Exec("ROLLBACK", "rolling back");
    return out;
  }
  if (auto r = conn.Exec("COMMIT", "committing"); !r) return Fail(r.error());
  return out;
}
constexpr const char* kBegin = "BEGIN";
constexpr const char* kBeginSnapshot = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY";

Result<PgResult> One(Result<PgResult> r, const char* not_found) {
  if (r && r->rows() == 0) return Fail(Code::kNotFound, not_found);
  return r;
}

// Keeps c's demand and letter as a new version of its text, unless they are the current one.
Result<void> KeepText(PgConn& conn, const Campaign& c, UnixTime when) {
  const std::string hash = log::TextHash(c.demand, c.letter_markdown);
  auto latest = conn.Run(sql::kLatestText, PgParams().Int(c.id), "reading the campaign's text");
  if (!latest) return Fail(latest.error());
  std::int64_t version = 0;
  if (latest->rows() > 0) {
    if (latest->View(0, 1) == hash) return {};
    version = latest->Int(0, 0);
  }
  PgParams p;
  p.Int(c.id).Int(version + 1).Text(hash).Int(when).Text(c.demand).Text(c.letter_markdown);
  auto r = conn.Run(sql::kInsertText, p, "keeping the campaign's text");
  if (!r) return Fail(r.error());
  return {};
}

PgParams CampaignParams(const Campaign& c, UnixTime t11, UnixTime t12) {
  PgParams p;
  p.Text(c.uuid).Text(c.slug).Text(c.title).Text(c.demand).Text(c.letter_markdown);
  p.Text(pg::TargetsJson(c.targets)).Int(c.goal).Int(c.deadline).Text(StatusName(c.status));
  p.Text(c.language).Int(t11).Int(t12).Text(pg::IdentifiersJson(c.identifiers)).Int(c.threshold);
  p.Text(pg::IdentifiersJson(c.organizers)).Text(pg::GroupsJson(c.groups));
  p.Int(std::int64_t{c.anonymity_floor}).Text(c.time_zone).Text(c.description);
  p.Text(c.organized_by).Text(pg::SecondaryTargetsJson(c.secondary_targets));
  return p;
}

Result<Campaign> ReadCampaign(PgConn& conn, const char* q, PgParams p) {
  auto r = One(conn.Run(q, p, "reading the campaign"), "no such campaign");
  if (!r) return Fail(r.error());
  return pg::CampaignFrom(*r, 0);
}

Result<CampaignCounts> ReadCounts(PgConn& conn, std::int64_t campaign_id) {
  auto r = conn.Run(sql::kCountsOf, PgParams().Int(campaign_id), "reading counts");
  if (!r) return Fail(r.error());
  return r->rows() ? pg::CountsFrom(*r, 0, 0) : CampaignCounts{};
}

class PostgresStore final : public Store {
 public:
  PostgresStore(PostgresOptions options, std::vector<std::unique_ptr<PgConn>> readers,
                std::int64_t node_id, std::string seal_key, std::string id_key)
      : options_(std::move(options)),
        pool_(std::move(readers)),
        sealer_(seal_key),
        public_ids_(id_key) {
    sodium_memzero(seal_key.data(), seal_key.size());
    ctx_.node_id = node_id;
    ctx_.node_lease_seconds = std::max(options_.node_lease_seconds, 1.0);
    ctx_.log_enabled = options_.log_enabled;
    ctx_.sealer = &sealer_;
    ctx_.public_ids = &public_ids_;
  }
  ~PostgresStore() override { Close(); }

  // writers[i] adds its counts to node lane_nodes[i] (lane_nodes[0] is the store's node_id).
  void Start(std::vector<std::unique_ptr<PgConn>> writers,
             const std::vector<std::int64_t>& lane_nodes, std::unique_ptr<PgConn> integrator) {
    writer_ =
        std::make_unique<pg::PgWriter>(std::move(writers), lane_nodes, ctx_, options_.max_batch);
    integrator_ = std::make_unique<pg::LogIntegrator>(
        std::move(integrator), "node-" + std::to_string(ctx_.node_id) + "-" + pg::NewUuid(),
        std::max(options_.log_lease_seconds, 1.0));
    integrator_->Start();
    for (int i = 0; i < writer_->lanes(); ++i) {
      keepers_.push_back(
          std::make_unique<pg::NodeKeeper>(writer_->CountNode(i), ctx_.node_lease_seconds,
                                           [this](const std::function<void(PgConn&)>& fn) {
                                             auto conn = pool_.Get();
                                             fn(*conn);
                                           }));
    }
  }
  Result<int> Fold(double horizon_seconds) {
    auto conn = pool_.Get();
    return pg::FoldDeadNodes(*conn, horizon_seconds);
  }

  PostgresStats Stats() const {
    const auto w = writer_->Stats();
    const auto i = integrator_->Stats();
    return {writer_->CountNode(0).load(),
            w.transactions,
            w.operations,
            w.max_batch_seen,
            w.savepoint_batches,
            w.failed_batches,
            i.steps,
            i.leaves,
            i.takeovers,
            w.reregistered};
  }
  pg::LogIntegrator& integrator() { return *integrator_; }

  // --- Store
  void Submit(WriteJob* job) override { writer_->Submit(job); }
  const FieldSealer& sealer() const override { return sealer_; }
  AccountStore& accounts() override { return accounts_; }
  DashboardStore& dashboard() override { return dashboard_; }
  OutreachStore& outreach() override { return outreach_; }
  EventStore& events() override { return events_; }
  FundraisingStore& fundraising() override { return fundraising_; }
  PledgeStore& pledges() override { return pledges_; }
  Result<void> Backup(const std::string&) override {
    return Fail(Code::kInvalidArgument,
                "a PostgreSQL store is backed up with PostgreSQL's own tools: use pg_dump (e.g. "
                "pg_dump --format=custom --file=undersigned.dump \"$UNDERSIGNED_STORE_URL\"), or "
                "continuous archiving for point-in-time recovery");
  }
  // Drains the writer, stops the integrator and gives this node's leases back (the
  // integrator's and the outbox's), so that another node (or this one restarted) takes over at
  // once. Writes are refused from then on; reads answer until the store is destroyed.
  void Close() override {
    std::lock_guard lk(close_mu_);
    if (closed_.exchange(true)) return;
    if (writer_) writer_->Close();
    for (auto& keeper : keepers_) keeper->Stop();
    if (integrator_) {
      integrator_->Stop();
      (void)integrator_->Release();
    }
    auto conn = pool_.Get();
    (void)conn->Run(sql::kReleaseOutbox, PgParams().Int(ctx_.node_id), "giving leases back");
    // The writer is done: its lanes' counts may be folded by the next node that opens.
    for (int i = 0; writer_ && i < writer_->lanes(); ++i) {
      (void)conn->Run(sql::kEndNode, PgParams().Int(writer_->CountNode(i).load()),
                      "ending the lease");
    }
  }
  // kUnavailable once Close began (as the writer answers queued writes then).
  Result<void> Writable() const {
    if (closed_.load()) return Fail(Code::kUnavailable, "the store is closing");
    return {};
  }

  // --- campaigns
  Result<Campaign> CreateCampaign(const Campaign& in) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    Campaign c = in;
    if (c.uuid.empty()) c.uuid = pg::NewUuid();
    if (c.created == 0) c.created = SystemNow();
    if (c.modified == 0) c.modified = c.created;
    c.outcome = CampaignOutcome::kPending;
    c.outcome_at.reset();
    auto conn = pool_.Get();
    return InTransaction<Campaign>(*conn, kBegin, [&](PgConn& db) -> Result<Campaign> {
      auto r = db.Run(sql::kInsertCampaign, CampaignParams(c, c.created, c.modified),
                      "creating the campaign");
      if (!r) return Fail(r.error());
      c.id = r->Int(0, 0);
      if (auto t = KeepText(db, c, c.created); !t) return Fail(t.error());
      return c;
    });
  }

  Result<Campaign> UpdateCampaign(const Campaign& in) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    Campaign c = in;
    const UnixTime system_now = SystemNow();
    auto conn = pool_.Get();
    return InTransaction<Campaign>(*conn, kBegin, [&](PgConn& db) -> Result<Campaign> {
      auto r = db.Run(sql::kUpdateCampaign, UpdateParams(c, system_now), "updating the campaign");
      if (!r) return Fail(r.error());
      if (r->rows() == 0) return Fail(Code::kNotFound, "no such campaign");
      c.uuid = r->Text(0, 0);
      c.created = r->Int(0, 1);
      c.modified = r->Int(0, 2);
      c.outcome = ParseOutcome(r->View(0, 3)).value_or(CampaignOutcome::kPending);
      c.outcome_at = r->OptInt(0, 4);
      // So is the picture (SetCampaignImage): an edit never changes it.
      auto image = pg::ParseImage(r->View(0, 5));
      if (!image) return Fail(image.error());
      c.image = std::move(*image);
      if (auto t = KeepText(db, c, c.modified); !t) return Fail(t.error());
      return c;
    });
  }
  static PgParams UpdateParams(const Campaign& c, UnixTime system_now) {
    PgParams p;
    p.Int(c.id).Text(c.slug).Text(c.title).Text(c.demand).Text(c.letter_markdown);
    p.Text(pg::TargetsJson(c.targets)).Int(c.goal).Int(c.deadline).Text(StatusName(c.status));
    p.Text(c.language).Int(c.modified).Int(system_now).Text(pg::IdentifiersJson(c.identifiers));
    p.Int(c.threshold).Text(pg::IdentifiersJson(c.organizers)).Text(pg::GroupsJson(c.groups));
    p.Int(std::int64_t{c.anonymity_floor}).Text(c.time_zone).Text(c.description);
    p.Text(c.organized_by).Text(pg::SecondaryTargetsJson(c.secondary_targets));
    return p;
  }

  Result<Campaign> SetCampaignImage(std::int64_t campaign_id, const CampaignImage& image,
                                    std::string_view jpeg) override {
    return WriteImage(campaign_id, &image, jpeg);
  }
  Result<Campaign> RemoveCampaignImage(std::int64_t campaign_id) override {
    return WriteImage(campaign_id, nullptr, {});
  }
  // Both: the description and the bytes change in one transaction.
  Result<Campaign> WriteImage(std::int64_t campaign_id, const CampaignImage* image,
                              std::string_view jpeg) {
    if (auto w = Writable(); !w) return Fail(w.error());
    const std::string json = image ? pg::ImageJson(*image) : std::string();
    const UnixTime now = SystemNow();
    auto conn = pool_.Get();
    return InTransaction<Campaign>(*conn, kBegin, [&](PgConn& db) -> Result<Campaign> {
      PgParams p;
      p.Int(campaign_id);
      if (image) {
        p.Text(json);
      } else {
        p.OptText(nullptr);
      }
      p.Int(now);
      auto r = db.Run(sql::kSetCampaignImage, p, "keeping the campaign's picture");
      if (!r) return Fail(r.error());
      if (r->affected() == 0) return Fail(Code::kNotFound, "no such campaign");
      auto bytes = image
                       ? db.Run(sql::kPutCampaignImageJpeg, PgParams().Int(campaign_id).Bytes(jpeg),
                                "keeping the campaign's picture")
                       : db.Run(sql::kDeleteCampaignImageJpeg, PgParams().Int(campaign_id),
                                "removing the campaign's picture");
      if (!bytes) return Fail(bytes.error());
      return ReadCampaign(db, sql::kCampaignById, PgParams().Int(campaign_id));
    });
  }
  Result<std::string> CampaignImageJpeg(std::int64_t campaign_id) override {
    auto conn = pool_.Get();
    auto r = One(conn->Run(sql::kCampaignImageJpeg, PgParams().Int(campaign_id),
                           "reading the campaign's picture"),
                 "this campaign has no picture");
    if (!r) return Fail(r.error());
    return r->Bytes(0, 0);
  }

  Result<Campaign> GetCampaignBySlug(const std::string& slug) override {
    auto conn = pool_.Get();
    return ReadCampaign(*conn, sql::kCampaignBySlug, PgParams().Text(slug));
  }
  Result<Campaign> GetCampaignByUuid(const std::string& uuid) override {
    auto conn = pool_.Get();
    return ReadCampaign(*conn, sql::kCampaignByUuid, PgParams().Text(uuid));
  }
  Result<Campaign> GetCampaignById(std::int64_t id) override {
    auto conn = pool_.Get();
    return ReadCampaign(*conn, sql::kCampaignById, PgParams().Int(id));
  }

  Result<std::vector<CampaignText>> CampaignTexts(std::int64_t campaign_id) override {
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kCampaignTexts, PgParams().Int(campaign_id), "reading texts");
    if (!r) return Fail(r.error());
    std::vector<CampaignText> out;
    for (int i = 0; i < r->rows(); ++i) {
      out.push_back({static_cast<int>(r->Int(i, 0)), r->Text(i, 1), r->Int(i, 2), r->Text(i, 3),
                     r->Text(i, 4)});
    }
    return out;
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
  Result<Paged<Campaign>> ListCampaignsWhere(const std::string* identifier,
                                             std::optional<CampaignStatus> status,
                                             const TimeFilter& filter, Page page) {
    auto conn = pool_.Get();
    const auto lim = pg::PageLimits(page);
    const char* status_name = status ? StatusName(*status) : nullptr;
    const char* ident = identifier ? identifier->c_str() : nullptr;
    Paged<Campaign> out;
    auto n = conn->Run(sql::kCountCampaigns,
                       PgParams()
                           .OptText(status_name)
                           .Int(filter.modified_after)
                           .Int(filter.modified_before)
                           .OptText(ident)
                           .Int(filter.status_at),
                       "counting campaigns");
    if (!n) return Fail(n.error());
    out.total = n->Int(0, 0);
    if (lim.offset >= out.total) return out;
    auto r = conn->Run(sql::kListCampaigns,
                       PgParams()
                           .OptText(status_name)
                           .Int(filter.modified_after)
                           .Int(filter.modified_before)
                           .Int(lim.limit)
                           .Int(lim.offset)
                           .OptText(ident)
                           .Int(filter.status_at),
                       "listing campaigns");
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->rows(); ++i) {
      auto c = pg::CampaignFrom(*r, i);
      if (!c) return Fail(c.error());
      out.items.push_back(std::move(*c));
    }
    return out;
  }

  Result<std::optional<UnixTime>> NextOutcomeDeadline() override {
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kNextOutcomeDeadline, "reading campaigns");
    if (!r) return Fail(r.error());
    return r->OptInt(0, 0);
  }

  Result<std::map<std::int64_t, CampaignCounts>> LoadAllCounts() override {
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kAllCounts, "reading counts");
    if (!r) return Fail(r.error());
    std::map<std::int64_t, CampaignCounts> out;
    for (int i = 0; i < r->rows(); ++i) out[r->Int(i, 0)] = pg::CountsFrom(*r, i, 1);
    return out;
  }

  // --- signatures
  Result<TokenOutcome> FindByConfirmToken(const std::string& hash) override {
    return FindByToken(hash, true);
  }
  Result<TokenOutcome> FindByWithdrawToken(const std::string& hash) override {
    return FindByToken(hash, false);
  }
  Result<TokenOutcome> FindByToken(const std::string& hash, bool signing_only) {
    const std::string key = pg::HashKey(hash);
    auto conn = pool_.Get();
    // One snapshot, so that signature, campaign and counts agree.
    return InTransaction<TokenOutcome>(
        *conn, kBeginSnapshot, [&](PgConn& db) -> Result<TokenOutcome> {
          auto s = One(db.Run(sql::kSignatureByToken, PgParams().Bytes(key).Bool(signing_only),
                              "reading the signature"),
                       "no such signature");
          if (!s) return Fail(s.error());
          Signature sig = pg::SignatureFrom(*s, 0);
          auto c = ReadCampaign(db, sql::kCampaignById, PgParams().Int(sig.campaign_id));
          if (!c) return Fail(c.error());
          auto counts = ReadCounts(db, sig.campaign_id);
          if (!counts) return Fail(counts.error());
          return TokenOutcome{std::move(sig), std::move(*c), *counts, false};
        });
  }

  Result<std::vector<PublicSigner>> RecentPublicSigners(std::int64_t campaign_id,
                                                        int limit) override {
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kRecentPublic,
                       PgParams().Int(campaign_id).Int(std::int64_t{std::max(limit, 0)}),
                       "reading signers");
    if (!r) return Fail(r.error());
    std::vector<PublicSigner> out;
    for (int i = 0; i < r->rows(); ++i) {
      PublicSigner p{r->Text(i, 0), r->Text(i, 1), r->Int(i, 2),
                     r->Text(i, 3), r->Bool(i, 4), r->View(i, 5) == "anonymous"};
      if (r->View(i, 5) != "none") p.confirmed = StartOfDay(p.confirmed);
      out.push_back(std::move(p));
    }
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
  Result<Paged<Signature>> ListSignaturesWhere(std::int64_t campaign_id, const std::string* group,
                                               const TimeFilter& filter, Page page) {
    auto conn = pool_.Get();
    const auto lim = pg::PageLimits(page);
    const char* g = group ? group->c_str() : nullptr;
    Paged<Signature> out;
    if (!filter.modified_after && !filter.modified_before && group == nullptr) {
      auto c = ReadCounts(*conn, campaign_id);  // every row is in exactly one of the counts
      if (!c) return Fail(c.error());
      out.total = c->pending + c->confirmed + c->withdrawn;
    } else {
      auto n = conn->Run(sql::kCountSignatures,
                         PgParams()
                             .Int(campaign_id)
                             .Int(filter.modified_after)
                             .Int(filter.modified_before)
                             .OptText(g),
                         "counting signatures");
      if (!n) return Fail(n.error());
      out.total = n->Int(0, 0);
    }
    if (lim.offset >= out.total) return out;
    auto r = conn->Run(sql::kListSignatures,
                       PgParams()
                           .Int(campaign_id)
                           .Int(filter.modified_after)
                           .Int(filter.modified_before)
                           .Int(lim.limit)
                           .Int(lim.offset)
                           .OptText(g),
                       "listing signatures");
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->rows(); ++i) out.items.push_back(pg::SignatureFrom(*r, i));
    return out;
  }

  Result<Signature> GetSignatureByUuid(const std::string& uuid) override {
    const auto id = public_ids_.RowId(IdKind::kSignature, uuid);
    if (!id) return Fail(Code::kNotFound, "no such signature");
    auto conn = pool_.Get();
    auto r = One(conn->Run(sql::kSignatureById, PgParams().Int(*id), "reading the signature"),
                 "no such signature");
    if (!r) return Fail(r.error());
    return pg::SignatureFrom(*r, 0);
  }

  Result<std::int64_t> CountReferred(std::int64_t campaign_id, const std::string& code) override {
    if (code.empty()) return std::int64_t{0};
    auto conn = pool_.Get();
    auto r = One(conn->Run(sql::kCountReferred, PgParams().Int(campaign_id).Text(code),
                           "counting a personal link's signatures"),
                 "no count");
    if (!r) return Fail(r.error());
    return r->Int(0, 0);
  }

  Result<void> ForEachConfirmed(std::int64_t campaign_id,
                                const std::function<bool(const Signature&)>& fn) override {
    std::int64_t after = 0;
    for (;;) {
      std::vector<Signature> page;
      {
        auto conn = pool_.Get();  // not held while fn runs (fn may read the store)
        auto r = conn->Run(sql::kConfirmedOf, PgParams().Int(campaign_id).Int(after),
                           "reading signatures");
        if (!r) return Fail(r.error());
        for (int i = 0; i < r->rows(); ++i) page.push_back(pg::SignatureFrom(*r, i));
      }
      if (page.empty()) return {};
      for (const Signature& s : page) {
        if (!fn(s)) return {};
      }
      after = page.back().id;
    }
  }

  // --- people
  Result<Paged<Person>> ListPeople(const std::optional<std::string>& canonical_email,
                                   const TimeFilter& filter, Page page) override {
    auto conn = pool_.Get();
    const auto lim = pg::PageLimits(page);
    const char* email = canonical_email ? canonical_email->c_str() : nullptr;
    Paged<Person> out;
    auto n =
        conn->Run(sql::kCountPeople,
                  PgParams().Int(filter.modified_after).Int(filter.modified_before).OptText(email),
                  "counting people");
    if (!n) return Fail(n.error());
    out.total = n->Int(0, 0);
    if (lim.offset >= out.total) return out;
    auto r = conn->Run(sql::kListPeople,
                       PgParams()
                           .Int(filter.modified_after)
                           .Int(filter.modified_before)
                           .Int(lim.limit)
                           .Int(lim.offset)
                           .OptText(email),
                       "listing people");
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->rows(); ++i) out.items.push_back(pg::PersonFrom(*r, i));
    return out;
  }

  Result<Person> GetPersonByUuid(const std::string& uuid) override {
    const auto id = public_ids_.RowId(IdKind::kPerson, uuid);
    if (!id) return Fail(Code::kNotFound, "no such person");
    auto conn = pool_.Get();
    auto r = One(conn->Run(sql::kPersonById, PgParams().Int(*id), "reading the person"),
                 "no such person");
    if (!r) return Fail(r.error());
    return pg::PersonFrom(*r, 0);
  }

  static void AddChange(PgParams& p, const PersonChange& change) {
    auto opt = [&p](const std::optional<std::string>& v) {
      if (v) {
        p.Text(*v);
      } else {
        p.Null();
      }
    };
    opt(change.given_name);
    opt(change.family_name);
    opt(change.postal_code);
    opt(change.country);
    p.OptBool(change.subscribed);
  }

  Result<Person> UpsertPerson(const std::string& email, const std::string& canonical_email,
                              const PersonChange& change, UnixTime now) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    auto conn = pool_.Get();
    auto id = conn->Run(sql::kTakeIds, PgParams().Text("people_ids").Int(1), "taking an id");
    if (!id) return Fail(id.error());
    const std::int64_t new_id = id->Int(0, 0);
    PgParams p;
    p.Int(new_id).Text(public_ids_.Uuid(IdKind::kPerson, new_id)).Text(canonical_email);
    p.Text(email);
    AddChange(p, change);
    p.Int(now);
    auto r = One(conn->Run(sql::kSignupPerson, p, "saving the person"), "no such person");
    if (!r) return Fail(r.error());
    return pg::PersonFrom(*r, 0);
  }

  Result<Person> UpdatePerson(const std::string& uuid, const PersonChange& change,
                              UnixTime now) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    const auto id = public_ids_.RowId(IdKind::kPerson, uuid);
    if (!id) return Fail(Code::kNotFound, "no such person");
    PgParams p;
    p.Int(*id);
    AddChange(p, change);
    p.Int(now);
    auto conn = pool_.Get();
    auto r = One(conn->Run(sql::kUpdatePerson, p, "saving the person"), "no such person");
    if (!r) return Fail(r.error());
    return pg::PersonFrom(*r, 0);
  }

  Result<Paged<Signature>> ListPersonSignatures(std::int64_t person_id, const TimeFilter& filter,
                                                Page page) override {
    auto conn = pool_.Get();
    const auto lim = pg::PageLimits(page);
    Paged<Signature> out;
    auto n =
        conn->Run(sql::kCountPersonSignatures,
                  PgParams().Int(person_id).Int(filter.modified_after).Int(filter.modified_before),
                  "counting signatures");
    if (!n) return Fail(n.error());
    out.total = n->Int(0, 0);
    if (lim.offset >= out.total) return out;
    auto r = conn->Run(sql::kListPersonSignatures,
                       PgParams()
                           .Int(person_id)
                           .Int(filter.modified_after)
                           .Int(filter.modified_before)
                           .Int(lim.limit)
                           .Int(lim.offset),
                       "listing signatures");
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->rows(); ++i) out.items.push_back(pg::SignatureFrom(*r, i));
    return out;
  }

  Result<Signature> SetSignatureComment(const std::string& uuid, const std::string& comment,
                                        UnixTime now) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    const auto id = public_ids_.RowId(IdKind::kSignature, uuid);
    if (!id) return Fail(Code::kNotFound, "no such signature");
    auto conn = pool_.Get();
    auto u = conn->Run(sql::kSetSignatureComment, PgParams().Int(*id).Text(comment).Int(now),
                       "saving the comment");
    if (!u) return Fail(u.error());
    if (u->affected() == 0) return Fail(Code::kNotFound, "no such signature");
    auto r = One(conn->Run(sql::kSignatureById, PgParams().Int(*id), "reading the signature"),
                 "no such signature");
    if (!r) return Fail(r.error());
    return pg::SignatureFrom(*r, 0);
  }

  // --- organizations
  Result<OrganizationOutcome> FindOrganizationByConfirmToken(const std::string& hash) override {
    return ReadOrganization(sql::kOrganizationByConfirm, PgParams().Bytes(pg::HashKey(hash)));
  }
  Result<OrganizationOutcome> FindOrganizationByReviewToken(const std::string& hash) override {
    return ReadOrganization(sql::kOrganizationByReview, PgParams().Bytes(pg::HashKey(hash)));
  }
  Result<OrganizationOutcome> ReadOrganization(const char* q, PgParams p) {
    auto conn = pool_.Get();
    auto r = One(conn->Run(q, p, "reading the organization"), "no such organization");
    if (!r) return Fail(r.error());
    Organization o = pg::OrganizationFrom(*r, 0);
    auto c = ReadCampaign(*conn, sql::kCampaignById, PgParams().Int(o.campaign_id));
    if (!c) return Fail(c.error());
    return OrganizationOutcome{std::move(o), std::move(*c), false};
  }

  Result<std::vector<Organization>> ListOrganizations(
      std::int64_t campaign_id, std::optional<OrganizationState> state) override {
    auto conn = pool_.Get();
    auto r = conn->Run(
        sql::kListOrganizations,
        PgParams().Int(campaign_id).OptText(state ? OrganizationStateName(*state) : nullptr),
        "listing organizations");
    if (!r) return Fail(r.error());
    std::vector<Organization> out;
    for (int i = 0; i < r->rows(); ++i) out.push_back(pg::OrganizationFrom(*r, i));
    return out;
  }

  Result<std::string> OrganizationLogo(const std::string& uuid, bool any_state) override {
    auto conn = pool_.Get();
    auto r = One(conn->Run(sql::kOrganizationLogo, PgParams().Text(uuid).Bool(any_state),
                           "reading the logo"),
                 "no such logo");
    if (!r) return Fail(r.error());
    return r->Bytes(0, 0);
  }

  // --- API tokens
  Result<ApiToken> CreateApiToken(const std::string& name, const std::string& hash,
                                  UnixTime now) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    auto conn = pool_.Get();
    auto r =
        conn->Run(sql::kInsertApiToken, PgParams().Text(name).Bytes(pg::HashKey(hash)).Int(now),
                  "creating the token");
    if (!r) return Fail(r.error());
    return ApiToken{r->Int(0, 0), name, now, std::nullopt, std::nullopt, false};
  }
  Result<int> RevokeApiToken(const std::string& name, UnixTime now) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kRevokeApiTokens, PgParams().Text(name).Int(now), "revoking tokens");
    if (!r) return Fail(r.error());
    if (r->affected() == 0) return Fail(Code::kNotFound, "no live token with that name");
    return static_cast<int>(r->affected());
  }
  Result<ApiToken> FindApiToken(const std::string& hash) override {
    auto conn = pool_.Get();
    auto r =
        One(conn->Run(sql::kFindApiToken, PgParams().Bytes(pg::HashKey(hash)), "reading the token"),
            "no such token");
    if (!r) return Fail(r.error());
    return ApiToken{r->Int(0, 0),    r->Text(0, 1), r->Int(0, 2),
                    r->OptInt(0, 3), std::nullopt,  false};
  }

  // --- outbox
  Result<std::vector<OutboxMessage>> DueOutbox(UnixTime now, int limit) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kClaimOutbox,
                       PgParams()
                           .Int(now)
                           .Int(std::int64_t{std::max(limit, 0)})
                           .Int(now + kOutboxLease)
                           .Int(ctx_.node_id),
                       "claiming mail");
    if (!r) return Fail(r.error());
    std::vector<OutboxMessage> out;
    for (int i = 0; i < r->rows(); ++i) out.push_back(pg::OutboxFrom(*r, i));
    return out;
  }
  Result<void> MarkOutboxSent(std::int64_t id, UnixTime now) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kMarkSent, PgParams().Int(id).Int(now), "marking sent");
    if (!r) return Fail(r.error());
    if (r->affected() == 0) return Fail(Code::kNotFound, "no such outbox message");
    return {};
  }
  Result<void> MarkOutboxFailed(std::int64_t id, UnixTime next_attempt,
                                const std::string& error) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kMarkFailed, PgParams().Int(id).Int(next_attempt).Text(error),
                       "marking failed");
    if (!r) return Fail(r.error());
    if (r->affected() > 0) return {};
    // Not updated: unknown, or already sent (then there is nothing to retry).
    auto e = One(conn->Run(sql::kOutboxExists, PgParams().Int(id), "marking failed"),
                 "no such outbox message");
    if (!e) return Fail(e.error());
    return {};
  }
  Result<std::int64_t> OutboxDepth() override {
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kOutboxDepth, PgParams().Int(kOutboxNever), "counting the outbox");
    if (!r) return Fail(r.error());
    return r->Int(0, 0);
  }
  Result<std::optional<UnixTime>> NextOutboxAttempt() override {
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kNextOutbox, PgParams().Int(ctx_.node_id), "reading the outbox");
    if (!r) return Fail(r.error());
    return r->OptInt(0, 0);
  }

  // --- the signature log (pg_log.h)
  Result<LogHead> GetLogHead() override;
  Result<std::vector<log::Hash>> LogNodes(std::uint8_t level, std::uint64_t first,
                                          std::uint64_t count) override {
    if (count == 0) return std::vector<log::Hash>{};
    auto conn = pool_.Get();
    return pg::ReadHashRange(*conn, level, first, count);
  }
  Result<std::vector<std::string>> LogEntries(std::uint64_t first, std::uint64_t count) override;
  Result<void> ForEachLogLeaf(
      const std::function<bool(std::uint64_t, std::string_view, std::string_view)>& fn) override;
  Result<void> SaveCheckpoint(const StoredCheckpoint& c) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kSaveCheckpoint,
                       PgParams()
                           .Int(static_cast<std::int64_t>(c.size))
                           .Text(c.note)
                           .Text(c.counts_json)
                           .Int(c.created),
                       "saving the checkpoint");
    if (!r) return Fail(r.error());
    return {};
  }
  Result<std::optional<StoredCheckpoint>> LatestCheckpoint() override {
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kLatestCheckpoint, "reading the checkpoint");
    if (!r) return Fail(r.error());
    if (r->rows() == 0) return std::optional<StoredCheckpoint>();
    return std::optional<StoredCheckpoint>(StoredCheckpoint{
        static_cast<std::uint64_t>(r->Int(0, 0)), r->Text(0, 1), r->Text(0, 2), r->Int(0, 3)});
  }
  Result<LogReceiptInfo> LogReceipt(const std::string& token_hash) override;

  // --- instance values
  Result<std::string> InstanceSecret(const std::string& name) override {
    std::string fresh(32, '\0');
    randombytes_buf(fresh.data(), fresh.size());
    return InstanceValue(name, fresh);
  }
  Result<std::string> InstanceValue(const std::string& name, const std::string& initial) override {
    auto found = FindInstanceValue(name);
    if (!found) return Fail(found.error());
    if (*found) return std::move(**found);
    if (auto w = Writable(); !w) return Fail(w.error());
    auto conn = pool_.Get();
    return InstanceValueOn(*conn, name, initial);
  }
  // The stored value, or initial stored now (the first of several nodes wins; all read it).
  static Result<std::string> InstanceValueOn(PgConn& conn, const std::string& name,
                                             const std::string& initial) {
    auto found = conn.Run(sql::kGetValue, PgParams().Text(name), "reading an instance value");
    if (!found) return Fail(found.error());
    if (found->rows() > 0) return found->Bytes(0, 0);
    auto put =
        conn.Run(sql::kPutValue, PgParams().Text(name).Bytes(initial), "saving an instance value");
    if (!put) return Fail(put.error());
    auto got = One(conn.Run(sql::kGetValue, PgParams().Text(name), "reading an instance value"),
                   "instance value vanished");
    if (!got) return Fail(got.error());
    return got->Bytes(0, 0);
  }
  Result<std::optional<std::string>> FindInstanceValue(const std::string& name) override {
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kGetValue, PgParams().Text(name), "reading an instance value");
    if (!r) return Fail(r.error());
    if (r->rows() == 0) return std::optional<std::string>();
    return std::optional<std::string>(r->Bytes(0, 0));
  }
  Result<void> SetInstanceValue(const std::string& name, const std::string& value) override {
    if (auto w = Writable(); !w) return Fail(w.error());
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kReplaceValue, PgParams().Text(name).Bytes(value),
                       "saving an instance value");
    if (!r) return Fail(r.error());
    return {};
  }

 private:
  const PostgresOptions options_;
  Pool pool_;
  FieldSealer sealer_;
  PublicIds public_ids_;
  pg::WriterContext ctx_;
  std::unique_ptr<pg::PgWriter> writer_;
  std::unique_ptr<pg::LogIntegrator> integrator_;
  std::vector<std::unique_ptr<pg::NodeKeeper>> keepers_;  // one per writer lane
  std::mutex close_mu_;
  std::atomic<bool> closed_{false};
  pg::PgAccounts accounts_{[this](const std::function<void(PgConn&)>& fn) {
                             auto conn = pool_.Get();
                             fn(*conn);
                           },
                           [this] { return Writable(); }};
  pg::PgDashboard dashboard_{[this](const std::function<void(PgConn&)>& fn) {
    auto conn = pool_.Get();
    fn(*conn);
  }};
  pg::PgOutreach outreach_{[this](const std::function<void(PgConn&)>& fn) {
                             auto conn = pool_.Get();
                             fn(*conn);
                           },
                           [this] { return Writable(); }, sealer_};
  pg::PgEvents events_{[this](const std::function<void(PgConn&)>& fn) {
                         auto conn = pool_.Get();
                         fn(*conn);
                       },
                       [this] { return Writable(); }, sealer_};
  pg::PgFundraising fundraising_{[this](const std::function<void(PgConn&)>& fn) {
                                   auto conn = pool_.Get();
                                   fn(*conn);
                                 },
                                 [this] { return Writable(); }};
  pg::PgPledges pledges_{[this](const std::function<void(PgConn&)>& fn) {
                           auto conn = pool_.Get();
                           fn(*conn);
                         },
                         [this] { return Writable(); }, sealer_};
};

// How long a reader waits for the tree to cover the leaves it needs: a lease of a node that
// died expires first.
std::chrono::milliseconds IntegrationWait(const pg::LogIntegrator& i) {
  return std::chrono::milliseconds(static_cast<std::int64_t>(i.lease_seconds() * 1000) + 5000);
}

Result<LogHead> PostgresStore::GetLogHead() {
  LogHead head;
  auto conn = pool_.Get();
  // One snapshot: the size and the counts committed together (pg_tx.h).
  auto read = InTransaction<bool>(*conn, kBeginSnapshot, [&](PgConn& db) -> Result<bool> {
    auto s = db.Run(sql::kLogState, "reading the log's state");
    if (!s) return Fail(s.error());
    head.size = static_cast<std::uint64_t>(s->Int(0, 0));
    auto r = db.Run(sql::kConfirmedCounts, "reading counts");
    if (!r) return Fail(r.error());
    for (int i = 0; i < r->rows(); ++i) {
      LogCampaignCount c{r->Int(i, 0), r->Text(i, 1), r->Text(i, 2), r->Int(i, 3),
                         pg::ParseGroupCounts(r->View(i, 4))};
      if (c.groups.empty() && c.confirmed != 0) c.groups.push_back({kPublicGroupKey, c.confirmed});
      head.counts.push_back(std::move(c));
    }
    return true;
  });
  if (!read) return Fail(read.error());
  if (auto w = integrator_->WaitFor(head.size, IntegrationWait(*integrator_)); !w)
    return Fail(w.error());
  pg::PgNodeReader reader(*conn);
  auto root = log::RootFromReader(reader, head.size);
  if (!root) return Fail(root.error());
  head.root = *root;
  return head;
}

Result<std::vector<std::string>> PostgresStore::LogEntries(std::uint64_t first,
                                                           std::uint64_t count) {
  auto conn = pool_.Get();
  auto r = conn->Run(sql::kLeafEntryRange,
                     PgParams()
                         .Int(static_cast<std::int64_t>(first))
                         .Int(static_cast<std::int64_t>(first + count)),
                     "reading the log");
  if (!r) return Fail(r.error());
  std::vector<std::string> out;
  for (int i = 0; i < r->rows(); ++i) {
    if (static_cast<std::uint64_t>(r->Int(i, 0)) != first + out.size()) break;
    out.push_back(r->Bytes(i, 1));
  }
  if (out.size() != count) return Fail(Code::kNotFound, "no such log entry");
  return out;
}

Result<void> PostgresStore::ForEachLogLeaf(
    const std::function<bool(std::uint64_t, std::string_view, std::string_view)>& fn) {
  std::int64_t from = 0;
  for (;;) {
    auto conn = pool_.Get();
    auto r = conn->Run(sql::kLeavesFrom, PgParams().Int(from), "reading the log");
    if (!r) return Fail(r.error());
    if (r->rows() == 0) return {};
    for (int i = 0; i < r->rows(); ++i) {
      const std::string entry = r->Bytes(i, 1);
      const std::string hash = r->Bytes(i, 2);
      if (!fn(static_cast<std::uint64_t>(r->Int(i, 0)), entry, hash)) return {};
    }
    from = r->Int(r->rows() - 1, 0) + 1;
  }
}

Result<LogReceiptInfo> PostgresStore::LogReceipt(const std::string& token_hash) {
  LogReceiptInfo info;
  {
    auto conn = pool_.Get();
    auto r = One(conn->Run(sql::kReceiptByConfirmHash, PgParams().Bytes(pg::HashKey(token_hash)),
                           "reading the signature"),
                 "no such signature");
    if (!r) return Fail(r.error());
    if (r->View(0, 1) != "confirmed" || r->IsNull(0, 2) || r->IsNull(0, 4)) {
      return Fail(Code::kConflict, "the signature is not confirmed");
    }
    info = LogReceiptInfo{r->Int(0, 0), static_cast<std::uint64_t>(r->Int(0, 2)), r->Bytes(0, 3),
                          r->Bytes(0, 4)};
  }
  // A proof needs the tree over the leaf: wait for (or run) its integration.
  if (auto w = integrator_->WaitFor(info.leaf_index + 1, IntegrationWait(*integrator_)); !w) {
    return Fail(w.error());
  }
  return info;
}

}  // namespace

bool IsPostgresUrl(const std::string& url) {
  return url.rfind("postgresql://", 0) == 0 || url.rfind("postgres://", 0) == 0;
}

Result<std::unique_ptr<Store>> OpenPostgresStore(const PostgresOptions& options) {
  if (sodium_init() < 0) return Fail(Code::kInternal, "libsodium failed to initialise");
  if (!IsPostgresUrl(options.url)) {
    return Fail(Code::kInvalidArgument, "not a PostgreSQL URL (postgresql://...)");
  }
  auto writer = PgConn::Open(options.url);
  if (!writer) return Fail(writer.error());
  if (auto m = pg::Migrate(**writer); !m) return Fail(m.error());
  const double lease = std::max(options.node_lease_seconds, 1.0);
  auto node = (*writer)->Run(sql::kNewNode,
                             PgParams().Int(SystemNow()).Int(static_cast<std::int64_t>(lease)),
                             "registering the node");
  if (!node) return Fail(node.error());
  // Nodes gone for good (closed, or silent for a lease) leave their count rows to be folded.
  // Best effort: the keeper tries again (pg_nodes.h).
  (void)pg::FoldDeadNodes(**writer, lease);
  const std::int64_t node_id = node->Int(0, 0);
  std::string fresh(32, '\0');
  randombytes_buf(fresh.data(), fresh.size());
  auto seal_key = PostgresStore::InstanceValueOn(**writer, "seal-key", fresh);
  if (!seal_key) return Fail(seal_key.error());
  randombytes_buf(fresh.data(), fresh.size());
  auto id_key = PostgresStore::InstanceValueOn(**writer, "id-key", fresh);
  if (!id_key) return Fail(id_key.error());
  sodium_memzero(fresh.data(), fresh.size());
  std::vector<std::unique_ptr<PgConn>> readers;
  for (int i = 0; i < std::max(options.read_connections, 1); ++i) {
    auto r = PgConn::Open(options.url);
    if (!r) return Fail(r.error());
    readers.push_back(std::move(*r));
  }
  // The other writer lanes: a connection and a node of their own each.
  std::vector<std::unique_ptr<PgConn>> writers;
  std::vector<std::int64_t> lane_nodes{node_id};
  writers.push_back(std::move(*writer));
  for (int i = 1; i < std::max(options.write_lanes, 1); ++i) {
    auto w = PgConn::Open(options.url);
    if (!w) return Fail(w.error());
    auto lane_node =
        (*w)->Run(sql::kNewNode, PgParams().Int(SystemNow()).Int(static_cast<std::int64_t>(lease)),
                  "registering a writer lane");
    if (!lane_node) return Fail(lane_node.error());
    lane_nodes.push_back(lane_node->Int(0, 0));
    writers.push_back(std::move(*w));
  }
  auto integrator = PgConn::Open(options.url);
  if (!integrator) return Fail(integrator.error());
  auto store = std::make_unique<PostgresStore>(options, std::move(readers), node_id,
                                               std::move(*seal_key), std::move(*id_key));
  store->Start(std::move(writers), lane_nodes, std::move(*integrator));
  return std::unique_ptr<Store>(std::move(store));
}

std::optional<PostgresStats> GetPostgresStats(const Store& store) {
  if (const auto* s = dynamic_cast<const PostgresStore*>(&store)) return s->Stats();
  return std::nullopt;
}

Result<int> FoldDeadNodes(Store& store, double horizon_seconds) {
  auto* s = dynamic_cast<PostgresStore*>(&store);
  if (s == nullptr) return Fail(Code::kInvalidArgument, "not a PostgreSQL store");
  return s->Fold(horizon_seconds);
}

Result<void> StopLogIntegrator(Store& store, bool release_lease) {
  auto* s = dynamic_cast<PostgresStore*>(&store);
  if (s == nullptr) return Fail(Code::kInvalidArgument, "not a PostgreSQL store");
  s->integrator().Stop();
  if (release_lease) return s->integrator().Release();
  return {};
}

}  // namespace undersigned::store
