// Store conformance: Campaigns, their texts and foreign identifiers.
#include <algorithm>
#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "log/leaf.h"
#include "log/proof.h"
#include "service/tx/scripts.h"
#include "store/conformance/fixture.h"

namespace undersigned::store::conformance {
namespace {

TEST_P(StoreTest, KeepsACampaignsTimeZone) {
  Campaign c = NewCampaign("zoned");
  c.time_zone = "Europe/Paris";
  auto made = store_->CreateCampaign(c);
  ASSERT_TRUE(made.has_value()) << made.error().message;
  EXPECT_EQ(store_->GetCampaignBySlug("zoned")->time_zone, "Europe/Paris");
  made->time_zone = "America/New_York";
  ASSERT_TRUE(store_->UpdateCampaign(*made).has_value());
  EXPECT_EQ(store_->GetCampaignBySlug("zoned")->time_zone, "America/New_York");
}

TEST_P(StoreTest, CampaignCrud) {
  Campaign c = MustCreate("save-the-bees");
  EXPECT_GT(c.id, 0);
  EXPECT_EQ(c.uuid.size(), 36u);
  EXPECT_EQ(c.created, kT0);

  auto by_slug = store_->GetCampaignBySlug("save-the-bees");
  ASSERT_TRUE(by_slug.has_value());
  EXPECT_EQ(by_slug->id, c.id);
  EXPECT_EQ(by_slug->title, "Title of save-the-bees");
  EXPECT_EQ(by_slug->letter_markdown, "Dear *CEO*,\n\nplease.");
  ASSERT_EQ(by_slug->targets.size(), 2u);
  EXPECT_EQ(by_slug->targets[0].bluesky_handle, "benioff.bsky.social");
  EXPECT_EQ(by_slug->targets[0].mastodon_handle, "@benioff@mastodon.social");
  EXPECT_EQ(by_slug->targets[1].name, "Ada \"Q\" Lovelace");
  EXPECT_EQ(by_slug->deadline, kT0 + 86400);
  EXPECT_EQ(by_slug->status, CampaignStatus::kOpen);

  auto by_uuid = store_->GetCampaignByUuid(c.uuid);
  ASSERT_TRUE(by_uuid.has_value());
  EXPECT_EQ(by_uuid->slug, "save-the-bees");
  auto by_id = store_->GetCampaignById(c.id);
  ASSERT_TRUE(by_id.has_value());
  EXPECT_EQ(by_id->uuid, c.uuid);

  Campaign u = *by_id;
  u.title = "New title";
  u.deadline.reset();
  u.status = CampaignStatus::kClosed;
  u.targets.pop_back();
  u.created = 0;  // ignored: created never changes
  u.modified = kT0 + 50;
  auto updated = store_->UpdateCampaign(u);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(updated->created, kT0);
  EXPECT_EQ(updated->modified, kT0 + 50);
  auto again = store_->GetCampaignBySlug("save-the-bees");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->title, "New title");
  EXPECT_FALSE(again->deadline.has_value());
  EXPECT_EQ(again->status, CampaignStatus::kClosed);
  EXPECT_EQ(again->targets.size(), 1u);
  EXPECT_EQ(again->modified, kT0 + 50);
  EXPECT_EQ(again->created, kT0);

  EXPECT_EQ(store_->GetCampaignBySlug("nope").error().code, Code::kNotFound);
  EXPECT_EQ(store_->GetCampaignById(9999).error().code, Code::kNotFound);
  EXPECT_EQ(store_->GetCampaignByUuid("nope").error().code, Code::kNotFound);
  // A caller that passes the stored modified back still moves it (to the system's clock).
  auto touched = store_->UpdateCampaign(*again);
  ASSERT_TRUE(touched.has_value());
  EXPECT_GT(touched->modified, kT0 + 50);
  EXPECT_EQ(store_->GetCampaignById(c.id)->modified, touched->modified);

  Campaign ghost = NewCampaign("ghost");
  ghost.id = 9999;
  EXPECT_EQ(store_->UpdateCampaign(ghost).error().code, Code::kNotFound);

