// A campaign's events in the console (issue 15, part 1), over service::EventService, which
// decides who may do what (editing needs "edit", cancelling "set_status", the attendee list and
// check-in "view_signers") and records each action:
//
//   GET  /console/c/{slug}/events                     every event (drafts and proposals too),
//                                                     its times with places taken and waiting;
//                                                     approve a proposal, cancel an event
//   GET  /console/c/{slug}/events/new                 the form for a new event
//   POST /console/c/{slug}/events/new                 makes it (a draft, or listed); 303 to it
//   GET  /console/c/{slug}/events/{id}                the event's form, its times, a new time
//   POST /console/c/{slug}/events/{id}                saves the event (attendees are mailed a
//                                                     new place of a listed event)
//   POST /console/c/{slug}/events/{id}/status         status=listed|draft|cancelled (listing a
//                                                     proposal approves it)
//   POST /console/c/{slug}/events/{id}/times          adds a time
//   POST /console/c/{slug}/events/{id}/times/{sid}    changes a time (attendees are mailed)
//   GET  /console/c/{slug}/events/{id}/attendees      the printable attendee list, by time, with
//                                                     a check-in button each (a print stylesheet
//                                                     hides the buttons and the navigation)
//   POST /console/c/{slug}/events/{id}/attendees/{rid}  checked=yes|no; 303 back to the list
//
// Forms keep what was typed when refused (422, a message per field).
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/time_zone.h"
#include "core/utf8.h"
#include "http/console/routes.h"
#include "render/text.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

const ::undersigned::Error kOff{Code::kUnavailable, "Events are off on this site.", {}, 0};

std::optional<std::int64_t> IdParam(const Request& req, const char* name) {
  const std::string raw = req.Param(name);
  if (raw.empty() || raw.size() > 18 || raw.find_first_not_of("0123456789") != std::string::npos) {
    return std::nullopt;
  }
  return std::stoll(raw);
}

::undersigned::Error NoEvent() { return {Code::kNotFound, "There is no such event.", {}, 0}; }

// The event id of the route, if it names an event of campaign c that v may see.
Result<Event> EventOf(ConsoleKit& k, const Request& req, const Visit& v, const Campaign& c) {
  auto id = IdParam(req, "id");
  if (!id) return Fail(NoEvent());
  auto e = k.events()->Get(v.actor(), *id);
  if (!e) return e.error().code == Code::kNotFound ? Fail(NoEvent()) : Fail(e.error());
  if (e->campaign_id != c.id) return Fail(NoEvent());
  return e;
}

// What the event form shows: the event as typed (or stored) and a message per field.
struct EventForm {
  service::EventInput in;
  bool listed = false;  // new events: list at once
  std::map<std::string, std::string> errors;
};

// What the time form shows.
struct SlotForm {
  std::int64_t slot_id = 0;  // 0: a new time
  service::SlotInput in;
  std::string capacity = "0";
  std::map<std::string, std::string> errors;
};

service::EventInput InputOf(const Event& e) {
  service::EventInput in;
  in.slug = e.slug;
  in.title = e.title;
  in.description_markdown = e.description_markdown;
  in.kind = EventKindName(e.kind);
  in.venue = e.venue;
  in.address = e.address;
  in.online_link = e.online_link;
  in.private_location = e.private_location;
  in.accessibility = e.accessibility;
  in.host_name = e.host_name;
  in.host_email = e.host_email;
  in.reminder_offsets = e.reminder_offsets;
  in.promote_until = e.promote_until;
  return in;
}

std::string HoursText(const std::vector<std::int64_t>& offsets) {
  std::string out;
  for (std::int64_t o : offsets) {
    if (!out.empty()) out += ", ";
    if (o % 3600 == 0) {
      out += std::to_string(o / 3600);
    } else {
      out += std::to_string(o / 3600.0);
    }
  }
  return out;
}

