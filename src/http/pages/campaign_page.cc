#include "http/pages/campaign_page.h"

#include <algorithm>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/money.h"
#include "core/time_zone.h"
#include "http/pages/origin.h"
#include "http/pages/public_site.h"
#include "http/url.h"
#include "render/spliced.h"
#include "render/text.h"
#include "service/accounts.h"

namespace undersigned::http::pages {
namespace {

using render::Data;
using render::DataList;
using render::Spliced;
using service::CampaignSnapshot;

bool SameTargets(const std::vector<Target>& a, const std::vector<Target>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].title != b[i].title ||
        a[i].organization != b[i].organization || a[i].x_handle != b[i].x_handle ||
        a[i].bluesky_handle != b[i].bluesky_handle ||
        a[i].mastodon_handle != b[i].mastodon_handle) {
      return false;
    }
  }
  return true;
}

// True if two campaigns render the same page (modified and counts are not shown).
bool SameFields(const Campaign& x, const Campaign& y) {
  return x.id == y.id && x.slug == y.slug && x.title == y.title && x.demand == y.demand &&
         x.goal == y.goal && x.deadline == y.deadline && x.status == y.status &&
         x.language == y.language && x.letter_markdown == y.letter_markdown &&
         x.threshold == y.threshold && x.outcome == y.outcome && x.outcome_at == y.outcome_at &&
         x.groups == y.groups && x.anonymity_floor == y.anonymity_floor &&
         x.organized_by == y.organized_by && x.image == y.image &&
         x.secondary_targets == y.secondary_targets && SameTargets(x.targets, y.targets);
}

bool SameRecent(const CampaignSnapshot& a, const CampaignSnapshot& b) {
  if (a.recent.size() != b.recent.size()) return false;
  for (std::size_t i = 0; i < a.recent.size(); ++i) {
    const PublicSigner& x = a.recent[i];
    const PublicSigner& y = b.recent[i];
    if (x.name != y.name || x.comment != y.comment || x.confirmed != y.confirmed ||
        x.group != y.group || x.verified != y.verified || x.anonymous != y.anonymous) {
      return false;
    }
  }
  return true;
}

// True if two snapshots list the same co-signing organizations the same way.
bool SameOrganizations(const CampaignSnapshot& a, const CampaignSnapshot& b) {
  if (a.organizations.size() != b.organizations.size()) return false;
  for (std::size_t i = 0; i < a.organizations.size(); ++i) {
    const Organization& x = a.organizations[i];
    const Organization& y = b.organizations[i];
    if (x.uuid != y.uuid || x.form.name != y.form.name || x.form.website != y.form.website ||
        x.form.statement != y.form.statement || x.has_logo != y.has_logo) {
      return false;
    }
  }
  return true;
}

// True if the sign form offers the same seals for both snapshots: a seal the group has just
// reached must leave the form at once, not a second later.
bool SameOpenSeals(const CampaignSnapshot& a, const CampaignSnapshot& b) {
  for (const SignerGroup& g : b.campaign.groups) {
    if (g.seal_thresholds.empty()) continue;
    if (OpenSealThresholds(g, a.campaign.anonymity_floor, GroupConfirmed(a.counts, g.key)) !=
        OpenSealThresholds(g, b.campaign.anonymity_floor, GroupConfirmed(b.counts, g.key))) {
      return false;
    }
  }
  return true;
}

}  // namespace

bool SameRenderedForm(const CampaignSnapshot& a, const CampaignSnapshot& b) {
  return SameFields(a.campaign, b.campaign) && SameOpenSeals(a, b);
}

// The hot path: no store access, no template rendering once cached.
Response CampaignPage::Get(const Request& req) {
  SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
  if (!snap) {
    if (auto draft = DraftPreview(req)) return std::move(*draft);
    return kit_.ErrorPage(CampaignNotFound());
  }
  const bool open = TakesSignatures(snap->campaign, kit_.clock().Now());
  auto page = CachedCampaignPage(snap, open);
  if (!page) return kit_.InternalError();
  const FormCsrf csrf = kit_.CsrfFor(req);
  const auto count = CountSlots(snap->counts.confirmed, snap->campaign.goal);
  const auto log = LogSlots(snap->campaign.uuid);
  const auto groups = GroupTally(snap);
  if (!groups) return kit_.InternalError();
  const std::string origin = OriginInputHtml(LandingOrigin(req, own_host_));
  const auto boxes = ActionBoxes(snap->campaign);
  Response r = Response::Html(page->Fill({csrf.token, count[0], count[1], count[2], count[3],
                                          log[0], log[1], *groups, origin, *boxes}));
  r.Header("Cache-Control", "private, no-cache");
  kit_.SetCookie(csrf, &r);
  return r;
}

