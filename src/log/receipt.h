// Signer receipts: the proof a signer takes home that their signature was counted in the log.
//
// A receipt is a JSON document (format "undersigned-receipt/v1") holding one log entry (the leaf
// of the signature's confirmation), its index, the salt of the leaf's commitment, an inclusion
// proof and the signed checkpoint the proof was made against:
//
//   {
//     "format": "undersigned-receipt/v1",
//     "log_url": "https://petitions.example.org",       site the log is served from
//     "origin": "petitions.example.org/log",            the checkpoint origin line
//     "verifier_key": "petitions.example.org/log+...",  key the site said it signs with
//     "campaign": {"uuid": "...", "slug": "...", "title": "..."},
//     "leaf_index": 41,
//     "leaf": "<base64 of the entry bytes>",
//     "salt": "<base64 of 32 bytes>",
//     "inclusion_proof": ["<base64 hash>", ...],
//     "checkpoint": "<signed note text>",
//     "text": {"version": 2, "demand": "...", "letter_markdown": "..."}
//   }
//
// "text" is the campaign's text the leaf names (log/leaf.h: a v2 leaf's text line), so the
// signer keeps what they signed; a receipt of a v1 leaf (logged before texts were versioned)
// has none.
//
// Anyone holding the receipt can check offline (VerifyReceipt) that the checkpoint is signed by
// the log's key, that the leaf is in the tree it commits to, that the leaf belongs to the
// campaign, and (given the signer's canonical email) that the leaf's commitment is to that
// signer. Checking that the live log still contains the checkpoint (consistency) needs the
// network and lives in audit/commands.h.
//
// The verifier key inside a receipt is only what the site claimed when it issued it: a verifier
// should pass a key obtained elsewhere when they can.
//
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/error.h"
#include "log/merkle.h"
#include "log/note.h"

namespace undersigned::log {

inline constexpr std::string_view kReceiptFormat = "undersigned-receipt/v1";
// Receipts larger than this are rejected before parsing (a real one is a few kilobytes).
inline constexpr size_t kMaxReceiptBytes = 1024 * 1024;

// The version of a campaign's text a receipt's leaf names.
struct ReceiptText {
  int64_t version = 0;
  std::string demand;
  std::string letter_markdown;
  friend bool operator==(const ReceiptText&, const ReceiptText&) = default;
};

struct Receipt {
  std::string log_url;
  std::string origin;
  std::string verifier_key;
  std::string campaign_uuid;
  std::string campaign_slug;
  std::string campaign_title;
  uint64_t leaf_index = 0;
  std::string leaf;           // the entry bytes (FormatLeaf output)
  std::vector<uint8_t> salt;  // kSaltBytes
  std::vector<Hash> inclusion_proof;
  std::string checkpoint;  // signed note text
  std::optional<ReceiptText> text;
  friend bool operator==(const Receipt&, const Receipt&) = default;
};

// The receipt as pretty-printed JSON (2-space indent, members as in the file comment) followed
// by a newline.
std::string FormatReceipt(const Receipt& receipt);

// Strict inverse of FormatReceipt (member order and whitespace are free, as in any JSON).
// kInvalidArgument, naming the member, for: text over kMaxReceiptBytes, invalid JSON, a missing
// or unknown member, a member of the wrong type, a format other than kReceiptFormat, an empty
// origin, verifier_key, checkpoint or campaign uuid, a text without its three members or with a
// version below 1, base64 that is not canonical, a salt that is
// not 32 bytes, a proof hash that is not 32 bytes, more than 64 proof hashes, a negative or
// non-integer leaf_index.
Result<Receipt> ParseReceipt(std::string_view json);

// Checks a receipt offline against a trusted verifier key and returns the checkpoint it proves
// against:
//   1. the checkpoint note is signed by verifier_key and its origin is receipt.origin;
//   2. the leaf parses (ParseLeaf) and names campaign_uuid;
//   3. the inclusion proof proves LeafHash(leaf) at leaf_index in the checkpoint's tree;
//   4. when identity (a canonical email) is non-empty, Commitment(salt, identity) equals the
//      leaf's commitment;
//   5. the receipt carries a text exactly when the leaf names one, and TextHash(demand,
//      letter_markdown) of it is the leaf's text.
// Errors: kUnauthenticated when the checkpoint's signature does not verify with the key;
// kInvalidArgument, saying which check failed, otherwise.
Result<Checkpoint> VerifyReceipt(const Receipt& receipt, std::string_view verifier_key,
                                 std::string_view identity = {});

}  // namespace undersigned::log
