// Builders of the template data (render::Data) for the public pages: the layout, a campaign
// with its counts, recent signers and share links, and the sign form with what the visitor typed
// and one message per invalid field. Pure functions over immutable inputs; thread-safe.
// Values are passed raw: the templates HTML-escape everything except letter_html (rendered by
// render::RenderMarkdown) and ui_lang_attr (a constant).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/campaign.h"
#include "core/clock.h"
#include "core/group.h"
#include "core/organization.h"
#include "core/signature.h"
#include "http/picture_url.h"
#include "render/templates.h"
#include "service/campaigns.h"

namespace undersigned::http::pages {

// <base_url>/c/<slug>
std::string CampaignUrl(std::string_view base_url, std::string_view slug);
using ::undersigned::http::PicturePath;  // http/picture_url.h
using ::undersigned::http::PictureVersion;

// True if the campaign takes signatures now: open and before its deadline (core/campaign.h).
using ::undersigned::TakesSignatures;

// Who runs this instance, shown in every page's header and footer so that signers know whom
// they give their address to (app/config.h [site]). Without an operator or a contact the
// footer says so, visibly (a demo still works).
struct SiteInfo {
  std::string name = "undersigned";  // the site's name, in the header and the page titles
  std::string operator_name;         // the person or organization running the site
  std::string contact;               // an email address or an https:// URL
  std::string privacy_url;           // the privacy policy
  bool identified() const { return !operator_name.empty() && !contact.empty(); }
};

// The fields every page's header/footer partials read. lang is the page's language (the
// campaign's); when it is not English, UI text is marked lang="en" via ui_lang_attr. site:
// site_name, and "site" ({operator, contact_href, contact_text, privacy_url}, each false when
// not set) or "site_unidentified" (true when the operator or contact is missing).
render::Data LayoutData(std::string_view lang, std::string_view page_title, const SiteInfo& site);

// What the sign form shows: values as typed, and per-field messages (keys name, email,
// postal_code, country, comment, and for a campaign with groups also group, work_email,
// attested, protection, seal_threshold; anything else goes to the summary only).
struct FormState {
  SignatureForm values;
  std::map<std::string, std::string> errors;
  std::string general_error;  // shown in the summary, e.g. a message without a field
  std::string csrf;           // the token (or a render::SlotPlaceholder)
  std::string origin_html;    // the hidden origin input (origin.h), or a slot placeholder
  std::string action;         // where the form posts; "" = /c/{slug}/sign; else framed (embed.h)
};
// groups: the campaign's declared groups (Campaign::groups). Empty: the plain form, with the
// public_name checkbox. Otherwise "form.grouped" holds the "I sign as" choice, a section per
// group that needs more (a work address, an attestation) and the visibility choice.
// A sealed choice is offered only for the sizes still open (core/group.h OpenSealThresholds):
// counts are the campaign's (nullptr: none confirmed yet), floor its anonymity floor.
render::Data FormData(const FormState& form, const std::vector<SignerGroup>& groups = {},
                      const CampaignCounts* counts = nullptr, int floor = kDefaultAnonymityFloor);

// The sign form's `visibility` field: "public" (name shown), "private" (counted, name not
// shown), "sealed-N" (sealed until the group has N verified signers), "anonymous".
// VisibilityOf gives the value a form stands for; ApplyVisibility sets public_name,
// protection and seal_threshold from a posted value, false (f unchanged) if it is none of them.
std::string VisibilityOf(const SignatureForm& f);
bool ApplyVisibility(std::string_view value, SignatureForm* f);

// A group's count as the public sees it (page, JSON, live events): exact from the campaign's
// anonymity floor on (core/group.h ShownCount), "fewer than <floor>" below it.
struct ShownGroup {
  std::string key;
  std::string name;
  GroupKind kind = GroupKind::kPublic;
  std::optional<std::int64_t> confirmed;  // set only once shown
  int fewer_than = 0;                     // the floor, when confirmed is not shown
  std::optional<std::int64_t> goal;
};
// The campaign's declared groups in their order (empty if it declares none).
std::vector<ShownGroup> ShownGroups(const Campaign& c, const CampaignCounts& counts);
// The data of group_tally.mustache: "tally_groups" ({items: [...]}, or false if the campaign
// declares no groups).
render::Data GroupTallyData(const Campaign& c, const CampaignCounts& counts);

// The <option> elements of the country list (HTML, names escaped), with `selected` (an
// alpha-2 code, any case) marked. Built from static data, so it is inserted raw.
std::string CountryOptionsHtml(std::string_view selected);

// "c" (campaign, targets, letter), "text_edits", "count", "recent", "share", "cosigners",
// "events_url", "json_url" and the layout fields, for campaign.mustache.
render::Data CampaignPageData(const service::CampaignSnapshot& snap, std::string_view base_url,
                              const SiteInfo& site, bool takes_signatures);

// "text_edits" of text_versions.mustache (a partial of campaign.mustache): false while the
// campaign's text has one version; once the demand or letter was edited, {edited_text,
// edited_iso, current, current_hash, earlier_count, earlier: [{version, from_text, until_text,
// demand, letter_html, hash}]}, the earlier versions newest first.
render::Data TextVersionsData(const service::CampaignSnapshot& snap);

// "cosigners" of campaign.mustache: the approved co-signing organizations of the snapshot
// ({count_text, items: [{name, website_href, statement, logo_url}]}), or false if none.
render::Data CosignersData(const service::CampaignSnapshot& snap);

// "c" with slug, title, url only, and the layout in the campaign's language (for the small
// pages about a campaign: check your email, confirm, withdraw).
render::Data CampaignBriefData(const Campaign& c, std::string_view base_url, const SiteInfo& site,
                               std::string_view page_title);

// "count" for a number of confirmed signatures toward a goal.
render::Data CountData(std::int64_t confirmed, std::int64_t goal);

// "share" (text and links) for a campaign; with a signer's personal code (service/referrals.h)
// every link carries it.
render::Data ShareData(const Campaign& c, std::string_view base_url,
                       std::string_view referral = "");

}  // namespace undersigned::http::pages
