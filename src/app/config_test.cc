#include "app/config.h"

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include <gtest/gtest.h>

namespace undersigned::app {
namespace {

std::string WriteFile(const std::string& name, const std::string& text) {
  auto path = std::filesystem::temp_directory_path() / name;
  std::ofstream(path) << text;
  return path.string();
}

TEST(Config, DefaultsAreValid) { EXPECT_TRUE(ValidateConfig(Config{}).has_value()); }

TEST(Config, FileThenEnvironmentThenFlags) {
  Config c;
  auto path =
      WriteFile("us_config_test.toml",
                "[server]\nlisten = \"0.0.0.0:9000\"\nio_threads = 3\n"
                "[mail]\nsmtp_url = \"smtp://mail:25\"\n[limits]\nper_address_burst = 50\n");
  ASSERT_TRUE(ApplyTomlFile(c, path).has_value());
  EXPECT_EQ(c.server.listen, "0.0.0.0:9000");
  EXPECT_EQ(c.server.io_threads, 3);
  EXPECT_EQ(c.mail.smtp_url, "smtp://mail:25");
  EXPECT_DOUBLE_EQ(c.limits.per_address_burst, 50);

  setenv("UNDERSIGNED_SERVER_LISTEN", "127.0.0.1:9001", 1);
  ASSERT_TRUE(ApplyEnvironment(c).has_value());
  unsetenv("UNDERSIGNED_SERVER_LISTEN");
  EXPECT_EQ(c.server.listen, "127.0.0.1:9001");

  ASSERT_TRUE(ApplySetting(c, "server.listen", "127.0.0.1:0").has_value());
  EXPECT_EQ(c.server.listen, "127.0.0.1:0");
}

TEST(Config, RejectsUnknownKeysAndBadValues) {
  Config c;
  auto unknown = ApplyTomlFile(c, WriteFile("us_bad1.toml", "[server]\nlisten_on = \"x\"\n"));
  ASSERT_FALSE(unknown.has_value());
  EXPECT_NE(unknown.error().message.find("server.listen_on"), std::string::npos);

  auto bad_int = ApplyTomlFile(c, WriteFile("us_bad2.toml", "[server]\nio_threads = \"many\"\n"));
  ASSERT_FALSE(bad_int.has_value());
  EXPECT_NE(bad_int.error().message.find("io_threads"), std::string::npos);

  auto syntax = ApplyTomlFile(c, WriteFile("us_bad3.toml", "[server\n"));
  EXPECT_FALSE(syntax.has_value());

  Config d;
  d.mail.starttls = "sometimes";
  EXPECT_FALSE(ValidateConfig(d).has_value());
  d = Config{};
  d.server.listen = "nohost";
  EXPECT_FALSE(ValidateConfig(d).has_value());
  d = Config{};
  d.server.metrics_allow = "10.0.0.0/8, intranet";
  auto networks = ValidateConfig(d);
  ASSERT_FALSE(networks.has_value());
  EXPECT_NE(networks.error().message.find("server.metrics_allow"), std::string::npos);
  EXPECT_NE(networks.error().message.find("intranet"), std::string::npos);
  d = Config{};
  d.server.metrics_listen = "127.0.0.1";
  EXPECT_FALSE(ValidateConfig(d).has_value());
  d.server.metrics_listen = "127.0.0.1:9100";
  EXPECT_TRUE(ValidateConfig(d).has_value());
}

// Who runs the site: a [site] table, UNDERSIGNED_SITE_* and flags; bad values refused.
TEST(Config, SiteSettings) {
  Config c;
  EXPECT_EQ(c.site.name, "undersigned");
  EXPECT_TRUE(c.site.operator_name.empty());
  auto path = WriteFile("us_config_site.toml",
                        "[site]\nname = \"Sign Acme\"\noperator = \"Acme Workers United\"\n"
                        "contact = \"privacy@acme-workers.example\"\n"
                        "privacy_url = \"https://acme-workers.example/privacy\"\n");
  ASSERT_TRUE(ApplyTomlFile(c, path).has_value());
  EXPECT_EQ(c.site.name, "Sign Acme");
  EXPECT_EQ(c.site.operator_name, "Acme Workers United");
  EXPECT_EQ(c.site.contact, "privacy@acme-workers.example");
  EXPECT_EQ(c.site.privacy_url, "https://acme-workers.example/privacy");
  EXPECT_TRUE(ValidateConfig(c).has_value());
  setenv("UNDERSIGNED_SITE_OPERATOR", "Someone Else", 1);
  ASSERT_TRUE(ApplyEnvironment(c).has_value());
  unsetenv("UNDERSIGNED_SITE_OPERATOR");
  EXPECT_EQ(c.site.operator_name, "Someone Else");

  Config bad = c;
  bad.site.contact = "call us";
  auto r = ValidateConfig(bad);
  ASSERT_FALSE(r.has_value());
  EXPECT_NE(r.error().message.find("site.contact"), std::string::npos);
  bad = c;
  bad.site.privacy_url = "privacy.html";
  EXPECT_FALSE(ValidateConfig(bad).has_value());
  bad = c;
  bad.site.contact = "https://acme-workers.example/contact";
  EXPECT_TRUE(ValidateConfig(bad).has_value());
  auto unknown = WriteFile("us_config_site_bad.toml", "[site]\nowner = \"x\"\n");
  Config u;
  EXPECT_FALSE(ApplyTomlFile(u, unknown).has_value());
}

TEST(Config, ParseListen) {
  auto r = ParseListen("127.0.0.1:8080");
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(r->first, "127.0.0.1");
  EXPECT_EQ(r->second, 8080);
  auto v6 = ParseListen("[::1]:0");
  ASSERT_TRUE(v6.has_value());
  EXPECT_EQ(v6->first, "::1");
  EXPECT_FALSE(ParseListen("127.0.0.1:99999").has_value());
}

}  // namespace
}  // namespace undersigned::app
