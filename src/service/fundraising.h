// Fundraisers and donations (issue 14, parts 1 and 2): the organizers' use cases (create, edit,
// open, close a fundraiser; record an offline gift; read and export its donations), the
// public's (read a fundraiser with its exact totals; start a donation through the payment
// provider's hosted Checkout), and the provider's (apply a verified webhook event).
//
// Rules:
//  - Who: a fundraiser of a campaign is managed by that campaign's organizers with the edit
//    role (core/roles.h: owner, editor); reading its donations needs export; a fundraiser that
//    stands alone is the instance administrators' (and the CLI operator's). Every change is in
//    the action record.
//  - Money is int64 minor units (core/money.h). A fundraiser has a currency; every donation to
//    it is in that currency.
//  - A donation starts pending, with a Checkout Session made through the PaymentProvider (mode
//    payment, or subscription for a monthly gift, which the fundraiser must allow) under the
//    Idempotency-Key undersigned:donation-checkout:<donation id>; our ids travel in the
//    session's metadata (fundraiser_id, donation_id). Without payments (App::payments() null)
//    starting one is kUnavailable saying so, and offline gifts still work.
//  - Fulfilment only from verified webhook events, never from the donor's redirect:
//    checkout.session.completed (paid) and checkout.session.async_payment_succeeded and
//    payment_intent.succeeded move a pending donation to succeeded; charge.refunded (the whole
//    charge) to refunded; charge.dispute.created to disputed; the totals follow in the same
//    transaction (store/fundraising_store.h). An event id already handled is a no-op; other
//    event types are acknowledged and ignored. A partial refund is not reflected (the gift
//    still counts in full): see docs/fundraising.md.
//  - Every change of a fundraiser's totals is handed to the listener (the live path: the app
//    publishes it on the event hub, and the page updates within a second).
//
// Thread-safety: every method may be called from any thread; SetListener before serving.
// Holds references to the store, the account service and the clock, and the provider pointer
// (may be null), which must outlive it.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "payments/provider.h"
#include "payments/webhook.h"
#include "service/accounts.h"
#include "store/store.h"

namespace undersigned::service {

inline constexpr std::size_t kMaxFundraiserTitleBytes = 200;
inline constexpr std::size_t kMaxFundraiserStoryBytes = 50'000;
inline constexpr std::size_t kMaxLineItems = 20;
inline constexpr std::size_t kMaxSuggestedAmounts = 8;
inline constexpr std::size_t kMaxDonorNameBytes = 200;

// What an organizer gives to create or edit a fundraiser (status is changed by SetStatus).
struct FundraiserInput {
  std::string campaign_slug;  // create only; "": the fundraiser stands alone
  std::string slug;
  std::string title;
  std::string story_markdown;
  std::int64_t goal_minor = 0;
  std::string currency = "USD";
  std::vector<std::int64_t> suggested_minor;
  bool monthly_allowed = false;
  std::vector<LineItem> line_items;
};

// An offline gift (cash, cheque...) recorded by an organizer or through the API.
struct OfflineGift {
  std::int64_t amount_minor = 0;
  std::string line_item;
  std::string donor_name;
  std::string donor_email;
  bool named = false;
  std::string payment_method = "cash";  // cash, check, transfer, other...
  std::string reference_number;
};

// A donor's gift from the public page, before Checkout.
struct DonationRequest {
  std::string fundraiser_slug;
  std::int64_t amount_minor = 0;
  std::string line_item;
  bool monthly = false;
  std::string donor_name;
  std::string donor_email;
  bool named = false;
  std::string success_url;  // with {CHECKOUT_SESSION_ID} kept for the provider
  std::string cancel_url;
};

struct StartedDonation {
  Donation donation;
  std::string checkout_url;  // where to send the donor
};

// What a public page shows.
struct FundraiserView {
  Fundraiser fundraiser;
  FundraiserTotals totals;
  std::vector<NamedDonor> donors;  // the newest who chose to be named
  std::optional<Campaign> campaign;
};

// What became of a webhook event.
enum class WebhookOutcome {
  kApplied,    // a donation moved
  kUnchanged,  // about a donation of ours, which it did not move (already there)
  kDuplicate,  // its id was handled before
  kNotOurs,    // no donation of ours: recorded, nothing else
  kIgnored,    // a type we do not handle: acknowledged
};
const char* WebhookOutcomeName(WebhookOutcome o);

// "once" or "monthly"; the slug rule for fundraisers and line item keys: [a-z0-9-], 1-64.
bool IsFundraiserSlug(std::string_view s);

// A line item as organizers write it, KEY=TITLE=GOAL ("bus-ad=One bus-side ad=4200.00"; the
// title may hold '='), its goal in currency. kInvalidArgument saying how to write it. The key
// and title are checked by Create and Edit.
Result<LineItem> ParseLineItem(std::string_view spec, std::string_view currency);
// Amounts separated by spaces or commas ("10 25 50.00"); none for "". kInvalidArgument naming
// field for one that is not an amount (core/money.h ParseAmount).
Result<std::vector<std::int64_t>> ParseAmountList(std::string_view text, std::string_view currency,
                                                  std::string_view field);

class FundraisingService {
 public:
  using Listener = std::function<void(const Fundraiser&, const FundraiserTotals&)>;

