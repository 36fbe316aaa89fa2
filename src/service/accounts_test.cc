#include "service/accounts.h"

#include <sodium.h>

#include <string>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "core/totp.h"
#include "service/ids.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

constexpr char kPassword[] = "correct horse battery";

class AccountsTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    accounts_ = std::make_unique<AccountService>(*store_, clock_, AccountOpts());
  }
  void CloseServices() override {
    accounts_.reset();
    ServiceFixture::CloseServices();
  }
  // Cheap hashing, so that tests run fast (one test checks the real defaults).
  virtual AccountOptions AccountOpts() const {
    AccountOptions o;
    o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
    o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
    return o;
  }

  User MustCreate(const std::string& email, bool admin = false) {
    auto u = accounts_->CreateUser(Actor::Operator(), email, "", admin);
    EXPECT_TRUE(u.has_value()) << u.error().message;
    return u.value_or(User{});
  }
  User WithPassword(const std::string& email, bool admin = false) {
    User u = MustCreate(email, admin);
    auto r = accounts_->SetPassword(Actor::Operator(), u.id, kPassword);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return *store_->accounts().GetUser(u.id);
  }
  SignedIn MustSignIn(const std::string& email, const std::string& code = "") {
    auto s = accounts_->SignInWithPassword(email, kPassword, code, Client{"198.51.100.1", "UA"});
    EXPECT_TRUE(s.has_value()) << s.error().message;
    return s.value_or(SignedIn{});
  }
  std::int64_t CampaignId(const std::string& slug) {
    Create(OpenCampaign(slug));
    return campaigns_->GetBySlug(slug)->id;
  }
  // The unsent mails of a kind, oldest first.
  std::vector<OutboxMessage> Mails(const std::string& kind) {
    std::vector<OutboxMessage> out;
    auto due = store_->DueOutbox(clock_.Now() + 1, 100);
    EXPECT_TRUE(due.has_value());
    if (!due) return out;
    for (auto& m : *due) {
      if (m.kind == kind) out.push_back(m);
    }
    return out;
  }
  std::vector<std::string> ActionsOf(std::optional<std::int64_t> campaign) {
    std::vector<std::string> out;
    auto page = accounts_->ListActions(Actor::Operator(), ActionFilter{campaign, std::nullopt},
                                       Page{1, 100});
    EXPECT_TRUE(page.has_value());
    for (auto& e : page->items) out.insert(out.begin(), e.action);  // oldest first
    return out;
  }

  std::unique_ptr<AccountService> accounts_;
};

TEST_F(AccountsTest, TheOperatorMakesTheFirstAdministratorAndItIsRecorded) {
  auto ada = accounts_->CreateUser(Actor::Operator(), "  Ada@Example.ORG ", "Ada", true);
  ASSERT_TRUE(ada.has_value()) << ada.error().message;
  EXPECT_EQ(ada->email, "ada@example.org");
  EXPECT_EQ(ada->display_name, "Ada");
  EXPECT_TRUE(ada->admin);
  EXPECT_TRUE(ada->password_hash.empty());
  EXPECT_EQ(accounts_->CreateUser(Actor::Operator(), "ada@example.org", "", false).error().code,
            Code::kConflict);
  auto bad = accounts_->CreateUser(Actor::Operator(), "not an address", "", false);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_EQ(bad.error().field_errors.count("email"), 1u);
  EXPECT_EQ(accounts_->CreateUser(Actor::Operator(), "x@example.org", "bad\nname", false)
                .error()
                .field_errors.count("name"),
            1u);
  // Only administrators make users.
  User bob = MustCreate("bob@example.org");
  EXPECT_EQ(accounts_->CreateUser(Actor::Of(bob), "eve@example.org", "", true).error().code,
            Code::kForbidden);
  EXPECT_EQ(accounts_->ListUsers(Actor::Of(bob), Page{}).error().code, Code::kForbidden);
  EXPECT_EQ(accounts_->ListUsers(Actor::Of(*ada), Page{})->total, 2);

  auto record = accounts_->ListActions(Actor::Operator(), {}, Page{});
  ASSERT_TRUE(record.has_value());
  ASSERT_EQ(record->total, 2);
  const ActionEntry& first = record->items[1];
  EXPECT_EQ(first.action, "user.create");
  EXPECT_EQ(first.subject, "ada@example.org");
  EXPECT_FALSE(first.user_id.has_value());  // the operator
  EXPECT_EQ(nlohmann::json::parse(first.detail)["admin"], true);
}

