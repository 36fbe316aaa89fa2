// Sealed personal fields: how a store keeps a sealed (or anonymous) signer's name, personal
// address, postal code, country and comment so that only the reveal can read them. They are
// encrypted (XSalsa20-Poly1305, libsodium's secretbox, a fresh random nonce each) under a key
// the store derives from its own instance secret and never hands out; no query, listing, export
// or page reads them, since none of those can decrypt. Shared by every Store implementation.
// Thread-safe (immutable after construction).
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "core/error.h"
#include "core/signature.h"

namespace undersigned::store {

class FieldSealer {
 public:
  // key: 32 secret bytes (a store's instance secret "seal-key").
  explicit FieldSealer(std::string_view key);
  // The personal fields of form (name, email, postal_code, country, comment), encrypted.
  std::string Seal(const SignatureForm& form) const;
  // Back into those fields of a form. kInternal if the blob was not made with this key or was
  // altered.
  Result<SignatureForm> Open(std::string_view sealed) const;

 private:
  std::string SealText(std::string_view plain) const;  // encrypts plain under a fresh nonce
  std::array<unsigned char, 32> key_{};
};

}  // namespace undersigned::store
