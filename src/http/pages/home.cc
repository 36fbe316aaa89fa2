// The home page (GET /: the open campaigns, cached until one of them changes), the favicon's
// redirect and the router's 404 page.
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "http/pages/public_site.h"
#include "http/url.h"

namespace undersigned::http::pages {
namespace {

using render::Data;
using service::CampaignSnapshot;
using SnapshotPtr = std::shared_ptr<const CampaignSnapshot>;

class HomePage {
 public:
  explicit HomePage(SitePtr site) : site_(std::move(site)), kit_(site_->kit), deps_(site_->deps) {}

  Response Index(const Request& req) {
    auto open = deps_.campaigns.OpenCampaigns(kit_.clock().Now());
    std::string key;
    for (const auto& s : open) {
      key += std::to_string(s->campaign.id) + ":" + std::to_string(s->version) + ",";
    }
    {
      std::lock_guard lock(mu_);
      if (index_html_ && index_key_ == key) return HtmlPage(*index_html_, 200, "no-cache");
    }
    Data d = LayoutData("en", "Open campaigns", kit_.site());
    d.set("description", Data("Petitions and open letters you can sign on " + kit_.site().name));
    if (open.empty()) {
      d.set("campaigns", Data(false));
    } else {
      Data items(Data::type::list);
      for (const auto& s : open) {
        const Campaign& c = s->campaign;
        Data item = CountData(s->counts.confirmed, c.goal);
        item.set("slug", c.slug);
        item.set("title", c.title);
        item.set("language", c.language);
        item.set("demand", c.demand.empty() ? Data(false) : Data(c.demand));
        item.set("url", "/c/" + PercentEncode(c.slug));
        items.push_back(item);
      }
      Data campaigns;
      campaigns.set("items", items);
      d.set("campaigns", campaigns);
    }
    auto html = kit_.Render("index", d);
    if (!html) return kit_.InternalError();
    auto shared = std::make_shared<const std::string>(std::move(*html));
    {
      std::lock_guard lock(mu_);
      index_key_ = key;
      index_html_ = shared;
    }
    return HtmlPage(*shared, 200, "no-cache");
  }

 private:
  SitePtr site_;
  PageKit& kit_;
  PagesDeps& deps_;

  std::mutex mu_;          // guards the cache below
  std::string index_key_;  // the open campaigns' ids and versions the cached page shows
  std::shared_ptr<const std::string> index_html_;
};

}  // namespace

void AddHomeRoutes(Router& router, const SitePtr& site) {
  auto home = std::make_shared<HomePage>(site);
  router.Get("/", [home](const Request& req) { return home->Index(req); }, {false, 0, "index"});
}

void AddFallbackRoutes(Router& router, const SitePtr& site) {
  router.Get("/favicon.ico",
             [](const Request&) {
               Response r = Response::Redirect("/static/favicon.svg", 301);
               r.Header("Cache-Control", "public, max-age=86400");
               return r;
             },
             {false, 0, "favicon"});
  router.SetNotFound([site](const Request&) {
    return site->kit.ErrorPage({404,
                                "Page not found",
                                {"There is no page at this address. If you typed it, check it; "
                                 "if you followed a link, it may be out of date."}});
  });
}

}  // namespace undersigned::http::pages
