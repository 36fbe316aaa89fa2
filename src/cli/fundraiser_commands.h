// `undersigned fundraiser ...` (issue 14): make, open, close and list fundraisers, record an
// offline gift and export the donations, from the server's shell, as its operator. The commands
// call service::FundraisingService, as the pages and the API do. Amounts are decimal strings
// ("25.00") in the fundraiser's currency.
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/app.h"

namespace undersigned::cli {

struct FundraiserArgs {
  std::string slug, campaign, title, story, goal, currency = "USD", status;
  std::vector<std::string> suggested, items;
  bool monthly = false;
  std::string amount, method = "cash", reference, donor_name, donor_email, line_item;
  bool named = false;
  CLI::App* create = nullptr;
  CLI::App* set_status = nullptr;
  CLI::App* gift = nullptr;
  CLI::App* list = nullptr;
  CLI::App* csv = nullptr;
  bool any() const { return *create || *set_status || *gift || *list || *csv; }
};

// Adds the `fundraiser` command and its subcommands; returns those that touch the store.
std::vector<CLI::App*> AddFundraiserCommands(CLI::App& cli, FundraiserArgs& args);

// Runs the parsed subcommand: its exit code. REQUIRES: args.any().
int RunFundraiserCommand(const FundraiserArgs& args, app::App& app, std::ostream& out,
                         int (*report)(const Error&));

}  // namespace undersigned::cli
