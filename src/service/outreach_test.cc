// UpdateService, UpdateScheduler, UnsubscribeLinks/Service, UpdateMailRenderer,
// TargetDeliveryService and DeliveryMailRenderer over a real SQLite store.
#include <set>
#include <string>

#include <gtest/gtest.h>
#include <sodium.h>
#include <nlohmann/json.hpp>

#include "service/accounts.h"
#include "service/target_delivery.h"
#include "service/test_fixture.h"
#include "service/tx/scripts.h"
#include "service/updates.h"

namespace undersigned::service {
namespace {

class OutreachTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    AccountOptions o;
    o.password_ops = crypto_pwhash_OPSLIMIT_MIN;
    o.password_mem = crypto_pwhash_MEMLIMIT_MIN;
    accounts_ = std::make_unique<AccountService>(*store_, clock_, o);
    updates_ = std::make_unique<UpdateService>(*store_, *accounts_, clock_, [this] { ++pokes_; });
    Campaign c = OpenCampaign("bees", "Save the bees");
    c.targets = {Target{"Dana Rivera", "CEO", "Acme", "", "", "", "dana@acme.example"},
                 Target{"No Mail", "", "", "", "", "", ""}};
    Create(c);
    Create(OpenCampaign("trees"));
    bees_ = campaigns_->GetBySlug("bees")->id;
  }
  void CloseServices() override {
    updates_.reset();
    accounts_.reset();
    ServiceFixture::CloseServices();
  }
  void SignWanting(const std::string& slug, const std::string& email, bool wants,
                   Protection protection = Protection::kNone) {
    SignatureForm f;
    f.name = "Signer " + email;
    f.email = email;
    f.public_name = protection == Protection::kNone;
    f.wants_updates = wants;
    f.protection = protection;
    SignContext ctx;
    ctx.source = "api";
    ctx.trusted = true;
    auto r = signing_->Sign(slug, f, ctx);
    ASSERT_TRUE(r) << r.error().message;
  }
  std::vector<OutboxMessage> Mails(const std::string& kind) {
    std::vector<OutboxMessage> out;
    auto due = store_->DueOutbox(kOutboxNever - 1, 1000);
    EXPECT_TRUE(due);
    for (auto& m : *due) {
      if (m.kind == kind) out.push_back(m);
    }
    return out;
  }
  User Organizer(const std::string& email, std::optional<CampaignRole> role) {
    auto u = accounts_->CreateUser(Actor::Operator(), email, "", false);
    EXPECT_TRUE(u) << u.error().message;
    if (role) EXPECT_TRUE(store_->accounts().AddMembership(u->id, bees_, *role, clock_.Now()));
    return *u;
  }

  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<UpdateService> updates_;
  std::int64_t bees_ = 0;
  int pokes_ = 0;
};

