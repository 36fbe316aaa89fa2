// The public pages of a campaign's events (events.h).
#include "http/pages/events.h"

#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/ics.h"
#include "core/time_zone.h"
#include "core/utf8.h"
#include "http/message.h"
#include "http/pages/page_kit.h"
#include "http/url.h"
#include "render/markdown.h"
#include "service/ids.h"

namespace undersigned::http {
namespace {

using pages::HtmlPage;
using render::Data;
using render::DataList;

// What the RSVP form keeps when shown again.
struct RsvpForm {
  std::string name;
  std::string email;
  std::string guests = "0";
  std::int64_t slot = 0;
  std::map<std::string, std::string> errors;
  std::string general_error;
};

// What the proposal form keeps when shown again.
struct ProposalForm {
  service::EventInput event;
  service::SlotInput slot;
  std::string capacity;
  std::map<std::string, std::string> errors;
  std::string general_error;
};

// "Sat 12 Dec 2026" style times come from DescribeTime; an end on the same day shows its time.
std::string TimeRange(const EventSlot& s) {
  std::string start = DescribeTime(s.starts, s.time_zone);
  std::string end = DescribeTime(s.ends, s.time_zone);
  // "8 December 2026, 09:30 (Europe/Paris)": drop the repeated date and zone of the end.
  const auto comma = start.find(", ");
  const auto paren = end.find(" (");
  if (comma != std::string::npos && end.compare(0, comma, start, 0, comma) == 0 &&
      paren != std::string::npos) {
    const std::string end_time = end.substr(comma + 2, paren - comma - 2);
    const auto start_paren = start.find(" (");
    return start.substr(0, start_paren) + " to " + end_time + start.substr(start_paren);
  }
  return start + " to " + end;
}

// The places of a slot as a page says them.
std::string PlacesText(const EventSlot& s) {
  if (s.capacity <= 0) return "Open to all";
  const std::int64_t left = s.capacity - s.accepted;
  if (left <= 0) return "Full: you can join the waitlist";
  return left == 1 ? "1 place left" : std::to_string(left) + " places left";
}

// A slug for a proposed event: its title in lower-case letters, digits and dashes, and a few
// random letters so that two proposals of the same title do not collide.
std::string ProposalSlug(const std::string& title) {
  std::string slug;
  for (char c : title) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')) {
      slug += c;
    } else if (!slug.empty() && slug.back() != '-') {
      slug += '-';
    }
    if (slug.size() >= 48) break;
  }
  while (!slug.empty() && slug.back() == '-') slug.pop_back();
  static const char kLetters[] = "abcdefghijklmnopqrstuvwxyz0123456789";
  unsigned char bytes[5];
  service::RandomBytes(bytes, sizeof bytes);
  std::string suffix;
  for (unsigned char b : bytes) suffix += kLetters[b % (sizeof kLetters - 1)];
  return (slug.empty() ? "event" : slug) + "-" + suffix;
}

Data ErrorOf(const std::map<std::string, std::string>& errors, const char* key) {
  auto it = errors.find(key);
  return it == errors.end() ? Data(false) : Data(it->second);
}

class EventSite {
 public:
  explicit EventSite(EventPagesDeps deps)
      : deps_(std::move(deps)),
        kit_(deps_.campaigns, deps_.templates, deps_.base_url, deps_.csrf_secret, deps_.site,
             deps_.clock) {}

  Response List(const Request& req) {
    const std::string slug = req.Param("slug");
    auto snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(pages::CampaignNotFound());
    auto events = deps_.events.Listed(slug);
    if (!events) return ErrorAnswer(events.error(), slug);
    const Campaign& c = snap->campaign;
    Data d = pages::CampaignBriefData(c, kit_.base_url(), kit_.site(), "Events: " + c.title);
    d.set("canonical_url", kit_.base_url() + "/c/" + c.slug + "/agenda");
    DataList items;
    for (const service::PublicEvent& p : *events) {
      Data e;
      e.set("title", p.event.title);
      e.set("url", "/c/" + c.slug + "/events/" + p.event.slug);
      e.set("cancelled", Data(p.event.status == EventStatus::kCancelled));
      DataList times;
      for (const EventSlot& s : p.slots) {
        Data t;
        t.set("when", TimeRange(s));
        t.set("places", PlacesText(s));
        times.push_back(t);
      }
      e.set("times", times);
      e.set("place",
            render::TextOrNothing(p.location_hidden ? "" : service::LocationText(p.event)));
      items.push_back(e);
    }
    d.set("events", items);
    d.set("has_events", Data(!items.empty()));
    d.set("propose_url", "/c/" + c.slug + "/propose-event");
    d.set("open", Data(c.status == CampaignStatus::kOpen));
    d.set("calendar_url", "/c/" + c.slug + "/events.ics");
    auto html = kit_.Render("events", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, 200, "no-cache");
  }

