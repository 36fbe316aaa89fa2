// SqliteFundraising (fundraising.h): fundraisers, donations, totals and payment events on
// SQLite, and their SQL.
#include "store/sqlite/fundraising.h"

#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include "store/random.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {
namespace {

// Every statement a constant (Db::Prepare caches by address); values only as parameters.
#define US_FUNDRAISER_COLS                                                          \
  "id, uuid, campaign_id, slug, title, story_markdown, goal, currency, suggested, " \
  "monthly_allowed, line_items, status, created, modified"
#define US_DONATION_COLS                                                                       \
  "id, uuid, fundraiser_id, amount, currency, line_item, donor_name, donor_email, named, "     \
  "source, payment_method, reference_number, checkout_session, payment_intent, subscription, " \
  "status, monthly, recorded_by, created, modified"

constexpr char kInsertFundraiser[] =
    "INSERT INTO fundraisers (uuid, campaign_id, slug, title, story_markdown, goal, currency, "
    "suggested, monthly_allowed, line_items, status, created, modified) VALUES (?1, ?2, ?3, ?4, "
    "?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?12) RETURNING " US_FUNDRAISER_COLS;
constexpr char kUpdateFundraiser[] =
    "UPDATE fundraisers SET slug = ?2, title = ?3, story_markdown = ?4, goal = ?5, currency = "
    "?6, suggested = ?7, monthly_allowed = ?8, line_items = ?9, status = ?10, modified = ?11 "
    "WHERE id = ?1 RETURNING " US_FUNDRAISER_COLS;
constexpr char kFundraiserById[] = "SELECT " US_FUNDRAISER_COLS " FROM fundraisers WHERE id = ?1";
constexpr char kFundraiserBySlug[] =
    "SELECT " US_FUNDRAISER_COLS " FROM fundraisers WHERE slug = ?1";
constexpr char kFundraiserByUuid[] =
    "SELECT " US_FUNDRAISER_COLS " FROM fundraisers WHERE uuid = ?1";
constexpr char kListFundraisers[] = "SELECT " US_FUNDRAISER_COLS
                                    " FROM fundraisers WHERE ?1 IS NULL OR campaign_id = ?1 "
                                    "ORDER BY id";

constexpr char kInsertDonation[] =
    "INSERT INTO donations (uuid, fundraiser_id, amount, currency, line_item, donor_name, "
    "donor_email, named, source, payment_method, reference_number, checkout_session, "
    "payment_intent, subscription, status, monthly, recorded_by, created, modified) VALUES (?1, "
    "?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?18) "
    "RETURNING " US_DONATION_COLS;
constexpr char kSetSession[] =
    "UPDATE donations SET checkout_session = ?2, modified = ?3 WHERE id = ?1 "
    "RETURNING " US_DONATION_COLS;
constexpr char kDonationById[] = "SELECT " US_DONATION_COLS " FROM donations WHERE id = ?1";
constexpr char kDonationByUuid[] = "SELECT " US_DONATION_COLS " FROM donations WHERE uuid = ?1";
constexpr char kDonationByIntent[] = "SELECT " US_DONATION_COLS
                                     " FROM donations WHERE payment_intent = ?1 AND ?1 <> '' "
                                     "ORDER BY id LIMIT 1";
constexpr char kDonationBySession[] = "SELECT " US_DONATION_COLS
                                      " FROM donations WHERE checkout_session = ?1 AND ?1 <> '' "
                                      "ORDER BY id LIMIT 1";
constexpr char kListDonations[] = "SELECT " US_DONATION_COLS
                                  " FROM donations WHERE fundraiser_id = ?1 ORDER BY id "
                                  "LIMIT ?2 OFFSET ?3";
constexpr char kCountDonations[] = "SELECT count(*) FROM donations WHERE fundraiser_id = ?1";
constexpr char kNamedDonors[] =
    "SELECT donor_name, created FROM donations WHERE fundraiser_id = ?1 AND status = "
    "'succeeded' AND named = 1 AND donor_name <> '' ORDER BY id DESC LIMIT ?2";
constexpr char kTotals[] =
    "SELECT line_item, amount, donations FROM fundraiser_totals WHERE fundraiser_id = ?1";
constexpr char kAddTotal[] =
    "INSERT INTO fundraiser_totals (fundraiser_id, line_item, amount, donations) VALUES (?1, ?2, "
    "?3, ?4) ON CONFLICT (fundraiser_id, line_item) DO UPDATE SET amount = "
    "fundraiser_totals.amount + excluded.amount, donations = fundraiser_totals.donations + "
    "excluded.donations";
constexpr char kRecordEvent[] =
    "INSERT INTO processed_webhook_events (event_id, type, received) VALUES (?1, ?2, ?3) "
    "ON CONFLICT DO NOTHING";
constexpr char kChangeDonation[] =
    "UPDATE donations SET status = ?2, payment_intent = CASE WHEN payment_intent = '' THEN ?3 "
    "ELSE payment_intent END, checkout_session = CASE WHEN checkout_session = '' THEN ?4 ELSE "
    "checkout_session END, subscription = CASE WHEN subscription = '' THEN ?5 ELSE subscription "
    "END, modified = ?6 WHERE id = ?1 RETURNING " US_DONATION_COLS;

Result<Fundraiser> FundraiserFromRow(const Stmt& s) {
  Fundraiser f;
  f.id = s.Int(0);
  f.uuid = s.Text(1);
  f.campaign_id = s.OptInt(2);
  f.slug = s.Text(3);
  f.title = s.Text(4);
  f.story_markdown = s.Text(5);
  f.goal_minor = s.Int(6);
  f.currency = s.Text(7);
  f.suggested_minor = ParseAmounts(s.View(8));
  f.monthly_allowed = s.Bool(9);
  f.line_items = ParseLineItems(s.View(10));
  auto status = ParseFundraiserStatus(s.View(11));
  if (!status) return Fail(Code::kInternal, "a fundraiser has an unknown status");
  f.status = *status;
  f.created = s.Int(12);
  f.modified = s.Int(13);
  return f;
}

Result<Donation> DonationFromRow(const Stmt& s) {
  Donation d;
  d.id = s.Int(0);
  d.uuid = s.Text(1);
  d.fundraiser_id = s.Int(2);
  d.amount_minor = s.Int(3);
  d.currency = s.Text(4);
  d.line_item = s.Text(5);
  d.donor_name = s.Text(6);
  d.donor_email = s.Text(7);
  d.named = s.Bool(8);
  auto source = ParseDonationSource(s.View(9));
  auto status = ParseDonationStatus(s.View(15));
  if (!source || !status) return Fail(Code::kInternal, "a donation has an unknown state");
  d.source = *source;
  d.payment_method = s.Text(10);
  d.reference_number = s.Text(11);
  d.checkout_session = s.Text(12);
  d.payment_intent = s.Text(13);
  d.subscription = s.Text(14);
  d.status = *status;
  d.monthly = s.Bool(16);
  d.recorded_by = s.OptInt(17);
  d.created = s.Int(18);
  d.modified = s.Int(19);
  return d;
}

Db& DbOf(WriteTx& tx) { return static_cast<SqliteTx&>(tx).db(); }

// Adds sign * d to its fundraiser's totals (the whole, and its line item if any).
Result<void> MoveTotals(Db& db, const Donation& d, int sign) {
  const std::string whole;
  for (const std::string* item : {&whole, &d.line_item}) {
    if (item != &whole && item->empty()) break;
    auto st = db.Prepare(kAddTotal);
    if (!st) return Fail(st.error());
    st->Bind(1, d.fundraiser_id).Bind(2, *item).Bind(3, sign * d.amount_minor);
    st->Bind(4, static_cast<std::int64_t>(sign));
    if (auto r = StepDone(db, *st, "moving the totals"); !r) return r;
  }
  return {};
}

// The donation c names (by id, else payment intent, else checkout session), if any.
Result<std::optional<Donation>> FindDonation(Db& db, const DonationChange& c) {
  auto one = [&db](const char* sql, auto bind) -> Result<std::optional<Donation>> {
    auto st = db.Prepare(sql);
    if (!st) return Fail(st.error());
    bind(*st);
    auto d = QueryOne(db, *st, "no such donation", [](Stmt& s) { return DonationFromRow(s); });
    if (d) return std::optional<Donation>(std::move(*d));
    if (d.error().code == Code::kNotFound) return std::optional<Donation>();
    return Fail(d.error());
  };
  if (c.donation_id) {
    return one(kDonationById, [&](Stmt& st) { st.Bind(1, *c.donation_id); });
  }
  if (!c.payment_intent.empty()) {
    auto d = one(kDonationByIntent, [&](Stmt& st) { st.Bind(1, c.payment_intent); });
    if (!d || *d) return d;
  }
  return one(kDonationBySession, [&](Stmt& st) { st.Bind(1, c.checkout_session); });
}

}  // namespace

