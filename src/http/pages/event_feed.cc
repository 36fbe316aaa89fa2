// The events' calendar feed (event_feed.h).
#include "http/pages/event_feed.h"

#include <utility>

#include "http/message.h"

namespace undersigned::http {

void RegisterEventFeed(Router& router, service::EventService& events, std::string site_host) {
  router.Get("/c/{slug}/events.ics",
             [&events, host = std::move(site_host)](const Request& req) {
               auto ics = events.CampaignCalendar(req.Param("slug"), host);
               if (!ics) {
                 return Response::Text(ics.error().code == Code::kNotFound ? "no such campaign\n"
                                                                           : "try again later\n",
                                       StatusFor(ics.error().code));
               }
               Response r;
               r.content_type = "text/calendar; charset=utf-8";
               r.body = std::move(*ics);
               r.Header("Cache-Control", "no-cache");
               r.Header("Content-Disposition", "inline; filename=\"events.ics\"");
               return r;
             },
             {true, 0, "events_ics"});
}

}  // namespace undersigned::http
