// SqlitePledges (pledges.h): pledge campaigns, pledges and their claims on SQLite, and their
// SQL.
#include "store/sqlite/pledges.h"

#include <sqlite3.h>

#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/random.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {
namespace {

// Every statement a constant (Db::Prepare caches by address); values only as parameters.
#define US_PLEDGE_CAMPAIGN_COLS                                                            \
  "id, uuid, slug, campaign_id, fundraiser_id, title, description, kind, condition_text, " \
  "subject_kind, subject_name, threshold, deadline, money, currency, minimum, payee, "     \
  "promise, status, decided, evidence_url, created_by, created, modified"
#define US_PLEDGE_COLS                                                                 \
  "id, uuid, pledge_campaign_id, amount, currency, sealed, status, checkout_session, " \
  "customer, payment_method, payment_intent, attempt, claimed_until, reminders_sent, " \
  "needs_action_since, next_step_at, created, modified"

constexpr char kInsertCampaign[] =
    "INSERT INTO pledge_campaigns (uuid, slug, campaign_id, fundraiser_id, title, description, "
    "kind, condition_text, subject_kind, subject_name, threshold, deadline, money, currency, "
    "minimum, payee, promise, status, created_by, created, modified) VALUES (?1, ?2, ?3, ?4, ?5, "
    "?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, 'open', ?18, ?19, ?19) "
    "RETURNING " US_PLEDGE_CAMPAIGN_COLS;
constexpr char kCampaignById[] =
    "SELECT " US_PLEDGE_CAMPAIGN_COLS " FROM pledge_campaigns WHERE id = ?1";
constexpr char kCampaignBySlug[] =
    "SELECT " US_PLEDGE_CAMPAIGN_COLS " FROM pledge_campaigns WHERE slug = ?1";
constexpr char kListCampaigns[] =
    "SELECT " US_PLEDGE_CAMPAIGN_COLS " FROM pledge_campaigns ORDER BY id";
constexpr char kDueCampaigns[] = "SELECT " US_PLEDGE_CAMPAIGN_COLS
                                 " FROM pledge_campaigns WHERE status = 'open' AND deadline <= "
                                 "?1 ORDER BY deadline, id";
constexpr char kNextDeadline[] = "SELECT min(deadline) FROM pledge_campaigns WHERE status = 'open'";
constexpr char kDecide[] =
    "UPDATE pledge_campaigns SET status = ?2, decided = ?3, evidence_url = ?4, modified = ?3 "
    "WHERE id = ?1 AND status = 'open'";
constexpr char kTotals[] =
    "SELECT coalesce(sum(status NOT IN ('pending', 'withdrawn')), 0), coalesce(sum(CASE WHEN "
    "status NOT IN ('pending', 'withdrawn') THEN amount ELSE 0 END), 0), coalesce(sum(status = "
    "'charged'), 0), coalesce(sum(CASE WHEN status = 'charged' THEN amount ELSE 0 END), 0), "
    "coalesce(sum(status = 'needs_action'), 0), coalesce(sum(status = 'lapsed'), 0), "
    "coalesce(sum(status = 'released'), 0) FROM pledges WHERE pledge_campaign_id = ?1";

constexpr char kInsertPledge[] =
    "INSERT INTO pledges (uuid, pledge_campaign_id, amount, currency, sealed, email_key, status, "
    "created, modified) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?8) "
    "RETURNING " US_PLEDGE_COLS;
constexpr char kLivePledge[] =
    "SELECT 1 FROM pledges WHERE pledge_campaign_id = ?1 AND email_key = ?2 AND status NOT IN "
    "('pending', 'withdrawn')";
constexpr char kPledgeById[] = "SELECT " US_PLEDGE_COLS " FROM pledges WHERE id = ?1";
constexpr char kPledgeByUuid[] = "SELECT " US_PLEDGE_COLS " FROM pledges WHERE uuid = ?1";
constexpr char kListPledges[] = "SELECT " US_PLEDGE_COLS
                                " FROM pledges WHERE pledge_campaign_id = ?1 ORDER BY id LIMIT "
                                "?2 OFFSET ?3";
constexpr char kCountPledges[] = "SELECT count(*) FROM pledges WHERE pledge_campaign_id = ?1";
constexpr char kSetCheckout[] =
    "UPDATE pledges SET checkout_session = ?2, modified = ?3 WHERE id = ?1 "
    "RETURNING " US_PLEDGE_COLS;
// The columns a transition changes (pledge_store.h).
constexpr char kWritePledge[] =
    "UPDATE pledges SET status = ?2, payment_intent = ?3, customer = ?4, payment_method = ?5, "
    "attempt = ?6, claimed_until = ?7, reminders_sent = ?8, needs_action_since = ?9, "
    "next_step_at = ?10, modified = ?11 WHERE id = ?1";
constexpr char kQueueMail[] =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) VALUES (?1, '', ?2, "
    "?3, ?3)";
// Pledges with work (pledge_store.h's PledgeWork) whose lease has run out at ?1.
constexpr char kClaimable[] =
    "SELECT p.id FROM pledges p JOIN pledge_campaigns c ON c.id = p.pledge_campaign_id WHERE "
    "p.claimed_until <= ?1 AND ((c.status = 'met' AND p.status = 'made') OR (c.status = "
    "'failed' AND p.status IN ('made', 'pending'))) ORDER BY p.id LIMIT ?2";
constexpr char kLease[] =
    "UPDATE pledges SET claimed_until = ?2 WHERE id = ?1 RETURNING " US_PLEDGE_COLS;
constexpr char kDueSteps[] =
    "SELECT id FROM pledges WHERE status = 'needs_action' AND next_step_at <= ?1 ORDER BY id";
constexpr char kNextWork[] =
    "SELECT min(t) FROM (SELECT min(p.claimed_until) AS t FROM pledges p JOIN pledge_campaigns "
    "c ON c.id = p.pledge_campaign_id WHERE (c.status = 'met' AND p.status = 'made') OR "
    "(c.status = 'failed' AND p.status IN ('made', 'pending')) UNION ALL SELECT "
    "min(next_step_at) FROM pledges WHERE status = 'needs_action')";

Result<PledgeCampaign> PledgeCampaignFromRow(const Stmt& s) {
  PledgeCampaign c;
  c.id = s.Int(0);
  c.uuid = s.Text(1);
  c.slug = s.Text(2);
  c.campaign_id = s.OptInt(3);
  c.fundraiser_id = s.OptInt(4);
  c.terms.title = s.Text(5);
  c.description_markdown = s.Text(6);
  auto kind = ParsePledgeConditionKind(s.View(7));
  auto subject = ParsePledgeSubjectKind(s.View(9));
  auto status = ParsePledgeCampaignStatus(s.View(18));
  if (!kind || !subject || !status) {
    return Fail(Code::kInternal, "a pledge campaign has an unknown state");
  }
  c.terms.kind = *kind;
  c.terms.condition_text = s.Text(8);
  c.terms.subject_kind = *subject;
  c.terms.subject_name = s.Text(10);
  c.terms.threshold = s.Int(11);
  c.terms.deadline = s.Int(12);
  c.terms.money = s.Bool(13);
  c.terms.currency = s.Text(14);
  c.terms.minimum_minor = s.Int(15);
  c.terms.payee = s.Text(16);
  c.terms.promise = s.Text(17);
  c.status = *status;
  c.decided = s.OptInt(19);
  c.evidence_url = s.Text(20);
  c.created_by = s.OptInt(21);
  c.created = s.Int(22);
  c.modified = s.Int(23);
  return c;
}

Result<Pledge> PledgeFromRow(const Stmt& s, const FieldSealer& sealer) {
  Pledge p;
  p.id = s.Int(0);
  p.uuid = s.Text(1);
  p.pledge_campaign_id = s.Int(2);
  p.amount_minor = s.Int(3);
  p.currency = s.Text(4);
  auto fields = sealer.Open(s.View(5));
  if (!fields) return Fail(fields.error());
  p.name = std::move(fields->name);
  p.email = std::move(fields->email);
  auto status = ParsePledgeStatus(s.View(6));
  if (!status) return Fail(Code::kInternal, "a pledge has an unknown status");
  p.status = *status;
  p.checkout_session = s.Text(7);
  p.customer = s.Text(8);
  p.payment_method = s.Text(9);
  p.payment_intent = s.Text(10);
  p.attempt = s.Int(11);
  p.claimed_until = s.Int(12);
  p.reminders_sent = s.Int(13);
  p.needs_action_since = s.OptInt(14);
  p.next_step_at = s.OptInt(15);
  p.created = s.Int(16);
  p.modified = s.Int(17);
  return p;
}

Db& DbOf(WriteTx& tx) { return static_cast<SqliteTx&>(tx).db(); }

Result<PledgeCampaign> CampaignIn(Db& db, std::int64_t id) {
  auto st = db.Prepare(kCampaignById);
  if (!st) return Fail(st.error());
  st->Bind(1, id);
  return QueryOne(db, *st, "no such pledge campaign",
                  [](Stmt& s) { return PledgeCampaignFromRow(s); });
}

Result<Pledge> PledgeIn(Db& db, const FieldSealer& sealer, std::int64_t id) {
  auto st = db.Prepare(kPledgeById);
  if (!st) return Fail(st.error());
  st->Bind(1, id);
  return QueryOne(db, *st, "no such pledge", [&](Stmt& s) { return PledgeFromRow(s, sealer); });
}

// Writes p's mutable columns (pledge_store.h) and queues t's mail, if any.
Result<void> WriteBack(Db& db, const Pledge& p, const PledgeTransition& t) {
  auto st = db.Prepare(kWritePledge);
  if (!st) return Fail(st.error());
  st->Bind(1, p.id).Bind(2, PledgeStatusName(p.status)).Bind(3, p.payment_intent);
  st->Bind(4, p.customer).Bind(5, p.payment_method).Bind(6, p.attempt);
  st->Bind(7, p.claimed_until).Bind(8, p.reminders_sent).Bind(9, p.needs_action_since);
  st->Bind(10, p.next_step_at).Bind(11, p.modified);
  if (auto r = StepDone(db, *st, "changing the pledge"); !r) return r;
  if (t.mail == nullptr) return {};
  auto mail = db.Prepare(kQueueMail);
  if (!mail) return Fail(mail.error());
  const std::string payload = PledgeMailPayload(p);
  mail->Bind(1, t.mail).Bind(2, payload).Bind(3, p.modified);
  return StepDone(db, *mail, "queueing a pledge mail");
}

}  // namespace

