// Builders of the template data (render::Data) for the public pages: the layout, a campaign
// with its counts, recent signers and share links, and the sign form with what the visitor typed
// and one message per invalid field. Pure functions over immutable inputs; thread-safe.
// Values are passed raw: the templates HTML-escape everything except letter_html (rendered by
// render::RenderMarkdown) and ui_lang_attr (a constant).
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "core/campaign.h"
#include "core/clock.h"
#include "core/signature.h"
#include "render/templates.h"
#include "service/campaigns.h"

namespace undersigned::http::pages {

// <base_url>/c/<slug>
std::string CampaignUrl(std::string_view base_url, std::string_view slug);

// True if the campaign takes signatures now: open and before its deadline.
bool TakesSignatures(const Campaign& c, UnixTime now);

// The fields every page's header/footer partials read. lang is the page's language (the
// campaign's); when it is not English, UI text is marked lang="en" via ui_lang_attr.
render::Data LayoutData(std::string_view lang, std::string_view page_title,
                        std::string_view site_name);

// What the sign form shows: values as typed, and per-field messages (keys name, email,
// postal_code, country, comment; anything else goes to the summary only).
struct FormState {
  SignatureForm values;
  std::map<std::string, std::string> errors;
  std::string general_error;  // shown in the summary, e.g. a message without a field
  std::string csrf;           // the token (or a render::SlotPlaceholder)
};
render::Data FormData(const FormState& form);

// The <option> elements of the country list (HTML, names escaped), with `selected` (an
// alpha-2 code, any case) marked. Built from static data, so it is inserted raw.
std::string CountryOptionsHtml(std::string_view selected);

// "c" (campaign, targets, letter), "count", "recent", "share", "events_url", "json_url" and
// the layout fields, for campaign.mustache.
render::Data CampaignPageData(const service::CampaignSnapshot& snap, std::string_view base_url,
                              std::string_view site_name, bool takes_signatures);

// "c" with slug, title, url only, and the layout in the campaign's language (for the small
// pages about a campaign: check your email, confirm, withdraw).
render::Data CampaignBriefData(const Campaign& c, std::string_view base_url,
                               std::string_view site_name, std::string_view page_title);

// "count" for a number of confirmed signatures toward a goal.
render::Data CountData(std::int64_t confirmed, std::int64_t goal);

// "share" (text and links) for a campaign.
render::Data ShareData(const Campaign& c, std::string_view base_url);

}  // namespace undersigned::http::pages
