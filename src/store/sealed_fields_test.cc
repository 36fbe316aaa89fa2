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

TEST(FieldSealer, RoundTripsEveryCharacterAFormCanHold) {
  FieldSealer sealer(std::string(32, 'k'));
  SignatureForm f;
  f.name = "Zoë \"Q\" O'Brien \\ 名前";
  f.email = "zoe+tag@example.org";
  f.postal_code = "";
  f.country = "IE";
  f.comment = std::string("line one\nline two\r\ttab \x01\x1f\x7f end </script>");
  auto back = sealer.Open(sealer.Seal(f));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(back->name, f.name);
  EXPECT_EQ(back->email, f.email);
  EXPECT_EQ(back->postal_code, f.postal_code);
  EXPECT_EQ(back->country, f.country);
  EXPECT_EQ(back->comment, f.comment);
  // Text that is not UTF-8 never gets past the form's checks; sealing refuses it too.
  f.comment = "\xff\xfe";
  EXPECT_ANY_THROW(sealer.Seal(f));
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