TEST_F(AccountsTest, PasswordsAreCheckedHashedAndEverySignInGetsANewSession) {
  User ada = MustCreate("ada@example.org");
  auto weak = accounts_->SetPassword(Actor::Operator(), ada.id, "short");
  ASSERT_FALSE(weak.has_value());
  EXPECT_EQ(weak.error().code, Code::kInvalidArgument);
  EXPECT_EQ(weak.error().field_errors.count("password"), 1u);
  // Nobody but the user (or the operator) sets their password.
  User bob = MustCreate("bob@example.org", true);
  EXPECT_EQ(accounts_->SetPassword(Actor::Of(bob), ada.id, kPassword).error().code,
            Code::kForbidden);
  ASSERT_TRUE(accounts_->SetPassword(Actor::Operator(), ada.id, kPassword).has_value());
  const User stored = *store_->accounts().GetUser(ada.id);
  EXPECT_EQ(stored.password_hash.rfind("$argon2id$", 0), 0u);
  EXPECT_EQ(stored.password_hash.find(kPassword), std::string::npos);

  const Client client{"198.51.100.1", "UA"};
  auto wrong = accounts_->SignInWithPassword("ada@example.org", "wrong horse battery", "", client);
  auto unknown = accounts_->SignInWithPassword("nobody@example.org", kPassword, "", client);
  auto no_password = accounts_->SignInWithPassword("bob@example.org", kPassword, "", client);
  for (const auto* r : {&wrong, &unknown, &no_password}) {
    ASSERT_FALSE(r->has_value());
    EXPECT_EQ(r->error().code, Code::kUnauthenticated);
    EXPECT_EQ(r->error().message, "Wrong email address or password.");
  }

  SignedIn one = MustSignIn("ADA@example.org");
  SignedIn two = MustSignIn("ada@example.org");
  EXPECT_NE(one.token, two.token);
  EXPECT_NE(one.current.session.id, two.current.session.id);
  auto current = accounts_->Authenticate(two.token);
  ASSERT_TRUE(current.has_value()) << current.error().message;
  EXPECT_EQ(current->user.id, ada.id);
  EXPECT_EQ(current->session.address, "198.51.100.1");
  // The store keeps only the token's hash.
  EXPECT_EQ(store_->accounts().FindSession(two.token, clock_.Now()).error().code, Code::kNotFound);
  EXPECT_TRUE(store_->accounts().FindSession(HashToken(two.token), clock_.Now()).has_value());
  EXPECT_EQ(accounts_->Authenticate("made-up").error().code, Code::kUnauthenticated);
  EXPECT_EQ(accounts_->Authenticate("").error().code, Code::kUnauthenticated);

  // A new password ends every other session.
  ASSERT_TRUE(
      accounts_
          ->SetPassword(current->actor(), ada.id, "another good passphrase", current->session.id)
          .has_value());
  EXPECT_EQ(accounts_->Authenticate(one.token).error().code, Code::kUnauthenticated);
  EXPECT_TRUE(accounts_->Authenticate(two.token).has_value());
}

class DefaultHashingTest : public AccountsTest {
 protected:
  AccountOptions AccountOpts() const override { return AccountOptions{}; }
};

TEST_F(DefaultHashingTest, PasswordsAreArgon2idInteractiveAndOldParametersAreRehashed) {
  User ada = WithPassword("ada@example.org");
  EXPECT_EQ(ada.password_hash.rfind("$argon2id$v=19$m=65536,t=2,p=1$", 0), 0u) << ada.password_hash;
  // A service with other parameters re-hashes at the next sign-in.
  AccountOptions cheap;
  cheap.password_ops = crypto_pwhash_OPSLIMIT_MIN;
  cheap.password_mem = crypto_pwhash_MEMLIMIT_MIN;
  AccountService other(*store_, clock_, cheap);
  ASSERT_TRUE(other.SignInWithPassword("ada@example.org", kPassword, "", Client{}).has_value());
  const std::string rehashed = store_->accounts().GetUser(ada.id)->password_hash;
  EXPECT_EQ(rehashed.rfind("$argon2id$v=19$m=8,t=1,p=1$", 0), 0u) << rehashed;
  EXPECT_TRUE(other.SignInWithPassword("ada@example.org", kPassword, "", Client{}).has_value());
}

