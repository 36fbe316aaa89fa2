// `undersigned user ...`: organizer accounts from the server's shell, as its operator (who may
// do what an administrator does). The commands call service::AccountService, as the console's
// pages do.
#pragma once

#include <iosfwd>
#include <string>

#include <CLI/CLI.hpp>

#include "app/app.h"

namespace undersigned::cli {

struct UserArgs {
  std::string email;
  std::string name;
  // admin or organizer; empty (not given): admin for the first user, organizer after that.
  std::string role;
  bool password_stdin = false;
  CLI::App* create = nullptr;
  CLI::App* list = nullptr;
  CLI::App* disable = nullptr;
};

// Adds the `user` command and its subcommands to cli; returns the subcommands that touch the
// store (to give them --store).
std::vector<CLI::App*> AddUserCommands(CLI::App& cli, UserArgs& args);

// Runs the parsed user subcommand, if one was given: its exit code, or -1 if none was.
// base_url: the site's public URL, for the sign-in link `user create` prints.
// Errors are reported through report (main's Report).
int RunUserCommand(const UserArgs& args, app::App& app, const std::string& base_url,
                   std::istream& in, std::ostream& out, std::ostream& err,
                   int (*report)(const Error&));

}  // namespace undersigned::cli
