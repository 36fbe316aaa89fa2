#include "core/totp.h"

#include <gtest/gtest.h>

namespace undersigned::totp {
namespace {

const std::string kRfcSecret = "12345678901234567890";  // RFC 6238 Appendix B, SHA-1

TEST(TotpTest, Rfc6238AppendixBVectorsForSha1) {
  struct Vector {
    UnixTime t;
    const char* code;
  };
  const Vector vectors[] = {{59, "94287082"},         {1111111109, "07081804"},
                            {1111111111, "14050471"}, {1234567890, "89005924"},
                            {2000000000, "69279037"}, {20000000000, "65353130"}};
  for (const Vector& v : vectors) EXPECT_EQ(CodeAt(kRfcSecret, v.t, 8), v.code) << v.t;
  // Six digits are the last six of eight (the same truncation, mod 10^6).
  EXPECT_EQ(CodeAt(kRfcSecret, 59), "287082");
  EXPECT_EQ(CodeAt(kRfcSecret, 1111111109), "081804");  // a leading zero is kept
}

TEST(TotpTest, StepsFloorTime) {
  EXPECT_EQ(StepAt(0), 0);
  EXPECT_EQ(StepAt(29), 0);
  EXPECT_EQ(StepAt(30), 1);
  EXPECT_EQ(StepAt(59), 1);
  EXPECT_EQ(StepAt(-1), -1);
}

TEST(TotpTest, VerifyAcceptsOneStepEitherWayAndNoMore) {
  const UnixTime now = 1'700'000'015;  // mid-step
  const std::int64_t step = StepAt(now);
  EXPECT_EQ(Verify(kRfcSecret, CodeForStep(kRfcSecret, step), now), step);
  EXPECT_EQ(Verify(kRfcSecret, CodeForStep(kRfcSecret, step - 1), now), step - 1);
  EXPECT_EQ(Verify(kRfcSecret, CodeForStep(kRfcSecret, step + 1), now), step + 1);
  EXPECT_FALSE(Verify(kRfcSecret, CodeForStep(kRfcSecret, step - 2), now).has_value());
  EXPECT_FALSE(Verify(kRfcSecret, CodeForStep(kRfcSecret, step + 2), now).has_value());
}

TEST(TotpTest, VerifyRefusesMalformedCodesAndOtherSecrets) {
  const UnixTime now = 1'700'000'015;
  const std::string code = CodeAt(kRfcSecret, now);
  EXPECT_TRUE(Verify(kRfcSecret, code.substr(0, 3) + " " + code.substr(3), now).has_value());
  EXPECT_FALSE(Verify(kRfcSecret, code.substr(0, 5), now).has_value());
  EXPECT_FALSE(Verify(kRfcSecret, code + "0", now).has_value());
  EXPECT_FALSE(Verify(kRfcSecret, "12345a", now).has_value());
  EXPECT_FALSE(Verify(kRfcSecret, "", now).has_value());
  EXPECT_FALSE(Verify("", code, now).has_value());
  EXPECT_FALSE(Verify("another secret of twenty", code, now).has_value());
}

TEST(TotpTest, AUsedStepNeverMatchesAgain) {
  const UnixTime now = 1'700'000'015;
  const std::int64_t step = StepAt(now);
  const std::string code = CodeForStep(kRfcSecret, step);
  EXPECT_FALSE(Verify(kRfcSecret, code, now, step).has_value());
  EXPECT_FALSE(Verify(kRfcSecret, code, now, step + 1).has_value());
  EXPECT_EQ(Verify(kRfcSecret, code, now, step - 1), step);
  // The next step's code still works after this one was used.
  EXPECT_EQ(Verify(kRfcSecret, CodeForStep(kRfcSecret, step + 1), now, step), step + 1);
}

TEST(TotpTest, Base32Rfc4648Vectors) {
  const std::pair<const char*, const char*> vectors[] = {{"", ""},
                                                         {"f", "MY"},
                                                         {"fo", "MZXQ"},
                                                         {"foo", "MZXW6"},
                                                         {"foob", "MZXW6YQ"},
                                                         {"fooba", "MZXW6YTB"},
                                                         {"foobar", "MZXW6YTBOI"}};
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(Base32Encode(plain), encoded);
    EXPECT_EQ(Base32Decode(encoded), plain);
  }
  EXPECT_EQ(Base32Decode("mzxw 6ytb-oi======"), "foobar");
  EXPECT_EQ(Base32Encode(kRfcSecret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
  EXPECT_FALSE(Base32Decode("MZXW1").has_value());  // 1 is not in the alphabet
  EXPECT_FALSE(Base32Decode("M").has_value());      // no encoding is 1 symbol long
  EXPECT_FALSE(Base32Decode("MZX").has_value());
}

TEST(TotpTest, OtpauthUriNamesIssuerAccountAndSecret) {
  EXPECT_EQ(OtpauthUri("Sign Example", "ada@example.org", "foobar"),
            "otpauth://totp/Sign%20Example:ada%40example.org?secret=MZXW6YTBOI&issuer="
            "Sign%20Example&algorithm=SHA1&digits=6&period=30");
}

}  // namespace
}  // namespace undersigned::totp
