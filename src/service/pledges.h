// Conditional pledges (issue 14, part 3): the organizers' use cases (declare a pledge campaign
// and its condition; declare that the act happened, with its public evidence), the public's
// (read a campaign with its live count and total; pledge; withdraw; complete a payment that
// needed them), the payment provider's (a verified webhook saves a pledge's card or completes
// its payment), and the resolution that runs on time without anyone visiting
// (PledgeResolver, PledgeScheduler).
//
// Rules (core/pledge.h says what a condition may be and how each kind is decided):
//  - Who: a pledge campaign of a campaign is managed by that campaign's organizers with the
//    edit role; one that stands alone (or under a fundraiser that stands alone) by the
//    administrators (and the CLI operator). Every change is in the action record.
//  - The subject of an outcome or unless condition is declared with its kind, company or
//    organization; a public official is refused with kPublicOfficialRefusal (the reason).
//  - A money pledge saves a card through Checkout in setup mode (Idempotency-Key
//    undersigned:pledge-setup:<id>, metadata pledge_id): nothing is charged then. The card is
//    kept only from the verified webhook setup_intent.succeeded (the SetupIntent carries the
//    customer, the payment method and our pledge_id; Checkout's checkout.session.completed
//    names only the SetupIntent), never from the redirect. A card saved for a pledge withdrawn
//    or decided meanwhile is detached at once.
//  - Resolution (PledgeResolver::RunOnce, once across restarts and nodes: store/pledge_store.h):
//    open campaigns past their deadline are decided (DecideAtDeadline); then every pledge of a
//    decided campaign is worked once: met and money: charged off-session with
//    Idempotency-Key undersigned:pledge:<id>:<attempt>; a charge that needs its donor or is
//    declined -> needs_action (mail with a link to complete it through a Checkout payment
//    session; reminded every 48 h; lapsed after 7 days); a temporary refusal is tried again
//    later with a new attempt (three at most, then needs_action); a network failure or a
//    process killed mid-charge retries the SAME attempt, which the provider answers with the
//    first charge. Met and money-free: the pledger is told it is time. Failed: the saved card
//    is detached (Idempotency-Key undersigned:pledge-detach:<id>) and the pledger told.
//  - Links in mails carry "<pledge id>.<MAC>" (PledgeLinks): nothing to keep, nothing to guess.
//
// Thread-safety: every method may be called from any thread. Holds references to the store,
// the account service and the clock, and the provider pointer (may be null: money pledges are
// then refused saying so, money-free ones work), which must outlive it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "core/clock.h"
#include "core/error.h"
#include "core/pledge.h"
#include "payments/provider.h"
#include "payments/webhook.h"
#include "service/accounts.h"
#include "service/updates.h"
#include "store/store.h"

namespace undersigned::service {

// The keyed links of a pledge (withdraw, complete) and the keyed hash of a pledger's address.
class PledgeLinks {
 public:
  explicit PledgeLinks(std::string key) : key_(std::move(key)) {}
  static Result<PledgeLinks> Open(Store& store);    // the instance secret "pledge-link-key"
  std::string Token(std::int64_t pledge_id) const;  // "<id>.<32 hex digits>"
  // The pledge id; kNotFound for a malformed or forged token.
  Result<std::int64_t> Check(std::string_view token) const;
  std::string EmailKey(std::string_view email) const;

 private:
  std::string Mac(std::string_view msg) const;
  std::string key_;
};

// What an organizer declares.
struct PledgeCampaignInput {
  std::string slug;
  std::string campaign_slug;    // "" with no campaign
  std::string fundraiser_slug;  // "" with no fundraiser
  std::string description_markdown;
  PledgeTerms terms;
};

// A pledger's pledge from the public page (or the API).
struct PledgeRequest {
  std::string slug;
  std::int64_t amount_minor = 0;  // money campaigns
  std::string name;
  std::string email;
  std::string success_url;  // money: where Checkout sends the pledger back
  std::string cancel_url;
};

struct StartedPledge {
  Pledge pledge;
  std::string checkout_url;  // money: where to send the pledger; "" money-free
};

struct PledgeCampaignView {
  PledgeCampaign campaign;
  PledgeTotals totals;
};

// What one RunOnce did (for logs and tests).
struct PledgeRunReport {
  std::int64_t decided = 0;
  std::int64_t charged = 0;
  std::int64_t needs_action = 0;
  std::int64_t retried = 0;
  std::int64_t released = 0;
  std::int64_t told = 0;
  std::int64_t steps = 0;      // needs-action reminders and lapses
  std::int64_t postponed = 0;  // left for their lease to run out (provider unreachable...)
};

class PledgeService {
 public:
  // wake_mailer (may be empty) is called after a change that queued a mail (a receipt, a
  // completed payment), so that it goes out now rather than at the sender's next poll.
  PledgeService(Store& store, AccountService& accounts, const Clock& clock,
                payments::PaymentProvider* payments, PledgeLinks links,
                std::function<void()> wake_mailer = nullptr)
      : store_(store),
        accounts_(accounts),
        clock_(clock),
        payments_(payments),
        links_(std::move(links)),
        wake_mailer_(std::move(wake_mailer)) {}

