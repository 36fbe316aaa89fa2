#include "http/console/console_kit.h"

#include <utility>

#include <sodium.h>

#include "http/pages/csrf.h"
#include "http/url.h"

namespace undersigned::http::console {

using render::Data;

namespace {

constexpr char kSignInPath[] = "/console/sign-in";

}  // namespace

void SetHeader(Response* r, const std::string& name, const std::string& value) {
  for (auto& [n, v] : r->headers) {
    if (n == name) {
      v = value;
      return;
    }
  }
  r->Header(name, value);
}

void ConsoleHeaders(Response* r) {
  SetHeader(r, "Cache-Control", "no-store");
  SetHeader(r, "X-Robots-Tag", "noindex");
  bool has_referrer_policy = false;
  for (const auto& h : r->headers) has_referrer_policy |= h.first == "Referrer-Policy";
  if (!has_referrer_policy) r->Header("Referrer-Policy", "same-origin");
}

ConsoleKit::ConsoleKit(ConsoleDeps deps)
    : deps_(std::move(deps)),
      pages_(deps_.campaigns, deps_.templates, deps_.base_url, deps_.csrf_secret, deps_.site,
             deps_.clock) {}

namespace {

// The CSRF "nonce" of a session: 32 bytes derived from its id and start, in the form Csrf takes
// (43 base64url characters). Not secret; the token is the HMAC of it under the instance secret.
std::string SessionNonce(const Session& s) {
  const std::string id =
      "undersigned/console-session/" + std::to_string(s.id) + ":" + std::to_string(s.created);
  unsigned char hash[32];
  crypto_generichash(hash, sizeof hash, reinterpret_cast<const unsigned char*>(id.data()),
                     id.size(), nullptr, 0);
  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, hash, sizeof hash, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  return b64;
}

}  // namespace

std::string ConsoleKit::TokenFor(const Session& s) const {
  return pages_.csrf().TokenFor(SessionNonce(s));
}

std::string ConsoleKit::SafeNext(std::string_view next) {
  if (!next.starts_with("/console") || next.find("//") != std::string_view::npos ||
      next.find('\\') != std::string_view::npos) {
    return "/console";
  }
  for (char c : next) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return "/console";
  }
  return std::string(next);
}

service::Client ConsoleKit::ClientOf(const Request& req) {
  std::string ua = req.Header("user-agent");
  if (ua.size() > 200) ua.resize(200);
  return service::Client{req.remote_address, ua};
}

std::variant<Visit, Response> ConsoleKit::SignedIn(const Request& req) {
  const std::string token = req.Cookie(service::kSessionCookie);
  if (!token.empty()) {
    auto who = deps_.accounts.Authenticate(token);
    if (who) return Visit{*who, TokenFor(who->session)};
    if (who.error().code != Code::kUnauthenticated) {
      // The store failed, not the session: keep the cookie, say so.
      Response r = pages_.ErrorPage({503,
                                     "Something went wrong",
                                     {"We could not check your session. Please try again in "
                                      "a moment; you are still signed in."},
                                     "/console",
                                     "Back to the console",
                                     5});
      ConsoleHeaders(&r);
      return r;
    }
  }
  Response r;
  if (req.method == "GET" || req.method == "HEAD") {
    r = Response::Redirect(std::string(kSignInPath) +
                           "?next=" + PercentEncode(SafeNext(req.target)));
  } else {
    r = pages_.ErrorPage({401,
                          "Please sign in again",
                          {"Your session has ended (it expired, was signed out, or your access "
                           "was removed). Nothing was changed."},
                          kSignInPath,
                          "Sign in"});
  }
  if (!token.empty()) r.Header("Set-Cookie", service::SessionCookie("", 0));
  ConsoleHeaders(&r);
  return r;
}

std::optional<Response> ConsoleKit::CheckPost(const Request& req, const Visit& v,
                                              pages::Form* form) {
  auto refuse = [&](int status, std::string heading, std::string text) {
    Response r = pages_.ErrorPage(
        {status, std::move(heading), {std::move(text)}, "/console", "Back to the console"});
    ConsoleHeaders(&r);
    return r;
  };
  if (!pages::IsFormUrlEncoded(req)) {
    return refuse(415, "This form was sent in a format we do not accept",
                  "Please use the form on the page. Nothing was changed.");
  }
  if (!pages::OriginAllowed(req, pages_.origin())) {
    return refuse(403, "This form came from another website",
                  "The console only accepts forms sent from its own pages. Nothing was changed.");
  }
  auto parsed = ParseForm(req.body);
  if (!parsed) {
    return refuse(400, "We could not read this form",
                  "It was not sent correctly (bad encoding or text that is not valid UTF-8). "
                  "Nothing was changed.");
  }
  if (!pages_.csrf().Verify(SessionNonce(v.who.session),
                            pages::First(*parsed, pages::kCsrfField))) {
    return refuse(403, "Your form has expired",
                  "Each console form belongs to the session it was shown in; this one did not "
                  "match (you signed in again since, or it came from elsewhere). Nothing was "
                  "changed. Reload the page and send it again.");
  }
  *form = std::move(*parsed);
  return std::nullopt;
}

