// `undersigned signature ...`: moderation from the server's shell, as its operator (who may do
// what an administrator does), beside a running server: hide or show a comment or a public name,
// run a campaign's comment approval queue, preview and invalidate signatures, one or every one a
// filter matches. The commands call service::ModerationService, as the console's pages do.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/app.h"

namespace undersigned::cli {

struct SignatureArgs {
  std::string slug;
  std::string uuid;
  // The bulk filter (core/moderation.h).
  std::vector<std::string> ranges;
  std::string email_domain;
  std::string from, to;  // ISO 8601
  std::vector<std::string> states;
  std::int64_t expect = -1;
  std::string reason;
  bool notify = false;
  bool comment = false, name = false, show = false;
  std::string queue;  // on|off
  CLI::App* hide = nullptr;
  CLI::App* preview = nullptr;
  CLI::App* invalidate = nullptr;
  CLI::App* queue_cmd = nullptr;
  CLI::App* approve = nullptr;
  CLI::App* reject = nullptr;
};

// Adds the `signature` command and its subcommands to cli; returns the subcommands (to give
// them --store).
std::vector<CLI::App*> AddSignatureCommands(CLI::App& cli, SignatureArgs& args);

// Runs the parsed signature subcommand, if one was given: its exit code, or -1 if none was.
// Errors are reported through report (main's Report).
int RunSignatureCommand(const SignatureArgs& args, app::App& app, std::ostream& out,
                        int (*report)(const Error&));

}  // namespace undersigned::cli
