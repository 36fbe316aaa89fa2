#include "app/app.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <optional>
#include <thread>

#include <spdlog/spdlog.h>

#include "http/api/api.h"
#include "http/api/events.h"
#include "http/api/fundraising.h"
#include "http/console/console.h"
#include "http/event_hub.h"
#include "http/log/routes.h"
#include "http/metrics.h"
#include "http/pages/embed.h"
#include "http/pages/event_feed.h"
#include "http/pages/event_links.h"
#include "http/pages/events.h"
#include "http/pages/fundraiser.h"
#include "http/pages/organizations.h"
#include "http/pages/pages.h"
#include "http/pages/pledge.h"
#include "http/pages/unsubscribe.h"
#include "http/router.h"
#include "http/server.h"
#include "mail/mailer.h"
#include "mail/outbox_sender.h"
#include "payments/stripe_provider.h"
#include "render/email.h"
#include "render/templates.h"
#include "service/outcomes.h"
#include "service/site_url.h"
#include "service/target_delivery.h"
#include "store/open_store.h"
#include "store/sqlite/sqlite_store.h"
#include "store/store_url.h"

#ifndef UNDERSIGNED_SOURCE_DIR
#define UNDERSIGNED_SOURCE_DIR "."
#endif

namespace undersigned::app {
namespace fs = std::filesystem;
namespace {

// The demo campaign `serve --demo` creates: enough to sign and confirm on a fresh machine.
Campaign DemoCampaign() {
  Campaign c;
  c.slug = "demo";
  c.title = "Stop the surveillance contract";
  c.organized_by = "Example Corp employees (a demo campaign)";
  c.demand =
      "We, the undersigned employees, ask our CEO to end the contract and to say so in "
      "public.";
  c.letter_markdown =
      "Dear Ms. Rivera,\n\n"
      "We build the products this company is proud of. We did not sign up to build tools that "
      "track and detain people.\n\n"
      "We ask you to:\n\n"
      "1. **End the contract** with the agency when it comes up for renewal;\n"
      "2. **Publish** the terms of every contract of this kind;\n"
      "3. **Meet** with the employees who signed this letter.\n\n"
      "Sincerely,\n\n*The undersigned*\n";
  c.targets.push_back(Target{"Dana Rivera", "Chief Executive Officer", "Example Corp",
                             "examplecorp", "examplecorp.bsky.social",
                             "@examplecorp@mastodon.social", ""});
  c.goal = 650;
  c.status = CampaignStatus::kOpen;
  c.language = "en";
  // Employees prove themselves by a link to their work address (in the demo, any address at
  // example.com: the mail lands in outbox-eml/); everyone else signs as the public.
  SignerGroup staff;
  staff.key = "staff";
  staff.name = "Example Corp employees";
  staff.kind = GroupKind::kEmployees;
  staff.organization = "Example Corp";
  staff.domains = {"example.com"};
  staff.seal_thresholds = {3, 50};
  staff.goal = 650;
  SignerGroup everyone = DefaultPublicGroup();
  everyone.name = "Everyone else";
  c.groups = {staff, everyone};
  // The smallest seal: a group's count is exact from 3 on, when the first sealed names open.
  c.anonymity_floor = 3;
  return c;
}

// The routes need the public URL before the server starts, so port 0 ("any free port") is
// resolved here: bind a throwaway socket, read its port, close it. The server binds the same
// port a moment later (a race with another process is possible but harmless: Start fails).
Result<std::uint16_t> ResolvePort(const std::string& address, std::uint16_t port) {
  if (port != 0) return port;
  const bool v6 = address.find(':') != std::string::npos;
  int fd = ::socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return Fail(Code::kUnavailable, "cannot create a socket");
  sockaddr_storage ss{};
  socklen_t len;
  if (v6) {
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    inet_pton(AF_INET6, address.c_str(), &a->sin6_addr);
    len = sizeof(sockaddr_in6);
  } else {
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    if (inet_pton(AF_INET, address.c_str(), &a->sin_addr) != 1) {
      ::close(fd);
      return Fail(Code::kInvalidArgument, "listen address must be an IP address: " + address);
    }
    len = sizeof(sockaddr_in);
  }
  if (::bind(fd, reinterpret_cast<sockaddr*>(&ss), len) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&ss), &len) != 0) {
    ::close(fd);
    return Fail(Code::kUnavailable, "cannot bind " + address);
  }
  ::close(fd);
  return ntohs(v6 ? reinterpret_cast<sockaddr_in6*>(&ss)->sin6_port
                  : reinterpret_cast<sockaddr_in*>(&ss)->sin_port);
}

