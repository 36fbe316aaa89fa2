// The service layer against a real SQLite store in a temp dir: signing, confirmation,
// de-duplication, resend bound, rate limits, snapshots and exports.
#include <cstring>
#include <filesystem>
#include <sstream>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <sodium.h>

#include "service/api_tokens.h"
#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

namespace fs = std::filesystem;

class ServiceTest : public ServiceFixture {
 protected:
  ServiceTest() : ServiceFixture(1'800'000'000) {}
  SigningOptions Options() const override {
    SigningOptions opts;  // the default per-email limit, and a small per-address one
    opts.per_address = RateLimit{3, 0.01, true};
    return opts;
  }
  void SetUp() override {
    ServiceFixture::SetUp();
    Create(OpenCampaign("letter"));
  }

  SignatureForm Form(const std::string& email, bool is_public = true) {
    SignatureForm f;
    f.name = "Ada Lovelace";
    f.email = email;
    f.comment = "count me in";
    f.public_name = is_public;
    return f;
  }

  // A mail's token is only in the queued mail's payload, as in production: "token" in a
  // confirmation mail (its confirm and withdraw links), "withdraw_token" in an "already signed"
  // one.
  std::string LastToken(const char* key) {
    auto due = store_->DueOutbox(clock_.Now() + 1, 1000);
    EXPECT_TRUE(due.has_value());
    EXPECT_FALSE(due->empty());
    const std::string& p = due->back().payload;
    std::string needle = std::string("\"") + key + "\":\"";
    auto at = p.find(needle);
    EXPECT_NE(at, std::string::npos) << p;
    auto start = at + needle.size();
    return p.substr(start, p.find('"', start) - start);
  }
};

TEST_F(ServiceTest, SignConfirmWithdrawMovesCountsAndSnapshot) {
  SignContext ctx;
  auto r = signing_->Sign("letter", Form("ada@example.org"), ctx);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->kind, SignOutcome::Kind::kCreated);
  EXPECT_EQ(wakes_, 1);
  EXPECT_EQ(campaigns_->Snapshot("letter")->counts.confirmed, 0);
  EXPECT_EQ(campaigns_->Totals().pending, 1);

  // One token, which the mail's confirm link and withdraw link both carry.
  const std::string token = LastToken("token");
  const std::string& confirm = token;
  const std::string& withdraw = token;
  auto peek = signing_->PeekConfirm(confirm);
  ASSERT_TRUE(peek.has_value());
  EXPECT_EQ(peek->signature.state, SignatureState::kPending);
  EXPECT_EQ(signing_->PeekWithdraw(withdraw)->signature.state, SignatureState::kPending);

  auto c = signing_->Confirm(confirm);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_TRUE(c->changed);
  auto snap = campaigns_->Snapshot("letter");
  EXPECT_EQ(snap->counts.confirmed, 1);
  ASSERT_EQ(snap->recent.size(), 1u);
  EXPECT_EQ(snap->recent[0].name, "Ada Lovelace");
  EXPECT_FALSE(signing_->Confirm(confirm)->changed);  // idempotent

  auto w = signing_->Withdraw(withdraw);
  ASSERT_TRUE(w.has_value());
  snap = campaigns_->Snapshot("letter");
  EXPECT_EQ(snap->counts.confirmed, 0);
  EXPECT_EQ(snap->counts.withdrawn, 1);
  EXPECT_TRUE(snap->recent.empty());
  EXPECT_FALSE(signing_->Confirm("not-a-token").has_value());
}

// Unknown tokens use up an address's guesses; then every token from it is refused before the
// lookup (a real one too), with the wait. Real tokens use none; other addresses are not slowed.
TEST_F(ServiceTest, TokenGuessesAreThrottledPerAddress) {
  TokenGuard guard(clock_, RateLimit{2, 0.1, true});
  signing_->SetTokenGuard(&guard);
  ASSERT_TRUE(signing_->Sign("letter", Form("guess@example.org"), SignContext{}));
  const std::string real = LastToken("token");
  const std::string kGuesser = "198.51.100.7";
  for (int i = 0; i < 3; ++i) EXPECT_TRUE(signing_->PeekWithdraw(real, kGuesser).has_value());
  EXPECT_EQ(signing_->PeekConfirm("guess-1", kGuesser).error().code, Code::kNotFound);
  EXPECT_EQ(signing_->Withdraw("guess-2", kGuesser).error().code, Code::kNotFound);
  auto refused = signing_->Confirm(real, kGuesser);
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code, Code::kTooManyRequests);
  EXPECT_EQ(refused.error().retry_after_seconds, 10);
  EXPECT_EQ(campaigns_->Snapshot("letter")->counts.confirmed, 0);  // not even looked up
  EXPECT_TRUE(signing_->Confirm(real, "203.0.113.9").has_value());
  EXPECT_TRUE(signing_->PeekConfirm(real).has_value());  // no address (the CLI): no limit
  clock_.AdvanceMillis(10'000);                          // one guess back
  EXPECT_TRUE(signing_->PeekConfirm(real, kGuesser).has_value());
  signing_->SetTokenGuard(nullptr);
}

