// PageKit: what the HTML page sites (http/pages/public_site.h, the public pages, and
// http/pages/organizations.cc, the co-signing organizations' pages) share: the normalized base
// URL and origin, the CSRF plumbing of their forms, the public campaign snapshot, template
// rendering, the error pages (one look, one cache) and the one mapping from an Error to the
// page that answers it (ErrorResponse, built on http::StatusFor), the headers of pages reached
// with a token in the query string, and the checks of an urlencoded POST. Plus a few free
// helpers over forms and template data.
//
// Each site owns one PageKit. Ownership: the CampaignService and Templates are borrowed and must
// outlive the kit (they outlive the Router, like the sites' deps); the kit owns its copies of
// the base URL, site name and CSRF secret.
// Thread-safety: after construction every member is safe to call from any thread (the error
// page cache is behind a mutex; everything else is immutable).
#pragma once

#include <cstddef>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "http/message.h"
#include "http/pages/csrf.h"
#include "http/pages/views.h"
#include "render/templates.h"
#include "service/campaigns.h"

namespace undersigned::http::pages {

// A parsed application/x-www-form-urlencoded body (http::ParseForm).
using Form = std::multimap<std::string, std::string>;

// The body limit of the POSTs behind a button on a token page (a token and a CSRF field).
inline constexpr std::size_t kTokenBodyLimit = 4 * 1024;

// The first value of key in form, or "".
std::string First(const Form& form, const char* key);

// True if the request's Content-Type is application/x-www-form-urlencoded (any parameters).
bool IsFormUrlEncoded(const Request& req);

// A mustache list of strings.
render::Data StringList(const std::vector<std::string>& items);

// An HTML response with that status and Cache-Control.
Response HtmlPage(const std::string& html, int status, const char* cache_control);

// An error page about to be answered (error.mustache), before any caching header or cookie.
struct ErrorSpec {
  int status = 500;
  std::string heading;
  std::vector<std::string> paragraphs;
  std::string link_url = "/";
  std::string link_text = "See all open campaigns";
  int retry_after = 0;  // seconds; > 0 adds Retry-After
};

// How one page use case answers a failed service call (PageKit::ErrorResponse): the form again
// for the errors a form can show, this use case's own wording for some codes, and where the
// other pages link back to. Built where the call failed; cheap to make.
struct PageErrors {
  // Named in the log when an unexpected error is answered with a 500: "signing", "/o/confirm".
  std::string use_case;
  // The link of the pages worded by default (not of those in `pages`, which carry their own).
  std::string back = "/";
  std::string back_text = "See all open campaigns";
  // What the default wording says was not done.
  std::string nothing_done = "Nothing was changed.";
  // The form again, with what the person typed and a message per field, for the errors the
  // form can show (kInvalidArgument, and whatever else this use case shows on its form);
  // nullopt for the others, which get an error page. Its answer is sent as it is (its own
  // status: 422 for a form shown again, 303 for a redirect to it).
  std::function<std::optional<Response>(const Error&)> form;
  // This use case's wording by code. The mapping sets each page's status (StatusFor) and
  // Retry-After (RetryAfterFor), whatever the spec says.
  std::map<Code, ErrorSpec> pages;
};

// The Retry-After of a page answering e: for a 429 e's retry_after_seconds (60 when it gives
// none), for a 503 at least 5 seconds; 0 (none) for any other code.
int RetryAfterFor(const Error& e);

// The error page answering e under how: its wording for e.code, or the default wording of that
// code; status StatusFor(e.code), Retry-After from RetryAfterFor(e). kInternal (unless worded
// by how): the 500 page. The form is not consulted (see PageKit::ErrorResponse).
ErrorSpec PageErrorSpec(const Error& e, const PageErrors& how);

// The 500 page in the site's layout.
ErrorSpec InternalErrorSpec();

// "45 seconds", "2 minutes": a wait, for a page.
std::string WaitText(int seconds);
// 404 for a slug that names no public campaign.
ErrorSpec CampaignNotFound();
// 429 for a link token refused because its address opened too many unknown ones (e: the
// TokenGuard's kTooManyRequests, with the wait).
ErrorSpec TooManyLinkGuesses(const Error& e);
// 403 for a POST whose Origin names another site.
ErrorSpec OtherSite(const std::string& back, const std::string& back_text);
// 403 for a POST whose CSRF token does not match its cookie.
ErrorSpec Expired(const std::string& back, const std::string& back_text);

// The CSRF state of one request that shows a form.
struct FormCsrf {
  std::string nonce;        // the cookie's nonce (kept, or new)
  std::string token;        // the form's hidden `csrf` field
  bool set_cookie = false;  // the nonce is new: the response must set the cookie
  // &nonce if the cookie must be set, else nullptr (for PageKit::TokenHeaders).
  const std::string* new_nonce() const { return set_cookie ? &nonce : nullptr; }
};

class PageKit {
 public:
  using SnapshotPtr = std::shared_ptr<const service::CampaignSnapshot>;