// "24, 2" (hours before each time) -> seconds; nullopt when malformed.
std::optional<std::vector<std::int64_t>> ParseHours(const std::string& text) {
  std::vector<std::int64_t> out;
  std::size_t pos = 0;
  while (pos <= text.size()) {
    std::size_t comma = text.find(',', pos);
    if (comma == std::string::npos) comma = text.size();
    std::string part = Trim(std::string_view(text).substr(pos, comma - pos));
    pos = comma + 1;
    if (part.empty()) continue;
    try {
      std::size_t used = 0;
      double h = std::stod(part, &used);
      if (used != part.size() || h <= 0) return std::nullopt;
      out.push_back(static_cast<std::int64_t>(h * 3600));
    } catch (const std::exception&) {
      return std::nullopt;
    }
  }
  return out;
}

EventForm ReadEventForm(const pages::Form& form) {
  EventForm f;
  f.in.slug = Trim(pages::First(form, "slug"));
  f.in.title = pages::First(form, "title");
  f.in.description_markdown = pages::First(form, "description");
  f.in.kind = pages::First(form, "kind") == "online" ? "online" : "in_person";
  f.in.venue = pages::First(form, "venue");
  f.in.address = pages::First(form, "address");
  f.in.online_link = pages::First(form, "online_link");
  f.in.private_location = pages::First(form, "private") == "yes";
  f.in.accessibility = pages::First(form, "accessibility");
  f.in.host_name = pages::First(form, "host_name");
  f.in.host_email = pages::First(form, "host_email");
  f.listed = pages::First(form, "listed") == "yes";
  const std::string reminders = pages::First(form, "reminders");
  if (auto r = ParseHours(reminders)) {
    f.in.reminder_offsets = *r;
  } else {
    f.errors["reminders"] = "Give the hours before each time, separated by commas, like 24, 2.";
  }
  const std::string promote = Trim(pages::First(form, "promote_until"));
  if (auto p = ParseHours(promote.empty() ? "0" : promote); p && p->size() <= 1) {
    f.in.promote_until = p->empty() ? 0 : (*p)[0];
  } else {
    f.errors["promote_until"] = "Give a number of hours, like 1.";
  }
  return f;
}

SlotForm ReadSlotForm(const pages::Form& form) {
  SlotForm f;
  f.in.starts = Trim(pages::First(form, "starts"));
  f.in.ends = Trim(pages::First(form, "ends"));
  f.in.time_zone = Trim(pages::First(form, "time_zone"));
  f.capacity = Trim(pages::First(form, "capacity"));
  if (f.capacity.empty()) f.capacity = "0";
  try {
    std::size_t used = 0;
    f.in.capacity = std::stoll(f.capacity, &used);
    if (used != f.capacity.size()) throw std::invalid_argument("capacity");
  } catch (const std::exception&) {
    f.errors["capacity"] = "Give the number of places, or 0 for no limit.";
  }
  return f;
}

Data ErrorOf(const std::map<std::string, std::string>& errors, const std::string& key) {
  auto it = errors.find(key);
  return it == errors.end() ? Data(false) : Data(it->second);
}

Data EventFormData(const EventForm& f) {
  Data d;
  d.set("ev_slug", f.in.slug);
  d.set("title", f.in.title);
  d.set("description", f.in.description_markdown);
  d.set("online", Data(f.in.kind == "online"));
  d.set("venue", f.in.venue);
  d.set("address", f.in.address);
  d.set("online_link", f.in.online_link);
  d.set("private", Data(f.in.private_location));
  d.set("accessibility", f.in.accessibility);
  d.set("host_name", f.in.host_name);
  d.set("host_email", f.in.host_email);
  d.set("reminders", HoursText(f.in.reminder_offsets));
  d.set("promote_until", HoursText({f.in.promote_until}));
  d.set("listed", Data(f.listed));
  for (const char* k : {"slug", "title", "description", "kind", "venue", "address", "online_link",
                        "accessibility", "host_name", "host_email", "reminders", "promote_until"}) {
    d.set(std::string(k) + "_error", ErrorOf(f.errors, k));
  }
  d.set("has_errors", Data(!f.errors.empty()));
  return d;
}