CampaignPage::SnapshotPtr CampaignPage::DraftFor(const Request& req) {
  // Only a slug that names a draft, from a browser with a session cookie, costs a look at the
  // session (a couple of indexed reads, on this network thread: drafts are never the hot path,
  // and a public campaign never gets here).
  if (!may_see_draft_ || req.Cookie(service::kSessionCookie).empty()) return nullptr;
  const std::string slug = req.Param("slug");
  if (slug.empty() || slug.size() > 64) return nullptr;
  SnapshotPtr snap = kit_.campaigns().Snapshot(slug);
  if (!snap || snap->campaign.status != CampaignStatus::kDraft) return nullptr;
  if (!may_see_draft_(req, snap->campaign.id)) return nullptr;
  return snap;
}

std::optional<Response> CampaignPage::DraftPreview(const Request& req) {
  SnapshotPtr snap = DraftFor(req);
  if (!snap) return std::nullopt;
  FormState form;
  auto html = RenderCampaign(snap, /*open=*/false, form, "Draft: ", /*count_slots=*/false,
                             /*draft=*/true);
  if (!html) return kit_.InternalError();
  Response r = HtmlPage(*html, 200, "no-store");
  r.Header("X-Robots-Tag", "noindex");
  return r;
}

Response CampaignPage::Picture(const Request& req) {
  SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
  const bool draft = !snap;
  if (draft) snap = DraftFor(req);
  auto none = [&] {
    return kit_.ErrorPage({404, "Picture not found", {"This campaign has no picture."}});
  };
  if (!snap || !snap->campaign.image) return none();
  const CampaignImage& image = *snap->campaign.image;
  const std::string etag = "\"" + image.sha256 + "\"";
  auto bytes = kit_.campaigns().ImageBytes(snap->campaign.id, image);
  if (!bytes) {
    if (bytes.error().code == Code::kNotFound) return none();
    spdlog::error("pages: picture of {}: {}", snap->campaign.slug, bytes.error().message);
    return kit_.InternalError();
  }
  Response r;
  // A versioned address names these bytes for good; the bare one follows the current picture.
  const bool versioned = req.Query("v").value_or("") == PictureVersion(image);
  r.Header("Cache-Control", draft       ? "private, no-store"
                            : versioned ? "public, max-age=31536000, immutable"
                                        : "public, max-age=300");
  r.Header("ETag", etag);
  r.Header("X-Content-Type-Options", "nosniff");
  if (!draft && req.Header("if-none-match") == etag) {
    r.status = 304;
    return r;
  }
  r.content_type = "image/jpeg";
  r.body = **bytes;
  return r;
}

std::shared_ptr<const Spliced> CampaignPage::CachedCampaignPage(const SnapshotPtr& snap,
                                                                bool open) {
  const std::string& slug = snap->campaign.slug;
  const std::int64_t now_ms = kit_.clock().MonotonicMillis();
  {
    std::lock_guard lock(mu_);
    auto it = campaign_cache_.find(slug);
    if (it != campaign_cache_.end() && it->second.open == open) {
      CachedCampaign& e = it->second;
      if (e.rendered->version == snap->version || e.same_version == snap->version) {
        return e.page;
      }
      if (SameFields(e.rendered->campaign, snap->campaign) &&
          SameOrganizations(*e.rendered, *snap) && SameOpenSeals(*e.rendered, *snap) &&
          e.rendered->delivered == snap->delivered) {
        if (SameRecent(*e.rendered, *snap)) {
          e.same_version = std::max(e.same_version, snap->version);
          return e.page;
        }
        if (now_ms - e.rendered_ms < kRecentSignersMaxAgeMs) return e.page;
      }
    }
  }
  FormState form;
  form.csrf = render::SlotPlaceholder(0);
  form.origin_html = render::SlotPlaceholder(8);
  auto html = RenderCampaign(snap, open, form, "", /*count_slots=*/true);
  if (!html) return nullptr;
  auto page = std::make_shared<const Spliced>(Spliced::Cut(*html, 10));
  std::lock_guard lock(mu_);
  auto [it, inserted] = campaign_cache_.try_emplace(slug);
  if (inserted || it->second.rendered->version <= snap->version) {
    it->second = CachedCampaign{snap, 0, open, now_ms, page};
  }
  return page;
}

