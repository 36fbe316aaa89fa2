// `undersigned pledge ...` (pledge_commands.h).
#include "cli/pledge_commands.h"

#include <cstdio>
#include <ctime>
#include <ostream>

#include "core/money.h"

namespace undersigned::cli {
namespace {

Error Bad(const std::string& field, const std::string& what) {
  Error e{Code::kInvalidArgument, field + ": " + what, {}, 0};
  e.field_errors[field] = what;
  return e;
}

// "2027-03-01T00:00:00Z" -> Unix time.
Result<UnixTime> ParseUtc(const std::string& s) {
  std::tm tm{};
  char z = 0;
  if (s.size() != 20 ||
      std::sscanf(s.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d%c", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
                  &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &z) != 7 ||
      z != 'Z') {
    return Fail(Bad("deadline", "write it in UTC as 2027-03-01T00:00:00Z"));
  }
  tm.tm_year -= 1900;
  tm.tm_mon -= 1;
  return static_cast<UnixTime>(timegm(&tm));
}

}  // namespace

std::vector<CLI::App*> AddPledgeCommands(CLI::App& cli, PledgeArgs& args) {
  CLI::App* p = cli.add_subcommand(
      "pledge",
      "Conditional pledges: declare a campaign and its condition, declare that its act "
      "happened, pledge, list and show them, run the resolution once.");
  p->require_subcommand(1);
  args.create = p->add_subcommand("create", "Declare a pledge campaign (open at once).");
  args.create->add_option("--slug", args.slug, "its address: /p/SLUG")->required();
  args.create->add_option("--campaign", args.campaign, "the campaign it belongs to (slug)");
  args.create->add_option("--fundraiser", args.fundraiser, "the fundraiser it collects for");
  args.create->add_option("--title", args.title, "its title")->required();
  args.create->add_option("--description", args.description, "in Markdown");
  args.create->add_option("--kind", args.kind, "count, outcome or unless (default count)");
  args.create->add_option("--condition", args.condition, "what must happen, in words")->required();
  args.create->add_option("--threshold", args.threshold, "count: how many pledgers");
  args.create->add_option("--subject-kind", args.subject_kind,
                          "outcome/unless: company or organization (a public official is "
                          "refused)");
  args.create->add_option("--subject", args.subject, "outcome/unless: who must act");
  args.create->add_option("--payee", args.payee, "unless: who is paid if they do not act");
  args.create->add_option("--deadline", args.deadline, "UTC, 2027-03-01T00:00:00Z")->required();
  args.create->add_option("--currency", args.currency, "ISO 4217 code (default USD)");
  args.create->add_option("--minimum", args.minimum, "the smallest pledge, e.g. 5.00");
  args.create->add_flag("--money-free", args.money_free, "pledges of an act, not of money");
  args.create->add_option("--promise", args.promise, "money-free: what each pledger will do");
  args.declare = p->add_subcommand(
      "declare", "The act happened (outcome: met; unless: failed), with the public evidence.");
  args.declare->add_option("slug", args.slug, "the pledge campaign")->required();
  args.declare->add_option("--evidence", args.evidence, "the public link")->required();
  args.make = p->add_subcommand(
      "make", "Pledge: money-free at once; money: prints the Checkout page to save a card.");
  args.make->add_option("slug", args.slug, "the pledge campaign")->required();
  args.make->add_option("--name", args.name, "the pledger's name")->required();
  args.make->add_option("--email", args.email, "the pledger's address")->required();
  args.make->add_option("--amount", args.amount, "money: e.g. 25.00");
  args.list = p->add_subcommand("list", "List pledge campaigns with their totals.");
  args.show = p->add_subcommand("show", "A pledge campaign's state and totals, as JSON.");
  args.show->add_option("slug", args.slug, "the pledge campaign")->required();
  args.resolve = p->add_subcommand(
      "resolve",
      "Decide what is due, charge, release, tell and remind once (the server does "
      "this on its own).");
  return {args.create, args.declare, args.make, args.list, args.show, args.resolve};
}

int RunPledgeCommand(const PledgeArgs& args, app::App& app, const std::string& base_url,
                     std::ostream& out, int (*report)(const Error&)) {
  service::PledgeService& ps = app.pledges();
  const service::Actor op = service::Actor::Operator();
  if (*args.create) {
    service::PledgeCampaignInput in;
    in.slug = args.slug;
    in.campaign_slug = args.campaign;
    in.fundraiser_slug = args.fundraiser;
    in.description_markdown = args.description;
    PledgeTerms& t = in.terms;
    auto kind = ParsePledgeConditionKind(args.kind);
    if (!kind) return report(Bad("kind", "give count, outcome or unless"));
    t.kind = *kind;
    t.title = args.title;
    t.condition_text = args.condition;
    t.threshold = args.threshold;
    auto subject = ParsePledgeSubjectKind(args.subject_kind);
    if (!subject) {
      return report(Bad("subject_kind", "give company or organization"));
    }
    t.subject_kind = *subject;
    t.subject_name = args.subject;
    t.payee = args.payee;
    auto deadline = ParseUtc(args.deadline);
    if (!deadline) return report(deadline.error());
    t.deadline = *deadline;
    t.money = !args.money_free;
    t.currency = args.currency;
    t.promise = args.promise;
    if (t.money && !args.minimum.empty()) {
      auto m = ParseAmount(args.minimum, t.currency, "minimum");
      if (!m) return report(m.error());
      t.minimum_minor = *m;
    }
    auto c = ps.CreateCampaign(op, in);
    if (!c) return report(c.error());
    out << c->slug << "\n";
    return 0;
  }
  if (*args.declare) {
    auto c = ps.DeclareHappened(op, args.slug, args.evidence);
    if (!c) return report(c.error());
    out << c->slug << " " << PledgeCampaignStatusName(c->status) << "\n";
    return 0;
  }
  if (*args.make) {
    auto view = ps.View(args.slug);
    if (!view) return report(view.error());
    service::PledgeRequest r;
    r.slug = args.slug;
    r.name = args.name;
    r.email = args.email;
    if (view->campaign.terms.money) {
      auto a = ParseAmount(args.amount, view->campaign.terms.currency, "amount");
      if (!a) return report(a.error());
      r.amount_minor = *a;
    }
    r.success_url = base_url + "/p/" + args.slug + "/thanks";
    r.cancel_url = base_url + "/p/" + args.slug;
    auto s = ps.StartPledge(r);
    if (!s) return report(s.error());
    out << s->pledge.id << "\t" << PledgeStatusName(s->pledge.status) << "\t"
        << s->pledge.checkout_session << "\t" << s->checkout_url << "\n";
    return 0;
  }
  if (*args.list) {
    auto all = app.store().pledges().ListPledgeCampaigns();
    if (!all) return report(all.error());
    for (const PledgeCampaign& c : *all) {
      auto t = app.store().pledges().GetPledgeTotals(c.id);
      if (!t) return report(t.error());
      out << c.slug << "\t" << PledgeConditionKindName(c.terms.kind) << "\t"
          << PledgeCampaignStatusName(c.status) << "\t" << t->pledgers << " pledgers";
      if (c.terms.money) {
        out << "\t" << FormatAmount(t->pledged_minor, c.terms.currency) << " pledged\t"
            << FormatAmount(t->collected_minor, c.terms.currency) << " collected "
            << c.terms.currency;
      }
      out << "\n";
    }
    return 0;
  }
  if (*args.show) {
    auto view = ps.View(args.slug);
    if (!view) return report(view.error());
    const PledgeCampaign& c = view->campaign;
    const PledgeTotals& t = view->totals;
    out << "{\"slug\":\"" << c.slug << "\",\"status\":\"" << PledgeCampaignStatusName(c.status)
        << "\",\"pledgers\":" << t.pledgers << ",\"pledged\":" << t.pledged_minor
        << ",\"charged\":" << t.charged << ",\"collected\":" << t.collected_minor
        << ",\"needs_action\":" << t.needs_action << ",\"lapsed\":" << t.lapsed
        << ",\"released\":" << t.released << "}\n";
    return 0;
  }
  service::PledgeResolver resolver(app.store(), Clock::System(), app.payments());
  auto r = resolver.RunOnce();
  if (!r) return report(r.error());
  out << "decided " << r->decided << ", charged " << r->charged << ", need action "
      << r->needs_action << ", retried " << r->retried << ", released " << r->released << ", told "
      << r->told << ", reminded or lapsed " << r->steps << ", postponed " << r->postponed << "\n";
  return 0;
}

}  // namespace undersigned::cli
