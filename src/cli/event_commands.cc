#include "cli/event_commands.h"

#include <ostream>
#include <sstream>

#include "core/clock.h"
#include "store/write.h"

namespace undersigned::cli {
namespace {

// Tells a running server that mail was queued here: the campaign's modified time moves (as a
// delivery from the CLI does), its refresh (every second or two) sees the change and wakes its
// mail sender. A failure only delays the mail until the sender's next look.
void TellServer(app::App& app, std::int64_t campaign_id) {
  const UnixTime now = Clock::System().Now();
  auto r = store::RunWrite<bool>(app.store(), [&](store::WriteTx& tx) -> Result<bool> {
    if (auto t = tx.TouchCampaign(campaign_id, now); !t) return Fail(t.error());
    return true;
  });
  (void)r;
}

std::int64_t CampaignOfEvent(app::App& app, std::int64_t event_id) {
  auto e = app.store().events().GetEvent(event_id);
  return e ? e->campaign_id : 0;
}

}  // namespace

std::vector<CLI::App*> AddEventCommands(CLI::App& cli, EventArgs& args) {
  CLI::App* event = cli.add_subcommand(
      "event",
      "A campaign's events (protests, rallies, calls): make one, add its times, list it, take "
      "RSVPs, read its attendees and its calendar. See docs/events.md.");
  event->require_subcommand(1);
  service::EventInput& in = args.input;
  args.create = event->add_subcommand("create",
                                      "Make an event (listed unless --draft); prints "
                                      "its id. Give it a time with `event slot`.");
  args.create->add_option("slug", args.slug, "campaign slug")->required();
  args.create->add_option("--slug", in.slug, "the event's slug (a-z, 0-9, -)")->required();
  args.create->add_option("--title", in.title, "its title")->required();
  args.create->add_option("--description", in.description_markdown, "in Markdown");
  args.create->add_option("--kind", in.kind, "in_person (default) or online");
  args.create->add_option("--venue", in.venue, "the place's name");
  args.create->add_option("--address", in.address, "the place's address");
  args.create->add_option("--link", in.online_link, "an online event's link");
  args.create->add_flag("--private", in.private_location,
                        "show the place (or link) only to confirmed attendees");
  args.create->add_option("--accessibility", in.accessibility, "accessibility notes");
  args.create->add_option("--host-name", in.host_name, "the host's name");
  args.create->add_option("--host-email", in.host_email, "the host's contact address");
  args.create->add_option("--reminders", args.reminders,
                          "seconds before each time, comma-separated (default 86400,7200)");
  args.create->add_option("--promote-until", in.promote_until,
                          "seconds before the start after which a cancellation no longer "
                          "promotes the waitlist (default 3600)");
  args.create->add_flag("--draft", args.draft, "make it a draft (not listed)");

  args.add_slot = event->add_subcommand("slot", "Add a time to an event; prints its id.");
  args.add_slot->add_option("id", args.id, "the event's id")->required();
  args.add_slot->add_option("--starts", args.slot.starts, "e.g. 2026-12-08T09:30 (local time)")
      ->required();
  args.add_slot->add_option("--ends", args.slot.ends, "e.g. 2026-12-08T11:00 (local time)")
      ->required();
  args.add_slot->add_option("--time-zone", args.slot.time_zone, "IANA zone (default UTC)");
  args.add_slot->add_option("--capacity", args.slot.capacity, "places (default 0: no limit)");

  args.list = event->add_subcommand("list", "A campaign's events and their times.");
  args.list->add_option("slug", args.slug, "campaign slug")->required();

  args.set_status = event->add_subcommand(
      "status",
      "List (or approve a proposal), set back to draft, or cancel an event (every "
      "attendee is mailed).");
  args.set_status->add_option("id", args.id, "the event's id")->required();
  args.set_status->add_option("status", args.status, "listed, draft or cancelled")->required();

  args.rsvp_cmd = event->add_subcommand(
      "rsvp",
      "Answer for someone: pending and mailed a confirmation link, or --trusted: "
      "accepted (or waitlisted when full) at once. Prints the RSVP's id and status.");
  args.rsvp_cmd->add_option("slug", args.slug, "campaign slug")->required();
  args.rsvp_cmd->add_option("event", args.event_slug, "the event's slug")->required();
  args.rsvp_cmd->add_option("--slot", args.rsvp.slot_id, "the time's id")->required();
  args.rsvp_cmd->add_option("--name", args.rsvp.name, "their name")->required();
  args.rsvp_cmd->add_option("--email", args.rsvp.email, "their address")->required();
  args.rsvp_cmd->add_option("--guests", args.rsvp.guests, "guests they bring (default 0)");
  args.rsvp_cmd->add_flag("--trusted", args.trusted, "accept at once, no confirmation");

  args.attendees = event->add_subcommand("attendees", "An event's RSVPs (name, address, status).");
  args.attendees->add_option("id", args.id, "the event's id")->required();
  args.cancel_rsvp =
      event->add_subcommand("cancel-rsvp", "Cancel an RSVP (promotes the waitlist).");
  args.cancel_rsvp->add_option("id", args.id, "the RSVP's id")->required();
  args.calendar = event->add_subcommand("calendar", "A campaign's listed events as .ics.");
  args.calendar->add_option("slug", args.slug, "campaign slug")->required();
  return {args.create,   args.add_slot,  args.list,        args.set_status,
          args.rsvp_cmd, args.attendees, args.cancel_rsvp, args.calendar};
}

int RunEventCommand(EventArgs& args, app::App& app, const std::string& site_host, std::ostream& out,
                    int (*report)(const Error&)) {
  service::EventService& events = app.events();
  const service::Actor op = service::Actor::Operator();
  if (*args.create) {
    if (!args.reminders.empty()) {
      args.input.reminder_offsets.clear();
      std::stringstream s(args.reminders);
      std::string part;
      while (std::getline(s, part, ',')) {
        try {
          args.input.reminder_offsets.push_back(std::stoll(part));
        } catch (const std::exception&) {
          return report(Error{Code::kInvalidArgument,
                              "--reminders: give seconds separated by commas, e.g. 86400,7200",
                              {},
                              0});
        }
      }
    }
    auto e = events.Create(op, args.slug, args.input,
                           args.draft ? EventStatus::kDraft : EventStatus::kListed);
    if (!e) return report(e.error());
    out << e->id << "\n";
    return 0;
  }
  if (*args.add_slot) {
    auto s = events.AddSlot(op, args.id, args.slot);
    if (!s) return report(s.error());
    out << s->id << "\n";
    return 0;
  }
  if (*args.set_status) {
    auto status = ParseEventStatus(args.status);
    if (!status) {
      return report(Error{Code::kInvalidArgument, "status: listed, draft or cancelled", {}, 0});
    }
    auto e = events.SetStatus(op, args.id, *status);
    if (!e) return report(e.error());
    TellServer(app, e->campaign_id);
    out << EventStatusName(e->status) << "\n";
    return 0;
  }
  if (*args.list) {
    auto list = events.List(op, args.slug);
    if (!list) return report(list.error());
    for (const Event& e : *list) {
      out << e.id << "\t" << e.slug << "\t" << EventStatusName(e.status) << "\t" << e.title << "\n";
      auto slots = app.store().events().ListSlots(e.id);
      if (!slots) return report(slots.error());
      for (const EventSlot& s : *slots) {
        out << "  slot " << s.id << "\t" << FormatIso8601(s.starts) << "\t" << s.time_zone << "\t"
            << s.accepted << "/"
            << (s.capacity == 0 ? std::string("unlimited") : std::to_string(s.capacity))
            << " taken\t" << s.waitlisted << " waiting\n";
      }
    }
    return 0;
  }
  if (*args.rsvp_cmd) {
    auto r = events.Answer(args.slug, args.event_slug, args.rsvp, args.trusted, "cli");
    if (!r) return report(r.error());
    TellServer(app, CampaignOfEvent(app, r->event_id));
    out << r->id << "\t" << RsvpStatusName(r->status) << "\n";
    return 0;
  }
  if (*args.attendees) {
    auto list = events.Attendees(op, args.id);
    if (!list) return report(list.error());
    for (const Rsvp& r : *list) {
      out << r.id << "\t" << RsvpStatusName(r.status) << "\t" << r.name << "\t" << r.email << "\t+"
          << r.guests << (r.checked_in ? "\tchecked in" : "") << "\n";
    }
    return 0;
  }
  if (*args.cancel_rsvp) {
    auto c = events.CancelAttendee(op, args.id);
    if (!c) return report(c.error());
    TellServer(app, CampaignOfEvent(app, c->rsvp.event_id));
    out << "cancelled; promoted " << c->promoted.size() << "\n";
    return 0;
  }
  if (*args.calendar) {
    auto ics = events.CampaignCalendar(args.slug, site_host);
    if (!ics) return report(ics.error());
    out << *ics;
    return 0;
  }
  return 1;
}

}  // namespace undersigned::cli