Result<Fundraiser> SqliteFundraising::ReadFundraiser(const char* sql, auto bind) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql);
  if (!st) return Fail(st.error());
  bind(*st);
  return QueryOne(*r, *st, "no such fundraiser", [](Stmt& s) { return FundraiserFromRow(s); });
}

Result<Donation> SqliteFundraising::ReadDonation(const char* sql, auto bind) {
  auto r = store_.Reader();
  auto st = r->Prepare(sql);
  if (!st) return Fail(st.error());
  bind(*st);
  return QueryOne(*r, *st, "no such donation", [](Stmt& s) { return DonationFromRow(s); });
}

// --- fundraisers

Result<Fundraiser> SqliteFundraising::CreateFundraiser(const Fundraiser& f) {
  const std::string uuid = NewUuid();
  const std::string suggested = AmountsJson(f.suggested_minor);
  const std::string items = LineItemsJson(f.line_items);
  return RunWrite<Fundraiser>(store_, [&](WriteTx& tx) -> Result<Fundraiser> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kInsertFundraiser);
    if (!st) return Fail(st.error());
    st->Bind(1, uuid).Bind(2, f.campaign_id).Bind(3, f.slug).Bind(4, f.title);
    st->Bind(5, f.story_markdown).Bind(6, f.goal_minor).Bind(7, f.currency).Bind(8, suggested);
    st->Bind(9, f.monthly_allowed).Bind(10, items).Bind(11, FundraiserStatusName(f.status));
    st->Bind(12, f.created);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "creating the fundraiser"));
    return FundraiserFromRow(*st);
  });
}

