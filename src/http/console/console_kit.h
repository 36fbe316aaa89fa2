// ConsoleKit: what every console page shares (http/console/console.h says how a page uses it):
// who is signed in, the checks of a POST, the console's layout, and the one mapping from an
// Error to a page.
//
// CSRF: a signed-in form's token is bound to the session (an HMAC under the instance secret of
// the session's id and start), so no cookie is needed beside the session's own, which is
// SameSite=Strict; the sign-in forms (no session yet) use the public pages' cookie token.
// Every POST must also come from this site's origin (http/pages/csrf.h OriginAllowed).
//
// Owned by the routes (a shared_ptr in each handler). Borrows the services and templates of
// ConsoleDeps. Thread-safe: after construction everything is immutable, or behind the PageKit's
// own mutex.
#pragma once

#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <variant>

#include "core/roles.h"
#include "http/console/console.h"
#include "http/message.h"
#include "http/multipart.h"
#include "http/pages/page_kit.h"

namespace undersigned::http::console {

// A request from a signed-in user.
struct Visit {
  service::CurrentSession who;
  std::string csrf;  // the form token of this session
  service::Actor actor() const { return who.actor(); }
};

class ConsoleKit {
 public:
  explicit ConsoleKit(ConsoleDeps deps);

  service::AccountService& accounts() { return deps_.accounts; }
  service::CampaignService& campaigns() { return deps_.campaigns; }
  service::OrganizingService& organizing() { return deps_.organizing; }
  service::DashboardService* dashboard() { return deps_.dashboard; }
  service::ModerationService* moderation() { return deps_.moderation; }
  service::OrganizationReviewService* organization_review() { return deps_.organization_review; }
  service::UpdateService* updates() { return deps_.updates; }
  service::TargetDeliveryService* deliveries() { return deps_.deliveries; }
  service::EventService* events() { return deps_.events; }
  bool embeds() const { return deps_.embeds; }
  pages::PageKit& pages() { return pages_; }
  const Clock& clock() const { return pages_.clock(); }

  // The signed-in visit, or what to answer instead: for a GET without a valid session, 303 to
  // the sign-in page (?next= this page); for anything else, a 401 page saying to sign in again.
  // A session cookie that names no session is cleared.
  std::variant<Visit, Response> SignedIn(const Request& req);

  // A signed-in POST's checks: form-urlencoded, from this site's origin, readable, and carrying
  // the session's token. Returns the page to answer instead, or nullopt with *form filled.
  std::optional<Response> CheckPost(const Request& req, const Visit& v, pages::Form* form);
  // The same for a form with a file: multipart/form-data (http/multipart.h, within limits), from
  // this site's origin, carrying the session's token. Its text fields go to *form, its files
  // (parts with a filename) to *files by field name (the first of each name).
  std::optional<Response> CheckUploadPost(const Request& req, const Visit& v,
                                          const MultipartLimits& limits, pages::Form* form,
                                          std::map<std::string, FormPart>* files);

  // Renders `name` in the console's layout (site header and footer, the console's navigation
  // for v, noindex) and answers it: never cached, never framed, no Referer beyond this site.
  Response Page(const Visit* v, std::string_view name, render::Data d, std::string_view page_title,
                int status = 200);

  // The console's one mapping from an Error to a page: the status is http::StatusFor(e.code);
  // kUnauthenticated sends a GET to the sign-in page; kTooManyRequests adds Retry-After; the
  // page says what to do next. (Forms re-render themselves for kInvalidArgument, with what was
  // typed; this is for everything else.)
  Response Error(const Visit* v, const Request& req, const ::undersigned::Error& e);

  // The campaign named by slug, if v may do action on it: kNotFound for an unknown slug and for
  // one v has no role on (an organizer of one campaign learns nothing of another), kForbidden
  // for a role that does not allow it.
  Result<Campaign> CampaignFor(const Visit& v, const std::string& slug, CampaignAction action);

  // Where the request comes from, for throttles and the session list.
  static service::Client ClientOf(const Request& req);

  // The session-bound form token.
  std::string TokenFor(const Session& s) const;

  // A local console path to go to after signing in: `next` if it is a path under /console
  // (no scheme, no "//", no backslash), else "/console".
  static std::string SafeNext(std::string_view next);

 private:
  ConsoleDeps deps_;
  pages::PageKit pages_;
};

// Security headers of every console page (no-store, noindex, and Referrer-Policy same-origin
// unless the response has its own).
void ConsoleHeaders(Response* r);
// Sets a header, replacing the first of that name if there is one.
void SetHeader(Response* r, const std::string& name, const std::string& value);

}  // namespace undersigned::http::console
