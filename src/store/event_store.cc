// The names of event kinds, event and RSVP statuses, and the stored form of reminder offsets
// (event_store.h).
#include "store/event_store.h"

#include <nlohmann/json.hpp>

namespace undersigned {

const char* EventKindName(EventKind k) { return k == EventKind::kOnline ? "online" : "in_person"; }

std::optional<EventKind> ParseEventKind(std::string_view s) {
  if (s == "in_person") return EventKind::kInPerson;
  if (s == "online") return EventKind::kOnline;
  return std::nullopt;
}

const char* EventStatusName(EventStatus s) {
  switch (s) {
    case EventStatus::kDraft:
      return "draft";
    case EventStatus::kProposed:
      return "proposed";
    case EventStatus::kListed:
      return "listed";
    case EventStatus::kCancelled:
      return "cancelled";
  }
  return "draft";
}

std::optional<EventStatus> ParseEventStatus(std::string_view s) {
  for (EventStatus e : {EventStatus::kDraft, EventStatus::kProposed, EventStatus::kListed,
                        EventStatus::kCancelled}) {
    if (s == EventStatusName(e)) return e;
  }
  return std::nullopt;
}

const char* RsvpStatusName(RsvpStatus s) {
  switch (s) {
    case RsvpStatus::kPending:
      return "pending";
    case RsvpStatus::kAccepted:
      return "accepted";
    case RsvpStatus::kWaitlisted:
      return "waitlisted";
    case RsvpStatus::kCancelled:
      return "cancelled";
  }
  return "pending";
}

std::optional<RsvpStatus> ParseRsvpStatus(std::string_view s) {
  for (RsvpStatus r : {RsvpStatus::kPending, RsvpStatus::kAccepted, RsvpStatus::kWaitlisted,
                       RsvpStatus::kCancelled}) {
    if (s == RsvpStatusName(r)) return r;
  }
  return std::nullopt;
}

namespace store {

std::string OffsetsJson(const std::vector<std::int64_t>& offsets) {
  return nlohmann::json(offsets).dump();
}

std::vector<std::int64_t> ParseOffsets(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::int64_t> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_number_integer()) out.push_back(v.get<std::int64_t>());
  }
  return out;
}

}  // namespace store
}  // namespace undersigned
