// SignatureStore: Reading signatures (they are written by the transaction scripts, service/tx/).
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include "store/types.h"

namespace undersigned {

class SignatureStore {
 public:
  virtual ~SignatureStore() = default;

  // Read-only lookups for the pages that show the confirm/withdraw button, accepting the same
  // tokens as tx::Confirm and tx::Withdraw (service/tx/scripts.h).
  virtual Result<TokenOutcome> FindByConfirmToken(const std::string& hash) = 0;
  virtual Result<TokenOutcome> FindByWithdrawToken(const std::string& hash) = 0;
  // Newest confirmed signatures with public_name, for the campaign page.
  virtual Result<std::vector<PublicSigner>> RecentPublicSigners(std::int64_t campaign_id,
                                                                int limit) = 0;
  // All states, newest first, for the API.
  virtual Result<Paged<Signature>> ListSignatures(std::int64_t campaign_id,
                                                  const TimeFilter& filter, Page page) = 0;
  // The same within one group (group key; "public" for a campaign without groups). No index
  // serves it (one would cost every signature a write): it reads the campaign's rows.
  virtual Result<Paged<Signature>> ListSignaturesInGroup(std::int64_t campaign_id,
                                                         const std::string& group_key,
                                                         const TimeFilter& filter, Page page) = 0;
  virtual Result<Signature> GetSignatureByUuid(const std::string& uuid) = 0;
  // How many of a campaign's confirmed signatures came through the personal link with this
  // code (SignatureOrigin::referral, compared exactly). Only a number: never who.
  virtual Result<std::int64_t> CountReferred(std::int64_t campaign_id, const std::string& code) = 0;
  // Confirmed signatures, oldest first, streamed to fn (for exports). Stops early if fn
  // returns false.
  virtual Result<void> ForEachConfirmed(std::int64_t campaign_id,
                                        const std::function<bool(const Signature&)>& fn) = 0;
};

}  // namespace undersigned