TEST_F(ServiceTest, EveryResentMailsTokenWorksForBothLinks) {
  SignContext ctx;
  ASSERT_EQ(signing_->Sign("letter", Form("late@example.org"), ctx)->kind,
            SignOutcome::Kind::kCreated);
  const std::string first = LastToken("token");
  ASSERT_EQ(signing_->Sign("letter", Form("late@example.org"), ctx)->kind,
            SignOutcome::Kind::kResent);
  const std::string second = LastToken("token");
  ASSERT_NE(first, second);
  for (const std::string* t : {&first, &second}) {
    EXPECT_TRUE(signing_->PeekConfirm(*t).has_value());
    EXPECT_TRUE(signing_->PeekWithdraw(*t).has_value());
  }
  // The new mail's confirm link confirms; the first mail's withdraw link then withdraws.
  auto c = signing_->Confirm(second);
  ASSERT_TRUE(c.has_value()) << c.error().message;
  EXPECT_TRUE(c->changed);
  EXPECT_FALSE(signing_->Confirm(first)->changed);
  auto w = signing_->Withdraw(first);
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_TRUE(w->changed);
  EXPECT_FALSE(signing_->Withdraw(second)->changed);
  auto snap = campaigns_->Snapshot("letter");
  EXPECT_EQ(snap->counts.confirmed, 0);
  EXPECT_EQ(snap->counts.withdrawn, 1);
}

TEST_F(ServiceTest, AnAlreadySignedMailsTokenWithdrawsButCannotConfirm) {
  SignContext ctx;
  ASSERT_TRUE(signing_->Sign("letter", Form("again@example.org"), ctx));
  ASSERT_TRUE(signing_->Confirm(LastToken("token")));
  ASSERT_EQ(signing_->Sign("letter", Form("again@example.org"), ctx)->kind,
            SignOutcome::Kind::kAlreadyConfirmed);
  const std::string withdraw_only = LastToken("withdraw_token");
  EXPECT_EQ(signing_->PeekConfirm(withdraw_only).error().code, Code::kNotFound);
  EXPECT_EQ(signing_->Confirm(withdraw_only).error().code, Code::kNotFound);
  EXPECT_EQ(signing_->PeekWithdraw(withdraw_only)->signature.state, SignatureState::kConfirmed);
  auto w = signing_->Withdraw(withdraw_only);
  ASSERT_TRUE(w.has_value()) << w.error().message;
  EXPECT_TRUE(w->changed);
  EXPECT_EQ(campaigns_->Snapshot("letter")->counts.confirmed, 0);
  EXPECT_EQ(signing_->Confirm(withdraw_only).error().code, Code::kNotFound);
}

TEST_F(ServiceTest, AliasesOfOneAddressAreOneSignatureAndResendsAreBounded) {
  SignContext ctx;
  ASSERT_EQ(signing_->Sign("letter", Form("a.da@gmail.com"), ctx)->kind,
            SignOutcome::Kind::kCreated);
  EXPECT_EQ(signing_->Sign("letter", Form("ADA+x@gmail.com"), ctx)->kind,
            SignOutcome::Kind::kResent);
  EXPECT_EQ(signing_->Sign("letter", Form("ada@googlemail.com"), ctx)->kind,
            SignOutcome::Kind::kResent);  // the third mail: max_confirm_sends is 3
  EXPECT_EQ(signing_->Sign("letter", Form("Ada@Gmail.com"), ctx)->kind,
            SignOutcome::Kind::kResendLimit);
  EXPECT_EQ(campaigns_->Totals().pending, 1);
}

