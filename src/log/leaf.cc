#include "log/leaf.h"

#include <sodium.h>

#include <array>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

#include "log/encoding.h"

namespace undersigned::log {
namespace {

// Character classes as tables: the characters of uuids and commitments are random, so
// comparisons would branch unpredictably on every one (this runs over every leaf at start-up).
constexpr std::uint8_t kId = 1, kLowerHex = 2;
constexpr std::array<std::uint8_t, 256> MakeClasses() {
  std::array<std::uint8_t, 256> t{};
  for (int c = 0; c < 256; ++c) {
    bool digit = c >= '0' && c <= '9';
    bool lower = c >= 'a' && c <= 'z';
    bool upper = c >= 'A' && c <= 'Z';
    if (digit || lower || upper || c == '.' || c == '_' || c == '-') t[c] |= kId;
    if (digit || (c >= 'a' && c <= 'f')) t[c] |= kLowerHex;
  }
  return t;
}
constexpr std::array<std::uint8_t, 256> kClasses = MakeClasses();

bool IsId(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  std::uint8_t all = kId;
  for (char c : s) all &= kClasses[static_cast<unsigned char>(c)];
  return all != 0;
}

bool IsDigits(std::string_view s) {
  for (char c : s) {
    if (c < '0' || c > '9') return false;
  }
  return !s.empty();
}

bool IsDay(std::string_view s) {
  if (s.size() != 10 || s[4] != '-' || s[7] != '-') return false;
  if (!IsDigits(s.substr(0, 4)) || !IsDigits(s.substr(5, 2)) || !IsDigits(s.substr(8, 2))) {
    return false;
  }
  auto num = [&](std::size_t at, std::size_t len) {
    int v = 0;
    for (std::size_t i = at; i < at + len; ++i) v = v * 10 + (s[i] - '0');
    return v;
  };
  const int year = num(0, 4), month = num(5, 2), day = num(8, 2);
  if (month < 1 || month > 12 || day < 1) return false;
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  bool leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
  int max = kDays[month - 1] + (month == 2 && leap ? 1 : 0);
  return day <= max;
}

bool IsLowerHex64(std::string_view s) {
  if (s.size() != 64) return false;
  std::uint8_t all = kLowerHex;
  for (char c : s) all &= kClasses[static_cast<unsigned char>(c)];
  return all != 0;
}

std::optional<LeafEvent> ParseEvent(std::string_view s) {
  if (s == "confirm") return LeafEvent::kConfirm;
  if (s == "withdraw") return LeafEvent::kWithdraw;
  if (s == "reveal") return LeafEvent::kReveal;
  if (s == "invalidate") return LeafEvent::kInvalidate;
  return std::nullopt;
}

// Takes the next "<key> <value>\n" line off *rest; nullopt if it is not there.
std::optional<std::string_view> TakeField(std::string_view* rest, std::string_view key) {
  if (rest->size() < key.size() + 1 || rest->substr(0, key.size()) != key ||
      (*rest)[key.size()] != ' ') {
    return std::nullopt;
  }
  std::size_t nl = rest->find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  std::string_view value = rest->substr(key.size() + 1, nl - key.size() - 1);
  rest->remove_prefix(nl + 1);
  return value;
}

}  // namespace

const char* LeafEventName(LeafEvent e) {
  switch (e) {
    case LeafEvent::kConfirm:
      return "confirm";
    case LeafEvent::kWithdraw:
      return "withdraw";
    case LeafEvent::kReveal:
      return "reveal";
    case LeafEvent::kInvalidate:
      return "invalidate";
  }
  return "confirm";
}

int CountDelta(LeafEvent e) {
  switch (e) {
    case LeafEvent::kConfirm:
      return 1;
    case LeafEvent::kWithdraw:
    case LeafEvent::kInvalidate:
      return -1;
    case LeafEvent::kReveal:
      return 0;
  }
  return 0;
}

std::string FormatLeaf(const Leaf& leaf) {
  std::string out;
  out.reserve(kLeafHeader.size() + leaf.campaign.size() + leaf.group.size() + 120);
  out.append(leaf.text.empty() ? kLeafHeaderV1 : kLeafHeader).push_back('\n');
  out.append("campaign ").append(leaf.campaign).push_back('\n');
  out.append("event ").append(LeafEventName(leaf.event)).push_back('\n');
  out.append("group ").append(leaf.group).push_back('\n');
  out.append("day ").append(leaf.day).push_back('\n');
  if (!leaf.text.empty()) out.append("text ").append(leaf.text).push_back('\n');
  out.append("commitment ").append(leaf.commitment).push_back('\n');
  return out;
}

Result<void> ValidateLeaf(const Leaf& leaf) {
  if (!IsId(leaf.campaign)) return Fail(Code::kInvalidArgument, "leaf: bad campaign id");
  if (!IsId(leaf.group)) return Fail(Code::kInvalidArgument, "leaf: bad group");
  if (!IsDay(leaf.day)) return Fail(Code::kInvalidArgument, "leaf: day is not YYYY-MM-DD");
  if (!leaf.text.empty() && !IsLowerHex64(leaf.text)) {
    return Fail(Code::kInvalidArgument, "leaf: text is not 64 lowercase hex digits");
  }
  if (!IsLowerHex64(leaf.commitment)) {
    return Fail(Code::kInvalidArgument, "leaf: commitment is not 64 lowercase hex digits");
  }
  return {};
}

Result<Leaf> ParseLeaf(std::string_view entry) {
  auto bad = [](const char* what) {
    return Fail(Code::kInvalidArgument, std::string("leaf: ") + what);
  };
  std::string_view rest = entry;
  // Both headers have the same length; v2 adds the text line.
  static_assert(kLeafHeader.size() == kLeafHeaderV1.size());
  const std::string_view header = rest.substr(0, kLeafHeader.size());
  const bool v2 = header == kLeafHeader;
  if ((!v2 && header != kLeafHeaderV1) || rest.size() <= kLeafHeader.size() ||
      rest[kLeafHeader.size()] != '\n') {
    return bad("does not start with the undersigned/leaf/v2 (or v1) line");
  }
  rest.remove_prefix(kLeafHeader.size() + 1);
  Leaf leaf;
  auto campaign = TakeField(&rest, "campaign");
  if (!campaign) return bad("missing campaign line");
  auto event = TakeField(&rest, "event");
  if (!event) return bad("missing event line");
  auto group = TakeField(&rest, "group");
  if (!group) return bad("missing group line");
  auto day = TakeField(&rest, "day");
  if (!day) return bad("missing day line");
  std::optional<std::string_view> text;
  if (v2) {
    text = TakeField(&rest, "text");
    if (!text) return bad("missing text line");
    if (text->empty()) return bad("empty text line");
  }
  auto commitment = TakeField(&rest, "commitment");
  if (!commitment) return bad("missing commitment line");
  if (!rest.empty()) return bad("unexpected bytes after the commitment line");
  auto ev = ParseEvent(*event);
  if (!ev) return bad("unknown event");
  leaf.campaign = std::string(*campaign);
  leaf.event = *ev;
  leaf.group = std::string(*group);
  leaf.day = std::string(*day);
  if (text) leaf.text = std::string(*text);
  leaf.commitment = std::string(*commitment);
  if (auto v = ValidateLeaf(leaf); !v) return Fail(v.error());
  return leaf;
}

std::string Commitment(std::span<const uint8_t> salt, std::string_view identity) {
  EnsureSodium();
  static constexpr std::string_view kDomain = "undersigned/commitment/v1";
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(kDomain.data()),
                            kDomain.size());
  const unsigned char zero = 0;
  crypto_hash_sha256_update(&st, &zero, 1);
  crypto_hash_sha256_update(&st, salt.data(), salt.size());
  crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(identity.data()),
                            identity.size());
  std::array<uint8_t, 32> out{};
  crypto_hash_sha256_final(&st, out.data());
  return HexEncode(out);
}

std::string TextHash(std::string_view demand, std::string_view letter_markdown) {
  EnsureSodium();
  crypto_hash_sha256_state st;
  crypto_hash_sha256_init(&st);
  auto add = [&](std::string_view bytes) {
    crypto_hash_sha256_update(&st, reinterpret_cast<const unsigned char*>(bytes.data()),
                              bytes.size());
  };
  add("undersigned/text/v1\n");
  for (auto [name, value] : {std::pair{std::string_view("demand "), demand},
                             std::pair{std::string_view("letter "), letter_markdown}}) {
    add(name);
    add(std::to_string(value.size()));
    add("\n");
    add(value);
    add("\n");
  }
  std::array<uint8_t, 32> out{};
  crypto_hash_sha256_final(&st, out.data());
  return HexEncode(out);
}

void LeafCounts::Add(const Leaf& leaf) {
  int d = CountDelta(leaf.event);
  by_campaign[leaf.campaign] += d;
  by_group[leaf.campaign][leaf.group] += d;
}

}  // namespace undersigned::log