  // base_url: trailing slashes are stripped; an https base URL makes the CSRF cookie Secure.
  // clock: nullptr = Clock::System().
  PageKit(service::CampaignService& campaigns, const render::Templates& templates,
          std::string base_url, const std::string& csrf_secret, SiteInfo site, const Clock* clock);

  const std::string& base_url() const { return base_url_; }  // no trailing slash
  const std::string& origin() const { return origin_; }      // OriginOf(base_url)
  const SiteInfo& site() const { return site_; }
  const Clock& clock() const { return clock_; }
  const Csrf& csrf() const { return csrf_; }
  service::CampaignService& campaigns() const { return campaigns_; }

  // The request's cookie nonce (or a new one) and the form token for it.
  FormCsrf CsrfFor(const Request& req) const;
  // Adds the Set-Cookie header if f's nonce is new.
  void SetCookie(const FormCsrf& f, Response* r) const;

  // The campaign's snapshot if it is public (not a draft), else nullptr.
  SnapshotPtr PublicSnapshot(const std::string& slug) const;

  // Renders a template; logs a failure.
  Result<std::string> Render(std::string_view name, const render::Data& d) const;

  // The error page (noindex, no-store, Retry-After if asked). Pages whose link has no query are
  // cached (at most 128). Falls back to a bare 500 if the template cannot be rendered.
  Response ErrorPage(const ErrorSpec& e);
  // A 500 in the site's layout.
  Response InternalError();

  // The one mapping from a failed call to the HTML page that answers it, for every page
  // handler: how.form's answer if it shows this error on the form, else
  // ErrorPage(PageErrorSpec(e, how)); a 500 is logged with how.use_case.
  Response ErrorResponse(const Error& e, const PageErrors& how);

  // Pages reached with a token in the query string must not leak it: no Referer to anyone,
  // never cached (Cache-Control replaced by no-store), never indexed. new_nonce: a new CSRF
  // nonce whose cookie to set (nullptr: none).
  Response TokenHeaders(Response r, const std::string* new_nonce) const;

  // Content type, Origin, form parsing and CSRF token of an urlencoded POST. Returns the error
  // page to answer instead, or nullopt with *form filled. nothing_done ends the paragraph of the
  // unreadable-form page ("Nothing was recorded.").
  std::optional<Response> CheckPost(const Request& req, const std::string& back,
                                    const std::string& back_text, std::string_view nothing_done,
                                    Form* form);
  // The same checks for a form posted from a frame on another site (http/pages/embed.h), which
  // has no cookie to check: the Origin header must be present and this site's, and token_ok
  // decides the form's token. Returns what to show in the frame instead (its link: back), or
  // nullopt with *form filled.
  std::optional<ErrorSpec> CheckFramedPost(const Request& req, const std::string& back,
                                           const std::function<bool(const Form&)>& token_ok,
                                           Form* form) const;

 private:
  std::optional<ErrorSpec> PostProblem(const Request& req, const std::string& back,
                                       const std::string& back_text, std::string_view nothing_done,
                                       bool origin_required,
                                       const std::function<bool(const Form&)>& token_ok,
                                       Form* form) const;

  service::CampaignService& campaigns_;
  const render::Templates& templates_;
  std::string base_url_;
  SiteInfo site_;
  const Clock& clock_;
  Csrf csrf_;
  std::string origin_;

  std::mutex mu_;  // guards error_cache_
  std::unordered_map<std::string, std::shared_ptr<const std::string>> error_cache_;
};

}  // namespace undersigned::http::pages
