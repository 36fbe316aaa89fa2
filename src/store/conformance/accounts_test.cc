// Store conformance: organizer accounts (store/account_store.h): users, sessions, memberships,
// one-time tokens, the action record and API token scopes.
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

NewUser Person(const std::string& email, bool admin = false, UnixTime now = kT0) {
  return NewUser{email, "Name of " + email, admin, now};
}

User MustCreateUser(Store& store, const std::string& email, bool admin = false) {
  auto u = store.accounts().CreateUser(Person(email, admin));
  EXPECT_TRUE(u.has_value()) << u.error().message;
  return u.value_or(User{});
}

NewSession SessionOf(std::int64_t user_id, const std::string& token, UnixTime now,
                     UnixTime expires) {
  return NewSession{HashOf(token), user_id, now, expires, "203.0.113.7", "Firefox"};
}

TEST_P(StoreTest, UsersAreUniqueByEmailAndReadBackEveryWay) {
  AccountStore& a = store_->accounts();
  auto ada = a.CreateUser(Person("ada@example.org", true));
  ASSERT_TRUE(ada.has_value()) << ada.error().message;
  EXPECT_GT(ada->id, 0);
  EXPECT_EQ(ada->uuid.size(), 36u);
  EXPECT_EQ(ada->email, "ada@example.org");
  EXPECT_EQ(ada->display_name, "Name of ada@example.org");
  EXPECT_TRUE(ada->admin);
  EXPECT_EQ(ada->created, kT0);
  EXPECT_TRUE(ada->password_hash.empty());
  EXPECT_TRUE(ada->totp_sealed.empty());
  EXPECT_FALSE(ada->disabled.has_value());

  auto again = a.CreateUser(Person("ada@example.org"));
  ASSERT_FALSE(again.has_value());
  EXPECT_EQ(again.error().code, Code::kConflict);

  for (auto got :
       {a.GetUser(ada->id), a.GetUserByUuid(ada->uuid), a.GetUserByEmail("ada@example.org")}) {
    ASSERT_TRUE(got.has_value()) << got.error().message;
    EXPECT_EQ(got->id, ada->id);
    EXPECT_EQ(got->uuid, ada->uuid);
    EXPECT_TRUE(got->admin);
  }
  EXPECT_EQ(a.GetUser(ada->id + 100).error().code, Code::kNotFound);
  EXPECT_EQ(a.GetUserByUuid("nope").error().code, Code::kNotFound);
  EXPECT_EQ(a.GetUserByEmail("bob@example.org").error().code, Code::kNotFound);

  MustCreateUser(*store_, "bob@example.org");
  MustCreateUser(*store_, "cy@example.org");
  auto first = a.ListUsers(Page{1, 2});
  ASSERT_TRUE(first.has_value()) << first.error().message;
  EXPECT_EQ(first->total, 3);
  ASSERT_EQ(first->items.size(), 2u);
  EXPECT_EQ(first->items[0].email, "ada@example.org");  // oldest first
  EXPECT_EQ(first->items[1].email, "bob@example.org");
  auto second = a.ListUsers(Page{2, 2});
  ASSERT_EQ(second->items.size(), 1u);
  EXPECT_EQ(second->items[0].email, "cy@example.org");
  auto beyond = a.ListUsers(Page{5, 2});
  EXPECT_TRUE(beyond->items.empty());
  EXPECT_EQ(beyond->total, 3);

  Open();  // kept across a restart
  EXPECT_EQ(store_->accounts().GetUserByEmail("bob@example.org")->email, "bob@example.org");
}

