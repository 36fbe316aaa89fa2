#include "http/pages/embed.h"

#include <algorithm>
#include <charconv>
#include <utility>
#include <vector>

#include <sodium.h>
#include <nlohmann/json.hpp>

#include "http/pages/campaign_page.h"
#include "http/pages/origin.h"
#include "http/pages/public_site.h"
#include "http/url.h"
#include "render/escape.h"
#include "render/text.h"

namespace undersigned::http::pages {
namespace {

using render::Data;
using render::Spliced;

// The frames' sizes (CSS pixels) when the embedding site asks for nothing smaller: the widget
// holds the form of a campaign with groups on a phone's width; the counter a number and a bar.
constexpr int kWidgetWidth = 400;
constexpr int kWidgetHeight = 720;
constexpr int kCounterWidth = 320;
constexpr int kCounterHeight = 200;

bool IsHostChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
         c == '.' || c == '*' || c == ':' || c == '[' || c == ']';
}

// One source of frame-ancestors: http(s)://host[:port], the host possibly starting with "*.".
bool ValidSource(std::string_view s) {
  std::string_view rest;
  if (s.starts_with("https://")) {
    rest = s.substr(8);
  } else if (s.starts_with("http://")) {
    rest = s.substr(7);
  } else {
    return false;
  }
  if (rest.ends_with("/")) rest.remove_suffix(1);
  if (rest.empty() || !std::all_of(rest.begin(), rest.end(), IsHostChar)) return false;
  // A wildcard only as the first label ("*.example.org"), as CSP allows.
  const auto star = rest.find('*');
  if (star != std::string_view::npos && (star != 0 || !rest.starts_with("*."))) return false;
  return rest.find('*', 1) == std::string_view::npos;
}

std::string Day(UnixTime now) { return std::to_string(now / 86400); }

std::string Frame(const std::string& url, int width, int height, const std::string& title) {
  // No style attribute (a strict style-src on the embedding page would refuse it); sandboxed,
  // keeping our origin (the form's POST must carry it) and letting links open a normal tab.
  return "<iframe src=\"" + render::EscapeHtml(url) + "\" width=\"" + std::to_string(width) +
         "\" height=\"" + std::to_string(height) + "\" title=\"" + render::EscapeHtml(title) +
         "\" loading=\"lazy\" sandbox=\"allow-forms allow-scripts allow-same-origin "
         "allow-popups allow-popups-to-escape-sandbox\"></iframe>";
}

int Fit(int size, int max) { return max > 0 ? std::min(size, max) : size; }

// A positive integer query parameter; 0 when absent; -1 when malformed.
int SizeParam(const Request& req, const char* name) {
  auto v = req.Query(name);
  if (!v || v->empty()) return 0;
  int n = 0;
  auto [p, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || p != v->data() + v->size() || n < 1) return -1;
  return n;
}

Response JsonProblem(int status, const std::string& message) {
  nlohmann::json j = {{"error", message}};
  Response r = Response::Json(j.dump(), status);
  r.Header("Access-Control-Allow-Origin", "*");
  return r;
}

}  // namespace

Result<std::string> ParseFrameAncestors(std::string_view value) {
  std::string out;
  std::string item;
  std::vector<std::string> items;
  for (char c : std::string(value) + " ") {
    if (c == ' ' || c == ',' || c == '\t') {
      if (!item.empty()) items.push_back(std::move(item));
      item.clear();
    } else {
      item.push_back(c);
    }
  }
  if (items.empty() || (items.size() == 1 && (items[0] == "none" || items[0] == "'none'"))) {
    return std::string();
  }
  if (items.size() == 1 && items[0] == "*") return std::string("*");
  for (const std::string& s : items) {
    if (!ValidSource(s)) {
      return Fail(Code::kInvalidArgument,
                  "\"" + s +
                      "\" is not a site: give \"*\" (any site), \"none\", or origins such as "
                      "https://union.example.org or https://*.example.org, separated by spaces");
    }
    if (!out.empty()) out += ' ';
    out += s;
  }
  return out;
}

std::string EmbedTokens::TokenFor(std::string_view slug, UnixTime now) const {
  return csrf_.TokenFor("embed\n" + std::string(slug) + "\n" + Day(now));
}

bool EmbedTokens::Verify(std::string_view slug, std::string_view token, UnixTime now) const {
  // Csrf::Verify takes only a cookie's nonce; the day's text is compared here, in constant time.
  auto matches = [&](UnixTime day) {
    const std::string expected = TokenFor(slug, day);
    return token.size() == expected.size() &&
           sodium_memcmp(expected.data(), token.data(), expected.size()) == 0;
  };
  return matches(now) || matches(now - 86400);
}

EmbedSnippet WidgetSnippet(std::string_view base_url, const Campaign& c, int max_width,
                           int max_height) {
  EmbedSnippet s;
  s.url = CampaignUrl(base_url, c.slug) + "/embed";
  s.width = Fit(kWidgetWidth, max_width);
  s.height = Fit(kWidgetHeight, max_height);
  s.html = Frame(s.url, s.width, s.height, "Sign: " + c.title);
  return s;
}