Result<PledgeCampaign> SqlitePledges::ReadCampaign(const char* sql, auto bind) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql);
  if (!st) return Fail(st.error());
  bind(*st);
  return QueryOne(*r, *st, "no such pledge campaign",
                  [](Stmt& s) { return PledgeCampaignFromRow(s); });
}

Result<std::vector<PledgeCampaign>> SqlitePledges::ReadCampaigns(const char* sql, auto bind) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql);
  if (!st) return Fail(st.error());
  bind(*st);
  std::vector<PledgeCampaign> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    auto c = PledgeCampaignFromRow(*st);
    if (!c) return Fail(c.error());
    out.push_back(std::move(*c));
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing pledge campaigns"));
  return out;
}

Result<Pledge> SqlitePledges::ReadPledge(const char* sql, auto bind) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql);
  if (!st) return Fail(st.error());
  bind(*st);
  const FieldSealer& sealer = store_.sealer();
  return QueryOne(*r, *st, "no such pledge", [&](Stmt& s) { return PledgeFromRow(s, sealer); });
}

// --- pledge campaigns

Result<PledgeCampaign> SqlitePledges::CreatePledgeCampaign(const PledgeCampaign& c) {
  const std::string uuid = NewUuid();
  return RunWrite<PledgeCampaign>(store_, [&](WriteTx& tx) -> Result<PledgeCampaign> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kInsertCampaign);
    if (!st) return Fail(st.error());
    const PledgeTerms& t = c.terms;
    st->Bind(1, uuid).Bind(2, c.slug).Bind(3, c.campaign_id).Bind(4, c.fundraiser_id);
    st->Bind(5, t.title).Bind(6, c.description_markdown).Bind(7, PledgeConditionKindName(t.kind));
    st->Bind(8, t.condition_text).Bind(9, PledgeSubjectKindName(t.subject_kind));
    st->Bind(10, t.subject_name).Bind(11, t.threshold).Bind(12, t.deadline).Bind(13, t.money);
    st->Bind(14, t.currency).Bind(15, t.minimum_minor).Bind(16, t.payee).Bind(17, t.promise);
    st->Bind(18, c.created_by).Bind(19, c.created);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "creating the pledge campaign"));
    return PledgeCampaignFromRow(*st);
  });
}