TEST_P(StoreTest, UpdateUserChangesOnlyWhatItNames) {
  AccountStore& a = store_->accounts();
  User u = MustCreateUser(*store_, "ada@example.org");
  UserChange pw;
  pw.password_hash = "$argon2id$v=19$m=65536,t=2,p=1$c2FsdA$aGFzaA";
  auto after = a.UpdateUser(u.id, pw);
  ASSERT_TRUE(after.has_value()) << after.error().message;
  EXPECT_EQ(after->password_hash, *pw.password_hash);
  EXPECT_EQ(after->display_name, u.display_name);

  UserChange totp;
  totp.totp_sealed = std::string("\x00\x01sealed\xff", 9);
  totp.totp_last_step = 42;
  after = a.UpdateUser(u.id, totp);
  ASSERT_TRUE(after.has_value()) << after.error().message;
  EXPECT_EQ(after->totp_sealed, *totp.totp_sealed);  // bytes kept exactly
  EXPECT_EQ(after->totp_last_step, 42);
  EXPECT_EQ(after->password_hash, *pw.password_hash);

  UserChange step;
  step.totp_last_step = 43;
  EXPECT_EQ(a.UpdateUser(u.id, step)->totp_last_step, 43);
  EXPECT_EQ(a.GetUser(u.id)->totp_sealed, *totp.totp_sealed);

  // A code's step is taken once: a later step moves it, the same or an earlier one does not.
  EXPECT_EQ(a.UseTotpStep(u.id, 44).value(), true);
  EXPECT_EQ(a.UseTotpStep(u.id, 44).value(), false);
  EXPECT_EQ(a.UseTotpStep(u.id, 40).value(), false);
  EXPECT_EQ(a.GetUser(u.id)->totp_last_step, 44);
  // The same code presented at once (two sign-ins, two nodes): one wins.
  std::atomic<int> won{0};
  std::vector<std::thread> racers;
  for (int t = 0; t < 8; ++t) {
    racers.emplace_back([&] {
      auto r = a.UseTotpStep(u.id, 45);
      EXPECT_TRUE(r.has_value()) << r.error().message;
      if (r && *r) ++won;
    });
  }
  for (auto& t : racers) t.join();
  EXPECT_EQ(won.load(), 1);

  UserChange clear;
  clear.totp_sealed = "";
  after = a.UpdateUser(u.id, clear);
  EXPECT_TRUE(after->totp_sealed.empty());
  EXPECT_FALSE(after->totp_last_step.has_value());  // cleared with the secret

  UserChange more;
  more.display_name = "Ada Lovelace";
  more.admin = true;
  more.disabled = std::optional<UnixTime>(kT0 + 5);
  after = a.UpdateUser(u.id, more);
  EXPECT_EQ(after->display_name, "Ada Lovelace");
  EXPECT_TRUE(after->admin);
  EXPECT_EQ(after->disabled, kT0 + 5);
  EXPECT_EQ(a.CountActiveAdmins().value(), 0);  // disabled administrators do not count
  UserChange enable;
  enable.disabled = std::optional<UnixTime>();
  after = a.UpdateUser(u.id, enable);
  EXPECT_FALSE(after->disabled.has_value());
  EXPECT_EQ(after->display_name, "Ada Lovelace");
  EXPECT_EQ(a.CountActiveAdmins().value(), 1);

  EXPECT_EQ(a.UpdateUser(u.id + 100, more).error().code, Code::kNotFound);
}