EmbedSnippet CounterSnippet(std::string_view base_url, const Campaign& c, int max_width,
                            int max_height) {
  EmbedSnippet s;
  s.url = CampaignUrl(base_url, c.slug) + "/embed/count";
  s.width = Fit(kCounterWidth, max_width);
  s.height = Fit(kCounterHeight, max_height);
  s.html = Frame(s.url, s.width, s.height, "Signatures: " + c.title);
  return s;
}

EmbedPages::EmbedPages(PageKit& kit, std::string frame_ancestors)
    : kit_(kit),
      frame_ancestors_(std::move(frame_ancestors)),
      csp_(
          "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
          "connect-src 'self'; form-action 'self'; frame-ancestors " +
          frame_ancestors_ + "; base-uri 'none'"),
      own_host_(ReferrerHost(kit.base_url())),
      tokens_(kit.csrf()) {}

void EmbedPages::Frameable(Response* r) const {
  if (!enabled()) return;  // the site's headers: framed by nobody
  r->Header("Content-Security-Policy", csp_);
  r->Header("X-Frame-Options", "");  // left out (http/wire.h): frame-ancestors decides
  // The frame's links name the campaign; the embedding site learns nothing it did not show.
  r->Header("Referrer-Policy", "strict-origin-when-cross-origin");
}

std::array<std::string, 4> EmbedPages::CountSlots(std::int64_t confirmed, std::int64_t goal) {
  if (goal < 1) goal = 1;
  return {render::FormatThousands(confirmed), confirmed == 1 ? "signature" : "signatures",
          std::to_string(confirmed < 0 ? 0 : std::min(confirmed, goal)),
          std::to_string(render::PercentOf(confirmed, goal))};
}

Result<std::string> EmbedPages::Render(const SnapshotPtr& snap, bool open, const FormState* form,
                                       bool counter) {
  const Campaign& c = snap->campaign;
  Data d = CampaignPageData(*snap, kit_.base_url(), kit_.site(), open);
  d.set("noindex", Data(true));
  d.set("canonical_url", Data(false));
  d.set("og_image", Data(false));
  d.set("page_title", (counter ? "Signatures: " : "Sign: ") + c.title);
  if (form == nullptr) {
    Data count = CountData(snap->counts.confirmed, c.goal);
    count.set("confirmed_text", render::SlotPlaceholder(1));
    count.set("noun", render::SlotPlaceholder(2));
    count.set("value", render::SlotPlaceholder(3));
    count.set("percent", render::SlotPlaceholder(4));
    d.set("count", count);
  }
  if (!counter) {
    FormState f;
    if (form != nullptr) {
      f = *form;
    } else {
      f.csrf = render::SlotPlaceholder(0);
      f.origin_html = render::SlotPlaceholder(5);
    }
    f.action = "/c/" + PercentEncode(c.slug) + "/embed/sign";
    d.set("form", FormData(f, c.groups, &snap->counts, c.anonymity_floor));
  }
  return kit_.Render(counter ? "embed_count" : "embed", d);
}

std::shared_ptr<const Spliced> EmbedPages::CachedPage(const SnapshotPtr& snap, bool open,
                                                      bool counter) {
  auto& cache = counter ? counters_ : widgets_;
  {
    std::lock_guard lock(mu_);
    auto it = cache.find(snap->campaign.slug);
    if (it != cache.end() && it->second.open == open &&
        (it->second.rendered->version == snap->version ||
         SameRenderedForm(*it->second.rendered, *snap))) {
      return it->second.page;
    }
  }
  auto html = Render(snap, open, nullptr, counter);
  if (!html) return nullptr;
  auto page = std::make_shared<const Spliced>(Spliced::Cut(*html, 6));
  std::lock_guard lock(mu_);
  auto [it, inserted] = cache.try_emplace(snap->campaign.slug);
  if (inserted || it->second.rendered->version <= snap->version) {
    it->second = Cached{snap, open, page};
  }
  return page;
}

Response EmbedPages::Widget(const Request& req) { return Page(req, /*counter=*/false); }

Response EmbedPages::Counter(const Request& req) { return Page(req, /*counter=*/true); }

Response EmbedPages::Page(const Request& req, bool counter) {
  SnapshotPtr snap = enabled() ? kit_.PublicSnapshot(req.Param("slug")) : nullptr;
  if (!snap) return Message(CampaignNotFound(), nullptr);
  const UnixTime now = kit_.clock().Now();
  const bool open = TakesSignatures(snap->campaign, now);
  auto page = CachedPage(snap, open, counter);
  if (!page) return kit_.InternalError();
  const auto count = CountSlots(snap->counts.confirmed, snap->campaign.goal);
  const std::string token = counter ? std::string() : tokens_.TokenFor(snap->campaign.slug, now);
  // Where the visitor came from: the embedding page, when its Referrer-Policy tells.
  const std::string origin =
      counter ? std::string() : OriginInputHtml(LandingOrigin(req, own_host_));
  Response r = Response::Html(page->Fill({token, count[0], count[1], count[2], count[3], origin}));
  r.Header("Cache-Control", "no-cache");
  Frameable(&r);
  return r;
}

