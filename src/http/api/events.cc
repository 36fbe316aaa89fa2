// OSDI events and attendances (events.h).
#include "http/api/events.h"

#include <algorithm>
#include <ctime>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "http/message.h"

namespace undersigned::http {
namespace {

using nlohmann::json;

constexpr const char* kHalJson = "application/hal+json; charset=utf-8";

Response Hal(const json& body, int status = 200) {
  Response r =
      Response::Json(body.dump(-1, ' ', false, json::error_handler_t::replace), status, kHalJson);
  r.Header("Cache-Control", "max-age=0, private, must-revalidate");
  return r;
}

Response ApiError(const Error& e) {
  Response r = JsonError(e);
  r.content_type = kHalJson;
  r.Header("Cache-Control", "no-store");
  return r;
}

Response ApiError(Code code, std::string message) {
  return ApiError(Error{code, std::move(message), {}, 0});
}

Error FieldError(const std::string& field, const std::string& what) {
  Error e{Code::kInvalidArgument, field + ": " + what, {}, 0};
  e.field_errors[field] = what;
  return e;
}

std::string Iso(UnixTime t) {
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

// The lines of an address as typed (one per line), without blank ones.
json AddressLines(const std::string& address) {
  json lines = json::array();
  std::size_t pos = 0;
  while (pos <= address.size()) {
    std::size_t nl = address.find('\n', pos);
    if (nl == std::string::npos) nl = address.size();
    std::string line = Trim(std::string_view(address).substr(pos, nl - pos));
    if (!line.empty()) lines.push_back(line);
    pos = nl + 1;
  }
  return lines;
}

// The service's field names, as the helper's body names them.
Error RenameFields(Error e) {
  static const std::pair<const char*, const char*> kNames[] = {
      {"name", "person.given_name"},
      {"email", "person.email_addresses[0].address"},
      {"guests", "undersigned:guests"},
      {"slot", "event"}};
  std::map<std::string, std::string> renamed;
  for (auto& [k, v] : e.field_errors) {
    std::string name = k;
    for (const auto& [from, to] : kNames) {
      if (k == from) name = to;
    }
    renamed[name] = v;
  }
  if (!renamed.empty()) {
    std::string message;
    for (const auto& [k, v] : renamed) {
      if (!message.empty()) message += "; ";
      message += k + ": " + v;
    }
    e.message = message;
  }
  e.field_errors = std::move(renamed);
  return e;
}

// Who is calling: a valid token, or nobody.
struct Caller {
  std::optional<ApiToken> token;
};

// One OSDI event: a time of an event, with its event and campaign.
struct Target {
  Campaign campaign;
  Event event;  // the place cleared for a caller without a token when private
  EventSlot slot;
  std::int64_t slot_count = 1;
};

class EventsApi {
 public:
  explicit EventsApi(EventsApiDeps deps)
      : d_(std::move(deps)), per_address_(d_.clock, d_.per_address) {}

  Response List(const Request& req) {
    auto caller = Admit(req);
    if (!caller) return ApiError(caller.error());
    std::vector<Campaign> campaigns;
    if (caller->token && caller->token->campaign_id) {
      auto c = d_.store.GetCampaignById(*caller->token->campaign_id);
      if (!c) return ApiError(c.error());
      campaigns.push_back(*c);
    } else {
      for (int page = 1;; ++page) {
        auto p = d_.campaigns.List(std::nullopt, TimeFilter{}, ::undersigned::Page{page, 100});
        if (!p) return ApiError(p.error());
        for (Campaign& c : p->items) campaigns.push_back(std::move(c));
        if (p->items.size() < 100) break;
      }
    }
    json items = json::array();
    for (const Campaign& c : campaigns) {
      if (!caller->token && c.status == CampaignStatus::kDraft) continue;
      auto events = d_.store.events().ListEvents(c.id);
      if (!events) return ApiError(events.error());
      for (const Event& e : *events) {
        if (!caller->token && !Public(e)) continue;
        auto slots = d_.store.events().ListSlots(e.id);
        if (!slots) return ApiError(slots.error());
        for (const EventSlot& s : *slots) {
          Target t{c, Shown(e, *caller), s, static_cast<std::int64_t>(slots->size())};
          items.push_back(EventJson(t, *caller));
        }
      }
    }
    json body = {{"total_records", items.size()},
                 {"page", 1},
                 {"total_pages", 1},
                 {"per_page", items.size()},
                 {"_links", {{"self", {{"href", Base() + "/events"}}}}},
                 {"_embedded", {{"osdi:events", items}}}};
    return Hal(body);
  }

  Response Get(const Request& req) {
    auto caller = Admit(req);
    if (!caller) return ApiError(caller.error());
    auto t = Find(req, *caller);
    if (!t) return ApiError(t.error());
    return Hal(EventJson(*t, *caller));
  }

  Response Attendances(const Request& req) {
    auto caller = Admit(req);
    if (!caller) return ApiError(caller.error());
    if (!caller->token) return ApiError(NeedToken());
    auto t = Find(req, *caller);
    if (!t) return ApiError(t.error());
    auto all = d_.events.Attendees(service::Actor::Operator(), t->event.id);
    if (!all) return ApiError(all.error());
    json items = json::array();
    for (const Rsvp& r : *all) {
      if (r.slot_id == t->slot.id) items.push_back(AttendanceJson(*t, r));
    }
    json body = {{"total_records", items.size()},
                 {"page", 1},
                 {"total_pages", 1},
                 {"per_page", items.size()},
                 {"_links", {{"self", {{"href", EventUrl(t->slot) + "/attendances"}}}}},
                 {"_embedded", {{"osdi:attendances", items}}}};
    return Hal(body);
  }

  Response GetAttendance(const Request& req) {
    auto caller = Admit(req);
    if (!caller) return ApiError(caller.error());
    if (!caller->token) return ApiError(NeedToken());
    auto t = Find(req, *caller);
    if (!t) return ApiError(t.error());
    auto id = Number(req.Param("aid"));
    auto all = d_.events.Attendees(service::Actor::Operator(), t->event.id);
    if (!all) return ApiError(all.error());
    for (const Rsvp& r : *all) {
      if (id && r.id == *id && r.slot_id == t->slot.id) return Hal(AttendanceJson(*t, r));
    }
    return ApiError(Code::kNotFound, "no attendance with id '" + Quote(req.Param("aid")) + "'");
  }

  Response Record(const Request& req) {
    auto caller = Admit(req);
    if (!caller) return ApiError(caller.error());
    auto t = Find(req, *caller, false);
    if (!t) return ApiError(t.error());
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
      return ApiError(FieldError("body", "send a JSON object (an attendance with its person)"));
    }
    std::string status = "accepted";
    if (body.contains("status")) {
      if (!body["status"].is_string()) {
        return ApiError(FieldError("status", "give accepted, declined or cancelled"));
      }
      status = body["status"].get<std::string>();
    }
    service::RsvpInput in;
    in.slot_id = t->slot.id;
    if (body.contains("person") && body["person"].is_object()) {
      const json& p = body["person"];
      std::string given = p.contains("given_name") && p["given_name"].is_string()
                              ? p["given_name"].get<std::string>()
                              : "";
      std::string family = p.contains("family_name") && p["family_name"].is_string()
                               ? p["family_name"].get<std::string>()
                               : "";
      in.name = Trim(given + (given.empty() || family.empty() ? "" : " ") + family);
      if (p.contains("email_addresses") && p["email_addresses"].is_array() &&
          !p["email_addresses"].empty() && p["email_addresses"][0].is_object() &&
          p["email_addresses"][0].contains("address") &&
          p["email_addresses"][0]["address"].is_string()) {
        in.email = p["email_addresses"][0]["address"].get<std::string>();
      }
    } else {
      return ApiError(FieldError("person", "give the person: given_name and email_addresses"));
    }
    if (body.contains("undersigned:guests")) {
      if (!body["undersigned:guests"].is_number_integer()) {
        return ApiError(FieldError("undersigned:guests", "give a whole number from 0 to 10"));
      }
      in.guests = body["undersigned:guests"].get<std::int64_t>();
    }
    if (body.contains("referrer_data") && body["referrer_data"].is_object()) {
      const json& rd = body["referrer_data"];
      if (rd.contains("referrer") && rd["referrer"].is_string()) {
        in.referrer = rd["referrer"].get<std::string>();
      } else if (rd.contains("source") && rd["source"].is_string()) {
        in.referrer = rd["source"].get<std::string>();
      }
    }

    if (status == "declined" || status == "cancelled") {
      if (!caller->token) {
        return ApiError(Code::kUnauthenticated,
                        "declining needs an API token (an attendee cancels from the link in "
                        "their mail)");
      }
      if (caller->token->read_only) return ApiError(ReadOnly());
      return Decline(*t, in.email);
    }
    if (status != "accepted" && status != "attending") {
      return ApiError(FieldError("status", "give accepted (or no status), declined or cancelled"));
    }
    if (!caller->token) {
      if (int wait = per_address_.Take("a:" + req.remote_address)) {
        return ApiError(Error{
            Code::kTooManyRequests,
            "too many requests; wait " + std::to_string(wait) + " s (Retry-After) and try again",
            {},
            wait});
      }
      auto r = d_.events.Answer(t->campaign.slug, t->event.slug, in, false, "api");
      // A repeated address is answered as a new one: the answer tells nothing about who has
      // answered already (the mail does).
      if (!r && r.error().code != Code::kConflict) return ApiError(RenameFields(r.error()));
      return Hal(json::object());
    }
    if (caller->token->read_only) return ApiError(ReadOnly());
    auto r = d_.events.Answer(t->campaign.slug, t->event.slug, in, true, "api");
    if (!r) return ApiError(RenameFields(r.error()));
    return Hal(AttendanceJson(*t, *r));
  }

 private:
  std::string Base() const { return d_.base_url + "/api/v2"; }
  std::string EventUrl(const EventSlot& s) const {
    return Base() + "/events/" + std::to_string(s.id);
  }

  static std::string Quote(std::string_view s) {
    return std::string(s.substr(0, 100)) + (s.size() > 100 ? "..." : "");
  }
  static Error NeedToken() {
    return Error{Code::kUnauthenticated,
                 "this endpoint needs an API token: send it in the OSDI-API-Token header",
                 {},
                 0};
  }
  static Error ReadOnly() { return Error{Code::kForbidden, "this API token may only read", {}, 0}; }
  static std::optional<std::int64_t> Number(const std::string& s) {
    std::string_view v = s;
    if (v.starts_with("undersigned:")) v.remove_prefix(12);
    if (v.empty() || v.size() > 18 ||
        !std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
      return std::nullopt;
    }
    return std::stoll(std::string(v));
  }
  static bool Public(const Event& e) {
    return e.status == EventStatus::kListed || e.status == EventStatus::kCancelled;
  }
  // The event as this caller may see it: the place cleared without a token when private.
  static Event Shown(const Event& e, const Caller& caller) {
    return caller.token ? e : service::PublicLocation(e);
  }

  Result<Caller> Admit(const Request& req) {
    std::string raw = req.Header("osdi-api-token");
    if (raw.empty()) raw = req.Query("osdi-api-token").value_or("");
    raw = Trim(raw);
    if (raw.empty()) return Caller{};
    auto token = d_.tokens.Authenticate(raw);
    if (!token) {
      if (token.error().code != Code::kUnauthenticated) return Fail(token.error());
      if (int wait = per_address_.Take("a:" + req.remote_address)) {
        return Fail(Error{
            Code::kTooManyRequests,
            "too many requests; wait " + std::to_string(wait) + " s (Retry-After) and try again",
            {},
            wait});
      }
      return Fail(Code::kUnauthenticated,
                  "invalid API token: check the OSDI-API-Token header (tokens are made with "
                  "`undersigned token create --name NAME`)");
    }
    return Caller{*token};
  }

  // The time named by {id}, if the caller may see it (kNotFound otherwise, as if absent).
  // count_times: fill Target::slot_count (a read of every time of the event, which an event's
  // resource shows and an RSVP does not need).
  Result<Target> Find(const Request& req, const Caller& caller, bool count_times = true) {
    const std::string raw = req.Param("id");
    auto not_found = [&] { return Fail(Code::kNotFound, "no event with id '" + Quote(raw) + "'"); };
    auto id = Number(raw);
    if (!id) return not_found();
    auto slot = d_.store.events().GetSlot(*id);
    if (!slot) return slot.error().code == Code::kNotFound ? not_found() : Fail(slot.error());
    auto e = d_.store.events().GetEvent(slot->event_id);
    if (!e) return e.error().code == Code::kNotFound ? not_found() : Fail(e.error());
    auto c = d_.store.GetCampaignById(e->campaign_id);
    if (!c) return c.error().code == Code::kNotFound ? not_found() : Fail(c.error());
    if (!caller.token && (!Public(*e) || c->status == CampaignStatus::kDraft)) {
      return not_found();
    }
    if (caller.token && caller.token->campaign_id && *caller.token->campaign_id != c->id) {
      return not_found();
    }
    std::int64_t times = 1;
    if (count_times) {
      auto slots = d_.store.events().ListSlots(e->id);
      if (!slots) return Fail(slots.error());
      times = static_cast<std::int64_t>(slots->size());
    }
    return Target{*c, Shown(*e, caller), *slot, times};
  }

  Response Decline(const Target& t, const std::string& email) {
    if (email.empty()) {
      return ApiError(FieldError("person.email_addresses[0].address",
                                 "give the address whose answer to decline"));
    }
    auto all = d_.events.Attendees(service::Actor::Operator(), t.event.id);
    if (!all) return ApiError(all.error());
    const std::string key = d_.events.links().EmailKey(email);
    for (const Rsvp& r : *all) {
      if (r.slot_id != t.slot.id || r.status == RsvpStatus::kCancelled) continue;
      if (d_.events.links().EmailKey(r.email) != key) continue;
      auto c = d_.events.CancelAttendee(service::Actor::Operator(), r.id);
      if (!c) return ApiError(c.error());
      return Hal(AttendanceJson(t, c->rsvp));
    }
    return ApiError(Code::kNotFound,
                    "nothing to decline: this address has no live answer for this event's time");
  }

  json EventJson(const Target& t, const Caller& caller) const {
    const Event& e = t.event;
    const EventSlot& s = t.slot;
    const std::string self = EventUrl(s);
    const char* status = e.status == EventStatus::kListed      ? "confirmed"
                         : e.status == EventStatus::kCancelled ? "cancelled"
                                                               : "tentative";
    json out = {{"identifiers", {"undersigned:" + std::to_string(s.id)}},
                {"origin_system", "undersigned"},
                {"created_date", Iso(std::min(e.created, s.created))},
                {"modified_date", Iso(std::max(e.modified, s.modified))},
                {"name", e.slug},
                {"title", e.title},
                {"description", e.description_markdown},
                {"browser_url", d_.base_url + "/c/" + t.campaign.slug + "/events/" + e.slug},
                {"start_date", Iso(s.starts)},
                {"end_date", Iso(s.ends)},
                {"timezone_identifier", s.time_zone},
                {"capacity", s.capacity},
                {"total_accepted", s.accepted},
                {"undersigned:waitlisted", s.waitlisted},
                {"status", status},
                {"visibility", Public(e) ? "public" : "private"},
                {"instructions", e.accessibility},
                {"undersigned:kind", EventKindName(e.kind)},
                {"undersigned:event", {{"id", e.id}, {"slug", e.slug}, {"times", t.slot_count}}},
                {"undersigned:petition", t.campaign.uuid}};
    if (!e.host_name.empty()) out["contact"] = {{"name", e.host_name}};
    if (caller.token && !e.host_email.empty()) {
      out["contact"]["email_address"] = e.host_email;
    }
    if (e.kind == EventKind::kInPerson) {
      json loc = {{"public", !e.private_location}};
      if (!e.venue.empty()) loc["venue"] = e.venue;
      if (!e.address.empty()) loc["address_lines"] = AddressLines(e.address);
      out["location"] = std::move(loc);
    } else {
      out["location"] = {{"public", !e.private_location}};
      if (!e.online_link.empty()) out["undersigned:online_link"] = e.online_link;
    }
    out["_links"] = {
        {"self", {{"href", self}}},
        {"osdi:attendances", {{"href", self + "/attendances"}}},
        {"osdi:record_attendance_helper", {{"href", self + "/record_attendance_helper"}}}};
    return out;
  }

  json AttendanceJson(const Target& t, const Rsvp& r) const {
    const char* status = "needs action";
    switch (r.status) {
      case RsvpStatus::kAccepted:
        status = "accepted";
        break;
      case RsvpStatus::kCancelled:
        status = "cancelled";
        break;
      case RsvpStatus::kWaitlisted:
        status = "tentative";
        break;
      case RsvpStatus::kPending:
        break;
    }
    const std::string self = EventUrl(t.slot) + "/attendances/" + std::to_string(r.id);
    json out = {
        {"identifiers", {"undersigned:" + std::to_string(r.id)}},
        {"created_date", Iso(r.created)},
        {"modified_date", Iso(r.modified)},
        {"status", status},
        {"undersigned:status", RsvpStatusName(r.status)},
        {"attended", r.checked_in},
        {"undersigned:guests", r.guests},
        {"referrer_data", {{"referrer", r.referrer}, {"source", r.source}}},
        {"person", {{"given_name", r.name}, {"email_addresses", {{{"address", r.email}}}}}},
        {"_links", {{"self", {{"href", self}}}, {"osdi:event", {{"href", EventUrl(t.slot)}}}}}};
    if (r.waitlist_position) out["undersigned:waitlist_position"] = *r.waitlist_position;
    return out;
  }

  EventsApiDeps d_;
  RateLimiter per_address_;
};

}  // namespace

void RegisterEventsApi(Router& router, EventsApiDeps deps) {
  auto api = std::make_shared<EventsApi>(std::move(deps));
  for (const char* p : {"/api/v2/events", "/api/v2/events/"}) {
    router.Get(p, [api](const Request& r) { return api->List(r); }, {true, 0, "api_events_list"});
  }
  router.Get("/api/v2/events/{id}", [api](const Request& r) { return api->Get(r); },
             {true, 0, "api_event"});
  router.Get("/api/v2/events/{id}/attendances",
             [api](const Request& r) { return api->Attendances(r); },
             {true, 0, "api_attendances_list"});
  router.Get("/api/v2/events/{id}/attendances/{aid}",
             [api](const Request& r) { return api->GetAttendance(r); },
             {true, 0, "api_attendance"});
  for (const char* p :
       {"/api/v2/events/{id}/attendances", "/api/v2/events/{id}/record_attendance_helper"}) {
    router.Post(p, [api](const Request& r) { return api->Record(r); },
                {true, 64 * 1024, "api_record_attendance"});
  }
}

}  // namespace undersigned::http