Result<PledgeCampaign> SqlitePledges::GetPledgeCampaign(std::int64_t id) {
  return ReadCampaign(kCampaignById, [&](Stmt& st) { st.Bind(1, id); });
}

Result<PledgeCampaign> SqlitePledges::GetPledgeCampaignBySlug(const std::string& slug) {
  return ReadCampaign(kCampaignBySlug, [&](Stmt& st) { st.Bind(1, slug); });
}

Result<std::vector<PledgeCampaign>> SqlitePledges::ListPledgeCampaigns() {
  return ReadCampaigns(kListCampaigns, [](Stmt&) {});
}

Result<std::vector<PledgeCampaign>> SqlitePledges::DueForDecision(UnixTime now) {
  return ReadCampaigns(kDueCampaigns, [&](Stmt& st) { st.Bind(1, now); });
}

Result<std::optional<UnixTime>> SqlitePledges::NextDeadline() {
  auto r = store_.Reader();
  auto st = r->Prepare(kNextDeadline);
  if (!st) return Fail(st.error());
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "reading the next deadline"));
  return st->OptInt(0);
}

Result<bool> SqlitePledges::Decide(std::int64_t id, PledgeCampaignStatus to,
                                   const std::string& evidence_url, UnixTime now) {
  if (to == PledgeCampaignStatus::kOpen) {
    return Fail(Code::kInvalidArgument, "a pledge campaign is decided met or failed");
  }
  return RunWrite<bool>(store_, [&](WriteTx& tx) -> Result<bool> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kDecide);
    if (!st) return Fail(st.error());
    st->Bind(1, id).Bind(2, PledgeCampaignStatusName(to)).Bind(3, now).Bind(4, evidence_url);
    if (auto r = StepDone(db, *st, "deciding the pledge campaign"); !r) return Fail(r.error());
    if (db.Changes() == 1) return true;
    auto c = CampaignIn(db, id);
    if (!c) return Fail(c.error());
    return false;
  });
}