std::shared_ptr<const std::string> CampaignPage::GroupTally(const SnapshotPtr& snap) {
  static const auto kNone = std::make_shared<const std::string>();
  if (snap->campaign.groups.empty()) return kNone;
  {
    std::lock_guard lock(mu_);
    auto it = group_tally_cache_.find(snap->campaign.slug);
    if (it != group_tally_cache_.end() && it->second.version == snap->version) {
      return it->second.html;
    }
  }
  auto html = kit_.Render("group_tally", GroupTallyData(snap->campaign, snap->counts));
  if (!html) return nullptr;
  auto shared = std::make_shared<const std::string>(std::move(*html));
  std::lock_guard lock(mu_);
  auto [it, inserted] = group_tally_cache_.try_emplace(snap->campaign.slug);
  if (inserted || it->second.version <= snap->version) {
    it->second = CachedGroupTally{snap->version, shared};
  }
  return shared;
}

std::shared_ptr<const std::string> CampaignPage::ActionBoxes(const Campaign& c) {
  static const auto kNone = std::make_shared<const std::string>();
  if (fundraising_ == nullptr && events_ == nullptr) return kNone;
  const std::int64_t now_ms = kit_.clock().MonotonicMillis();
  std::shared_ptr<const std::string> last = kNone;
  {
    std::lock_guard lock(mu_);
    auto it = action_boxes_cache_.find(c.id);
    if (it != action_boxes_cache_.end()) {
      if (now_ms - it->second.read_ms < kActionBoxesMaxAgeMs) return it->second.html;
      last = it->second.html;
      // The others asking meanwhile are served the boxes last read: one read per interval.
      it->second.read_ms = now_ms;
    } else {
      action_boxes_cache_[c.id] = CachedActionBoxes{now_ms, kNone};
    }
  }
  std::string html;
  for (auto part : {&CampaignPage::FundraiserBox, &CampaignPage::EventsBox}) {
    auto box = (this->*part)(c);
    if (!box) {
      spdlog::warn("campaign page: campaign {}'s boxes: {}", c.slug, box.error().message);
      return last;
    }
    html += *box;
  }
  auto shared = html.empty() ? kNone : std::make_shared<const std::string>(std::move(html));
  std::lock_guard lock(mu_);
  action_boxes_cache_[c.id] = CachedActionBoxes{now_ms, shared};
  return shared;
}

Result<std::string> CampaignPage::FundraiserBox(const Campaign& c) {
  if (fundraising_ == nullptr) return std::string();
  auto view = fundraising_->ForCampaign(c.id);
  if (!view) return Fail(view.error());
  if (!*view) return std::string();
  const Fundraiser& f = (*view)->fundraiser;
  const FundraiserTotals& t = (*view)->totals;
  Data d;
  d.set("slug", f.slug);
  d.set("title", f.title);
  d.set("total_text", DisplayAmount(t.amount_minor, f.currency));
  d.set("goal_text", DisplayAmount(f.goal_minor, f.currency));
  d.set("goal", std::to_string(std::max<std::int64_t>(f.goal_minor, 1)));
  d.set("total", std::to_string(std::clamp<std::int64_t>(t.amount_minor, 0, f.goal_minor)));
  d.set("percent", std::to_string(render::PercentOf(t.amount_minor, f.goal_minor)));
  d.set("donations", render::FormatThousands(t.donations));
  d.set("donations_noun", t.donations == 1 ? "gift" : "gifts");
  return kit_.Render("campaign_fundraiser", d);
}

Result<std::string> CampaignPage::EventsBox(const Campaign& c) {
  if (events_ == nullptr) return std::string();
  auto listed = events_->Listed(c.slug);
  if (!listed) return Fail(listed.error());
  // The listed events with a time still to come, soonest first.
  const UnixTime now = kit_.clock().Now();
  std::vector<std::pair<const EventSlot*, const Event*>> coming;
  for (const service::PublicEvent& p : *listed) {
    if (p.event.status != EventStatus::kListed) continue;
    const EventSlot* next = nullptr;
    for (const EventSlot& s : p.slots) {
      if (s.ends > now && (next == nullptr || s.starts < next->starts)) next = &s;
    }
    if (next != nullptr) coming.emplace_back(next, &p.event);
  }
  if (coming.empty()) return std::string();
  std::sort(coming.begin(), coming.end(),
            [](const auto& a, const auto& b) { return a.first->starts < b.first->starts; });
  DataList items;
  for (std::size_t i = 0; i < coming.size() && i < kEventsShown; ++i) {
    Data e;
    e.set("title", coming[i].second->title);
    e.set("url",
          "/c/" + PercentEncode(c.slug) + "/events/" + PercentEncode(coming[i].second->slug));
    e.set("when", DescribeTime(coming[i].first->starts, coming[i].first->time_zone));
    items.push_back(std::move(e));
  }
  Data d;
  d.set("items", Data(items));
  d.set("more", Data(coming.size() > kEventsShown));
  d.set("all_url", "/c/" + PercentEncode(c.slug) + "/agenda");
  return kit_.Render("campaign_events", d);
}