TEST_F(AccountsTest, SignInsAreThrottledPerAccountAndPerAddress) {
  WithPassword("ada@example.org");
  WithPassword("bob@example.org");
  for (int i = 0; i < 5; ++i) {
    auto r = accounts_->SignInWithPassword("ada@example.org", "wrong horse battery", "",
                                           Client{"203.0.113." + std::to_string(i), ""});
    EXPECT_EQ(r.error().code, Code::kUnauthenticated);
  }
  // The account's budget is spent: even the right password from a fresh address waits.
  auto held =
      accounts_->SignInWithPassword("ada@example.org", kPassword, "", Client{"203.0.113.99", ""});
  ASSERT_FALSE(held.has_value());
  EXPECT_EQ(held.error().code, Code::kTooManyRequests);
  EXPECT_GT(held.error().retry_after_seconds, 0);
  // Other accounts are not held.
  EXPECT_TRUE(
      accounts_->SignInWithPassword("bob@example.org", kPassword, "", Client{"203.0.113.99", ""})
          .has_value());
  clock_.Advance(held.error().retry_after_seconds);
  EXPECT_TRUE(
      accounts_->SignInWithPassword("ada@example.org", kPassword, "", Client{"203.0.113.99", ""})
          .has_value());

  // One address guessing across many accounts runs out too.
  for (int i = 0; i < 20; ++i) {
    auto r = accounts_->SignInWithPassword("guess" + std::to_string(i) + "@example.org", kPassword,
                                           "", Client{"192.0.2.1", ""});
    EXPECT_EQ(r.error().code, Code::kUnauthenticated) << i;
  }
  EXPECT_EQ(accounts_->SignInWithPassword("bob@example.org", kPassword, "", Client{"192.0.2.1", ""})
                .error()
                .code,
            Code::kTooManyRequests);
  EXPECT_TRUE(
      accounts_->SignInWithPassword("bob@example.org", kPassword, "", Client{"192.0.2.2", ""})
          .has_value());
}

TEST_F(AccountsTest, ASecondFactorIsSealedAskedForAndEachCodeWorksOnce) {
  WithPassword("ada@example.org");
  SignedIn in = MustSignIn("ada@example.org");
  auto offer = accounts_->OfferTotp(in.current);
  ASSERT_TRUE(offer.has_value());
  EXPECT_EQ(offer->uri.rfind("otpauth://totp/undersigned:ada%40example.org?secret=", 0), 0u);
  const std::string secret = *totp::Base32Decode(offer->secret_base32);
  EXPECT_EQ(secret.size(), totp::kSecretBytes);

  auto wrong = accounts_->EnableTotp(in.current, offer->secret_base32, "000000");
  if (totp::CodeAt(secret, clock_.Now()) != "000000") {
    ASSERT_FALSE(wrong.has_value());
    EXPECT_EQ(wrong.error().field_errors.count("code"), 1u);
  }
  const std::string code = totp::CodeAt(secret, clock_.Now());
  ASSERT_TRUE(accounts_->EnableTotp(in.current, offer->secret_base32, code).has_value());
  const User stored = *store_->accounts().GetUser(in.current.user.id);
  ASSERT_FALSE(stored.totp_sealed.empty());
  EXPECT_EQ(stored.totp_sealed.find(secret), std::string::npos);  // never in clear
  EXPECT_EQ(stored.totp_sealed.find(offer->secret_base32), std::string::npos);

  const Client client{"198.51.100.1", ""};
  auto no_code = accounts_->SignInWithPassword("ada@example.org", kPassword, "", client);
  ASSERT_FALSE(no_code.has_value());
  EXPECT_EQ(no_code.error().code, Code::kUnauthenticated);
  EXPECT_EQ(no_code.error().field_errors.count("code"), 1u);
  // The code used to enrol does not work again.
  auto replay = accounts_->SignInWithPassword("ada@example.org", kPassword, code, client);
  ASSERT_FALSE(replay.has_value());
  EXPECT_EQ(replay.error().field_errors.count("code"), 1u);
  clock_.Advance(totp::kStepSeconds);
  const std::string next = totp::CodeAt(secret, clock_.Now());
  auto with_code = accounts_->SignInWithPassword("ada@example.org", kPassword, next, client);
  ASSERT_TRUE(with_code.has_value()) << with_code.error().message;
  EXPECT_FALSE(accounts_->SignInWithPassword("ada@example.org", kPassword, next, client));

  EXPECT_EQ(accounts_->DisableTotp(in.current, "wrong horse battery").error().code,
            Code::kUnauthenticated);
  ASSERT_TRUE(accounts_->DisableTotp(in.current, kPassword).has_value());
  EXPECT_TRUE(store_->accounts().GetUser(in.current.user.id)->totp_sealed.empty());
  EXPECT_TRUE(accounts_->SignInWithPassword("ada@example.org", kPassword, "", client));
}