  Response Page(const Request& req) {
    return Show(req, req.Param("slug"), req.Param("event"), RsvpForm{}, 200);
  }

  Response Answer(const Request& req) {
    const std::string slug = req.Param("slug");
    const std::string event = req.Param("event");
    const std::string back = "/c/" + slug + "/events/" + event;
    pages::Form form;
    if (auto bad =
            kit_.CheckPost(req, back, "Back to the event", "No answer was recorded.", &form)) {
      return *bad;
    }
    if (!kit_.PublicSnapshot(slug)) return kit_.ErrorPage(pages::CampaignNotFound());
    RsvpForm f;
    f.name = pages::First(form, "name");
    f.email = Trim(pages::First(form, "email"));
    f.guests = Trim(pages::First(form, "guests"));
    if (f.guests.empty()) f.guests = "0";
    const std::string slot_text = pages::First(form, "slot");
    service::RsvpInput in;
    in.name = f.name;
    in.email = f.email;
    in.referrer = pages::First(form, "ref");
    try {
      std::size_t used = 0;
      in.guests = std::stoll(f.guests, &used);
      if (used != f.guests.size()) throw std::invalid_argument("guests");
    } catch (const std::exception&) {
      f.errors["guests"] = "Type how many guests you bring, from 0 to 10.";
    }
    try {
      in.slot_id = slot_text.empty() ? 0 : std::stoll(slot_text);
    } catch (const std::exception&) {
      in.slot_id = 0;
    }
    f.slot = in.slot_id;
    if (!f.errors.empty()) return Show(req, slug, event, f, 422);
    auto r = deps_.events.Answer(slug, event, in, false, "web");
    if (!r) {
      const Error& e = r.error();
      if (e.code == Code::kInvalidArgument) {
        for (const auto& [field, msg] : e.field_errors) f.errors[field] = Sentence(field, msg);
        if (f.errors.empty()) f.general_error = e.message;
        return Show(req, slug, event, f, 422);
      }
      if (e.code == Code::kConflict) {
        f.general_error = Capitalized(e.message) + ".";
        return Show(req, slug, event, f, 409);
      }
      return ErrorAnswer(e, slug);
    }
    auto shown = deps_.events.Show(slug, event);
    if (!shown) return ErrorAnswer(shown.error(), slug);
    auto c = deps_.campaigns.GetBySlug(slug);
    if (!c) return ErrorAnswer(c.error(), slug);
    Data d = pages::CampaignBriefData(*c, kit_.base_url(), kit_.site(), "Check your email");
    d.set("heading", "Check your email");
    std::vector<std::string> paragraphs;
    if (!deps_.mail_note.empty()) paragraphs.push_back(deps_.mail_note);
    paragraphs.push_back("We sent a link to " + f.email +
                         ". Open it and press the button on "
                         "the page to confirm your place at \u201c" +
                         shown->event.title + "\u201d.");
    paragraphs.push_back(
        "Your place is kept only once you confirm. If the event is full by "
        "then, you join its waitlist and we write the moment a place frees "
        "up.");
    d.set("paragraphs", pages::StringList(paragraphs));
    d.set("show_share", Data(false));
    d.set("noindex", Data(true));
    auto html = kit_.Render("done", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, 200, "no-store");
  }

  Response Calendar(const Request& req) {
    const std::string slug = req.Param("slug");
    if (!kit_.PublicSnapshot(slug)) return kit_.ErrorPage(pages::CampaignNotFound());
    auto p = deps_.events.Show(slug, req.Param("event"));
    if (!p) return ErrorAnswer(p.error(), slug);
    std::string host = kit_.base_url().substr(kit_.base_url().find("://") + 3);
    host = host.substr(0, host.find_first_of(":/"));
    std::vector<IcsEvent> out;
    const std::string url = kit_.base_url() + "/c/" + slug + "/events/" + p->event.slug;
    for (const EventSlot& s : p->slots) {
      out.push_back(service::IcsOf(p->event, s, service::LocationText(p->event),
                                   "slot-" + std::to_string(s.id) + "@" + host, url));
    }
    Response r;
    r.status = 200;
    r.content_type = "text/calendar; charset=utf-8";
    r.body = IcsCalendar(out, kit_.clock().Now(), p->event.title);
    r.Header("Cache-Control", "no-cache");
    r.Header("Content-Disposition", "inline; filename=\"" + p->event.slug + ".ics\"");
    return r;
  }

