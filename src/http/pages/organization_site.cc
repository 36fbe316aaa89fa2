#include "http/pages/organization_site.h"

#include "http/pages/views.h"
#include "http/url.h"

namespace undersigned::http::pages {

using render::Data;

Response OrganizationSite::DonePage(const Campaign& c, const std::string& heading,
                                    const std::vector<std::string>& paragraphs) {
  Data d = CampaignBriefData(c, kit.base_url(), kit.site(), heading);
  d.set("heading", heading);
  d.set("paragraphs", StringList(paragraphs));
  d.set("show_share", Data(false));
  auto html = kit.Render("done", d);
  if (!html) return kit.InternalError();
  return HtmlPage(*html, 200, "no-store");
}

Response OrganizationSite::Png(std::string bytes, const char* cache_control) {
  Response r;
  r.content_type = "image/png";
  r.body = std::move(bytes);
  r.Header("Cache-Control", cache_control);
  r.Header("X-Content-Type-Options", "nosniff");
  return r;
}

Response OrganizationSite::NoLogo() {
  return kit.ErrorPage({404, "Logo not found", {"There is no logo at this address."}});
}

Response OrganizationSite::TokenError(const Error& e, const std::string& path,
                                      const std::string& token) {
  return kit.ErrorResponse(e, TokenErrors(e, path, token));
}

PageErrors OrganizationSite::TokenErrors(const Error& e, const std::string& path,
                                         const std::string& token) {
  PageErrors how;
  how.use_case = path;
  how.pages[Code::kNotFound] = {404,
                                "This link is not valid",
                                {"The link may have been copied incompletely from the email. "
                                 "Please open it again from the email, or copy all of it."}};
  how.pages[Code::kConflict] = {409,
                                "This request cannot be changed",
                                {e.message.empty() ? "It was already decided." : e.message}};
  how.pages[Code::kUnavailable] = Busy(path + "?t=" + PercentEncode(token), "Try again");
  how.pages[Code::kTooManyRequests] = TooManyLinkGuesses(e);
  return how;
}

ErrorSpec OrganizationSite::Closed(const Campaign& c) const {
  return {409,
          "This campaign is closed",
          {"It no longer takes signatures, from people or organizations. Nothing was "
           "recorded."},
          CampaignUrl(kit.base_url(), c.slug),
          "Back to the campaign"};
}
ErrorSpec OrganizationSite::Busy(const std::string& back, const std::string& back_text) {
  return {503,
          "Please try again in a moment",
          {"The server is busy or restarting. Nothing was recorded; please try again in a "
           "few seconds."},
          back,
          back_text,
          5};
}

}  // namespace undersigned::http::pages
