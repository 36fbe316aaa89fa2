// Events (issue 15, part 1): a campaign's protests, rallies and calls, their time slots, RSVPs
// with a capacity that is never exceeded, a waitlist promoted on its own, reminders on time with
// nobody visiting, and calendars (.ics).
//
// The pieces, each narrow:
//   EventLinks       the tokens of the links mailed to attendees: a cancel token is an
//                    HMAC-SHA-256 (libsodium) of the RSVP's id under the instance secret
//                    "event-link-key", so that every mail (reminders made by the scheduler too)
//                    can carry it and nothing is stored per mail; the same key makes the keyed
//                    hash of an address that keeps one live RSVP per address per slot.
//   EventService     the organizers' use cases (authorized through AccountService as
//                    campaigns are: editing needs "edit", cancelling "set_status", the attendee
//                    list and check-in "view_signers"; each recorded in the action record), a
//                    supporter's proposal of an event they host (organizers approve it before it
//                    is listed), and the public's: RSVP, confirm (the button-on-a-page rule of
//                    signatures: the mailed link shows a page, its POST confirms), cancel from
//                    the mail. A trusted API client's RSVP is accepted at once; a full slot
//                    waitlists, never refuses.
//   EventMailRenderer  renders the outbox rows the store queues (store/event_store.h: kinds
//                    "event_*") at send time: the address opened then, the location and an .ics
//                    only for an accepted attendee, a cancel link in every one.
//   EventReminderScheduler  a thread that queues due reminders on time (as UpdateScheduler
//                    sends updates), each once across restarts and nodes (the store claims it).
//
// What is public: an event's title, description, times, remaining places, accessibility notes,
// host name, and its venue, address or link unless private_location, in which case they appear
// only in mail to accepted attendees and in the console (PublicLocation says what a page may
// show).
//
// Thread-safety: every method may be called from any thread. Holds references to the store,
// the account service and the clock, which must outlive it.
#pragma once

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/ics.h"
#include "service/accounts.h"
#include "service/updates.h"
#include "store/store.h"

namespace undersigned::service {

inline constexpr std::int64_t kMaxGuests = 10;
inline constexpr std::int64_t kMaxCapacity = 1'000'000;
inline constexpr std::size_t kMaxReminders = 5;
inline constexpr std::int64_t kMaxReminderOffset = 30 * 86400;

class EventLinks {
 public:
  explicit EventLinks(std::string key) : key_(std::move(key)) {}
  static Result<EventLinks> Open(Store& store);
  // "<rsvp id>.<32 hex digits>"
  std::string CancelToken(std::int64_t rsvp_id) const;
  // The RSVP id; kNotFound for a malformed or forged token.
  Result<std::int64_t> CheckCancel(std::string_view token) const;
  // The keyed hash of a canonical address (hex).
  std::string EmailKey(std::string_view email) const;

 private:
  std::string Mac(std::string_view msg) const;
  std::string key_;
};

// What an organizer (or a proposer) types for an event.
struct EventInput {
  std::string slug;
  std::string title;
  std::string description_markdown;
  std::string kind = "in_person";  // or "online"
  std::string venue;
  std::string address;
  std::string online_link;
  bool private_location = false;
  std::string accessibility;
  std::string host_name;
  std::string host_email;
  std::vector<std::int64_t> reminder_offsets = {86400, 7200};
  std::int64_t promote_until = kDefaultPromoteUntil;
};

// A slot as typed: times as a browser's datetime-local field sends them, taken in time_zone
// (or full ISO 8601 timestamps with their offset).
struct SlotInput {
  std::string starts;
  std::string ends;
  std::string time_zone = "UTC";
  std::int64_t capacity = 0;
};

struct RsvpInput {
  std::int64_t slot_id = 0;
  std::string name;
  std::string email;
  std::int64_t guests = 0;
  std::string referrer;
};

// An event as a public page may show it.
struct PublicEvent {
  Event event;  // with venue, address and online_link cleared when private
  std::vector<EventSlot> slots;
  bool location_hidden = false;
};

// What the confirm and cancel pages show.
struct RsvpView {
  Campaign campaign;
  Event event;  // location cleared unless the RSVP is accepted and it is private
  EventSlot slot;
  Rsvp rsvp;
};

struct Proposal {
  Event event;
  std::string host_token;  // the proposer's link to their event's RSVPs (shown once)
};

// The venue, address and link of e, or empty ones if private (e is returned as public pages may
// show it).
Event PublicLocation(Event e);
// "Venue, address" or the link, for calendars and mail.
std::string LocationText(const Event& e);

class EventService {
 public:
  // wake_mailer: called after mail was queued (the server wakes the outbox sender); may be
  // empty.
  EventService(Store& store, AccountService& accounts, const Clock& clock, EventLinks links,
               std::function<void()> wake_mailer = {});

