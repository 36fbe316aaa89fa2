// RowIds: the row ids of new people and signatures, handed out by the SQLite writer. Internal
// to store/sqlite/.
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <optional>
#include <unordered_map>

#include "core/error.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/sqlite_db.h"

namespace undersigned::store {

// The row ids of new people and signatures, handed out by the writer. They are chosen by the
// store, not by SQLite, because the public id (store/public_ids.h) is made from the row id and
// goes in with the row. A signature's id is its campaign's id times 2^40 plus its number in the
// campaign (see US_SIG_IN_CAMPAIGN); a person's is the next after the largest.
//
// The next id of each is read from the table at its first use and counted on in memory. If
// another process inserted rows meanwhile, the insert meets a primary-key conflict: Forget()
// and take again. A rolled-back insert leaves a gap, which is harmless. Writer thread only.
class RowIds {
 public:
  static constexpr int kCampaignShift = 40;
  static constexpr std::int64_t kMaxCampaign = (std::int64_t{1} << (63 - kCampaignShift)) - 1;

  // The id the next new person gets (call Took() once it was inserted).
  Result<std::int64_t> NextPerson(Db& db) {
    if (!next_person_) {
      auto st = db.Prepare(sql::kLastPersonId);
      if (!st) return Fail(st.error());
      int rc = st->Step();
      if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the last person id"));
      next_person_ = st->Int(0) + 1;
    }
    return *next_person_;
  }
  void TookPerson() { ++*next_person_; }

  // The id the next new signature of a campaign gets (call TookSignature() once inserted).
  Result<std::int64_t> NextSignature(Db& db, std::int64_t campaign_id) {
    if (campaign_id < 1 || campaign_id > kMaxCampaign) {
      return Fail(Code::kInternal, "campaign id out of the range signature ids can hold");
    }
    auto it = next_signature_.find(campaign_id);
    if (it == next_signature_.end()) {
      const std::int64_t base = campaign_id << kCampaignShift;
      auto st = db.Prepare(sql::kLastSignatureId);
      if (!st) return Fail(st.error());
      st->Bind(1, campaign_id);
      int rc = st->Step();
      if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
        return Fail(db.ErrorFor(rc, "reading the last signature id"));
      }
      const std::int64_t next = (rc == SQLITE_ROW ? st->Int(0) : base) + 1;
      it = next_signature_.emplace(campaign_id, next).first;
    }
    if (it->second - (campaign_id << kCampaignShift) >= (std::int64_t{1} << kCampaignShift)) {
      return Fail(Code::kInternal, "a campaign holds at most 2^40 signatures");
    }
    return it->second;
  }
  void TookSignature(std::int64_t campaign_id) { ++next_signature_.at(campaign_id); }

  void Forget() {
    next_person_.reset();
    next_signature_.clear();
  }

 private:
  std::optional<std::int64_t> next_person_;
  std::unordered_map<std::int64_t, std::int64_t> next_signature_;
};

}  // namespace undersigned::store
