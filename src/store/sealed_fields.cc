#include "store/sealed_fields.h"

#include <sodium.h>

#include <cstring>
#include <nlohmann/json.hpp>
#include <utility>

#include "core/utf8.h"
#include "store/json_text.h"

namespace undersigned::store {

FieldSealer::FieldSealer(std::string_view key) {
  // Derived, so that the secret is used for nothing else: BLAKE2b keyed with it.
  static constexpr std::string_view kContext = "undersigned sealed fields v1";
  crypto_generichash(key_.data(), key_.size(),
                     reinterpret_cast<const unsigned char*>(kContext.data()), kContext.size(),
                     reinterpret_cast<const unsigned char*>(key.data()), key.size());
}

std::string FieldSealer::Seal(const SignatureForm& form) const {
  // A JSON object (as Open reads it), written directly: building an nlohmann::json per sealed
  // signature was most of the cost of sealing.
  const std::pair<const char*, const std::string*> fields[] = {
      {"{\"name\":", &form.name},
      {",\"email\":", &form.email},
      {",\"postal_code\":", &form.postal_code},
      {",\"country\":", &form.country},
      {",\"comment\":", &form.comment}};
  std::string plain;
  for (const auto& [key, value] : fields) {
    if (!IsValidUtf8(*value)) {
      // Never so after the form's checks. nlohmann refuses it (throws), as sealing always did,
      // rather than sealing text that Open could not read back.
      (void)nlohmann::json(*value).dump();
    }
    plain += key;
    AppendJsonString(plain, *value);
  }
  plain += '}';
  return SealText(plain);
}

std::string FieldSealer::SealText(std::string_view plain) const {
  std::string out(crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + plain.size(), '\0');
  auto* bytes = reinterpret_cast<unsigned char*>(out.data());
  randombytes_buf(bytes, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(bytes + crypto_secretbox_NONCEBYTES,
                        reinterpret_cast<const unsigned char*>(plain.data()), plain.size(), bytes,
                        key_.data());
  return out;
}

Result<SignatureForm> FieldSealer::Open(std::string_view sealed) const {
  if (sealed.size() < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES) {
    return Fail(Code::kInternal, "a sealed signature is damaged (too short)");
  }
  const auto* bytes = reinterpret_cast<const unsigned char*>(sealed.data());
  std::string plain(sealed.size() - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES, '\0');
  if (crypto_secretbox_open_easy(
          reinterpret_cast<unsigned char*>(plain.data()), bytes + crypto_secretbox_NONCEBYTES,
          sealed.size() - crypto_secretbox_NONCEBYTES, bytes, key_.data()) != 0) {
    return Fail(Code::kInternal,
                "a sealed signature cannot be opened: it was altered, or sealed with another "
                "instance's key");
  }
  auto j = nlohmann::json::parse(plain, nullptr, false);
  if (!j.is_object()) return Fail(Code::kInternal, "a sealed signature is damaged");
  SignatureForm f;
  f.name = j.value("name", "");
  f.email = j.value("email", "");
  f.postal_code = j.value("postal_code", "");
  f.country = j.value("country", "");
  f.comment = j.value("comment", "");
  return f;
}

}  // namespace undersigned::store
