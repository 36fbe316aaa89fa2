#include "http/pages/share.h"

#include "render/escape.h"

namespace undersigned::http::pages {
namespace {

using undersigned::PercentEncode;

std::string WithAt(std::string_view handle) {
  std::string h(handle);
  while (!h.empty() && (h.front() == ' ')) h.erase(h.begin());
  if (h.empty()) return h;
  if (h.front() != '@') h.insert(h.begin(), '@');
  return h;
}

std::string Recipient(const Target& t, Network network) {
  switch (network) {
    case Network::kX:
      if (!t.x_handle.empty()) return WithAt(t.x_handle);
      break;
    case Network::kBluesky:
      if (!t.bluesky_handle.empty()) return WithAt(t.bluesky_handle);
      break;
    case Network::kMastodon:
      if (!t.mastodon_handle.empty()) return WithAt(t.mastodon_handle);
      break;
    case Network::kPlain:
      break;
  }
  return t.name;
}

// Number of Unicode code points (what X counts, roughly).
std::size_t CodePoints(std::string_view s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80 ? 1 : 0;
  return n;
}

// The first max code points of s, cut at a character boundary, with "…" if shortened.
std::string Shorten(std::string_view s, std::size_t max) {
  if (CodePoints(s) <= max) return std::string(s);
  std::size_t count = 0;
  std::size_t i = 0;
  for (; i < s.size(); ++i) {
    if ((static_cast<unsigned char>(s[i]) & 0xC0) != 0x80) {
      if (count == max - 1) break;
      ++count;
    }
  }
  std::string out(s.substr(0, i));
  while (!out.empty() && out.back() == ' ') out.pop_back();
  return out + "\u2026";
}

}  // namespace

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

std::string ShareMessage(const Campaign& c, Network network, std::string_view campaign_url) {
  std::vector<std::string> recipients;
  for (const Target& t : c.targets) {
    std::string r = Recipient(t, network);
    if (!r.empty()) recipients.push_back(std::move(r));
  }
  std::string to = JoinNames(recipients);
  std::string title = c.title;
  if (network == Network::kX) {
    // 280 characters; X counts any URL as 23. Keep a margin for the fixed words.
    const std::size_t fixed = CodePoints(to) + 23 + 48;
    const std::size_t room = fixed < 280 ? 280 - fixed : 0;
    title = Shorten(title, room < 20 ? 20 : room);
  }
  std::string msg = "I signed \u201C" + title + "\u201D";
  if (!to.empty()) msg += " to " + to;
  msg += ". Add your name: ";
  msg += campaign_url;
  return msg;
}

std::string ChannelUrl(std::string_view campaign_url, std::string_view channel) {
  const char joint = campaign_url.find('?') == std::string_view::npos ? '?' : '&';
  return std::string(campaign_url) + joint + "s=" + PercentEncode(channel);
}

std::string ShareIntentUrl(std::string_view network, std::string_view text, std::string_view link,
                           std::string_view subject) {
  if (network == "x") return "https://x.com/intent/tweet?text=" + PercentEncode(text);
  if (network == "bluesky") return "https://bsky.app/intent/compose?text=" + PercentEncode(text);
  if (network == "facebook") {
    return "https://www.facebook.com/sharer/sharer.php?u=" + PercentEncode(link);
  }
  if (network == "linkedin") {
    return "https://www.linkedin.com/sharing/share-offsite/?url=" + PercentEncode(link);
  }
  if (network == "whatsapp") return "https://wa.me/?text=" + PercentEncode(text);
  if (network == "email") {
    return "mailto:?subject=" + PercentEncode(subject) + "&body=" + PercentEncode(text);
  }
  return "";
}

std::string ReferralUrl(std::string_view campaign_url, std::string_view referral) {
  if (referral.empty()) return std::string(campaign_url);
  return std::string(campaign_url) + "?ref=" + PercentEncode(referral);
}

ShareSet BuildShareLinks(const Campaign& c, std::string_view page_url, std::string_view referral) {
  const std::string campaign_url = ReferralUrl(page_url, referral);
  ShareSet s;
  s.text = ShareMessage(c, Network::kPlain, ChannelUrl(campaign_url, "copy"));
  const std::string x = ShareMessage(c, Network::kX, ChannelUrl(campaign_url, "x"));
  const std::string bsky = ShareMessage(c, Network::kBluesky, ChannelUrl(campaign_url, "bluesky"));
  const std::string whatsapp =
      ShareMessage(c, Network::kPlain, ChannelUrl(campaign_url, "whatsapp"));
  const std::string email = ShareMessage(c, Network::kPlain, ChannelUrl(campaign_url, "email"));
  s.links.push_back({"x", "Share on X", ShareIntentUrl("x", x, "", "")});
  s.links.push_back({"bluesky", "Share on Bluesky", ShareIntentUrl("bluesky", bsky, "", "")});
  s.links.push_back({"mastodon", "Share on Mastodon",
                     ReferralUrl("/c/" + PercentEncode(c.slug) + "/share/mastodon", referral)});
  s.links.push_back({"facebook", "Share on Facebook",
                     ShareIntentUrl("facebook", "", ChannelUrl(campaign_url, "facebook"), "")});
  s.links.push_back(
      {"whatsapp", "Share on WhatsApp", ShareIntentUrl("whatsapp", whatsapp, "", "")});
  s.links.push_back({"email", "Share by email", ShareIntentUrl("email", email, "", c.title)});
  return s;
}

std::optional<std::string> NormalizeMastodonServer(std::string_view typed) {
  std::string s;
  for (char c : typed) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    s += c;
  }
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.erase(s.begin());
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.pop_back();
  for (std::string_view scheme : {"https://", "http://"}) {
    if (s.rfind(scheme, 0) == 0) s.erase(0, scheme.size());
  }
  if (std::size_t slash = s.find_first_of("/?#"); slash != std::string::npos) s.resize(slash);
  if (std::size_t at = s.rfind('@'); at != std::string::npos) s.erase(0, at + 1);
  if (s.empty() || s.size() > 253 || s.find('.') == std::string::npos) return std::nullopt;
  std::size_t start = 0;
  while (true) {
    std::size_t dot = s.find('.', start);
    std::string_view label = std::string_view(s).substr(
        start, dot == std::string::npos ? std::string::npos : dot - start);
    if (label.empty() || label.size() > 63 || label.front() == '-' || label.back() == '-') {
      return std::nullopt;
    }
    for (char c : label) {
      if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return std::nullopt;
    }
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  return s;
}

std::string MastodonShareUrl(std::string_view server, std::string_view message) {
  return "https://" + std::string(server) + "/share?text=" + PercentEncode(message);
}

}  // namespace undersigned::http::pages
