// ApiTokenStore: API tokens; only their hashes are stored.
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include "store/types.h"

namespace undersigned {

class ApiTokenStore {
 public:
  virtual ~ApiTokenStore() = default;

  virtual Result<ApiToken> CreateApiToken(const std::string& name, const std::string& hash,
                                          UnixTime now) = 0;
  // Revokes every live token with that name; kNotFound if none.
  virtual Result<int> RevokeApiToken(const std::string& name, UnixTime now) = 0;
  // A live (unrevoked) token with this hash, or kNotFound.
  virtual Result<ApiToken> FindApiToken(const std::string& hash) = 0;
};

}  // namespace undersigned
