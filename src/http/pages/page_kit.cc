#include "http/pages/page_kit.h"

#include <algorithm>
#include <utility>

#include <spdlog/spdlog.h>

#include "core/utf8.h"
#include "http/pages/views.h"

namespace undersigned::http::pages {
namespace {

constexpr std::size_t kMaxCachedErrorPages = 128;

// The last resort: no template involved, so it cannot fail again.
Response BareInternalError() {
  Response r = Response::Html(
      "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" "
      "content=\"width=device-width, initial-scale=1\"><title>Something went wrong</title>"
      "<link rel=\"stylesheet\" href=\"/static/style.css\"></head><body><main id=\"main\">"
      "<h1>Something went wrong</h1><p>Something failed on our side, not yours. Please try "
      "again in a moment.</p><p><a href=\"/\">See all open campaigns</a></p></main></body>"
      "</html>\n",
      500);
  r.Header("Cache-Control", "no-store");
  return r;
}

}  // namespace

std::string First(const Form& form, const char* key) {
  auto it = form.find(key);
  return it == form.end() ? std::string() : it->second;
}

bool IsFormUrlEncoded(const Request& req) {
  std::string ct = ToLowerAscii(Trim(req.Header("content-type")));
  static constexpr std::string_view kType = "application/x-www-form-urlencoded";
  if (ct.compare(0, kType.size(), kType) != 0) return false;
  return ct.size() == kType.size() || ct[kType.size()] == ';' || ct[kType.size()] == ' ';
}

render::Data StringList(const std::vector<std::string>& items) {
  render::Data list(render::Data::type::list);
  for (const auto& s : items) list.push_back(render::Data(s));
  return list;
}

Response HtmlPage(const std::string& html, int status, const char* cache_control) {
  Response r = Response::Html(html, status);
  r.Header("Cache-Control", cache_control);
  return r;
}

std::string WaitText(int seconds) {
  if (seconds < 90) return std::to_string(seconds) + (seconds == 1 ? " second" : " seconds");
  const int minutes = (seconds + 59) / 60;
  return std::to_string(minutes) + " minutes";
}

int RetryAfterFor(const Error& e) {
  switch (StatusFor(e.code)) {
    case 429:
      return e.retry_after_seconds > 0 ? e.retry_after_seconds : 60;
    case 503:
      return std::max(5, e.retry_after_seconds);
    default:
      return 0;
  }
}

ErrorSpec InternalErrorSpec() {
  return {500,
          "Something went wrong",
          {"Something failed on our side, not yours. Please try again in a moment."}};
}

ErrorSpec PageErrorSpec(const Error& e, const PageErrors& how) {
  const int status = StatusFor(e.code);
  const int wait = RetryAfterFor(e);
  ErrorSpec spec;
  if (auto it = how.pages.find(e.code); it != how.pages.end()) {
    spec = it->second;
  } else {
    auto said = [&](const char* otherwise) {
      return e.message.empty() ? std::string(otherwise) : e.message;
    };
    spec.link_url = how.back;
    spec.link_text = how.back_text;
    switch (e.code) {
      case Code::kInvalidArgument:
        spec.heading = "We could not use what was sent";
        spec.paragraphs = {said("Something in it is not valid."), how.nothing_done};
        break;
      case Code::kNotFound:
        spec.heading = "Page not found";
        spec.paragraphs = {
            "There is no page at this address. If you typed it, check it; if you followed a "
            "link, it may be out of date."};
        break;
      case Code::kConflict:
        spec.heading = "This cannot be done now";
        spec.paragraphs = {said("Its state does not allow it any more."), how.nothing_done};
        break;
      case Code::kUnauthenticated:
        spec.heading = "Please sign in";
        spec.paragraphs = {said("This page is only for people who have signed in."),
                           how.nothing_done};
        break;
      case Code::kForbidden:
        spec.heading = "You may not do this";
        spec.paragraphs = {said("Your account is not allowed to do this."), how.nothing_done};
        break;
      case Code::kTooManyRequests:
        spec.heading = "Too many requests at once";
        spec.paragraphs = {said("Please wait a little and try again."),
                           "You can try again in " + WaitText(wait) + "."};
        break;
      case Code::kPayloadTooLarge:
        spec.heading = "That is too much text";
        spec.paragraphs = {"Please shorten what you typed and send the form again."};
        break;
      case Code::kUnavailable:
        spec.heading = "Please try again in a moment";
        spec.paragraphs = {"The server is busy or restarting. " + how.nothing_done +
                           " Please try again in a few seconds."};
        break;
      case Code::kInternal:
        spec = InternalErrorSpec();
        break;
    }
  }
  spec.status = status;
  spec.retry_after = wait;
  return spec;
}

ErrorSpec TooManyLinkGuesses(const Error& e) {
  const int wait = RetryAfterFor(e);
  return {429,
          "Too many links that do not work",
          {"Many links that do not exist were opened from your network address, so we stop "
           "checking links from it for a while.",
           "If your link is from one of our emails, open it again in " + WaitText(wait) + "."},
          "/",
          "See all open campaigns",
          wait};
}

ErrorSpec CampaignNotFound() {
  return {404,
          "Campaign not found",
          {"There is no campaign at this address. It may have been moved, or the link may "
           "be incomplete."}};
}

ErrorSpec OtherSite(const std::string& back, const std::string& back_text) {
  return {403,
          "This form came from another website",
          {"For your safety, we only accept forms sent from this site's own pages. Nothing "
           "was recorded.",
           "If you meant to do this, open the page on this site and send the form from "
           "there."},
          back,
          back_text};
}

ErrorSpec Expired(const std::string& back, const std::string& back_text) {
  return {403,
          "Your form has expired",
          {"For your safety, each form is tied to a cookie in your browser. The cookie was "
           "missing or did not match: this happens when cookies are blocked, or when the page "
           "was open for a long time. Nothing was recorded.",
           "Please go back, reload the page, and send the form again."},
          back,
          back_text};
}

PageKit::PageKit(service::CampaignService& campaigns, const render::Templates& templates,
                 std::string base_url, const std::string& csrf_secret, SiteInfo site,
                 const Clock* clock)
    : campaigns_(campaigns),
      templates_(templates),
      base_url_(std::move(base_url)),
      site_(std::move(site)),
      clock_(clock != nullptr ? *clock : Clock::System()),
      csrf_(csrf_secret, ToLowerAscii(base_url_).rfind("https://", 0) == 0) {
  while (!base_url_.empty() && base_url_.back() == '/') base_url_.pop_back();
  origin_ = OriginOf(base_url_);
}

FormCsrf PageKit::CsrfFor(const Request& req) const {
  FormCsrf f;
  f.nonce = csrf_.NonceFor(req, &f.set_cookie);
  f.token = csrf_.TokenFor(f.nonce);
  return f;
}

void PageKit::SetCookie(const FormCsrf& f, Response* r) const {
  if (f.set_cookie) r->Header("Set-Cookie", csrf_.CookieValue(f.nonce));
}

PageKit::SnapshotPtr PageKit::PublicSnapshot(const std::string& slug) const {
  if (slug.empty() || slug.size() > 64) return nullptr;
  SnapshotPtr snap = campaigns_.Snapshot(slug);
  if (!snap || snap->campaign.status == CampaignStatus::kDraft) return nullptr;
  return snap;
}

Result<std::string> PageKit::Render(std::string_view name, const render::Data& d) const {
  auto html = templates_.Render(name, d);
  if (!html) spdlog::error("pages: template {}: {}", name, html.error().message);
  return html;
}

Response PageKit::ErrorPage(const ErrorSpec& e) {
  std::string key =
      std::to_string(e.status) + '\n' + e.heading + '\n' + e.link_url + '\n' + e.link_text;
  for (const auto& p : e.paragraphs) key += '\n' + p;
  std::shared_ptr<const std::string> html;
  {
    std::lock_guard lock(mu_);
    auto it = error_cache_.find(key);
    if (it != error_cache_.end()) html = it->second;
  }
  if (!html) {
    render::Data d = LayoutData("en", e.heading, site_);
    d.set("noindex", render::Data(true));
    d.set("heading", e.heading);
    d.set("paragraphs", StringList(e.paragraphs));
    d.set("link_url", e.link_url);
    d.set("link_text", e.link_text);
    auto rendered = Render("error", d);
    if (!rendered) return BareInternalError();
    html = std::make_shared<const std::string>(std::move(*rendered));
    // Pages whose link carries a query (a token) are not kept.
    std::lock_guard lock(mu_);
    if (e.link_url.find('?') == std::string::npos && error_cache_.size() < kMaxCachedErrorPages) {
      error_cache_.emplace(key, html);
    }
  }
  Response r = HtmlPage(*html, e.status, "no-store");
  if (e.retry_after > 0) r.Header("Retry-After", std::to_string(e.retry_after));
  return r;
}

Response PageKit::InternalError() { return ErrorPage(InternalErrorSpec()); }

Response PageKit::ErrorResponse(const Error& e, const PageErrors& how) {
  if (how.form) {
    if (auto again = how.form(e)) return std::move(*again);
  }
  ErrorSpec spec = PageErrorSpec(e, how);
  if (spec.status == 500) {
    spdlog::error("pages: {} failed: {} {}", how.use_case, CodeName(e.code), e.message);
  }
  return ErrorPage(spec);
}

Response PageKit::TokenHeaders(Response r, const std::string* new_nonce) const {
  r.Header("Referrer-Policy", "no-referrer");
  r.Header("X-Robots-Tag", "noindex");
  bool has_cache_control = false;
  for (auto& [name, value] : r.headers) {
    if (name == "Cache-Control") {
      value = "no-store";
      has_cache_control = true;
    }
  }
  if (!has_cache_control) r.Header("Cache-Control", "no-store");
  if (new_nonce != nullptr) r.Header("Set-Cookie", csrf_.CookieValue(*new_nonce));
  return r;
}

std::optional<Response> PageKit::CheckPost(const Request& req, const std::string& back,
                                           const std::string& back_text,
                                           std::string_view nothing_done, Form* form) {
  auto problem = PostProblem(
      req, back, back_text, nothing_done, /*origin_required=*/false,
      [&](const Form& f) { return csrf_.Verify(req.Cookie(kCsrfCookie), First(f, kCsrfField)); },
      form);
  if (problem) return ErrorPage(*problem);
  return std::nullopt;
}

std::optional<ErrorSpec> PageKit::CheckFramedPost(const Request& req, const std::string& back,
                                                  const std::function<bool(const Form&)>& token_ok,
                                                  Form* form) const {
  return PostProblem(req, back, "Open the campaign", "Nothing was recorded.",
                     /*origin_required=*/true, token_ok, form);
}

std::optional<ErrorSpec> PageKit::PostProblem(const Request& req, const std::string& back,
                                              const std::string& back_text,
                                              std::string_view nothing_done, bool origin_required,
                                              const std::function<bool(const Form&)>& token_ok,
                                              Form* form) const {
  if (!IsFormUrlEncoded(req)) {
    return ErrorSpec{415,
                     "This form was sent in a format we do not accept",
                     {"Forms here must be sent as application/x-www-form-urlencoded, as "
                      "browsers do. Please use the form on the page."},
                     back,
                     back_text};
  }
  // A framed form (embed.h) has no cookie to check: the browser's Origin must say it is ours.
  const std::string origin = req.Header("origin");
  if (origin_required && (origin.empty() || origin == "null")) return OtherSite(back, back_text);
  if (!OriginAllowed(req, origin_)) return OtherSite(back, back_text);
  auto parsed = ParseForm(req.body);
  if (!parsed) {
    return ErrorSpec{400,
                     "We could not read this form",
                     {"It was not sent correctly (bad encoding or text that is not valid "
                      "UTF-8). " +
                      std::string(nothing_done) + " Please go back and try again."},
                     back,
                     back_text};
  }
  if (!token_ok(*parsed)) {
    if (!origin_required) return Expired(back, back_text);
    return ErrorSpec{403,
                     "Your form has expired",
                     {"This form was open for more than a day, or it was not sent from this "
                      "page. Nothing was recorded.",
                      "Please reload the page and send the form again."},
                     back,
                     back_text};
  }
  *form = std::move(*parsed);
  return std::nullopt;
}

}  // namespace undersigned::http::pages