TEST_F(AccountsTest, AMailedSignInLinkWorksOnceAndNotForLong) {
  User ada = MustCreate("ada@example.org");
  const Client client{"198.51.100.1", ""};
  ASSERT_TRUE(accounts_->MailSignInLink("nobody@example.org", client).has_value());
  EXPECT_TRUE(Mails("sign_in_link").empty());  // the same answer, no mail
  ASSERT_TRUE(accounts_->MailSignInLink("Ada@example.org", client).has_value());
  auto mails = Mails("sign_in_link");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].recipient, "ada@example.org");
  const std::string token = nlohmann::json::parse(mails[0].payload)["token"];

  auto in = accounts_->SignInWithLink(token, client);
  ASSERT_TRUE(in.has_value()) << in.error().message;
  EXPECT_EQ(in->current.user.id, ada.id);
  EXPECT_EQ(accounts_->SignInWithLink(token, client).error().code, Code::kUnauthenticated);

  ASSERT_TRUE(accounts_->MailSignInLink("ada@example.org", client).has_value());
  const std::string late = nlohmann::json::parse(Mails("sign_in_link").back().payload)["token"];
  clock_.Advance(15 * 60);
  EXPECT_EQ(accounts_->SignInWithLink(late, client).error().code, Code::kUnauthenticated);

  // Links in a row for one account soon wait (3 at once, then one per 10 minutes).
  int sent = 0;
  Error held;
  for (int i = 0; i < 5; ++i) {
    auto r = accounts_->MailSignInLink("ada@example.org", client);
    if (!r) {
      held = r.error();
      break;
    }
    ++sent;
  }
  EXPECT_EQ(held.code, Code::kTooManyRequests);
  EXPECT_GT(held.retry_after_seconds, 0);
  EXPECT_LE(sent, 2);  // 2.5 tokens were left
  // Guessing links from one address runs out.
  int refused = 0;
  for (int i = 0; i < 25; ++i) {
    auto r = accounts_->SignInWithLink("guess-" + std::to_string(i), Client{"192.0.2.9", ""});
    if (!r && r.error().code == Code::kTooManyRequests) ++refused;
  }
  EXPECT_GT(refused, 0);
}

