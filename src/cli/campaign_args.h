// The options of `campaign create` and `campaign edit`, and how they become a Campaign.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "core/campaign.h"
#include "service/campaigns.h"

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
  // A file of the people who can move the targets and their posts (core/share_target.h's text
  // form); replaces the list; "" clears it.
  std::optional<std::string> secondary_targets;
  std::optional<std::string> image;      // a PNG or JPEG file to show on the page; "" removes it
  std::optional<std::string> image_alt;  // what the picture shows (required with a new one)
};

void AddCampaignOptions(CLI::App* sub, CampaignArgs& args, bool creating);

// Applies the given options over base. kInvalidArgument for a bad target, deadline, status or
// unreadable letter file. Validation of the result is the service's.
Result<Campaign> BuildCampaign(const CampaignArgs& args, Campaign base);

// The picture options, read and checked before anything is stored (so that `campaign create`
// with a bad picture creates nothing): the file's bytes (empty: none given), or an error naming
// the option.
Result<std::string> ReadImageArgs(const CampaignArgs& args, const Campaign& current);
// Applies them to the stored campaign c through the service: a new picture (image_bytes), a new
// description alone, or the removal (--image ""). Returns c as it is then.
Result<Campaign> ApplyImageArgs(const CampaignArgs& args, const std::string& image_bytes,
                                service::CampaignService& campaigns, const Campaign& c);

}  // namespace undersigned::cli