std::atomic<int> g_signal{0};
void OnSignal(int sig) { g_signal = sig; }

}  // namespace

std::string ShareDir() {
  auto has_templates = [](const fs::path& p) { return fs::exists(p / "templates"); };
  if (const char* env = std::getenv("UNDERSIGNED_SHARE_DIR"); env && *env) return env;
  std::error_code ec;
  fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) {
    fs::path installed = exe.parent_path().parent_path() / "share" / "undersigned";
    if (has_templates(installed)) return installed.string();
  }
  return UNDERSIGNED_SOURCE_DIR;
}

App::App(Config config) : config_(std::move(config)) {}

App::~App() {
  if (log_) log_->Stop();
  if (store_) store_->Close();
}

Result<service::LogService*> App::Log(const std::string& base_url) {
  if (log_) return log_.get();
  service::LogOptions lo;
  lo.enabled = config_.signature_log.enabled;
  lo.origin = config_.signature_log.origin;
  lo.base_url = base_url;
  lo.data_dir = config_.store.data_dir;
  lo.checkpoint_seconds = config_.signature_log.checkpoint_seconds;
  auto log = service::LogService::Open(*store_, Clock::System(), lo);
  if (!log) return Fail(log.error());
  log_ = std::move(*log);
  return log_.get();
}

