#include "store/sealed_fields.h"

#include <gtest/gtest.h>

namespace undersigned::store {
namespace {

TEST(FieldSealer, RoundTripsAndHidesTheFields) {
  FieldSealer sealer(std::string(32, 'k'));
  SignatureForm f;
  f.name = "SEALED-MARKER Ada";
  f.email = "ada@example.org";
  f.comment = "Because.";
  std::string blob = sealer.Seal(f);
  EXPECT_EQ(blob.find("SEALED-MARKER"), std::string::npos);
  EXPECT_EQ(blob.find("example.org"), std::string::npos);
  EXPECT_NE(sealer.Seal(f), blob);  // fresh nonce each time
  auto back = sealer.Open(blob);
  ASSERT_TRUE(back);
  EXPECT_EQ(back->name, f.name);
  EXPECT_EQ(back->email, f.email);
  EXPECT_EQ(back->comment, f.comment);
}

TEST(FieldSealer, RefusesAlteredOrForeignBlobs) {
  FieldSealer sealer(std::string(32, 'k'));
  FieldSealer other(std::string(32, 'j'));
  SignatureForm f;
  f.name = "Ada";
  std::string blob = sealer.Seal(f);
  EXPECT_FALSE(other.Open(blob));
  blob[blob.size() - 1] ^= 1;
  EXPECT_FALSE(sealer.Open(blob));
  EXPECT_FALSE(sealer.Open("short"));
}

}  // namespace
}  // namespace undersigned::store
