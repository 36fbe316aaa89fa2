// ModerationService over a real SQLite store: who may (roles, the operator), the action record,
// what a preview shows (never a sealed or anonymous signer's identity), and what the public sees
// after hiding and invalidating (the campaign's snapshot included).
#include "service/moderation.h"

#include <sodium.h>

#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class ModerationTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    AccountOptions o;
    o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
    o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
    accounts_ = std::make_unique<AccountService>(*store_, clock_, o);
    moderation_ = std::make_unique<ModerationService>(*store_, *campaigns_, *accounts_, clock_,
                                                      ModerationOptions{}, [this] { ++wakes_; });
    Campaign c = OpenCampaign("acme-letter", "Letter to Acme");
    SignerGroup employees;
    employees.key = "employees";
    employees.name = "Acme employees";
    employees.kind = GroupKind::kEmployees;
    employees.organization = "Acme";
    employees.domains = {"acme.com"};
    employees.seal_thresholds = {5, 100};
    c.groups = {employees, DefaultPublicGroup()};
    Create(c);
    campaign_id_ = campaigns_->GetBySlug("acme-letter")->id;
  }
  void CloseServices() override {
    moderation_.reset();
    accounts_.reset();
    ServiceFixture::CloseServices();
  }

  // A member of the public signing from address, counted at once; its uuid.
  std::string Public(const std::string& email, const std::string& address,
                     const std::string& comment = "my comment") {
    SignatureForm f;
    f.group = "public";
    f.name = "Name " + email;
    f.email = email;
    f.comment = comment;
    f.public_name = true;
    SignContext ctx;
    ctx.source = "api";
    ctx.trusted = true;
    ctx.remote_address = address;
    auto r = signing_->Sign("acme-letter", f, ctx);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->signature.uuid : "";
  }
  // An employee signing from address, sealed or anonymous, who follows the link.
  void Employee(const std::string& who, Protection p, const std::string& address) {
    SignatureForm f;
    f.group = "employees";
    f.name = "Secret " + who;
    f.work_email = who + "@acme.com";
    f.email = who + "@home.example";
    f.comment = "secret words of " + who;
    f.protection = p;
    f.public_name = true;
    if (p == Protection::kSealed) f.seal_threshold = 5;
    SignContext ctx;
    ctx.remote_address = address;
    auto r = signing_->Sign("acme-letter", f, ctx);
    ASSERT_TRUE(r) << r.error().message;
    std::string token;
    auto due = store_->DueOutbox(kOutboxNever - 1, 1000);
    for (const OutboxMessage& m : *due) {
      if (m.kind == "verify" && m.recipient == who + "@acme.com") {
        token = nlohmann::json::parse(m.payload).at("token");
      }
    }
    ASSERT_FALSE(token.empty());
    ASSERT_TRUE(signing_->Confirm(token));
  }
  User Member(const std::string& email, std::optional<CampaignRole> role) {
    auto u = accounts_->CreateUser(Actor::Operator(), email, "", false);
    EXPECT_TRUE(u) << u.error().message;
    if (role) {
      EXPECT_TRUE(store_->accounts().AddMembership(u->id, campaign_id_, *role, 0));
    }
    return *u;
  }
  std::vector<std::string> Actions() {
    std::vector<std::string> out;
    auto page = accounts_->ListActions(Actor::Operator(), ActionFilter{campaign_id_, std::nullopt},
                                       Page{1, 100});
    EXPECT_TRUE(page);
    for (auto& e : page->items) out.insert(out.begin(), e.action);
    return out;
  }
  ModerationFilter Range(const std::string& cidr) {
    ModerationFilter f;
    f.campaign_slug = "acme-letter";
    f.ranges = {cidr};
    return f;
  }
  std::int64_t PublicCount() { return campaigns_->Snapshot("acme-letter")->counts.confirmed; }

  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<ModerationService> moderation_;
  std::int64_t campaign_id_ = 0;
};

