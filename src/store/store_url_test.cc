#include "store/store_url.h"

#include <gtest/gtest.h>

namespace undersigned::store {
namespace {

TEST(StoreUrl, PostgresSchemes) {
  EXPECT_TRUE(HasPostgresScheme("postgresql://u@db/undersigned"));
  EXPECT_TRUE(HasPostgresScheme("postgres://u@db/undersigned"));
  EXPECT_FALSE(HasPostgresScheme("PostgreSQL://db"));  // libpq takes the scheme in lower case
  EXPECT_FALSE(HasPostgresScheme(""));
  EXPECT_FALSE(HasPostgresScheme("sqlite:///var/lib/undersigned"));
  EXPECT_FALSE(HasPostgresScheme("/var/lib/undersigned"));
  EXPECT_FALSE(HasPostgresScheme("postgresql:/db"));
}

TEST(StoreUrl, RedactsTheUserInformationsPassword) {
  EXPECT_EQ(RedactUrl("postgresql://us:s3cret@db.example.org:5432/undersigned"),
            "postgresql://us:***@db.example.org:5432/undersigned");
  EXPECT_EQ(RedactUrl("postgres://us:p%40ss@db/x?sslmode=require"),
            "postgres://us:***@db/x?sslmode=require");
  // Unencoded '@' and '/' in the password: the user information ends at the last '@'.
  EXPECT_EQ(RedactUrl("postgresql://us:a@b/c@db/x"), "postgresql://us:***@db/x");
  // Several hosts.
  EXPECT_EQ(RedactUrl("postgresql://us:pw@h1:5432,h2:5433/x"),
            "postgresql://us:***@h1:5432,h2:5433/x");
}

TEST(StoreUrl, RedactsPasswordParameters) {
  EXPECT_EQ(RedactUrl("postgresql:///x?host=/tmp/pg&password=hunter2&port=5432"),
            "postgresql:///x?host=/tmp/pg&password=***&port=5432");
  EXPECT_EQ(RedactUrl("postgresql://u@h/x?password=hunter2"), "postgresql://u@h/x?password=***");
  EXPECT_EQ(RedactUrl("postgresql://u:a@h/x?password=b"), "postgresql://u:***@h/x?password=***");
  // Keyword/value strings, as libpq also takes them.
  EXPECT_EQ(RedactUrl("host=db user=us password=hunter2 dbname=x"),
            "host=db user=us password=*** dbname=x");
  EXPECT_EQ(RedactUrl("host=db password = 'two words' dbname=x"),
            "host=db password = *** dbname=x");
}

TEST(StoreUrl, KeepsUrlsWithoutPasswords) {
  for (const char* url :
       {"postgresql://postgres@/postgres?host=/tmp/us-pg&port=5432",
        "postgresql://db.example.org/undersigned", "postgres://us@db/x", "host=db user=us", ""}) {
    EXPECT_EQ(RedactUrl(url), url);
  }
  // "password" as part of another word or parameter is not a password.
  EXPECT_EQ(RedactUrl("postgresql://u@h/x?application_name=nopassword"),
            "postgresql://u@h/x?application_name=nopassword");
}

TEST(StoreUrl, RedactsInOtherText) {
  const std::string url = "postgresql://us:p%40ss@db/x";
  EXPECT_EQ(RedactIn("cannot connect to " + url + ": refused", url),
            "cannot connect to postgresql://us:***@db/x: refused");
  // A message quoting the password itself, encoded or decoded.
  EXPECT_EQ(RedactIn("password \"p@ss\" rejected; p%40ss", url), "password \"***\" rejected; ***");
  EXPECT_EQ(RedactIn("nothing secret", ""), "nothing secret");
  // A short password is taken out where it stands alone, not out of every word.
  EXPECT_EQ(RedactIn("cannot open postgresql://a:b@c/d: bad password b", "postgresql://a:b@c/d"),
            "cannot open postgresql://a:***@c/d: bad password ***");
  EXPECT_EQ(
      RedactIn("password authentication failed for 'two words'", "host=db password='two words'"),
      "password authentication failed for '***'");
}

TEST(StoreUrl, DescribesTheStore) {
  EXPECT_EQ(DescribeStore("", "/var/lib/undersigned"), "SQLite in /var/lib/undersigned");
  EXPECT_EQ(DescribeStore("postgresql://us:pw@db/x", "/var/lib/undersigned"),
            "PostgreSQL at postgresql://us:***@db/x");
}

}  // namespace
}  // namespace undersigned::store
