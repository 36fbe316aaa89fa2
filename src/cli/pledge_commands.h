// `undersigned pledge ...` (issue 14 part 3): declare a pledge campaign and its condition,
// declare that its act happened (with the evidence link), pledge (money-free at once; money:
// prints the Checkout page where the card is saved), list and show campaigns with their live
// totals, and run the resolution once. The commands call service::PledgeService and
// service::PledgeResolver, as the pages and the server's scheduler do. Amounts are decimal
// strings ("25.00") in the campaign's currency; times are UTC, "2027-03-01T00:00:00Z".
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/app.h"

namespace undersigned::cli {

struct PledgeArgs {
  std::string slug, campaign, fundraiser, title, description, kind = "count", condition;
  std::string subject_kind, subject, payee, promise, deadline, currency = "USD", minimum;
  std::int64_t threshold = 0;
  bool money_free = false;
  std::string evidence, name, email, amount, base_url;
  CLI::App* create = nullptr;
  CLI::App* declare = nullptr;
  CLI::App* make = nullptr;
  CLI::App* list = nullptr;
  CLI::App* show = nullptr;
  CLI::App* resolve = nullptr;
  bool any() const { return *create || *declare || *make || *list || *show || *resolve; }
};

// Adds the `pledge` command and its subcommands; returns those that touch the store.
std::vector<CLI::App*> AddPledgeCommands(CLI::App& cli, PledgeArgs& args);

// Runs the parsed subcommand: its exit code. base_url: the site's, for Checkout's return
// pages. REQUIRES: args.any().
int RunPledgeCommand(const PledgeArgs& args, app::App& app, const std::string& base_url,
                     std::ostream& out, int (*report)(const Error&));

}  // namespace undersigned::cli