Result<PledgeTotals> SqlitePledges::GetPledgeTotals(std::int64_t pledge_campaign_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kTotals);
  if (!st) return Fail(st.error());
  st->Bind(1, pledge_campaign_id);
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "reading the pledge totals"));
  return PledgeTotals{st->Int(0), st->Int(1), st->Int(2), st->Int(3),
                      st->Int(4), st->Int(5), st->Int(6)};
}

// --- pledges

Result<Pledge> SqlitePledges::CreatePledge(const NewPledge& n) {
  SignatureForm form;
  form.name = n.name;
  form.email = n.email;
  const std::string sealed = store_.sealer().Seal(form);
  const std::string uuid = NewUuid();
  const FieldSealer& sealer = store_.sealer();
  return RunWrite<Pledge>(store_, [&](WriteTx& tx) -> Result<Pledge> {
    Db& db = DbOf(tx);
    auto c = CampaignIn(db, n.pledge_campaign_id);
    if (!c) return Fail(c.error());
    if (c->status != PledgeCampaignStatus::kOpen || c->terms.deadline <= n.now) {
      return Fail(Code::kConflict, "the pledge campaign is closed");
    }
    auto live = db.Prepare(kLivePledge);
    if (!live) return Fail(live.error());
    live->Bind(1, n.pledge_campaign_id).Bind(2, n.email_key);
    int rc = live->Step();
    if (rc == SQLITE_ROW) return Fail(Code::kConflict, "already pledged");
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading pledges"));
    live->Reset();
    auto st = db.Prepare(kInsertPledge);
    if (!st) return Fail(st.error());
    const bool money = c->terms.money;
    const std::string currency = money ? c->terms.currency : std::string();
    st->Bind(1, uuid).Bind(2, n.pledge_campaign_id).Bind(3, money ? n.amount_minor : 0);
    st->Bind(4, currency).BindBlob(5, sealed);
    st->Bind(6, n.email_key);
    st->Bind(7, PledgeStatusName(money ? PledgeStatus::kPending : PledgeStatus::kMade));
    st->Bind(8, n.now);
    rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "recording the pledge"));
    auto out = PledgeFromRow(*st, sealer);
    st->Reset();
    if (!out || money) return out;
    const PledgeTransition receipt{true, "pledge_made"};
    if (auto w = WriteBack(db, *out, receipt); !w) return Fail(w.error());
    return out;
  });
}