TEST_F(AccountsTest, AnInvitationGivesARoleAndSignsInOnce) {
  User admin = WithPassword("admin@example.org", true);
  const std::int64_t bees = CampaignId("bees");
  auto invited = accounts_->Invite(Actor::Of(admin), "Cy@example.org", "Cy", bees,
                                   CampaignRole::kEditor, false);
  ASSERT_TRUE(invited.has_value()) << invited.error().message;
  EXPECT_EQ(invited->email, "cy@example.org");
  EXPECT_FALSE(invited->admin);
  auto mails = Mails("account_invite");
  ASSERT_EQ(mails.size(), 1u);
  auto payload = nlohmann::json::parse(mails[0].payload);
  EXPECT_EQ(payload["campaign_title"], "A letter");
  EXPECT_EQ(payload["role"], "editor");
  EXPECT_EQ(payload["invited_by"], "admin@example.org");

  auto in = accounts_->SignInWithLink(payload["token"], Client{});
  ASSERT_TRUE(in.has_value()) << in.error().message;
  EXPECT_EQ(in->current.user.id, invited->id);
  EXPECT_FALSE(accounts_->SignInWithLink(payload["token"], Client{}).has_value());
  const Actor cy = in->current.actor();
  EXPECT_TRUE(accounts_->Authorize(cy, bees, CampaignAction::kEdit).has_value());
  EXPECT_EQ(accounts_->Authorize(cy, bees, CampaignAction::kManageMembers).error().code,
            Code::kForbidden);
  // An editor cannot invite; an owner can, to their campaign only; only admins make admins.
  EXPECT_EQ(
      accounts_->Invite(cy, "dee@example.org", "", bees, CampaignRole::kViewer, false).error().code,
      Code::kForbidden);
  ASSERT_TRUE(accounts_->ChangeMember(Actor::Of(admin), bees, invited->id, CampaignRole::kOwner));
  EXPECT_TRUE(accounts_->Invite(cy, "dee@example.org", "", bees, CampaignRole::kViewer, false));
  EXPECT_EQ(
      accounts_->Invite(cy, "eve@example.org", "", bees, CampaignRole::kViewer, true).error().code,
      Code::kForbidden);
  const std::int64_t trees = CampaignId("trees");
  EXPECT_EQ(accounts_->Invite(cy, "eve@example.org", "", trees, CampaignRole::kViewer, false)
                .error()
                .code,
            Code::kNotFound);
  // Inviting someone who already has a role there is a conflict.
  EXPECT_EQ(
      accounts_->Invite(cy, "dee@example.org", "", bees, CampaignRole::kEditor, false).error().code,
      Code::kConflict);
  EXPECT_EQ(ActionsOf(bees),
            (std::vector<std::string>{"user.invite", "member.change", "user.invite"}));
}

TEST_F(AccountsTest, RolesDecideAndRemovalTakesAccessAwayAtOnce) {
  User ada = MustCreate("ada@example.org");
  User bob = MustCreate("bob@example.org");
  const std::int64_t bees = CampaignId("bees");
  const std::int64_t trees = CampaignId("trees");
  ASSERT_TRUE(store_->accounts().AddMembership(ada.id, bees, CampaignRole::kOwner, 0));
  const Actor a = Actor::Of(ada), b = Actor::Of(bob);
  ASSERT_TRUE(accounts_->AddMember(a, bees, "BOB@example.org", CampaignRole::kViewer));
  EXPECT_EQ(accounts_->AddMember(a, bees, "nobody@example.org", CampaignRole::kViewer).error().code,
            Code::kNotFound);

  EXPECT_TRUE(accounts_->Authorize(b, bees, CampaignAction::kViewSigners).has_value());
  EXPECT_EQ(accounts_->Authorize(b, bees, CampaignAction::kEdit).error().code, Code::kForbidden);
  EXPECT_EQ(accounts_->ListActions(b, ActionFilter{bees, std::nullopt}, Page{}).error().code,
            Code::kForbidden);
  // Another campaign: nothing at all, not even that it exists.
  for (CampaignAction action : kAllCampaignActions) {
    EXPECT_EQ(accounts_->Authorize(b, trees, action).error().code, Code::kNotFound);
    EXPECT_EQ(accounts_->Authorize(a, trees, action).error().code, Code::kNotFound);
  }
  EXPECT_EQ(accounts_->ListMembers(b, trees).error().code, Code::kNotFound);
  EXPECT_EQ(accounts_->ListMembers(b, bees)->size(), 2u);
  EXPECT_EQ(accounts_->MyCampaigns(b)->size(), 1u);
  // Administrators reach every campaign, but not one that does not exist.
  EXPECT_TRUE(accounts_->Authorize(Actor::Operator(), trees, CampaignAction::kManageMembers));
  EXPECT_EQ(accounts_->Authorize(Actor::Operator(), trees + 99, CampaignAction::kView).error().code,
            Code::kNotFound);

  // A signed-in viewer loses access the moment they are removed.
  ASSERT_TRUE(accounts_->SetPassword(Actor::Operator(), bob.id, kPassword));
  SignedIn in = MustSignIn("bob@example.org");
  auto current = accounts_->Authenticate(in.token);
  ASSERT_TRUE(current.has_value());
  EXPECT_TRUE(accounts_->Authorize(current->actor(), bees, CampaignAction::kView));
  EXPECT_EQ(accounts_->RemoveMember(b, bees, bob.id).error().code, Code::kForbidden);
  ASSERT_TRUE(accounts_->RemoveMember(a, bees, bob.id).has_value());
  EXPECT_EQ(accounts_->Authorize(current->actor(), bees, CampaignAction::kViewSigners).error().code,
            Code::kNotFound);
  EXPECT_EQ(ActionsOf(bees), (std::vector<std::string>{"member.add", "member.remove"}));
}