TEST_P(StoreTest, SessionsAreFoundByHashUntilTheyExpireOrAreRevoked) {
  AccountStore& a = store_->accounts();
  User ada = MustCreateUser(*store_, "ada@example.org");
  User bob = MustCreateUser(*store_, "bob@example.org");
  auto s1 = a.CreateSession(SessionOf(ada.id, "tok-1", kT0, kT0 + 100));
  ASSERT_TRUE(s1.has_value()) << s1.error().message;
  EXPECT_EQ(s1->user_id, ada.id);
  EXPECT_EQ(s1->created, kT0);
  EXPECT_EQ(s1->last_seen, kT0);
  EXPECT_EQ(s1->expires, kT0 + 100);
  EXPECT_EQ(s1->address, "203.0.113.7");
  EXPECT_EQ(s1->user_agent, "Firefox");
  auto s2 = a.CreateSession(SessionOf(ada.id, "tok-2", kT0 + 1, kT0 + 50));
  auto s3 = a.CreateSession(SessionOf(bob.id, "tok-3", kT0 + 2, kT0 + 100));
  ASSERT_TRUE(s2 && s3);
  EXPECT_EQ(a.CreateSession(SessionOf(bob.id, "tok-1", kT0, kT0 + 9)).error().code,
            Code::kConflict);

  auto found = a.FindSession(HashOf("tok-1"), kT0 + 10);
  ASSERT_TRUE(found.has_value()) << found.error().message;
  EXPECT_EQ(found->id, s1->id);
  EXPECT_EQ(a.FindSession(HashOf("tok-9"), kT0).error().code, Code::kNotFound);
  // Expired ones are never returned, by lookup or listing.
  EXPECT_EQ(a.FindSession(HashOf("tok-2"), kT0 + 50).error().code, Code::kNotFound);
  auto listed = a.ListSessions(ada.id, kT0 + 10);
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->size(), 2u);
  EXPECT_EQ((*listed)[0].id, s2->id);  // newest first
  EXPECT_EQ(a.ListSessions(ada.id, kT0 + 60)->size(), 1u);

  // Sliding: a touch moves the expiry.
  ASSERT_TRUE(a.TouchSession(s2->id, kT0 + 40, kT0 + 140).has_value());
  found = a.FindSession(HashOf("tok-2"), kT0 + 120);
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->last_seen, kT0 + 40);
  EXPECT_EQ(found->expires, kT0 + 140);

  // Revoking: only one's own; then it is gone at once.
  EXPECT_EQ(a.RevokeSession(bob.id, s1->id).error().code, Code::kNotFound);
  ASSERT_TRUE(a.RevokeSession(ada.id, s1->id).has_value());
  EXPECT_EQ(a.FindSession(HashOf("tok-1"), kT0 + 10).error().code, Code::kNotFound);
  EXPECT_EQ(a.RevokeSession(ada.id, s1->id).error().code, Code::kNotFound);
  EXPECT_EQ(a.TouchSession(s1->id, kT0, kT0 + 500).error().code, Code::kNotFound);

  auto s4 = a.CreateSession(SessionOf(ada.id, "tok-4", kT0 + 3, kT0 + 100));
  ASSERT_TRUE(s4.has_value());
  EXPECT_EQ(a.RevokeSessions(ada.id, s4->id).value(), 1);  // tok-2, keeping tok-4
  EXPECT_TRUE(a.FindSession(HashOf("tok-4"), kT0 + 10).has_value());
  EXPECT_EQ(a.FindSession(HashOf("tok-2"), kT0 + 10).error().code, Code::kNotFound);
  EXPECT_EQ(a.RevokeSessions(ada.id, std::nullopt).value(), 1);
  EXPECT_TRUE(a.ListSessions(ada.id, kT0)->empty());
  EXPECT_TRUE(a.FindSession(HashOf("tok-3"), kT0 + 10).has_value());  // bob's untouched

  // Purging forgets expired sessions and tokens, and nothing live.
  ASSERT_TRUE(a.CreateAccountToken(HashOf("link"), AccountTokenKind::kSignIn, bob.id, kT0, kT0 + 30)
                  .has_value());
  EXPECT_EQ(a.PurgeExpiredAccountRows(kT0 + 50).value(), 1);   // the link
  EXPECT_EQ(a.PurgeExpiredAccountRows(kT0 + 100).value(), 1);  // tok-3
  EXPECT_EQ(a.PurgeExpiredAccountRows(kT0 + 100).value(), 0);
}