Data SlotFormData(const SlotForm& f) {
  Data d;
  d.set("slot_id", std::to_string(f.slot_id));
  d.set("starts", f.in.starts);
  d.set("ends", f.in.ends);
  d.set("time_zone", f.in.time_zone);
  d.set("capacity", f.capacity);
  for (const char* k : {"starts", "ends", "time_zone", "capacity", "slot"}) {
    d.set(std::string(k) + "_error", ErrorOf(f.errors, k));
  }
  d.set("has_errors", Data(!f.errors.empty()));
  return d;
}

// The error messages of the service ("title: is required") as the form's: the field's own.
void TakeFieldErrors(const ::undersigned::Error& e, std::map<std::string, std::string>* errors) {
  for (const auto& [field, msg] : e.field_errors) (*errors)[field] = msg;
  if (errors->empty()) (*errors)["slot"] = e.message;
}

const char* kEventsPage = "console_events";
const char* kEventPage = "console_event";

Response ListPage(ConsoleKit& k, const Request& req, const Visit& v, const Campaign& c,
                  const std::string& notice) {
  auto list = k.events()->List(v.actor(), c.slug);
  if (!list) return k.Error(&v, req, list.error());
  auto may = [&](CampaignAction a) {
    return k.accounts().Authorize(v.actor(), c.id, a).has_value();
  };
  const bool may_edit = may(CampaignAction::kEdit);
  const bool may_status = may(CampaignAction::kSetStatus);
  const bool may_signers = may(CampaignAction::kViewSigners);
  DataList rows;
  for (const Event& e : *list) {
    auto slots = k.events()->Slots(v.actor(), e.id);
    if (!slots) return k.Error(&v, req, slots.error());
    Data row;
    row.set("id", std::to_string(e.id));
    row.set("title", e.title);
    row.set("status", EventStatusName(e.status));
    row.set("proposed", Data(e.status == EventStatus::kProposed));
    row.set("listed", Data(e.status == EventStatus::kListed));
    row.set("draft", Data(e.status == EventStatus::kDraft));
    row.set("cancelled", Data(e.status == EventStatus::kCancelled));
    row.set("host", render::TextOrNothing(e.host_name));
    row.set("may_approve", Data(may_edit && e.status != EventStatus::kListed &&
                                e.status != EventStatus::kCancelled));
    row.set("may_cancel", Data(may_status && e.status != EventStatus::kCancelled));
    DataList times;
    for (const EventSlot& s : *slots) {
      Data t;
      t.set("when", DescribeTime(s.starts, s.time_zone));
      t.set("taken", std::to_string(s.accepted));
      t.set("capacity", s.capacity == 0 ? std::string("no limit") : std::to_string(s.capacity));
      t.set("waiting", std::to_string(s.waitlisted));
      times.push_back(t);
    }
    row.set("times", times);
    row.set("has_times", Data(!slots->empty()));
    rows.push_back(row);
  }
  Data d;
  d.set("slug", c.slug);
  d.set("title", c.title);
  d.set("csrf", v.csrf);
  d.set("events", rows);
  d.set("has_events", Data(!rows.empty()));
  d.set("may_edit", Data(may_edit));
  d.set("may_signers", Data(may_signers));
  d.set("notice", render::TextOrNothing(notice));
  return k.Page(&v, kEventsPage, std::move(d), "Events of " + c.title);
}