  auto counts = store_->LoadAllCounts();
  ASSERT_TRUE(counts.has_value());
  ASSERT_EQ(counts->count(c.id), 1u);
  ExpectCounts(counts->at(c.id), 0, 0, 0);
}

TEST_P(StoreTest, SlugConflicts) {
  Campaign a = MustCreate("taken");
  Campaign b = MustCreate("other");
  auto dup = store_->CreateCampaign(NewCampaign("taken"));
  ASSERT_FALSE(dup.has_value());
  EXPECT_EQ(dup.error().code, Code::kConflict);
  EXPECT_NE(dup.error().message.find("slug"), std::string::npos);

  b.slug = "taken";
  auto upd = store_->UpdateCampaign(b);
  ASSERT_FALSE(upd.has_value());
  EXPECT_EQ(upd.error().code, Code::kConflict);
  EXPECT_EQ(store_->GetCampaignById(b.id)->slug, "other");
  EXPECT_EQ(store_->GetCampaignById(a.id)->slug, "taken");
  // The failed create left no campaign or counts behind.
  auto all = store_->ListCampaigns(std::nullopt, {}, {});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 2);
  EXPECT_EQ(store_->LoadAllCounts()->size(), 2u);
}

TEST_P(StoreTest, ListCampaignsFiltersAndPages) {
  for (int i = 0; i < 5; ++i) {
    Campaign c = NewCampaign("camp-" + std::to_string(i),
                             i % 2 == 0 ? CampaignStatus::kOpen : CampaignStatus::kDraft);
    c.created = c.modified = kT0 + i;
    ASSERT_TRUE(store_->CreateCampaign(c).has_value());
  }
  auto all = store_->ListCampaigns(std::nullopt, {}, Page{1, 2});
  ASSERT_TRUE(all.has_value());
  EXPECT_EQ(all->total, 5);
  ASSERT_EQ(all->items.size(), 2u);
  EXPECT_EQ(all->items[0].slug, "camp-4");  // newest first
  EXPECT_EQ(all->items[1].slug, "camp-3");
  auto last = store_->ListCampaigns(std::nullopt, {}, Page{3, 2});
  ASSERT_EQ(last->items.size(), 1u);
  EXPECT_EQ(last->items[0].slug, "camp-0");
  auto past = store_->ListCampaigns(std::nullopt, {}, Page{4, 2});
  EXPECT_TRUE(past->items.empty());
  EXPECT_EQ(past->total, 5);

  auto open = store_->ListCampaigns(CampaignStatus::kOpen, {}, Page{1, 25});
  EXPECT_EQ(open->total, 3);
  EXPECT_EQ(open->items.size(), 3u);
  TimeFilter f;
  f.modified_after = kT0 + 1;
  f.modified_before = kT0 + 4;
  auto window = store_->ListCampaigns(std::nullopt, f, Page{1, 25});
  EXPECT_EQ(window->total, 2);
  ASSERT_EQ(window->items.size(), 2u);
  EXPECT_EQ(window->items[0].slug, "camp-3");
}

