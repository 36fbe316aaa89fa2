// PgPledges (pledges.h): pledge campaigns, pledges and their claims on PostgreSQL, and their
// SQL.
#include "store/postgres/pledges.h"

#include <algorithm>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include "store/postgres/rows.h"
#include "store/random.h"

namespace undersigned::store::pg {
namespace {

#define US_PG_PLEDGE_CAMPAIGN_COLS                                                         \
  "id, uuid, slug, campaign_id, fundraiser_id, title, description, kind, condition_text, " \
  "subject_kind, subject_name, threshold, deadline, money, currency, minimum, payee, "     \
  "promise, status, decided, evidence_url, created_by, created, modified"
#define US_PG_PLEDGE_COLS                                                              \
  "id, uuid, pledge_campaign_id, amount, currency, sealed, status, checkout_session, " \
  "customer, payment_method, payment_intent, attempt, claimed_until, reminders_sent, " \
  "needs_action_since, next_step_at, created, modified"

constexpr const char* kInsertCampaign =
    "INSERT INTO pledge_campaigns (uuid, slug, campaign_id, fundraiser_id, title, description, "
    "kind, condition_text, subject_kind, subject_name, threshold, deadline, money, currency, "
    "minimum, payee, promise, status, created_by, created, modified) VALUES ($1, $2, $3, $4, $5, "
    "$6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, 'open', $18, $19, $19) "
    "RETURNING " US_PG_PLEDGE_CAMPAIGN_COLS;
constexpr const char* kCampaignById =
    "SELECT " US_PG_PLEDGE_CAMPAIGN_COLS " FROM pledge_campaigns WHERE id = $1";
constexpr const char* kCampaignBySlug =
    "SELECT " US_PG_PLEDGE_CAMPAIGN_COLS " FROM pledge_campaigns WHERE slug = $1";
constexpr const char* kCampaignForShare =
    "SELECT " US_PG_PLEDGE_CAMPAIGN_COLS " FROM pledge_campaigns WHERE id = $1 FOR SHARE";
constexpr const char* kListCampaigns =
    "SELECT " US_PG_PLEDGE_CAMPAIGN_COLS " FROM pledge_campaigns ORDER BY id";
constexpr const char* kDueCampaigns = "SELECT " US_PG_PLEDGE_CAMPAIGN_COLS
                                      " FROM pledge_campaigns WHERE status = 'open' AND deadline "
                                      "<= $1 ORDER BY deadline, id";
constexpr const char* kNextDeadline =
    "SELECT min(deadline) FROM pledge_campaigns WHERE status = 'open'";
constexpr const char* kDecide =
    "UPDATE pledge_campaigns SET status = $2, decided = $3, evidence_url = $4, modified = $3 "
    "WHERE id = $1 AND status = 'open' RETURNING id";
constexpr const char* kTotals =
    "SELECT count(*) FILTER (WHERE status NOT IN ('pending', 'withdrawn')), coalesce(sum(amount) "
    "FILTER (WHERE status NOT IN ('pending', 'withdrawn')), 0)::bigint, count(*) FILTER (WHERE "
    "status = 'charged'), coalesce(sum(amount) FILTER (WHERE status = 'charged'), 0)::bigint, "
    "count(*) FILTER (WHERE status = 'needs_action'), count(*) FILTER (WHERE status = 'lapsed'), "
    "count(*) FILTER (WHERE status = 'released') FROM pledges WHERE pledge_campaign_id = $1";

constexpr const char* kInsertPledge =
    "INSERT INTO pledges (uuid, pledge_campaign_id, amount, currency, sealed, email_key, status, "
    "created, modified) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $8) "
    "RETURNING " US_PG_PLEDGE_COLS;
constexpr const char* kLivePledge =
    "SELECT 1 FROM pledges WHERE pledge_campaign_id = $1 AND email_key = $2 AND status NOT IN "
    "('pending', 'withdrawn')";
constexpr const char* kPledgeById = "SELECT " US_PG_PLEDGE_COLS " FROM pledges WHERE id = $1";
constexpr const char* kLockPledge =
    "SELECT " US_PG_PLEDGE_COLS " FROM pledges WHERE id = $1 FOR UPDATE";
constexpr const char* kPledgeByUuid = "SELECT " US_PG_PLEDGE_COLS " FROM pledges WHERE uuid = $1";
constexpr const char* kListPledges = "SELECT " US_PG_PLEDGE_COLS
                                     ", count(*) OVER () FROM pledges WHERE pledge_campaign_id = "
                                     "$1 ORDER BY id LIMIT $2 OFFSET $3";
constexpr const char* kCountPledges = "SELECT count(*) FROM pledges WHERE pledge_campaign_id = $1";
constexpr const char* kSetCheckout =
    "UPDATE pledges SET checkout_session = $2, modified = $3 WHERE id = $1 "
    "RETURNING " US_PG_PLEDGE_COLS;
// The columns a transition changes (pledge_store.h).
constexpr const char* kWritePledge =
    "UPDATE pledges SET status = $2, payment_intent = $3, customer = $4, payment_method = $5, "
    "attempt = $6, claimed_until = $7, reminders_sent = $8, needs_action_since = $9, "
    "next_step_at = $10, modified = $11 WHERE id = $1";
constexpr const char* kQueueMail =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) VALUES ($1, '', $2, "
    "$3, $3)";
// Leases pledges with work (pledge_store.h's PledgeWork) whose lease has run out at $1.
constexpr const char* kClaim =
    "UPDATE pledges SET claimed_until = $2 WHERE id IN (SELECT p.id FROM pledges p JOIN "
    "pledge_campaigns c ON c.id = p.pledge_campaign_id WHERE p.claimed_until <= $1 AND "
    "((c.status = 'met' AND p.status = 'made') OR (c.status = 'failed' AND p.status IN ('made', "
    "'pending'))) ORDER BY p.id LIMIT $3 FOR UPDATE OF p SKIP LOCKED) AND claimed_until <= $1 "
    "RETURNING " US_PG_PLEDGE_COLS;
constexpr const char* kDueSteps =
    "SELECT id FROM pledges WHERE status = 'needs_action' AND next_step_at <= $1 ORDER BY id";
constexpr const char* kNextWork =
    "SELECT min(t) FROM (SELECT min(p.claimed_until) AS t FROM pledges p JOIN pledge_campaigns "
    "c ON c.id = p.pledge_campaign_id WHERE (c.status = 'met' AND p.status = 'made') OR "
    "(c.status = 'failed' AND p.status IN ('made', 'pending')) UNION ALL SELECT "
    "min(next_step_at) FROM pledges WHERE status = 'needs_action') x";

Result<PledgeCampaign> PledgeCampaignFrom(const PgResult& r, int row) {
  PledgeCampaign c;
  c.id = r.Int(row, 0);
  c.uuid = r.Text(row, 1);
  c.slug = r.Text(row, 2);
  c.campaign_id = r.OptInt(row, 3);
  c.fundraiser_id = r.OptInt(row, 4);
  c.terms.title = r.Text(row, 5);
  c.description_markdown = r.Text(row, 6);
  auto kind = ParsePledgeConditionKind(r.View(row, 7));
  auto subject = ParsePledgeSubjectKind(r.View(row, 9));
  auto status = ParsePledgeCampaignStatus(r.View(row, 18));
  if (!kind || !subject || !status) {
    return Fail(Code::kInternal, "a pledge campaign has an unknown state");
  }
  c.terms.kind = *kind;
  c.terms.condition_text = r.Text(row, 8);
  c.terms.subject_kind = *subject;
  c.terms.subject_name = r.Text(row, 10);
  c.terms.threshold = r.Int(row, 11);
  c.terms.deadline = r.Int(row, 12);
  c.terms.money = r.Bool(row, 13);
  c.terms.currency = r.Text(row, 14);
  c.terms.minimum_minor = r.Int(row, 15);
  c.terms.payee = r.Text(row, 16);
  c.terms.promise = r.Text(row, 17);
  c.status = *status;
  c.decided = r.OptInt(row, 19);
  c.evidence_url = r.Text(row, 20);
  c.created_by = r.OptInt(row, 21);
  c.created = r.Int(row, 22);
  c.modified = r.Int(row, 23);
  return c;
}

Result<Pledge> PledgeFrom(const PgResult& r, int row, const FieldSealer& sealer) {
  Pledge p;
  p.id = r.Int(row, 0);
  p.uuid = r.Text(row, 1);
  p.pledge_campaign_id = r.Int(row, 2);
  p.amount_minor = r.Int(row, 3);
  p.currency = r.Text(row, 4);
  auto fields = sealer.Open(r.Bytes(row, 5));
  if (!fields) return Fail(fields.error());
  p.name = std::move(fields->name);
  p.email = std::move(fields->email);
  auto status = ParsePledgeStatus(r.View(row, 6));
  if (!status) return Fail(Code::kInternal, "a pledge has an unknown status");
  p.status = *status;
  p.checkout_session = r.Text(row, 7);
  p.customer = r.Text(row, 8);
  p.payment_method = r.Text(row, 9);
  p.payment_intent = r.Text(row, 10);
  p.attempt = r.Int(row, 11);
  p.claimed_until = r.Int(row, 12);
  p.reminders_sent = r.Int(row, 13);
  p.needs_action_since = r.OptInt(row, 14);
  p.next_step_at = r.OptInt(row, 15);
  p.created = r.Int(row, 16);
  p.modified = r.Int(row, 17);
  return p;
}

// Writes p's mutable columns (pledge_store.h) and queues t's mail, if any.
Result<void> WriteBack(PgConn& conn, const Pledge& p, const PledgeTransition& t) {
  PgParams w;
  w.Int(p.id).Text(PledgeStatusName(p.status)).Text(p.payment_intent).Text(p.customer);
  w.Text(p.payment_method).Int(p.attempt).Int(p.claimed_until).Int(p.reminders_sent);
  w.Int(p.needs_action_since).Int(p.next_step_at).Int(p.modified);
  if (auto r = conn.Run(kWritePledge, w, "changing the pledge"); !r) return Fail(r.error());
  if (t.mail == nullptr) return {};
  auto m = conn.Run(kQueueMail, PgParams().Text(t.mail).Text(PledgeMailPayload(p)).Int(p.modified),
                    "queueing a pledge mail");
  if (!m) return Fail(m.error());
  return {};
}

Result<PledgeCampaign> CampaignOn(PgConn& conn, const char* sql, std::int64_t id) {
  auto r = conn.Run(sql, PgParams().Int(id), "reading the pledge campaign");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such pledge campaign");
  return PledgeCampaignFrom(*r, 0);
}

}  // namespace

Result<PgResult> PgPledges::Run(const char* sql, const PgParams& params, std::string_view what,
                                bool write) {
  if (write) {
    if (auto w = writable_(); !w) return Fail(w.error());
  }
  Result<PgResult> out = Fail(Code::kInternal, "not run");
  with_conn_([&](PgConn& conn) { out = conn.Run(sql, params, what); });
  return out;
}

template <typename T, typename F>
Result<T> PgPledges::InTransaction(F&& fn) {
  if (auto w = writable_(); !w) return Fail(w.error());
  Result<T> out = Fail(Code::kInternal, "not run");
  with_conn_([&](PgConn& conn) {
    if (auto r = conn.Exec("BEGIN", "starting a transaction"); !r) {
      out = Fail(r.error());
      return;
    }
    out = fn(conn);
    if (!out) {
      (void)conn.Exec("ROLLBACK", "rolling back");
      return;
    }
    if (auto r = conn.Exec("COMMIT", "committing"); !r) out = Fail(r.error());
  });
  return out;
}

Result<PledgeCampaign> PgPledges::OneCampaign(const char* sql, const PgParams& params) {
  auto r = Run(sql, params, "reading the pledge campaign", false);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such pledge campaign");
  return PledgeCampaignFrom(*r, 0);
}

Result<std::vector<PledgeCampaign>> PgPledges::Campaigns(const char* sql, const PgParams& params) {
  auto r = Run(sql, params, "listing pledge campaigns", false);
  if (!r) return Fail(r.error());
  std::vector<PledgeCampaign> out;
  for (int i = 0; i < r->rows(); ++i) {
    auto c = PledgeCampaignFrom(*r, i);
    if (!c) return Fail(c.error());
    out.push_back(std::move(*c));
  }
  return out;
}

Result<Pledge> PgPledges::OnePledge(const char* sql, const PgParams& params, bool write) {
  auto r = Run(sql, params, write ? "writing the pledge" : "reading the pledge", write);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such pledge");
  return PledgeFrom(*r, 0, sealer_);
}

// --- pledge campaigns

Result<PledgeCampaign> PgPledges::CreatePledgeCampaign(const PledgeCampaign& c) {
  const PledgeTerms& t = c.terms;
  PgParams p;
  p.Text(NewUuid()).Text(c.slug).Int(c.campaign_id).Int(c.fundraiser_id).Text(t.title);
  p.Text(c.description_markdown).Text(PledgeConditionKindName(t.kind)).Text(t.condition_text);
  p.Text(PledgeSubjectKindName(t.subject_kind)).Text(t.subject_name).Int(t.threshold);
  p.Int(t.deadline).Bool(t.money).Text(t.currency).Int(t.minimum_minor).Text(t.payee);
  p.Text(t.promise).Int(c.created_by).Int(c.created);
  auto r = Run(kInsertCampaign, p, "creating the pledge campaign", true);
  if (!r) return Fail(r.error());
  return PledgeCampaignFrom(*r, 0);
}

Result<PledgeCampaign> PgPledges::GetPledgeCampaign(std::int64_t id) {
  return OneCampaign(kCampaignById, PgParams().Int(id));
}

Result<PledgeCampaign> PgPledges::GetPledgeCampaignBySlug(const std::string& slug) {
  return OneCampaign(kCampaignBySlug, PgParams().Text(slug));
}

Result<std::vector<PledgeCampaign>> PgPledges::ListPledgeCampaigns() {
  return Campaigns(kListCampaigns, PgParams());
}

Result<std::vector<PledgeCampaign>> PgPledges::DueForDecision(UnixTime now) {
  return Campaigns(kDueCampaigns, PgParams().Int(now));
}

Result<std::optional<UnixTime>> PgPledges::NextDeadline() {
  auto r = Run(kNextDeadline, PgParams(), "reading the next deadline", false);
  if (!r) return Fail(r.error());
  return r->OptInt(0, 0);
}

Result<bool> PgPledges::Decide(std::int64_t id, PledgeCampaignStatus to,
                               const std::string& evidence_url, UnixTime now) {
  if (to == PledgeCampaignStatus::kOpen) {
    return Fail(Code::kInvalidArgument, "a pledge campaign is decided met or failed");
  }
  auto r = Run(kDecide,
               PgParams().Int(id).Text(PledgeCampaignStatusName(to)).Int(now).Text(evidence_url),
               "deciding the pledge campaign", true);
  if (!r) return Fail(r.error());
  if (r->rows() == 1) return true;
  auto c = GetPledgeCampaign(id);
  if (!c) return Fail(c.error());
  return false;
}

Result<PledgeTotals> PgPledges::GetPledgeTotals(std::int64_t pledge_campaign_id) {
  auto r = Run(kTotals, PgParams().Int(pledge_campaign_id), "reading the pledge totals", false);
  if (!r) return Fail(r.error());
  return PledgeTotals{r->Int(0, 0), r->Int(0, 1), r->Int(0, 2), r->Int(0, 3),
                      r->Int(0, 4), r->Int(0, 5), r->Int(0, 6)};
}

// --- pledges

Result<Pledge> PgPledges::CreatePledge(const NewPledge& n) {
  SignatureForm form;
  form.name = n.name;
  form.email = n.email;
  const std::string sealed = sealer_.Seal(form);
  return InTransaction<Pledge>([&](PgConn& conn) -> Result<Pledge> {
    // FOR SHARE: a decision (UPDATE) waits for this pledge, and this pledge sees a decision
    // committed before it.
    auto c = CampaignOn(conn, kCampaignForShare, n.pledge_campaign_id);
    if (!c) return Fail(c.error());
    if (c->status != PledgeCampaignStatus::kOpen || c->terms.deadline <= n.now) {
      return Fail(Code::kConflict, "the pledge campaign is closed");
    }
    auto live = conn.Run(kLivePledge, PgParams().Int(n.pledge_campaign_id).Text(n.email_key),
                         "reading pledges");
    if (!live) return Fail(live.error());
    if (live->rows() > 0) return Fail(Code::kConflict, "already pledged");
    const bool money = c->terms.money;
    PgParams p;
    p.Text(NewUuid()).Int(n.pledge_campaign_id).Int(money ? n.amount_minor : 0);
    p.Text(money ? c->terms.currency : std::string()).Bytes(sealed).Text(n.email_key);
    p.Text(PledgeStatusName(money ? PledgeStatus::kPending : PledgeStatus::kMade));
    p.Int(n.now);
    auto r = conn.Run(kInsertPledge, p, "recording the pledge");
    if (!r) {
      Error e = r.error();
      if (e.code == Code::kConflict) e.message = "already pledged";
      return Fail(std::move(e));
    }
    auto out = PledgeFrom(*r, 0, sealer_);
    if (!out || money) return out;
    const PledgeTransition receipt{true, "pledge_made"};
    if (auto w = WriteBack(conn, *out, receipt); !w) return Fail(w.error());
    return out;
  });
}

Result<Pledge> PgPledges::GetPledge(std::int64_t id) {
  return OnePledge(kPledgeById, PgParams().Int(id), false);
}

Result<Pledge> PgPledges::GetPledgeByUuid(const std::string& uuid) {
  return OnePledge(kPledgeByUuid, PgParams().Text(uuid), false);
}

Result<Paged<Pledge>> PgPledges::ListPledges(std::int64_t pledge_campaign_id, Page page) {
  const Limits lim = PageLimits(page);
  auto r = Run(kListPledges, PgParams().Int(pledge_campaign_id).Int(lim.limit).Int(lim.offset),
               "listing pledges", false);
  if (!r) return Fail(r.error());
  Paged<Pledge> out;
  for (int i = 0; i < r->rows(); ++i) {
    auto p = PledgeFrom(*r, i, sealer_);
    if (!p) return Fail(p.error());
    out.items.push_back(std::move(*p));
    out.total = r->Int(i, 18);
  }
  if (r->rows() == 0) {
    auto c = Run(kCountPledges, PgParams().Int(pledge_campaign_id), "counting pledges", false);
    if (!c) return Fail(c.error());
    out.total = c->Int(0, 0);
  }
  return out;
}

Result<Pledge> PgPledges::SetPledgeCheckout(std::int64_t id, const std::string& session,
                                            UnixTime now) {
  return OnePledge(kSetCheckout, PgParams().Int(id).Text(session).Int(now), true);
}

Result<std::pair<Pledge, bool>> PgPledges::MutateOn(PgConn& conn, std::int64_t id,
                                                    const Change& fn) {
  auto r = conn.Run(kLockPledge, PgParams().Int(id), "reading the pledge");
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such pledge");
  auto p = PledgeFrom(*r, 0, sealer_);
  if (!p) return Fail(p.error());
  auto c = CampaignOn(conn, kCampaignById, p->pledge_campaign_id);
  if (!c) return Fail(c.error());
  auto t = fn(*p, *c);
  if (!t) return Fail(t.error());
  if (!t->changed) return std::pair<Pledge, bool>(std::move(*p), false);
  if (auto w = WriteBack(conn, *p, *t); !w) return Fail(w.error());
  return std::pair<Pledge, bool>(std::move(*p), true);
}

Result<std::pair<Pledge, bool>> PgPledges::Mutate(std::int64_t id, const Change& fn) {
  return InTransaction<std::pair<Pledge, bool>>(
      [&](PgConn& conn) { return MutateOn(conn, id, fn); });
}

Result<Pledge> PgPledges::SaveCard(std::int64_t id, const std::string& customer,
                                   const std::string& payment_method, UnixTime now) {
  auto r = Mutate(id, [&](Pledge& p, const PledgeCampaign& c) {
    return SaveCardTransition(p, c, customer, payment_method, now);
  });
  if (!r) return Fail(r.error());
  return std::move(r->first);
}

Result<Pledge> PgPledges::WithdrawPledge(std::int64_t id, UnixTime now) {
  auto r =
      Mutate(id, [&](Pledge& p, const PledgeCampaign& c) { return WithdrawTransition(p, c, now); });
  if (!r) return Fail(r.error());
  return std::move(r->first);
}

// --- resolution

Result<std::vector<ClaimedPledge>> PgPledges::ClaimWork(UnixTime now, std::int64_t lease_seconds,
                                                        int limit) {
  auto r = Run(kClaim, PgParams().Int(now).Int(now + lease_seconds).Int(limit),
               "claiming pledges to resolve", true);
  if (!r) return Fail(r.error());
  std::map<std::int64_t, PledgeCampaign> campaigns;
  std::vector<ClaimedPledge> out;
  for (int i = 0; i < r->rows(); ++i) {
    auto p = PledgeFrom(*r, i, sealer_);
    if (!p) return Fail(p.error());
    auto it = campaigns.find(p->pledge_campaign_id);
    if (it == campaigns.end()) {
      auto c = GetPledgeCampaign(p->pledge_campaign_id);
      if (!c) return Fail(c.error());
      it = campaigns.emplace(c->id, std::move(*c)).first;
    }
    out.push_back(ClaimedPledge{WorkFor(*p, it->second), std::move(*p), it->second});
  }
  std::sort(out.begin(), out.end(), [](const ClaimedPledge& a, const ClaimedPledge& b) {
    return a.pledge.id < b.pledge.id;
  });
  return out;
}

Result<std::pair<Pledge, bool>> PgPledges::RecordCharge(const PledgeChargeResult& r) {
  return Mutate(r.pledge_id, [&](Pledge& p, const PledgeCampaign&) -> Result<PledgeTransition> {
    return ChargeTransition(p, r);
  });
}

Result<bool> PgPledges::RecordReleased(std::int64_t pledge_id, UnixTime now) {
  auto r = Mutate(pledge_id, [&](Pledge& p, const PledgeCampaign& c) -> Result<PledgeTransition> {
    return ReleasedTransition(p, c, now);
  });
  if (!r) return Fail(r.error());
  return r->second;
}

Result<bool> PgPledges::RecordDue(std::int64_t pledge_id, UnixTime now) {
  auto r = Mutate(pledge_id, [&](Pledge& p, const PledgeCampaign& c) -> Result<PledgeTransition> {
    return DueTransition(p, c, now);
  });
  if (!r) return Fail(r.error());
  return r->second;
}

Result<bool> PgPledges::CompleteNeedsAction(std::int64_t pledge_id,
                                            const std::string& payment_intent, UnixTime now) {
  auto r = Mutate(pledge_id, [&](Pledge& p, const PledgeCampaign&) -> Result<PledgeTransition> {
    return CompleteTransition(p, payment_intent, now);
  });
  if (!r) return Fail(r.error());
  return r->second;
}

Result<std::int64_t> PgPledges::RunNeedsAction(UnixTime now) {
  auto due = Run(kDueSteps, PgParams().Int(now), "finding due reminders", false);
  if (!due) return Fail(due.error());
  std::int64_t queued = 0;
  for (int i = 0; i < due->rows(); ++i) {
    // Each step in its own transaction, the row locked: another node doing the same waits,
    // then finds the step moved (NeedsActionTransition changes nothing).
    auto r =
        Mutate(due->Int(i, 0), [&](Pledge& p, const PledgeCampaign&) -> Result<PledgeTransition> {
          return NeedsActionTransition(p, now);
        });
    if (!r) return Fail(r.error());
    if (r->second) ++queued;
  }
  return queued;
}

Result<std::optional<UnixTime>> PgPledges::NextPledgeWorkAt(UnixTime now) {
  auto r = Run(kNextWork, PgParams(), "reading the next pledge work", false);
  if (!r) return Fail(r.error());
  std::optional<UnixTime> at = r->OptInt(0, 0);
  if (at && *at < now) at = now;
  return at;
}

}  // namespace undersigned::store::pg
