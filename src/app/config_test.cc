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
  // Who may frame the embeds: "*" by default, "none", or origins; anything else names itself.
  d = Config{};
  EXPECT_EQ(d.server.embed_ancestors, "*");
  d.server.embed_ancestors = "https://union.example.org none";
  auto embeds = ValidateConfig(d);
  ASSERT_FALSE(embeds.has_value());
  EXPECT_NE(embeds.error().message.find("server.embed_ancestors"), std::string::npos);
  EXPECT_NE(embeds.error().message.find("\"none\""), std::string::npos);
  ASSERT_TRUE(ApplySetting(d, "server.embed_ancestors", "https://union.example.org"));
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

// store.url: default empty (SQLite in store.data_dir); a [store] url in the file, then
// UNDERSIGNED_STORE_URL, then the --store flag (key store.url) each override the one before.
TEST(Config, StoreUrlFromFileEnvironmentAndFlag) {
  unsetenv("UNDERSIGNED_STORE_URL");
  auto none = LoadConfig("", {});
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(none->store.url, "");
  EXPECT_EQ(none->store.data_dir, "undersigned-data");

  const auto file = WriteFile("us_config_store.toml",
                              "[store]\nurl = \"postgresql://file@db/undersigned\"\n"
                              "data_dir = \"/var/lib/undersigned\"\n");
  auto from_file = LoadConfig(file, {});
  ASSERT_TRUE(from_file.has_value());
  EXPECT_EQ(from_file->store.url, "postgresql://file@db/undersigned");
  EXPECT_EQ(from_file->store.data_dir, "/var/lib/undersigned");
  EXPECT_TRUE(ValidateConfig(*from_file).has_value());

  setenv("UNDERSIGNED_STORE_URL", "postgres://env@db/undersigned", 1);
  auto from_env = LoadConfig(file, {});
  ASSERT_TRUE(from_env.has_value());
  EXPECT_EQ(from_env->store.url, "postgres://env@db/undersigned");
  EXPECT_EQ(from_env->store.data_dir, "/var/lib/undersigned");  // the file's, untouched

  auto from_flag = LoadConfig(file, {{"store.url", "postgresql://flag@db/undersigned"}});
  ASSERT_TRUE(from_flag.has_value());
  EXPECT_EQ(from_flag->store.url, "postgresql://flag@db/undersigned");
  // An empty flag goes back to SQLite whatever the file and environment say.
  auto back = LoadConfig(file, {{"store.url", ""}, {"store.data_dir", "here"}});
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(back->store.url, "");
  EXPECT_EQ(back->store.data_dir, "here");
  EXPECT_TRUE(ValidateConfig(*back).has_value());
  // Flags apply in order: the last one wins.
  auto twice = LoadConfig("", {{"store.url", "postgresql://a@db/x"}, {"store.url", ""}});
  ASSERT_TRUE(twice.has_value());
  EXPECT_EQ(twice->store.url, "");
  unsetenv("UNDERSIGNED_STORE_URL");

  auto env_empty = LoadConfig(file, {});
  ASSERT_TRUE(env_empty.has_value());
  EXPECT_EQ(env_empty->store.url, "postgresql://file@db/undersigned");
  setenv("UNDERSIGNED_STORE_URL", "", 1);
  env_empty = LoadConfig(file, {});
  unsetenv("UNDERSIGNED_STORE_URL");
  ASSERT_TRUE(env_empty.has_value());
  EXPECT_EQ(env_empty->store.url, "");  // set but empty: SQLite
}

// A store.url that names no PostgreSQL database is refused, and the message does not repeat it
// (it may carry a password).
TEST(Config, StoreUrlMustNamePostgres) {
  for (const char* bad : {"mysql://us:topsecret@db/x", "sqlite:///var/lib/undersigned",
                          "/var/lib/undersigned/undersigned.db", "host=db password=topsecret"}) {
    Config c;
    c.store.url = bad;
    auto r = ValidateConfig(c);
    ASSERT_FALSE(r.has_value()) << bad;
    EXPECT_EQ(r.error().code, Code::kInvalidArgument);
    EXPECT_NE(r.error().message.find("store.url"), std::string::npos);
    EXPECT_EQ(r.error().message.find("topsecret"), std::string::npos) << r.error().message;
  }
  Config ok;
  ok.store.url = "postgresql://us:topsecret@db.example.org:5432/undersigned?sslmode=require";
  EXPECT_TRUE(ValidateConfig(ok).has_value());
  ok.store.url = "postgres://us@db/undersigned";
  EXPECT_TRUE(ValidateConfig(ok).has_value());
  ok.store.url = "POSTGRES://us@db/undersigned";  // libpq takes the scheme in lower case only
  EXPECT_FALSE(ValidateConfig(ok).has_value());
}

// The loaders name what is wrong: a bad file, variable or flag stops the load.
TEST(Config, LoadConfigReportsTheFailingSource) {
  auto bad_file = LoadConfig(WriteFile("us_config_bad_store.toml", "[store]\nuri = \"x\"\n"), {});
  ASSERT_FALSE(bad_file.has_value());
  EXPECT_NE(bad_file.error().message.find("store.uri"), std::string::npos);
  setenv("UNDERSIGNED_SERVER_IO_THREADS", "many", 1);
  auto bad_env = LoadConfig("", {});
  unsetenv("UNDERSIGNED_SERVER_IO_THREADS");
  ASSERT_FALSE(bad_env.has_value());
  EXPECT_NE(bad_env.error().message.find("UNDERSIGNED_SERVER_IO_THREADS"), std::string::npos);
  auto bad_flag = LoadConfig("", {{"store.nowhere", "x"}});
  ASSERT_FALSE(bad_flag.has_value());
  EXPECT_NE(bad_flag.error().message.find("store.nowhere"), std::string::npos);
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
