// DashboardService over a real SQLite store: who may read what, the figures, the list and its
// CSV, and the rules of what a row shows.
#include "service/dashboard.h"

#include <sstream>

#include <nlohmann/json.hpp>

#include "service/test_fixture.h"

namespace undersigned::service {
namespace {

class DashboardTest : public ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    accounts_ = std::make_unique<AccountService>(*store_, clock_);
    dashboard_ = std::make_unique<DashboardService>(*store_, *accounts_, clock_);
    Create(OpenCampaign("bees", "Save the bees"));
    campaign_id_ = store_->GetCampaignBySlug("bees")->id;
  }
  void CloseServices() override {
    dashboard_.reset();
    accounts_.reset();
    ServiceFixture::CloseServices();
  }

  // Signs through the form's path (pending until confirmed) with an origin.
  Signature Sign(const std::string& email, const std::string& name, SignatureOrigin origin,
                 bool updates = false) {
    SignatureForm f;
    f.name = name;
    f.email = email;
    f.country = "DE";
    f.public_name = true;
    f.wants_updates = updates;
    SignContext ctx;
    ctx.source = "form";
    ctx.origin = std::move(origin);
    auto r = signing_->Sign("bees", f, ctx);
    EXPECT_TRUE(r) << r.error().message;
    return r ? r->signature : Signature{};
  }
  // Follows the confirmation link mailed to email.
  void Confirm(const std::string& email) {
    auto due = store_->DueOutbox(kOutboxNever - 1, 1000);
    ASSERT_TRUE(due);
    for (const OutboxMessage& m : *due) {
      if (m.recipient == email && m.kind == "confirm") {
        ASSERT_TRUE(signing_->Confirm(nlohmann::json::parse(m.payload).at("token")));
        return;
      }
    }
    FAIL() << "no confirm mail to " << email;
  }
  Actor Member(const std::string& email, CampaignRole role) {
    auto u = accounts_->CreateUser(Actor::Operator(), email, "", false);
    EXPECT_TRUE(u) << u.error().message;
    auto m = accounts_->AddMember(Actor::Operator(), campaign_id_, email, role);
    EXPECT_TRUE(m) << m.error().message;
    return Actor::Of(*u);
  }

  std::unique_ptr<AccountService> accounts_;
  std::unique_ptr<DashboardService> dashboard_;
  std::int64_t campaign_id_ = 0;
};

TEST_F(DashboardTest, TheFiguresCountBySourceAndOverTime) {
  Sign("a@example.org", "Ada", {"", "newsletter", "email", "", ""});
  Sign("b@example.org", "Bob", {"", "", "", "", "mastodon"});
  Sign("c@example.org", "Cy", {"", "", "", "", "mastodon"});
  clock_.Advance(3600);
  Sign("d@example.org", "Di", {"news.example.org", "", "", "", ""});
  Confirm("a@example.org");
  Confirm("b@example.org");

  auto d = dashboard_->Overview(Actor::Operator(), "bees");
  ASSERT_TRUE(d) << d.error().message;
  EXPECT_EQ(d->counts.confirmed, 2);
  EXPECT_EQ(d->counts.pending, 2);
  EXPECT_DOUBLE_EQ(d->confirmation_rate, 0.5);
  // Two hours with moves: three new signatures, then one more and two confirmations.
  ASSERT_EQ(d->signed_series.size(), 2u);
  EXPECT_EQ(d->signed_series[0].count, 3);
  EXPECT_EQ(d->signed_series[1].count, 1);
  EXPECT_EQ(d->confirmed_series[1].count, 2);
  // Two through Mastodon (one confirmed) and two without a channel: a tie, ordered by key.
  ASSERT_EQ(d->channels.top.size(), 2u);
  EXPECT_EQ(d->channels.top[0].key, "");
  EXPECT_EQ(d->channels.top[1].key, "mastodon");
  EXPECT_EQ(d->channels.top[1].confirmed, 1);
  EXPECT_EQ(d->channels.top[1].pending, 1);
  ASSERT_FALSE(d->utm_sources.top.empty());
  bool newsletter = false, news = false;
  for (const TallyRow& r : d->utm_sources.top) newsletter = newsletter || r.key == "newsletter";
  for (const TallyRow& r : d->referrers.top) news = news || r.key == "news.example.org";
  EXPECT_TRUE(newsletter);
  EXPECT_TRUE(news);
  EXPECT_EQ(d->outbox.queued, 4);  // four confirmation mails, none sent here
  EXPECT_EQ(d->outbox_as_of, clock_.Now());
  EXPECT_TRUE(d->outbox_is_instance_wide);

  // Top 1: the rest is summed.
  DashboardRange top1;
  top1.top = 1;
  auto small = dashboard_->Overview(Actor::Operator(), "bees", top1);
  ASSERT_TRUE(small);
  ASSERT_EQ(small->channels.top.size(), 1u);
  EXPECT_EQ(small->channels.other_keys, 1);
  EXPECT_EQ(small->channels.other.pending + small->channels.other.confirmed, 2);

  // The chart, per hour and per day.
  auto chart = dashboard_->SignaturesChart(Actor::Operator(), "bees");
  ASSERT_TRUE(chart) << chart.error().message;
  EXPECT_EQ(chart->total, 4);
  EXPECT_NE(chart->svg.find("<svg"), std::string::npos);
  EXPECT_NE(chart->table_html.find("<table"), std::string::npos);
  DashboardRange daily;
  daily.bucket = render::ChartBucket::kDay;
  auto per_day = dashboard_->SignaturesChart(Actor::Operator(), "bees", daily);
  ASSERT_TRUE(per_day);
  EXPECT_EQ(per_day->total, 4);

  // The outbox's counts are read again only kOutboxSeconds later (they read the whole table).
  Sign("e@example.org", "Eve", {});
  clock_.Advance(DashboardService::kOutboxSeconds - 1);
  auto soon = dashboard_->Overview(Actor::Operator(), "bees");
  ASSERT_TRUE(soon);
  EXPECT_EQ(soon->outbox.queued, 4);
  EXPECT_EQ(soon->outbox_as_of, d->outbox_as_of);
  EXPECT_EQ(soon->counts.pending, 3);  // (the counts are exact)
  clock_.Advance(1);
  auto later = dashboard_->Overview(Actor::Operator(), "bees");
  ASSERT_TRUE(later);
  EXPECT_EQ(later->outbox.queued, 5);
  EXPECT_EQ(later->outbox_as_of, clock_.Now());
}