TEST_P(StoreTest, MembershipsAreAddedChangedAndRemoved) {
  AccountStore& a = store_->accounts();
  Campaign bees = MustCreate("bees");
  Campaign trees = MustCreate("trees");
  User ada = MustCreateUser(*store_, "ada@example.org");
  User bob = MustCreateUser(*store_, "bob@example.org");

  auto m = a.AddMembership(ada.id, bees.id, CampaignRole::kOwner, kT0);
  ASSERT_TRUE(m.has_value()) << m.error().message;
  EXPECT_EQ(m->role, CampaignRole::kOwner);
  EXPECT_EQ(m->created, kT0);
  EXPECT_EQ(a.AddMembership(ada.id, bees.id, CampaignRole::kViewer, kT0).error().code,
            Code::kConflict);
  EXPECT_EQ(a.AddMembership(ada.id + 100, bees.id, CampaignRole::kViewer, kT0).error().code,
            Code::kNotFound);
  EXPECT_EQ(a.AddMembership(ada.id, trees.id + 100, CampaignRole::kViewer, kT0).error().code,
            Code::kNotFound);
  ASSERT_TRUE(a.AddMembership(bob.id, bees.id, CampaignRole::kViewer, kT0).has_value());
  ASSERT_TRUE(a.AddMembership(ada.id, trees.id, CampaignRole::kModerator, kT0).has_value());

  auto members = a.ListMembers(bees.id);
  ASSERT_TRUE(members.has_value());
  ASSERT_EQ(members->size(), 2u);
  EXPECT_EQ((*members)[0].user_id, ada.id);
  EXPECT_EQ((*members)[1].user_id, bob.id);
  EXPECT_EQ((*members)[1].role, CampaignRole::kViewer);
  auto mine = a.ListMemberships(ada.id);
  ASSERT_EQ(mine->size(), 2u);
  EXPECT_EQ((*mine)[0].campaign_id, bees.id);
  EXPECT_EQ((*mine)[1].campaign_id, trees.id);
  EXPECT_EQ((*mine)[1].role, CampaignRole::kModerator);

  auto changed = a.ChangeMembership(bob.id, bees.id, CampaignRole::kEditor, kT0 + 5);
  ASSERT_TRUE(changed.has_value()) << changed.error().message;
  EXPECT_EQ(changed->role, CampaignRole::kEditor);
  EXPECT_EQ(changed->created, kT0);
  EXPECT_EQ(changed->modified, kT0 + 5);
  EXPECT_EQ(a.GetMembership(bob.id, bees.id)->role, CampaignRole::kEditor);
  EXPECT_EQ(a.ChangeMembership(bob.id, trees.id, CampaignRole::kEditor, kT0).error().code,
            Code::kNotFound);

  ASSERT_TRUE(a.RemoveMembership(bob.id, bees.id).has_value());
  EXPECT_EQ(a.GetMembership(bob.id, bees.id).error().code, Code::kNotFound);
  EXPECT_EQ(a.RemoveMembership(bob.id, bees.id).error().code, Code::kNotFound);
  EXPECT_EQ(a.ListMembers(bees.id)->size(), 1u);
  EXPECT_TRUE(a.ListMemberships(bob.id)->empty());
  EXPECT_EQ(a.GetMembership(ada.id, trees.id)->role, CampaignRole::kModerator);  // untouched
}

TEST_P(StoreTest, AccountTokensAreUsedOnceBeforeTheyExpire) {
  AccountStore& a = store_->accounts();
  User ada = MustCreateUser(*store_, "ada@example.org");
  ASSERT_TRUE(
      a.CreateAccountToken(HashOf("invite"), AccountTokenKind::kInvite, ada.id, kT0, kT0 + 100)
          .has_value());
  EXPECT_EQ(
      a.CreateAccountToken(HashOf("invite"), AccountTokenKind::kSignIn, ada.id, kT0, kT0 + 100)
          .error()
          .code,
      Code::kConflict);
  // Not as another kind, not after it expired.
  EXPECT_EQ(a.UseAccountToken(HashOf("invite"), AccountTokenKind::kSignIn, kT0).error().code,
            Code::kNotFound);
  EXPECT_EQ(a.UseAccountToken(HashOf("invite"), AccountTokenKind::kInvite, kT0 + 100).error().code,
            Code::kNotFound);
  auto used = a.UseAccountToken(HashOf("invite"), AccountTokenKind::kInvite, kT0 + 99);
  ASSERT_TRUE(used.has_value()) << used.error().message;
  EXPECT_EQ(used->user_id, ada.id);
  EXPECT_EQ(used->kind, AccountTokenKind::kInvite);
  EXPECT_EQ(used->created, kT0);
  EXPECT_EQ(used->expires, kT0 + 100);
  EXPECT_EQ(a.UseAccountToken(HashOf("invite"), AccountTokenKind::kInvite, kT0 + 1).error().code,
            Code::kNotFound);
  EXPECT_EQ(a.UseAccountToken(HashOf("never"), AccountTokenKind::kInvite, kT0).error().code,
            Code::kNotFound);
  EXPECT_EQ(
      a.CreateAccountToken(HashOf("x"), AccountTokenKind::kSignIn, ada.id + 100, kT0, kT0 + 100)
          .error()
          .code,
      Code::kNotFound);
}

TEST_P(StoreTest, OfManyUsingOneTokenAtOnceExactlyOneWins) {
  AccountStore& a = store_->accounts();
  User ada = MustCreateUser(*store_, "ada@example.org");
  for (int round = 0; round < 5; ++round) {
    const std::string token = "race-" + std::to_string(round);
    ASSERT_TRUE(
        a.CreateAccountToken(HashOf(token), AccountTokenKind::kSignIn, ada.id, kT0, kT0 + 100)
            .has_value());
    std::atomic<int> wins{0}, losses{0};
    std::vector<std::thread> threads;
    for (int i = 0; i < 8; ++i) {
      threads.emplace_back([&] {
        auto r = a.UseAccountToken(HashOf(token), AccountTokenKind::kSignIn, kT0 + 1);
        if (r) {
          ++wins;
        } else if (r.error().code == Code::kNotFound) {
          ++losses;
        }
      });
    }
    for (auto& t : threads) t.join();
    EXPECT_EQ(wins.load(), 1) << token;
    EXPECT_EQ(losses.load(), 7) << token;
  }
}