TEST_F(ModerationTest, OnlyModeratorsHideAndEveryActionIsRecorded) {
  const std::string uuid = Public("ada@example.org", "198.51.100.7", "rude words");
  const User viewer = Member("viewer@example.org", CampaignRole::kViewer);
  const User stranger = Member("stranger@example.org", std::nullopt);
  const User moderator = Member("mod@example.org", CampaignRole::kModerator);
  EXPECT_EQ(moderation_->HideComment(Actor::Of(viewer), "acme-letter", uuid, true).error().code,
            Code::kForbidden);
  auto as_stranger = moderation_->HideComment(Actor::Of(stranger), "acme-letter", uuid, true);
  ASSERT_FALSE(as_stranger);
  EXPECT_NE(as_stranger.error().code, Code::kInternal);
  EXPECT_EQ(moderation_->Preview(Actor::Of(viewer), Range("198.51.100.0/24")).error().code,
            Code::kForbidden);

  auto hidden = moderation_->HideComment(Actor::Of(moderator), "acme-letter", uuid, true);
  ASSERT_TRUE(hidden) << hidden.error().message;
  EXPECT_EQ(hidden->comment_review, store::CommentReview::kHidden);
  EXPECT_EQ(hidden->comment, "rude words");  // the moderator still reads it
  auto snap = campaigns_->Snapshot("acme-letter");
  ASSERT_EQ(snap->recent.size(), 1u);
  EXPECT_EQ(snap->recent[0].comment, "");  // the page no longer shows it
  EXPECT_EQ(snap->counts.confirmed, 1);    // and it still counts
  ASSERT_TRUE(moderation_->HideName(Actor::Operator(), "acme-letter", uuid, true));
  EXPECT_TRUE(campaigns_->Snapshot("acme-letter")->recent.empty());
  EXPECT_EQ(Actions(), (std::vector<std::string>{"signature.hide_comment", "signature.hide_name"}));
  EXPECT_EQ(moderation_->HideName(Actor::Operator(), "acme-letter", "nope", true).error().code,
            Code::kNotFound);
  EXPECT_EQ(moderation_->HideName(Actor::Operator(), "no-such", uuid, true).error().code,
            Code::kNotFound);
}

TEST_F(ModerationTest, APreviewNeverShowsASealedOrAnonymousSignersIdentity) {
  Employee("sealy", Protection::kSealed, "203.0.113.5");
  Employee("anon", Protection::kAnonymous, "203.0.113.6");
  Public("bot1@spam.example", "203.0.113.7");
  auto p = moderation_->Preview(Actor::Operator(), Range("203.0.113.0/24"));
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->count, 3);
  std::ostringstream all;
  for (const ModeratedSignature& s : p->sample) {
    all << s.uuid << s.shown_as << s.email_domain << s.comment << s.group << "|";
  }
  const std::string text = all.str();
  // (An anonymous signer's comment is public, beside "verified employee of Acme"; its name,
  // addresses and exact time are not.)
  for (const char* secret :
       {"Secret", "sealy", "anon@", "home.example", "acme.com", "secret words of sealy"}) {
    EXPECT_EQ(text.find(secret), std::string::npos) << secret << " in " << text;
  }
  EXPECT_NE(text.find("(sealed)"), std::string::npos);
  EXPECT_NE(text.find("(anonymous)"), std::string::npos);
  EXPECT_NE(text.find("Name bot1@spam.example"), std::string::npos);
  EXPECT_NE(text.find("spam.example"), std::string::npos);
  // A sealed or anonymous signer's time is the day only.
  for (const ModeratedSignature& s : p->sample) {
    if (s.shown_as.front() == '(') {
      EXPECT_EQ(s.created % 86400, 0);
    }
  }
}

