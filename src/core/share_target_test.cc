#include "core/share_target.h"

#include <gtest/gtest.h>

#include "core/campaign.h"

namespace undersigned {
namespace {

constexpr const char* kText =
    "name=Jane Doe; about=Keynote speaker; x=@janedoe; bluesky=jane.bsky.social; "
    "mastodon=@jane@mastodon.social\n"
    "> {handle}, you speak there while {count} workers ask it to drop the contract.\n"
    ">{handle}: {count} of us signed. {url} Will you ask them on stage?\n"
    "\n"
    "\n"
    "name=Board member Kim\n"
    "> Kim, {count} people ask you to act.\n";

TEST(SecondaryTargets, ParseAndFormatRoundTrip) {
  auto parsed = ParseSecondaryTargets(kText);
  ASSERT_TRUE(parsed) << parsed.error().message;
  ASSERT_EQ(parsed->size(), 2u);
  const SecondaryTarget& jane = (*parsed)[0];
  EXPECT_EQ(jane.name, "Jane Doe");
  EXPECT_EQ(jane.about, "Keynote speaker");
  EXPECT_EQ(jane.x_handle, "janedoe");  // the @ is not kept
  EXPECT_EQ(jane.bluesky_handle, "jane.bsky.social");
  EXPECT_EQ(jane.mastodon_handle, "@jane@mastodon.social");
  ASSERT_EQ(jane.posts.size(), 2u);
  EXPECT_EQ(jane.posts[1], "{handle}: {count} of us signed. {url} Will you ask them on stage?");
  EXPECT_EQ((*parsed)[1].posts.size(), 1u);
  auto again = ParseSecondaryTargets(FormatSecondaryTargets(*parsed));
  ASSERT_TRUE(again);
  EXPECT_EQ(*again, *parsed);
  auto empty = ParseSecondaryTargets("  \n\n");
  ASSERT_TRUE(empty);
  EXPECT_TRUE(empty->empty());
}

TEST(SecondaryTargets, ParseErrorsNameTheLine) {
  auto orphan = ParseSecondaryTargets("> a post without a person\n");
  ASSERT_FALSE(orphan);
  EXPECT_NE(orphan.error().message.find("line 1"), std::string::npos);
  auto unknown = ParseSecondaryTargets("name=A; insta=a\n> hi\n");
  ASSERT_FALSE(unknown);
  EXPECT_NE(unknown.error().message.find("unknown field \"insta\""), std::string::npos);
  auto nameless = ParseSecondaryTargets("x=a\n> hi\n");
  ASSERT_FALSE(nameless);
  EXPECT_NE(nameless.error().message.find("needs name="), std::string::npos);
  auto glued = ParseSecondaryTargets("name=A\n> hi\nname=B\n> ho\n");
  ASSERT_FALSE(glued);
  EXPECT_NE(glued.error().message.find("line 3"), std::string::npos);
  EXPECT_NE(glued.error().message.find("blank line"), std::string::npos);
  auto prose = ParseSecondaryTargets("name=A\nhello there\n");
  ASSERT_FALSE(prose);
  EXPECT_NE(prose.error().message.find("line 2"), std::string::npos);
}

TEST(SecondaryTargets, ChecksWhatTheyHold) {
  auto check = [](std::vector<SecondaryTarget> t) {
    std::map<std::string, std::string> errors;
    CheckSecondaryTargets(t, errors);
    return errors.count("secondary_targets") ? errors["secondary_targets"] : std::string();
  };
  SecondaryTarget ok{"Jane", "", "jane", "", "", {"{handle}, {count} signed: {url}"}};
  EXPECT_EQ(check({ok}), "");
  EXPECT_EQ(check({}), "");
  SecondaryTarget no_posts = ok;
  no_posts.posts.clear();
  EXPECT_NE(check({no_posts}).find("at least one post"), std::string::npos);
  SecondaryTarget bad_placeholder = ok;
  bad_placeholder.posts = {"Hi {name}, {count} signed"};
  EXPECT_NE(check({bad_placeholder}).find("{name} is not a placeholder"), std::string::npos);
  SecondaryTarget prose_braces = ok;
  prose_braces.posts = {"Hi {handle} { see below }"};
  EXPECT_EQ(check({prose_braces}), "");
  SecondaryTarget markup = ok;
  markup.x_handle = "<script>";
  EXPECT_NE(check({markup}).find("handles"), std::string::npos);
  SecondaryTarget long_post = ok;
  long_post.posts = {std::string(kMaxPostBytes + 1, 'a')};
  EXPECT_NE(check({long_post}).find("at most"), std::string::npos);
  SecondaryTarget too_many_posts = ok;
  too_many_posts.posts.assign(kMaxPostsPerTarget + 1, "x");
  EXPECT_NE(check({too_many_posts}).find("posts"), std::string::npos);
  EXPECT_NE(check(std::vector<SecondaryTarget>(kMaxSecondaryTargets + 1, ok)).find("people"),
            std::string::npos);
  // A campaign checks them with its other fields.
  Campaign c;
  c.slug = "abc";
  c.title = "T";
  c.goal = 10;
  c.targets = {Target{"CEO"}};
  c.secondary_targets = {no_posts};
  auto v = ValidateCampaign(c);
  ASSERT_FALSE(v);
  EXPECT_TRUE(v.error().field_errors.count("secondary_targets"));
}

TEST(SecondaryTargets, FillPostPutsInTheHandleCountAndUrl) {
  EXPECT_EQ(FillPost("{handle}, {count} signed. {url} Thanks {handle}", "@jane", "12,345",
                     "https://s.example/c/x?s=x"),
            "@jane, 12,345 signed. https://s.example/c/x?s=x Thanks @jane");
  EXPECT_EQ(FillPost("{count} signed", "Jane", "3", "https://s.example/c/x"),
            "3 signed https://s.example/c/x");
  // A handle holding a placeholder's text is not filled again.
  EXPECT_EQ(FillPost("{handle} {count}", "{count}", "3", "u"), "{count} 3 u");
}

}  // namespace
}  // namespace undersigned
