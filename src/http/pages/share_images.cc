// The share images of a public campaign (issue 15, "Share images"; drawn by
// render/share_card.h):
//   GET /c/{slug}/card.png     the Open Graph card, 1200x630 (the campaign page's og:image)
//   GET /c/{slug}/flyer.pdf    a printable one-page flyer, A4 (?paper=letter: US Letter)
//   GET /c/{slug}/poster.pdf   a one-page A3 poster
// with a QR code to the campaign's page (its share channel "flyer" or "poster", so the
// dashboard counts the signatures that came from paper).
//
// A draft is 404, like its page. Each image is kept in a ShareImageCache: a request for one
// whose title, targets, goal... and shown count are unchanged costs a map look-up and no
// rendering; a new count (ShowCount's steps) renders it again at most once per
// kShareImageIntervalMs (10 s), an edit at once. Answers carry a strong ETag (304 to a
// matching If-None-Match) and a short public max-age, since the count moves.
// The routes are asynchronous: a cached image is answered at once on the network thread (no
// hop to the blocking executor: bench/run serves a card at 70% of the campaign page's rate), and a
// rendering (tens of milliseconds of CPU) runs on the cache's own render thread, which answers.
#include <memory>
#include <string>

#include "http/pages/public_site.h"
#include "http/pages/share.h"
#include "render/share_cache.h"
#include "render/share_card.h"
#include "render/text.h"

namespace undersigned::http::pages {
namespace {

using render::PrintFormat;
using render::ShareImageCache;
using SnapshotPtr = std::shared_ptr<const service::CampaignSnapshot>;
using CachePtr = std::shared_ptr<ShareImageCache>;

constexpr const char* kCacheControl = "public, max-age=60";
// The least age of a cached image before a new count renders it again.
constexpr std::int64_t kShareImageIntervalMs = 10'000;

// How a failed rendering is answered (a 500 page, logged with the use case).
PageErrors Errors(const char* use_case) {
  PageErrors how;
  how.use_case = use_case;
  return how;
}

// "Dana Rivera (CEO, Acme)".
std::vector<std::string> TargetLines(const Campaign& c) {
  std::vector<std::string> out;
  for (const Target& t : c.targets) {
    std::string detail = t.title;
    if (!t.organization.empty()) detail += (detail.empty() ? "" : ", ") + t.organization;
    out.push_back(detail.empty() ? t.name : t.name + " (" + detail + ")");
  }
  return out;
}

// What the card and the flyer show of a campaign besides its count, as one string to compare.
std::string Fields(const Campaign& c, const SiteInfo& site, bool closed) {
  std::string f = c.title;
  f += '\0';
  for (const std::string& t : TargetLines(c)) f += t + '\x1f';
  f += '\0' + std::to_string(c.goal) + '\0' + site.name + '\0' + c.language + '\0' +
       (closed ? "closed" : "open");
  return f;
}

// What the answer to one request needs once its image is there (on whichever thread).
struct Reply {
  SitePtr site;
  Respond respond;
  std::string if_none_match;
  std::string content_type;
  std::string disposition;
  const char* use_case;

