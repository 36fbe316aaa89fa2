// Where a campaign's picture is served (pages/campaign_page.cc), for the pages, the console and
// the API that link to it: /c/<slug>/picture.jpg?v=<version>, the version being the first 16
// hex digits of the picture's sha256, so that a new picture gets a new address and each address
// can be cached for good. Pure functions.
#pragma once

#include <string>
#include <string_view>

#include "core/campaign.h"
#include "http/url.h"

namespace undersigned::http {

inline std::string PictureVersion(const CampaignImage& image) { return image.sha256.substr(0, 16); }

// From the site's root; prefix the base URL for an absolute one.
inline std::string PicturePath(std::string_view slug, const CampaignImage& image) {
  return "/c/" + PercentEncode(slug) + "/picture.jpg?v=" + PictureVersion(image);
}

}  // namespace undersigned::http
