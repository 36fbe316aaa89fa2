// The conformance suite's fixture: a fresh, empty store of the backend named by the test's
// parameter (backend.h), and the helpers the tests share. Tests are TEST_P(StoreTest, ...),
// one file per subject; fixture.cc instantiates them over every registered backend.
#pragma once

#include <atomic>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "log/leaf.h"
#include "log/proof.h"

#include "service/tx/scripts.h"
#include "store/conformance/backend.h"
#include "store/store.h"

namespace undersigned::store::conformance {

inline constexpr UnixTime kT0 = 1'700'000'000;

// A hex "hash" for a token (the store only needs hashes to be unique strings).
std::string HashOf(const std::string& token);
void ExpectCounts(const CampaignCounts& c, std::int64_t pending, std::int64_t confirmed,
                  std::int64_t withdrawn);

// An open campaign with two targets, a letter and a deadline a day after kT0 (not stored).
Campaign SampleCampaign(const std::string& slug, CampaignStatus status = CampaignStatus::kOpen);
// A signature of email for campaign_id with every personal field set; n makes its name and
// token unique (the fixtures pass a counter).
NewSignature SampleSignature(std::int64_t campaign_id, const std::string& email, UnixTime now,
                             bool confirm_now, int n);

// Outbox "outcome" messages: recipient -> payload.
std::multimap<std::string, nlohmann::json> OutcomeMails(Store& store);

// Every leaf the store holds, parsed, and a MemoryTree of their hashes (the reference).
struct LogContents {
  std::vector<log::Leaf> leaves;
  log::MemoryTree tree;
};
LogContents ReadLog(Store& store);

class StoreTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override;
  void TearDown() override;

  // Closes the store and opens it again (a restart), with everything kept.
  void Open();
  // One integer from the backend's tables (TestBackend::QueryInt).
  std::int64_t QueryInt(const std::string& sql) { return backend_->QueryInt(sql); }

  Campaign NewCampaign(const std::string& slug, CampaignStatus status = CampaignStatus::kOpen);
  Campaign MustCreate(const std::string& slug, CampaignStatus status = CampaignStatus::kOpen);
  NewSignature NewSig(std::int64_t campaign_id, const std::string& email, UnixTime now = kT0,
                      bool confirm_now = false);
  CampaignCounts CountsOf(std::int64_t campaign_id);
  // Signs s, which must succeed; the new signature's uuid.
  std::string MustSign(const NewSignature& s);

  std::unique_ptr<TestBackend> backend_;
  std::unique_ptr<Store> store_;
  std::atomic<int> counter_{0};
};

}  // namespace undersigned::store::conformance
