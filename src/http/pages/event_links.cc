// The confirm and cancel pages of an RSVP (event_links.h).
#include "http/pages/event_links.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/time_zone.h"
#include "http/message.h"
#include "http/pages/page_kit.h"

namespace undersigned::http {
namespace {

using pages::HtmlPage;
using pages::StringList;
using render::Data;

class EventLinkSite {
 public:
  explicit EventLinkSite(EventLinkPagesDeps deps)
      : deps_(std::move(deps)),
        kit_(deps_.campaigns, deps_.templates, deps_.base_url, deps_.csrf_secret, deps_.site,
             deps_.clock) {}

  // GET: a page with a button.
  Response Page(const Request& req, bool confirm) {
    const std::string token = req.Query("t").value_or("");
    auto v = confirm ? deps_.events.ForConfirm(token) : deps_.events.ForCancel(token);
    if (!v) return kit_.TokenHeaders(ErrorPage(v.error()), nullptr);
    const std::string heading = confirm
                                    ? "Confirm that you are coming"
                                    : "Cancel your place at \u201c" + v->event.title + "\u201d?";
    Data d = pages::CampaignBriefData(v->campaign, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    std::vector<std::string> paragraphs = {"\u201c" + v->event.title + "\u201d, " +
                                           DescribeTime(v->slot.starts, v->slot.time_zone) + "."};
    if (confirm) {
      paragraphs.push_back(
          "Press the button to confirm your place. If the event is full, you "
          "join its waitlist and we write the moment a place frees up.");
    } else if (v->rsvp.status == RsvpStatus::kCancelled) {
      paragraphs.push_back("This answer is already cancelled.");
    } else {
      paragraphs.push_back(
          "Press the button to give your place back, so that someone on the "
          "waitlist can come.");
    }
    d.set("paragraphs", StringList(paragraphs));
    d.set("action", req.path);
    d.set("token", token);
    d.set("csrf", "");
    d.set("button", confirm ? "Confirm my place" : "Cancel my place");
    d.set("danger", Data(!confirm));
    auto html = kit_.Render("token", d);
    if (!html) return kit_.InternalError();
    return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), nullptr);
  }

  // POST: the button.
  Response Post(const Request& req, bool confirm) {
    std::string token = req.Query("t").value_or("");
    if (token.empty()) {
      if (auto form = ParseForm(req.body)) token = pages::First(*form, "t");
    }
    auto v = confirm ? deps_.events.Confirm(token) : deps_.events.Cancel(token);
    if (!v) return kit_.TokenHeaders(ErrorPage(v.error()), nullptr);
    std::string heading;
    std::vector<std::string> paragraphs;
    if (!confirm) {
      heading = "Your place is cancelled";
      paragraphs.push_back("Thank you for letting us know.");
    } else if (v->rsvp.status == RsvpStatus::kAccepted) {
      heading = "You are coming";
      paragraphs.push_back("\u201c" + v->event.title + "\u201d, " +
                           DescribeTime(v->slot.starts, v->slot.time_zone) + ".");
      const std::string where = service::LocationText(v->event);
      if (!where.empty()) paragraphs.push_back("Where: " + where);
      paragraphs.push_back("We mailed you the details and a calendar file.");
    } else {
      heading = "You are on the waitlist";
      paragraphs.push_back("The event is full. You are number " +
                           std::to_string(v->rsvp.waitlist_position.value_or(0)) +
                           " on its waitlist; we write the moment a place frees up.");
    }
    Data d = pages::CampaignBriefData(v->campaign, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs", StringList(paragraphs));
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
                               {"It may have been used already, or copied incompletely from "
                                "the email. Please open it again from the email."}});
      case Code::kConflict:
        return kit_.ErrorPage({409, "This answer was cancelled", {e.message}});
      case Code::kUnavailable:
        return kit_.ErrorPage({503,
                               "Please try again in a moment",
                               {"The server is busy or restarting. Nothing was changed; please "
                                "try again in a few seconds."}});
      default:
        spdlog::error("pages: an RSVP link failed: {} {}", CodeName(e.code), e.message);
        return kit_.InternalError();
    }
  }

  EventLinkPagesDeps deps_;
  pages::PageKit kit_;
};

}  // namespace

void RegisterEventLinkPages(Router& router, EventLinkPagesDeps deps) {
  auto site = std::make_shared<EventLinkSite>(std::move(deps));
  for (bool confirm : {true, false}) {
    const std::string path =
        std::string("/c/{slug}/events/{event}/") + (confirm ? "confirm" : "cancel");
    const std::string name = confirm ? "event_confirm" : "event_cancel";
    router.Get(path, [site, confirm](const Request& req) { return site->Page(req, confirm); },
               {true, 0, name + "_page"});
    router.Post(path, [site, confirm](const Request& req) { return site->Post(req, confirm); },
                {true, pages::kTokenBodyLimit, name});
  }
}

}  // namespace undersigned::http
