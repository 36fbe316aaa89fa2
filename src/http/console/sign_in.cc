// Signing in and out of the console.
//
//   GET  /console/sign-in?next=    the password form (and a second factor's code when the
//                                  account has one), and "email me a sign-in link"
//   POST /console/sign-in          signs in: a new session cookie (a new token each time, so a
//                                  planted one is worth nothing), 303 to next
//   POST /console/sign-in/link     mails a one-time link (the same answer for any address)
//   GET  /console/link?t=          the mailed link (sign-in or invitation): a page with a button,
//                                  so that a mail scanner opening it uses nothing up
//   POST /console/link             uses it once: a session, 303 to the console (or to choosing
//                                  a password, for an account that has none)
//   POST /console/sign-out         ends this session and clears its cookie
#include <string>

#include "http/console/routes.h"

namespace undersigned::http::console {
namespace {

using render::Data;

// The session cookie's Max-Age: the longest a session can live (AccountOptions'
// session_max_seconds by default); the server ends it sooner when it is idle or revoked.
constexpr UnixTime kCookieMaxAge = 7 * 24 * 3600;

struct SignInForm {
  std::string email;
  std::string next = "/console";
  bool ask_code = false;
  std::string error;       // the summary
  std::string code_error;  // the code field's own message
  std::string notice;      // e.g. "we sent a link"
};

Response SignInPage(ConsoleKit& kit, const Request& req, const SignInForm& f, int status) {
  pages::FormCsrf csrf = kit.pages().CsrfFor(req);
  Data d;
  d.set("csrf", csrf.token);
  d.set("email", f.email);
  d.set("next", f.next);
  d.set("ask_code", Data(f.ask_code));
  d.set("error", render::TextOrNothing(f.error));
  d.set("code_error", render::TextOrNothing(f.code_error));
  d.set("notice", render::TextOrNothing(f.notice));
  Response r = kit.Page(nullptr, "console_sign_in", std::move(d), "Sign in", status);
  kit.pages().SetCookie(csrf, &r);
  return r;
}

Response StartSession(const service::SignedIn& s, const std::string& next) {
  Response r = SeeOther(next);
  r.Header("Set-Cookie", service::SessionCookie(s.token, kCookieMaxAge));
  return r;
}

}  // namespace

void RegisterSignIn(Router& router, KitPtr kit) {
  router.Add(
      "GET", "/console/sign-in",
      [kit](const Request& req) {
        SignInForm f;
        f.next = ConsoleKit::SafeNext(req.Query("next").value_or("/console"));
        // Already signed in: straight on.
        if (!req.Cookie(service::kSessionCookie).empty() &&
            kit->accounts().Authenticate(req.Cookie(service::kSessionCookie))) {
          return SeeOther(f.next);
        }
        return SignInPage(*kit, req, f, 200);
      },
      ConsoleRoute("console_sign_in"));

  router.Add(
      "POST", "/console/sign-in",
      [kit](const Request& req) {
        pages::Form form;
        if (auto refused = kit->pages().CheckPost(req, "/console/sign-in", "Back to sign in",
                                                  "You are not signed in.", &form)) {
          ConsoleHeaders(&*refused);
          return std::move(*refused);
        }
        SignInForm f;
        f.email = pages::First(form, "email");
        f.next = ConsoleKit::SafeNext(pages::First(form, "next"));
        const std::string code = pages::First(form, "code");
        f.ask_code = !code.empty();
        auto s = kit->accounts().SignInWithPassword(f.email, pages::First(form, "password"), code,
                                                    ConsoleKit::ClientOf(req));
        if (s) return StartSession(*s, f.next);
        const auto& e = s.error();
        if (e.code == Code::kTooManyRequests) {
          f.error = e.message + " Try again in " +
                    pages::WaitText(std::max(1, e.retry_after_seconds)) + ".";
          Response r = SignInPage(*kit, req, f, 429);
          r.Header("Retry-After", std::to_string(std::max(1, e.retry_after_seconds)));
          return r;
        }
        if (e.code != Code::kUnauthenticated) return kit->Error(nullptr, req, e);
        if (auto it = e.field_errors.find("code"); it != e.field_errors.end()) {
          f.ask_code = true;
          f.code_error = it->second;
          f.error = "Enter the code from your authenticator app, with your password again.";
        } else {
          f.error = e.message;
        }
        return SignInPage(*kit, req, f, 401);
      },
      ConsoleRoute("console_sign_in_post"));

  router.Add(
      "POST", "/console/sign-in/link",
      [kit](const Request& req) {
        pages::Form form;
        if (auto refused = kit->pages().CheckPost(req, "/console/sign-in", "Back to sign in",
                                                  "Nothing was sent.", &form)) {
          ConsoleHeaders(&*refused);
          return std::move(*refused);
        }
        SignInForm f;
        f.email = pages::First(form, "email");
        auto sent = kit->accounts().MailSignInLink(f.email, ConsoleKit::ClientOf(req));
        if (!sent) {
          const auto& e = sent.error();
          if (e.code == Code::kTooManyRequests) {
            f.error = "Too many sign-in links were asked for. Try again in " +
                      pages::WaitText(std::max(1, e.retry_after_seconds)) + ".";
            Response r = SignInPage(*kit, req, f, 429);
            r.Header("Retry-After", std::to_string(std::max(1, e.retry_after_seconds)));
            return r;
          }
          if (e.code == Code::kInvalidArgument) {
            f.error = "Enter the email address of your account, like name@example.org.";
            return SignInPage(*kit, req, f, 400);
          }
          return kit->Error(nullptr, req, e);
        }
        f.notice = "If " + f.email +
                   " belongs to an account, a sign-in link is on its way there. It works once, "
                   "for 15 minutes.";
        return SignInPage(*kit, req, f, 200);
      },
      ConsoleRoute("console_sign_in_link"));

  router.Add(
      "GET", "/console/link",
      [kit](const Request& req) {
        pages::FormCsrf csrf = kit->pages().CsrfFor(req);
        Data d;
        d.set("csrf", csrf.token);
        d.set("token", req.Query("t").value_or(""));
        Response r = kit->Page(nullptr, "console_link", std::move(d), "Sign in");
        SetHeader(&r, "Referrer-Policy", "no-referrer");  // the token is in the URL
        return kit->pages().TokenHeaders(std::move(r), csrf.new_nonce());
      },
      ConsoleRoute("console_link"));

  router.Add(
      "POST", "/console/link",
      [kit](const Request& req) {
        pages::Form form;
        if (auto refused = kit->pages().CheckPost(req, "/console/sign-in", "Sign in",
                                                  "You are not signed in.", &form)) {
          Response r = kit->pages().TokenHeaders(std::move(*refused), nullptr);
          ConsoleHeaders(&r);
          return r;
        }
        auto s = kit->accounts().SignInWithLink(pages::First(form, "t"), ConsoleKit::ClientOf(req));
        if (!s) {
          if (s.error().code == Code::kUnauthenticated) {
            SignInForm f;
            f.error =
                "This sign-in link does not work: it was used already, has expired, or is "
                "incomplete. Sign in with your password, or ask for a new link.";
            Response r = SignInPage(*kit, req, f, 401);
            SetHeader(&r, "Referrer-Policy", "no-referrer");
            return r;
          }
          return kit->Error(nullptr, req, s.error());
        }
        const bool needs_password = s->current.user.password_hash.empty();
        Response r = StartSession(*s, needs_password ? "/console/account?welcome=1" : "/console");
        SetHeader(&r, "Referrer-Policy", "no-referrer");
        return r;
      },
      ConsoleRoute("console_link_post"));

  router.Add("POST", "/console/sign-out",
             SignedInPost(kit,
                          [](ConsoleKit& k, const Request& req, const Visit&, const pages::Form&) {
                            (void)k.accounts().SignOut(req.Cookie(service::kSessionCookie));
                            Response r = SeeOther("/console/sign-in");
                            r.Header("Set-Cookie", service::SessionCookie("", 0));
                            return r;
                          }),
             ConsoleRoute("console_sign_out"));
}

}  // namespace undersigned::http::console
