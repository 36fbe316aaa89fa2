// The one-click unsubscribe pages (unsubscribe.h).
#include "http/pages/unsubscribe.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/utf8.h"
#include "http/message.h"
#include "http/pages/page_kit.h"

namespace undersigned::http {
namespace {

using pages::HtmlPage;
using pages::StringList;
using render::Data;

class UnsubscribeSite {
 public:
  explicit UnsubscribeSite(UnsubscribePagesDeps deps)
      : deps_(std::move(deps)),
        kit_(deps_.campaigns, deps_.templates, deps_.base_url, deps_.csrf_secret, deps_.site,
             deps_.clock) {}

  Response Page(const Request& req) {
    const std::string token = req.Query("t").value_or("");
    auto campaign = deps_.unsubscribe.Check(token);
    if (!campaign) return kit_.TokenHeaders(ErrorPage(campaign.error()), nullptr);
    const std::string heading = "Stop the updates from \u201c" + campaign->title + "\u201d?";
    Data d = pages::CampaignBriefData(*campaign, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs",
          StringList({"You signed this campaign and asked for its updates. Press the button and "
                      "its organizers send you no more of them.",
                      "Your signature stays counted."}));
    d.set("action", "/u/unsubscribe?t=" + PercentEncode(token));
    d.set("token", token);
    d.set("csrf", "");
    d.set("button", "Unsubscribe");
    d.set("danger", Data(false));
    auto html = kit_.Render("token", d);
    if (!html) return kit_.InternalError();
    return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), nullptr);
  }

  Response Post(const Request& req) {
    std::string token = req.Query("t").value_or("");
    if (token.empty()) {
      if (auto form = ParseForm(req.body)) token = pages::First(*form, "t");
    }
    auto campaign = deps_.unsubscribe.Unsubscribe(token);
    if (!campaign) return kit_.TokenHeaders(ErrorPage(campaign.error()), nullptr);
    const std::string heading = "You are unsubscribed";
    Data d = pages::CampaignBriefData(*campaign, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs", StringList({"You will receive no more updates from \u201c" +
                                    campaign->title + "\u201d. Your signature stays counted."}));
    d.set("show_share", Data(false));
    auto html = kit_.Render("done", d);
    if (!html) return kit_.InternalError();
    return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), nullptr);
  }

 private:
  Response ErrorPage(const Error& e) {
    switch (e.code) {
      case Code::kNotFound:
        return kit_.ErrorPage({404,
                               "This link is not valid",
                               {"The link may have been copied incompletely from the email. "
                                "Please open it again from the email, or copy all of it."}});
      case Code::kUnavailable:
        return kit_.ErrorPage({503,
                               "Please try again in a moment",
                               {"The server is busy or restarting. Nothing was changed; please "
                                "try again in a few seconds."}});
      default:
        spdlog::error("pages: unsubscribe failed: {} {}", CodeName(e.code), e.message);
        return kit_.InternalError();
    }
  }

  UnsubscribePagesDeps deps_;
  pages::PageKit kit_;
};

}  // namespace

void RegisterUnsubscribePages(Router& router, UnsubscribePagesDeps deps) {
  auto site = std::make_shared<UnsubscribeSite>(std::move(deps));
  router.Get("/u/unsubscribe", [site](const Request& req) { return site->Page(req); },
             {true, 0, "unsubscribe_page"});
  router.Post("/u/unsubscribe", [site](const Request& req) { return site->Post(req); },
              {true, pages::kTokenBodyLimit, "unsubscribe"});
}

}  // namespace undersigned::http
