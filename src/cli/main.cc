// main: parses the command line (CLI11), builds the Config (defaults < TOML file < environment
// < flags) and runs one command. Every command calls the same service functions as the HTTP
// handlers do; nothing here touches the store directly.
#include <cstdio>
#include <fstream>
#include <iostream>
#include <list>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>

#include "app/app.h"
#include "app/config.h"
#include "audit/commands.h"
#include "cli/campaign_args.h"
#include "cli/dashboard_commands.h"
#include "cli/event_commands.h"
#include "cli/fundraiser_commands.h"
#include "cli/outreach_commands.h"
#include "cli/pledge_commands.h"
#include "cli/signature_commands.h"
#include "cli/user_commands.h"
#include "core/time_zone.h"
#include "render/templates.h"
#include "service/delivery.h"
#include "service/site_url.h"
#include "store/store_url.h"

#ifndef UNDERSIGNED_VERSION
#define UNDERSIGNED_VERSION "0.0.0"
#endif

namespace undersigned::cli {
namespace {

// The store URL in use, once the config is loaded: no message is printed with its password.
std::string g_store_url;

int Report(const Error& e) {
  std::cerr << "error: " << store::RedactIn(e.message, g_store_url) << "\n";
  for (const auto& [field, msg] : e.field_errors) {
    if (e.message.find(field) == std::string::npos)
      std::cerr << "  " << field << ": " << store::RedactIn(msg, g_store_url) << "\n";
  }
  return e.code == Code::kInvalidArgument ? 2 : 1;
}

// Flags that map one-to-one onto config settings; applied after the file and environment.
struct SettingFlag {
  std::string key;
  std::optional<std::string> value;
};

// The status as every surface shows it now, and why when the deadline closed it.
std::string StatusText(const Campaign& c) {
  const UnixTime now = Clock::System().Now();
  std::string text = StatusName(StatusAt(c, now));
  if (c.status == CampaignStatus::kOpen && !TakesSignatures(c, now)) {
    text += " (its deadline passed)";
  }
  return text;
}

void PrintCampaign(const Campaign& c, const service::CampaignSnapshot* snap) {
  std::cout << "slug:      " << c.slug << "\n"
            << "title:     " << c.title << "\n"
            << "status:    " << StatusText(c) << "\n"
            << "id:        undersigned:" << c.uuid << "\n"
            << "goal:      " << c.goal << "\n"
            << "language:  " << c.language << "\n";
  if (c.deadline) {
    std::cout << "deadline:  " << FormatIso8601(*c.deadline) << ", "
              << DescribeDeadline(*c.deadline, c.time_zone) << "\n";
  }
  std::cout << "time zone: " << c.time_zone << "\n";
  if (c.threshold) {
    std::cout << "threshold: " << *c.threshold << " (" << OutcomeName(c.outcome);
    if (c.outcome_at) std::cout << " " << FormatIso8601(*c.outcome_at);
    std::cout << ")\n";
  }
  for (const std::string& o : c.organizers) std::cout << "organizer: " << o << "\n";
  if (!c.demand.empty()) std::cout << "demand:    " << c.demand << "\n";
  if (!c.organized_by.empty()) std::cout << "organized: " << c.organized_by << "\n";
  if (c.image) {
    std::cout << "picture:   " << c.image->width << "x" << c.image->height << " JPEG, \""
              << c.image->alt << "\"\n";
  }
  for (const Target& t : c.targets) {
    std::cout << "target:    " << t.name;
    if (!t.title.empty()) std::cout << ", " << t.title;
    if (!t.organization.empty()) std::cout << ", " << t.organization;
    if (!t.x_handle.empty()) std::cout << " (@" << t.x_handle << ")";
    std::cout << "\n";
  }
  for (const SecondaryTarget& t : c.secondary_targets) {
    std::cout << "moves them: " << t.name;
    if (!t.about.empty()) std::cout << ", " << t.about;
    std::cout << " (" << t.posts.size() << (t.posts.size() == 1 ? " post)\n" : " posts)\n");
  }
  for (const SignerGroup& g : c.groups) {
    std::cout << "group:     " << g.key << " (" << GroupKindName(g.kind) << ") " << g.name;
    for (const std::string& d : g.domains) std::cout << " @" << d;
    if (!g.seal_thresholds.empty()) {
      std::cout << " sealed until";
      for (std::int64_t t : g.seal_thresholds) std::cout << " " << t;
    }
    if (g.goal) std::cout << " goal " << *g.goal;
    if (snap) std::cout << ": " << GroupConfirmed(snap->counts, g.key) << " confirmed";
    std::cout << "\n";
  }
  if (snap) {
    std::cout << "confirmed: " << snap->counts.confirmed << "\n"
              << "pending:   " << snap->counts.pending << "\n"
              << "withdrawn: " << snap->counts.withdrawn << "\n";
  }
  std::cout << "created:   " << FormatIso8601(c.created) << "\n"
            << "modified:  " << FormatIso8601(c.modified) << "\n";
}

}  // namespace

int Main(int argc, char** argv) {
  CLI::App cli{
      "undersigned: open letters and petitions with verified signers and exact counts.\n"
      "Run `undersigned serve --demo` to start a demo site on http://127.0.0.1:8080."};
  cli.set_version_flag("--version", std::string("undersigned ") + UNDERSIGNED_VERSION);
  cli.require_subcommand(1);
  cli.fallthrough();

  std::string config_file;
  cli.add_option("--config", config_file, "TOML configuration file (keys as in `serve --help`)")
      ->check(CLI::ExistingFile)
      ->envname("UNDERSIGNED_CONFIG");
  // A list: options keep pointers to the values, so elements must never move.
  std::list<SettingFlag> flags;
  auto add_flag = [&](CLI::App* sub, const std::string& name, const std::string& key,
                      const std::string& help) {
    flags.push_back({key, {}});
    return sub->add_option(name, flags.back().value, help);
  };
  add_flag(&cli, "--data", "store.data_dir",
           "data directory holding the SQLite database, and with either store the server's "
           "mail files and last checkpoint (default ./undersigned-data)")
      ->envname("UNDERSIGNED_DATA");
  // Given before or after the command's name, like --data.
  const std::string store_help =
      "PostgreSQL database to use instead of SQLite in --data: a libpq URI, "
      "postgresql://user:password@host:port/database (or UNDERSIGNED_STORE_URL, config "
      "store.url; prefer those for a password); empty: SQLite";
  add_flag(&cli, "--store", "store.url", store_help)->type_name("URL");
  add_flag(&cli, "--log-format", "log.format", "log format: text or json");
  add_flag(&cli, "--log-level", "log.level", "log level: trace, debug, info, warn, error");

  // --- serve
  CLI::App* serve = cli.add_subcommand("serve", "Run the web server (pages, API, mail sender).");
  add_flag(serve, "--listen", "server.listen",
           "HOST:PORT to listen on (default 127.0.0.1:8080; port 0 picks a free port)");
  add_flag(serve, "--base-url", "server.base_url",
           "public URL used in links and mail, kept with the instance once given (default: the "
           "kept one, else http://<listen address>; required when listening on 0.0.0.0)");
  add_flag(serve, "--smtp", "mail.smtp_url",
           "SMTP server, smtp://host:port (STARTTLS when offered) or smtps://host:port; "
           "without it mail is written as .eml files under the data directory");
  add_flag(serve, "--smtp-user", "mail.username", "SMTP login name");
  add_flag(serve, "--smtp-password", "mail.password",
           "SMTP password (prefer UNDERSIGNED_MAIL_PASSWORD in the environment)");
  add_flag(serve, "--smtp-starttls", "mail.starttls", "off, opportunistic (default) or required");
  add_flag(serve, "--mail-from", "mail.from_address", "sender address of outgoing mail");
  add_flag(serve, "--site-name", "site.name", "the site's name, shown in the header");
  add_flag(serve, "--operator", "site.operator",
           "who runs the site, shown on every page (without it and --contact, pages carry a "
           "notice that the site does not say who runs it)");
  add_flag(serve, "--contact", "site.contact",
           "how to reach the operator: an email address or an https:// URL");
  add_flag(serve, "--privacy-url", "site.privacy_url", "the privacy policy's URL");
  add_flag(serve, "--rate-limit-per-address", "limits.per_address_burst",
           "signatures one client address may make at once before being slowed (0: no limit)");
  bool demo = false;
  serve->add_flag("--demo", demo, "create an open demo campaign (slug `demo`) if missing");
  bool change_base_url = false;
  serve->add_flag("--change-base-url", change_base_url,
                  "the site moved: keep the new --base-url although this instance was started "
                  "with another one (without it, such a start is refused; the signature log "
                  "keeps its origin)");
  {
    std::string keys =
        "\nSettings (TOML file keys as [section] key = value; environment UNDERSIGNED_<SECTION>_"
        "<KEY>; flags above override both):\n";
    for (const app::Setting& s : app::Settings()) keys += "  " + s.key + "  " + s.help + "\n";
    serve->footer(keys);
  }

  // --- campaign
  CLI::App* campaign =
      cli.add_subcommand("campaign", "Create, list, show, edit and close campaigns.");
  campaign->require_subcommand(1);
  CampaignArgs create_args;
  CLI::App* create = campaign->add_subcommand("create", "Create a campaign.");
  AddCampaignOptions(create, create_args, /*creating=*/true);
  CLI::App* list = campaign->add_subcommand("list", "List campaigns with their counts.");
  std::string slug;
  CLI::App* show = campaign->add_subcommand("show", "Show a campaign and its counts.");
  show->add_option("slug", slug, "campaign slug")->required();
  CampaignArgs edit_args;
  CLI::App* edit = campaign->add_subcommand("edit", "Change fields of a campaign.");
  edit->add_option("slug", slug, "campaign slug")->required();
  AddCampaignOptions(edit, edit_args, /*creating=*/false);
  CLI::App* close =
      campaign->add_subcommand("close", "Close a campaign: it stops taking signatures.");
  close->add_option("slug", slug, "campaign slug")->required();
  CLI::App* open = campaign->add_subcommand("open", "Open a campaign for signatures.");
  open->add_option("slug", slug, "campaign slug")->required();

  // --- export
  CLI::App* exp = cli.add_subcommand(
      "export",
      "Write a campaign's confirmed signatures (names, places, comments; no email "
      "addresses), ready to hand to the target.");
  std::string format = "csv", output;
  exp->add_option("slug", slug, "campaign slug")->required();
  exp->add_option("--format", format, "csv or json")->check(CLI::IsMember({"csv", "json"}));
  exp->add_option("--output,-o", output, "file to write (default: standard output)");

  // --- token
  CLI::App* token = cli.add_subcommand("token", "Manage API tokens for the OSDI API.");
  token->require_subcommand(1);
  std::string token_name;
  CLI::App* token_create =
      token->add_subcommand("create", "Make a token; it is printed once, only its hash is kept.");
  token_create->add_option("--name", token_name, "what the token is for")->required();
  // A scope (issue 13): one campaign, read-only, and the organizer it acts for.
  std::string token_campaign, token_owner;
  bool token_read_only = false;
  token_create->add_option("--campaign", token_campaign,
                           "reach only this campaign (slug); default: every campaign");
  token_create->add_flag("--read-only", token_read_only, "may read, never write");
  token_create->add_option("--owner", token_owner,
                           "the organizer (email) the token acts for: it needs manage_tokens "
                           "on --campaign (owners), or to be an administrator for every "
                           "campaign; its access ends with theirs");
  CLI::App* token_revoke = token->add_subcommand("revoke", "Revoke every token with this name.");
  token_revoke->add_option("--name", token_name, "the token's name")->required();

  // --- user
  UserArgs user_args;
  const std::vector<CLI::App*> user_commands = AddUserCommands(cli, user_args);
  // --- signature (moderation)
  SignatureArgs signature_args;
  const std::vector<CLI::App*> signature_commands = AddSignatureCommands(cli, signature_args);

  // --- dashboard (cli/dashboard_commands.h)
  DashboardArgs dashboard_args;
  CLI::App* dashboard_command = AddDashboardCommand(cli, dashboard_args);
  // --- update (outreach_commands.h)
  UpdateArgs update_args;
  const std::vector<CLI::App*> update_commands = AddUpdateCommands(cli, update_args);
  // --- event (event_commands.h)
  EventArgs event_args;
  const std::vector<CLI::App*> event_commands = AddEventCommands(cli, event_args);
  // --- fundraiser (fundraiser_commands.h)
  FundraiserArgs fundraiser_args;
  const std::vector<CLI::App*> fundraiser_commands = AddFundraiserCommands(cli, fundraiser_args);
  // --- pledge (pledge_commands.h)
  PledgeArgs pledge_args;
  const std::vector<CLI::App*> pledge_commands = AddPledgeCommands(cli, pledge_args);

  // --- backup
  // --- deliver
  CLI::App* deliver = cli.add_subcommand(
      "deliver",
      "Produce the letter as it stands, to hand to its targets: the text, the targets, the "
      "counts (by group, small groups as \"fewer than K\"), the signers who chose to be named "
      "(the others, sealed and anonymous ones included, are counted, never named), the "
      "approved co-signing organizations and the log checkpoint that lets anyone check the "
      "count.");
  std::string deliver_format = "html", deliver_output;
  deliver->add_option("slug", slug, "campaign slug")->required();
  deliver->add_option("--format", deliver_format, "html (printable), csv (named signers) or json")
      ->check(CLI::IsMember({"html", "csv", "json"}));
  deliver->add_option("--output,-o", deliver_output, "file to write (default: standard output)");
  add_flag(deliver, "--base-url", "server.base_url",
           "the site's public URL, for links (default: the one the server keeps)");
  bool deliver_send = false;
  deliver->add_flag("--send", deliver_send,
                    "send it: mail the letter as a PDF to every target with an email address, "
                    "record the delivery and tell the signers who asked for updates (a running "
                    "server sends the mail)");

  // --- organization
  CLI::App* orgc = cli.add_subcommand(
      "organization",
      "Co-signing organizations: list them, approve or reject those whose contact confirmed, "
      "withdraw an approval.");
  orgc->require_subcommand(1);
  std::string org_state, org_id;
  CLI::App* org_list = orgc->add_subcommand("list", "A campaign's organizations and their state.");
  org_list->add_option("slug", slug, "campaign slug")->required();
  org_list->add_option("--state", org_state, "only pending, confirmed, approved or rejected")
      ->check(CLI::IsMember({"pending", "confirmed", "approved", "rejected"}));
  CLI::App* org_approve =
      orgc->add_subcommand("approve", "List an organization whose contact confirmed (for good).");
  CLI::App* org_reject =
      orgc->add_subcommand("reject", "Refuse an organization; it is never shown.");
  CLI::App* org_withdraw = orgc->add_subcommand(
      "withdraw", "Take an approval back: the organization leaves the page and is rejected.");
  for (CLI::App* sub : {org_approve, org_reject, org_withdraw}) {
    sub->add_option("slug", slug, "campaign slug")->required();
    sub->add_option("id", org_id, "the organization's id, as `organization list` prints it")
        ->required();
  }

  std::string backup_file;
  CLI::App* backup = cli.add_subcommand(
      "backup",
      "Copy the whole SQLite store to FILE while the server runs (online backup). A PostgreSQL "
      "store is copied with PostgreSQL's own tools instead: pg_dump (docs/scale-out.md).");
  backup->add_option("file", backup_file, "new file to write")->required();

  // --- log
  CLI::App* logc =
      cli.add_subcommand("log", "The verifiable signature log: its key, audits and receipts.");
  logc->require_subcommand(1);
  CLI::App* log_key = logc->add_subcommand(
      "key", "Print this instance's log origin, verifier key and public key (made if missing).");
  std::string audit_url;
  audit::AuditCommandOptions audit_options;
  CLI::App* log_audit = logc->add_subcommand(
      "audit",
      "Audit a site's log: verify its checkpoint and every entry, check it is consistent with "
      "the last audit (the state file), recompute every campaign's count and compare it with "
      "what the site publishes. Exit 0 passed, 1 findings, 2 could not audit.");
  log_audit->add_option("url", audit_url, "the site's base URL, e.g. https://sign.example.org")
      ->required();
  log_audit->add_option("--state", audit_options.state_file,
                        "file remembering the last audited checkpoint (default "
                        "./undersigned-audit.json; empty: none)");
  log_audit->add_option("--key", audit_options.key,
                        "verifier key to trust (default: the state file's, else the site's "
                        "/log/key on first use)");
  log_audit->add_option("--max-leaves", audit_options.max_leaves,
                        "refuse to download a log larger than this");
  std::string receipt_file, receipt_log, receipt_key, receipt_email;
  CLI::App* log_verify = logc->add_subcommand(
      "verify-receipt",
      "Check a signer's receipt: that the signature is in the log, and that the live log still "
      "holds it. Exit 0 verified, 1 does not verify, 2 could not check.");
  log_verify->add_option("file", receipt_file, "the receipt (JSON) downloaded after confirming")
      ->required();
  log_verify->add_option("--log", receipt_log, "the site's base URL (default: the receipt's)");
  log_verify->add_option("--key", receipt_key,
                         "verifier key to trust (default: the one in the receipt)");
  log_verify->add_option("--email", receipt_email,
                         "also check that the receipt is for this email address");

  // Every command that touches the store also lists --store in its own --help.
  for (CLI::App* sub :
       {serve, create, list, show, edit, close, open, exp, token_create, token_revoke, deliver,
        org_list, org_approve, org_reject, backup, log_key}) {
    add_flag(sub, "--store", "store.url", store_help)->type_name("URL");
  }
  for (CLI::App* sub : user_commands) {
    add_flag(sub, "--store", "store.url", store_help)->type_name("URL");
  }
  add_flag(dashboard_command, "--store", "store.url", store_help)->type_name("URL");
  for (CLI::App* sub : update_commands) {
    add_flag(sub, "--store", "store.url", store_help)->type_name("URL");
  }
  for (CLI::App* sub : fundraiser_commands) {
    add_flag(sub, "--store", "store.url", store_help)->type_name("URL");
  }
  for (CLI::App* sub : pledge_commands) {
    add_flag(sub, "--store", "store.url", store_help)->type_name("URL");
  }
  for (CLI::App* sub : signature_commands) {
    add_flag(sub, "--store", "store.url", store_help)->type_name("URL");
  }
  for (CLI::App* sub : event_commands) {
    add_flag(sub, "--store", "store.url", store_help)->type_name("URL");
  }

  try {
    cli.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    return cli.exit(e);
  }

  std::vector<std::pair<std::string, std::string>> given;
  for (const SettingFlag& f : flags) {
    if (f.value) given.emplace_back(f.key, *f.value);
  }
  auto loaded = app::LoadConfig(config_file, given);
  if (!loaded) return Report(loaded.error());
  app::Config config = std::move(*loaded);
  g_store_url = config.store.url;
  if (demo) config.demo = true;
  if (change_base_url) config.change_base_url = true;
  if (auto r = app::ValidateConfig(config); !r) return Report(r.error());
  app::SetupLogging(config.log);

  // Commands that only talk to another site need no store.
  if (*log_audit) return audit::RunAudit(audit_url, audit_options, std::cout, std::cerr);
  if (*log_verify) {
    return audit::RunVerifyReceipt(receipt_file, receipt_log, receipt_key, receipt_email, std::cout,
                                   std::cerr);
  }

  auto opened = app::App::Open(config, /*serving=*/static_cast<bool>(*serve));
  if (!opened) return Report(opened.error());
  app::App& a = **opened;

  if (*serve) {
    if (config.demo) {
      if (auto r = a.EnsureDemoCampaign(); !r) return Report(r.error());
    }
    return a.Serve();
  }
  if (*create) {
    auto c = BuildCampaign(create_args, Campaign{});
    if (!c) return Report(c.error());
    auto image = ReadImageArgs(create_args, *c);
    if (!image) return Report(image.error());
    auto made = a.campaigns().Create(std::move(*c));
    if (!made) return Report(made.error());
    made = ApplyImageArgs(create_args, *image, a.campaigns(), *made);
    if (!made) return Report(made.error());
    std::cout << "created campaign " << made->slug << " (" << StatusText(*made)
              << "), id undersigned:" << made->uuid << "\n";
    return 0;
  }
  if (*edit) {
    auto current = a.campaigns().GetBySlug(slug);
    if (!current) return Report(current.error());
    auto c = BuildCampaign(edit_args, *current);
    if (!c) return Report(c.error());
    auto image = ReadImageArgs(edit_args, *current);
    if (!image) return Report(image.error());
    auto saved = a.campaigns().Update(std::move(*c));
    if (!saved) return Report(saved.error());
    saved = ApplyImageArgs(edit_args, *image, a.campaigns(), *saved);
    if (!saved) return Report(saved.error());
    std::cout << "updated campaign " << saved->slug << "\n";
    return 0;
  }
  if (*list) {
    auto page = a.campaigns().List(std::nullopt, {}, Page{1, 1000});
    if (!page) return Report(page.error());
    std::printf("%-24s %-7s %12s %12s  %s\n", "SLUG", "STATUS", "CONFIRMED", "GOAL", "TITLE");
    for (const Campaign& c : page->items) {
      auto snap = a.campaigns().SnapshotById(c.id);
      std::printf("%-24s %-7s %12lld %12lld  %s\n", c.slug.c_str(),
                  StatusName(StatusAt(c, Clock::System().Now())),
                  static_cast<long long>(snap ? snap->counts.confirmed : 0),
                  static_cast<long long>(c.goal), c.title.c_str());
    }
    return 0;
  }
  if (*show) {
    auto c = a.campaigns().GetBySlug(slug);
    if (!c) return Report(c.error());
    PrintCampaign(*c, a.campaigns().SnapshotById(c->id).get());
    return 0;
  }
  if (*close || *open) {
    auto c =
        a.campaigns().SetStatus(slug, *close ? CampaignStatus::kClosed : CampaignStatus::kOpen);
    if (!c) return Report(c.error());
    std::cout << "campaign " << c->slug << " is now " << StatusText(*c) << "\n";
    return 0;
  }
  if (*exp) {
    if (output.empty()) {
      auto r = a.signing().Export(slug, format, std::cout);
      return r ? 0 : Report(r.error());
    }
    std::string tmp = output + ".tmp";
    {
      std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
      if (!out) return Report(Error{Code::kInvalidArgument, "cannot write " + output, {}, 0});
      auto r = a.signing().Export(slug, format, out);
      if (!r) {
        std::remove(tmp.c_str());
        return Report(r.error());
      }
      out.flush();
      if (!out) return Report(Error{Code::kInternal, "writing " + output + " failed", {}, 0});
    }
    std::rename(tmp.c_str(), output.c_str());
    return 0;
  }
  if (*org_list) {
    auto list = a.organizations().List(
        slug, org_state.empty() ? std::nullopt : ParseOrganizationState(org_state));
    if (!list) return Report(list.error());
    for (const Organization& o : *list) {
      std::printf("%-36s %-9s %s <%s> %s\n", o.uuid.c_str(), OrganizationStateName(o.state),
                  o.form.name.c_str(), o.form.contact_email.c_str(), o.form.website.c_str());
    }
    return 0;
  }
  if (*org_approve || *org_reject || *org_withdraw) {
    const OrganizationDecision decision = *org_approve  ? OrganizationDecision::kApprove
                                          : *org_reject ? OrganizationDecision::kReject
                                                        : OrganizationDecision::kWithdraw;
    auto r = a.organization_review().Decide(service::Actor::Operator(), slug, org_id, decision);
    if (!r) return Report(r.error());
    std::cout << r->organization.form.name << ": " << OrganizationStateName(r->organization.state)
              << "\n";
    return 0;
  }
  if (*deliver) {
    auto base_url = service::KnownBaseUrl(a.store(), config.server.base_url);
    if (!base_url) return Report(base_url.error());
    if (deliver_send) return RunDeliverSend(slug, a, *base_url, std::cout, Report);
    auto d = service::BuildDelivery(a.store(), slug, Clock::System().Now(), *base_url);
    if (!d) return Report(d.error());
    std::string text;
    if (deliver_format == "json") {
      text = service::DeliveryJson(*d);
    } else if (deliver_format == "csv") {
      std::ostringstream csv;
      service::DeliveryCsv(*d, csv);
      text = csv.str();
    } else {
      auto templates = render::Templates::Load(app::ShareDir() + "/templates");
      if (!templates) return Report(templates.error());
      auto html = service::DeliveryHtml(*d, *templates);
      if (!html) return Report(html.error());
      text = std::move(*html);
    }
    if (deliver_output.empty()) {
      std::cout << text;
      return 0;
    }
    std::ofstream out(deliver_output, std::ios::binary | std::ios::trunc);
    if (!out || !(out << text) || !out.flush()) {
      return Report(Error{Code::kInvalidArgument, "cannot write " + deliver_output, {}, 0});
    }
    std::cerr << "written to " << deliver_output << "\n";
    return 0;
  }
  if (int code =
          [&] {
            if (!*user_args.create && !*user_args.list && !*user_args.disable) return -1;
            auto known = service::KnownBaseUrl(a.store(), config.server.base_url);
            const std::string base_url = known ? *known : "http://" + config.server.listen;
            return RunUserCommand(user_args, a, base_url, std::cin, std::cout, std::cerr, Report);
          }();
      code >= 0) {
    return code;
  }
  if (int code = RunDashboardCommand(dashboard_args, a, std::cout, Report); code >= 0) return code;
  if (int code = RunSignatureCommand(signature_args, a, std::cout, Report); code >= 0) {
    return code;
  }
  if (update_args.any()) return RunUpdateCommand(update_args, a, std::cout, Report);
  if (event_args.any()) {
    auto known = service::KnownBaseUrl(a.store(), config.server.base_url);
    std::string host = known ? *known : config.server.listen;
    if (auto p = host.find("://"); p != std::string::npos) host = host.substr(p + 3);
    return RunEventCommand(event_args, a, host.substr(0, host.find_first_of(":/")), std::cout,
                           Report);
  }
  if (fundraiser_args.any()) return RunFundraiserCommand(fundraiser_args, a, std::cout, Report);
  if (pledge_args.any()) {
    auto known = service::KnownBaseUrl(a.store(), config.server.base_url);
    std::string base = known ? *known : "http://" + config.server.listen;
    while (!base.empty() && base.back() == '/') base.pop_back();
    return RunPledgeCommand(pledge_args, a, base, std::cout, Report);
  }
  if (*token_create && (!token_campaign.empty() || token_read_only || !token_owner.empty())) {
    service::Actor by = service::Actor::Operator();
    if (!token_owner.empty()) {
      auto owner = a.accounts().FindUser(service::Actor::Operator(), token_owner);
      if (!owner) return Report(owner.error());
      by = service::Actor::Of(*owner);
    }
    std::optional<std::int64_t> campaign_id;
    if (!token_campaign.empty()) {
      auto c = a.campaigns().GetBySlug(token_campaign);
      if (!c) return Report(c.error());
      campaign_id = c->id;
    }
    auto t = a.accounts().CreateApiToken(by, token_name, campaign_id, token_read_only);
    if (!t) return Report(t.error());
    std::cerr << "API token '" << token_name << "'"
              << (token_campaign.empty() ? " for every campaign" : " for " + token_campaign)
              << (token_read_only ? ", read-only" : "")
              << " (shown once; send it as the OSDI-API-Token header):\n";
    std::cout << *t << "\n";
    return 0;
  }
  if (*token_create) {
    auto t = a.tokens().Create(token_name);
    if (!t) return Report(t.error());
    std::cerr << "API token '" << token_name
              << "' (shown once; send it as the OSDI-API-Token header):\n";
    std::cout << *t << "\n";
    return 0;
  }
  if (*token_revoke) {
    auto n = a.tokens().Revoke(token_name);
    if (!n) return Report(n.error());
    std::cout << "revoked " << *n << " token(s) named '" << token_name << "'\n";
    return 0;
  }
  if (*log_key) {
    // The log's origin, if this is its first use, comes from the URL the server would use.
    auto known = service::KnownBaseUrl(a.store(), config.server.base_url);
    auto log = a.Log(known ? *known : "http://" + config.server.listen);
    if (!log) return Report(log.error());
    if (!(*log)->enabled()) {
      std::cerr << "note: signature_log.enabled is false; the key is kept but not used\n";
    }
    std::cout << "origin:       " << (*log)->origin() << "\n"
              << "verifier key: " << (*log)->VerifierKey() << "\n"
              << "public key:   " << (*log)->PublicKey() << " (Ed25519, base64)\n";
    return 0;
  }
  if (*backup) {
    // With PostgreSQL the store refuses (kInvalidArgument) with a message that says to use
    // pg_dump; printed as any error, and the exit code is not 0.
    auto r = a.store().Backup(backup_file);
    if (!r) {
      const int code = Report(r.error());
      if (!config.store.url.empty() && r.error().message.find("pg_dump") == std::string::npos) {
        std::cerr << "  a PostgreSQL store is backed up with pg_dump and restored with "
                     "pg_restore (docs/scale-out.md)\n";
      }
      return code;
    }
    std::cout << "backup written to " << backup_file << "\n";
    return 0;
  }
  return 0;
}

}  // namespace undersigned::cli

int main(int argc, char** argv) { return undersigned::cli::Main(argc, argv); }
