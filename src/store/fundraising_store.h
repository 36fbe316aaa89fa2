// FundraisingStore: fundraisers, their donations, the payment provider's webhook events already
// handled, and each fundraiser's totals (issue 14, parts 1 and 2). Reached through
// Store::fundraising(); each backend implements it in a class of its own
// (store/sqlite/fundraising.h, store/postgres/fundraising.h) over the tables of SQLite
// migration 12 and PostgreSQL migration 10. The rules (who may edit, which payment event moves
// a donation where, what a page shows) are in service/fundraising.h; this keeps rows, and keeps
// the totals exact.
//
// Money is int64 minor units (cents) everywhere, never a floating-point number.
//
// Totals: fundraiser_totals holds, per fundraiser, one row for the whole fundraiser (line item
// "") and one per line item: the sum of its succeeded donations and how many there are. A
// donation that becomes succeeded adds itself, one that stops being succeeded (refunded,
// disputed) takes itself back, in the same transaction as the donation's change, so the totals
// are always exactly the sum of the succeeded donations and reading them is one row per item.
//
// Webhook events: ApplyDonationChange records the provider's event id (processed_webhook_events,
// UNIQUE) in the same transaction as the change it makes, so an event delivered again is a
// no-op (duplicate), even across restarts and nodes.
//
// Donor addresses are kept for the organizers' treasurer (console, CSV, API) and are never in
// what a public page reads (NamedDonors).
//
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "store/types.h"

namespace undersigned {

enum class FundraiserStatus { kDraft, kOpen, kClosed };
const char* FundraiserStatusName(FundraiserStatus s);  // "draft", "open", "closed"
std::optional<FundraiserStatus> ParseFundraiserStatus(std::string_view s);

enum class DonationStatus { kPending, kSucceeded, kRefunded, kDisputed };
// "pending", "succeeded", "refunded", "disputed"
const char* DonationStatusName(DonationStatus s);
std::optional<DonationStatus> ParseDonationStatus(std::string_view s);

enum class DonationSource { kStripe, kOffline };
const char* DonationSourceName(DonationSource s);  // "stripe", "offline"
std::optional<DonationSource> ParseDonationSource(std::string_view s);

// What the money buys ("one bus-side ad for two weeks"), with its own goal.
struct LineItem {
  std::string key;  // [a-z0-9-], unique in its fundraiser; donations name it
  std::string title;
  std::int64_t goal_minor = 0;
  bool operator==(const LineItem&) const = default;
};

struct Fundraiser {
  std::int64_t id = 0;                      // assigned by CreateFundraiser
  std::string uuid;                         // assigned by CreateFundraiser; the API's id
  std::optional<std::int64_t> campaign_id;  // none: it stands alone
  std::string slug;
  std::string title;
  std::string story_markdown;
  std::int64_t goal_minor = 0;
  std::string currency = "USD";  // ISO 4217, upper case
  std::vector<std::int64_t> suggested_minor;
  bool monthly_allowed = false;
  std::vector<LineItem> line_items;
  FundraiserStatus status = FundraiserStatus::kDraft;
  UnixTime created = 0;
  UnixTime modified = 0;
};

struct Donation {
  std::int64_t id = 0;  // assigned by CreateDonation
  std::string uuid;     // assigned by CreateDonation
  std::int64_t fundraiser_id = 0;
  std::int64_t amount_minor = 0;
  std::string currency;
  std::string line_item;  // a LineItem's key, or "" for the fundraiser as a whole
  std::string donor_name;
  std::string donor_email;  // never public
  bool named = false;       // the donor chose to be named on the page
  DonationSource source = DonationSource::kStripe;
  std::string payment_method;    // offline: "cash", "check"...; stripe: "card"
  std::string reference_number;  // offline: the cheque's number...; kept as given
  std::string checkout_session;  // cs_...
  std::string payment_intent;    // pi_...
  std::string subscription;      // sub_... (monthly)
  DonationStatus status = DonationStatus::kPending;
  bool monthly = false;
  std::optional<std::int64_t> recorded_by;  // the organizer who recorded an offline gift
  UnixTime created = 0;
  UnixTime modified = 0;
};

struct ItemTotal {
  std::int64_t amount_minor = 0;
  std::int64_t donations = 0;
};

// A fundraiser's totals: its succeeded donations.
struct FundraiserTotals {
  std::int64_t amount_minor = 0;
  std::int64_t donations = 0;
  std::map<std::string, ItemTotal> items;  // by line item key (only those given to)
};

// A donor who chose to be named, for the public page.
struct NamedDonor {
  std::string name;
  UnixTime created = 0;
};

// A change of one donation's status, as a payment event asks it (service/fundraising.h decides
// which): the donation (by id, else by payment intent, else by checkout session) moves to `to`
// if its status is one of `from`, in one transaction with the totals and with the event id.
struct DonationChange {
  std::string event_id;  // the provider's event id (evt_...); empty: none recorded
  std::string event_type;
  std::optional<std::int64_t> donation_id;
  std::string payment_intent;    // to find the donation, and kept on it if it has none
  std::string checkout_session;  // likewise
  std::string subscription;      // kept on the donation if it has none
  std::vector<DonationStatus> from;
  DonationStatus to = DonationStatus::kSucceeded;
  UnixTime now = 0;
};

struct DonationChangeResult {
  bool duplicate = false;            // the event id was processed before: nothing done
  std::optional<Donation> donation;  // the donation found (after the change), if any
  bool changed = false;              // its status moved
};

class FundraisingStore {
 public:
  virtual ~FundraisingStore() = default;