TEST_F(OutreachTest, AnUpdateIsDraftedSentOnTimeInBatchesAndRenderedWithItsUnsubscribeLink) {
  SignWanting("bees", "one@example.org", true);
  SignWanting("bees", "two@example.org", true);
  SignWanting("bees", "three@example.org", true);
  SignWanting("bees", "quiet@example.org", false);
  SignWanting("trees", "other@example.org", true);
  const Actor op = Actor::Operator();

  auto bad = updates_->Draft(op, "bees", "two\nlines", "");
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(bad.error().field_errors.count("subject"));
  EXPECT_TRUE(bad.error().field_errors.count("body"));
  EXPECT_EQ(updates_->Draft(op, "nope", "S", "B").error().code, Code::kNotFound);

  auto u = updates_->Draft(op, "bees", "  Good news ", "We <script>x</script> **won**.");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->subject, "Good news");
  auto preview = updates_->Preview(op, u->id);
  ASSERT_TRUE(preview);
  EXPECT_EQ(preview->recipients, 3);
  EXPECT_NE(preview->html.find("<strong>won</strong>"), std::string::npos);
  EXPECT_EQ(preview->html.find("<script>"), std::string::npos);  // no raw HTML

  EXPECT_EQ(updates_->Send(op, u->id, clock_.Now() - 1).error().code, Code::kInvalidArgument);
  auto sched = updates_->Send(op, u->id, clock_.Now() + 60);
  ASSERT_TRUE(sched) << sched.error().message;
  EXPECT_EQ(pokes_, 1);
  EXPECT_EQ(updates_->Edit(op, u->id, "x", "y").error().code, Code::kConflict);

  UpdateScheduler scheduler(
      *store_, clock_, [this] { ++wakes_; }, UpdateOptions{2, 0});
  auto pass = scheduler.RunOnce();
  ASSERT_TRUE(pass);
  EXPECT_EQ(pass->queued, 0);  // not yet due
  clock_.Advance(60);
  pass = scheduler.RunOnce();
  ASSERT_TRUE(pass);
  EXPECT_EQ(pass->queued, 2);  // a batch of two
  EXPECT_TRUE(pass->more);
  pass = scheduler.RunOnce();
  EXPECT_EQ(pass->queued, 1);
  EXPECT_FALSE(pass->more);
  EXPECT_EQ(scheduler.RunOnce()->queued, 0);
  EXPECT_EQ(updates_->Send(op, u->id, std::nullopt).error().code, Code::kConflict);

  auto links = UnsubscribeLinks::Open(*store_);
  ASSERT_TRUE(links);
  UpdateMailRenderer renderer(*store_, *links, "https://sign.example.org/");
  auto mails = Mails("update");
  ASSERT_EQ(mails.size(), 3u);
  std::set<std::string> to;
  std::string unsubscribe_url;
  for (const auto& m : mails) {
    EXPECT_EQ(m.recipient, "");
    auto r = renderer.Render(m);
    ASSERT_TRUE(r) << r.error().message;
    to.insert(r->to);
    EXPECT_EQ(r->subject, "Good news");
    EXPECT_TRUE(r->unsubscribe_url.starts_with("https://sign.example.org/u/unsubscribe?t="));
    EXPECT_NE(r->text.find(r->unsubscribe_url), std::string::npos);
    EXPECT_NE(r->html.find("<strong>won</strong>"), std::string::npos);
    EXPECT_EQ(r->html.find("<script>"), std::string::npos);
    if (r->to == "two@example.org") unsubscribe_url = r->unsubscribe_url;
  }
  EXPECT_EQ(to, (std::set<std::string>{"one@example.org", "two@example.org", "three@example.org"}));

  // The link unsubscribes two@ from bees only; a forged one does nothing.
  UnsubscribeService unsubscribe(*store_, *links, clock_);
  const std::string token = unsubscribe_url.substr(unsubscribe_url.find("t=") + 2);
  std::string forged = token;
  forged.back() = forged.back() == '0' ? '1' : '0';
  EXPECT_EQ(unsubscribe.Unsubscribe(forged).error().code, Code::kNotFound);
  EXPECT_EQ(unsubscribe.Unsubscribe("1.2.3").error().code, Code::kNotFound);
  auto check = unsubscribe.Check(token);
  ASSERT_TRUE(check);
  EXPECT_EQ(check->slug, "bees");
  ASSERT_TRUE(unsubscribe.Unsubscribe(token));
  ASSERT_TRUE(unsubscribe.Unsubscribe(token));  // idempotent
  auto list = updates_->List(op, "bees");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].counts.queued, 3);
  EXPECT_EQ((*list)[0].counts.unsubscribed, 1);
  EXPECT_EQ(updates_->Preview(op, u->id)->recipients, 2);

  // A test copy goes to the address given, marked, without an unsubscribe link.
  EXPECT_EQ(updates_->TestSend(op, u->id, "").error().code, Code::kInvalidArgument);
  ASSERT_TRUE(updates_->TestSend(op, u->id, "me@example.org"));
  auto tests = Mails("update_test");
  ASSERT_EQ(tests.size(), 1u);
  EXPECT_EQ(tests[0].recipient, "me@example.org");
  auto t = renderer.Render(tests[0]);
  ASSERT_TRUE(t);
  EXPECT_EQ(t->subject, "[Test] Good news");
  EXPECT_TRUE(t->unsubscribe_url.empty());

  // Each step is in the action record.
  auto actions = accounts_->ListActions(op, ActionFilter{bees_, std::nullopt}, Page{1, 100});
  ASSERT_TRUE(actions);
  std::set<std::string> names;
  for (const auto& e : actions->items) names.insert(e.action);
  for (const char* a : {"update.draft", "update.schedule", "update.test_send"}) {
    EXPECT_TRUE(names.count(a)) << a;
  }
  EXPECT_FALSE(names.count("update.preview"));  // reading is not an action
}