Result<Fundraiser> SqliteFundraising::UpdateFundraiser(const Fundraiser& f) {
  const std::string suggested = AmountsJson(f.suggested_minor);
  const std::string items = LineItemsJson(f.line_items);
  return RunWrite<Fundraiser>(store_, [&](WriteTx& tx) -> Result<Fundraiser> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kUpdateFundraiser);
    if (!st) return Fail(st.error());
    st->Bind(1, f.id).Bind(2, f.slug).Bind(3, f.title).Bind(4, f.story_markdown);
    st->Bind(5, f.goal_minor).Bind(6, f.currency).Bind(7, suggested).Bind(8, f.monthly_allowed);
    st->Bind(9, items).Bind(10, FundraiserStatusName(f.status)).Bind(11, f.modified);
    int rc = st->Step();
    if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such fundraiser");
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "changing the fundraiser"));
    return FundraiserFromRow(*st);
  });
}

Result<Fundraiser> SqliteFundraising::GetFundraiser(std::int64_t id) {
  return ReadFundraiser(kFundraiserById, [&](Stmt& st) { st.Bind(1, id); });
}

Result<Fundraiser> SqliteFundraising::GetFundraiserBySlug(const std::string& slug) {
  return ReadFundraiser(kFundraiserBySlug, [&](Stmt& st) { st.Bind(1, slug); });
}

Result<Fundraiser> SqliteFundraising::GetFundraiserByUuid(const std::string& uuid) {
  return ReadFundraiser(kFundraiserByUuid, [&](Stmt& st) { st.Bind(1, uuid); });
}

Result<std::vector<Fundraiser>> SqliteFundraising::ListFundraisers(
    std::optional<std::int64_t> campaign_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kListFundraisers);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  std::vector<Fundraiser> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    auto f = FundraiserFromRow(*st);
    if (!f) return Fail(f.error());
    out.push_back(std::move(*f));
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing fundraisers"));
  return out;
}

// --- donations

Result<Donation> SqliteFundraising::CreateDonation(const Donation& d) {
  const std::string uuid = NewUuid();
  return RunWrite<Donation>(store_, [&](WriteTx& tx) -> Result<Donation> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kInsertDonation);
    if (!st) return Fail(st.error());
    st->Bind(1, uuid).Bind(2, d.fundraiser_id).Bind(3, d.amount_minor).Bind(4, d.currency);
    st->Bind(5, d.line_item).Bind(6, d.donor_name).Bind(7, d.donor_email).Bind(8, d.named);
    st->Bind(9, DonationSourceName(d.source)).Bind(10, d.payment_method);
    st->Bind(11, d.reference_number).Bind(12, d.checkout_session).Bind(13, d.payment_intent);
    st->Bind(14, d.subscription).Bind(15, DonationStatusName(d.status)).Bind(16, d.monthly);
    st->Bind(17, d.recorded_by).Bind(18, d.created);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "recording the donation"));
    auto out = DonationFromRow(*st);
    st->Reset();
    if (!out) return out;
    if (out->status == DonationStatus::kSucceeded) {
      if (auto m = MoveTotals(db, *out, +1); !m) return Fail(m.error());
    }
    return out;
  });
}