TEST_P(StoreTest, CampaignIdentifiersAreKeptAndFound) {
  // Characters that LIKE or JSON would treat specially must match only themselves.
  const std::string odd = "odd_sys:50%\"off\"\\x'y";
  Campaign a = NewCampaign("with-ids");
  a.identifiers = {"foreign_system:1234", "crm:abc", odd};
  auto made = store_->CreateCampaign(a);
  ASSERT_TRUE(made.has_value()) << made.error().message;
  EXPECT_EQ(made->identifiers, a.identifiers);
  EXPECT_EQ(store_->GetCampaignById(made->id)->identifiers, a.identifiers);
  EXPECT_EQ(store_->GetCampaignBySlug("with-ids")->identifiers, a.identifiers);
  EXPECT_EQ(store_->GetCampaignByUuid(made->uuid)->identifiers, a.identifiers);
  Campaign plain = MustCreate("no-ids");
  EXPECT_TRUE(store_->GetCampaignById(plain.id)->identifiers.empty());

  auto find = [&](const std::string& id, std::optional<CampaignStatus> status = std::nullopt,
                  TimeFilter f = {}, Page page = {}) {
    auto r = store_->ListCampaignsByIdentifier(id, status, f, page);
    EXPECT_TRUE(r.has_value()) << r.error().message;
    return r.value_or(Paged<Campaign>{});
  };
  auto one = find("foreign_system:1234");
  EXPECT_EQ(one.total, 1);
  ASSERT_EQ(one.items.size(), 1u);
  EXPECT_EQ(one.items[0].slug, "with-ids");
  EXPECT_EQ(one.items[0].identifiers, a.identifiers);
  EXPECT_EQ(find(odd).total, 1);
  // Exact matches only: no prefixes, wildcards, case folding or pieces of the JSON text.
  for (const std::string& miss :
       {std::string("foreign_system:123"), std::string("foreign_system:%"),
        std::string("foreign%system:1234"), std::string("FOREIGN_SYSTEM:1234"),
        std::string("foreign_system:1234\",\"crm:abc"), std::string("odd_sys:50%")}) {
    auto r = find(miss);
    EXPECT_EQ(r.total, 0) << miss;
    EXPECT_TRUE(r.items.empty()) << miss;
  }
  // Status and time filters and paging apply as in ListCampaigns.
  EXPECT_EQ(find("crm:abc", CampaignStatus::kOpen).total, 1);
  EXPECT_EQ(find("crm:abc", CampaignStatus::kDraft).total, 0);
  TimeFilter later;
  later.modified_after = kT0 + 1000;
  EXPECT_EQ(find("crm:abc", std::nullopt, later).total, 0);

  // Update replaces them; several campaigns may carry the same foreign id.
  Campaign u = *made;
  u.identifiers = {"foreign_system:1234", "other_system:99"};
  auto updated = store_->UpdateCampaign(u);
  ASSERT_TRUE(updated.has_value()) << updated.error().message;
  EXPECT_EQ(store_->GetCampaignById(u.id)->identifiers, u.identifiers);
  EXPECT_EQ(find("crm:abc").total, 0);
  EXPECT_EQ(find("other_system:99").total, 1);
  Campaign b = NewCampaign("same-foreign-id");
  b.created = b.modified = kT0 + 5;
  b.identifiers = {"foreign_system:1234"};
  ASSERT_TRUE(store_->CreateCampaign(b).has_value());
  auto both = find("foreign_system:1234", std::nullopt, {}, Page{1, 1});
  EXPECT_EQ(both.total, 2);
  ASSERT_EQ(both.items.size(), 1u);
  EXPECT_EQ(both.items[0].slug, "same-foreign-id");  // newest first
  auto second = find("foreign_system:1234", std::nullopt, {}, Page{2, 1});
  ASSERT_EQ(second.items.size(), 1u);
  EXPECT_EQ(second.items[0].slug, "with-ids");
  EXPECT_TRUE(find("foreign_system:1234", std::nullopt, {}, Page{3, 1}).items.empty());
}

}  // namespace
}  // namespace undersigned::store::conformance