Response EventPage(ConsoleKit& k, const Request& req, const Visit& v, const Campaign& c,
                   const Event* e, const EventForm& f, const SlotForm& sf, int status,
                   const std::string& notice) {
  Data d;
  d.set("slug", c.slug);
  d.set("campaign_title", c.title);
  d.set("csrf", v.csrf);
  d.set("notice", render::TextOrNothing(notice));
  d.set("form", EventFormData(f));
  d.set("new", Data(e == nullptr));
  if (e != nullptr) {
    d.set("id", std::to_string(e->id));
    d.set("status", EventStatusName(e->status));
    d.set("public_url", e->status == EventStatus::kListed || e->status == EventStatus::kCancelled
                            ? Data(k.pages().base_url() + "/c/" + c.slug + "/events/" + e->slug)
                            : Data(false));
    auto slots = k.events()->Slots(v.actor(), e->id);
    if (!slots) return k.Error(&v, req, slots.error());
    DataList times;
    for (const EventSlot& s : *slots) {
      SlotForm shown;
      if (sf.slot_id == s.id) {
        shown = sf;
      } else {
        shown.slot_id = s.id;
        shown.in.starts = FormatIso8601(s.starts);
        shown.in.ends = FormatIso8601(s.ends);
        shown.in.time_zone = s.time_zone;
        shown.capacity = std::to_string(s.capacity);
      }
      Data t = SlotFormData(shown);
      t.set("when", DescribeTime(s.starts, s.time_zone));
      t.set("taken", std::to_string(s.accepted));
      t.set("waiting", std::to_string(s.waitlisted));
      times.push_back(t);
    }
    d.set("times", times);
    SlotForm fresh;
    fresh.in.time_zone = c.time_zone;
    d.set("new_time", SlotFormData(sf.slot_id == 0 && !sf.errors.empty() ? sf : fresh));
  }
  const std::string title = e == nullptr ? "New event" : "Event: " + e->title;
  return k.Page(&v, kEventPage, std::move(d), title, status);
}

// The campaign of the route, if v may do action on it, and the events service is on.
Result<Campaign> CampaignOf(ConsoleKit& k, const Request& req, const Visit& v,
                            CampaignAction action) {
  if (k.events() == nullptr) return Fail(kOff);
  return k.CampaignFor(v, req.Param("slug"), action);
}

}  // namespace

