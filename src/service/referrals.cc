#include "service/referrals.h"

#include <sodium.h>

#include <utility>

#include "service/link_mac.h"

namespace undersigned::service {

Result<std::unique_ptr<ReferralService>> ReferralService::Open(Store& store,
                                                               SigningService& signing) {
  auto key = store.InstanceSecret("referral-key");
  if (!key) return Fail(key.error());
  return std::unique_ptr<ReferralService>(new ReferralService(store, signing, std::move(*key)));
}

std::string ReferralService::CodeOf(const Signature& s) const {
  // The public id names the signature on every backend and node alike; the prefix keeps this
  // key's MACs apart from any other use it could be put to.
  const std::string mac = HmacBytes(key_, "referral:" + s.uuid);
  char out[sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES,
                                     sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(out, sizeof out, reinterpret_cast<const unsigned char*>(mac.data()), mac.size(),
                    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return std::string(out, kReferralCodeLength);  // 96 bits
}

bool ReferralService::Offered(const Signature& s) { return s.form.protection == Protection::kNone; }

Result<PersonalLink> ReferralService::ForConfirmToken(const std::string& token,
                                                      const std::string& remote_address) {
  auto peek = signing_.PeekConfirm(token, remote_address);
  if (!peek) return Fail(peek.error());
  if (peek->signature.state != SignatureState::kConfirmed) {
    return Fail(Code::kConflict,
                peek->signature.state == SignatureState::kWithdrawn
                    ? "this signature was withdrawn, so it has no personal link any more"
                    : "this signature is not confirmed yet: confirm it first with the button "
                      "behind the link in the email");
  }
  PersonalLink out;
  out.code = CodeOf(peek->signature);
  out.offered = Offered(peek->signature);
  auto n = store_.CountReferred(peek->signature.campaign_id, out.code);
  if (!n) return Fail(n.error());
  out.brought = *n;
  out.signer = std::move(*peek);
  return out;
}

Result<std::int64_t> ReferralService::Brought(const Signature& s) {
  return store_.CountReferred(s.campaign_id, CodeOf(s));
}

}  // namespace undersigned::service
