// The names of update states, and the stored form of a delivery's recipients (outreach_store.h).
#include "store/outreach_store.h"

#include <nlohmann/json.hpp>

namespace undersigned {

const char* UpdateStateName(UpdateState s) {
  switch (s) {
    case UpdateState::kDraft:
      return "draft";
    case UpdateState::kScheduled:
      return "scheduled";
    case UpdateState::kSending:
      return "sending";
    case UpdateState::kSent:
      return "sent";
  }
  return "draft";
}

std::optional<UpdateState> ParseUpdateState(std::string_view s) {
  for (UpdateState u :
       {UpdateState::kDraft, UpdateState::kScheduled, UpdateState::kSending, UpdateState::kSent}) {
    if (s == UpdateStateName(u)) return u;
  }
  return std::nullopt;
}

namespace store {

std::string RecipientsJson(const std::vector<std::string>& recipients) {
  return nlohmann::json(recipients).dump();
}

std::vector<std::string> ParseRecipients(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  std::vector<std::string> out;
  if (!j.is_array()) return out;
  for (const auto& v : j) {
    if (v.is_string()) out.push_back(v.get<std::string>());
  }
  return out;
}

}  // namespace store
}  // namespace undersigned
