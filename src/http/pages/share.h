// Share links for a campaign: a pre-written message per network that names the targets by
// their handles there (X, Bluesky, Mastodon) or by name (Facebook, WhatsApp, email), with the
// campaign URL, each percent-encoded into the network's share URL. Pure functions, thread-safe.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/campaign.h"

namespace undersigned::http::pages {

enum class Network { kX, kBluesky, kMastodon, kPlain };

struct ShareLink {
  std::string network;  // "x", "bluesky", "mastodon", "facebook", "whatsapp", "email"
  std::string label;    // "Share on X"
  std::string url;      // absolute, except Mastodon's: our own page /c/<slug>/share/mastodon
};

struct ShareSet {
  std::string text;  // the plain message (names, not handles), shown on the page
  std::vector<ShareLink> links;
};

// The message for a network, ending with campaign_url. Handles are written "@handle" (X,
// Bluesky) or "@user@server" (Mastodon); a target without a handle there is named instead.
// For X the title is shortened so the post fits in 280 characters.
std::string ShareMessage(const Campaign& c, Network network, std::string_view campaign_url);

// Every link's message names campaign_url with the link's channel (ChannelUrl), so that a
// signature that arrives through it is counted by channel (core/origin.h); text, shown on the
// page to copy, carries the channel "copy". referral: a signer's personal code
// (service/referrals.h), carried by every link as ?ref= (Mastodon's page passes it on); "" for
// the campaign's own links.
ShareSet BuildShareLinks(const Campaign& c, std::string_view campaign_url,
                         std::string_view referral = "");
// campaign_url (without a query) with ?ref=<referral>, or campaign_url if referral is "".
std::string ReferralUrl(std::string_view campaign_url, std::string_view referral);

// Where a post goes for a network ("x", "bluesky", "facebook", "whatsapp", "linkedin", "email"):
// the network's share intent with text (X, Bluesky, WhatsApp; for email the body, with subject),
// or with link alone (Facebook and LinkedIn take no text). "" for any other network (Mastodon's
// depends on the visitor's server: MastodonShareUrl).
std::string ShareIntentUrl(std::string_view network, std::string_view text, std::string_view link,
                           std::string_view subject);

// campaign_url with s=<channel> added to its query (?s= or &s=): how our share links say where
// they were shared (http/pages/origin.h reads it back).
std::string ChannelUrl(std::string_view campaign_url, std::string_view channel);

// "Ada", "Ada and Bob", "Ada, Bob and Cy".
std::string JoinNames(const std::vector<std::string>& names);

// The server part of what someone typed as their Mastodon server: accepts "mastodon.social",
// "https://mastodon.social/", "@me@mastodon.social"; lower-cased. nullopt if it is not a DNS
// host name with a dot.
std::optional<std::string> NormalizeMastodonServer(std::string_view typed);

// https://<server>/share?text=<message>
std::string MastodonShareUrl(std::string_view server, std::string_view message);

}  // namespace undersigned::http::pages
