// PgFundraising (fundraising.h): fundraisers, donations, totals and payment events on
// PostgreSQL, and their SQL.
#include "store/postgres/fundraising.h"

#include <string>
#include <utility>
#include <vector>

#include "store/postgres/rows.h"
#include "store/random.h"

namespace undersigned::store::pg {
namespace {

#define US_PG_FUNDRAISER_COLS                                                       \
  "id, uuid, campaign_id, slug, title, story_markdown, goal, currency, suggested, " \
  "monthly_allowed, line_items, status, created, modified"
#define US_PG_DONATION_COLS                                                                    \
  "id, uuid, fundraiser_id, amount, currency, line_item, donor_name, donor_email, named, "     \
  "source, payment_method, reference_number, checkout_session, payment_intent, subscription, " \
  "status, monthly, recorded_by, created, modified"

constexpr const char* kInsertFundraiser =
    "INSERT INTO fundraisers (uuid, campaign_id, slug, title, story_markdown, goal, currency, "
    "suggested, monthly_allowed, line_items, status, created, modified) VALUES ($1, $2, $3, $4, "
    "$5, $6, $7, $8, $9, $10, $11, $12, $12) RETURNING " US_PG_FUNDRAISER_COLS;
constexpr const char* kUpdateFundraiser =
    "UPDATE fundraisers SET slug = $2, title = $3, story_markdown = $4, goal = $5, currency = "
    "$6, suggested = $7, monthly_allowed = $8, line_items = $9, status = $10, modified = $11 "
    "WHERE id = $1 RETURNING " US_PG_FUNDRAISER_COLS;
constexpr const char* kFundraiserById =
    "SELECT " US_PG_FUNDRAISER_COLS " FROM fundraisers WHERE id = $1";
constexpr const char* kFundraiserBySlug =
    "SELECT " US_PG_FUNDRAISER_COLS " FROM fundraisers WHERE slug = $1";
constexpr const char* kFundraiserByUuid =
    "SELECT " US_PG_FUNDRAISER_COLS " FROM fundraisers WHERE uuid = $1";
constexpr const char* kListFundraisers =
    "SELECT " US_PG_FUNDRAISER_COLS
    " FROM fundraisers WHERE $1::bigint IS NULL OR campaign_id = "
    "$1::bigint ORDER BY id";

constexpr const char* kInsertDonation =
    "INSERT INTO donations (uuid, fundraiser_id, amount, currency, line_item, donor_name, "
    "donor_email, named, source, payment_method, reference_number, checkout_session, "
    "payment_intent, subscription, status, monthly, recorded_by, created, modified) VALUES ($1, "
    "$2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18) "
    "RETURNING " US_PG_DONATION_COLS;
constexpr const char* kSetSession =
    "UPDATE donations SET checkout_session = $2, modified = $3 WHERE id = $1 "
    "RETURNING " US_PG_DONATION_COLS;
constexpr const char* kDonationById = "SELECT " US_PG_DONATION_COLS " FROM donations WHERE id = $1";
constexpr const char* kDonationByUuid =
    "SELECT " US_PG_DONATION_COLS " FROM donations WHERE uuid = $1";
constexpr const char* kLockDonationById =
    "SELECT " US_PG_DONATION_COLS " FROM donations WHERE id = $1 FOR UPDATE";
constexpr const char* kLockDonationByIntent =
    "SELECT " US_PG_DONATION_COLS
    " FROM donations WHERE payment_intent = $1 AND $1 <> '' "
    "ORDER BY id LIMIT 1 FOR UPDATE";
constexpr const char* kLockDonationBySession =
    "SELECT " US_PG_DONATION_COLS
    " FROM donations WHERE checkout_session = $1 AND $1 <> '' "
    "ORDER BY id LIMIT 1 FOR UPDATE";
constexpr const char* kListDonations = "SELECT " US_PG_DONATION_COLS
                                       ", count(*) OVER () FROM donations WHERE fundraiser_id = $1 "
                                       "ORDER BY id LIMIT $2 OFFSET $3";
constexpr const char* kCountDonations = "SELECT count(*) FROM donations WHERE fundraiser_id = $1";
constexpr const char* kNamedDonors =
    "SELECT donor_name, created FROM donations WHERE fundraiser_id = $1 AND status = "
    "'succeeded' AND named AND donor_name <> '' ORDER BY id DESC LIMIT $2";
constexpr const char* kTotals =
    "SELECT line_item, amount, donations FROM fundraiser_totals WHERE fundraiser_id = $1";
constexpr const char* kAddTotal =
    "INSERT INTO fundraiser_totals (fundraiser_id, line_item, amount, donations) VALUES ($1, $2, "
    "$3, $4) ON CONFLICT (fundraiser_id, line_item) DO UPDATE SET amount = "
    "fundraiser_totals.amount + excluded.amount, donations = fundraiser_totals.donations + "
    "excluded.donations";
constexpr const char* kRecordEvent =
    "INSERT INTO processed_webhook_events (event_id, type, received) VALUES ($1, $2, $3) "
    "ON CONFLICT DO NOTHING RETURNING 1";
constexpr const char* kChangeDonation =
    "UPDATE donations SET status = $2, payment_intent = CASE WHEN payment_intent = '' THEN $3 "
    "ELSE payment_intent END, checkout_session = CASE WHEN checkout_session = '' THEN $4 ELSE "
    "checkout_session END, subscription = CASE WHEN subscription = '' THEN $5 ELSE subscription "
    "END, modified = $6 WHERE id = $1 RETURNING " US_PG_DONATION_COLS;

Result<Fundraiser> FundraiserFrom(const PgResult& r, int row) {
  Fundraiser f;
  f.id = r.Int(row, 0);
  f.uuid = r.Text(row, 1);
  f.campaign_id = r.OptInt(row, 2);
  f.slug = r.Text(row, 3);
  f.title = r.Text(row, 4);
  f.story_markdown = r.Text(row, 5);
  f.goal_minor = r.Int(row, 6);
  f.currency = r.Text(row, 7);
  f.suggested_minor = ParseAmounts(r.View(row, 8));
  f.monthly_allowed = r.Bool(row, 9);
  f.line_items = ParseLineItems(r.View(row, 10));
  auto status = ParseFundraiserStatus(r.View(row, 11));
  if (!status) return Fail(Code::kInternal, "a fundraiser has an unknown status");
  f.status = *status;
  f.created = r.Int(row, 12);
  f.modified = r.Int(row, 13);
  return f;
}

Result<Donation> DonationFrom(const PgResult& r, int row) {
  Donation d;
  d.id = r.Int(row, 0);
  d.uuid = r.Text(row, 1);
  d.fundraiser_id = r.Int(row, 2);
  d.amount_minor = r.Int(row, 3);
  d.currency = r.Text(row, 4);
  d.line_item = r.Text(row, 5);
  d.donor_name = r.Text(row, 6);
  d.donor_email = r.Text(row, 7);
  d.named = r.Bool(row, 8);
  auto source = ParseDonationSource(r.View(row, 9));
  auto status = ParseDonationStatus(r.View(row, 15));
  if (!source || !status) return Fail(Code::kInternal, "a donation has an unknown state");
  d.source = *source;
  d.payment_method = r.Text(row, 10);
  d.reference_number = r.Text(row, 11);
  d.checkout_session = r.Text(row, 12);
  d.payment_intent = r.Text(row, 13);
  d.subscription = r.Text(row, 14);
  d.status = *status;
  d.monthly = r.Bool(row, 16);
  d.recorded_by = r.OptInt(row, 17);
  d.created = r.Int(row, 18);
  d.modified = r.Int(row, 19);
  return d;
}

// Adds sign * d to its fundraiser's totals (the whole, and its line item if any).
Result<void> MoveTotals(PgConn& conn, const Donation& d, int sign) {
  std::vector<std::string> items{""};
  if (!d.line_item.empty()) items.push_back(d.line_item);
  for (const std::string& item : items) {
    auto r = conn.Run(
        kAddTotal, PgParams().Int(d.fundraiser_id).Text(item).Int(sign * d.amount_minor).Int(sign),
        "moving the totals");
    if (!r) return Fail(r.error());
  }
  return {};
}

// The donation c names (by id, else payment intent, else checkout session), locked, if any.
Result<std::optional<Donation>> LockDonation(PgConn& conn, const DonationChange& c) {
  auto one = [&conn](const char* sql, const PgParams& p) -> Result<std::optional<Donation>> {
    auto r = conn.Run(sql, p, "reading the donation");
    if (!r) return Fail(r.error());
    if (r->rows() == 0) return std::optional<Donation>();
    auto d = DonationFrom(*r, 0);
    if (!d) return Fail(d.error());
    return std::optional<Donation>(std::move(*d));
  };
  if (c.donation_id) return one(kLockDonationById, PgParams().Int(*c.donation_id));
  if (!c.payment_intent.empty()) {
    auto d = one(kLockDonationByIntent, PgParams().Text(c.payment_intent));
    if (!d || *d) return d;
  }
  return one(kLockDonationBySession, PgParams().Text(c.checkout_session));
}

}  // namespace

Result<PgResult> PgFundraising::Run(const char* sql, const PgParams& params, std::string_view what,
                                    bool write) {
  if (write) {
    if (auto w = writable_(); !w) return Fail(w.error());
  }
  Result<PgResult> out = Fail(Code::kInternal, "not run");
  with_conn_([&](PgConn& conn) { out = conn.Run(sql, params, what); });
  return out;
}

template <typename T, typename F>
Result<T> PgFundraising::InTransaction(F&& fn) {
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

Result<Fundraiser> PgFundraising::OneFundraiser(const char* sql, const PgParams& params,
                                                bool write) {
  auto r = Run(sql, params, write ? "writing the fundraiser" : "reading the fundraiser", write);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such fundraiser");
  return FundraiserFrom(*r, 0);
}

Result<Donation> PgFundraising::OneDonation(const char* sql, const PgParams& params, bool write) {
  auto r = Run(sql, params, write ? "writing the donation" : "reading the donation", write);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such donation");
  return DonationFrom(*r, 0);
}

// --- fundraisers

Result<Fundraiser> PgFundraising::CreateFundraiser(const Fundraiser& f) {
  PgParams p;
  p.Text(NewUuid()).Int(f.campaign_id).Text(f.slug).Text(f.title).Text(f.story_markdown);
  p.Int(f.goal_minor).Text(f.currency).Text(AmountsJson(f.suggested_minor));
  p.Bool(f.monthly_allowed).Text(LineItemsJson(f.line_items));
  p.Text(FundraiserStatusName(f.status)).Int(f.created);
  return OneFundraiser(kInsertFundraiser, p, true);
}

Result<Fundraiser> PgFundraising::UpdateFundraiser(const Fundraiser& f) {
  PgParams p;
  p.Int(f.id).Text(f.slug).Text(f.title).Text(f.story_markdown).Int(f.goal_minor);
  p.Text(f.currency).Text(AmountsJson(f.suggested_minor)).Bool(f.monthly_allowed);
  p.Text(LineItemsJson(f.line_items)).Text(FundraiserStatusName(f.status)).Int(f.modified);
  return OneFundraiser(kUpdateFundraiser, p, true);
}

Result<Fundraiser> PgFundraising::GetFundraiser(std::int64_t id) {
  return OneFundraiser(kFundraiserById, PgParams().Int(id), false);
}

Result<Fundraiser> PgFundraising::GetFundraiserBySlug(const std::string& slug) {
  return OneFundraiser(kFundraiserBySlug, PgParams().Text(slug), false);
}

Result<Fundraiser> PgFundraising::GetFundraiserByUuid(const std::string& uuid) {
  return OneFundraiser(kFundraiserByUuid, PgParams().Text(uuid), false);
}

Result<std::vector<Fundraiser>> PgFundraising::ListFundraisers(
    std::optional<std::int64_t> campaign_id) {
  auto r = Run(kListFundraisers, PgParams().Int(campaign_id), "listing fundraisers", false);
  if (!r) return Fail(r.error());
  std::vector<Fundraiser> out;
  for (int i = 0; i < r->rows(); ++i) {
    auto f = FundraiserFrom(*r, i);
    if (!f) return Fail(f.error());
    out.push_back(std::move(*f));
  }
  return out;
}

// --- donations

Result<Donation> PgFundraising::CreateDonation(const Donation& d) {
  PgParams p;
  p.Text(NewUuid()).Int(d.fundraiser_id).Int(d.amount_minor).Text(d.currency).Text(d.line_item);
  p.Text(d.donor_name).Text(d.donor_email).Bool(d.named).Text(DonationSourceName(d.source));
  p.Text(d.payment_method).Text(d.reference_number).Text(d.checkout_session);
  p.Text(d.payment_intent).Text(d.subscription).Text(DonationStatusName(d.status));
  p.Bool(d.monthly).Int(d.recorded_by).Int(d.created);
  return InTransaction<Donation>([&](PgConn& conn) -> Result<Donation> {
    auto r = conn.Run(kInsertDonation, p, "recording the donation");
    if (!r) return Fail(r.error());
    auto out = DonationFrom(*r, 0);
    if (!out) return out;
    if (out->status == DonationStatus::kSucceeded) {
      if (auto m = MoveTotals(conn, *out, +1); !m) return Fail(m.error());
    }
    return out;
  });
}

Result<Donation> PgFundraising::SetCheckoutSession(std::int64_t id, const std::string& session,
                                                   UnixTime now) {
  return OneDonation(kSetSession, PgParams().Int(id).Text(session).Int(now), true);
}

Result<Donation> PgFundraising::GetDonation(std::int64_t id) {
  return OneDonation(kDonationById, PgParams().Int(id), false);
}

Result<Donation> PgFundraising::GetDonationByUuid(const std::string& uuid) {
  return OneDonation(kDonationByUuid, PgParams().Text(uuid), false);
}

Result<Paged<Donation>> PgFundraising::ListDonations(std::int64_t fundraiser_id, Page page) {
  const Limits lim = PageLimits(page);
  auto r = Run(kListDonations, PgParams().Int(fundraiser_id).Int(lim.limit).Int(lim.offset),
               "listing donations", false);
  if (!r) return Fail(r.error());
  Paged<Donation> out;
  for (int i = 0; i < r->rows(); ++i) {
    auto d = DonationFrom(*r, i);
    if (!d) return Fail(d.error());
    out.items.push_back(std::move(*d));
    out.total = r->Int(i, 20);
  }
  if (r->rows() == 0) {
    auto c = Run(kCountDonations, PgParams().Int(fundraiser_id), "counting donations", false);
    if (!c) return Fail(c.error());
    out.total = c->Int(0, 0);
  }
  return out;
}

Result<std::vector<NamedDonor>> PgFundraising::NamedDonors(std::int64_t fundraiser_id, int limit) {
  auto r = Run(kNamedDonors, PgParams().Int(fundraiser_id).Int(limit), "listing donors", false);
  if (!r) return Fail(r.error());
  std::vector<NamedDonor> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(NamedDonor{r->Text(i, 0), r->Int(i, 1)});
  return out;
}

Result<FundraiserTotals> PgFundraising::GetTotals(std::int64_t fundraiser_id) {
  auto r = Run(kTotals, PgParams().Int(fundraiser_id), "reading the totals", false);
  if (!r) return Fail(r.error());
  FundraiserTotals out;
  for (int i = 0; i < r->rows(); ++i) {
    std::string item = r->Text(i, 0);
    if (item.empty()) {
      out.amount_minor = r->Int(i, 1);
      out.donations = r->Int(i, 2);
    } else {
      out.items[item] = ItemTotal{r->Int(i, 1), r->Int(i, 2)};
    }
  }
  return out;
}

Result<DonationChangeResult> PgFundraising::ApplyDonationChange(const DonationChange& c) {
  return InTransaction<DonationChangeResult>([&](PgConn& conn) -> Result<DonationChangeResult> {
    DonationChangeResult out;
    if (!c.event_id.empty()) {
      auto ev = conn.Run(kRecordEvent, PgParams().Text(c.event_id).Text(c.event_type).Int(c.now),
                         "recording the event");
      if (!ev) return Fail(ev.error());
      if (ev->rows() == 0) {
        out.duplicate = true;
        return out;
      }
    }
    auto found = LockDonation(conn, c);
    if (!found) return Fail(found.error());
    if (!*found) return out;
    const Donation before = std::move(**found);
    bool allowed = false;
    for (DonationStatus s : c.from) allowed = allowed || s == before.status;
    const DonationStatus to = allowed ? c.to : before.status;
    PgParams p;
    p.Int(before.id).Text(DonationStatusName(to)).Text(c.payment_intent);
    p.Text(c.checkout_session).Text(c.subscription).Int(c.now);
    auto after = conn.Run(kChangeDonation, p, "changing the donation");
    if (!after) return Fail(after.error());
    if (after->rows() == 0) return Fail(Code::kInternal, "the donation vanished");
    auto d = DonationFrom(*after, 0);
    if (!d) return Fail(d.error());
    out.changed = to != before.status;
    if (out.changed && before.status == DonationStatus::kSucceeded) {
      if (auto m = MoveTotals(conn, before, -1); !m) return Fail(m.error());
    }
    if (out.changed && to == DonationStatus::kSucceeded) {
      if (auto m = MoveTotals(conn, before, +1); !m) return Fail(m.error());
    }
    out.donation = std::move(*d);
    return out;
  });
}

}  // namespace undersigned::store::pg