TEST_F(DashboardTest, BadRangesAreRefusedWithAMessage) {
  DashboardRange backwards;
  backwards.from = clock_.Now();
  backwards.to = clock_.Now() - 10;
  auto r = dashboard_->Overview(Actor::Operator(), "bees", backwards);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_TRUE(r.error().field_errors.count("from"));
  DashboardRange too_long;
  too_long.from = clock_.Now() - 400 * 86400;
  EXPECT_EQ(dashboard_->SignaturesChart(Actor::Operator(), "bees", too_long).error().code,
            Code::kInvalidArgument);
  DashboardRange no_top;
  no_top.top = 0;
  EXPECT_EQ(dashboard_->Overview(Actor::Operator(), "bees", no_top).error().code,
            Code::kInvalidArgument);
  EXPECT_EQ(dashboard_->Overview(Actor::Operator(), "nope").error().code, Code::kNotFound);
  EXPECT_EQ(dashboard_->Signatures(Actor::Operator(), "bees", {}, Page{0, 10}).error().code,
            Code::kInvalidArgument);
}

TEST_F(DashboardTest, RolesDecideWhoSeesWhat) {
  Sign("a@example.org", "Ada", {});
  const Actor viewer = Member("viewer@example.org", CampaignRole::kViewer);
  const Actor editor = Member("editor@example.org", CampaignRole::kEditor);
  auto stranger_user = accounts_->CreateUser(Actor::Operator(), "x@example.org", "", false);
  ASSERT_TRUE(stranger_user);
  const Actor stranger = Actor::Of(*stranger_user);

  EXPECT_TRUE(dashboard_->Overview(viewer, "bees"));
  EXPECT_TRUE(dashboard_->Signatures(viewer, "bees", {}, Page{1, 10}));
  std::ostringstream csv;
  EXPECT_EQ(dashboard_->ExportCsv(viewer, "bees", {}, csv).error().code, Code::kForbidden);
  EXPECT_EQ(csv.str(), "");  // nothing written before the refusal
  EXPECT_TRUE(dashboard_->ExportCsv(editor, "bees", {}, csv));
  // Someone without a role learns nothing, not even that the campaign exists.
  EXPECT_EQ(dashboard_->Overview(stranger, "bees").error().code, Code::kNotFound);
  EXPECT_EQ(dashboard_->Signatures(stranger, "bees", {}, Page{1, 10}).error().code,
            Code::kNotFound);
  // Removed: refused at once.
  ASSERT_TRUE(accounts_->RemoveMember(Actor::Operator(), campaign_id_, *viewer.user_id));
  EXPECT_FALSE(dashboard_->Signatures(viewer, "bees", {}, Page{1, 10}));
}

