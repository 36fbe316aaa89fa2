// Public ids: the uuids the API shows for people and signatures, made from their row ids so
// that a store needs no uuid index. Each such index cost every new signer a B-tree insert on
// the single writer (about 3 µs of its time per index, measured by dropping indexes in the
// HTTP signing run), for a lookup that only the API makes.
//
// A public id is an RFC 9562 UUIDv8 (the "custom" version) holding the row id encrypted
// under a per-kind key (a 64-bit Feistel permutation whose rounds are keyed SipHash-2-4, so
// ids say nothing of how many rows there are or in which order they came), beside a 58-bit
// keyed tag of that ciphertext, so that a uuid this store did not make is refused without a
// database read:
//
//   bytes 0-5: ciphertext bits 63-16   byte 6: version 8 | tag bits 57-54
//   byte 7:    ciphertext bits 15-8    byte 8: variant 10 | tag bits 53-48
//   byte 9:    ciphertext bits 7-0     bytes 10-15: tag bits 47-0
//
// The mapping is fixed by the store's instance secret "id-key": a backup keeps it, so ids stay
// the same in a restored copy. Shared by every Store implementation. Thread-safe (immutable
// after construction).
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace undersigned::store {

// The 8-4-4-4-12 text of 16 bytes, in lower-case hex (any uuid this project makes).
std::string FormatUuid(const std::array<unsigned char, 16>& bytes);
// The 16 bytes of such text, in either case; nullopt if it is not one.
std::optional<std::array<unsigned char, 16>> ParseUuid(std::string_view text);

enum class IdKind : std::uint8_t { kPerson = 1, kSignature = 2 };

class PublicIds {
 public:
  // key: at least 32 secret bytes (a store's instance secret "id-key").
  explicit PublicIds(std::string_view key);
  // The uuid of a row (36 characters, lower-case hex).
  std::string Uuid(IdKind kind, std::int64_t row_id) const;
  // The row id a uuid names, or nullopt if this store did not make it for this kind (any
  // malformed text included). Upper-case hex is accepted.
  std::optional<std::int64_t> RowId(IdKind kind, std::string_view uuid) const;

 private:
  struct Keys {
    std::array<unsigned char, 16> rounds[4];
    std::array<unsigned char, 16> tag;
  };
  const Keys& KeysOf(IdKind kind) const { return kind == IdKind::kPerson ? person_ : signature_; }
  static std::uint64_t Encrypt(const Keys& k, std::uint64_t v);
  static std::uint64_t Decrypt(const Keys& k, std::uint64_t v);
  static std::uint64_t Tag(const Keys& k, std::uint64_t ciphertext);  // 58 bits
  Keys person_{};
  Keys signature_{};
};

}  // namespace undersigned::store
