#include "cli/signature_commands.h"

#include <map>
#include <ostream>

#include "core/clock.h"
#include "core/moderation.h"
#include "service/moderation.h"

namespace undersigned::cli {
namespace {

void AddFilterOptions(CLI::App* cmd, SignatureArgs& args) {
  cmd->add_option("--range", args.ranges,
                  "a CIDR range of signers' networks, such as 203.0.113.0/24 (repeatable; /24 "
                  "and /48 are the narrowest kept)");
  cmd->add_option("--email-domain", args.email_domain, "signers' email domain, e.g. example.com");
  cmd->add_option("--from", args.from, "signed at or after this time (ISO 8601, UTC)");
  cmd->add_option("--to", args.to, "signed before this time (ISO 8601, UTC)");
  cmd->add_option("--state", args.states, "pending or confirmed (repeatable; default both)")
      ->check(CLI::IsMember({"pending", "confirmed"}));
}

Result<ModerationFilter> FilterOf(const SignatureArgs& args) {
  ModerationFilter f;
  f.campaign_slug = args.slug;
  f.ranges = args.ranges;
  f.email_domain = args.email_domain;
  std::map<std::string, std::string> errors;
  if (!args.from.empty()) {
    f.from = ParseIso8601(args.from);
    if (!f.from) errors["from"] = "write a time such as 2026-12-07T10:00:00Z";
  }
  if (!args.to.empty()) {
    f.to = ParseIso8601(args.to);
    if (!f.to) errors["to"] = "write a time such as 2026-12-07T12:00:00Z";
  }
  for (const std::string& s : args.states) {
    f.states.push_back(s == "pending" ? SignatureState::kPending : SignatureState::kConfirmed);
  }
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return f;
}

bool HasFilter(const SignatureArgs& a) {
  return !a.ranges.empty() || !a.email_domain.empty() || !a.from.empty() || !a.to.empty() ||
         !a.states.empty();
}

void PrintSignature(std::ostream& out, const service::ModeratedSignature& s) {
  out << s.uuid << "  " << SignatureStateName(s.state) << "  " << FormatIso8601(s.created) << "  "
      << s.group << "  " << s.shown_as;
  if (!s.email_domain.empty()) out << "  @" << s.email_domain;
  if (s.name_hidden) out << "  [name hidden]";
  out << "  [comment " << service::CommentReviewName(s.comment_review) << "]";
  if (!s.comment.empty()) {
    std::string c = s.comment.substr(0, 80);
    for (char& ch : c) {
      if (ch == '\n' || ch == '\r' || ch == '\t') ch = ' ';
    }
    out << "  \"" << c << (s.comment.size() > 80 ? "..." : "") << "\"";
  }
  out << "\n";
}

void PrintResult(std::ostream& out, const service::InvalidationResult& r) {
  out << "invalidated " << r.invalidated << " signature(s) (" << r.counted << " had been counted); "
      << r.notified << " signer(s) told; the campaign now counts " << r.counts.confirmed
      << " confirmed\n";
}

}  // namespace

std::vector<CLI::App*> AddSignatureCommands(CLI::App& cli, SignatureArgs& args) {
  CLI::App* sig = cli.add_subcommand(
      "signature",
      "Moderation: hide comments and names, the comment approval queue, invalidate signatures "
      "(one, or by address range, email domain, time window and state after a preview).");
  sig->require_subcommand(1);

  args.hide = sig->add_subcommand(
      "hide",
      "Hide a signature's comment (--comment) or public name (--name); it still counts. "
      "With --show, show it again.");
  args.hide->add_option("slug", args.slug, "the campaign")->required();
  args.hide->add_option("signature", args.uuid, "the signature's id")->required();
  args.hide->add_flag("--comment", args.comment, "its comment");
  args.hide->add_flag("--name", args.name, "its public name");
  args.hide->add_flag("--show", args.show, "show it again instead");

  args.preview = sig->add_subcommand(
      "preview", "How many signatures a filter matches now, with a sample; nothing changes.");
  args.preview->add_option("slug", args.slug, "the campaign")->required();
  AddFilterOptions(args.preview, args);

  args.invalidate = sig->add_subcommand(
      "invalidate",
      "Invalidate one signature (its id), or every one a filter matches (with --expect, the "
      "count its preview showed). They leave every count, list and export; the log records it.");
  args.invalidate->add_option("slug", args.slug, "the campaign")->required();
  args.invalidate->add_option("signature", args.uuid, "one signature's id (or use a filter)");
  AddFilterOptions(args.invalidate, args);
  args.invalidate->add_option("--expect", args.expect,
                              "with a filter: how many its preview matched (refused if the "
                              "match changed since)");
  args.invalidate->add_option("--reason", args.reason, "why, for the record of actions")
      ->required();
  args.invalidate->add_flag("--notify", args.notify,
                            "mail each signer that their signature was removed");

  args.queue_cmd = sig->add_subcommand(
      "queue",
      "The campaign's comment approval queue: on (comments show once approved), off, "
      "or with neither, list the comments waiting.");
  args.queue_cmd->add_option("slug", args.slug, "the campaign")->required();
  args.queue_cmd->add_option("setting", args.queue, "on or off")
      ->check(CLI::IsMember({"on", "off"}));
  args.approve = sig->add_subcommand("approve", "Approve a signature's comment: it shows.");
  args.approve->add_option("slug", args.slug, "the campaign")->required();
  args.approve->add_option("signature", args.uuid, "the signature's id")->required();
  args.reject = sig->add_subcommand("reject", "Reject a signature's comment: it stays hidden.");
  args.reject->add_option("slug", args.slug, "the campaign")->required();
  args.reject->add_option("signature", args.uuid, "the signature's id")->required();
  return {args.hide, args.preview, args.invalidate, args.queue_cmd, args.approve, args.reject};
}

int RunSignatureCommand(const SignatureArgs& args, app::App& app, std::ostream& out,
                        int (*report)(const Error&)) {
  service::ModerationService& m = app.moderation();
  const service::Actor op = service::Actor::Operator();
  if (*args.hide) {
    if (args.comment == args.name) {
      return report(Error{Code::kInvalidArgument, "say what to hide: --comment or --name", {}, 0});
    }
    auto r = args.comment ? m.HideComment(op, args.slug, args.uuid, !args.show)
                          : m.HideName(op, args.slug, args.uuid, !args.show);
    if (!r) return report(r.error());
    PrintSignature(out, *r);
    return 0;
  }
  if (*args.preview) {
    auto f = FilterOf(args);
    if (!f) return report(f.error());
    auto p = m.Preview(op, *f);
    if (!p) return report(p.error());
    out << p->count << " signature(s) match\n";
    for (const auto& s : p->sample) PrintSignature(out, s);
    if (p->count > static_cast<std::int64_t>(p->sample.size())) {
      out << "(and " << p->count - static_cast<std::int64_t>(p->sample.size()) << " more)\n";
    }
    out << "to invalidate them: the same command as invalidate, with --expect " << p->count
        << " --reason \"...\"\n";
    return 0;
  }
  if (*args.invalidate) {
    const bool filter = HasFilter(args);
    if (filter == !args.uuid.empty()) {
      return report(Error{Code::kInvalidArgument,
                          "give either one signature's id or a filter (--range, --email-domain, "
                          "--from, --to, --state), not both",
                          {},
                          0});
    }
    if (!filter) {
      auto r = m.Invalidate(op, args.slug, args.uuid, args.reason, args.notify);
      if (!r) return report(r.error());
      PrintResult(out, *r);
      return 0;
    }
    if (args.expect < 0) {
      return report(Error{Code::kInvalidArgument,
                          "with a filter, give --expect N: the count `signature preview` showed",
                          {},
                          0});
    }
    auto f = FilterOf(args);
    if (!f) return report(f.error());
    auto r = m.InvalidateMatching(op, *f, args.expect, args.reason, args.notify);
    if (!r) return report(r.error());
    PrintResult(out, *r);
    return 0;
  }
  if (*args.queue_cmd) {
    if (!args.queue.empty()) {
      if (auto r = m.SetCommentApproval(op, args.slug, args.queue == "on"); !r) {
        return report(r.error());
      }
      out << "comment approval " << args.queue << " for " << args.slug << "\n";
      return 0;
    }
    auto on = m.CommentApproval(op, args.slug);
    if (!on) return report(on.error());
    auto waiting = m.AwaitingComments(op, args.slug, 1000);
    if (!waiting) return report(waiting.error());
    out << "comment approval is " << (*on ? "on" : "off") << "; " << waiting->size()
        << " comment(s) never reviewed\n";
    for (const auto& s : *waiting) PrintSignature(out, s);
    return 0;
  }
  if (*args.approve || *args.reject) {
    auto r = m.ApproveComment(op, args.slug, args.uuid, static_cast<bool>(*args.approve));
    if (!r) return report(r.error());
    PrintSignature(out, *r);
    return 0;
  }
  return -1;
}

}  // namespace undersigned::cli
