// InstanceStore: Named values and secrets kept forever, shared by every node of the instance.
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include "store/types.h"

namespace undersigned {

class InstanceStore {
 public:
  virtual ~InstanceStore() = default;

  // A named random secret (32 bytes) made on first use and kept forever.
  virtual Result<std::string> InstanceSecret(const std::string& name) = 0;
  // A named value kept forever (same table as the secrets): the stored one, or `initial`,
  // stored now, if there is none yet. E.g. the log's origin, fixed at the first start.
  virtual Result<std::string> InstanceValue(const std::string& name,
                                            const std::string& initial) = 0;
  // The named value, or nullopt if none was ever kept.
  virtual Result<std::optional<std::string>> FindInstanceValue(const std::string& name) = 0;
  // Keeps value under name, replacing a stored one (e.g. the public base URL, when the operator
  // says it changed).
  virtual Result<void> SetInstanceValue(const std::string& name, const std::string& value) = 0;
};

}  // namespace undersigned