TEST_F(AccountsTest, ACampaignKeepsAnOwner) {
  User ada = MustCreate("ada@example.org");
  MustCreate("bob@example.org");
  const std::int64_t bees = CampaignId("bees");
  ASSERT_TRUE(
      accounts_->AddMember(Actor::Operator(), bees, "ada@example.org", CampaignRole::kOwner));
  const Actor a = Actor::Of(ada);
  EXPECT_EQ(accounts_->ChangeMember(a, bees, ada.id, CampaignRole::kEditor).error().code,
            Code::kConflict);
  EXPECT_EQ(accounts_->RemoveMember(a, bees, ada.id).error().code, Code::kConflict);
  auto bob = accounts_->AddMember(a, bees, "bob@example.org", CampaignRole::kOwner);
  ASSERT_TRUE(bob.has_value());
  ASSERT_TRUE(accounts_->RemoveMember(a, bees, ada.id).has_value());
  EXPECT_EQ(accounts_->Authorize(a, bees, CampaignAction::kView).error().code, Code::kNotFound);
  EXPECT_EQ(accounts_->ListMembers(Actor::Operator(), bees)->size(), 1u);
}

class ShortSessionsTest : public AccountsTest {
 protected:
  AccountOptions AccountOpts() const override {
    AccountOptions o = AccountsTest::AccountOpts();
    o.session_idle_seconds = 3600;
    o.session_max_seconds = 3 * 3600;
    o.touch_seconds = 60;
    return o;
  }
};

TEST_F(ShortSessionsTest, SessionsSlideUpToACapAndAreListedAndRevoked) {
  WithPassword("ada@example.org");
  SignedIn idle = MustSignIn("ada@example.org");
  SignedIn busy = MustSignIn("ada@example.org");
  EXPECT_EQ(busy.current.session.expires, clock_.Now() + 3600);
  for (int i = 0; i < 5; ++i) {  // used every 50 minutes: up to 4h10 without the cap
    clock_.Advance(3000);
    auto r = accounts_->Authenticate(busy.token);
    if (clock_.Now() - busy.current.session.created < 3 * 3600) {
      ASSERT_TRUE(r.has_value()) << i;
      EXPECT_LE(r->session.expires, busy.current.session.created + 3 * 3600);
    } else {
      EXPECT_EQ(r.error().code, Code::kUnauthenticated) << i;  // the cap
    }
  }
  EXPECT_EQ(accounts_->Authenticate(idle.token).error().code, Code::kUnauthenticated);

  SignedIn one = MustSignIn("ada@example.org");
  SignedIn two = MustSignIn("ada@example.org");
  SignedIn three = MustSignIn("ada@example.org");
  auto list = accounts_->ListSessions(three.current);
  ASSERT_TRUE(list.has_value());
  ASSERT_EQ(list->size(), 3u);  // expired ones are not listed
  EXPECT_EQ((*list)[0].id, three.current.session.id);
  ASSERT_TRUE(accounts_->RevokeSession(three.current, one.current.session.id));
  EXPECT_FALSE(accounts_->Authenticate(one.token).has_value());
  EXPECT_GE(accounts_->RevokeOtherSessions(three.current).value(), 1);  // and expired rows
  ASSERT_EQ(accounts_->ListSessions(three.current)->size(), 1u);
  EXPECT_FALSE(accounts_->Authenticate(two.token).has_value());
  EXPECT_TRUE(accounts_->Authenticate(three.token).has_value());
  ASSERT_TRUE(accounts_->SignOut(three.token));
  EXPECT_FALSE(accounts_->Authenticate(three.token).has_value());
  EXPECT_TRUE(accounts_->SignOut(three.token));  // twice is fine
}