Result<Pledge> SqlitePledges::GetPledge(std::int64_t id) {
  return ReadPledge(kPledgeById, [&](Stmt& st) { st.Bind(1, id); });
}

Result<Pledge> SqlitePledges::GetPledgeByUuid(const std::string& uuid) {
  return ReadPledge(kPledgeByUuid, [&](Stmt& st) { st.Bind(1, uuid); });
}

Result<Paged<Pledge>> SqlitePledges::ListPledges(std::int64_t pledge_campaign_id, Page page) {
  const Limits lim = PageLimits(page);
  auto r = store_.Reader();
  Paged<Pledge> out;
  {
    auto count = r->Prepare(kCountPledges);
    if (!count) return Fail(count.error());
    count->Bind(1, pledge_campaign_id);
    int rc = count->Step();
    if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "counting pledges"));
    out.total = count->Int(0);
  }
  auto st = r->Prepare(kListPledges);
  if (!st) return Fail(st.error());
  st->Bind(1, pledge_campaign_id).Bind(2, lim.limit).Bind(3, lim.offset);
  const FieldSealer& sealer = store_.sealer();
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    auto p = PledgeFromRow(*st, sealer);
    if (!p) return Fail(p.error());
    out.items.push_back(std::move(*p));
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing pledges"));
  return out;
}

Result<Pledge> SqlitePledges::SetPledgeCheckout(std::int64_t id, const std::string& session,
                                                UnixTime now) {
  const FieldSealer& sealer = store_.sealer();
  return RunWrite<Pledge>(store_, [&](WriteTx& tx) -> Result<Pledge> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kSetCheckout);
    if (!st) return Fail(st.error());
    st->Bind(1, id).Bind(2, session).Bind(3, now);
    return QueryOne(db, *st, "no such pledge", [&](Stmt& s) { return PledgeFromRow(s, sealer); });
  });
}

Result<std::pair<Pledge, bool>> SqlitePledges::Mutate(std::int64_t id, const Change& fn) {
  const FieldSealer& sealer = store_.sealer();
  return RunWrite<std::pair<Pledge, bool>>(store_,
                                           [&](WriteTx& tx) -> Result<std::pair<Pledge, bool>> {
                                             Db& db = DbOf(tx);
                                             auto p = PledgeIn(db, sealer, id);
                                             if (!p) return Fail(p.error());
                                             auto c = CampaignIn(db, p->pledge_campaign_id);
                                             if (!c) return Fail(c.error());
                                             auto t = fn(*p, *c);
                                             if (!t) return Fail(t.error());
                                             if (!t->changed)
                                               return std::pair<Pledge, bool>(std::move(*p), false);
                                             if (auto w = WriteBack(db, *p, *t); !w)
                                               return Fail(w.error());
                                             return std::pair<Pledge, bool>(std::move(*p), true);
                                           });
}

Result<Pledge> SqlitePledges::SaveCard(std::int64_t id, const std::string& customer,
                                       const std::string& payment_method, UnixTime now) {
  auto r = Mutate(id, [&](Pledge& p, const PledgeCampaign& c) {
    return SaveCardTransition(p, c, customer, payment_method, now);
  });
  if (!r) return Fail(r.error());
  return std::move(r->first);
}

Result<Pledge> SqlitePledges::WithdrawPledge(std::int64_t id, UnixTime now) {
  auto r =
      Mutate(id, [&](Pledge& p, const PledgeCampaign& c) { return WithdrawTransition(p, c, now); });
  if (!r) return Fail(r.error());
  return std::move(r->first);
}

// --- resolution