TEST_F(ServiceTest, RefusesBadInputClosedAndUnknownCampaigns) {
  SignContext ctx;
  auto bad = signing_->Sign("letter", Form("nope"), ctx);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(bad.error().field_errors.count("email"));
  EXPECT_EQ(signing_->Sign("nowhere", Form("a@example.org"), ctx).error().code, Code::kNotFound);
  ASSERT_TRUE(campaigns_->SetStatus("letter", CampaignStatus::kClosed).has_value());
  EXPECT_EQ(signing_->Sign("letter", Form("a@example.org"), ctx).error().code, Code::kConflict);
  EXPECT_EQ(campaigns_->Totals().pending, 0);
}

TEST_F(ServiceTest, RateLimitsPerAddressWithRetryAfter) {
  SignContext ctx;
  ctx.remote_address = "203.0.113.9";
  for (int i = 0; i < 3; ++i) {
    ASSERT_TRUE(signing_->Sign("letter", Form("p" + std::to_string(i) + "@example.org"), ctx));
  }
  auto limited = signing_->Sign("letter", Form("p9@example.org"), ctx);
  ASSERT_FALSE(limited.has_value());
  EXPECT_EQ(limited.error().code, Code::kTooManyRequests);
  EXPECT_GE(limited.error().retry_after_seconds, 1);
  ctx.remote_address = "203.0.113.10";
  EXPECT_TRUE(signing_->Sign("letter", Form("p9@example.org"), ctx).has_value());
}

TEST_F(ServiceTest, TrustedSignaturesCountAtOnceWithoutMail) {
  SignContext ctx{"api", "", true};
  auto r = signing_->Sign("letter", Form("api@example.org"), ctx);
  ASSERT_TRUE(r.has_value()) << r.error().message;
  EXPECT_EQ(r->signature.state, SignatureState::kConfirmed);
  EXPECT_EQ(campaigns_->Snapshot("letter")->counts.confirmed, 1);
  EXPECT_EQ(wakes_, 0);
  EXPECT_EQ(*store_->OutboxDepth(), 0);
}

TEST_F(ServiceTest, ConcurrentConfirmationsLeaveExactCounts) {
  SignContext ctx{"api", "", true};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 25; ++i) {
        auto r = signing_->Sign(
            "letter", Form("u" + std::to_string(t) + "_" + std::to_string(i) + "@x.org"), ctx);
        ASSERT_TRUE(r.has_value());
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(campaigns_->Snapshot("letter")->counts.confirmed, 200);
  EXPECT_EQ(campaigns_->Totals().confirmed, 200);
}

TEST_F(ServiceTest, ExportHasConfirmedSignersOnlyAndNeutralisesFormulas) {
  SignContext trusted{"api", "", true};
  SignatureForm f = Form("f@example.org");
  f.comment = "=HYPERLINK(\"http://evil\")";
  ASSERT_TRUE(signing_->Sign("letter", f, trusted).has_value());
  SignatureForm pending = Form("p@example.org");
  pending.name = "Pending Person";
  ASSERT_TRUE(signing_->Sign("letter", pending, SignContext{}).has_value());

  std::ostringstream csv;
  ASSERT_TRUE(signing_->Export("letter", "csv", csv).has_value());
  EXPECT_NE(csv.str().find("\"Ada Lovelace\""), std::string::npos);
  EXPECT_NE(csv.str().find("\"'=HYPERLINK(\"\"http://evil\"\")\""), std::string::npos);
  EXPECT_EQ(csv.str().find("Pending Person"), std::string::npos);
  EXPECT_EQ(csv.str().find("f@example.org"), std::string::npos);  // no email addresses

  std::ostringstream json;
  ASSERT_TRUE(signing_->Export("letter", "json", json).has_value());
  EXPECT_NE(json.str().find("\"name\":\"Ada Lovelace\""), std::string::npos);
  EXPECT_FALSE(signing_->Export("letter", "xml", json).has_value());
}