TEST_F(ModerationTest, BulkInvalidationAfterAPreviewMovesThePublicCount) {
  for (int i = 0; i < 6; ++i) {
    Public("bot" + std::to_string(i) + "@x.example", "203.0.113." + std::to_string(i + 1));
  }
  Public("real@example.org", "198.51.100.1");
  EXPECT_EQ(PublicCount(), 7);
  ModerationFilter f = Range("203.0.113.0/24");
  auto p = moderation_->Preview(Actor::Operator(), f);
  ASSERT_TRUE(p) << p.error().message;
  EXPECT_EQ(p->count, 6);

  // Bad input is refused, saying what to fix, with nothing changed.
  auto bad = moderation_->InvalidateMatching(Actor::Operator(), Range("203.0.113.9/24"), 6, "flood",
                                             false);
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(bad.error().field_errors.count("ranges"));
  auto no_reason = moderation_->InvalidateMatching(Actor::Operator(), f, 6, " ", false);
  ASSERT_FALSE(no_reason);
  EXPECT_TRUE(no_reason.error().field_errors.count("reason"));
  auto wrong_count = moderation_->InvalidateMatching(Actor::Operator(), f, 5, "flood", false);
  ASSERT_FALSE(wrong_count);
  EXPECT_EQ(wrong_count.error().code, Code::kConflict);
  EXPECT_EQ(PublicCount(), 7);

  const int wakes = wakes_;
  auto r = moderation_->InvalidateMatching(Actor::Operator(), f, 6, "flood from one range", true);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->invalidated, 6);
  EXPECT_EQ(r->counted, 6);
  EXPECT_EQ(r->notified, 6);
  EXPECT_GT(wakes_, wakes);  // the mailer was woken for the notices
  EXPECT_EQ(PublicCount(), 1);
  EXPECT_EQ(campaigns_->Snapshot("acme-letter")->recent.size(), 1u);
  std::ostringstream csv;
  ASSERT_TRUE(signing_->Export("acme-letter", "csv", csv));
  EXPECT_EQ(csv.str().find("x.example"), std::string::npos);
  EXPECT_EQ(csv.str().find("Name bot"), std::string::npos);

  auto page = accounts_->ListActions(Actor::Operator(), ActionFilter{campaign_id_, std::nullopt},
                                     Page{1, 10});
  ASSERT_TRUE(page);
  ASSERT_EQ(page->items.size(), 1u);
  EXPECT_EQ(page->items[0].action, "signature.invalidate_matching");
  auto detail = nlohmann::json::parse(page->items[0].detail);
  EXPECT_EQ(detail["count"], 6);
  EXPECT_EQ(detail["ranges"][0], "203.0.113.0/24");
  EXPECT_EQ(detail["reason"], "flood from one range");
  EXPECT_EQ(detail["signatures"].size(), 6u);
}

TEST_F(ModerationTest, OneInvalidationAndTheCommentQueue) {
  const std::string a = Public("a@example.org", "198.51.100.1", "first!");
  const User moderator = Member("mod@example.org", CampaignRole::kModerator);
  const User viewer = Member("viewer@example.org", CampaignRole::kViewer);
  EXPECT_EQ(
      moderation_->Invalidate(Actor::Of(viewer), "acme-letter", a, "fake", false).error().code,
      Code::kForbidden);
  auto r = moderation_->Invalidate(Actor::Of(moderator), "acme-letter", a, "fake", false);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->invalidated, 1);
  EXPECT_EQ(r->notified, 0);
  EXPECT_EQ(PublicCount(), 0);
  // Gone from every read by id, as from the lists (the API's GET /signatures/{id}).
  EXPECT_EQ(signing_->GetSignature(a).error().code, Code::kNotFound);

  const std::string b = Public("b@example.org", "198.51.100.2", "second");
  ASSERT_TRUE(moderation_->SetCommentApproval(Actor::Of(moderator), "acme-letter", true));
  EXPECT_TRUE(*moderation_->CommentApproval(Actor::Of(moderator), "acme-letter"));
  EXPECT_EQ(campaigns_->Snapshot("acme-letter")->recent.at(0).comment, "");
  auto waiting = moderation_->AwaitingComments(Actor::Of(moderator), "acme-letter", 10);
  ASSERT_TRUE(waiting) << waiting.error().message;
  ASSERT_EQ(waiting->size(), 1u);
  EXPECT_EQ(waiting->at(0).uuid, b);
  EXPECT_EQ(waiting->at(0).comment, "second");
  ASSERT_TRUE(moderation_->ApproveComment(Actor::Of(moderator), "acme-letter", b, true));
  EXPECT_EQ(campaigns_->Snapshot("acme-letter")->recent.at(0).comment, "second");
  EXPECT_EQ(Actions(), (std::vector<std::string>{"signature.invalidate", "comments.queue_on",
                                                 "comment.approve"}));
}

}  // namespace
}  // namespace undersigned::service
