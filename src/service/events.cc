#include "service/events.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/signature.h"
#include "core/time_zone.h"
#include "core/utf8.h"
#include "service/ids.h"
#include "service/link_mac.h"

namespace undersigned::service {
namespace {

bool ValidSlug(const std::string& s) {
  if (s.empty() || s.size() > 64 || s.front() == '-' || s.back() == '-') return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool ValidLink(const std::string& s) {
  return (s.starts_with("https://") || s.starts_with("http://")) && s.size() <= 2000 &&
         s.find_first_of(" \t\r\n<>\"") == std::string::npos;
}

std::string Esc(const std::string& s) {
  std::string o;
  for (char c : s) {
    switch (c) {
      case '&':
        o += "&amp;";
        break;
      case '<':
        o += "&lt;";
        break;
      case '>':
        o += "&gt;";
        break;
      case '"':
        o += "&quot;";
        break;
      default:
        o += c;
    }
  }
  return o;
}

// "a@b" of a base URL ("https://example.org:8080/x" -> "example.org").
std::string HostOf(const std::string& base_url) {
  std::string h = base_url;
  if (auto p = h.find("://"); p != std::string::npos) h = h.substr(p + 3);
  h = h.substr(0, h.find_first_of(":/"));
  return h.empty() ? "undersigned" : h;
}

bool PlaceChanged(const Event& a, const Event& b) {
  return a.kind != b.kind || a.venue != b.venue || a.address != b.address ||
         a.online_link != b.online_link;
}

}  // namespace

// --- links

Result<EventLinks> EventLinks::Open(Store& store) {
  auto key = store.InstanceSecret("event-link-key");
  if (!key) return Fail(key.error());
  return EventLinks(std::move(*key));
}

std::string EventLinks::Mac(std::string_view msg) const { return HmacHex(key_, msg); }

std::string EventLinks::CancelToken(std::int64_t rsvp_id) const {
  return IdLinkToken(key_, "rsvp-cancel", rsvp_id);
}

Result<std::int64_t> EventLinks::CheckCancel(std::string_view token) const {
  auto id = CheckIdLinkToken(key_, "rsvp-cancel", token);
  if (!id) return Fail(Code::kNotFound, "this cancellation link is not valid");
  return *id;
}

std::string EventLinks::EmailKey(std::string_view email) const {
  return Mac("rsvp-email:" + CanonicalEmail(email));
}

// --- validation

Result<Event> EventFromInput(const EventInput& in) {
  std::map<std::string, std::string> errors;
  Event e;
  e.slug = Trim(in.slug);
  if (!ValidSlug(e.slug)) {
    errors["slug"] = "must be 1 to 64 lower-case letters, digits and dashes";
  }
  e.title = Trim(in.title);
  CheckTextField(errors, "title", e.title, 200, true, false);
  e.description_markdown = in.description_markdown;
  CheckTextField(errors, "description", e.description_markdown, 20000, false, true);
  auto kind = ParseEventKind(in.kind);
  if (!kind) {
    errors["kind"] = "must be in_person or online";
  } else {
    e.kind = *kind;
  }
  e.venue = Trim(in.venue);
  CheckTextField(errors, "venue", e.venue, 200, false, false);
  e.address = Trim(in.address);
  CheckTextField(errors, "address", e.address, 500, false, true);
  e.online_link = Trim(in.online_link);
  if (!e.online_link.empty() && !ValidLink(e.online_link)) {
    errors["online_link"] = "must be a web address starting with https://";
  }
  if (kind == EventKind::kOnline && e.online_link.empty()) {
    errors["online_link"] = "is required for an online event";
  }
  if (kind == EventKind::kInPerson && e.venue.empty() && e.address.empty()) {
    errors["address"] = "is required for an event in person (or give the venue)";
  }
  e.private_location = in.private_location;
  e.accessibility = Trim(in.accessibility);
  CheckTextField(errors, "accessibility", e.accessibility, 2000, false, true);
  e.host_name = Trim(in.host_name);
  CheckTextField(errors, "host_name", e.host_name, 200, false, false);
  e.host_email = Trim(in.host_email);
  if (!e.host_email.empty() && !ValidEmail(e.host_email)) {
    errors["host_email"] = "is not an email address";
  }
  if (in.reminder_offsets.size() > kMaxReminders) {
    errors["reminders"] = "at most 5 reminders";
  }
  for (std::int64_t o : in.reminder_offsets) {
    if (o <= 0 || o > kMaxReminderOffset) {
      errors["reminders"] = "each reminder must be between a second and 30 days before the start";
    }
  }
  e.reminder_offsets = in.reminder_offsets;
  std::sort(e.reminder_offsets.begin(), e.reminder_offsets.end(), std::greater<>());
  e.reminder_offsets.erase(std::unique(e.reminder_offsets.begin(), e.reminder_offsets.end()),
                           e.reminder_offsets.end());
  if (in.promote_until < 0 || in.promote_until > kMaxReminderOffset) {
    errors["promote_until"] = "must be between 0 and 30 days (in seconds)";
  }
  e.promote_until = in.promote_until;
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return e;
}

Result<EventSlot> SlotFromInput(const SlotInput& in) {
  std::map<std::string, std::string> errors;
  EventSlot s;
  s.time_zone = Trim(in.time_zone).empty() ? std::string(kDefaultTimeZone) : Trim(in.time_zone);
  if (!IsKnownTimeZone(s.time_zone)) {
    errors["time_zone"] = "is not a time zone of the tz database (e.g. Europe/Paris)";
  } else {
    auto starts = ParseLocalTime(Trim(in.starts), s.time_zone);
    auto ends = ParseLocalTime(Trim(in.ends), s.time_zone);
    if (!starts) errors["starts"] = "must be a date and time such as 2026-12-08T09:30";
    if (!ends) errors["ends"] = "must be a date and time such as 2026-12-08T11:00";
    if (starts && ends && *ends <= *starts) errors["ends"] = "must be after the start";
    s.starts = starts.value_or(0);
    s.ends = ends.value_or(0);
  }
  if (in.capacity < 0 || in.capacity > kMaxCapacity) {
    errors["capacity"] = "must be between 0 (no limit) and 1000000";
  }
  s.capacity = in.capacity;
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return s;
}

Event PublicLocation(Event e) {
  if (e.private_location) {
    e.venue.clear();
    e.address.clear();
    e.online_link.clear();
  }
  return e;
}

std::string LocationText(const Event& e) {
  if (e.kind == EventKind::kOnline) return e.online_link;
  std::string out = e.venue;
  if (!e.address.empty()) {
    if (!out.empty()) out += ", ";
    std::string a = e.address;
    std::replace(a.begin(), a.end(), '\n', ',');
    out += a;
  }
  return out;
}

IcsEvent IcsOf(const Event& e, const EventSlot& s, const std::string& location,
               const std::string& uid, const std::string& url) {
  IcsEvent i;
  i.uid = uid;
  i.summary = e.title;
  i.description = e.description_markdown;
  if (!e.accessibility.empty()) i.description += "\n\nAccessibility: " + e.accessibility;
  i.location = location;
  i.url = url;
  i.starts = s.starts;
  i.ends = s.ends;
  i.time_zone = s.time_zone;
  i.cancelled = e.status == EventStatus::kCancelled;
  i.sequence = static_cast<int>(std::max<UnixTime>(0, e.modified - e.created) % 100000);
  return i;
}

// --- the service

EventService::EventService(Store& store, AccountService& accounts, const Clock& clock,
                           EventLinks links, std::function<void()> wake_mailer)
    : store_(store),
      accounts_(accounts),
      clock_(clock),
      links_(std::move(links)),
      wake_(std::move(wake_mailer)) {}

void EventService::Wake() {
  if (wake_) wake_();
}

Result<Campaign> EventService::Authorized(const Actor& by, std::int64_t campaign_id,
                                          CampaignAction action) {
  if (auto r = accounts_.Authorize(by, campaign_id, action); !r) return Fail(r.error());
  return store_.GetCampaignById(campaign_id);
}

Result<Event> EventService::AuthorizedEvent(const Actor& by, std::int64_t event_id,
                                            CampaignAction action) {
  auto e = store_.events().GetEvent(event_id);
  if (!e) return Fail(e.error());
  if (auto c = Authorized(by, e->campaign_id, action); !c) return Fail(c.error());
  return e;
}

Result<Event> EventService::Create(const Actor& by, const std::string& campaign_slug,
                                   const EventInput& in, EventStatus status) {
  auto campaign = store_.GetCampaignBySlug(campaign_slug);
  if (!campaign) return Fail(campaign.error());
  if (auto r = Authorized(by, campaign->id, CampaignAction::kEdit); !r) return Fail(r.error());
  if (status != EventStatus::kDraft && status != EventStatus::kListed) {
    return Fail(Code::kInvalidArgument, "a new event is a draft or listed");
  }
  auto e = EventFromInput(in);
  if (!e) return Fail(e.error());
  e->campaign_id = campaign->id;
  e->status = status;
  e->created_by = by.user_id;
  auto made = store_.events().CreateEvent(*e, clock_.Now());
  if (!made) {
    if (made.error().code == Code::kConflict) {
      return Fail(FieldErrors({{"slug", "is taken by another event of this campaign"}}));
    }
    return Fail(made.error());
  }
  if (auto r = accounts_.Record(by, campaign->id, "event.create", std::to_string(made->id),
                                {{"slug", made->slug}, {"status", EventStatusName(status)}});
      !r) {
    return Fail(r.error());
  }
  return made;
}

Result<Event> EventService::Edit(const Actor& by, std::int64_t event_id, const EventInput& in) {
  auto before = AuthorizedEvent(by, event_id, CampaignAction::kEdit);
  if (!before) return before;
  auto e = EventFromInput(in);
  if (!e) return Fail(e.error());
  e->id = before->id;
  e->campaign_id = before->campaign_id;
  e->host_token_hash = before->host_token_hash;
  const bool notify = before->status == EventStatus::kListed && PlaceChanged(*before, *e);
  auto out = store_.events().UpdateEvent(*e, clock_.Now(), notify);
  if (!out) {
    if (out.error().code == Code::kConflict) {
      return Fail(FieldErrors({{"slug", "is taken by another event of this campaign"}}));
    }
    return out;
  }
  if (notify) Wake();
  if (auto r = accounts_.Record(by, out->campaign_id, "event.edit", std::to_string(out->id),
                                {{"place_changed", notify}});
      !r) {
    return Fail(r.error());
  }
  return out;
}

Result<Event> EventService::SetStatus(const Actor& by, std::int64_t event_id, EventStatus status) {
  const CampaignAction action =
      status == EventStatus::kCancelled ? CampaignAction::kSetStatus : CampaignAction::kEdit;
  auto before = AuthorizedEvent(by, event_id, action);
  if (!before) return before;
  if (status == EventStatus::kProposed) {
    return Fail(Code::kInvalidArgument, "only a supporter's proposal is proposed");
  }
  if (status == EventStatus::kListed) {
    auto slots = store_.events().ListSlots(event_id);
    if (!slots) return Fail(slots.error());
    if (slots->empty()) {
      return Fail(Code::kInvalidArgument, "add a time to the event before listing it");
    }
  }
  auto out = store_.events().SetEventStatus(event_id, status, clock_.Now());
  if (!out) return out;
  if (status == EventStatus::kCancelled) Wake();
  const char* what = status == EventStatus::kListed && before->status == EventStatus::kProposed
                         ? "event.approve"
                         : "event.status";
  if (auto r = accounts_.Record(by, out->campaign_id, what, std::to_string(out->id),
                                {{"status", EventStatusName(status)}});
      !r) {
    return Fail(r.error());
  }
  return out;
}

Result<EventSlot> EventService::AddSlot(const Actor& by, std::int64_t event_id,
                                        const SlotInput& in) {
  auto e = AuthorizedEvent(by, event_id, CampaignAction::kEdit);
  if (!e) return Fail(e.error());
  auto s = SlotFromInput(in);
  if (!s) return s;
  s->event_id = event_id;
  auto out = store_.events().AddSlot(*s, clock_.Now());
  if (!out) return out;
  if (auto r = accounts_.Record(by, e->campaign_id, "event.slot.add", std::to_string(out->id));
      !r) {
    return Fail(r.error());
  }
  return out;
}

Result<EventSlot> EventService::EditSlot(const Actor& by, std::int64_t slot_id,
                                         const SlotInput& in) {
  auto before = store_.events().GetSlot(slot_id);
  if (!before) return before;
  auto e = AuthorizedEvent(by, before->event_id, CampaignAction::kEdit);
  if (!e) return Fail(e.error());
  auto s = SlotFromInput(in);
  if (!s) return s;
  s->id = slot_id;
  s->event_id = before->event_id;
  const bool notify =
      e->status == EventStatus::kListed && (s->starts != before->starts || s->ends != before->ends);
  auto out = store_.events().UpdateSlot(*s, clock_.Now(), notify);
  if (!out) return out;
  Wake();  // a notice, or a promotion by a raised capacity
  if (auto r = accounts_.Record(by, e->campaign_id, "event.slot.edit", std::to_string(slot_id),
                                {{"time_changed", notify}, {"capacity", out->capacity}});
      !r) {
    return Fail(r.error());
  }
  return out;
}

Result<std::vector<Event>> EventService::List(const Actor& by, const std::string& campaign_slug) {
  auto campaign = store_.GetCampaignBySlug(campaign_slug);
  if (!campaign) return Fail(campaign.error());
  if (auto r = Authorized(by, campaign->id, CampaignAction::kView); !r) return Fail(r.error());
  return store_.events().ListEvents(campaign->id);
}

Result<Event> EventService::Get(const Actor& by, std::int64_t event_id) {
  return AuthorizedEvent(by, event_id, CampaignAction::kView);
}

Result<std::vector<EventSlot>> EventService::Slots(const Actor& by, std::int64_t event_id) {
  if (auto e = AuthorizedEvent(by, event_id, CampaignAction::kView); !e) return Fail(e.error());
  return store_.events().ListSlots(event_id);
}

Result<std::vector<Rsvp>> EventService::Attendees(const Actor& by, std::int64_t event_id) {
  if (auto e = AuthorizedEvent(by, event_id, CampaignAction::kViewSigners); !e) {
    return Fail(e.error());
  }
  return store_.events().ListRsvps(event_id);
}

Result<Rsvp> EventService::CheckIn(const Actor& by, std::int64_t rsvp_id, bool checked_in) {
  auto r = store_.events().GetRsvp(rsvp_id);
  if (!r) return r;
  auto e = AuthorizedEvent(by, r->event_id, CampaignAction::kViewSigners);
  if (!e) return Fail(e.error());
  if (checked_in && r->status != RsvpStatus::kAccepted) {
    return Fail(Code::kConflict, "only an accepted attendee can be checked in");
  }
  auto out = store_.events().CheckIn(rsvp_id, checked_in, clock_.Now());
  if (!out) return out;
  if (auto a = accounts_.Record(by, e->campaign_id, checked_in ? "event.check_in" : "event.uncheck",
                                std::to_string(rsvp_id));
      !a) {
    return Fail(a.error());
  }
  return out;
}

Result<RsvpCancel> EventService::CancelAttendee(const Actor& by, std::int64_t rsvp_id) {
  auto r = store_.events().GetRsvp(rsvp_id);
  if (!r) return Fail(r.error());
  auto e = AuthorizedEvent(by, r->event_id, CampaignAction::kEdit);
  if (!e) return Fail(e.error());
  auto out = store_.events().CancelRsvp(rsvp_id, clock_.Now());
  if (!out) return out;
  Wake();
  if (auto a = accounts_.Record(by, e->campaign_id, "event.rsvp.cancel", std::to_string(rsvp_id));
      !a) {
    return Fail(a.error());
  }
  return out;
}

Result<Proposal> EventService::Propose(const std::string& campaign_slug, const EventInput& in,
                                       const SlotInput& slot_in) {
  auto campaign = store_.GetCampaignBySlug(campaign_slug);
  if (!campaign || campaign->status != CampaignStatus::kOpen) {
    return Fail(Code::kNotFound, "no such campaign");
  }
  auto e = EventFromInput(in);
  auto s = SlotFromInput(slot_in);
  std::map<std::string, std::string> errors;
  if (!e) errors["event"] = e.error().message;
  if (!s) errors["slot"] = s.error().message;
  if (e && (e->host_name.empty() || e->host_email.empty())) {
    errors["host_email"] = "a proposal needs its host's name and email";
  }
  if (s && s->starts <= clock_.Now()) errors["starts"] = "must be in the future";
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  Proposal out;
  out.host_token = NewToken();
  e->campaign_id = campaign->id;
  e->status = EventStatus::kProposed;
  e->host_token_hash = HashToken(out.host_token);
  auto made = store_.events().CreateEvent(*e, clock_.Now());
  if (!made) {
    if (made.error().code == Code::kConflict) {
      return Fail(FieldErrors({{"slug", "is taken by another event of this campaign"}}));
    }
    return Fail(made.error());
  }
  s->event_id = made->id;
  if (auto added = store_.events().AddSlot(*s, clock_.Now()); !added) return Fail(added.error());
  out.event = std::move(*made);
  return out;
}

Result<std::vector<Rsvp>> EventService::HostAttendees(std::int64_t event_id,
                                                      std::string_view host_token) {
  auto e = store_.events().GetEvent(event_id);
  if (!e) return Fail(e.error());
  const std::string want = HashToken(host_token);
  if (e->host_token_hash.empty() || host_token.empty() ||
      want.size() != e->host_token_hash.size() ||
      sodium_memcmp(want.data(), e->host_token_hash.data(), want.size()) != 0) {
    return Fail(Code::kNotFound, "this host link is not valid");
  }
  return store_.events().ListRsvps(event_id);
}

Result<std::vector<PublicEvent>> EventService::Listed(const std::string& campaign_slug) {
  auto campaign = store_.GetCampaignBySlug(campaign_slug);
  if (!campaign) return Fail(campaign.error());
  auto events = store_.events().ListEvents(campaign->id);
  if (!events) return Fail(events.error());
  std::vector<PublicEvent> out;
  for (Event& e : *events) {
    if (e.status != EventStatus::kListed && e.status != EventStatus::kCancelled) continue;
    auto slots = store_.events().ListSlots(e.id);
    if (!slots) return Fail(slots.error());
    const bool hidden = e.private_location;
    out.push_back(PublicEvent{PublicLocation(std::move(e)), std::move(*slots), hidden});
  }
  return out;
}

Result<PublicEvent> EventService::Show(const std::string& campaign_slug,
                                       const std::string& event_slug) {
  auto campaign = store_.GetCampaignBySlug(campaign_slug);
  if (!campaign) return Fail(campaign.error());
  auto e = store_.events().FindEvent(campaign->id, event_slug);
  if (!e) return Fail(e.error());
  if (e->status != EventStatus::kListed && e->status != EventStatus::kCancelled) {
    return Fail(Code::kNotFound, "no such event");
  }
  auto slots = store_.events().ListSlots(e->id);
  if (!slots) return Fail(slots.error());
  const bool hidden = e->private_location;
  return PublicEvent{PublicLocation(std::move(*e)), std::move(*slots), hidden};
}

Result<Rsvp> EventService::Answer(const std::string& campaign_slug, const std::string& event_slug,
                                  const RsvpInput& in, bool trusted, const std::string& source) {
  auto campaign = store_.GetCampaignBySlug(campaign_slug);
  if (!campaign) return Fail(campaign.error());
  auto e = store_.events().FindEvent(campaign->id, event_slug);
  if (!e || e->status != EventStatus::kListed) {
    if (e && e->status == EventStatus::kCancelled) {
      return Fail(Code::kConflict, "this event was cancelled");
    }
    return Fail(Code::kNotFound, "no such event");
  }
  std::map<std::string, std::string> errors;
  NewRsvp n;
  n.name = Trim(in.name);
  CheckTextField(errors, "name", n.name, kMaxNameBytes, true, false);
  n.email = Trim(in.email);
  if (!ValidEmail(n.email)) errors["email"] = "is not an email address";
  if (in.guests < 0 || in.guests > kMaxGuests) errors["guests"] = "must be between 0 and 10";
  n.guests = in.guests;
  n.referrer = in.referrer.substr(0, 500);
  if (!IsValidUtf8(n.referrer)) n.referrer.clear();
  auto slot = store_.events().GetSlot(in.slot_id);
  if (!slot || slot->event_id != e->id) {
    errors["slot"] = "choose one of the event's times";
  } else if (slot->starts <= clock_.Now()) {
    errors["slot"] = "this time has already started";
  }
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  n.slot_id = in.slot_id;
  n.email_key = links_.EmailKey(n.email);
  n.source = source;
  n.accept_now = trusted;
  if (!trusted) {
    n.confirm_token = NewToken();
    n.confirm_hash = HashToken(n.confirm_token);
  }
  n.now = clock_.Now();
  auto out = store_.events().CreateRsvp(n);
  if (!out) {
    if (out.error().code == Code::kConflict) {
      return Fail(Code::kConflict,
                  "this address has already answered for this time; see the mail we sent");
    }
    return out;
  }
  Wake();
  return out;
}

Result<RsvpView> EventService::View(const Rsvp& r) {
  auto e = store_.events().GetEvent(r.event_id);
  if (!e) return Fail(e.error());
  auto slot = store_.events().GetSlot(r.slot_id);
  if (!slot) return Fail(slot.error());
  auto campaign = store_.GetCampaignById(e->campaign_id);
  if (!campaign) return Fail(campaign.error());
  RsvpView v{std::move(*campaign), r.status == RsvpStatus::kAccepted ? *e : PublicLocation(*e),
             std::move(*slot), r};
  return v;
}

Result<RsvpView> EventService::ForConfirm(std::string_view token) {
  if (token.empty() || token.size() > 100) return Fail(Code::kNotFound, "no such RSVP");
  auto r = store_.events().FindRsvpByConfirm(HashToken(token));
  if (!r) return Fail(Code::kNotFound, "this link was used already or is not valid");
  return View(*r);
}

Result<RsvpView> EventService::Confirm(std::string_view token) {
  if (token.empty() || token.size() > 100) return Fail(Code::kNotFound, "no such RSVP");
  auto r = store_.events().FindRsvpByConfirm(HashToken(token));
  if (!r) return Fail(Code::kNotFound, "this link was used already or is not valid");
  auto confirmed = store_.events().ConfirmRsvp(r->id, clock_.Now());
  if (!confirmed) return Fail(confirmed.error());
  Wake();
  return View(*confirmed);
}

Result<RsvpView> EventService::ForCancel(std::string_view token) {
  auto id = links_.CheckCancel(token);
  if (!id) return Fail(id.error());
  auto r = store_.events().GetRsvp(*id);
  if (!r) return Fail(r.error());
  return View(*r);
}

Result<RsvpView> EventService::Cancel(std::string_view token) {
  auto id = links_.CheckCancel(token);
  if (!id) return Fail(id.error());
  auto c = store_.events().CancelRsvp(*id, clock_.Now());
  if (!c) return Fail(c.error());
  if (!c->promoted.empty() || c->notified > 0) Wake();
  return View(c->rsvp);
}

Result<std::string> EventService::RsvpCalendar(std::int64_t rsvp_id) {
  auto r = store_.events().GetRsvp(rsvp_id);
  if (!r) return Fail(r.error());
  auto v = View(*r);
  if (!v) return Fail(v.error());
  const std::string location = r->status == RsvpStatus::kAccepted ? LocationText(v->event) : "";
  return IcsCalendar({IcsOf(v->event, v->slot, location, "rsvp-" + std::to_string(r->id), "")},
                     clock_.Now(), v->event.title);
}

Result<std::string> EventService::CampaignCalendar(const std::string& campaign_slug,
                                                   const std::string& site_host) {
  auto events = Listed(campaign_slug);
  if (!events) return Fail(events.error());
  auto campaign = store_.GetCampaignBySlug(campaign_slug);
  if (!campaign) return Fail(campaign.error());
  std::vector<IcsEvent> out;
  for (const PublicEvent& p : *events) {
    for (const EventSlot& s : p.slots) {
      out.push_back(IcsOf(p.event, s, LocationText(p.event),
                          "slot-" + std::to_string(s.id) + "@" + site_host, ""));
    }
  }
  return IcsCalendar(out, clock_.Now(), campaign->title);
}

// --- mail

EventMailRenderer::EventMailRenderer(Store& store, const EventLinks& links, std::string base_url)
    : store_(store), links_(links), base_url_(std::move(base_url)) {}

Result<OutreachMail> EventMailRenderer::Render(const OutboxMessage& m) const {
  auto payload = nlohmann::json::parse(m.payload, nullptr, false);
  if (!payload.is_object() || !payload.contains("rsvp_id") ||
      !payload["rsvp_id"].is_number_integer()) {
    return Fail(Code::kInvalidArgument, "an event mail without its RSVP");
  }
  auto r = store_.events().GetRsvp(payload["rsvp_id"].get<std::int64_t>());
  if (!r) {
    if (r.error().code == Code::kNotFound) return Fail(Code::kInvalidArgument, "unknown RSVP");
    return Fail(r.error());
  }
  auto e = store_.events().GetEvent(r->event_id);
  if (!e) return Fail(e.error());
  auto slot = store_.events().GetSlot(r->slot_id);
  if (!slot) return Fail(slot.error());
  auto campaign = store_.GetCampaignById(e->campaign_id);
  if (!campaign) return Fail(campaign.error());
  const std::string page = base_url_ + "/c/" + campaign->slug + "/events/" + e->slug;
  const std::string cancel_url = page + "/cancel?t=" + links_.CancelToken(r->id);
  const bool accepted = r->status == RsvpStatus::kAccepted;
  const std::string when = DescribeTime(slot->starts, slot->time_zone);

  OutreachMail out;
  out.to = r->email;
  std::string lead;
  bool with_details = false;  // the location and a calendar file: accepted attendees only
  if (m.kind == "event_rsvp" && r->status == RsvpStatus::kPending &&
      payload.contains("confirm_token") && payload["confirm_token"].is_string()) {
    out.subject = "Please confirm: " + e->title;
    lead = "Please confirm that you are coming to \"" + e->title + "\" on " + when +
           ". Open this link and press the button:\n" + page +
           "/confirm?t=" + payload["confirm_token"].get<std::string>();
  } else if (m.kind == "event_rsvp" || m.kind == "event_status") {
    if (accepted) {
      out.subject = "You're in: " + e->title;
      lead = "You are registered for \"" + e->title + "\" on " + when + ".";
      with_details = true;
    } else if (r->status == RsvpStatus::kWaitlisted) {
      out.subject = "On the waitlist: " + e->title;
      lead = "\"" + e->title + "\" on " + when + " is full. You are number " +
             std::to_string(r->waitlist_position.value_or(0)) +
             " on the waitlist: we will write the moment a place frees up.";
    } else {
      return Fail(Code::kInvalidArgument, "the RSVP was cancelled before its mail went out");
    }
  } else if (m.kind == "event_promoted") {
    if (!accepted) return Fail(Code::kInvalidArgument, "the RSVP is no longer accepted");
    out.subject = "A place freed up: you're in for " + e->title;
    lead = "A place freed up: you are now registered for \"" + e->title + "\" on " + when + ".";
    with_details = true;
  } else if (m.kind == "event_waitlist_notice") {
    if (r->status != RsvpStatus::kWaitlisted) {
      return Fail(Code::kInvalidArgument, "the RSVP is no longer waiting");
    }
    out.subject = "A place freed up late: " + e->title;
    lead = "A place freed up for \"" + e->title + "\" on " + when +
           ", too close to the start to move the waitlist. Ask the host whether you can come.";
  } else if (m.kind == "event_reminder") {
    if (!accepted || e->status != EventStatus::kListed) {
      return Fail(Code::kInvalidArgument, "the reminder's attendee or event is no longer on");
    }
    out.subject = "Reminder: " + e->title + ", " + when;
    lead = "A reminder: \"" + e->title + "\" starts " + when + ".";
    with_details = true;
  } else if (m.kind == "event_changed") {
    const std::string what = payload.value("what", "place");
    out.subject = (what == "time" ? "New time: " : "New place: ") + e->title;
    lead = "\"" + e->title + "\" has changed. It is now on " + when + ".";
    with_details = accepted;
  } else if (m.kind == "event_cancelled") {
    out.subject = "Cancelled: " + e->title;
    lead = "\"" + e->title + "\" on " + when + " is cancelled. We are sorry.";
    with_details = accepted;  // the .ics says CANCELLED, so calendars drop it
  } else {
    return Fail(Code::kInvalidArgument, "unknown event mail " + m.kind);
  }
  std::string text = "Hello " + r->name + ",\n\n" + lead + "\n";
  if (with_details && e->status != EventStatus::kCancelled) {
    const std::string where = LocationText(*e);
    if (!where.empty()) text += "\nWhere: " + where + "\n";
    if (!e->accessibility.empty()) text += "Accessibility: " + e->accessibility + "\n";
    if (r->guests > 0) text += "Places: you and " + std::to_string(r->guests) + " guest(s)\n";
  }
  if (r->status != RsvpStatus::kCancelled && e->status != EventStatus::kCancelled) {
    text += "\nCannot come? Cancel here, so that someone else can have your place:\n" + cancel_url +
            "\n";
  }
  text += "\n-- \n" + campaign->title + ": " + base_url_ + "/c/" + campaign->slug + "\n";
  out.text = text;
  std::string html;
  for (std::size_t start = 0; start < text.size();) {
    std::size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    html += Esc(text.substr(start, end - start)) + "<br>\n";
    start = end + 1;
  }
  out.html = "<p>" + html + "</p>";
  if (with_details) {
    IcsEvent ics = IcsOf(*e, *slot, LocationText(*e),
                         "rsvp-" + std::to_string(r->id) + "@" + HostOf(base_url_), page);
    out.attachments.push_back({"event.ics", "text/calendar", IcsCalendar({ics}, m.created)});
  }
  return out;
}

// --- reminders

EventReminderScheduler::EventReminderScheduler(Store& store, const Clock& clock,
                                               std::function<void()> wake_mailer)
    : store_(store), clock_(clock), wake_mailer_(std::move(wake_mailer)) {}

EventReminderScheduler::~EventReminderScheduler() { Stop(); }

Result<std::int64_t> EventReminderScheduler::RunOnce() {
  auto n = store_.events().QueueDueReminders(clock_.Now());
  if (!n) return n;
  if (*n > 0) {
    spdlog::info("events: queued {} reminder(s)", *n);
    if (wake_mailer_) wake_mailer_();
  }
  return n;
}

void EventReminderScheduler::Start() {
  std::lock_guard lk(mu_);
  stop_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void EventReminderScheduler::Stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void EventReminderScheduler::Poke() {
  {
    std::lock_guard lk(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void EventReminderScheduler::Loop() {
  for (;;) {
    std::chrono::milliseconds wait(kMaxSleepSeconds * 1000);
    if (auto n = RunOnce(); !n) {
      spdlog::error("events: {}", n.error().message);
    } else if (auto next = store_.events().NextReminderAt(clock_.Now()); !next) {
      spdlog::warn("events: {}", next.error().message);
    } else if (*next) {
      // The clock may be a test's, moved by hand: never sleep past kMaxSleepSeconds.
      wait = std::chrono::milliseconds(
          1000 * std::clamp<UnixTime>(**next - clock_.Now(), 0, kMaxSleepSeconds));
    }
    std::unique_lock lk(mu_);
    if (wait.count() > 0) cv_.wait_for(lk, wait, [&] { return stop_ || poked_; });
    if (stop_) return;
    poked_ = false;
  }
}

}  // namespace undersigned::service
