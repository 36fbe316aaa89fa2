#include "cli/outreach_commands.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "core/clock.h"
#include "service/target_delivery.h"

namespace undersigned::cli {

std::vector<CLI::App*> AddUpdateCommands(CLI::App& cli, UpdateArgs& args) {
  CLI::App* update = cli.add_subcommand(
      "update",
      "Updates to the signers who asked for them: write one (Markdown), preview it, send a test, "
      "then send it now or at a set time. Each mail carries a one-click unsubscribe link.");
  update->require_subcommand(1);
  args.create = update->add_subcommand("create", "Write a new update (a draft); prints its id.");
  args.create->add_option("slug", args.slug, "campaign slug")->required();
  args.edit = update->add_subcommand("edit", "Change a draft's subject and body.");
  args.edit->add_option("id", args.id, "the update's id")->required();
  for (CLI::App* sub : {args.create, args.edit}) {
    sub->add_option("--subject", args.subject, "the mail's subject (one line)")->required();
    sub->add_option("--body", args.body, "the text, in Markdown");
    sub->add_option("--body-file", args.body_file, "a file holding the text, in Markdown")
        ->check(CLI::ExistingFile);
  }
  args.preview = update->add_subcommand(
      "preview", "Show the update as HTML and how many signers it would reach now.");
  args.preview->add_option("id", args.id, "the update's id")->required();
  args.test = update->add_subcommand("test", "Send one test copy (no unsubscribe link).");
  args.test->add_option("id", args.id, "the update's id")->required();
  args.test->add_option("--to", args.to, "the address the test goes to")->required();
  args.send = update->add_subcommand(
      "send",
      "Send the update to every confirmed signer who asked for updates and has not "
      "unsubscribed: now, or --at a time. A running server sends it.");
  args.send->add_option("id", args.id, "the update's id")->required();
  args.send->add_option("--at", args.at, "when, e.g. 2026-12-24T09:00:00Z (default: now)");
  args.unschedule = update->add_subcommand(
      "unschedule", "Call off a scheduled update before it starts going out: it is a draft again.");
  args.unschedule->add_option("id", args.id, "the update's id")->required();
  args.list = update->add_subcommand("list", "A campaign's updates and their delivery counts.");
  args.list->add_option("slug", args.slug, "campaign slug")->required();
  return {args.create, args.edit, args.preview, args.test, args.send, args.unschedule, args.list};
}

int RunUpdateCommand(const UpdateArgs& args, app::App& app, std::ostream& out,
                     int (*report)(const Error&)) {
  service::UpdateService& updates = app.updates();
  const service::Actor op = service::Actor::Operator();
  if (*args.create || *args.edit) {
    std::string body = args.body;
    if (!args.body_file.empty()) {
      std::ifstream in(args.body_file, std::ios::binary);
      std::ostringstream s;
      s << in.rdbuf();
      body = s.str();
    }
    auto u = *args.create ? updates.Draft(op, args.slug, args.subject, body)
                          : updates.Edit(op, args.id, args.subject, body);
    if (!u) return report(u.error());
    out << u->id << "\n";
    return 0;
  }
  if (*args.preview) {
    auto p = updates.Preview(op, args.id);
    if (!p) return report(p.error());
    out << "subject: " << p->update.subject << "\nstate: " << UpdateStateName(p->update.state)
        << "\nrecipients now: " << p->recipients << "\n\n"
        << p->html;
    return 0;
  }
  if (*args.test) {
    auto r = updates.TestSend(op, args.id, args.to);
    if (!r) return report(r.error());
    out << "test queued to " << args.to << "\n";
    return 0;
  }
  if (*args.send) {
    std::optional<UnixTime> at;
    if (!args.at.empty()) {
      at = ParseIso8601(args.at);
      if (!at) {
        return report(Error{Code::kInvalidArgument,
                            "--at '" + args.at + "' is not a time like 2026-12-24T09:00:00Z",
                            {},
                            0});
      }
    }
    auto u = updates.Send(op, args.id, at);
    if (!u) return report(u.error());
    out << "update " << u->id << " is scheduled for " << FormatIso8601(u->send_at.value_or(0))
        << "\n";
    return 0;
  }
  if (*args.unschedule) {
    auto u = updates.Unschedule(op, args.id);
    if (!u) return report(u.error());
    out << "update " << u->id << " is a draft again\n";
    return 0;
  }
  if (*args.list) {
    auto list = updates.List(op, args.slug);
    if (!list) return report(list.error());
    out << "ID\tSTATE\tKIND\tSEND_AT\tQUEUED\tSENT\tFAILED\tUNSUBSCRIBED\tSUBJECT\n";
    for (const auto& s : *list) {
      out << s.update.id << "\t" << UpdateStateName(s.update.state) << "\t" << s.update.kind << "\t"
          << (s.update.send_at ? FormatIso8601(*s.update.send_at) : "-") << "\t" << s.counts.queued
          << "\t" << s.counts.sent << "\t" << s.counts.failed << "\t" << s.counts.unsubscribed
          << "\t" << s.update.subject << "\n";
    }
    return 0;
  }
  return 0;
}

int RunDeliverSend(const std::string& slug, app::App& app, const std::string& base_url,
                   std::ostream& out, int (*report)(const Error&)) {
  service::TargetDeliveryService delivery(app.store(), app.accounts(), app.updates(),
                                          Clock::System(), base_url);
  auto rec = delivery.Send(service::Actor::Operator(), slug);
  if (!rec) return report(rec.error());
  out << "delivery " << rec->id << " queued to";
  for (const std::string& to : rec->recipients) out << " " << to;
  out << ", with " << rec->confirmed << " signatures";
  if (rec->checkpoint_size > 0) out << " (log checkpoint of size " << rec->checkpoint_size << ")";
  out << "; the signers who asked for updates will be told\n";
  return 0;
}

}  // namespace undersigned::cli