  // --- fundraisers
  // f.created is used as now; id and uuid are assigned. kConflict if the slug is taken.
  virtual Result<Fundraiser> CreateFundraiser(const Fundraiser& f) = 0;
  // Every field but id, uuid, campaign_id and created, from f (f.modified is now). kNotFound,
  // kConflict if the slug is taken.
  virtual Result<Fundraiser> UpdateFundraiser(const Fundraiser& f) = 0;
  virtual Result<Fundraiser> GetFundraiser(std::int64_t id) = 0;
  virtual Result<Fundraiser> GetFundraiserBySlug(const std::string& slug) = 0;
  virtual Result<Fundraiser> GetFundraiserByUuid(const std::string& uuid) = 0;
  // A campaign's fundraisers (campaign_id none: every fundraiser), oldest first.
  virtual Result<std::vector<Fundraiser>> ListFundraisers(
      std::optional<std::int64_t> campaign_id) = 0;

  // --- donations
  // Inserts d (id, uuid assigned; d.created is now). A donation created succeeded (an offline
  // gift) adds itself to the totals in the same transaction.
  virtual Result<Donation> CreateDonation(const Donation& d) = 0;
  // Keeps the provider's checkout session id on a donation (after the session was made).
  virtual Result<Donation> SetCheckoutSession(std::int64_t id, const std::string& session,
                                              UnixTime now) = 0;
  virtual Result<Donation> GetDonation(std::int64_t id) = 0;
  virtual Result<Donation> GetDonationByUuid(const std::string& uuid) = 0;
  // A fundraiser's donations, oldest first.
  virtual Result<Paged<Donation>> ListDonations(std::int64_t fundraiser_id, Page page) = 0;
  // The newest `limit` succeeded donations whose donor chose to be named.
  virtual Result<std::vector<NamedDonor>> NamedDonors(std::int64_t fundraiser_id, int limit) = 0;
  virtual Result<FundraiserTotals> GetTotals(std::int64_t fundraiser_id) = 0;
  // See DonationChange. An event id already recorded: {duplicate = true}, nothing else done.
  // No donation found: the event id is recorded all the same ({donation = none}).
  virtual Result<DonationChangeResult> ApplyDonationChange(const DonationChange& c) = 0;
};

namespace store {
// The stored forms of a fundraiser's line items and suggested amounts (JSON text), both ways.
std::string LineItemsJson(const std::vector<LineItem>& items);
std::vector<LineItem> ParseLineItems(std::string_view text);
std::string AmountsJson(const std::vector<std::int64_t>& amounts);
std::vector<std::int64_t> ParseAmounts(std::string_view text);
}  // namespace store

}  // namespace undersigned