Result<Donation> SqliteFundraising::SetCheckoutSession(std::int64_t id, const std::string& session,
                                                       UnixTime now) {
  return RunWrite<Donation>(store_, [&](WriteTx& tx) -> Result<Donation> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kSetSession);
    if (!st) return Fail(st.error());
    st->Bind(1, id).Bind(2, session).Bind(3, now);
    return QueryOne(db, *st, "no such donation", [](Stmt& s) { return DonationFromRow(s); });
  });
}

Result<Donation> SqliteFundraising::GetDonation(std::int64_t id) {
  return ReadDonation(kDonationById, [&](Stmt& st) { st.Bind(1, id); });
}

Result<Donation> SqliteFundraising::GetDonationByUuid(const std::string& uuid) {
  return ReadDonation(kDonationByUuid, [&](Stmt& st) { st.Bind(1, uuid); });
}

Result<Paged<Donation>> SqliteFundraising::ListDonations(std::int64_t fundraiser_id, Page page) {
  const Limits lim = PageLimits(page);
  auto r = store_.Reader();
  Paged<Donation> out;
  {
    auto count = r->Prepare(kCountDonations);
    if (!count) return Fail(count.error());
    count->Bind(1, fundraiser_id);
    int rc = count->Step();
    if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "counting donations"));
    out.total = count->Int(0);
  }
  auto st = r->Prepare(kListDonations);
  if (!st) return Fail(st.error());
  st->Bind(1, fundraiser_id).Bind(2, lim.limit).Bind(3, lim.offset);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    auto d = DonationFromRow(*st);
    if (!d) return Fail(d.error());
    out.items.push_back(std::move(*d));
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing donations"));
  return out;
}

Result<std::vector<NamedDonor>> SqliteFundraising::NamedDonors(std::int64_t fundraiser_id,
                                                               int limit) {
  auto r = store_.Reader();
  auto st = r->Prepare(kNamedDonors);
  if (!st) return Fail(st.error());
  st->Bind(1, fundraiser_id).Bind(2, limit);
  std::vector<NamedDonor> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.push_back(NamedDonor{st->Text(0), st->Int(1)});
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "listing donors"));
  return out;
}

Result<FundraiserTotals> SqliteFundraising::GetTotals(std::int64_t fundraiser_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kTotals);
  if (!st) return Fail(st.error());
  st->Bind(1, fundraiser_id);
  FundraiserTotals out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    std::string item = st->Text(0);
    if (item.empty()) {
      out.amount_minor = st->Int(1);
      out.donations = st->Int(2);
    } else {
      out.items[item] = ItemTotal{st->Int(1), st->Int(2)};
    }
  }
  if (rc != SQLITE_DONE) return Fail(r->ErrorFor(rc, "reading the totals"));
  return out;
}

Result<DonationChangeResult> SqliteFundraising::ApplyDonationChange(const DonationChange& c) {
  return RunWrite<DonationChangeResult>(store_, [&](WriteTx& tx) -> Result<DonationChangeResult> {
    Db& db = DbOf(tx);
    DonationChangeResult out;
    if (!c.event_id.empty()) {
      auto ev = db.Prepare(kRecordEvent);
      if (!ev) return Fail(ev.error());
      ev->Bind(1, c.event_id).Bind(2, c.event_type).Bind(3, c.now);
      if (auto r = StepDone(db, *ev, "recording the event"); !r) return Fail(r.error());
      if (db.Changes() == 0) {
        out.duplicate = true;
        return out;
      }
    }
    auto found = FindDonation(db, c);
    if (!found) return Fail(found.error());
    if (!*found) return out;
    const Donation before = std::move(**found);
    bool allowed = false;
    for (DonationStatus s : c.from) allowed = allowed || s == before.status;
    const DonationStatus to = allowed ? c.to : before.status;
    auto st = db.Prepare(kChangeDonation);
    if (!st) return Fail(st.error());
    st->Bind(1, before.id).Bind(2, DonationStatusName(to)).Bind(3, c.payment_intent);
    st->Bind(4, c.checkout_session).Bind(5, c.subscription).Bind(6, c.now);
    auto after = QueryOne(db, *st, "no such donation", [](Stmt& s) { return DonationFromRow(s); });
    if (!after) return Fail(after.error());
    st->Reset();
    out.changed = to != before.status;
    if (out.changed && before.status == DonationStatus::kSucceeded) {
      if (auto m = MoveTotals(db, before, -1); !m) return Fail(m.error());
    }
    if (out.changed && to == DonationStatus::kSucceeded) {
      if (auto m = MoveTotals(db, before, +1); !m) return Fail(m.error());
    }
    out.donation = std::move(*after);
    return out;
  });
}

}  // namespace undersigned::store
