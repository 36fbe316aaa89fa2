// FundraisingService (fundraising.h): fundraisers, donations and payment events.
#include "service/fundraising.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <set>
#include <string>
#include <utility>

#include "core/money.h"
#include "core/signature.h"
#include "core/utf8.h"
#include "service/csv.h"
#include "service/provider_objects.h"

namespace undersigned::service {
namespace {

Error Invalid(const std::string& field, const std::string& what) {
  Error e{Code::kInvalidArgument, field + ": " + what, {}, 0};
  e.field_errors[field] = what;
  return e;
}

}  // namespace

const char* WebhookOutcomeName(WebhookOutcome o) {
  switch (o) {
    case WebhookOutcome::kApplied:
      return "applied";
    case WebhookOutcome::kUnchanged:
      return "unchanged";
    case WebhookOutcome::kDuplicate:
      return "duplicate";
    case WebhookOutcome::kNotOurs:
      return "not ours";
    case WebhookOutcome::kIgnored:
      return "ignored";
  }
  return "?";
}

bool IsFundraiserSlug(std::string_view s) {
  return !s.empty() && s.size() <= 64 && s.front() != '-' &&
         std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
         });
}

// --- organizers

Result<void> FundraisingService::Authorize(const Actor& by, const Fundraiser& f,
                                           CampaignAction action) {
  if (f.campaign_id) return accounts_.Authorize(by, *f.campaign_id, action);
  if (by.admin) return {};
  return Fail(Code::kNotFound, "no such fundraiser");
}

Result<Fundraiser> FundraisingService::Authorized(const Actor& by, std::int64_t id,
                                                  CampaignAction action) {
  auto f = store_.fundraising().GetFundraiser(id);
  if (!f) return Fail(f.error());
  if (auto r = Authorize(by, *f, action); !r) return Fail(r.error());
  return f;
}

Result<Fundraiser> FundraisingService::GetForEdit(const Actor& by, std::int64_t id) {
  return Authorized(by, id, CampaignAction::kEdit);
}

Result<FundraiserTotals> FundraisingService::Totals(const Actor& by, std::int64_t id) {
  auto f = Authorized(by, id, CampaignAction::kEdit);
  if (!f) return Fail(f.error());
  return store_.fundraising().GetTotals(id);
}

Result<LineItem> ParseLineItem(std::string_view spec, std::string_view currency) {
  const auto first = spec.find('='), last = spec.rfind('=');
  if (first == std::string_view::npos || first == last) {
    return Fail(Invalid("line_items", "write KEY=TITLE=GOAL, e.g. bus-ad=One bus ad=4200.00"));
  }
  auto goal = ParseAmount(Trim(spec.substr(last + 1)), currency, "the item's goal");
  if (!goal) return Fail(Invalid("line_items", goal.error().message));
  return LineItem{Trim(spec.substr(0, first)), Trim(spec.substr(first + 1, last - first - 1)),
                  *goal};
}