  FundraisingService(Store& store, AccountService& accounts, const Clock& clock,
                     payments::PaymentProvider* payments)
      : store_(store), accounts_(accounts), clock_(clock), payments_(payments) {}

  void SetListener(Listener l) { listener_ = std::move(l); }
  bool payments_on() const { return payments_ != nullptr; }

  // --- organizers
  Result<Fundraiser> Create(const Actor& by, const FundraiserInput& in);
  Result<Fundraiser> Edit(const Actor& by, std::int64_t id, const FundraiserInput& in);
  // draft -> open -> closed (and closed -> open again). kInvalidArgument for draft again.
  Result<Fundraiser> SetStatus(const Actor& by, std::int64_t id, FundraiserStatus status);
  // A fundraiser the actor may edit (kNotFound as for campaigns otherwise).
  Result<Fundraiser> GetForEdit(const Actor& by, std::int64_t id);
  // Its totals now, for an actor who may edit it.
  Result<FundraiserTotals> Totals(const Actor& by, std::int64_t id);
  Result<std::vector<Fundraiser>> ListForCampaign(const Actor& by, std::int64_t campaign_id);
  Result<Donation> RecordOffline(const Actor& by, std::int64_t fundraiser_id,
                                 const OfflineGift& gift);
  Result<Paged<Donation>> Donations(const Actor& by, std::int64_t fundraiser_id, Page page);
  // Every donation as CSV for the treasurer (header first, amounts as "25.00").
  Result<std::string> DonationsCsv(const Actor& by, std::int64_t fundraiser_id);

  // --- the public
  // An open or closed fundraiser by slug (a draft: kNotFound).
  Result<FundraiserView> View(const std::string& slug, int donors = 20);
  // The campaign's first open fundraiser, if any, with its totals (no donors, no campaign):
  // what the campaign page shows.
  Result<std::optional<FundraiserView>> ForCampaign(std::int64_t campaign_id);
  Result<StartedDonation> StartDonation(const DonationRequest& req);

  // --- the payment provider
  Result<WebhookOutcome> ApplyWebhook(const payments::WebhookEvent& event);

  // The fundraiser's totals changed (a gift recorded elsewhere): tells the listener.
  void Announce(std::int64_t fundraiser_id);

 private:
  // Authorizes action on f (its campaign's role, or administrators for one that stands alone).
  Result<void> Authorize(const Actor& by, const Fundraiser& f, CampaignAction action);
  Result<Fundraiser> Authorized(const Actor& by, std::int64_t id, CampaignAction action);
  Result<void> Validate(const FundraiserInput& in) const;

  Store& store_;
  AccountService& accounts_;
  const Clock& clock_;
  payments::PaymentProvider* payments_;
  Listener listener_;
};

}  // namespace undersigned::service
