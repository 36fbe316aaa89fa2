// `undersigned event ...`: a campaign's events, their times and RSVPs from the server's shell,
// as its operator (issue 15, part 1). The commands call service::EventService, as the console's
// and the public pages' handlers will; a running server's reminder thread and mail sender pick
// up what they queue (within a few seconds).
#pragma once

#include <iosfwd>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "app/app.h"

namespace undersigned::cli {

struct EventArgs {
  std::string slug, event_slug;
  std::int64_t id = 0;
  service::EventInput input;
  std::string reminders;  // "86400,7200"
  bool draft = false;
  service::SlotInput slot;
  std::string status;
  service::RsvpInput rsvp;
  bool trusted = false;
  CLI::App* create = nullptr;
  CLI::App* add_slot = nullptr;
  CLI::App* list = nullptr;
  CLI::App* set_status = nullptr;
  CLI::App* rsvp_cmd = nullptr;
  CLI::App* attendees = nullptr;
  CLI::App* cancel_rsvp = nullptr;
  CLI::App* calendar = nullptr;
  bool any() const {
    return *create || *add_slot || *list || *set_status || *rsvp_cmd || *attendees ||
           *cancel_rsvp || *calendar;
  }
};

// Adds the `event` command and its subcommands; returns those that touch the store.
std::vector<CLI::App*> AddEventCommands(CLI::App& cli, EventArgs& args);

// Runs the parsed event subcommand: its exit code. REQUIRES: args.any().
int RunEventCommand(EventArgs& args, app::App& app, const std::string& site_host, std::ostream& out,
                    int (*report)(const Error&));

}  // namespace undersigned::cli