Result<std::vector<std::int64_t>> ParseAmountList(std::string_view text, std::string_view currency,
                                                  std::string_view field) {
  std::vector<std::int64_t> out;
  std::size_t at = 0;
  while (at < text.size()) {
    const std::size_t end = text.find_first_of(" ,\t\r\n", at);
    const std::string_view word = text.substr(at, end == std::string_view::npos ? end : end - at);
    if (!word.empty()) {
      auto a = ParseAmount(word, currency, field);
      if (!a) return Fail(a.error());
      out.push_back(*a);
    }
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return out;
}

Result<void> FundraisingService::Validate(const FundraiserInput& in) const {
  if (!IsFundraiserSlug(in.slug)) {
    return Fail(Invalid("slug", "use 1 to 64 lower-case letters, digits and dashes"));
  }
  const std::string title = Trim(in.title);
  if (title.empty()) return Fail(Invalid("title", "give the fundraiser a title"));
  if (title.size() > kMaxFundraiserTitleBytes) {
    return Fail(Invalid("title", "keep the title under 200 characters"));
  }
  if (!IsValidUtf8(in.title) || !IsValidUtf8(in.story_markdown)) {
    return Fail(Invalid("story", "the text is not valid UTF-8"));
  }
  if (in.story_markdown.size() > kMaxFundraiserStoryBytes) {
    return Fail(Invalid("story", "keep the story under 50,000 characters"));
  }
  if (!IsCurrencyCode(in.currency)) {
    return Fail(Invalid("currency", "give an ISO 4217 code in capitals, such as USD or EUR"));
  }
  if (in.goal_minor <= 0 || in.goal_minor > kMaxAmountMinor) {
    return Fail(Invalid("goal", "give a goal above zero"));
  }
  if (in.suggested_minor.size() > kMaxSuggestedAmounts) {
    return Fail(Invalid("suggested", "give at most 8 suggested amounts"));
  }
  for (std::int64_t a : in.suggested_minor) {
    if (a <= 0 || a > kMaxAmountMinor) {
      return Fail(Invalid("suggested", "every suggested amount must be above zero"));
    }
  }
  if (in.line_items.size() > kMaxLineItems) {
    return Fail(Invalid("line_items", "give at most 20 line items"));
  }
  std::set<std::string> keys;
  for (const LineItem& i : in.line_items) {
    if (!IsFundraiserSlug(i.key)) {
      return Fail(Invalid("line_items", "each item's key is lower-case letters, digits, dashes"));
    }
    if (!keys.insert(i.key).second) {
      return Fail(Invalid("line_items", "the key \"" + i.key + "\" is used twice"));
    }
    if (Trim(i.title).empty() || i.title.size() > kMaxFundraiserTitleBytes ||
        !IsValidUtf8(i.title)) {
      return Fail(Invalid("line_items", "each item needs a title under 200 characters"));
    }
    if (i.goal_minor <= 0 || i.goal_minor > kMaxAmountMinor) {
      return Fail(Invalid("line_items", "each item's goal must be above zero"));
    }
  }
  return {};
}

Result<Fundraiser> FundraisingService::Create(const Actor& by, const FundraiserInput& in) {
  if (auto v = Validate(in); !v) return Fail(v.error());
  Fundraiser f;
  if (!in.campaign_slug.empty()) {
    auto c = store_.GetCampaignBySlug(in.campaign_slug);
    if (!c) return Fail(c.error());
    if (auto r = accounts_.Authorize(by, c->id, CampaignAction::kEdit); !r) return Fail(r.error());
    f.campaign_id = c->id;
  } else if (!by.admin) {
    return Fail(Code::kForbidden, "only administrators make fundraisers that stand alone");
  }
  f.slug = in.slug;
  f.title = Trim(in.title);
  f.story_markdown = in.story_markdown;
  f.goal_minor = in.goal_minor;
  f.currency = in.currency;
  f.suggested_minor = in.suggested_minor;
  f.monthly_allowed = in.monthly_allowed;
  f.line_items = in.line_items;
  f.status = FundraiserStatus::kDraft;
  f.created = f.modified = clock_.Now();
  auto made = store_.fundraising().CreateFundraiser(f);
  if (!made) {
    if (made.error().code == Code::kConflict) {
      return Fail(Invalid("slug", "another fundraiser has the address \"" + in.slug + "\""));
    }
    return Fail(made.error());
  }
  if (auto r = accounts_.Record(by, made->campaign_id, "fundraiser.create", made->slug,
                                {{"title", made->title}, {"goal", made->goal_minor}});
      !r) {
    return Fail(r.error());
  }
  return made;
}

Result<Fundraiser> FundraisingService::Edit(const Actor& by, std::int64_t id,
                                            const FundraiserInput& in) {
  auto f = Authorized(by, id, CampaignAction::kEdit);
  if (!f) return Fail(f.error());
  if (auto v = Validate(in); !v) return Fail(v.error());
  if (in.currency != f->currency) {
    auto t = store_.fundraising().GetTotals(id);
    if (!t) return Fail(t.error());
    auto any = store_.fundraising().ListDonations(id, Page{1, 1});
    if (!any) return Fail(any.error());
    if (any->total > 0) {
      return Fail(
          Invalid("currency", "the fundraiser has donations: its currency stays " + f->currency));
    }
  }
  Fundraiser e = *f;
  e.slug = in.slug;
  e.title = Trim(in.title);
  e.story_markdown = in.story_markdown;
  e.goal_minor = in.goal_minor;
  e.currency = in.currency;
  e.suggested_minor = in.suggested_minor;
  e.monthly_allowed = in.monthly_allowed;
  e.line_items = in.line_items;
  e.modified = clock_.Now();
  auto edited = store_.fundraising().UpdateFundraiser(e);
  if (!edited) {
    if (edited.error().code == Code::kConflict) {
      return Fail(Invalid("slug", "another fundraiser has the address \"" + in.slug + "\""));
    }
    return Fail(edited.error());
  }
  if (auto r = accounts_.Record(by, e.campaign_id, "fundraiser.edit", e.slug); !r) {
    return Fail(r.error());
  }
  Announce(id);
  return edited;
}

Result<Fundraiser> FundraisingService::SetStatus(const Actor& by, std::int64_t id,
                                                 FundraiserStatus status) {
  auto f = Authorized(by, id, CampaignAction::kEdit);
  if (!f) return Fail(f.error());
  if (status == FundraiserStatus::kDraft && f->status != FundraiserStatus::kDraft) {
    return Fail(Invalid("status", "a fundraiser that was opened cannot be a draft again"));
  }
  Fundraiser e = *f;
  e.status = status;
  e.modified = clock_.Now();
  auto changed = store_.fundraising().UpdateFundraiser(e);
  if (!changed) return Fail(changed.error());
  if (auto r = accounts_.Record(by, e.campaign_id,
                                std::string("fundraiser.") + FundraiserStatusName(status), e.slug);
      !r) {
    return Fail(r.error());
  }
  Announce(id);
  return changed;
}

Result<std::vector<Fundraiser>> FundraisingService::ListForCampaign(const Actor& by,
                                                                    std::int64_t campaign_id) {
  if (auto r = accounts_.Authorize(by, campaign_id, CampaignAction::kView); !r) {
    return Fail(r.error());
  }
  return store_.fundraising().ListFundraisers(campaign_id);
}

Result<Donation> FundraisingService::RecordOffline(const Actor& by, std::int64_t fundraiser_id,
                                                   const OfflineGift& gift) {
  auto f = Authorized(by, fundraiser_id, CampaignAction::kEdit);
  if (!f) return Fail(f.error());
  if (gift.amount_minor <= 0 || gift.amount_minor > kMaxAmountMinor) {
    return Fail(Invalid("amount", "give an amount above zero"));
  }
  if (!gift.line_item.empty() &&
      std::none_of(f->line_items.begin(), f->line_items.end(),
                   [&](const LineItem& i) { return i.key == gift.line_item; })) {
    return Fail(Invalid("line_item", "the fundraiser has no item \"" + gift.line_item + "\""));
  }
  const std::string name = Trim(gift.donor_name);
  if (name.size() > kMaxDonorNameBytes || !IsValidUtf8(name)) {
    return Fail(Invalid("donor_name", "keep the name under 200 characters"));
  }
  if (gift.named && name.empty()) {
    return Fail(Invalid("donor_name", "a donor who is named needs a name"));
  }
  if (!gift.donor_email.empty() && !ValidEmail(gift.donor_email)) {
    return Fail(Invalid("donor_email", "give a valid email address or none"));
  }
  const std::string method = Trim(gift.payment_method);
  if (method.empty() || method.size() > 40) {
    return Fail(Invalid("payment_method", "say how it was given: cash, check, transfer..."));
  }
  if (gift.reference_number.size() > 200 || !IsValidUtf8(gift.reference_number)) {
    return Fail(Invalid("reference_number", "keep the reference under 200 characters"));
  }
  Donation d;
  d.fundraiser_id = fundraiser_id;
  d.amount_minor = gift.amount_minor;
  d.currency = f->currency;
  d.line_item = gift.line_item;
  d.donor_name = name;
  d.donor_email = gift.donor_email;
  d.named = gift.named;
  d.source = DonationSource::kOffline;
  d.payment_method = method;
  d.reference_number = gift.reference_number;
  d.status = DonationStatus::kSucceeded;
  d.recorded_by = by.user_id;
  d.created = d.modified = clock_.Now();
  auto made = store_.fundraising().CreateDonation(d);
  if (!made) return Fail(made.error());
  if (auto r = accounts_.Record(by, f->campaign_id, "donation.offline", made->uuid,
                                {{"fundraiser", f->slug},
                                 {"amount", FormatAmount(made->amount_minor, made->currency)},
                                 {"method", method}});
      !r) {
    return Fail(r.error());
  }
  Announce(fundraiser_id);
  return made;
}

Result<Paged<Donation>> FundraisingService::Donations(const Actor& by, std::int64_t fundraiser_id,
                                                      Page page) {
  auto f = Authorized(by, fundraiser_id, CampaignAction::kExport);
  if (!f) return Fail(f.error());
  return store_.fundraising().ListDonations(fundraiser_id, page);
}

Result<std::string> FundraisingService::DonationsCsv(const Actor& by, std::int64_t fundraiser_id) {
  auto f = Authorized(by, fundraiser_id, CampaignAction::kExport);
  if (!f) return Fail(f.error());
  std::string out =
      "id,created_utc,amount,currency,status,source,payment_method,reference_number,line_item,"
      "monthly,donor_name,donor_email,named,checkout_session,payment_intent,subscription\r\n";
  for (int page = 1;; ++page) {
    auto batch = store_.fundraising().ListDonations(fundraiser_id, Page{page, 500});
    if (!batch) return Fail(batch.error());
    for (const Donation& d : batch->items) {
      const std::string fields[] = {d.uuid,
                                    std::to_string(d.created),
                                    FormatAmount(d.amount_minor, d.currency),
                                    d.currency,
                                    DonationStatusName(d.status),
                                    DonationSourceName(d.source),
                                    d.payment_method,
                                    d.reference_number,
                                    d.line_item,
                                    d.monthly ? "yes" : "no",
                                    d.donor_name,
                                    d.donor_email,
                                    d.named ? "yes" : "no",
                                    d.checkout_session,
                                    d.payment_intent,
                                    d.subscription};
      bool first = true;
      for (const std::string& v : fields) {
        if (!first) out += ',';
        first = false;
        out += CsvField(v);
      }
      out += "\r\n";
    }
    if (batch->items.size() < 500) break;
  }
  (void)accounts_.Record(by, f->campaign_id, "donation.export", f->slug);
  return out;
}

// --- the public

Result<FundraiserView> FundraisingService::View(const std::string& slug, int donors) {
  auto f = store_.fundraising().GetFundraiserBySlug(slug);
  if (!f) return Fail(f.error());
  if (f->status == FundraiserStatus::kDraft) return Fail(Code::kNotFound, "no such fundraiser");
  FundraiserView v;
  auto t = store_.fundraising().GetTotals(f->id);
  if (!t) return Fail(t.error());
  auto d = store_.fundraising().NamedDonors(f->id, donors);
  if (!d) return Fail(d.error());
  if (f->campaign_id) {
    auto c = store_.GetCampaignById(*f->campaign_id);
    if (c) v.campaign = std::move(*c);
  }
  v.fundraiser = std::move(*f);
  v.totals = std::move(*t);
  v.donors = std::move(*d);
  return v;
}

Result<std::optional<FundraiserView>> FundraisingService::ForCampaign(std::int64_t campaign_id) {
  auto all = store_.fundraising().ListFundraisers(campaign_id);
  if (!all) return Fail(all.error());
  for (Fundraiser& f : *all) {
    if (f.status != FundraiserStatus::kOpen) continue;
    auto t = store_.fundraising().GetTotals(f.id);
    if (!t) return Fail(t.error());
    FundraiserView v;
    v.fundraiser = std::move(f);
    v.totals = std::move(*t);
    return std::optional<FundraiserView>(std::move(v));
  }
  return std::optional<FundraiserView>();
}

Result<StartedDonation> FundraisingService::StartDonation(const DonationRequest& req) {
  auto f = store_.fundraising().GetFundraiserBySlug(req.fundraiser_slug);
  if (!f) return Fail(f.error());
  if (f->status != FundraiserStatus::kOpen) {
    return Fail(Code::kConflict, "this fundraiser is not taking gifts");
  }
  if (payments_ == nullptr) {
    return Fail(Code::kUnavailable,
                "this site takes no card payments yet: its organizers record gifts given by "
                "cash or cheque");
  }
  if (req.amount_minor <= 0 || req.amount_minor > kMaxAmountMinor) {
    return Fail(Invalid("amount", "give an amount above zero"));
  }
  if (req.monthly && !f->monthly_allowed) {
    return Fail(Invalid("monthly", "this fundraiser takes one-time gifts only"));
  }
  if (!req.line_item.empty() &&
      std::none_of(f->line_items.begin(), f->line_items.end(),
                   [&](const LineItem& i) { return i.key == req.line_item; })) {
    return Fail(Invalid("line_item", "choose one of the fundraiser's items"));
  }
  const std::string name = Trim(req.donor_name);
  if (name.size() > kMaxDonorNameBytes || !IsValidUtf8(name)) {
    return Fail(Invalid("name", "keep your name under 200 characters"));
  }
  if (req.named && name.empty()) {
    return Fail(Invalid("name", "give the name to show, or choose not to be named"));
  }
  if (!req.donor_email.empty() && !ValidEmail(req.donor_email)) {
    return Fail(Invalid("email", "give a valid email address"));
  }
  Donation d;
  d.fundraiser_id = f->id;
  d.amount_minor = req.amount_minor;
  d.currency = f->currency;
  d.line_item = req.line_item;
  d.donor_name = name;
  d.donor_email = req.donor_email;
  d.named = req.named;
  d.source = DonationSource::kStripe;
  d.payment_method = "card";
  d.status = DonationStatus::kPending;
  d.monthly = req.monthly;
  d.created = d.modified = clock_.Now();
  auto made = store_.fundraising().CreateDonation(d);
  if (!made) return Fail(made.error());

  payments::CheckoutRequest cr;
  cr.mode = req.monthly ? payments::CheckoutMode::kSubscription : payments::CheckoutMode::kPayment;
  cr.currency = f->currency;
  for (char& c : cr.currency) c = static_cast<char>(c - 'A' + 'a');
  cr.amount_minor = req.amount_minor;
  cr.item_name = f->title.substr(0, 200);
  cr.interval = "month";
  cr.success_url = req.success_url;
  cr.cancel_url = req.cancel_url;
  cr.customer_email = req.donor_email;
  cr.metadata = {{"fundraiser_id", std::to_string(f->id)},
                 {"donation_id", std::to_string(made->id)}};
  auto key = payments::IdempotencyKey::For("donation-checkout", {std::to_string(made->id)});
  if (!key) return Fail(key.error());
  auto session = payments_->CreateCheckoutSession(cr, *key);
  if (!session) {
    spdlog::warn("fundraising: checkout for donation {} failed: {}", made->id,
                 session.error().message);
    if (session.error().code == Code::kInvalidArgument) return Fail(session.error());
    return Fail(Code::kUnavailable,
                "the payment page could not be opened just now; please try again in a minute");
  }
  auto kept = store_.fundraising().SetCheckoutSession(made->id, session->id, clock_.Now());
  if (!kept) return Fail(kept.error());
  return StartedDonation{std::move(*kept), session->url};
}

// --- the payment provider

Result<WebhookOutcome> FundraisingService::ApplyWebhook(const payments::WebhookEvent& event) {
  const nlohmann::json& o = event.object;
  if (!o.is_object()) return WebhookOutcome::kIgnored;
  DonationChange c;
  c.event_id = event.id;
  c.event_type = event.type;
  c.now = clock_.Now();
  c.donation_id = MetadataIdOf(o, "donation_id");
  const std::string& t = event.type;
  if (t == "checkout.session.completed" || t == "checkout.session.async_payment_succeeded") {
    if (TextOf(o, "mode") == "setup") return WebhookOutcome::kIgnored;  // a pledge's card
    // A delayed method (a bank debit) completes the session unpaid: the money comes later.
    if (TextOf(o, "payment_status") != "paid") return WebhookOutcome::kIgnored;
    c.checkout_session = TextOf(o, "id");
    c.payment_intent = TextOf(o, "payment_intent");
    c.subscription = TextOf(o, "subscription");
    c.from = {DonationStatus::kPending};
    c.to = DonationStatus::kSucceeded;
  } else if (t == "payment_intent.succeeded") {
    c.payment_intent = TextOf(o, "id");
    c.from = {DonationStatus::kPending};
    c.to = DonationStatus::kSucceeded;
  } else if (t == "charge.refunded") {
    // Only a charge refunded in full takes the gift back (see the header).
    if (!o.value("refunded", false)) return WebhookOutcome::kIgnored;
    c.payment_intent = TextOf(o, "payment_intent");
    c.from = {DonationStatus::kPending, DonationStatus::kSucceeded, DonationStatus::kDisputed};
    c.to = DonationStatus::kRefunded;
  } else if (t == "charge.dispute.created") {
    c.payment_intent = TextOf(o, "payment_intent");
    c.donation_id.reset();
    c.from = {DonationStatus::kPending, DonationStatus::kSucceeded};
    c.to = DonationStatus::kDisputed;
  } else {
    return WebhookOutcome::kIgnored;
  }
  if (!c.donation_id && c.payment_intent.empty() && c.checkout_session.empty()) {
    return WebhookOutcome::kIgnored;
  }
  auto r = store_.fundraising().ApplyDonationChange(c);
  if (!r) return Fail(r.error());
  if (r->duplicate) return WebhookOutcome::kDuplicate;
  if (!r->donation) return WebhookOutcome::kNotOurs;
  if (!r->changed) return WebhookOutcome::kUnchanged;
  Announce(r->donation->fundraiser_id);
  return WebhookOutcome::kApplied;
}

void FundraisingService::Announce(std::int64_t fundraiser_id) {
  if (!listener_) return;
  auto f = store_.fundraising().GetFundraiser(fundraiser_id);
  if (!f) return;
  auto t = store_.fundraising().GetTotals(fundraiser_id);
  if (!t) return;
  listener_(*f, *t);
}

}  // namespace undersigned::service