TEST_F(AccountsTest, DisablingEndsSessionsAndKeepsAnAdministrator) {
  User root = WithPassword("root@example.org", true);
  User bob = WithPassword("bob@example.org");
  SignedIn in = MustSignIn("bob@example.org");
  EXPECT_EQ(accounts_->SetDisabled(Actor::Of(bob), root.id, true).error().code, Code::kForbidden);
  EXPECT_EQ(accounts_->SetDisabled(Actor::Operator(), root.id, true).error().code, Code::kConflict);
  auto off = accounts_->SetDisabled(Actor::Of(root), bob.id, true);
  ASSERT_TRUE(off.has_value()) << off.error().message;
  EXPECT_TRUE(off->disabled.has_value());
  EXPECT_EQ(accounts_->Authenticate(in.token).error().code, Code::kUnauthenticated);
  EXPECT_EQ(
      accounts_->SignInWithPassword("bob@example.org", kPassword, "", Client{}).error().message,
      "Wrong email address or password.");
  ASSERT_TRUE(accounts_->SetDisabled(Actor::Of(root), bob.id, false));
  EXPECT_TRUE(MustSignIn("bob@example.org").token.size() > 0);
}

TEST_F(AccountsTest, TheRecordExportsAsJsonLinesOldestFirst) {
  User ada = MustCreate("ada@example.org", true);
  const std::int64_t bees = CampaignId("bees");
  ASSERT_TRUE(
      accounts_->Record(Actor::Of(ada), bees, "signature.hide", "sig-1", {{"reason", "spam"}}));
  auto lines = accounts_->ExportActions(Actor::Operator(), {});
  ASSERT_TRUE(lines.has_value());
  std::vector<nlohmann::json> rows;
  std::size_t start = 0, end;
  while ((end = lines->find('\n', start)) != std::string::npos) {
    rows.push_back(nlohmann::json::parse(lines->substr(start, end - start)));
    start = end + 1;
  }
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0]["action"], "user.create");
  EXPECT_TRUE(rows[0]["user"].is_null());
  EXPECT_EQ(rows[1]["action"], "signature.hide");
  EXPECT_EQ(rows[1]["user"], "ada@example.org");
  EXPECT_EQ(rows[1]["campaign_id"], bees);
  EXPECT_EQ(rows[1]["detail"]["reason"], "spam");
  EXPECT_EQ(rows[1]["at"], FormatIso8601(clock_.Now()));
  User bob = MustCreate("bob@example.org");
  EXPECT_EQ(accounts_->ExportActions(Actor::Of(bob), {}).error().code, Code::kForbidden);
}

TEST_F(AccountsTest, ApiTokensAreScopedAndOwned) {
  User ada = MustCreate("ada@example.org");
  User bob = MustCreate("bob@example.org");
  const std::int64_t bees = CampaignId("bees");
  ASSERT_TRUE(
      accounts_->AddMember(Actor::Operator(), bees, "ada@example.org", CampaignRole::kOwner));
  ASSERT_TRUE(
      accounts_->AddMember(Actor::Operator(), bees, "bob@example.org", CampaignRole::kEditor));
  EXPECT_EQ(accounts_->CreateApiToken(Actor::Of(bob), "crm", bees, true).error().code,
            Code::kForbidden);
  EXPECT_EQ(
      accounts_->CreateApiToken(Actor::Of(ada), "everything", std::nullopt, false).error().code,
      Code::kForbidden);
  EXPECT_EQ(accounts_->CreateApiToken(Actor::Of(ada), "", bees, true).error().code,
            Code::kInvalidArgument);
  auto raw = accounts_->CreateApiToken(Actor::Of(ada), "crm", bees, true);
  ASSERT_TRUE(raw.has_value()) << raw.error().message;
  EXPECT_EQ(raw->rfind("us_", 0), 0u);
  auto token = store_->FindApiToken(HashToken(*raw));
  ASSERT_TRUE(token.has_value());
  auto scope = store_->accounts().GetApiTokenScope(token->id);
  ASSERT_TRUE(scope.has_value());
  EXPECT_EQ(scope->owner_user_id, ada.id);
  EXPECT_EQ(scope->campaign_id, bees);
  EXPECT_TRUE(scope->read_only);
}