  const PledgeLinks& links() const { return links_; }
  bool payments_on() const { return payments_ != nullptr; }

  // --- organizers
  Result<PledgeCampaign> CreateCampaign(const Actor& by, const PledgeCampaignInput& in);
  // The organizers declare that the condition's act happened (outcome: met; unless: failed),
  // with a public evidence link (http(s)). kConflict if already decided.
  Result<PledgeCampaign> DeclareHappened(const Actor& by, const std::string& slug,
                                         const std::string& evidence_url);
  Result<Paged<Pledge>> Pledges(const Actor& by, const std::string& slug, Page page);

  // --- the public
  Result<PledgeCampaignView> View(const std::string& slug);
  Result<StartedPledge> StartPledge(const PledgeRequest& req);
  // Withdraws the pledge the link's token names (only before the decision).
  Result<Pledge> Withdraw(std::string_view token);
  // A needs_action pledge's payment page: a Checkout Session in payment mode for its amount,
  // with the saved customer (Idempotency-Key undersigned:pledge-complete:<id>:<reminders>).
  // Returns the URL to send the donor to.
  Result<std::string> StartCompletion(std::string_view token, const std::string& success_url,
                                      const std::string& cancel_url);

  // --- the payment provider
  // True if the event was about a pledge (setup_intent.succeeded or payment_intent.succeeded
  // with our pledge_id in its metadata) and was handled; false: not a pledge's.
  Result<bool> ApplyWebhook(const payments::WebhookEvent& event);

 private:
  Result<void> Authorize(const Actor& by, const PledgeCampaign& c);
  Store& store_;
  AccountService& accounts_;
  const Clock& clock_;
  payments::PaymentProvider* payments_;
  PledgeLinks links_;
  std::function<void()> wake_mailer_;
};

// Decides, charges, releases, tells and reminds (see the header). Safe to run on several nodes
// at once: the store's claims make each change once.
class PledgeResolver {
 public:
  // How long a claimed pledge is this resolver's (pledge_store.h's ClaimWork): longer than one
  // charge takes with its retries. A lease that runs out only means another resolver may ask
  // the provider again with the same Idempotency-Key, which answers with the first charge.
  static constexpr std::int64_t kLeaseSeconds = 30;
  static constexpr int kClaimBatch = 10;
  PledgeResolver(Store& store, const Clock& clock, payments::PaymentProvider* payments)
      : store_(store), clock_(clock), payments_(payments) {}
  Result<PledgeRunReport> RunOnce();
  // When there is something to do next (a deadline, a lease, a reminder), if anything.
  Result<std::optional<UnixTime>> NextAt();

 private:
  Result<void> Work(const ClaimedPledge& w, UnixTime now, PledgeRunReport& report);
  Store& store_;
  const Clock& clock_;
  payments::PaymentProvider* payments_;
};

// Runs the resolver on time, in a thread of its own (as EventReminderScheduler does).
class PledgeScheduler {
 public:
  static constexpr int kMaxSleepSeconds = 5;
  PledgeScheduler(Store& store, const Clock& clock, payments::PaymentProvider* payments,
                  std::function<void()> wake_mailer);
  ~PledgeScheduler();
  PledgeScheduler(const PledgeScheduler&) = delete;
  PledgeScheduler& operator=(const PledgeScheduler&) = delete;
  void Start();
  void Stop();
  void Poke();

 private:
  void Loop();
  PledgeResolver resolver_;
  const Clock& clock_;
  std::function<void()> wake_mailer_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ = false;
  bool stop_ = false;
  std::thread thread_;
};

// Renders the store's "pledge_*" outbox rows at send time with the pledger's address.
class PledgeMailRenderer {
 public:
  PledgeMailRenderer(Store& store, const PledgeLinks& links, std::string base_url)
      : store_(store), links_(links), base_url_(std::move(base_url)) {}
  static bool Handles(const std::string& kind) { return kind.starts_with("pledge_"); }
  Result<OutreachMail> Render(const OutboxMessage& m) const;

 private:
  Store& store_;
  const PledgeLinks& links_;
  std::string base_url_;
};

}  // namespace undersigned::service