std::optional<Response> ConsoleKit::CheckUploadPost(const Request& req, const Visit& v,
                                                    const MultipartLimits& limits,
                                                    pages::Form* form,
                                                    std::map<std::string, FormPart>* files) {
  auto refuse = [&](int status, std::string heading, std::string text) {
    Response r = pages_.ErrorPage(
        {status, std::move(heading), {std::move(text)}, "/console", "Back to the console"});
    ConsoleHeaders(&r);
    return r;
  };
  const std::string content_type = req.Header("content-type");
  if (!MultipartBoundary(content_type)) {
    return refuse(415, "This form was sent in a format we do not accept",
                  "A form with a file must be sent as multipart/form-data, as browsers do. "
                  "Please use the form on the page. Nothing was changed.");
  }
  if (!pages::OriginAllowed(req, pages_.origin())) {
    return refuse(403, "This form came from another website",
                  "The console only accepts forms sent from its own pages. Nothing was changed.");
  }
  auto parts = ParseMultipart(content_type, req.body, limits);
  if (!parts) {
    return refuse(
        400, "We could not read this form",
        "It was not sent correctly (" + parts.error().message + "). Nothing was changed.");
  }
  pages::Form fields;
  std::map<std::string, FormPart> uploads;
  for (FormPart& p : *parts) {
    if (p.has_filename) {
      uploads.emplace(p.name, std::move(p));
    } else {
      fields.emplace(p.name, std::move(p.body));
    }
  }
  if (!pages_.csrf().Verify(SessionNonce(v.who.session), pages::First(fields, pages::kCsrfField))) {
    return refuse(403, "Your form has expired",
                  "Each console form belongs to the session it was shown in; this one did not "
                  "match (you signed in again since, or it came from elsewhere). Nothing was "
                  "changed. Reload the page and send it again.");
  }
  *form = std::move(fields);
  *files = std::move(uploads);
  return std::nullopt;
}

Response ConsoleKit::Page(const Visit* v, std::string_view name, Data d,
                          std::string_view page_title, int status) {
  Data layout = pages::LayoutData("en", page_title, deps_.site);
  // The layout's keys, unless the page set its own.
  for (const char* key : {"lang", "page_title", "site_name", "site", "site_unidentified",
                          "ui_lang_attr", "description", "canonical_url", "live", "form_js"}) {
    if (d.get(key) == nullptr) d.set(key, *layout.get(key));
  }
  d.set("noindex", Data(true));
  if (d.get("console_js") == nullptr) d.set("console_js", Data(false));
  if (v != nullptr) {
    Data nav;
    nav.set("email", v->who.user.email);
    nav.set("name",
            v->who.user.display_name.empty() ? v->who.user.email : v->who.user.display_name);
    nav.set("admin", Data(v->who.user.admin));
    nav.set("csrf", v->csrf);
    d.set("nav", nav);
  } else {
    d.set("nav", Data(false));
  }
  auto html = pages_.Render(name, d);
  Response r = html ? pages::HtmlPage(*html, status, "no-store") : pages_.InternalError();
  ConsoleHeaders(&r);
  return r;
}

Response ConsoleKit::Error(const Visit* v, const Request& req, const ::undersigned::Error& e) {
  if (e.code == Code::kUnauthenticated && v == nullptr) {
    auto signed_in = SignedIn(req);
    if (auto* r = std::get_if<Response>(&signed_in)) return std::move(*r);
  }
  const int status = StatusFor(e.code);
  std::string heading;
  std::vector<std::string> paragraphs;
  switch (e.code) {
    case Code::kNotFound:
      heading = "Not found";
      paragraphs = {
          "There is nothing here that you may see. It may not exist, or your role does "
          "not reach it."};
      break;
    case Code::kForbidden:
      heading = "Your role does not allow this";
      paragraphs = {e.message, "Ask an owner of the campaign if you need it."};
      break;
    case Code::kTooManyRequests:
      heading = "Too many attempts";
      paragraphs = {e.message,
                    "Try again in " + pages::WaitText(std::max(1, e.retry_after_seconds)) + "."};
      break;
    case Code::kInternal:
    case Code::kUnavailable:
      heading = "Something went wrong";
      paragraphs = {
          "Something failed on our side, not yours. Nothing you did is lost; please "
          "try again in a moment."};
      break;
    default:
      heading = "This could not be done";
      paragraphs = {e.message};
      break;
  }
  Data d;
  d.set("heading", heading);
  d.set("paragraphs", pages::StringList(paragraphs));
  d.set("link_url", "/console");
  d.set("link_text", "Back to the console");
  Response r = Page(v, "console_error", std::move(d), heading, status);
  if (e.code == Code::kTooManyRequests) {
    r.Header("Retry-After", std::to_string(std::max(1, e.retry_after_seconds)));
  }
  return r;
}

Result<Campaign> ConsoleKit::CampaignFor(const Visit& v, const std::string& slug,
                                         CampaignAction action) {
  auto c = deps_.campaigns.GetBySlug(slug);
  if (!c) {
    if (c.error().code == Code::kNotFound || c.error().code == Code::kInvalidArgument) {
      return Fail(Code::kNotFound, "no such campaign");
    }
    return Fail(c.error());
  }
  if (auto ok = deps_.accounts.Authorize(v.actor(), c->id, action); !ok) return Fail(ok.error());
  return c;
}

}  // namespace undersigned::http::console