TEST_F(DashboardTest, TheListShowsAnEmailOnlyForUpdatesAndTheCsvMatchesIt) {
  Sign("quiet@example.org", "Quiet Signer", {"", "", "", "", "x"});
  Sign("news@example.org", "=Wants News", {}, /*updates=*/true);
  Confirm("quiet@example.org");
  auto list = dashboard_->Signatures(Actor::Operator(), "bees", {}, Page{1, 10});
  ASSERT_TRUE(list) << list.error().message;
  ASSERT_EQ(list->total, 2);
  const SignerRow& news = list->rows[0];  // newest first
  const SignerRow& quiet = list->rows[1];
  EXPECT_EQ(news.email, "news@example.org");
  EXPECT_EQ(news.state, "pending");
  EXPECT_EQ(quiet.email, "");
  EXPECT_EQ(quiet.state, "confirmed");
  EXPECT_EQ(quiet.source, "form (channel x)");
  EXPECT_EQ(quiet.visibility, "public");
  EXPECT_EQ(quiet.country, "DE");

  SignatureSearch by_channel;
  by_channel.source = "x";
  auto found = dashboard_->Signatures(Actor::Operator(), "bees", by_channel, Page{1, 10});
  ASSERT_TRUE(found);
  ASSERT_EQ(found->total, 1);
  EXPECT_EQ(found->rows[0].name, "Quiet Signer");

  std::ostringstream csv;
  ASSERT_TRUE(dashboard_->ExportCsv(Actor::Operator(), "bees", {}, csv));
  const std::string text = csv.str();
  EXPECT_EQ(text.rfind(DashboardService::CsvHeader(), 0), 0u);
  EXPECT_EQ(text.find("quiet@example.org"), std::string::npos);
  EXPECT_NE(text.find("news@example.org"), std::string::npos);
  EXPECT_NE(text.find("\"'=Wants News\""), std::string::npos);  // no formula in a spreadsheet
  EXPECT_EQ(text, DashboardService::CsvHeader() + DashboardService::CsvLine(news) +
                      DashboardService::CsvLine(quiet));
}

TEST(DashboardRowTest, ProtectedSignersShowNoIdentityNoOriginAndOnlyTheirDay) {
  Signature s;
  s.uuid = "u";
  s.form.name = "SEALEDMARKER";
  s.form.email = "sealed@example.org";
  s.form.postal_code = "12345";
  s.form.country = "DE";
  s.form.comment = "hello";
  s.form.wants_updates = true;
  s.form.protection = Protection::kSealed;
  s.sealed = true;
  s.created = 1'700'000'123;
  s.confirmed = 1'700'000'456;
  s.source = "form";
  s.origin.utm_source = "personal-list";
  s.state = SignatureState::kConfirmed;
  SignerRow r = DashboardService::RowOf(s);
  EXPECT_EQ(r.name, "");
  EXPECT_EQ(r.email, "");
  EXPECT_EQ(r.postal_code, "");
  EXPECT_EQ(r.visibility, "sealed");
  EXPECT_EQ(r.signed_at, "2023-11-14");
  EXPECT_EQ(r.source, "form");
  EXPECT_EQ(DashboardService::CsvLine(r).find("SEALEDMARKER"), std::string::npos);

  s.sealed = false;
  s.form.protection = Protection::kAnonymous;
  r = DashboardService::RowOf(s);
  EXPECT_EQ(r.name, "");
  EXPECT_EQ(r.email, "");
  EXPECT_EQ(r.visibility, "anonymous");
  EXPECT_EQ(r.source, "form");

  // Revealed: the name is public now (as on every other surface), the address still never.
  s.form.protection = Protection::kSealed;
  r = DashboardService::RowOf(s);
  EXPECT_EQ(r.name, "SEALEDMARKER");
  EXPECT_EQ(r.email, "");
  EXPECT_EQ(r.signed_at, "2023-11-14");

  s.form.protection = Protection::kNone;
  r = DashboardService::RowOf(s);
  EXPECT_EQ(r.email, "sealed@example.org");
  EXPECT_EQ(r.source, "form (utm_source personal-list)");
  EXPECT_EQ(r.signed_at, "2023-11-14T22:20:56Z");
}

TEST(DashboardTopTest, KeepsTheBiggestAndSumsTheRest) {
  TopTally t = DashboardService::Top({{"a", 5, 1}, {"b", 2, 0}, {"c", 1, 1}}, 1);
  ASSERT_EQ(t.top.size(), 1u);
  EXPECT_EQ(t.top[0].key, "a");
  EXPECT_EQ(t.other_keys, 2);
  EXPECT_EQ(t.other.confirmed, 3);
  EXPECT_EQ(t.other.pending, 1);
  EXPECT_EQ(DashboardService::Top({}, 5).other_keys, 0);
}

}  // namespace
}  // namespace undersigned::service
