// The options of `campaign create` and `campaign edit`, and how they become a Campaign.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/campaign.h"

namespace undersigned::cli {

struct CampaignArgs {
  std::optional<std::string> slug, title, demand, letter, letter_file, deadline, language, status;
  std::optional<std::string> time_zone;     // IANA name; a date deadline ends that day there
  std::optional<std::string> organized_by;  // "" clears it
  std::optional<std::int64_t> goal;
  std::optional<std::int64_t> threshold;  // 0 removes it
  std::vector<std::string> targets;       // "Name|Title|Organization|x_handle|bluesky|mastodon"
  std::vector<std::string> organizers;    // replace the list when given; "" clears it
  // "kind=employees; key=staff; name=Acme staff; organization=Acme; domains=acme.com,acme.de;
  // seal=50,500; goal=100" (see ParseGroupSpec in core/group.h); replace the list when given; ""
  // clears it.
  std::vector<std::string> groups;
  std::optional<int> anonymity_floor;
};

void AddCampaignOptions(CLI::App* sub, CampaignArgs& args, bool creating);

// Applies the given options over base. kInvalidArgument for a bad target, deadline, status or
// unreadable letter file. Validation of the result is the service's.
Result<Campaign> BuildCampaign(const CampaignArgs& args, Campaign base);

}  // namespace undersigned::cli
