#include "core/organization.h"

#include <gtest/gtest.h>

namespace undersigned {
namespace {

OrganizationForm Good() {
  return OrganizationForm{" Friends of the Earth ", "https://www.foe.example.org/about",
                          "press@foe.example.org", "We stand with them."};
}

TEST(Organizations, AValidFormIsTrimmed) {
  auto f = ValidateOrganizationForm(Good());
  ASSERT_TRUE(f) << f.error().message;
  EXPECT_EQ(f->name, "Friends of the Earth");
}

TEST(Organizations, TheContactMustBeAtTheOrganizationsDomain) {
  OrganizationForm f = Good();
  f.contact_email = "someone@gmail.com";
  auto r = ValidateOrganizationForm(f);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().field_errors.at("contact_email").find("@foe.example.org"), std::string::npos);
  f.contact_email = "press@example.org";  // a parent domain of the site: its own
  EXPECT_TRUE(ValidateOrganizationForm(f));
  f.contact_email = "press@org";  // not a real domain
  EXPECT_FALSE(ValidateOrganizationForm(f));
  f.contact_email = "press@evil-foe.example.org";
  EXPECT_FALSE(ValidateOrganizationForm(f));
}

TEST(Organizations, WebsitesMustBeHttpUrls) {
  for (const char* bad : {"javascript:alert(1)", "foe.example.org", "https://", "ftp://x.org",
                          "https://user@foe.example.org", "https://foe.example.org/\"><script>"}) {
    OrganizationForm f = Good();
    f.website = bad;
    auto r = ValidateOrganizationForm(f);
    ASSERT_FALSE(r) << bad;
    EXPECT_TRUE(r.error().field_errors.count("website")) << bad;
  }
  EXPECT_EQ(WebsiteHost("HTTPS://Foe.Example.org:8443/x"), "foe.example.org");
}

TEST(Organizations, NameIsRequired) {
  OrganizationForm f = Good();
  f.name = "  ";
  EXPECT_TRUE(ValidateOrganizationForm(f).error().field_errors.count("name"));
}

}  // namespace
}  // namespace undersigned