Response EmbedPages::WidgetWithForm(const SnapshotPtr& snap, FormState form) {
  form.csrf = tokens_.TokenFor(snap->campaign.slug, kit_.clock().Now());
  auto html =
      Render(snap, TakesSignatures(snap->campaign, kit_.clock().Now()), &form, /*counter=*/false);
  if (!html) return kit_.InternalError();
  Response r = HtmlPage(*html, 422, "no-store");
  Frameable(&r);
  return r;
}

Response EmbedPages::Message(const ErrorSpec& e, const Campaign* c) {
  Data d = c != nullptr ? CampaignBriefData(*c, kit_.base_url(), kit_.site(), e.heading)
                        : LayoutData("en", e.heading, kit_.site());
  if (c == nullptr) d.set("c", Data(false));
  d.set("noindex", Data(true));
  d.set("heading", e.heading);
  d.set("paragraphs", StringList(e.paragraphs));
  auto html = kit_.Render("embed_message", d);
  if (!html) return kit_.InternalError();
  Response r = HtmlPage(*html, e.status, "no-store");
  if (e.retry_after > 0) r.Header("Retry-After", std::to_string(e.retry_after));
  Frameable(&r);
  return r;
}

Response EmbedPages::OEmbed(const Request& req) {
  if (!enabled()) return JsonProblem(404, "embedding is off on this site");
  const std::string format = req.Query("format").value_or("json");
  // oEmbed 1.0, section 2.3.4: a format the provider does not serve is 501.
  if (format != "json") return JsonProblem(501, "format: only json is served");
  const int max_width = SizeParam(req, "maxwidth");
  const int max_height = SizeParam(req, "maxheight");
  if (max_width < 0) return JsonProblem(400, "maxwidth: give a positive whole number of pixels");
  if (max_height < 0) return JsonProblem(400, "maxheight: give a positive whole number of pixels");
  std::string url = req.Query("url").value_or("");
  if (url.empty()) return JsonProblem(400, "url: give the address of a campaign's page");
  url = url.substr(0, url.find_first_of("?#"));
  while (url.ends_with("/")) url.pop_back();
  const std::string prefix = kit_.base_url() + "/c/";
  bool counter = false;
  if (!url.starts_with(prefix)) {
    return JsonProblem(404, "url: not a campaign of this site (" + kit_.base_url() + "/c/...)");
  }
  std::string rest = url.substr(prefix.size());
  if (rest.ends_with("/embed/count")) {
    counter = true;
    rest.resize(rest.size() - std::string_view("/embed/count").size());
  } else if (rest.ends_with("/embed")) {
    rest.resize(rest.size() - std::string_view("/embed").size());
  }
  std::string slug;
  if (rest.find('/') != std::string::npos || !PercentDecode(rest, false, &slug)) slug.clear();
  SnapshotPtr snap = slug.empty() ? nullptr : kit_.PublicSnapshot(slug);
  if (!snap) return JsonProblem(404, "url: no such campaign on this site");
  const Campaign& c = snap->campaign;
  const EmbedSnippet s = counter ? CounterSnippet(kit_.base_url(), c, max_width, max_height)
                                 : WidgetSnippet(kit_.base_url(), c, max_width, max_height);
  nlohmann::ordered_json j;
  j["version"] = "1.0";
  j["type"] = "rich";
  j["title"] = c.title;
  j["provider_name"] = kit_.site().name;
  j["provider_url"] = kit_.base_url() + "/";
  j["html"] = s.html;
  j["width"] = s.width;
  j["height"] = s.height;
  j["cache_age"] = 3600;
  // The share card (1200 x 630), when it fits what was asked.
  if ((max_width == 0 || max_width >= 1200) && (max_height == 0 || max_height >= 630)) {
    j["thumbnail_url"] = CampaignUrl(kit_.base_url(), c.slug) + "/card.png";
    j["thumbnail_width"] = 1200;
    j["thumbnail_height"] = 630;
  }
  Response r = Response::Json(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace), 200,
                              "application/json; charset=utf-8");
  r.Header("Access-Control-Allow-Origin", "*");
  r.Header("Cache-Control", "public, max-age=300");
  return r;
}

void AddEmbedRoutes(Router& router, const SitePtr& site) {
  router.Get("/c/{slug}/embed", [site](const Request& req) { return site->embed.Widget(req); },
             {false, 0, "embed_widget"});
  router.Get("/c/{slug}/embed/count",
             [site](const Request& req) { return site->embed.Counter(req); },
             {false, 0, "embed_counter"});
  router.Get("/oembed", [site](const Request& req) { return site->embed.OEmbed(req); },
             {false, 0, "oembed"});
}

}  // namespace undersigned::http::pages