TEST_F(ServiceTest, SnapshotsSurviveReloadAndRefreshSeesOtherWriters) {
  SignContext trusted{"api", "", true};
  ASSERT_TRUE(signing_->Sign("letter", Form("r@example.org"), trusted).has_value());
  CampaignService fresh(*store_, clock_);
  ASSERT_TRUE(fresh.Load().has_value());
  EXPECT_EQ(fresh.Snapshot("letter")->counts.confirmed, 1);
  EXPECT_EQ(fresh.Snapshot("letter")->recent.size(), 1u);

  // Another process (the CLI) edits the campaign: Refresh picks it up.
  Campaign edited = *store_->GetCampaignBySlug("letter");
  edited.title = "A sharper letter";
  clock_.Advance(5);
  edited.modified = clock_.Now();
  ASSERT_TRUE(store_->UpdateCampaign(edited).has_value());
  ASSERT_TRUE(campaigns_->Refresh().has_value());
  EXPECT_EQ(campaigns_->Snapshot("letter")->campaign.title, "A sharper letter");
  EXPECT_EQ(campaigns_->Snapshot("letter")->counts.confirmed, 1);

  // An edit of the letter alone, within the same second: still picked up.
  edited = *store_->GetCampaignBySlug("letter");
  edited.letter_markdown = "A new paragraph.";
  ASSERT_TRUE(store_->UpdateCampaign(edited).has_value());
  ASSERT_EQ(store_->GetCampaignBySlug("letter")->modified,
            campaigns_->Snapshot("letter")->campaign.modified);
  ASSERT_TRUE(campaigns_->Refresh().has_value());
  EXPECT_EQ(campaigns_->Snapshot("letter")->campaign.letter_markdown, "A new paragraph.");
  EXPECT_EQ(*campaigns_->Refresh(), 0);  // nothing new: nothing reinstalled
}

// Two nodes on one database: each holds its own snapshots; PollCounts brings in what the other
// node's writes changed (exact counts, the new public signer), and publishes it.
TEST_F(ServiceTest, PollCountsBringsInAnotherNodesSignatures) {
  CampaignService other(*store_, clock_);
  ASSERT_TRUE(other.Load().has_value());
  int published = 0;
  other.SetListener([&](const std::shared_ptr<const CampaignSnapshot>&) { ++published; });
  EXPECT_EQ(*other.PollCounts(), 0);  // nothing happened yet

  SignContext trusted{"api", "", true};
  ASSERT_TRUE(signing_->Sign("letter", Form("p1@example.org"), trusted).has_value());
  ASSERT_TRUE(signing_->Sign("letter", Form("p2@example.org"), trusted).has_value());
  EXPECT_EQ(other.Snapshot("letter")->counts.confirmed, 0);  // not polled yet
  EXPECT_EQ(*other.PollCounts(), 1);
  EXPECT_EQ(other.Snapshot("letter")->counts.confirmed, 2);
  EXPECT_EQ(other.Snapshot("letter")->recent.size(), 2u);
  EXPECT_EQ(published, 1);
  EXPECT_EQ(*other.PollCounts(), 0);  // nothing new: nothing published
  EXPECT_EQ(published, 1);

  // A pending signature moves only the pending count: installed, not published.
  ASSERT_TRUE(signing_->Sign("letter", Form("p3@example.org"), SignContext{}).has_value());
  EXPECT_EQ(*other.PollCounts(), 0);
  EXPECT_EQ(other.Totals().pending, 1);
  EXPECT_EQ(published, 1);
}

TEST_F(ServiceTest, ApiTokensAuthenticateUntilRevoked) {
  ApiTokenService tokens(*store_, clock_);
  auto raw = tokens.Create("zapier");
  ASSERT_TRUE(raw.has_value());
  EXPECT_TRUE(tokens.Authenticate(*raw).has_value());
  EXPECT_EQ(tokens.Authenticate("us_wrong").error().code, Code::kUnauthenticated);
  ASSERT_EQ(*tokens.Revoke("zapier"), 1);
  EXPECT_FALSE(tokens.Authenticate(*raw).has_value());
}

}  // namespace
}  // namespace undersigned::service