  void operator()(const Result<ShareImageCache::ImagePtr>& image) const {
    if (!image) {
      respond(site->kit.ErrorResponse(image.error(), Errors(use_case)));
      return;
    }
    const ShareImageCache::ImagePtr& img = *image;
    Response r;
    if (if_none_match == img->etag) {
      r.status = 304;  // the client has it
    } else {
      r.body = img->bytes;
      r.content_type = content_type;
      if (!disposition.empty()) r.Header("Content-Disposition", disposition);
    }
    r.Header("ETag", img->etag);
    r.Header("Cache-Control", kCacheControl);
    r.Header("X-Content-Type-Options", "nosniff");
    respond(std::move(r));
  }
};

void Card(const SitePtr& site, ShareImageCache& cache, const Request& req, Respond respond) {
  PageKit& kit = site->kit;
  SnapshotPtr snap = kit.PublicSnapshot(req.Param("slug"));
  if (!snap) return respond(kit.ErrorPage(CampaignNotFound()));
  const Campaign& c = snap->campaign;
  const bool closed = !TakesSignatures(c, kit.clock().Now());
  const std::int64_t confirmed = snap->counts.confirmed;
  const std::string count = render::ShowCount(confirmed).text + (confirmed == 1 ? "" : "s");
  cache.GetAsync(
      "card:" + c.slug, Fields(c, kit.site(), closed), count, kit.clock().MonotonicMillis(),
      [site, snap, closed]() {
        const Campaign& c = snap->campaign;
        render::ShareCardInput in;
        in.title = c.title;
        in.targets = TargetLines(c);
        in.confirmed = snap->counts.confirmed;
        in.goal = c.goal;
        in.site_name = site->kit.site().name;
        in.language = c.language;
        in.closed = closed;
        return render::RenderShareCard(in);
      },
      Reply{site, std::move(respond), req.Header("if-none-match"), "image/png", "", "share card"});
}

void Print(const SitePtr& site, ShareImageCache& cache, const Request& req, Respond respond,
           bool poster) {
  PageKit& kit = site->kit;
  SnapshotPtr snap = kit.PublicSnapshot(req.Param("slug"));
  if (!snap) return respond(kit.ErrorPage(CampaignNotFound()));
  PrintFormat format = poster ? PrintFormat::kA3Poster : PrintFormat::kA4;
  if (!poster) {
    const std::string paper = req.Query("paper").value_or("a4");
    if (paper == "letter") {
      format = PrintFormat::kLetter;
    } else if (paper != "a4") {
      PageErrors how = Errors("flyer");
      how.back = CampaignUrl("", snap->campaign.slug);
      how.back_text = "Back to the campaign";
      return respond(kit.ErrorResponse(
          Error{Code::kInvalidArgument, "paper must be a4 or letter, as in ?paper=letter", {}, 0},
          how));
    }
  }
  const Campaign& c = snap->campaign;
  const UnixTime now = kit.clock().Now();
  const bool closed = !TakesSignatures(c, now);
  const std::int64_t confirmed = snap->counts.confirmed;
  const char* channel = poster ? "poster" : "flyer";
  std::string sign_url = ChannelUrl(CampaignUrl(kit.base_url(), c.slug), channel);
  const std::string fields =
      Fields(c, kit.site(), closed) + '\0' + c.demand + '\0' + c.letter_markdown + '\0' + sign_url;
  const std::string key = std::string(render::PrintFormatName(format)) + ":" + c.slug;
  // The flyer says on which day it was counted: a new day is a new count.
  const std::string count = render::ShowCount(confirmed).text + (confirmed == 1 ? "" : "s") + " " +
                            render::FormatDate(now);
  cache.GetAsync(
      key, fields, count, kit.clock().MonotonicMillis(),
      [site, snap, closed, now, format, sign_url = std::move(sign_url)]() {
        const Campaign& c = snap->campaign;
        render::FlyerInput in;
        in.title = c.title;
        in.demand = c.demand;
        in.targets = TargetLines(c);
        in.letter_markdown = c.letter_markdown;
        in.confirmed = snap->counts.confirmed;
        in.goal = c.goal;
        in.sign_url = sign_url;
        in.site_name = site->kit.site().name;
        in.language = c.language;
        in.made = now;
        in.closed = closed;
        return render::RenderFlyerPdf(in, format);
      },
      Reply{site, std::move(respond), req.Header("if-none-match"), "application/pdf",
            "inline; filename=\"" + c.slug + "-" + channel + ".pdf\"", channel});
}

}  // namespace

void AddShareImageRoutes(Router& router, const SitePtr& site) {
  // Owned by the routes (so by the Router); its render thread stops with it.
  auto cache = std::make_shared<ShareImageCache>(kShareImageIntervalMs);
  router.GetAsync("/c/{slug}/card.png",
                  [site, cache](const Request& req, Respond respond) {
                    Card(site, *cache, req, std::move(respond));
                  },
                  {false, 0, "share_card"});
  router.GetAsync("/c/{slug}/flyer.pdf",
                  [site, cache](const Request& req, Respond respond) {
                    Print(site, *cache, req, std::move(respond), false);
                  },
                  {false, 0, "share_flyer"});
  router.GetAsync("/c/{slug}/poster.pdf",
                  [site, cache](const Request& req, Respond respond) {
                    Print(site, *cache, req, std::move(respond), true);
                  },
                  {false, 0, "share_poster"});
}

}  // namespace undersigned::http::pages
