// The signed-in user's own account: password, second factor, sessions.
//
//   GET  /console/account                      the page (after a mailed link without a password:
//                                              ?welcome=1 asks them to choose one)
//   POST /console/account/password             sets the password; every other session ends
//   POST /console/account/totp                 enrols an authenticator app (the secret shown on
//                                              the page, and a code from it)
//   POST /console/account/totp/disable         removes it (the password again)
//   POST /console/account/sessions/{id}/revoke ends one session (one's own only)
//   POST /console/account/sessions/revoke-others
#include <string>

#include "http/console/routes.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

struct AccountView {
  std::string notice;
  std::map<std::string, std::string> errors;  // password, code, totp_password
  std::string totp_secret;                    // the offer being enrolled (kept on a wrong code)
};

Response Show(ConsoleKit& kit, const Request& req, const Visit& v, AccountView view, int status) {
  Data d;
  d.set("csrf", v.csrf);
  d.set("email", v.who.user.email);
  d.set("has_password", Data(!v.who.user.password_hash.empty()));
  d.set("welcome", Data(req.Query("welcome").has_value() && v.who.user.password_hash.empty()));
  d.set("notice", render::TextOrNothing(view.notice));
  for (const char* k : {"password", "code", "totp_password"}) {
    auto it = view.errors.find(k);
    d.set(std::string(k) + "_error", it == view.errors.end() ? Data(false) : Data(it->second));
  }
  d.set("totp_enabled", Data(!v.who.user.totp_sealed.empty()));
  if (v.who.user.totp_sealed.empty()) {
    std::string secret = view.totp_secret;
    std::string uri;
    if (secret.empty()) {
      auto offer = kit.accounts().OfferTotp(v.who);
      if (!offer) return kit.Error(&v, req, offer.error());
      secret = offer->secret_base32;
      uri = offer->uri;
    }
    Data totp;
    totp.set("secret", secret);
    totp.set("uri", render::TextOrNothing(uri));
    d.set("offer", totp);
  } else {
    d.set("offer", Data(false));
  }
  auto sessions = kit.accounts().ListSessions(v.who);
  if (!sessions) return kit.Error(&v, req, sessions.error());
  DataList rows;
  for (const Session& s : *sessions) {
    Data row;
    row.set("id", std::to_string(s.id));
    row.set("created", FormatIso8601(s.created));
    row.set("last_seen", FormatIso8601(s.last_seen));
    row.set("address", s.address);
    row.set("user_agent", s.user_agent);
    row.set("current", Data(s.id == v.who.session.id));
    rows.push_back(row);
  }
  d.set("sessions", Data(rows));
  d.set("other_sessions", Data(sessions->size() > 1));
  return kit.Page(&v, "console_account", std::move(d), "Your account", status);
}

Response Back(const std::string& notice_key) {
  return SeeOther("/console/account?done=" + notice_key);
}

const std::map<std::string, std::string>& Notices() {
  static const std::map<std::string, std::string> kNotices = {
      {"password", "Your password is set. Your other sessions have ended."},
      {"totp", "Your authenticator app is set up: signing in now asks for its code."},
      {"totp-off", "The second factor is removed."},
      {"revoked", "The session has ended."},
      {"revoked-others", "Every other session has ended."}};
  return kNotices;
}

}  // namespace

void RegisterAccount(Router& router, KitPtr kit) {
  router.Add("GET", "/console/account",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           AccountView view;
                           if (auto done = req.Query("done")) {
                             auto it = Notices().find(*done);
                             if (it != Notices().end()) view.notice = it->second;
                           }
                           return Show(k, req, v, view, 200);
                         }),
             ConsoleRoute("console_account"));

  router.Add(
      "POST", "/console/account/password",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     const std::string pw = pages::First(form, "password");
                     if (pw != pages::First(form, "password_again")) {
                       AccountView view;
                       view.errors["password"] = "The two passwords are not the same.";
                       return Show(k, req, v, view, 422);
                     }
                     auto ok =
                         k.accounts().SetPassword(v.actor(), v.who.user.id, pw, v.who.session.id);
                     if (!ok) {
                       if (ok.error().code != Code::kInvalidArgument) {
                         return k.Error(&v, req, ok.error());
                       }
                       AccountView view;
                       view.errors["password"] = ok.error().message;
                       return Show(k, req, v, view, 422);
                     }
                     return Back("password");
                   }),
      ConsoleRoute("console_account_password"));

  router.Add(
      "POST", "/console/account/totp",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     const std::string secret = pages::First(form, "secret");
                     auto ok = k.accounts().EnableTotp(v.who, secret, pages::First(form, "code"));
                     if (!ok) {
                       if (ok.error().code != Code::kInvalidArgument &&
                           ok.error().code != Code::kUnauthenticated) {
                         return k.Error(&v, req, ok.error());
                       }
                       AccountView view;
                       view.errors["code"] = ok.error().message;
                       view.totp_secret = secret;
                       return Show(k, req, v, view, 422);
                     }
                     return Back("totp");
                   }),
      ConsoleRoute("console_account_totp"));

  router.Add(
      "POST", "/console/account/totp/disable",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     auto ok = k.accounts().DisableTotp(v.who, pages::First(form, "password"));
                     if (!ok) {
                       if (ok.error().code != Code::kUnauthenticated &&
                           ok.error().code != Code::kInvalidArgument) {
                         return k.Error(&v, req, ok.error());
                       }
                       AccountView view;
                       view.errors["totp_password"] = ok.error().message;
                       return Show(k, req, v, view, 422);
                     }
                     return Back("totp-off");
                   }),
      ConsoleRoute("console_account_totp_off"));

  router.Add("POST", "/console/account/sessions/{id}/revoke",
             SignedInPost(
                 kit,
                 [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form&) {
                   std::int64_t id = 0;
                   try {
                     id = std::stoll(req.Param("id"));
                   } catch (const std::exception&) {
                     return k.Error(
                         &v, req, ::undersigned::Error{Code::kNotFound, "no such session", {}, 0});
                   }
                   if (auto ok = k.accounts().RevokeSession(v.who, id); !ok) {
                     return k.Error(&v, req, ok.error());
                   }
                   if (id == v.who.session.id) {
                     Response r = SeeOther("/console/sign-in");
                     r.Header("Set-Cookie", service::SessionCookie("", 0));
                     ConsoleHeaders(&r);
                     return r;
                   }
                   return Back("revoked");
                 }),
             ConsoleRoute("console_account_revoke"));

  router.Add(
      "POST", "/console/account/sessions/revoke-others",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form&) {
                     if (auto ok = k.accounts().RevokeOtherSessions(v.who); !ok) {
                       return k.Error(&v, req, ok.error());
                     }
                     return Back("revoked-others");
                   }),
      ConsoleRoute("console_account_revoke_others"));
}

}  // namespace undersigned::http::console