TEST_F(OutreachTest, OnlyThoseWhoMaySendUpdatesCanAndOthersLearnNothing) {
  const User editor = Organizer("editor@example.org", CampaignRole::kEditor);
  const User viewer = Organizer("viewer@example.org", CampaignRole::kViewer);
  const User stranger = Organizer("stranger@example.org", std::nullopt);
  auto u = updates_->Draft(Actor::Of(editor), "bees", "Hello", "Body");
  ASSERT_TRUE(u) << u.error().message;
  EXPECT_EQ(u->author_user_id, editor.id);
  EXPECT_EQ(updates_->Draft(Actor::Of(viewer), "bees", "Hello", "Body").error().code,
            Code::kForbidden);
  EXPECT_EQ(updates_->Send(Actor::Of(viewer), u->id, std::nullopt).error().code, Code::kForbidden);
  EXPECT_EQ(updates_->Preview(Actor::Of(stranger), u->id).error().code, Code::kNotFound);
  EXPECT_EQ(updates_->List(Actor::Of(stranger), "bees").error().code, Code::kNotFound);
  // The author's own address receives the test.
  ASSERT_TRUE(updates_->TestSend(Actor::Of(editor), u->id, ""));
  ASSERT_EQ(Mails("update_test").size(), 1u);
  EXPECT_EQ(Mails("update_test")[0].recipient, "editor@example.org");
}

TEST_F(OutreachTest, SealedSignersReceiveUpdatesWithoutTheirAddressInTheOutbox) {
  // A sealed signature as the signing script keeps it: every personal field in the sealed blob.
  NewSignature s;
  s.campaign_id = bees_;
  s.form.name = "Hidden Person";
  s.form.email = "hidden@example.org";
  s.form.wants_updates = true;
  s.form.protection = Protection::kSealed;
  s.form.seal_threshold = 5;
  s.canonical_email = "hidden@example.org";
  s.source = "api";
  s.confirm_now = true;
  s.mail_payload = "{}";
  s.now = clock_.Now();
  auto signed_up = tx::Sign(*store_, s);
  ASSERT_TRUE(signed_up) << signed_up.error().message;
  ASSERT_TRUE(signed_up->signature.sealed);
  auto u = updates_->Draft(Actor::Operator(), "bees", "News", "Body");
  ASSERT_TRUE(u);
  ASSERT_TRUE(updates_->Send(Actor::Operator(), u->id, std::nullopt));
  UpdateScheduler scheduler(*store_, clock_, {}, UpdateOptions{});
  ASSERT_EQ(scheduler.RunOnce()->queued, 1);
  auto mails = Mails("update");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].recipient, "");
  EXPECT_EQ(mails[0].payload.find("hidden@"), std::string::npos);
  auto links = UnsubscribeLinks::Open(*store_);
  UpdateMailRenderer renderer(*store_, *links, "https://sign.example.org");
  auto r = renderer.Render(mails[0]);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->to, "hidden@example.org");
  EXPECT_EQ(r->text.find("Hidden Person"), std::string::npos);
}

