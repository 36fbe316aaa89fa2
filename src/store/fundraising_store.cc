// The names of fundraiser and donation states, and the stored forms of a fundraiser's line
// items and suggested amounts (fundraising_store.h).
#include "store/fundraising_store.h"

#include <nlohmann/json.hpp>

namespace undersigned {
namespace {

template <typename E, std::size_t N>
std::optional<E> ParseName(std::string_view s, const char* const (&names)[N]) {
  for (std::size_t i = 0; i < N; ++i) {
    if (s == names[i]) return static_cast<E>(i);
  }
  return std::nullopt;
}

constexpr const char* kFundraiserStatus[] = {"draft", "open", "closed"};
constexpr const char* kDonationStatus[] = {"pending", "succeeded", "refunded", "disputed"};
constexpr const char* kDonationSource[] = {"stripe", "offline"};

}  // namespace

const char* FundraiserStatusName(FundraiserStatus s) {
  return kFundraiserStatus[static_cast<int>(s)];
}
std::optional<FundraiserStatus> ParseFundraiserStatus(std::string_view s) {
  return ParseName<FundraiserStatus>(s, kFundraiserStatus);
}
const char* DonationStatusName(DonationStatus s) { return kDonationStatus[static_cast<int>(s)]; }
std::optional<DonationStatus> ParseDonationStatus(std::string_view s) {
  return ParseName<DonationStatus>(s, kDonationStatus);
}
const char* DonationSourceName(DonationSource s) { return kDonationSource[static_cast<int>(s)]; }
std::optional<DonationSource> ParseDonationSource(std::string_view s) {
  return ParseName<DonationSource>(s, kDonationSource);
}

namespace store {

std::string LineItemsJson(const std::vector<LineItem>& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const LineItem& i : items) {
    out.push_back({{"key", i.key}, {"title", i.title}, {"goal", i.goal_minor}});
  }
  return out.dump();
}

std::vector<LineItem> ParseLineItems(std::string_view text) {
  std::vector<LineItem> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (!e.is_object()) continue;
    out.push_back(
        LineItem{e.value("key", ""), e.value("title", ""), e.value("goal", std::int64_t{0})});
  }
  return out;
}

std::string AmountsJson(const std::vector<std::int64_t>& amounts) {
  return nlohmann::json(amounts).dump();
}

std::vector<std::int64_t> ParseAmounts(std::string_view text) {
  std::vector<std::int64_t> out;
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_array()) return out;
  for (const auto& e : j) {
    if (e.is_number_integer()) out.push_back(e.get<std::int64_t>());
  }
  return out;
}

}  // namespace store
}  // namespace undersigned
