// `undersigned fundraiser ...` (fundraiser_commands.h).
#include "cli/fundraiser_commands.h"

#include <ostream>

#include "core/money.h"

namespace undersigned::cli {

std::vector<CLI::App*> AddFundraiserCommands(CLI::App& cli, FundraiserArgs& args) {
  CLI::App* f = cli.add_subcommand(
      "fundraiser",
      "Fundraisers: make one (a draft), open or close it, record an offline gift (cash, "
      "cheque), list them, export the donations as CSV.");
  f->require_subcommand(1);
  args.create = f->add_subcommand("create", "Make a fundraiser (a draft); prints its slug.");
  args.create->add_option("--slug", args.slug, "its address: /f/SLUG")->required();
  args.create->add_option("--campaign", args.campaign, "the campaign it belongs to (slug)");
  args.create->add_option("--title", args.title, "its title")->required();
  args.create->add_option("--story", args.story, "its story, in Markdown");
  args.create->add_option("--goal", args.goal, "the goal, e.g. 10000.00")->required();
  args.create->add_option("--currency", args.currency, "ISO 4217 code (default USD)");
  args.create->add_option("--suggested", args.suggested, "suggested amounts, e.g. 10 25 100");
  args.create->add_flag("--monthly", args.monthly, "offer monthly giving (never pre-selected)");
  args.create->add_option("--item", args.items,
                          "a line item KEY=TITLE=GOAL, e.g. bus-ad='One bus ad'=4200.00");
  args.set_status = f->add_subcommand("status", "Open or close a fundraiser.");
  args.set_status->add_option("slug", args.slug, "the fundraiser")->required();
  args.set_status->add_option("status", args.status, "open or closed")->required();
  args.gift = f->add_subcommand("gift", "Record an offline gift (counted at once).");
  args.gift->add_option("slug", args.slug, "the fundraiser")->required();
  args.gift->add_option("--amount", args.amount, "e.g. 25.00")->required();
  args.gift->add_option("--method", args.method, "cash, check, transfer... (default cash)");
  args.gift->add_option("--reference", args.reference, "the cheque's number, a reference");
  args.gift->add_option("--name", args.donor_name, "the donor's name");
  args.gift->add_option("--email", args.donor_email, "the donor's address (never public)");
  args.gift->add_flag("--named", args.named, "the donor chose to be named on the page");
  args.gift->add_option("--item", args.line_item, "the line item it goes to (its key)");
  args.list = f->add_subcommand("list", "List fundraisers with their totals.");
  args.csv = f->add_subcommand("csv", "Print a fundraiser's donations as CSV.");
  args.csv->add_option("slug", args.slug, "the fundraiser")->required();
  return {args.create, args.set_status, args.gift, args.list, args.csv};
}

int RunFundraiserCommand(const FundraiserArgs& args, app::App& app, std::ostream& out,
                         int (*report)(const Error&)) {
  service::FundraisingService& fs = app.fundraising();
  const service::Actor op = service::Actor::Operator();
  auto find = [&app](const std::string& slug) {
    return app.store().fundraising().GetFundraiserBySlug(slug);
  };
  if (*args.create) {
    service::FundraiserInput in;
    in.campaign_slug = args.campaign;
    in.slug = args.slug;
    in.title = args.title;
    in.story_markdown = args.story;
    in.currency = args.currency;
    auto goal = ParseAmount(args.goal, in.currency, "goal");
    if (!goal) return report(goal.error());
    in.goal_minor = *goal;
    for (const std::string& s : args.suggested) {
      auto a = ParseAmount(s, in.currency, "suggested");
      if (!a) return report(a.error());
      in.suggested_minor.push_back(*a);
    }
    in.monthly_allowed = args.monthly;
    for (const std::string& item : args.items) {
      auto parsed = service::ParseLineItem(item, in.currency);
      if (!parsed) return report(parsed.error());
      in.line_items.push_back(std::move(*parsed));
    }
    auto f = fs.Create(op, in);
    if (!f) return report(f.error());
    out << f->slug << "\n";
    return 0;
  }
  if (*args.set_status) {
    auto status = ParseFundraiserStatus(args.status);
    if (!status) {
      return report(Error{Code::kInvalidArgument, "status: give open or closed", {}, 0});
    }
    auto f = find(args.slug);
    if (!f) return report(f.error());
    auto changed = fs.SetStatus(op, f->id, *status);
    if (!changed) return report(changed.error());
    out << changed->slug << " " << FundraiserStatusName(changed->status) << "\n";
    return 0;
  }
  if (*args.gift) {
    auto f = find(args.slug);
    if (!f) return report(f.error());
    service::OfflineGift g;
    auto a = ParseAmount(args.amount, f->currency, "amount");
    if (!a) return report(a.error());
    g.amount_minor = *a;
    g.payment_method = args.method;
    g.reference_number = args.reference;
    g.donor_name = args.donor_name;
    g.donor_email = args.donor_email;
    g.named = args.named;
    g.line_item = args.line_item;
    auto d = fs.RecordOffline(op, f->id, g);
    if (!d) return report(d.error());
    out << d->uuid << "\n";
    return 0;
  }
  if (*args.list) {
    auto all = app.store().fundraising().ListFundraisers(std::nullopt);
    if (!all) return report(all.error());
    for (const Fundraiser& f : *all) {
      auto t = app.store().fundraising().GetTotals(f.id);
      if (!t) return report(t.error());
      out << f.slug << "\t" << FundraiserStatusName(f.status) << "\t"
          << FormatAmount(t->amount_minor, f.currency) << " of "
          << FormatAmount(f.goal_minor, f.currency) << " " << f.currency << "\t" << t->donations
          << " gifts\n";
    }
    return 0;
  }
  auto f = find(args.slug);
  if (!f) return report(f.error());
  auto csv = fs.DonationsCsv(op, f->id);
  if (!csv) return report(csv.error());
  out << *csv;
  return 0;
}

}  // namespace undersigned::cli