  Response ProposeForm(const Request& req) {
    ProposalForm f;
    f.slot.time_zone = "";
    f.capacity = "0";
    return ShowProposal(req, req.Param("slug"), f, 200);
  }

  Response Propose(const Request& req) {
    const std::string slug = req.Param("slug");
    const std::string back = "/c/" + slug + "/propose-event";
    pages::Form form;
    if (auto bad = kit_.CheckPost(req, back, "Back to the form", "Nothing was sent.", &form)) {
      return *bad;
    }
    ProposalForm f;
    f.event.title = pages::First(form, "title");
    f.event.description_markdown = pages::First(form, "description");
    f.event.kind = pages::First(form, "kind") == "online" ? "online" : "in_person";
    f.event.venue = pages::First(form, "venue");
    f.event.address = pages::First(form, "address");
    f.event.online_link = Trim(pages::First(form, "online_link"));
    f.event.private_location = pages::First(form, "private") == "yes";
    f.event.accessibility = pages::First(form, "accessibility");
    f.event.host_name = pages::First(form, "host_name");
    f.event.host_email = Trim(pages::First(form, "host_email"));
    f.slot.starts = Trim(pages::First(form, "starts"));
    f.slot.ends = Trim(pages::First(form, "ends"));
    f.slot.time_zone = Trim(pages::First(form, "time_zone"));
    f.capacity = Trim(pages::First(form, "capacity"));
    if (f.capacity.empty()) f.capacity = "0";
    try {
      std::size_t used = 0;
      f.slot.capacity = std::stoll(f.capacity, &used);
      if (used != f.capacity.size() || f.slot.capacity < 0) throw std::invalid_argument("cap");
    } catch (const std::exception&) {
      f.errors["capacity"] = "Type how many people can come, or 0 for no limit.";
    }
    if (Trim(f.event.title).empty()) f.errors["title"] = "Give the event a title.";
    if (Trim(f.event.host_name).empty()) f.errors["host_name"] = "Give your name as its host.";
    if (f.event.host_email.empty()) {
      f.errors["host_email"] = "Give your email address: the organizers write to you there.";
    }
    if (f.slot.starts.empty()) f.errors["starts"] = "Give the day and time it starts.";
    if (f.slot.ends.empty()) f.errors["ends"] = "Give the day and time it ends.";
    if (f.slot.time_zone.empty()) f.slot.time_zone = "UTC";
    if (!IsKnownTimeZone(f.slot.time_zone)) {
      f.errors["time_zone"] = "Give a time zone such as Europe/Paris or America/New_York.";
    }
    if (!f.errors.empty()) return ShowProposal(req, slug, f, 422);
    f.event.slug = ProposalSlug(f.event.title);
    auto made = deps_.events.Propose(slug, f.event, f.slot);
    if (!made) {
      const Error& e = made.error();
      if (e.code == Code::kInvalidArgument) {
        for (const auto& [field, msg] : e.field_errors) {
          if (field == "event" || field == "slot") {
            f.general_error += (f.general_error.empty() ? "" : " ") + Capitalized(msg) + ".";
          } else {
            f.errors[field] = Sentence(field, msg);
          }
        }
        if (f.errors.empty() && f.general_error.empty()) f.general_error = e.message;
        return ShowProposal(req, slug, f, 422);
      }
      return ErrorAnswer(e, slug);
    }
    auto c = deps_.campaigns.GetBySlug(slug);
    if (!c) return ErrorAnswer(c.error(), slug);
    Data d = pages::CampaignBriefData(*c, kit_.base_url(), kit_.site(), "Thank you");
    d.set("heading", "Thank you: an organizer will review it");
    d.set("paragraphs",
          pages::StringList(
              {"\u201c" + made->event.title +
                   "\u201d is not listed yet: the campaign's organizers review "
                   "each proposed event before it appears on the site.",
               "They will write to " + made->event.host_email + " if they have a question."}));
    d.set("show_share", Data(false));
    d.set("noindex", Data(true));
    auto html = kit_.Render("done", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, 200, "no-store");
  }

