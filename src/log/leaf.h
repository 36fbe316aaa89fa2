// The entries of the signature log: what one leaf says, its exact byte encoding, and the salted
// commitment that ties a leaf to a signer without saying who they are.
//
// A leaf records one change to a campaign's verified count, and nothing personal:
//
//   undersigned/leaf/v1\n
//   campaign <campaign uuid>\n
//   event <confirm|withdraw|reveal>\n
//   group <signer group, e.g. "public">\n
//   day <YYYY-MM-DD, UTC>\n
//   commitment <64 lowercase hex digits>\n
//
// Lines come in exactly this order, each once, with no other whitespace; ParseLeaf accepts only
// what FormatLeaf writes, so every leaf has one encoding and an auditor's recount is exact.
//
// Events and counts: "confirm" adds one to the campaign's confirmed count (and to its group's),
// "withdraw" takes one away (written only when a counted signature is withdrawn), "reveal"
// records that a sealed name became public and changes no count.
//
// commitment = hex(SHA-256("undersigned/commitment/v1" || 0x00 || salt || identity)), where salt
// is 32 random bytes kept with the signature (and handed to the signer in their receipt) and
// identity is the signer's canonical email. Without the salt the commitment reveals nothing;
// with it, the signer can show that a leaf is theirs.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>

#include "core/error.h"

namespace undersigned::log {

inline constexpr std::string_view kLeafHeader = "undersigned/leaf/v1";
inline constexpr size_t kSaltBytes = 32;

enum class LeafEvent { kConfirm, kWithdraw, kReveal };

const char* LeafEventName(LeafEvent e);

struct Leaf {
  std::string campaign;  // campaign uuid
  LeafEvent event = LeafEvent::kConfirm;
  std::string group = "public";
  std::string day;         // "YYYY-MM-DD"
  std::string commitment;  // 64 lowercase hex digits
  friend bool operator==(const Leaf&, const Leaf&) = default;
};

// The entry bytes of a leaf. REQUIRES: a leaf ValidateLeaf accepts (the store only writes
// those); the fields are written as they are.
std::string FormatLeaf(const Leaf& leaf);

// Checks the fields: campaign and group are 1..64 characters of [A-Za-z0-9._-]; day is a
// calendar date "YYYY-MM-DD"; commitment is 64 lowercase hex digits. kInvalidArgument naming
// the field otherwise.
Result<void> ValidateLeaf(const Leaf& leaf);

// Strict inverse of FormatLeaf. kInvalidArgument, saying what is wrong, for anything else.
Result<Leaf> ParseLeaf(std::string_view entry);

// The commitment to identity under salt (see the file comment). REQUIRES: salt.size() ==
// kSaltBytes.
std::string Commitment(std::span<const uint8_t> salt, std::string_view identity);

// The change a leaf makes to its campaign's confirmed count: +1, -1 or 0.
int CountDelta(LeafEvent e);

// Confirmed counts per campaign uuid (and per group) recomputed from leaves, as an auditor does.
struct LeafCounts {
  std::map<std::string, std::int64_t> by_campaign;
  std::map<std::string, std::map<std::string, std::int64_t>> by_group;  // campaign -> group
  void Add(const Leaf& leaf);
};

}  // namespace undersigned::log
