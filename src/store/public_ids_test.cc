#include "store/public_ids.h"

#include <array>
#include <cctype>
#include <cstdint>
#include <set>
#include <string>

#include <gtest/gtest.h>

namespace undersigned::store {
namespace {

const std::string kKey(32, 'k');

TEST(PublicIdsTest, RoundTripsRowIdsOfEachKind) {
  PublicIds ids(kKey);
  for (std::int64_t row : {std::int64_t{1}, std::int64_t{2}, std::int64_t{1000},
                           (std::int64_t{7} << 40) + 1, std::int64_t{INT64_MAX}}) {
    for (IdKind kind : {IdKind::kPerson, IdKind::kSignature}) {
      const std::string uuid = ids.Uuid(kind, row);
      ASSERT_EQ(uuid.size(), 36u);
      EXPECT_EQ(uuid[8], '-');
      EXPECT_EQ(uuid[14], '8') << uuid;                                          // version 8
      EXPECT_NE(std::string("89ab").find(uuid[19]), std::string::npos) << uuid;  // variant
      for (char c : uuid) EXPECT_TRUE(c == '-' || (std::isxdigit(c) && !std::isupper(c))) << uuid;
      EXPECT_EQ(ids.RowId(kind, uuid), row) << uuid;
    }
  }
}

TEST(PublicIdsTest, DistinctRowsGetUnrelatedUuids) {
  PublicIds ids(kKey);
  std::set<std::string> seen;
  std::set<std::string> prefixes;
  for (std::int64_t row = 1; row <= 10000; ++row) {
    const std::string uuid = ids.Uuid(IdKind::kSignature, row);
    EXPECT_TRUE(seen.insert(uuid).second) << uuid;
    prefixes.insert(uuid.substr(0, 4));
  }
  // Consecutive ids do not share a prefix the way counters would (10,000 draws from 65,536
  // four-digit prefixes give about 9,300 distinct ones).
  EXPECT_GT(prefixes.size(), 8000u);
}

TEST(PublicIdsTest, KindsAndKeysDoNotMix) {
  PublicIds ids(kKey);
  PublicIds other(std::string(32, 'o'));
  const std::string person = ids.Uuid(IdKind::kPerson, 42);
  EXPECT_NE(person, ids.Uuid(IdKind::kSignature, 42));
  EXPECT_NE(person, other.Uuid(IdKind::kPerson, 42));
  EXPECT_EQ(ids.RowId(IdKind::kSignature, person), std::nullopt);
  EXPECT_EQ(other.RowId(IdKind::kPerson, person), std::nullopt);
}

TEST(PublicIdsTest, RefusesAlteredAndMalformedText) {
  PublicIds ids(kKey);
  const std::string uuid = ids.Uuid(IdKind::kPerson, 123456);
  // Any one hex digit changed: refused (the tag covers the ciphertext; version and variant
  // are checked).
  for (std::size_t i = 0; i < uuid.size(); ++i) {
    if (uuid[i] == '-') continue;
    std::string altered = uuid;
    altered[i] = uuid[i] == '0' ? '1' : '0';
    EXPECT_EQ(ids.RowId(IdKind::kPerson, altered), std::nullopt) << altered;
  }
  std::string upper = uuid;
  for (char& c : upper) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  EXPECT_EQ(ids.RowId(IdKind::kPerson, upper), 123456);
  for (const std::string& bad :
       {std::string(), std::string("nope"), uuid.substr(1), uuid + "0",
        std::string(uuid).replace(8, 1, "x"), std::string(uuid).replace(0, 1, "g"),
        std::string("0190f3a1-2b3c-7d4e-8f60-123456789abc")}) {
    EXPECT_EQ(ids.RowId(IdKind::kPerson, bad), std::nullopt) << bad;
  }
}

TEST(PublicIdsTest, UuidTextRoundTrips) {
  std::array<unsigned char, 16> bytes;
  for (int i = 0; i < 16; ++i) bytes[i] = static_cast<unsigned char>(i * 17);
  const std::string text = FormatUuid(bytes);
  EXPECT_EQ(text, "00112233-4455-6677-8899-aabbccddeeff");
  EXPECT_EQ(ParseUuid(text), bytes);
  EXPECT_EQ(ParseUuid("00112233-4455-6677-8899-AABBCCDDEEFF"), bytes);
  EXPECT_EQ(ParseUuid("0011223344556677-8899-aabbccddeeff0"), std::nullopt);
  EXPECT_EQ(ParseUuid("00112233-4455-6677-8899-aabbccddeefg"), std::nullopt);
}

TEST(PublicIdsTest, ShortKeyIsRefused) {
  EXPECT_THROW(PublicIds(std::string(16, 'k')), std::invalid_argument);
}

}  // namespace
}  // namespace undersigned::store