  // --- organizers
  // status: draft or listed. kInvalidArgument (field errors) for a bad input.
  Result<Event> Create(const Actor& by, const std::string& campaign_slug, const EventInput& in,
                       EventStatus status);
  // Mails every attendee if the place (kind, venue, address, link) changed on a listed event.
  Result<Event> Edit(const Actor& by, std::int64_t event_id, const EventInput& in);
  // List (draft or proposed -> listed: an approval), back to draft, or cancel (mails every
  // attendee). kConflict once cancelled.
  Result<Event> SetStatus(const Actor& by, std::int64_t event_id, EventStatus status);
  Result<EventSlot> AddSlot(const Actor& by, std::int64_t event_id, const SlotInput& in);
  // Mails the slot's attendees if its times changed.
  Result<EventSlot> EditSlot(const Actor& by, std::int64_t slot_id, const SlotInput& in);
  // Every event of the campaign, every status (the console).
  Result<std::vector<Event>> List(const Actor& by, const std::string& campaign_slug);
  // One event with every field (its private place too) and its times, for the console: needs
  // "view" on its campaign.
  Result<Event> Get(const Actor& by, std::int64_t event_id);
  Result<std::vector<EventSlot>> Slots(const Actor& by, std::int64_t event_id);
  Result<std::vector<Rsvp>> Attendees(const Actor& by, std::int64_t event_id);
  Result<Rsvp> CheckIn(const Actor& by, std::int64_t rsvp_id, bool checked_in);
  // Cancels an attendee's RSVP from the console (promoting the waitlist as any cancellation).
  Result<RsvpCancel> CancelAttendee(const Actor& by, std::int64_t rsvp_id);

  // --- supporters
  // A supporter proposes an event they host, with its first slot: status proposed, listed once
  // an organizer approves it (SetStatus listed).
  Result<Proposal> Propose(const std::string& campaign_slug, const EventInput& in,
                           const SlotInput& slot);
  // The host's own view of their event's RSVPs, by the token Propose gave. kNotFound otherwise.
  Result<std::vector<Rsvp>> HostAttendees(std::int64_t event_id, std::string_view host_token);

  // --- the public
  // Listed and cancelled events of a campaign (not drafts nor proposals), public fields only.
  Result<std::vector<PublicEvent>> Listed(const std::string& campaign_slug);
  Result<PublicEvent> Show(const std::string& campaign_slug, const std::string& event_slug);
  // An RSVP to a listed event's slot that has not started. trusted: accepted (or waitlisted) at
  // once, no confirmation mail link (an API client with a trusted token). Otherwise pending,
  // mailed a confirmation link. kConflict if the address already answered for that slot.
  Result<Rsvp> Answer(const std::string& campaign_slug, const std::string& event_slug,
                      const RsvpInput& in, bool trusted, const std::string& source);
  // What the confirmation page shows (GET: changes nothing). kNotFound for a spent token.
  Result<RsvpView> ForConfirm(std::string_view token);
  // The confirmation page's POST: pending -> accepted or waitlisted.
  Result<RsvpView> Confirm(std::string_view token);
  Result<RsvpView> ForCancel(std::string_view token);
  Result<RsvpView> Cancel(std::string_view token);

  // A calendar of one RSVP's slot (location only when the RSVP is accepted), or of all the
  // campaign's listed events (public fields only).
  Result<std::string> RsvpCalendar(std::int64_t rsvp_id);
  Result<std::string> CampaignCalendar(const std::string& campaign_slug,
                                       const std::string& site_host);

  const EventLinks& links() const { return links_; }

 private:
  Result<Campaign> Authorized(const Actor& by, std::int64_t campaign_id, CampaignAction action);
  Result<Event> AuthorizedEvent(const Actor& by, std::int64_t event_id, CampaignAction action);
  Result<RsvpView> View(const Rsvp& r);
  void Wake();

  Store& store_;
  AccountService& accounts_;
  const Clock& clock_;
  const EventLinks links_;
  std::function<void()> wake_;
};

// Validates an event's input; field errors as kInvalidArgument.
Result<Event> EventFromInput(const EventInput& in);
// A slot from its input; field errors as kInvalidArgument.
Result<EventSlot> SlotFromInput(const SlotInput& in);
// The .ics entry of a slot (location as given: the caller decides whether it may show).
IcsEvent IcsOf(const Event& e, const EventSlot& s, const std::string& location,
               const std::string& uid, const std::string& url);

// Renders the store's "event_*" outbox rows at send time (see the header).
class EventMailRenderer {
 public:
  EventMailRenderer(Store& store, const EventLinks& links, std::string base_url);
  static bool Handles(const std::string& kind) { return kind.starts_with("event_"); }
  Result<OutreachMail> Render(const OutboxMessage& m) const;

 private:
  Store& store_;
  const EventLinks& links_;
  std::string base_url_;
};

// Queues due reminders on time, in a thread of its own (see the header).
class EventReminderScheduler {
 public:
  static constexpr int kMaxSleepSeconds = 5;
  EventReminderScheduler(Store& store, const Clock& clock, std::function<void()> wake_mailer);
  ~EventReminderScheduler();
  EventReminderScheduler(const EventReminderScheduler&) = delete;
  EventReminderScheduler& operator=(const EventReminderScheduler&) = delete;

  // Queues every due reminder now; how many mails.
  Result<std::int64_t> RunOnce();
  void Start();
  void Stop();
  void Poke();

 private:
  void Loop();

  Store& store_;
  const Clock& clock_;
  std::function<void()> wake_mailer_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool poked_ = false;
  bool stop_ = false;
  std::thread thread_;
};

}  // namespace undersigned::service
