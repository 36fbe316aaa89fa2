// CampaignPage: the campaign page, GET /c/{slug}, the public pages' hot path: rendered once per
// version of the campaign with slots (the CSRF token, the count, the log's figures, the counts
// by group), so that a request costs no store access and no template rendering once cached,
// only the slots filled in. Also renders the page uncached with a form as posted (what was
// typed, a message per field) for GET /c/{slug}/sign (sign.cc).
//
// Ownership: one per PublicSite (public_site.h); the PageKit and the LogService are borrowed
// and must outlive it. Thread-safety: every member may be called from any thread (the caches
// are behind a mutex).
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>

#include "core/error.h"
#include "core/origin.h"
#include "http/message.h"
#include "http/pages/page_kit.h"
#include "http/pages/views.h"
#include "render/spliced.h"
#include "service/campaigns.h"
#include "service/events.h"
#include "service/fundraising.h"
#include "service/log.h"

namespace undersigned::http::pages {

// True if the two snapshots render the same campaign fields and the same sign form (the same
// seals still open), whatever their counts: a page holding only those need not be rendered
// again (the embeds, embed.h).
bool SameRenderedForm(const service::CampaignSnapshot& a, const service::CampaignSnapshot& b);

class CampaignPage {
 public:
  using SnapshotPtr = std::shared_ptr<const service::CampaignSnapshot>;

  using DraftCheck = std::function<bool(const Request&, std::int64_t campaign_id)>;

  // log: the signature log; nullptr or disabled: not shown. may_see_draft: PagesDeps'.
  // oembed: the page advertises its oEmbed address (embedding is on: embed.h). fundraising,
  // events: the page shows the campaign's open fundraiser and its coming events
  // (ActionBoxes); nullptr: not those.
  CampaignPage(PageKit& kit, service::LogService* log, DraftCheck may_see_draft = nullptr,
               bool oembed = false, service::FundraisingService* fundraising = nullptr,
               service::EventService* events = nullptr)
      : kit_(kit),
        log_(log),
        may_see_draft_(std::move(may_see_draft)),
        oembed_(oembed),
        fundraising_(fundraising),
        events_(events),
        own_host_(ReferrerHost(kit.base_url())) {}

  // GET /c/{slug}. A draft is 404, except to its organizers (may_see_draft), who see it
  // uncached with a "draft" banner and no sign form.
  Response Get(const Request& req);
  // GET /c/{slug}/picture.jpg: the campaign's picture (404 when it has none, and for a draft
  // except to its organizers). With ?v= the current version (PictureUrl), cached for good.
  Response Picture(const Request& req);

  // The page of snap with form (its typed values and errors), the title prefixed with
  // title_prefix; count_slots: the count, the log's figures and the counts by group as slots
  // 1-7 (the cached page), else written in.
  // draft: with the "draft" banner its organizers see.
  Result<std::string> RenderCampaign(const SnapshotPtr& snap_ptr, bool open, const FormState& form,
                                     const std::string& title_prefix, bool count_slots,
                                     bool draft = false);

 private:
  // A rendered campaign page with slots: 0 the CSRF token, 1-4 the count, 5-6 the latest
  // checkpoint's size and this campaign's count in it, 7 the counts by group (GroupTally), 8 the
  // sign form's hidden origin field (where this visitor came from), 9 the other ways to act
  // (ActionBoxes), so a
  // new count costs no rendering of the page. It is rendered again when the campaign's fields
  // change, and when the recent signers change - at most once a second for those, since they
  // need not be live to the millisecond (the count, spliced in per request, always is).
  struct CachedCampaign {
    SnapshotPtr rendered;            // the snapshot the page was rendered from
    std::uint64_t same_version = 0;  // a later version known to render the same page
    bool open = false;
    std::int64_t rendered_ms = 0;
    std::shared_ptr<const render::Spliced> page;
  };
  struct CachedGroupTally {
    std::uint64_t version = 0;
    std::shared_ptr<const std::string> html;
  };
  struct CachedActionBoxes {
    std::int64_t read_ms = 0;  // when the store was last asked (monotonic)
    std::shared_ptr<const std::string> html;
  };
  // How long a campaign's boxes are served before the store is asked again. The fundraiser's
  // box then follows the totals live by itself (static/fundraiser.js), so this bounds only how
  // stale a first paint can be, across nodes too, at a few store reads per second per
  // campaign however many visit.
  static constexpr std::int64_t kActionBoxesMaxAgeMs = 1000;
  static constexpr std::size_t kEventsShown = 3;
  static constexpr std::int64_t kRecentSignersMaxAgeMs = 1000;

  // The snapshot of the draft campaign the request's slug names, if the request comes from one
  // of its organizers; nullptr otherwise.
  SnapshotPtr DraftFor(const Request& req);
  std::shared_ptr<const render::Spliced> CachedCampaignPage(const SnapshotPtr& snap, bool open);
  // The counts by group (group_tally.mustache) of a snapshot: rendered once per snapshot
  // version, empty for a campaign without declared groups. nullptr if rendering failed.
  std::shared_ptr<const std::string> GroupTally(const SnapshotPtr& snap);
  // The other ways to act on c that the page shows beside the sign form: its open fundraiser
  // (FundraiserBox) and its coming events (EventsBox), or "" for neither. Read from the store
  // at most once every kActionBoxesMaxAgeMs per campaign, on the calling (network) thread. A
  // failed read keeps the boxes last read (logged), so that the page never fails for them.
  std::shared_ptr<const std::string> ActionBoxes(const Campaign& c);
  // The first open fundraiser, with its exact total (campaign_fundraiser.mustache), or "".
  Result<std::string> FundraiserBox(const Campaign& c);
  // The first kEventsShown listed events with a time still to come, soonest first, each with
  // its next time in its zone, and the link to them all (campaign_events.mustache), or "".
  Result<std::string> EventsBox(const Campaign& c);
  // The values of slots 1-4 for a count.
  static std::array<std::string, 4> CountSlots(std::int64_t confirmed, std::int64_t goal);
  // The values of slots 5 and 6: the latest checkpoint's size and the campaign's count in it.
  std::array<std::string, 2> LogSlots(const std::string& campaign_uuid) const;

  // The draft page for its organizers, or nullopt (then 404).
  std::optional<Response> DraftPreview(const Request& req);

  PageKit& kit_;
  service::LogService* log_;
  DraftCheck may_see_draft_;
  const bool oembed_;
  service::FundraisingService* const fundraising_;
  service::EventService* const events_;
  const std::string own_host_;  // a referrer from here is not an origin (core/origin.h)

  std::mutex mu_;  // guards the caches below
  std::unordered_map<std::string, CachedCampaign> campaign_cache_;
  std::unordered_map<std::string, CachedGroupTally> group_tally_cache_;
  std::unordered_map<std::int64_t, CachedActionBoxes> action_boxes_cache_;
};

}  // namespace undersigned::http::pages
