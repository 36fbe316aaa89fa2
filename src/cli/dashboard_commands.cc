#include "cli/dashboard_commands.h"

#include <ostream>

#include <nlohmann/json.hpp>

#include "service/dashboard.h"

namespace undersigned::cli {
namespace {

nlohmann::json TallyJson(const service::TopTally& t) {
  nlohmann::json rows = nlohmann::json::array();
  for (const TallyRow& r : t.top) {
    rows.push_back({{"key", r.key}, {"confirmed", r.confirmed}, {"pending", r.pending}});
  }
  return {
      {"top", rows},
      {"other",
       {{"keys", t.other_keys}, {"confirmed", t.other.confirmed}, {"pending", t.other.pending}}}};
}

nlohmann::json SeriesJson(const std::vector<render::ChartPoint>& series) {
  nlohmann::json out = nlohmann::json::array();
  for (const render::ChartPoint& p : series) out.push_back({FormatIso8601(p.start), p.count});
  return out;
}

}  // namespace

CLI::App* AddDashboardCommand(CLI::App& cli, DashboardArgs& args) {
  args.command = cli.add_subcommand(
      "dashboard",
      "A campaign's figures as JSON: exact counts, confirmation rate, signatures per hour over "
      "the last 48 hours (or per day over 30 days), counts by group, country and source "
      "(referrer, utm_source, share channel), the outbox's state. With --csv: the organizers' "
      "list of its signatures (what the export shows; emails only of signers who asked for "
      "updates).");
  args.command->add_option("slug", args.slug, "campaign slug")->required();
  args.command->add_option("--per", args.per, "hour or day")->check(CLI::IsMember({"hour", "day"}));
  args.command->add_option("--top", args.top, "keys per tally (1-100)");
  args.command->add_flag("--csv", args.csv, "print the signatures list as CSV instead");
  args.command->add_option("--search", args.search, "with --csv: name, postal code or country");
  args.command->add_option("--source", args.source,
                           "with --csv: a share channel, utm_source, referrer host or source");
  args.command->add_option("--state", args.state, "with --csv: pending, confirmed or withdrawn")
      ->check(CLI::IsMember({"pending", "confirmed", "withdrawn"}));
  return args.command;
}

int RunDashboardCommand(const DashboardArgs& args, app::App& app, std::ostream& out,
                        int (*report)(const Error&)) {
  if (args.command == nullptr || !*args.command) return -1;
  service::DashboardService dashboard(app.store(), app.accounts(), Clock::System());
  const service::Actor op = service::Actor::Operator();
  if (args.csv) {
    SignatureSearch search;
    search.text = args.search;
    search.source = args.source;
    if (args.state == "pending") search.state = SignatureState::kPending;
    if (args.state == "confirmed") search.state = SignatureState::kConfirmed;
    if (args.state == "withdrawn") search.state = SignatureState::kWithdrawn;
    auto r = dashboard.ExportCsv(op, args.slug, search, out);
    return r ? 0 : report(r.error());
  }
  service::DashboardRange range;
  range.bucket = args.per == "day" ? render::ChartBucket::kDay : render::ChartBucket::kHour;
  range.top = args.top;
  auto d = dashboard.Overview(op, args.slug, range);
  if (!d) return report(d.error());
  nlohmann::json j = {{"campaign", d->campaign.slug},
                      {"counts",
                       {{"pending", d->counts.pending},
                        {"confirmed", d->counts.confirmed},
                        {"withdrawn", d->counts.withdrawn}}},
                      {"confirmation_rate", d->confirmation_rate},
                      {"from", FormatIso8601(d->from)},
                      {"to", FormatIso8601(d->to)},
                      {"signed_per_hour", SeriesJson(d->signed_series)},
                      {"confirmed_per_hour", SeriesJson(d->confirmed_series)},
                      {"groups", TallyJson(d->groups)},
                      {"countries", TallyJson(d->countries)},
                      {"referrers", TallyJson(d->referrers)},
                      {"utm_sources", TallyJson(d->utm_sources)},
                      {"channels", TallyJson(d->channels)},
                      {"sources", TallyJson(d->sources)},
                      {"outbox",
                       {{"queued", d->outbox.queued},
                        {"failing", d->outbox.failing},
                        {"given_up", d->outbox.given_up},
                        {"sent", d->outbox.sent},
                        {"scope", d->outbox_is_instance_wide ? "instance" : "campaign"}}}};
  out << j.dump(2) << "\n";
  return 0;
}

}  // namespace undersigned::cli