TEST_F(OutreachTest, TheLetterIsDeliveredToTargetsWithAddressesAndTheSignersAreTold) {
  SignWanting("bees", "one@example.org", true);
  SignWanting("bees", "two@example.org", false);
  TargetDeliveryService delivery(*store_, *accounts_, *updates_, clock_,
                                 "https://sign.example.org");
  const User viewer = Organizer("viewer@example.org", CampaignRole::kViewer);
  EXPECT_EQ(delivery.Send(Actor::Of(viewer), "bees").error().code, Code::kForbidden);

  auto preview = delivery.Preview(Actor::Operator(), "bees");
  ASSERT_TRUE(preview) << preview.error().message;
  EXPECT_EQ(preview->recipients, std::vector<std::string>{"dana@acme.example"});
  EXPECT_EQ(preview->without_email, std::vector<std::string>{"No Mail"});
  EXPECT_EQ(preview->delivery.confirmed, 2);

  auto rec = delivery.Send(Actor::Operator(), "bees");
  ASSERT_TRUE(rec) << rec.error().message;
  EXPECT_EQ(rec->confirmed, 2);
  EXPECT_EQ(rec->recipients, std::vector<std::string>{"dana@acme.example"});
  auto mails = Mails("delivery");
  ASSERT_EQ(mails.size(), 1u);
  EXPECT_EQ(mails[0].recipient, "dana@acme.example");
  DeliveryMailRenderer renderer(*store_);
  auto r = renderer.Render(mails[0]);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ(r->subject, "Open letter: Save the bees");
  ASSERT_EQ(r->attachments.size(), 1u);
  EXPECT_EQ(r->attachments[0].content_type, "application/pdf");
  EXPECT_EQ(r->attachments[0].filename, "bees-letter.pdf");
  EXPECT_TRUE(r->attachments[0].data.starts_with("%PDF-"));
  EXPECT_NE(r->text.find("signed by 2 people"), std::string::npos);

  // The "delivered" update is scheduled now, to the one who asked.
  auto list = updates_->List(Actor::Operator(), "bees");
  ASSERT_TRUE(list);
  ASSERT_EQ(list->size(), 1u);
  EXPECT_EQ((*list)[0].update.kind, "delivered");
  EXPECT_EQ((*list)[0].update.state, UpdateState::kScheduled);
  EXPECT_NE((*list)[0].update.body_markdown.find("Dana Rivera"), std::string::npos);
  EXPECT_EQ(store_->outreach().CountUpdateRecipients(bees_).value(), 1);

  // The campaign page's note, after a refresh.
  ASSERT_TRUE(campaigns_->Load());
  auto snap = campaigns_->Snapshot("bees");
  ASSERT_TRUE(snap && snap->delivered);
  EXPECT_EQ(snap->delivered->targets, std::vector<std::string>{"Dana Rivera"});
  EXPECT_EQ(snap->delivered->confirmed, 2);

  // A campaign whose targets have no address is refused, with nothing recorded.
  auto none = delivery.Send(Actor::Operator(), "trees");
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code, Code::kInvalidArgument);
  EXPECT_NE(none.error().message.find("email address"), std::string::npos);
  EXPECT_EQ(Mails("delivery").size(), 1u);
}

TEST(LetterJsonTest, RoundTripsEveryField) {
  render::LetterPdfInput in;
  in.title = "T";
  in.demand = "D";
  in.letter_markdown = "L";
  in.targets = {{"N", "Ti", "O"}};
  in.organizer = "Organized by X";
  in.confirmed = 7;
  in.unnamed = 2;
  in.groups = {{"G", std::nullopt, 5, ""}, {"H", 9, 5, "9 named"}};
  in.signers = {{"S", "P", "G", true, "C", 86400}};
  in.organizations = {{"Org", "https://o.example", "St"}};
  in.checkpoint = render::LetterPdfCheckpoint{
      "o/log", 12, std::string(64, 'a'), 5, "https://o", 7, "note", "cmd"};
  in.campaign_url = "https://o/c/t";
  in.language = "en";
  in.made = 99;
  auto back = ParseLetterJson(LetterJson(in));
  ASSERT_TRUE(back) << back.error().message;
  EXPECT_EQ(LetterJson(*back), LetterJson(in));
  EXPECT_FALSE(back->groups[0].count);
  EXPECT_EQ(back->checkpoint->tree_size, 12u);
  EXPECT_EQ(ParseLetterJson("{}").error().code, Code::kInvalidArgument);
}

}  // namespace
}  // namespace undersigned::service