std::array<std::string, 4> CampaignPage::CountSlots(std::int64_t confirmed, std::int64_t goal) {
  if (goal < 1) goal = 1;
  return {render::FormatThousands(confirmed), confirmed == 1 ? "signature" : "signatures",
          std::to_string(confirmed < 0 ? 0 : std::min(confirmed, goal)),
          std::to_string(render::PercentOf(confirmed, goal))};
}

Result<std::string> CampaignPage::RenderCampaign(const SnapshotPtr& snap_ptr, bool open,
                                                 const FormState& form,
                                                 const std::string& title_prefix, bool count_slots,
                                                 bool draft) {
  const CampaignSnapshot& snap = *snap_ptr;
  Data d = CampaignPageData(snap, kit_.base_url(), kit_.site(), open);
  d.set("draft_banner", Data(draft));
  if (draft) d.set("noindex", Data(true));
  if (oembed_ && !draft) {
    d.set("oembed_url", kit_.base_url() + "/oembed?format=json&url=" +
                            PercentEncode(CampaignUrl(kit_.base_url(), snap.campaign.slug)));
  }
  if (count_slots) {
    d.set("group_tally_html", render::SlotPlaceholder(7));
    d.set("action_boxes_html", render::SlotPlaceholder(9));
  } else {
    auto groups = GroupTally(snap_ptr);
    if (!groups) return Fail(Code::kInternal, "rendering the counts by group");
    d.set("group_tally_html", *groups);
    d.set("action_boxes_html", *ActionBoxes(snap.campaign));
  }
  if (!title_prefix.empty()) d.set("page_title", title_prefix + snap.campaign.title);
  if (count_slots) {
    Data count = CountData(snap.counts.confirmed, snap.campaign.goal);
    count.set("confirmed_text", render::SlotPlaceholder(1));
    count.set("noun", render::SlotPlaceholder(2));
    count.set("value", render::SlotPlaceholder(3));
    count.set("percent", render::SlotPlaceholder(4));
    d.set("count", count);
  }
  if (log_ != nullptr && log_->enabled()) {
    // The campaign's count at the latest signed checkpoint (slots 5 and 6 when cached).
    Data log;
    auto checkpoint = log_->Latest();
    std::int64_t at_checkpoint = 0;
    if (checkpoint) {
      auto it = checkpoint->confirmed.find(snap.campaign.uuid);
      if (it != checkpoint->confirmed.end()) at_checkpoint = it->second;
    }
    log.set("size", count_slots ? render::SlotPlaceholder(5)
                                : render::FormatThousands(checkpoint ? checkpoint->size : 0));
    log.set("confirmed",
            count_slots ? render::SlotPlaceholder(6) : render::FormatThousands(at_checkpoint));
    log.set("audit_command", "undersigned log audit " + kit_.base_url());
    d.set("log", log);
  }
  d.set("form", FormData(form, snap.campaign.groups, &snap.counts, snap.campaign.anonymity_floor));
  return kit_.Render("campaign", d);
}

std::array<std::string, 2> CampaignPage::LogSlots(const std::string& campaign_uuid) const {
  auto checkpoint = log_ != nullptr ? log_->Latest() : nullptr;
  if (!checkpoint) return {"0", "0"};
  auto it = checkpoint->confirmed.find(campaign_uuid);
  return {render::FormatThousands(static_cast<std::int64_t>(checkpoint->size)),
          render::FormatThousands(it == checkpoint->confirmed.end() ? 0 : it->second)};
}

void AddCampaignPageRoutes(Router& router, const SitePtr& site) {
  router.Get("/c/{slug}", [site](const Request& req) { return site->campaign_page.Get(req); },
             {false, 0, "campaign_page"});
  router.Get("/c/{slug}/picture.jpg",
             [site](const Request& req) { return site->campaign_page.Picture(req); },
             {true, 0, "campaign_picture"});
}

}  // namespace undersigned::http::pages