 private:
  static std::string Capitalized(std::string s) {
    if (!s.empty() && s[0] >= 'a' && s[0] <= 'z') s[0] = static_cast<char>(s[0] - 'a' + 'A');
    return s;
  }
  // "name: is required" from the service as a sentence for a form.
  static std::string Sentence(const std::string& field, const std::string& msg) {
    static const std::map<std::string, std::string> kLabels = {
        {"name", "Your name"},          {"email", "Your email address"},
        {"guests", "Guests"},           {"slot", "The time"},
        {"title", "The title"},         {"description", "The description"},
        {"venue", "The venue"},         {"address", "The address"},
        {"online_link", "The link"},    {"accessibility", "The accessibility notes"},
        {"host_name", "Your name"},     {"host_email", "Your email address"},
        {"starts", "The start"},        {"ends", "The end"},
        {"time_zone", "The time zone"}, {"capacity", "The number of places"},
        {"slug", "The title"}};
    auto it = kLabels.find(field);
    if (msg.starts_with("choose") || msg.starts_with("this ") || msg.starts_with("a ")) {
      return Capitalized(msg) + ".";
    }
    return (it == kLabels.end() ? Capitalized(field) : it->second) + " " + msg + ".";
  }

  Response ErrorAnswer(const Error& e, const std::string& slug) {
    if (e.code == Code::kNotFound) {
      return kit_.ErrorPage({404,
                             "There is no event here",
                             {"It may have been taken down, or the address was copied "
                              "incompletely."},
                             "/c/" + slug + "/agenda",
                             "See the campaign's events"});
    }
    pages::PageErrors how;
    how.use_case = "events";
    how.back = "/c/" + slug + "/agenda";
    how.back_text = "See the campaign's events";
    how.nothing_done = "No answer was recorded.";
    return kit_.ErrorResponse(e, how);
  }

  Response Show(const Request& req, const std::string& slug, const std::string& event_slug,
                const RsvpForm& f, int status) {
    auto snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(pages::CampaignNotFound());
    auto p = deps_.events.Show(slug, event_slug);
    if (!p) return ErrorAnswer(p.error(), slug);
    const Campaign& c = snap->campaign;
    const Event& e = p->event;
    Data d = pages::CampaignBriefData(c, kit_.base_url(), kit_.site(), e.title);
    const std::string url = "/c/" + c.slug + "/events/" + e.slug;
    d.set("canonical_url", kit_.base_url() + url);
    Data ed;
    ed.set("title", e.title);
    ed.set("url", url);
    ed.set("description_html", render::RenderMarkdown(e.description_markdown, 2));
    ed.set("cancelled", Data(e.status == EventStatus::kCancelled));
    ed.set("online", Data(e.kind == EventKind::kOnline));
    ed.set("hidden", Data(p->location_hidden));
    ed.set("venue", render::TextOrNothing(p->location_hidden ? "" : e.venue));
    ed.set("address", render::TextOrNothing(p->location_hidden ? "" : e.address));
    ed.set("online_link", render::TextOrNothing(p->location_hidden ? "" : e.online_link));
    ed.set("accessibility", render::TextOrNothing(e.accessibility));
    ed.set("host_name", render::TextOrNothing(e.host_name));
    ed.set("calendar_url", url + "/calendar.ics");
    ed.set("rsvp_url", url + "/rsvp");
    ed.set("events_url", "/c/" + c.slug + "/agenda");
    const UnixTime now = kit_.clock().Now();
    DataList slots;
    std::int64_t open_slots = 0;
    for (const EventSlot& s : p->slots) {
      Data sd;
      sd.set("id", std::to_string(s.id));
      sd.set("when", TimeRange(s));
      sd.set("places", PlacesText(s));
      const bool past = s.starts <= now;
      sd.set("past", Data(past));
      if (!past) ++open_slots;
      sd.set("open", Data(!past));
      sd.set("checked", Data(f.slot == s.id || (f.slot == 0 && open_slots == 1 && !past)));
      slots.push_back(sd);
    }
    ed.set("slots", slots);
    const bool rsvp_open = e.status == EventStatus::kListed && open_slots > 0;
    ed.set("rsvp_open", Data(rsvp_open));
    ed.set("over", Data(e.status == EventStatus::kListed && open_slots == 0));
    d.set("e", ed);
    Data fd;
    fd.set("name", f.name);
    fd.set("email", f.email);
    fd.set("guests", f.guests);
    fd.set("name_error", ErrorOf(f.errors, "name"));
    fd.set("email_error", ErrorOf(f.errors, "email"));
    fd.set("guests_error", ErrorOf(f.errors, "guests"));
    fd.set("slot_error", ErrorOf(f.errors, "slot"));
    fd.set("general_error", render::TextOrNothing(f.general_error));
    fd.set("has_errors", Data(!f.errors.empty() || !f.general_error.empty()));
    d.set("form", fd);
    pages::FormCsrf csrf = kit_.CsrfFor(req);
    d.set("csrf", csrf.token);
    auto html = kit_.Render("event", d);
    if (!html) return kit_.InternalError();
    Response r = HtmlPage(*html, status, "no-store");
    kit_.SetCookie(csrf, &r);
    return r;
  }