namespace undersigned::service {
namespace {

TEST(Ids, TokensAreUniqueUrlSafeAndTimeOrdered) {
  std::string a = NewToken(), b = NewToken();
  EXPECT_EQ(a.size(), 43u);
  EXPECT_NE(a, b);
  EXPECT_EQ(a.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
            std::string::npos);
  EXPECT_LT(HashToken(a), HashToken(b));  // appends to the index
  EXPECT_EQ(HashToken(a), HashToken(a));
  EXPECT_EQ(HashToken(a).size(), 16u + 64u);
  // Not a token of ours: the SHA-256 alone (FIPS 180-4, here through OpenSSL).
  EXPECT_EQ(HashToken("garbage"),
            "795b6904e54f82411df4b0e27a373a55eea3f9d66dac5a9bce1dd92f7b401da5");
  // A token of ours: its 8 time bytes in hex, then the SHA-256 of the whole token.
  EXPECT_EQ(HashToken("AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").substr(0, 16),
            "0000000000000001");
  EXPECT_EQ(HashToken("_-_-_-_-_-_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").substr(0, 16),
            "ffeffeffeffeffef");
  EXPECT_EQ(HashToken("AAAAAAAAAAEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=").size(), 64u);  // not base64url
  // Each token's prefix is its own first 8 bytes.
  for (int i = 0; i < 50; ++i) {
    const std::string t = NewToken();
    unsigned char raw[32];
    std::size_t len = 0;
    ASSERT_EQ(sodium_base642bin(raw, sizeof raw, t.data(), t.size(), nullptr, &len, nullptr,
                                sodium_base64_VARIANT_URLSAFE_NO_PADDING),
              0);
    char hex[17];
    sodium_bin2hex(hex, sizeof hex, raw, 8);
    EXPECT_EQ(HashToken(t).substr(0, 16), hex) << t;
  }
  std::string u = NewUuid();
  ASSERT_EQ(u.size(), 36u);
  EXPECT_EQ(u[14], '7');
  EXPECT_TRUE(u[19] == '8' || u[19] == '9' || u[19] == 'a' || u[19] == 'b') << u;  // variant
  for (std::size_t dash : {8u, 13u, 18u, 23u}) EXPECT_EQ(u[dash], '-') << u;
  EXPECT_EQ(u.find_first_not_of("0123456789abcdef-"), std::string::npos) << u;
  // Random bytes come from a buffered stream: consecutive draws differ, and a long draw spans
  // several refills.
  std::vector<unsigned char> big(5000), again(5000);
  RandomBytes(big.data(), big.size());
  RandomBytes(again.data(), again.size());
  EXPECT_NE(big, again);
  EXPECT_NE(std::vector<unsigned char>(big.begin(), big.begin() + 1024),
            std::vector<unsigned char>(big.begin() + 1024, big.begin() + 2048));
  EXPECT_LE(u.substr(0, 13), NewUuid().substr(0, 13));  // ordered by millisecond
}

}  // namespace
}  // namespace undersigned::service

namespace undersigned::service {
namespace {

TEST(Ids, RandomBytesDifferAcrossCallsAndThreads) {
  unsigned char a[32], b[32], c[32];
  RandomBytes(a, sizeof a);
  RandomBytes(b, sizeof b);
  std::thread([&] { RandomBytes(c, sizeof c); }).join();
  EXPECT_NE(0, std::memcmp(a, b, sizeof a));
  EXPECT_NE(0, std::memcmp(a, c, sizeof a));
  EXPECT_NE(0, std::memcmp(b, c, sizeof a));
  // Not all zero, and roughly half the bits set over many bytes.
  std::vector<unsigned char> big(1 << 16);
  RandomBytes(big.data(), big.size());
  long bits = 0;
  for (unsigned char x : big) bits += __builtin_popcount(x);
  EXPECT_NEAR(static_cast<double>(bits) / (big.size() * 8), 0.5, 0.01);
}

}  // namespace
}  // namespace undersigned::service

namespace undersigned::service {
namespace {

class DeadlineTest : public ServiceFixture {};

TEST_F(DeadlineTest, APastDeadlineIsRefusedAtCreateAndOnOpening) {
  Campaign c = OpenCampaign("late");
  c.deadline = clock_.Now();  // the instant it closes: already closed
  auto made = campaigns_->Create(c);
  ASSERT_FALSE(made);
  EXPECT_EQ(made.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(made.error().field_errors.count("deadline"));
  EXPECT_NE(made.error().message.find("already passed"), std::string::npos);

  c.deadline = clock_.Now() + 60;
  ASSERT_TRUE(campaigns_->Create(c));
  EXPECT_EQ(campaigns_->OpenCampaigns(clock_.Now()).size(), 1u);
  clock_.Advance(60);
  EXPECT_TRUE(campaigns_->OpenCampaigns(clock_.Now()).empty());        // closed on every surface
  EXPECT_FALSE(campaigns_->SetStatus("late", CampaignStatus::kOpen));  // it is not open
  // Closing and editing other fields still work; opening it again needs a new deadline.
  ASSERT_TRUE(campaigns_->SetStatus("late", CampaignStatus::kClosed));
  auto reopened = campaigns_->SetStatus("late", CampaignStatus::kOpen);
  ASSERT_FALSE(reopened);
  EXPECT_TRUE(reopened.error().field_errors.count("deadline"));
  auto current = campaigns_->GetBySlug("late");
  ASSERT_TRUE(current);
  current->title = "Still late";
  EXPECT_TRUE(campaigns_->Update(*current));
  current->status = CampaignStatus::kOpen;
  current->deadline = clock_.Now() + 86400;
  EXPECT_TRUE(campaigns_->Update(*current));
}

}  // namespace
}  // namespace undersigned::service
