// The entries of the signature log: what one leaf says, its exact byte encoding, the salted
// commitment that ties a leaf to a signer without saying who they are, and the hash of the
// campaign text a signature was counted under.
//
// A leaf records one change to a campaign's verified count, and nothing personal:
//
//   undersigned/leaf/v2\n
//   campaign <campaign uuid>\n
//   event <confirm|withdraw|reveal|invalidate>\n
//   group <signer group, e.g. "public">\n
//   day <YYYY-MM-DD, UTC>\n
//   text <64 lowercase hex digits>\n
//   commitment <64 lowercase hex digits>\n
//
// Lines come in exactly this order, each once, with no other whitespace; ParseLeaf accepts only
// what FormatLeaf writes, so every leaf has one encoding and an auditor's recount is exact.
// Leaves written before texts were versioned have the header "undersigned/leaf/v1" and no text
// line; they still parse (Leaf::text empty), and FormatLeaf writes that form for a leaf without
// a text, so they still hash to what was logged.
//
// Events and counts: "confirm" adds one to the campaign's confirmed count (and to its group's),
// "withdraw" takes one away (written only when a counted signature is withdrawn), "reveal"
// records that a sealed name became public and changes no count, and "invalidate" takes one
// away like "withdraw" but says that the site's organizers removed the signature (moderation:
// fraud, a flood), not its signer.
//
// text = TextHash(demand, letter) of the campaign's text version in force when the event was
// logged: for a "confirm" leaf, the text the signature was counted under. The site keeps every
// version, and a receipt carries the one its leaf names, so a signer can prove what they signed.
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

inline constexpr std::string_view kLeafHeader = "undersigned/leaf/v2";
inline constexpr std::string_view kLeafHeaderV1 = "undersigned/leaf/v1";  // no text line
inline constexpr size_t kSaltBytes = 32;

enum class LeafEvent { kConfirm, kWithdraw, kReveal, kInvalidate };

const char* LeafEventName(LeafEvent e);

struct Leaf {
  std::string campaign;  // campaign uuid
  LeafEvent event = LeafEvent::kConfirm;
  std::string group = "public";
  std::string day;         // "YYYY-MM-DD"
  std::string text;        // TextHash of the campaign text; empty only in a v1 leaf
  std::string commitment;  // 64 lowercase hex digits
  friend bool operator==(const Leaf&, const Leaf&) = default;
};

// The entry bytes of a leaf. REQUIRES: a leaf ValidateLeaf accepts (the store only writes
// those); the fields are written as they are.
std::string FormatLeaf(const Leaf& leaf);

// Checks the fields: campaign and group are 1..64 characters of [A-Za-z0-9._-]; day is a
// calendar date "YYYY-MM-DD"; text is empty or, like commitment, 64 lowercase hex digits.
// kInvalidArgument naming the field otherwise.
Result<void> ValidateLeaf(const Leaf& leaf);

// Strict inverse of FormatLeaf. kInvalidArgument, saying what is wrong, for anything else.
Result<Leaf> ParseLeaf(std::string_view entry);

// The commitment to identity under salt (see the file comment). REQUIRES: salt.size() ==
// kSaltBytes.
std::string Commitment(std::span<const uint8_t> salt, std::string_view identity);

// The hash that names one version of a campaign's text: hex(SHA-256) of the bytes
//
//   undersigned/text/v1\n
//   demand <length of demand in bytes>\n<demand>\n
//   letter <length of letter in bytes>\n<letter>\n
//
// where letter is the letter's Markdown source, both exactly as stored (UTF-8).
std::string TextHash(std::string_view demand, std::string_view letter_markdown);

// The change a leaf makes to its campaign's confirmed count: +1, -1 or 0.
int CountDelta(LeafEvent e);

// Confirmed counts per campaign uuid (and per group) recomputed from leaves, as an auditor does.
struct LeafCounts {
  std::map<std::string, std::int64_t> by_campaign;
  std::map<std::string, std::map<std::string, std::int64_t>> by_group;  // campaign -> group
  void Add(const Leaf& leaf);
};

}  // namespace undersigned::log
