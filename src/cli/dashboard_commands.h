// `undersigned dashboard SLUG`: a campaign's dashboard from the server's shell, as its operator:
// the figures (counts, confirmation rate, signatures per hour or day, counts by group, country
// and source, the outbox) as JSON, or with --csv the organizers' list of its signatures. The
// command calls service::DashboardService, as the console's pages do.
#pragma once

#include <iosfwd>
#include <string>

#include <CLI/CLI.hpp>

#include "app/app.h"

namespace undersigned::cli {

struct DashboardArgs {
  std::string slug;
  std::string per = "hour";
  int top = 10;
  bool csv = false;
  std::string search, source, state;
  CLI::App* command = nullptr;
};

// Adds the `dashboard` command to cli and returns it (to give it --store).
CLI::App* AddDashboardCommand(CLI::App& cli, DashboardArgs& args);

// Runs it if it was given: its exit code, or -1 if it was not. Errors through report.
int RunDashboardCommand(const DashboardArgs& args, app::App& app, std::ostream& out,
                        int (*report)(const Error&));

}  // namespace undersigned::cli
