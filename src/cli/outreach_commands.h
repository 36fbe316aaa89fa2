// `undersigned update ...` (updates to signers) and `undersigned deliver --send` (the letter to
// its targets by email) from the server's shell, as its operator. The commands call
// service::UpdateService and service::TargetDeliveryService, as the console's pages do; a
// running server's UpdateScheduler sends what they schedule (within a few seconds).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/app.h"

namespace undersigned::cli {

struct UpdateArgs {
  std::string slug;
  std::int64_t id = 0;
  std::string subject, body, body_file, to, at;
  CLI::App* create = nullptr;
  CLI::App* edit = nullptr;
  CLI::App* preview = nullptr;
  CLI::App* test = nullptr;
  CLI::App* send = nullptr;
  CLI::App* unschedule = nullptr;
  CLI::App* list = nullptr;
  bool any() const {
    return *create || *edit || *preview || *test || *send || *unschedule || *list;
  }
};

// Adds the `update` command and its subcommands; returns those that touch the store.
std::vector<CLI::App*> AddUpdateCommands(CLI::App& cli, UpdateArgs& args);

// Runs the parsed update subcommand: its exit code. REQUIRES: args.any().
int RunUpdateCommand(const UpdateArgs& args, app::App& app, std::ostream& out,
                     int (*report)(const Error&));

// `deliver SLUG --send`: records the delivery, queues one mail per target address with the
// letter as a PDF, and tells the signers who asked for updates. Prints what it did.
int RunDeliverSend(const std::string& slug, app::App& app, const std::string& base_url,
                   std::ostream& out, int (*report)(const Error&));

}  // namespace undersigned::cli