Result<std::vector<ClaimedPledge>> SqlitePledges::ClaimWork(UnixTime now,
                                                            std::int64_t lease_seconds, int limit) {
  const FieldSealer& sealer = store_.sealer();
  return RunWrite<std::vector<ClaimedPledge>>(
      store_, [&](WriteTx& tx) -> Result<std::vector<ClaimedPledge>> {
        Db& db = DbOf(tx);
        std::vector<std::int64_t> ids;
        {
          auto st = db.Prepare(kClaimable);
          if (!st) return Fail(st.error());
          st->Bind(1, now).Bind(2, limit);
          int rc;
          while ((rc = st->Step()) == SQLITE_ROW) ids.push_back(st->Int(0));
          if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "finding pledges to resolve"));
          st->Reset();
        }
        std::map<std::int64_t, PledgeCampaign> campaigns;
        std::vector<ClaimedPledge> out;
        for (std::int64_t id : ids) {
          auto st = db.Prepare(kLease);
          if (!st) return Fail(st.error());
          st->Bind(1, id).Bind(2, now + lease_seconds);
          auto p = QueryOne(db, *st, "no such pledge",
                            [&](Stmt& s) { return PledgeFromRow(s, sealer); });
          if (!p) return Fail(p.error());
          st->Reset();
          auto it = campaigns.find(p->pledge_campaign_id);
          if (it == campaigns.end()) {
            auto c = CampaignIn(db, p->pledge_campaign_id);
            if (!c) return Fail(c.error());
            it = campaigns.emplace(c->id, std::move(*c)).first;
          }
          out.push_back(ClaimedPledge{WorkFor(*p, it->second), std::move(*p), it->second});
        }
        return out;
      });
}

Result<std::pair<Pledge, bool>> SqlitePledges::RecordCharge(const PledgeChargeResult& r) {
  return Mutate(r.pledge_id, [&](Pledge& p, const PledgeCampaign&) -> Result<PledgeTransition> {
    return ChargeTransition(p, r);
  });
}

Result<bool> SqlitePledges::RecordReleased(std::int64_t pledge_id, UnixTime now) {
  auto r = Mutate(pledge_id, [&](Pledge& p, const PledgeCampaign& c) -> Result<PledgeTransition> {
    return ReleasedTransition(p, c, now);
  });
  if (!r) return Fail(r.error());
  return r->second;
}

Result<bool> SqlitePledges::RecordDue(std::int64_t pledge_id, UnixTime now) {
  auto r = Mutate(pledge_id, [&](Pledge& p, const PledgeCampaign& c) -> Result<PledgeTransition> {
    return DueTransition(p, c, now);
  });
  if (!r) return Fail(r.error());
  return r->second;
}

Result<bool> SqlitePledges::CompleteNeedsAction(std::int64_t pledge_id,
                                                const std::string& payment_intent, UnixTime now) {
  auto r = Mutate(pledge_id, [&](Pledge& p, const PledgeCampaign&) -> Result<PledgeTransition> {
    return CompleteTransition(p, payment_intent, now);
  });
  if (!r) return Fail(r.error());
  return r->second;
}

Result<std::int64_t> SqlitePledges::RunNeedsAction(UnixTime now) {
  const FieldSealer& sealer = store_.sealer();
  return RunWrite<std::int64_t>(store_, [&](WriteTx& tx) -> Result<std::int64_t> {
    Db& db = DbOf(tx);
    std::vector<std::int64_t> ids;
    {
      auto st = db.Prepare(kDueSteps);
      if (!st) return Fail(st.error());
      st->Bind(1, now);
      int rc;
      while ((rc = st->Step()) == SQLITE_ROW) ids.push_back(st->Int(0));
      if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "finding due reminders"));
      st->Reset();
    }
    std::int64_t queued = 0;
    for (std::int64_t id : ids) {
      auto p = PledgeIn(db, sealer, id);
      if (!p) return Fail(p.error());
      const PledgeTransition t = NeedsActionTransition(*p, now);
      if (!t.changed) continue;
      if (auto w = WriteBack(db, *p, t); !w) return Fail(w.error());
      if (t.mail != nullptr) ++queued;
    }
    return queued;
  });
}

Result<std::optional<UnixTime>> SqlitePledges::NextPledgeWorkAt(UnixTime now) {
  auto r = store_.Reader();
  auto st = r->Prepare(kNextWork);
  if (!st) return Fail(st.error());
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "reading the next pledge work"));
  std::optional<UnixTime> at = st->OptInt(0);
  if (at && *at < now) at = now;
  return at;
}

}  // namespace undersigned::store