void RegisterEvents(Router& router, KitPtr kit) {
  router.Add("GET", "/console/c/{slug}/events",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           auto c = CampaignOf(k, req, v, CampaignAction::kView);
                           if (!c) return k.Error(&v, req, c.error());
                           std::string notice;
                           if (auto s = req.Query("status")) {
                             notice = "The event is now " + *s + ".";
                           }
                           return ListPage(k, req, v, *c, notice);
                         }),
             ConsoleRoute("console_events"));

  router.Add("GET", "/console/c/{slug}/events/new",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           auto c = CampaignOf(k, req, v, CampaignAction::kEdit);
                           if (!c) return k.Error(&v, req, c.error());
                           return EventPage(k, req, v, *c, nullptr, EventForm{}, SlotForm{}, 200,
                                            "");
                         }),
             ConsoleRoute("console_event_new"));

  router.Add(
      "POST", "/console/c/{slug}/events/new",
      SignedInPost(
          kit,
          [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
            auto c = CampaignOf(k, req, v, CampaignAction::kEdit);
            if (!c) return k.Error(&v, req, c.error());
            EventForm f = ReadEventForm(form);
            if (!f.errors.empty()) {
              return EventPage(k, req, v, *c, nullptr, f, SlotForm{}, 422, "");
            }
            auto e = k.events()->Create(v.actor(), c->slug, f.in,
                                        f.listed ? EventStatus::kListed : EventStatus::kDraft);
            if (!e) {
              if (e.error().code != Code::kInvalidArgument && e.error().code != Code::kConflict) {
                return k.Error(&v, req, e.error());
              }
              TakeFieldErrors(e.error(), &f.errors);
              if (e.error().code == Code::kConflict) {
                f.errors = {{"slug", "is taken by another event of this campaign"}};
              }
              return EventPage(k, req, v, *c, nullptr, f, SlotForm{}, 422, "");
            }
            return SeeOther("/console/c/" + c->slug + "/events/" + std::to_string(e->id) +
                            "?created=1");
          }),
      ConsoleRoute("console_event_create"));

  router.Add("GET", "/console/c/{slug}/events/{id}",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           auto c = CampaignOf(k, req, v, CampaignAction::kView);
                           if (!c) return k.Error(&v, req, c.error());
                           auto e = EventOf(k, req, v, *c);
                           if (!e) return k.Error(&v, req, e.error());
                           EventForm f;
                           f.in = InputOf(*e);
                           std::string notice;
                           if (req.Query("created")) notice = "The event is made. Add its times.";
                           if (req.Query("saved")) notice = "Saved.";
                           return EventPage(k, req, v, *c, &*e, f, SlotForm{}, 200, notice);
                         }),
             ConsoleRoute("console_event"));

  router.Add(
      "POST", "/console/c/{slug}/events/{id}",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     auto c = CampaignOf(k, req, v, CampaignAction::kEdit);
                     if (!c) return k.Error(&v, req, c.error());
                     auto e = EventOf(k, req, v, *c);
                     if (!e) return k.Error(&v, req, e.error());
                     EventForm f = ReadEventForm(form);
                     if (!f.errors.empty()) {
                       return EventPage(k, req, v, *c, &*e, f, SlotForm{}, 422, "");
                     }
                     auto saved = k.events()->Edit(v.actor(), e->id, f.in);
                     if (!saved) {
                       if (saved.error().code != Code::kInvalidArgument &&
                           saved.error().code != Code::kConflict) {
                         return k.Error(&v, req, saved.error());
                       }
                       TakeFieldErrors(saved.error(), &f.errors);
                       if (saved.error().code == Code::kConflict) {
                         f.errors = {{"slug", "is taken by another event of this campaign"}};
                       }
                       return EventPage(k, req, v, *c, &*e, f, SlotForm{}, 422, "");
                     }
                     return SeeOther("/console/c/" + c->slug + "/events/" + std::to_string(e->id) +
                                     "?saved=1");
                   }),
      ConsoleRoute("console_event_save"));

  router.Add(
      "POST", "/console/c/{slug}/events/{id}/status",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     auto c = CampaignOf(k, req, v, CampaignAction::kView);
                     if (!c) return k.Error(&v, req, c.error());
                     auto e = EventOf(k, req, v, *c);
                     if (!e) return k.Error(&v, req, e.error());
                     auto status = ParseEventStatus(pages::First(form, "status"));
                     if (!status || *status == EventStatus::kProposed) {
                       return k.Error(
                           &v, req,
                           {Code::kInvalidArgument, "Choose listed, draft or cancelled.", {}, 0});
                     }
                     auto done = k.events()->SetStatus(v.actor(), e->id, *status);
                     if (!done) return k.Error(&v, req, done.error());
                     return SeeOther("/console/c/" + c->slug +
                                     "/events?status=" + EventStatusName(done->status));
                   }),
      ConsoleRoute("console_event_status"));

  auto save_time = [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form,
                      bool is_new) {
    auto c = CampaignOf(k, req, v, CampaignAction::kEdit);
    if (!c) return k.Error(&v, req, c.error());
    auto e = EventOf(k, req, v, *c);
    if (!e) return k.Error(&v, req, e.error());
    SlotForm sf = ReadSlotForm(form);
    if (!is_new) {
      auto sid = IdParam(req, "sid");
      auto slots = k.events()->Slots(v.actor(), e->id);
      if (!slots) return k.Error(&v, req, slots.error());
      bool found = false;
      for (const EventSlot& s : *slots) found = found || (sid && s.id == *sid);
      if (!found) return k.Error(&v, req, {Code::kNotFound, "There is no such time.", {}, 0});
      sf.slot_id = *sid;
    }
    EventForm f;
    f.in = InputOf(*e);
    if (!sf.errors.empty()) return EventPage(k, req, v, *c, &*e, f, sf, 422, "");
    auto saved = is_new ? k.events()->AddSlot(v.actor(), e->id, sf.in)
                        : k.events()->EditSlot(v.actor(), sf.slot_id, sf.in);
    if (!saved) {
      if (saved.error().code != Code::kInvalidArgument) return k.Error(&v, req, saved.error());
      TakeFieldErrors(saved.error(), &sf.errors);
      return EventPage(k, req, v, *c, &*e, f, sf, 422, "");
    }
    return SeeOther("/console/c/" + c->slug + "/events/" + std::to_string(e->id) + "?saved=1");
  };
  router.Add(
      "POST", "/console/c/{slug}/events/{id}/times",
      SignedInPost(
          kit, [save_time](ConsoleKit& k, const Request& req, const Visit& v,
                           const pages::Form& form) { return save_time(k, req, v, form, true); }),
      ConsoleRoute("console_event_time_add"));
  router.Add(
      "POST", "/console/c/{slug}/events/{id}/times/{sid}",
      SignedInPost(
          kit, [save_time](ConsoleKit& k, const Request& req, const Visit& v,
                           const pages::Form& form) { return save_time(k, req, v, form, false); }),
      ConsoleRoute("console_event_time_save"));

  router.Add(
      "GET", "/console/c/{slug}/events/{id}/attendees",
      SignedInGet(
          kit,
          [](ConsoleKit& k, const Request& req, const Visit& v) {
            auto c = CampaignOf(k, req, v, CampaignAction::kViewSigners);
            if (!c) return k.Error(&v, req, c.error());
            auto e = EventOf(k, req, v, *c);
            if (!e) return k.Error(&v, req, e.error());
            auto people = k.events()->Attendees(v.actor(), e->id);
            if (!people) return k.Error(&v, req, people.error());
            auto slots = k.events()->Slots(v.actor(), e->id);
            if (!slots) return k.Error(&v, req, slots.error());
            DataList groups;
            for (const EventSlot& s : *slots) {
              DataList rows;
              std::int64_t in = 0;
              for (const Rsvp& r : *people) {
                if (r.slot_id != s.id ||
                    (r.status != RsvpStatus::kAccepted && r.status != RsvpStatus::kWaitlisted)) {
                  continue;
                }
                Data row;
                row.set("rid", std::to_string(r.id));
                row.set("name", r.name);
                row.set("email", r.email);
                row.set("guests", std::to_string(r.guests));
                row.set("waiting",
                        r.status == RsvpStatus::kWaitlisted
                            ? Data("waitlist " + std::to_string(r.waitlist_position.value_or(0)))
                            : Data(false));
                row.set("checked_in", Data(r.checked_in));
                if (r.checked_in) ++in;
                rows.push_back(row);
              }
              Data g;
              g.set("when", DescribeTime(s.starts, s.time_zone));
              g.set("taken", std::to_string(s.accepted));
              g.set("capacity",
                    s.capacity == 0 ? std::string("no limit") : std::to_string(s.capacity));
              g.set("checked", std::to_string(in));
              g.set("has_rows", Data(!rows.empty()));
              g.set("rows", rows);
              groups.push_back(g);
            }
            Data d;
            d.set("slug", c->slug);
            d.set("id", std::to_string(e->id));
            d.set("title", e->title);
            d.set("place", render::TextOrNothing(service::LocationText(*e)));
            d.set("csrf", v.csrf);
            d.set("times", groups);
            return k.Page(&v, "console_event_attendees", std::move(d), "Attendees: " + e->title);
          }),
      ConsoleRoute("console_event_attendees"));

  router.Add(
      "POST", "/console/c/{slug}/events/{id}/attendees/{rid}",
      SignedInPost(
          kit,
          [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
            auto c = CampaignOf(k, req, v, CampaignAction::kViewSigners);
            if (!c) return k.Error(&v, req, c.error());
            auto e = EventOf(k, req, v, *c);
            if (!e) return k.Error(&v, req, e.error());
            auto rid = IdParam(req, "rid");
            auto people = k.events()->Attendees(v.actor(), e->id);
            if (!people) return k.Error(&v, req, people.error());
            bool found = false;
            for (const Rsvp& r : *people) found = found || (rid && r.id == *rid);
            if (!found) {
              return k.Error(&v, req, {Code::kNotFound, "There is no such attendee.", {}, 0});
            }
            auto done =
                k.events()->CheckIn(v.actor(), *rid, pages::First(form, "checked") == "yes");
            if (!done) return k.Error(&v, req, done.error());
            return SeeOther("/console/c/" + c->slug + "/events/" + std::to_string(e->id) +
                            "/attendees#a" + std::to_string(*rid));
          }),
      ConsoleRoute("console_event_check_in"));
}

}  // namespace undersigned::http::console