TEST_P(StoreTest, TheActionRecordAppendsAndListsNewestFirst) {
  AccountStore& a = store_->accounts();
  Campaign bees = MustCreate("bees");
  Campaign trees = MustCreate("trees");
  User ada = MustCreateUser(*store_, "ada@example.org");
  User bob = MustCreateUser(*store_, "bob@example.org");
  std::vector<std::int64_t> ids;
  for (int i = 0; i < 5; ++i) {
    ActionEntry e;
    e.at = kT0 + i;
    e.user_id = i % 2 == 0 ? ada.id : bob.id;
    e.campaign_id = bees.id;
    e.action = "signature.hide";
    e.subject = "sig-" + std::to_string(i);
    e.detail = R"({"reason":"spam","n":)" + std::to_string(i) + "}";
    auto r = a.AppendAction(e);
    ASSERT_TRUE(r.has_value()) << r.error().message;
    EXPECT_EQ(r->subject, e.subject);
    if (!ids.empty()) {
      EXPECT_GT(r->id, ids.back());
    }
    ids.push_back(r->id);
  }
  ActionEntry cli;  // by the operator (no user), on no campaign, without detail
  cli.at = kT0 + 10;
  cli.action = "user.create";
  cli.subject = "ada@example.org";
  auto made = a.AppendAction(cli);
  ASSERT_TRUE(made.has_value()) << made.error().message;
  ActionEntry other;
  other.at = kT0 + 11;
  other.user_id = ada.id;
  other.campaign_id = trees.id;
  other.action = "campaign.edit";
  ASSERT_TRUE(a.AppendAction(other).has_value());

  auto all = a.ListActions({}, Page{1, 100});
  ASSERT_TRUE(all.has_value()) << all.error().message;
  EXPECT_EQ(all->total, 7);
  ASSERT_EQ(all->items.size(), 7u);
  EXPECT_EQ(all->items[0].action, "campaign.edit");  // newest first
  EXPECT_EQ(all->items[1].action, "user.create");
  EXPECT_FALSE(all->items[1].user_id.has_value());
  EXPECT_FALSE(all->items[1].campaign_id.has_value());
  EXPECT_EQ(nlohmann::json::parse(all->items[1].detail), nlohmann::json::object());

  auto on_bees = a.ListActions(ActionFilter{bees.id, std::nullopt}, Page{1, 2});
  EXPECT_EQ(on_bees->total, 5);
  ASSERT_EQ(on_bees->items.size(), 2u);
  EXPECT_EQ(on_bees->items[0].subject, "sig-4");
  EXPECT_EQ(on_bees->items[0].at, kT0 + 4);
  EXPECT_EQ(on_bees->items[0].user_id, ada.id);
  EXPECT_EQ(on_bees->items[0].campaign_id, bees.id);
  EXPECT_EQ(nlohmann::json::parse(on_bees->items[0].detail),
            (nlohmann::json{{"reason", "spam"}, {"n", 4}}));
  auto page3 = a.ListActions(ActionFilter{bees.id, std::nullopt}, Page{3, 2});
  ASSERT_EQ(page3->items.size(), 1u);
  EXPECT_EQ(page3->items[0].subject, "sig-0");

  EXPECT_EQ(a.ListActions(ActionFilter{std::nullopt, bob.id}, Page{})->total, 2);
  EXPECT_EQ(a.ListActions(ActionFilter{bees.id, ada.id}, Page{})->total, 3);
  EXPECT_EQ(a.ListActions(ActionFilter{trees.id, bob.id}, Page{})->total, 0);
}

