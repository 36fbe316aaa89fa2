// Personal share links (issue 15, "Referrals"). Every confirmed signer may pass the campaign on
// through a link of their own, /c/<slug>?ref=<code>: a signature that arrives through it keeps
// the code (SignatureOrigin::referral, written with the signature), and the link's owner sees
// how many confirmed signatures their shares brought. A number, never who: no page, mail or API
// tells a referrer which signatures are theirs, and there is no public leaderboard.
//
// The code is a keyed hash (HMAC-SHA-256, libsodium) of the signature's public id under the
// instance secret "referral-key", cut to 16 base64url digits: nothing is stored per signer, a
// signer always gets the same link, and without the key nobody can tell whose link a code is.
// Only the holder of the signature's confirm token (the link in their confirmation mail, which
// stays valid once used) is shown it, with the count.
//
// Sealed and anonymous signers are not offered one unless they ask (Offered): a code ties the
// signatures it brings to their own signature, which they may not want. Asking stores nothing:
// the page shows the link, and it counts from the first signature that comes through it.
//
// Thread-safety: every method may be called from any thread. Holds references to the store and
// the signing service, which must outlive it.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "core/error.h"
#include "service/signing.h"
#include "store/store.h"

namespace undersigned::service {

inline constexpr std::size_t kReferralCodeLength = 16;

// What the holder of a signature's confirm token may see of their personal link.
struct PersonalLink {
  TokenOutcome signer;       // the signature (confirmed), its campaign and counts
  std::string code;          // ReferralService::CodeOf
  std::int64_t brought = 0;  // confirmed signatures that came through it
  bool offered = false;      // Offered(signer.signature): shown without being asked for
};

class ReferralService {
 public:
  // Reads (or makes, on the first start) the instance secret "referral-key".
  static Result<std::unique_ptr<ReferralService>> Open(Store& store, SigningService& signing);

  // The signature's code: kReferralCodeLength characters of [A-Za-z0-9_-].
  std::string CodeOf(const Signature& s) const;

  // Whether a page offers the personal link unasked: only to a signer whose name is not
  // protected (Protection::kNone).
  static bool Offered(const Signature& s);

  // The personal link of the signature whose confirm token this is, with its count.
  // kNotFound for a token that is not one (PeekConfirm's errors, with its guess limit by
  // remote_address); kConflict if the signature is not confirmed (pending: nothing to
  // share yet; withdrawn: it no longer counts).
  Result<PersonalLink> ForConfirmToken(const std::string& token, const std::string& remote_address);

  // How many confirmed signatures came through this signature's link.
  Result<std::int64_t> Brought(const Signature& s);

 private:
  ReferralService(Store& store, SigningService& signing, std::string key)
      : store_(store), signing_(signing), key_(std::move(key)) {}

  Store& store_;
  SigningService& signing_;
  const std::string key_;
};

}  // namespace undersigned::service