TEST_F(AccountsTest, ACampaignsOwnerListsAndRevokesItsTokensOnly) {
  User ada = MustCreate("ada@example.org");
  User bob = MustCreate("bob@example.org");
  User eve = MustCreate("eve@example.org");
  const std::int64_t bees = CampaignId("bees");
  const std::int64_t trees = CampaignId("trees");
  ASSERT_TRUE(
      accounts_->AddMember(Actor::Operator(), bees, "ada@example.org", CampaignRole::kOwner));
  ASSERT_TRUE(
      accounts_->AddMember(Actor::Operator(), trees, "ada@example.org", CampaignRole::kOwner));
  ASSERT_TRUE(
      accounts_->AddMember(Actor::Operator(), bees, "bob@example.org", CampaignRole::kEditor));
  auto crm = accounts_->CreateApiToken(Actor::Of(ada), "crm", bees, true);
  auto other = accounts_->CreateApiToken(Actor::Of(ada), "other", trees, false);
  ASSERT_TRUE(crm && other);

  auto list = accounts_->ListApiTokens(Actor::Of(ada), bees);
  ASSERT_TRUE(list.has_value()) << list.error().message;
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].token.name, "crm");
  EXPECT_EQ((*list)[0].owner, "ada@example.org");
  EXPECT_TRUE((*list)[0].token.read_only);
  EXPECT_EQ(accounts_->ListApiTokens(Actor::Of(bob), bees).error().code, Code::kForbidden);
  EXPECT_EQ(accounts_->ListApiTokens(Actor::Of(eve), bees).error().code, Code::kNotFound);

  const std::int64_t crm_id = (*list)[0].token.id;
  const std::int64_t other_id = store_->FindApiToken(HashToken(*other))->id;
  EXPECT_EQ(accounts_->RevokeApiToken(Actor::Of(bob), bees, crm_id).error().code, Code::kForbidden);
  // Another campaign's token is not this campaign's to revoke.
  EXPECT_EQ(accounts_->RevokeApiToken(Actor::Of(ada), bees, other_id).error().code,
            Code::kNotFound);
  auto revoked = accounts_->RevokeApiToken(Actor::Of(ada), bees, crm_id);
  ASSERT_TRUE(revoked.has_value()) << revoked.error().message;
  EXPECT_EQ(revoked->revoked, clock_.Now());
  EXPECT_EQ(store_->FindApiToken(HashToken(*crm)).error().code, Code::kNotFound);
  EXPECT_TRUE(store_->FindApiToken(HashToken(*other)).has_value());
  auto actions =
      accounts_->ListActions(Actor::Operator(), ActionFilter{bees, std::nullopt}, Page{1, 10});
  ASSERT_TRUE(actions.has_value());
  EXPECT_EQ(actions->items[0].action, "api_token.revoke");
  EXPECT_EQ(actions->items[0].subject, "crm");
}

TEST(SessionCookieTest, HostPrefixedSecureHttpOnlyStrict) {
  EXPECT_EQ(SessionCookie("abc", 3600),
            "__Host-undersigned-session=abc; Path=/; Max-Age=3600; Secure; HttpOnly; "
            "SameSite=Strict");
  EXPECT_EQ(SessionCookie("", 0),
            "__Host-undersigned-session=; Path=/; Max-Age=0; Secure; HttpOnly; SameSite=Strict");
}

}  // namespace
}  // namespace undersigned::service
