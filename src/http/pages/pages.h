// The public pages: what a visitor sees and posts (issue 2, section 3). Server-rendered HTML
// that works without JavaScript; static/live.js only makes the count live.
//
//   GET  /                          open campaigns
//   GET  /c/{slug}                  campaign page with the sign form (hot path: cached per
//                                   campaign version, only the CSRF token spliced in per request)
//   POST /c/{slug}/sign             sign (form-urlencoded, CSRF-checked); "check your email"
//   GET  /c/{slug}/sign             303 to the campaign page (a reload after an error)
//   GET  /c/{slug}.json             public counts, any origin may read them
//   GET  /c/{slug}/events           server-sent "count" events (topic "campaign:<slug>")
//   GET  /c/{slug}/share/mastodon   choose a Mastodon server to share on, or copy the text
//   GET  /c/{slug}/card.png         the Open Graph card (the page's og:image), 1200x630
//   GET  /c/{slug}/flyer.pdf        a printable flyer with a QR code (A4; ?paper=letter)
//   GET  /c/{slug}/poster.pdf       the same as an A3 poster (share_images.cc)
//   GET  /c/{slug}/embed            the signing widget other sites frame (embed.cc), and its
//   POST /c/{slug}/embed/sign       form, answered in the frame (sign.cc)
//   GET  /c/{slug}/embed/count      the live counter other sites frame
//   GET  /oembed?url=               oEmbed (JSON) for a campaign's page or counter
//   GET  /c/{slug}/ask/{n}          a person who can move the targets, with posts to send them,
//   GET  /c/{slug}/ask/{n}/send     one in turn; /send leads to the network's share intent
//   GET  /s/confirm?t=  POST /s/confirm    page with a button; only the POST confirms
//   GET  /s/withdraw?t= POST /s/withdraw   same for withdrawing
//                                   (the confirmed page offers the receipt, http/log/routes.h)
//   GET  /favicon.ico               301 to /static/favicon.svg
// (co-signing organizations have their own pages: http/pages/organizations.h; the campaign
// page lists the approved ones from the snapshot)
// and the router's browser 404 page. /static itself is mounted by app/ (Router::AddStatic).
//
// One use case per file (home.cc, campaign_page.cc, sign.cc, token_pages.cc, counts.cc,
// share_mastodon.cc), sharing one PublicSite (http/pages/public_site.h); RegisterPages only
// wires them. Their failed calls are answered through PageKit::ErrorResponse (page_kit.h).
//
// Thread-safety: RegisterPages runs once at start-up; the handlers it installs are thread-safe
// and share one internal state object (caches behind a mutex) owned by the routes.
// Ownership: the services and templates in PagesDeps are borrowed and must outlive the Router.
#pragma once

#include <functional>
#include <string>

#include "core/clock.h"
#include "http/pages/views.h"
#include "http/router.h"
#include "render/templates.h"
#include "service/campaigns.h"
#include "service/log.h"
#include "service/referrals.h"
#include "service/signing.h"

namespace undersigned::http {

struct PagesDeps {
  service::CampaignService& campaigns;
  service::SigningService& signing;
  const render::Templates& templates;
  std::string base_url;          // "https://sign.example.org", no trailing slash (one is stripped)
  std::string csrf_secret;       // any length; e.g. Store::InstanceSecret("csrf")
  pages::SiteInfo site;          // who runs the site (header, footer)
  const Clock* clock = nullptr;  // for deadlines; nullptr = Clock::System()
  service::LogService* log = nullptr;  // the signature log; nullptr or disabled: not shown
  // Where confirmation mail really goes, when it is not a mailbox (the demo writes .eml files):
  // shown on the "check your email" page. Empty: mail is sent, nothing is said.
  std::string mail_note;
  // The secret the flash cookie's key is derived from (http/pages/flash.h), the same on every
  // node: Store::InstanceSecret("flash-key"). Empty: a key of this process only.
  std::string flash_secret;
  // Whether the request comes from someone who may see the draft campaign with that id (an
  // organizer signed in to the console: http/console/console.h MaySeeDraft). Empty: drafts are
  // 404 for everyone. Asked only for a slug that names a draft, with a session cookie.
  std::function<bool(const Request&, std::int64_t campaign_id)> may_see_draft;
  // Who may frame the embeds (http/pages/embed.h): pages::ParseFrameAncestors's result of
  // server.embed_ancestors; "" turns embedding off.
  std::string embed_ancestors = "*";
  // Signers' personal links (service/referrals.h): offered on the thank-you page and at
  // /s/shares. nullptr: none.
  service::ReferralService* referrals = nullptr;
};

void RegisterPages(Router& router, PagesDeps deps);

// {"slug","title","status","goal","confirmed","last_change"} (last_change ISO 8601, UTC, "Z"),
// plus "threshold" and "outcome" for a campaign with a threshold, "groups" for a campaign that
// declares signer groups ([{"key","name", "confirmed" once it reaches the campaign's anonymity
// floor, else "fewer_than": the floor, "goal" if set}], in the campaign's order), and
// "log":{"tree_size","confirmed"} (the campaign's count at that checkpoint) when a checkpoint is
// given, and "organizations": the number of approved co-signing organizations, when there are
// any (counts.cc). The body of GET /c/{slug}.json and of each "count" event the app
// publishes to "campaign:<slug>", so both always match.
// "status" is the status at now (StatusAt: closed once the deadline passed), as on every other
// surface.
std::string CountsJson(const service::CampaignSnapshot& snap, UnixTime now,
                       const service::PublishedCheckpoint* log = nullptr);

// The EventHub topic of a campaign's live count: "campaign:<slug>".
std::string CampaignTopic(const std::string& slug);

}  // namespace undersigned::http
