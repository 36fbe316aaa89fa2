// App: the wiring. The only place that sees every module: it builds the store, the services,
// the mailer and the HTTP server from a Config, owns them all, and tears them down in order.
// CLI commands use Open() (store and services, no network); `serve` uses Serve().
//
// Not thread-safe itself: made and driven from main's thread. The services it hands out are.
#pragma once

#include <memory>
#include <string>

#include "app/config.h"
#include "payments/provider.h"
#include "payments/webhook.h"
#include "service/accounts.h"
#include "service/api_tokens.h"
#include "service/campaigns.h"
#include "service/dashboard.h"
#include "service/events.h"
#include "service/fundraising.h"
#include "service/log.h"
#include "service/moderation.h"
#include "service/organization_review.h"
#include "service/organizations.h"
#include "service/organizing.h"
#include "service/people.h"
#include "service/pledges.h"
#include "service/referrals.h"
#include "service/signing.h"
#include "service/updates.h"
#include "store/data_dir_lock.h"
#include "store/store.h"

namespace undersigned::app {

class App {
 public:
  // Opens the store (store/open_store.h): PostgreSQL at config.store.url if set, else SQLite in
  // config.store.data_dir (creating it); loads campaigns into memory.
  // serving: this process will Serve(); it creates the data directory, and with SQLite first
  // takes its lock (store/data_dir_lock.h), so a second server on the same directory is refused
  // (kConflict, naming the other process). CLI commands open without it, beside a running
  // server; with PostgreSQL they need no data directory at all.
  //
  // With PostgreSQL the data directory holds no store, but a server still keeps there:
  // outbox-eml/ (mail written as .eml files when no SMTP server is set) and log-checkpoint (the
  // last checkpoint this node signed or served, fsynced, checked at start: service/log.h). Give
  // each node its own; several nodes on one PostgreSQL do not share it (docs/scale-out.md).
  static Result<std::unique_ptr<App>> Open(const Config& config, bool serving = false);
  ~App();

  // Starts the HTTP server and the mail sender, prints "listening on <url>" to stdout, and
  // runs until SIGTERM or SIGINT; then stops accepting, drains in-flight requests, finishes
  // the mail in hand and closes the store. Returns the process exit code.
  int Serve();

  // Creates the open demo campaign (slug "demo") unless it exists.
  Result<void> EnsureDemoCampaign();

  Store& store() { return *store_; }
  service::CampaignService& campaigns() { return *campaigns_; }
  service::SigningService& signing() { return *signing_; }
  service::ApiTokenService& tokens() { return *tokens_; }
  service::OrganizationService& organizations() { return *organizations_; }
  service::PeopleService& people() { return *people_; }
  service::AccountService& accounts() { return *accounts_; }
  service::ModerationService& moderation() { return *moderation_; }  // issue 13 part 5
  // The organizers' review of co-signing organizations (issue 13 part 6).
  service::OrganizationReviewService& organization_review() { return *organization_review_; }
  // Updates to signers (issue 13, part 7). The delivery to targets needs the site's URL:
  // service::TargetDeliveryService is made by its caller over updates() and accounts().
  service::UpdateService& updates() { return *updates_; }
  // Events, their times and RSVPs (issue 15, part 1; service/events.h).
  service::EventService& events() { return *events_; }
  // The signature log, opened on first use (its key and origin are made then if missing).
  // base_url: the site's public URL, from which a first start derives the log's origin.
  Result<service::LogService*> Log(const std::string& base_url);
  // Payments (issue 14): the provider and the Stripe webhook verifier, both nullptr while
  // payments are off (no payments.stripe_secret_key): fundraisers then take offline gifts
  // only, and say so. PaymentsStatus() says which, for the start-up log (never a secret).
  payments::PaymentProvider* payments() { return payments_.get(); }
  // Fundraisers and donations (issue 14; service/fundraising.h).
  service::FundraisingService& fundraising() { return *fundraising_; }
  // Conditional pledges (issue 14 part 3; service/pledges.h).
  service::PledgeService& pledges() { return *pledges_; }
  const payments::WebhookVerifier* payment_webhooks() const { return payment_webhooks_.get(); }
  std::string PaymentsStatus() const;

 private:
  explicit App(Config config);
  // Logs the full URL of each open campaign (the newest ten), at every start.
  void LogCampaignUrls(const std::string& base_url) const;

  Config config_;
  std::unique_ptr<store::DataDirLock>
      lock_;  // a server's on SQLite; released after the store closed
  std::unique_ptr<Store> store_;
  std::unique_ptr<service::CampaignService> campaigns_;
  std::unique_ptr<service::ApiTokenService> tokens_;
  std::unique_ptr<service::AccountService> accounts_;       // organizer accounts (issue 13)
  std::unique_ptr<service::OrganizingService> organizing_;  // the console's campaign use cases
  std::unique_ptr<service::DashboardService> dashboard_;    // the console's figures and list
  std::unique_ptr<service::UpdateService> updates_;         // updates to signers (issue 13)
  std::unique_ptr<service::EventService> events_;           // events and RSVPs (issue 15)
  // Throttles guessing of link tokens for signing_ and organizations_ (declared before them).
  std::unique_ptr<service::TokenGuard> link_guesses_;
  std::unique_ptr<service::SigningService> signing_;
  std::unique_ptr<service::LogService> log_;
  std::unique_ptr<service::OrganizationService> organizations_;
  std::unique_ptr<service::PeopleService> people_;          // the API's people (and the console's)
  std::unique_ptr<service::ModerationService> moderation_;  // hiding, invalidating (issue 13)
  std::unique_ptr<service::OrganizationReviewService> organization_review_;  // over the above
  std::unique_ptr<payments::PaymentProvider> payments_;                      // null: payments off
  std::unique_ptr<payments::WebhookVerifier> payment_webhooks_;              // null: payments off
  std::unique_ptr<service::FundraisingService> fundraising_;  // over the above (issue 14)
  std::unique_ptr<service::PledgeService> pledges_;           // likewise (issue 14 part 3)
  std::unique_ptr<service::ReferralService> referrals_;       // personal share links (issue 15)
  // Set by Serve(): the mail sender's Wake, called by the signing service after commits.
  std::function<void()> wake_mailer_;
};

// Where templates/ and static/ live: $UNDERSIGNED_SHARE_DIR, else next to the binary
// (../share/undersigned), else the source tree the binary was built from.
std::string ShareDir();

// Sets up spdlog for the configured format (text or JSON lines) and level.
void SetupLogging(const Config::Log& log);

}  // namespace undersigned::app