Result<std::unique_ptr<App>> App::Open(const Config& config, bool serving) {
  std::unique_ptr<App> app(new App(config));
  const bool sqlite = config.store.url.empty();
  if (serving) {
    // A server keeps files in the data directory with either store (app.h).
    if (auto r = store::MakeDataDir(config.store.data_dir); !r) return Fail(r.error());
    if (sqlite) {
      auto lock = store::DataDirLock::Acquire(config.store.data_dir);
      if (!lock) return Fail(lock.error());
      app->lock_ = std::move(*lock);
    }
  }
  // A command line does one thing and exits: one connection to read and one to write, so that
  // many commands at once (a script, a test's burst) do not use up the server's connections.
  auto store =
      store::OpenStore(config.store.data_dir,
                       store::StoreOptions{.url = config.store.url,
                                           .log_enabled = config.signature_log.enabled,
                                           .exclusive = serving && sqlite,
                                           .write_lanes = serving ? config.store.write_lanes : 1,
                                           .read_connections = serving ? 4 : 1});
  if (!store) return Fail(store.error());
  app->store_ = std::move(*store);
  const Clock& clock = Clock::System();
  app->campaigns_ = std::make_unique<service::CampaignService>(*app->store_, clock);
  if (auto r = app->campaigns_->Load(); !r) return Fail(r.error());
  app->tokens_ = std::make_unique<service::ApiTokenService>(*app->store_, clock);
  app->accounts_ = std::make_unique<service::AccountService>(
      *app->store_, clock, service::AccountOptions{}, [self = app.get()] {
        if (self->wake_mailer_) self->wake_mailer_();
      });
  app->organizing_ = std::make_unique<service::OrganizingService>(*app->campaigns_, *app->accounts_,
                                                                  *app->store_, clock);
  app->people_ = std::make_unique<service::PeopleService>(*app->store_, clock);
  app->dashboard_ =
      std::make_unique<service::DashboardService>(*app->store_, *app->accounts_, clock);
  app->updates_ = std::make_unique<service::UpdateService>(*app->store_, *app->accounts_, clock);
  {
    auto links = service::EventLinks::Open(*app->store_);
    if (!links) return Fail(links.error());
    app->events_ = std::make_unique<service::EventService>(*app->store_, *app->accounts_, clock,
                                                           std::move(*links), [self = app.get()] {
                                                             if (self->wake_mailer_)
                                                               self->wake_mailer_();
                                                           });
  }

  // Payments (issue 14): built from config, no network until used.
  if (payments::PaymentsEnabled(config.payments)) {
    auto provider = payments::MakePaymentProvider(config.payments);
    if (!provider) return Fail(provider.error());
    app->payments_ = std::move(*provider);
    app->payment_webhooks_ =
        std::make_unique<payments::WebhookVerifier>(config.payments.stripe_webhook_secret, clock);
  }
  // Fundraisers and donations (issue 14): offline gifts without payments, Checkout with them.
  app->fundraising_ = std::make_unique<service::FundraisingService>(*app->store_, *app->accounts_,
                                                                    clock, app->payments_.get());
  // Conditional pledges (issue 14 part 3): money-free without payments, cards saved with them.
  {
    auto links = service::PledgeLinks::Open(*app->store_);
    if (!links) return Fail(links.error());
    app->pledges_ = std::make_unique<service::PledgeService>(*app->store_, *app->accounts_, clock,
                                                             app->payments_.get(),
                                                             std::move(*links), [self = app.get()] {
                                                               if (self->wake_mailer_)
                                                                 self->wake_mailer_();
                                                             });
  }

  service::SigningOptions so;
  so.max_confirm_sends = config.limits.max_confirm_sends;
  so.per_address = RateLimit{config.limits.per_address_burst, config.limits.per_address_per_second,
                             config.limits.per_address_burst > 0};
  so.per_email = RateLimit{config.limits.per_email_burst, config.limits.per_email_per_second,
                           config.limits.per_email_burst > 0};
  App* self = app.get();
  app->signing_ =
      std::make_unique<service::SigningService>(*app->store_, *app->campaigns_, clock, so, [self] {
        if (self->wake_mailer_) self->wake_mailer_();
      });
  app->organizations_ =
      std::make_unique<service::OrganizationService>(*app->store_, *app->campaigns_, clock, [self] {
        if (self->wake_mailer_) self->wake_mailer_();
      });
  // Moderation (issue 13 part 5): hiding, the comment queue, invalidation.
  app->moderation_ = std::make_unique<service::ModerationService>(
      *app->store_, *app->campaigns_, *app->accounts_, clock, service::ModerationOptions{}, [self] {
        if (self->wake_mailer_) self->wake_mailer_();
      });
  app->organization_review_ = std::make_unique<service::OrganizationReviewService>(
      *app->organizations_, *app->accounts_, *app->campaigns_);
  app->link_guesses_ = std::make_unique<service::TokenGuard>(
      clock, RateLimit{config.limits.link_guess_burst, config.limits.link_guess_per_second,
                       config.limits.link_guess_burst > 0});
  app->signing_->SetTokenGuard(app->link_guesses_.get());
  app->organizations_->SetTokenGuard(app->link_guesses_.get());
  auto referrals = service::ReferralService::Open(*app->store_, *app->signing_);
  if (!referrals) return Fail(referrals.error());
  app->referrals_ = std::move(*referrals);
  return app;
}

void App::LogCampaignUrls(const std::string& base_url) const {
  constexpr std::size_t kShown = 10;
  auto open = campaigns_->OpenCampaigns(Clock::System().Now());
  for (std::size_t i = 0; i < open.size() && i < kShown; ++i) {
    spdlog::info("campaign open for signatures: {}/c/{}", base_url, open[i]->campaign.slug);
  }
  if (open.size() > kShown) {
    spdlog::info("and {} more open campaigns: {}/", open.size() - kShown, base_url);
  }
}

Result<void> App::EnsureDemoCampaign() {
  if (campaigns_->Snapshot("demo")) return {};
  auto made = campaigns_->Create(DemoCampaign());
  if (!made) return Fail(made.error());
  spdlog::info("created the demo campaign: /c/demo");
  return {};
}

std::string App::PaymentsStatus() const {
  if (!payments_) {
    return "off (no payments.stripe_secret_key): fundraisers take offline gifts only";
  }
  return payments_->Describe();
}