namespace undersigned::store::conformance {
namespace {

// A campaign's picture: kept with its description in one write, read back byte for byte, kept
// by edits (which never carry it), replaced, removed, and over a restart.
TEST_P(StoreTest, KeepsACampaignsPicture) {
  Campaign c = MustCreate("pictured");
  EXPECT_FALSE(c.image.has_value());
  EXPECT_EQ(store_->CampaignImageJpeg(c.id).error().code, Code::kNotFound);

  // Bytes with a NUL and high bytes, as a PNG has.
  const std::string png("\x89PNG\r\n\x1a\n\0\0\0\rIHDR\xff\xfe", 18);
  CampaignImage image{std::string(64, 'a'), "Nurses outside the hospital, \"holding\" signs", 640,
                      480};
  auto set = store_->SetCampaignImage(c.id, image, png);
  ASSERT_TRUE(set.has_value()) << set.error().message;
  ASSERT_TRUE(set->image.has_value());
  EXPECT_EQ(*set->image, image);
  EXPECT_GT(set->modified, c.modified);  // by a second at least: another process's Refresh
  EXPECT_EQ(*store_->CampaignImageJpeg(c.id), png);
  EXPECT_EQ(store_->GetCampaignBySlug("pictured")->image, image);

  // An edit keeps it, also when the caller's copy has none or another one.
  Campaign edit = *store_->GetCampaignById(c.id);
  edit.title = "Edited";
  edit.image.reset();
  auto edited = store_->UpdateCampaign(edit);
  ASSERT_TRUE(edited.has_value()) << edited.error().message;
  EXPECT_EQ(edited->image, image);
  EXPECT_EQ(store_->GetCampaignByUuid(c.uuid)->image, image);
  auto listed = store_->ListCampaigns(std::nullopt, {}, Page{1, 10});
  ASSERT_TRUE(listed.has_value());
  ASSERT_EQ(listed->items.size(), 1u);
  EXPECT_EQ(listed->items[0].image, image);

  // Replaced.
  CampaignImage second{std::string(64, 'b'), "A banner", 1200, 630};
  ASSERT_TRUE(store_->SetCampaignImage(c.id, second, "second").has_value());
  EXPECT_EQ(*store_->CampaignImageJpeg(c.id), "second");
  EXPECT_EQ(store_->GetCampaignById(c.id)->image, second);

  Open();
  EXPECT_EQ(store_->GetCampaignById(c.id)->image, second);
  EXPECT_EQ(*store_->CampaignImageJpeg(c.id), "second");

  // Removed; removing again is no error.
  auto removed = store_->RemoveCampaignImage(c.id);
  ASSERT_TRUE(removed.has_value()) << removed.error().message;
  EXPECT_FALSE(removed->image.has_value());
  EXPECT_FALSE(store_->GetCampaignById(c.id)->image.has_value());
  EXPECT_EQ(store_->CampaignImageJpeg(c.id).error().code, Code::kNotFound);
  EXPECT_TRUE(store_->RemoveCampaignImage(c.id).has_value());

  // Another campaign's picture is its own; an unknown campaign is kNotFound.
  Campaign other = MustCreate("other-pictured");
  ASSERT_TRUE(store_->SetCampaignImage(other.id, image, png).has_value());
  EXPECT_EQ(store_->CampaignImageJpeg(c.id).error().code, Code::kNotFound);
  EXPECT_EQ(store_->SetCampaignImage(999'999, image, png).error().code, Code::kNotFound);
  EXPECT_EQ(store_->RemoveCampaignImage(999'999).error().code, Code::kNotFound);
}

// Secondary targets (core/share_target.h): kept on create and edit, in order, text byte for byte
// (quotes, non-ASCII, placeholders), readable by slug, uuid and the listing, cleared by an edit.
TEST_P(StoreTest, KeepsSecondaryTargetsAndTheirPosts) {
  Campaign c = NewCampaign("with-speakers");
  c.secondary_targets = {
      SecondaryTarget{"Jane \"JD\" Doe",
                      "Keynote speaker, Día 1",
                      "janedoe",
                      "jane.bsky.social",
                      "@jane@mastodon.social",
                      {"{handle}, {count} of us ask you \u2014 speak up: {url}", "Second post"}},
      SecondaryTarget{"Kim", "", "", "", "", {"Kim, {count} signed"}}};
  auto made = store_->CreateCampaign(c);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_EQ(store_->GetCampaignById(made->id)->secondary_targets, c.secondary_targets);
  EXPECT_EQ(store_->GetCampaignBySlug("with-speakers")->secondary_targets, c.secondary_targets);
  Campaign edit = *made;
  edit.secondary_targets.pop_back();
  edit.secondary_targets[0].posts.push_back("A third");
  ASSERT_TRUE(store_->UpdateCampaign(edit).has_value());
  EXPECT_EQ(store_->GetCampaignByUuid(made->uuid)->secondary_targets, edit.secondary_targets);
  auto listed = store_->ListCampaigns(std::nullopt, {}, Page{1, 100});
  ASSERT_TRUE(listed);
  bool found = false;
  for (const Campaign& l : listed->items) {
    if (l.slug == "with-speakers") {
      found = true;
      EXPECT_EQ(l.secondary_targets, edit.secondary_targets);
    }
  }
  EXPECT_TRUE(found);
  edit.secondary_targets.clear();
  ASSERT_TRUE(store_->UpdateCampaign(edit).has_value());
  EXPECT_TRUE(store_->GetCampaignById(made->id)->secondary_targets.empty());
}

}  // namespace
}  // namespace undersigned::store::conformance
