// GET /c/{slug}/share/mastodon: the page where a visitor names their Mastodon server to share
// the campaign on (or copies the message); 422 with a message for an address that is not one.
// A signer's personal link (?ref=, service/referrals.h) is carried into the message and through
// the form.
#include <memory>
#include <string>

#include "core/origin.h"
#include "http/pages/origin.h"
#include "http/pages/public_site.h"
#include "http/pages/share.h"
#include "http/url.h"

namespace undersigned::http::pages {
namespace {

using render::Data;
using service::CampaignSnapshot;
using SnapshotPtr = std::shared_ptr<const CampaignSnapshot>;

Response MastodonShare(PublicSite& site, const Request& req) {
  PageKit& kit = site.kit;
  SnapshotPtr snap = kit.PublicSnapshot(req.Param("slug"));
  if (!snap) return kit.ErrorPage(CampaignNotFound());
  const Campaign& c = snap->campaign;
  const std::string url = CampaignUrl(kit.base_url(), c.slug);
  // Anybody's input: a code that is not one is dropped (CleanOrigin), never an error.
  SignatureOrigin ref;
  ref.referral = req.Query(kReferralParam).value_or("");
  ref = CleanOrigin(std::move(ref));
  const std::string text =
      ShareMessage(c, Network::kMastodon, ChannelUrl(ReferralUrl(url, ref.referral), "mastodon"));
  Data d = LayoutData(c.language, "Share on Mastodon: " + c.title, kit.site());
  d.set("slug", c.slug);
  d.set("referral", render::TextOrNothing(ref.referral));
  d.set("url", url);
  d.set("text", text);
  d.set("has_error", Data(false));
  d.set("error", "");
  d.set("instance", "");
  d.set("ready", Data(false));
  int status = 200;
  if (auto typed = req.Query("instance")) {
    d.set("instance", *typed);
    if (auto server = NormalizeMastodonServer(*typed)) {
      Data ready;
      ready.set("server", *server);
      ready.set("share_url", MastodonShareUrl(*server, text));
      d.set("ready", ready);
      d.set("instance", *server);
    } else {
      status = 422;
      d.set("has_error", Data(true));
      d.set("error", "Enter the address of a Mastodon server, like mastodon.social.");
    }
  }
  auto html = kit.Render("share_mastodon", d);
  if (!html) return kit.InternalError();
  return HtmlPage(*html, status, "no-cache");
}

}  // namespace

void AddShareRoutes(Router& router, const SitePtr& site) {
  router.Get("/c/{slug}/share/mastodon",
             [site](const Request& req) { return MastodonShare(*site, req); },
             {false, 0, "share_mastodon"});
}

}  // namespace undersigned::http::pages