int App::Serve() {
  Clock& clock = Clock::System();
  const std::string share = ShareDir();

  auto templates = render::Templates::Load((fs::path(share) / "templates").string());
  if (!templates) {
    spdlog::error("cannot load templates from {}: {}", share, templates.error().message);
    return 1;
  }
  auto csrf_secret = store_->InstanceSecret("csrf");
  if (!csrf_secret) {
    spdlog::error("cannot read the instance secret: {}", csrf_secret.error().message);
    return 1;
  }
  // The flash cookie's key (http/pages/flash.h): every node on this store derives the same.
  auto flash_secret = store_->InstanceSecret("flash-key");
  if (!flash_secret) {
    spdlog::error("cannot read the instance secret: {}", flash_secret.error().message);
    return 1;
  }

  // Mail: the outbox sender delivers what the store queued, in the background.
  mail::MailConfig mc;
  mc.smtp_url = config_.mail.smtp_url;
  mc.username = config_.mail.username;
  mc.password = config_.mail.password;
  mc.starttls = config_.mail.starttls;
  mc.from_address = config_.mail.from_address;
  mc.from_name = config_.mail.from_name;
  mc.eml_dir = (fs::path(config_.store.data_dir) / "outbox-eml").string();
  auto mailer = mail::MakeMailer(mc, clock);
  if (!mailer) {
    spdlog::error("mail: {}", mailer.error().message);
    return 1;
  }

  spdlog::info("payments: {}", PaymentsStatus());

  auto parsed_listen = ParseListen(config_.server.listen);
  http::Metrics metrics;
  http::EventHub hub;
  http::Router router;

  http::ServerOptions so;
  so.address = parsed_listen->first;
  so.port = parsed_listen->second;
  so.io_threads = config_.server.io_threads;
  so.blocking_threads = config_.server.blocking_threads;
  so.trust_proxy = config_.server.trust_proxy;
  so.max_connections = static_cast<std::size_t>(config_.server.max_connections);
  so.max_connections_per_address =
      static_cast<std::size_t>(config_.server.max_connections_per_address);
  auto port = ResolvePort(so.address, so.port);
  if (!port) {
    spdlog::error("cannot listen on {}: {}", config_.server.listen, port.error().message);
    return 1;
  }
  std::string host =
      so.address.find(':') != std::string::npos ? "[" + so.address + "]" : so.address;
  const std::string listen_url = "http://" + host + ":" + std::to_string(*port);
  // The public URL: given (and kept), or kept from an earlier start, or the listen address; a
  // change under an existing instance is refused unless --change-base-url says the site moved.
  auto settled =
      service::SettleBaseUrl(*store_, service::BaseUrlOptions{config_.server.base_url, listen_url,
                                                              !config_.signature_log.origin.empty(),
                                                              config_.change_base_url});
  if (!settled) {
    spdlog::error("{}", settled.error().message);
    return 1;
  }
  const std::string base_url = settled->url;

  // The signature log: checked before anything is served; a stored tree that does not match
  // its own leaves, its counts or the last checkpoint this instance published stops the start.
  auto log = Log(base_url);
  if (!log) {
    spdlog::error("signature log: {}", log.error().message);
    return 1;
  }
  if (auto r = (*log)->Verify(); !r) {
    spdlog::error("refusing to start: {}", r.error().message);
    return 1;
  }
  if (auto r = (*log)->Start(); !r) {
    spdlog::error("signature log: cannot sign a checkpoint: {}", r.error().message);
    return 1;
  }
  service::LogService& signature_log = **log;
  if (!settled->previous.empty()) {
    spdlog::warn(
        "the public URL changed from {} to {} (--change-base-url); the signature log "
        "keeps its origin {}",
        settled->previous, base_url, signature_log.origin());
  }

  // Updates and deliveries (issue 13, parts 7 and 8): rendered at send time from the store,
  // with their one-click unsubscribe headers (RFC 8058) and the letter's PDF.
  auto unsubscribe_links = service::UnsubscribeLinks::Open(*store_);
  if (!unsubscribe_links) {
    spdlog::error("cannot read the unsubscribe key: {}", unsubscribe_links.error().message);
    return 1;
  }
  const service::UpdateMailRenderer update_mail(*store_, *unsubscribe_links, base_url);
  const service::DeliveryMailRenderer delivery_mail(*store_);
  // Events (issue 15): RSVPs' mail, rendered at send time with the attendee's address.
  const service::EventMailRenderer event_mail(*store_, events_->links(), base_url);
  // Pledges (issue 14 part 3): the pledger told once of each decision, at send time.
  const service::PledgeMailRenderer pledge_mail(*store_, pledges_->links(), base_url);
  auto outreach_mail = [&](const OutboxMessage& m,
                           Result<service::OutreachMail> r) -> Result<mail::MailMessage> {
    if (!r) return Fail(r.error());
    mail::MailMessage msg;
    msg.from_address = config_.mail.from_address;
    msg.from_name = config_.mail.from_name;
    msg.to = r->to.empty() ? m.recipient : r->to;
    msg.subject = r->subject;
    msg.text_body = r->text;
    msg.html_body = r->html;
    for (auto& a : r->attachments) {
      msg.attachments.push_back(mail::MailAttachment{a.filename, a.content_type, a.data});
    }
    if (r->unsubscribe_url.starts_with("https://")) {
      if (auto u = mail::AddListUnsubscribe(msg, r->unsubscribe_url); !u) return Fail(u.error());
    } else if (!r->unsubscribe_url.empty()) {
      // A site without https (a demo, a test on 127.0.0.1): the same headers, which RFC 8058
      // mail clients ignore for a plain http URL; the link in the text still works.
      msg.extra_headers.push_back({"List-Unsubscribe", "<" + r->unsubscribe_url + ">"});
      msg.extra_headers.push_back({"List-Unsubscribe-Post", "List-Unsubscribe=One-Click"});
    }
    return msg;
  };

  mail::OutboxSender sender(
      *store_, **mailer,
      [&](const OutboxMessage& m) -> Result<mail::MailMessage> {
        if (service::UpdateMailRenderer::Handles(m.kind)) {
          return outreach_mail(m, update_mail.Render(m));
        }
        if (service::DeliveryMailRenderer::Handles(m.kind)) {
          return outreach_mail(m, delivery_mail.Render(m));
        }
        if (service::EventMailRenderer::Handles(m.kind)) {
          return outreach_mail(m, event_mail.Render(m));
        }
        if (service::PledgeMailRenderer::Handles(m.kind)) {
          return outreach_mail(m, pledge_mail.Render(m));
        }
        auto r = render::RenderEmail(m, base_url);
        if (!r) return Fail(r.error());
        mail::MailMessage msg;
        msg.from_address = config_.mail.from_address;
        msg.from_name = m.kind.starts_with("verify") ? config_.mail.verification_from_name
                                                     : config_.mail.from_name;
        msg.to = m.recipient;
        msg.subject = r->subject;
        msg.text_body = r->text;
        msg.html_body = r->html;
        return msg;
      },
      clock, mail::OutboxSenderOptions{.first_retry_seconds = config_.mail.first_retry_seconds});

  // Live counts: every public change of a campaign goes out on its event stream.
  campaigns_->SetListener(
      [&hub, &signature_log, &clock](const std::shared_ptr<const service::CampaignSnapshot>& s) {
        auto checkpoint = signature_log.Latest();
        hub.Publish("campaign:" + s->campaign.slug, "count",
                    http::CountsJson(*s, clock.Now(), checkpoint.get()));
      });
  for (const auto& s : campaigns_->OpenCampaigns(clock.Now())) {
    hub.Publish("campaign:" + s->campaign.slug, "count",
                http::CountsJson(*s, clock.Now(), signature_log.Latest().get()));
  }

  // Without SMTP the mail is files on this machine: the "check your email" page says so.
  std::string mail_note;
  if (config_.mail.smtp_url.empty()) {
    mail_note = "This site sends no email: it writes each message as a file in " +
                fs::weakly_canonical(fs::absolute(mc.eml_dir)).string() +
                " on its server, and its log prints the links in it. Open the link from there.";
  }
  const http::pages::SiteInfo site{config_.site.name, config_.site.operator_name,
                                   config_.site.contact, config_.site.privacy_url};
  if (!site.identified()) {
    spdlog::warn(
        "the site does not say who runs it: set site.operator and site.contact ([site] in the "
        "config file, or --operator and --contact); until then every page says so");
  }
  // Checked when the config was loaded (config.cc): who may frame the embeds.
  auto embed_ancestors = http::pages::ParseFrameAncestors(config_.server.embed_ancestors);
  http::RegisterPages(
      router, http::PagesDeps{*campaigns_, *signing_, *templates, base_url, *csrf_secret, site,
                              &clock, &signature_log, mail_note, *flash_secret,
                              http::MaySeeDraft(*accounts_), embed_ancestors.value_or(""),
                              referrals_.get(), fundraising_.get(), events_.get()});
  http::RegisterOrganizationPages(
      router, http::OrganizationPagesDeps{
                  *campaigns_, *organizations_, *templates, base_url, *csrf_secret, site, &clock,
                  // the organizers' review page shows the logo before they decide
                  [this](const std::string& u) { return organizations_->LogoForReview(u); },
                  *flash_secret});
  http::RegisterLogRoutes(router, http::LogRoutesDeps{signature_log, *campaigns_});
  // Fundraisers (issue 14): the pages, the Stripe webhook, and live totals on the event hub.
  fundraising_->SetListener([&hub](const Fundraiser& f, const FundraiserTotals& t) {
    hub.Publish(http::FundraiserTopic(f.slug), "totals", http::FundraiserTotalsJson(f, t));
  });
  http::RegisterFundraiserPages(
      router,
      http::FundraiserPagesDeps{*campaigns_, *fundraising_, *templates, base_url, *csrf_secret,
                                site, payment_webhooks_.get(), &clock, pledges_.get()});
  http::RegisterPledgePages(router, http::PledgePagesDeps{*campaigns_, *pledges_, *templates,
                                                          base_url, *csrf_secret, site, &clock});
  service::TargetDeliveryService deliveries(*store_, *accounts_, *updates_, clock, base_url);
  http::RegisterConsole(
      router,
      http::ConsoleDeps{*accounts_, *campaigns_, *organizing_, *templates, base_url, *csrf_secret,
                        site, &clock, dashboard_.get(), moderation_.get(),
                        organization_review_.get(), updates_.get(), &deliveries,
                        !embed_ancestors.value_or("").empty(), events_.get(), fundraising_.get()});
  service::UnsubscribeService unsubscribe(*store_, *unsubscribe_links, clock);
  http::RegisterUnsubscribePages(
      router, http::UnsubscribePagesDeps{*campaigns_, unsubscribe, *templates, base_url,
                                         *csrf_secret, site, &clock});
  {
    // Events (issue 15): the campaign's calendar feed, the pages of an attendee's links, the
    // events' public pages, the RSVP form and the supporters' proposal form.
    std::string host =
        base_url.substr(base_url.find("://") == std::string::npos ? 0 : base_url.find("://") + 3);
    http::RegisterEventFeed(router, *events_, host.substr(0, host.find_first_of(":/")));
    http::RegisterEventLinkPages(
        router, http::EventLinkPagesDeps{*campaigns_, *events_, *templates, base_url, *csrf_secret,
                                         site, &clock});
    http::RegisterEventPages(
        router, http::EventPagesDeps{*campaigns_, *events_, *templates, base_url, *csrf_secret,
                                     site, &clock, mail_note});
  }
  http::ApiDeps api{*campaigns_, *signing_, *tokens_, *people_, *organizations_, clock, base_url};
  api.per_token =
      RateLimit{config_.limits.api_per_token_burst, config_.limits.api_per_token_per_second,
                config_.limits.api_per_token_burst > 0};
  const RateLimit api_per_address = api.per_token;
  http::RegisterApi(router, std::move(api));
  http::RegisterFundraisingApi(
      router, http::FundraisingApiDeps{*fundraising_, *tokens_, *store_, base_url});
  // Events (issue 15): OSDI events, attendances and the record-attendance helper.
  http::RegisterEventsApi(router, http::EventsApiDeps{*events_, *campaigns_, *tokens_, *store_,
                                                      clock, base_url, api_per_address});
  if (auto r = router.AddStatic("/static", fs::path(share) / "static"); !r) {
    spdlog::error("cannot load static files from {}: {}", share, r.error().message);
    return 1;
  }
  // /healthz answers on a network thread (cheap); /metrics renders on the blocking pool
  // because the outbox gauge asks the store.
  // /metrics: on a listener of its own if one is set (and then not on `listen`), else on
  // `listen` for the networks of server.metrics_allow only.
  auto healthy = [] { return g_signal == 0; };
  http::AddHealthRoute(router, healthy);
  http::Router ops_router;
  std::optional<http::Server> ops_server;
  if (config_.server.metrics_listen.empty()) {
    auto allowed = http::Networks::Parse(config_.server.metrics_allow);  // checked at load
    http::AddMetricsRoute(router, metrics,
                          std::make_shared<const http::Networks>(std::move(allowed).value()));
  } else {
    auto ops_listen = ParseListen(config_.server.metrics_listen);  // checked at load
    http::AddMetricsRoute(ops_router, metrics, nullptr);
    http::AddHealthRoute(ops_router, healthy);
    http::ServerOptions ops;
    ops.address = ops_listen->first;
    ops.port = ops_listen->second;
    ops.io_threads = 1;
    ops.blocking_threads = 1;
    ops.max_connections = 64;
    ops_server.emplace(ops, ops_router);
  }
  metrics.GaugeFamily("undersigned_signatures", "Signatures by state, over all campaigns", [this] {
    CampaignCounts t = campaigns_->Totals();
    return std::vector<std::pair<http::Labels, double>>{
        {{{"state", "pending"}}, static_cast<double>(t.pending)},
        {{{"state", "confirmed"}}, static_cast<double>(t.confirmed)},
        {{{"state", "withdrawn"}}, static_cast<double>(t.withdrawn)}};
  });
  metrics.Gauge("undersigned_outbox_depth", "Mail messages waiting to be sent", [this] {
    auto d = store_->OutboxDepth();
    return d ? static_cast<double>(*d) : -1.0;
  });
  metrics.Gauge("undersigned_store_scrub_pending",
                "Work addresses cleared from the outbox whose old copies the WAL may still hold "
                "(the store truncates the WAL within about a second; docs/groups.md)",
                [this] {
                  auto st = store::GetSqliteStats(*store_);
                  return st ? static_cast<double>(st->scrub_pending) : 0.0;
                });
  metrics.GaugeFamily("undersigned_mail_messages", "Mail the sender has handled since start",
                      [&sender] {
                        auto st = sender.stats();
                        return std::vector<std::pair<http::Labels, double>>{
                            {{{"outcome", "sent"}}, static_cast<double>(st.sent)},
                            {{{"outcome", "failed"}}, static_cast<double>(st.failed)},
                            {{{"outcome", "given_up"}}, static_cast<double>(st.dead)}};
                      });
  metrics.Gauge("undersigned_event_subscribers", "Open live-count streams",
                [&hub] { return static_cast<double>(hub.SubscriberCount()); });
  if (signature_log.enabled()) {
    metrics.Gauge("undersigned_log_checkpoint_size", "Entries in the latest signed checkpoint",
                  [&signature_log] {
                    auto c = signature_log.Latest();
                    return c ? static_cast<double>(c->size) : 0.0;
                  });
    metrics.Gauge("undersigned_log_checkpoint_age_seconds",
                  "Seconds since the latest checkpoint was signed (it is signed only when the "
                  "log grew)",
                  [&signature_log, &clock] {
                    auto c = signature_log.Latest();
                    return c ? static_cast<double>(clock.Now() - c->created) : -1.0;
                  });
  }

  so.port = *port;
  http::Server server(so, router, &hub, &metrics);
  wake_mailer_ = [&sender] { sender.Wake(); };
  sender.Start();
  // Campaigns with a threshold fail at their deadline whether or not anyone visits.
  service::OutcomeScheduler outcomes(*store_, *campaigns_, clock, [&sender] { sender.Wake(); });
  outcomes.Start();
  // Updates go out on time, batch by batch and throttled, whether or not anyone visits.
  service::UpdateScheduler update_scheduler(*store_, clock, [&sender] { sender.Wake(); });
  updates_->SetWake([&update_scheduler, &sender] {
    update_scheduler.Poke();
    sender.Wake();  // a test copy, queued by the service itself
  });
  update_scheduler.Start();
  // Events' reminders go out on time, once, whether or not anyone visits.
  service::EventReminderScheduler event_reminders(*store_, clock, [&sender] { sender.Wake(); });
  event_reminders.Start();
  // Pledge campaigns are decided at their deadline, and their pledges charged, released and
  // told once, whether or not anyone visits.
  service::PledgeScheduler pledge_scheduler(*store_, clock, payments_.get(),
                                            [&sender] { sender.Wake(); });
  pledge_scheduler.Start();

  // Signals: handled here, on the main thread, which otherwise only ticks housekeeping.
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGTERM, &sa, nullptr);
  sigaction(SIGINT, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);

  if (auto r = server.Start(); !r) {
    spdlog::error("cannot start the server: {}", r.error().message);
    return 1;
  }
  if (ops_server) {
    auto r = ops_server->Start();
    if (!r) {
      spdlog::error("cannot serve /metrics on {}: {}", config_.server.metrics_listen,
                    r.error().message);
      server.Stop(std::chrono::seconds(0));
      return 1;
    }
    std::cout << "metrics on http://"
              << config_.server.metrics_listen.substr(0, config_.server.metrics_listen.rfind(':'))
              << ":" << *r << "/metrics" << std::endl;
  }
  // The store's URL only ever appears without its password.
  spdlog::info("undersigned serving {} (store: {}; files in {}; mail via {})", base_url,
               store::DescribeStore(config_.store.url, config_.store.data_dir),
               config_.store.data_dir, (*mailer)->Describe());
  std::cout << "listening on " << listen_url << std::endl;
  LogCampaignUrls(base_url);

  // Housekeeping until a signal: pick up campaigns the CLI (or another node) changed, forget
  // idle rate-limit buckets. A short sleep is fine here: nothing waits on this loop. With several
  // nodes on one database (PostgreSQL), the other nodes' signatures reach this node's counts
  // by polling the database every tick (docs/scale-out.md: within a second), and their
  // campaign edits and outcomes every second.
  const bool shared_store = !config_.store.url.empty();
  int ticks = 0;
  while (g_signal == 0) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    ++ticks;
    if (shared_store) {
      if (auto r = campaigns_->PollCounts(); !r) {
        spdlog::warn("reading the other nodes' counts: {}", r.error().message);
      }
    }
    if (ticks % (shared_store ? 5 : 10) == 0) {
      if (auto r = campaigns_->Refresh(); !r) {
        spdlog::warn("refreshing campaigns: {}", r.error().message);
      } else if (*r > 0 && wake_mailer_) {
        // A change made elsewhere (the CLI: a moderation's notices) may have queued mail.
        wake_mailer_();
      }
    }
    if (ticks % 300 == 0) {
      signing_->SweepLimits();
      link_guesses_->Sweep();
      accounts_->Sweep();  // expired sessions and sign-in links, idle sign-in throttles
    }
    if (ticks % 18000 == 0) {  // hourly: signers' networks past their retention (moderation.h)
      if (auto r = moderation_->ForgetExpiredNetworks(); !r) {
        spdlog::warn("forgetting signers' networks: {}", r.error().message);
      }
    }
  }
  spdlog::info("signal {} received: draining", g_signal.load());
  server.Stop(std::chrono::seconds(config_.server.drain_seconds));
  if (ops_server) ops_server->Stop(std::chrono::seconds(0));
  spdlog::info("http drained");
  outcomes.Stop();
  updates_->SetWake(nullptr);
  update_scheduler.Stop();
  event_reminders.Stop();
  pledge_scheduler.Stop();
  wake_mailer_ = nullptr;
  sender.Stop();
  campaigns_->SetListener(nullptr);
  signature_log.Stop();
  store_->Close();
  spdlog::info("stopped cleanly");
  return 0;
}

}  // namespace undersigned::app