  Response ShowProposal(const Request& req, const std::string& slug, const ProposalForm& f,
                        int status) {
    auto snap = kit_.PublicSnapshot(slug);
    if (!snap || snap->campaign.status != CampaignStatus::kOpen) {
      return kit_.ErrorPage(pages::CampaignNotFound());
    }
    const Campaign& c = snap->campaign;
    Data d = pages::CampaignBriefData(c, kit_.base_url(), kit_.site(), "Propose an event");
    Data fd;
    fd.set("action", "/c/" + c.slug + "/propose-event");
    fd.set("events_url", "/c/" + c.slug + "/agenda");
    fd.set("title", f.event.title);
    fd.set("description", f.event.description_markdown);
    fd.set("online", Data(f.event.kind == "online"));
    fd.set("venue", f.event.venue);
    fd.set("address", f.event.address);
    fd.set("online_link", f.event.online_link);
    fd.set("private", Data(f.event.private_location));
    fd.set("accessibility", f.event.accessibility);
    fd.set("host_name", f.event.host_name);
    fd.set("host_email", f.event.host_email);
    fd.set("starts", f.slot.starts);
    fd.set("ends", f.slot.ends);
    fd.set("time_zone", f.slot.time_zone.empty() ? c.time_zone : f.slot.time_zone);
    fd.set("capacity", f.capacity);
    for (const char* k :
         {"title", "description", "venue", "address", "online_link", "accessibility", "host_name",
          "host_email", "starts", "ends", "time_zone", "capacity"}) {
      fd.set(std::string(k) + "_error", ErrorOf(f.errors, k));
    }
    fd.set("general_error", render::TextOrNothing(f.general_error));
    fd.set("has_errors", Data(!f.errors.empty() || !f.general_error.empty()));
    d.set("form", fd);
    pages::FormCsrf csrf = kit_.CsrfFor(req);
    d.set("csrf", csrf.token);
    auto html = kit_.Render("event_propose", d);
    if (!html) return kit_.InternalError();
    Response r = HtmlPage(*html, status, "no-store");
    kit_.SetCookie(csrf, &r);
    return r;
  }

  EventPagesDeps deps_;
  pages::PageKit kit_;
};

}  // namespace

void RegisterEventPages(Router& router, EventPagesDeps deps) {
  auto site = std::make_shared<EventSite>(std::move(deps));
  // Not /c/{slug}/events: that is the campaign's live count stream (counts.cc).
  router.Get("/c/{slug}/agenda", [site](const Request& req) { return site->List(req); },
             {true, 0, "events_page"});
  router.Get("/c/{slug}/events/{event}", [site](const Request& req) { return site->Page(req); },
             {true, 0, "event_page"});
  router.Post("/c/{slug}/events/{event}/rsvp",
              [site](const Request& req) { return site->Answer(req); },
              {true, 16 * 1024, "event_rsvp"});
  router.Get("/c/{slug}/events/{event}/calendar.ics",
             [site](const Request& req) { return site->Calendar(req); }, {true, 0, "event_ics"});
  router.Get("/c/{slug}/propose-event",
             [site](const Request& req) { return site->ProposeForm(req); },
             {true, 0, "event_propose_page"});
  router.Post("/c/{slug}/propose-event", [site](const Request& req) { return site->Propose(req); },
              {true, 64 * 1024, "event_propose"});
}

}  // namespace undersigned::http