TEST_P(StoreTest, ApiTokensCarryAScopeAndOldOnesReachEverything) {
  AccountStore& a = store_->accounts();
  Campaign bees = MustCreate("bees");
  User ada = MustCreateUser(*store_, "ada@example.org");
  auto scoped =
      a.CreateScopedApiToken("crm", HashOf("scoped"), ApiTokenScope{ada.id, bees.id, true}, kT0);
  ASSERT_TRUE(scoped.has_value()) << scoped.error().message;
  auto found = store_->FindApiToken(HashOf("scoped"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->id, scoped->id);
  EXPECT_EQ(found->name, "crm");
  auto scope = a.GetApiTokenScope(scoped->id);
  ASSERT_TRUE(scope.has_value()) << scope.error().message;
  EXPECT_EQ(scope->owner_user_id, ada.id);
  EXPECT_EQ(scope->campaign_id, bees.id);
  EXPECT_TRUE(scope->read_only);

  auto old = store_->CreateApiToken("legacy", HashOf("legacy"), kT0);
  ASSERT_TRUE(old.has_value());
  scope = a.GetApiTokenScope(old->id);
  ASSERT_TRUE(scope.has_value());
  EXPECT_FALSE(scope->owner_user_id.has_value());
  EXPECT_FALSE(scope->campaign_id.has_value());
  EXPECT_FALSE(scope->read_only);

  EXPECT_EQ(a.CreateScopedApiToken("dup", HashOf("scoped"), ApiTokenScope{}, kT0).error().code,
            Code::kConflict);
  EXPECT_EQ(a.GetApiTokenScope(old->id + 100).error().code, Code::kNotFound);
}

// A campaign's tokens are listed and revoked through that campaign only.
TEST_P(StoreTest, ACampaignsTokensAreListedAndRevokedThroughItOnly) {
  AccountStore& a = store_->accounts();
  Campaign bees = MustCreate("bees");
  Campaign trees = MustCreate("trees");
  User ada = MustCreateUser(*store_, "ada@example.org");
  auto crm =
      a.CreateScopedApiToken("crm", HashOf("crm"), ApiTokenScope{ada.id, bees.id, true}, kT0);
  auto site = a.CreateScopedApiToken("site", HashOf("site"),
                                     ApiTokenScope{std::nullopt, bees.id, false}, kT0 + 1);
  auto other =
      a.CreateScopedApiToken("other", HashOf("other"), ApiTokenScope{ada.id, trees.id, false}, kT0);
  ASSERT_TRUE(crm && site && other);
  ASSERT_TRUE(store_->CreateApiToken("legacy", HashOf("legacy"), kT0));

  auto list = a.ListCampaignApiTokens(bees.id);
  ASSERT_TRUE(list.has_value()) << list.error().message;
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[0].token.name, "site");  // newest first
  EXPECT_EQ((*list)[0].token.created, kT0 + 1);
  EXPECT_FALSE((*list)[0].scope.owner_user_id.has_value());
  EXPECT_FALSE((*list)[0].token.read_only);
  EXPECT_EQ((*list)[1].token.name, "crm");
  EXPECT_EQ((*list)[1].scope.owner_user_id, ada.id);
  EXPECT_TRUE((*list)[1].scope.read_only);
  EXPECT_EQ((*list)[1].scope.campaign_id, bees.id);
  EXPECT_FALSE((*list)[1].token.revoked.has_value());

  // Not through another campaign.
  EXPECT_EQ(a.RevokeCampaignApiToken(trees.id, crm->id, kT0 + 5).error().code, Code::kNotFound);
  EXPECT_TRUE(store_->FindApiToken(HashOf("crm")).has_value());
  auto revoked = a.RevokeCampaignApiToken(bees.id, crm->id, kT0 + 5);
  ASSERT_TRUE(revoked.has_value()) << revoked.error().message;
  EXPECT_EQ(revoked->name, "crm");
  EXPECT_EQ(revoked->revoked, kT0 + 5);
  EXPECT_EQ(store_->FindApiToken(HashOf("crm")).error().code, Code::kNotFound);
  EXPECT_TRUE(store_->FindApiToken(HashOf("site")).has_value());
  EXPECT_EQ(a.RevokeCampaignApiToken(bees.id, crm->id, kT0 + 6).error().code, Code::kNotFound);
  list = a.ListCampaignApiTokens(bees.id);
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 2u);
  EXPECT_EQ((*list)[1].token.revoked, kT0 + 5);
  EXPECT_EQ(a.ListCampaignApiTokens(trees.id)->size(), 1u);
}

}  // namespace
}  // namespace undersigned::store::conformance
