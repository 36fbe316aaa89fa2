#include "render/account_email.h"

#include "core/utf8.h"
#include "render/escape.h"

namespace undersigned::render {
namespace {

std::string Member(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string()) return "";
  std::string out;
  for (char c : it->get_ref<const std::string&>()) {
    const auto u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);  // one line, whatever was stored
  }
  return out;
}

}  // namespace

std::string AccountLinkUrl(std::string_view base_url, std::string_view token) {
  return std::string(base_url) + kAccountLinkPath + "?t=" + PercentEncode(token);
}

bool IsAccountMailKind(std::string_view kind) {
  return kind == "account_invite" || kind == "sign_in_link";
}

Result<RenderedEmail> RenderAccountEmail(std::string_view kind, const nlohmann::json& payload,
                                         const std::string& base_url) {
  const std::string token = Member(payload, "token");
  if (token.empty()) return Fail(Code::kInvalidArgument, "mail payload lacks token");
  const std::string url = AccountLinkUrl(base_url, token);
  RenderedEmail out;
  std::string p1, p2, label;
  if (kind == "account_invite") {
    const std::string by = Member(payload, "invited_by");
    const std::string campaign = Member(payload, "campaign_title");
    const std::string role = Member(payload, "role");
    out.subject = campaign.empty() ? "You are invited to organize campaigns"
                                   : "You are invited to organize " + campaign;
    p1 = (by.empty() ? std::string("An administrator") : by) + " invites you to organize " +
         (campaign.empty()
              ? std::string("campaigns on ") + base_url
              : "\u201C" + campaign + "\u201D" + (role.empty() ? std::string() : " as " + role)) +
         ".";
    p2 = "Open this link within a week and press the button on the page to sign in, then "
         "choose a password. The link works once:";
    label = "Accept the invitation";
  } else if (kind == "sign_in_link") {
    out.subject = "Your sign-in link";
    p1 = "Someone, hopefully you, asked for a link to sign in to " + base_url +
         " with this email address.";
    p2 = "Open it within 15 minutes and press the button on the page. It works once:";
    label = "Sign in";
  } else {
    return Fail(Code::kInvalidArgument, "unknown account mail kind");
  }
  const std::string p3 = "If you did not expect this, ignore this email; nothing happens.";
  out.text = "Hello,\n\n" + p1 + "\n\n" + p2 + "\n\n" + url + "\n\n" + p3 + "\n";
  out.html = "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" +
             EscapeHtml(out.subject) + "</title></head>\n<body>\n<p>Hello,</p>\n<p>" +
             EscapeHtml(p1) + "</p>\n<p>" + EscapeHtml(p2) + "</p>\n<p><a href=\"" +
             EscapeHtml(url) + "\">" + EscapeHtml(label) + "</a></p>\n<p>" + EscapeHtml(p3) +
             "</p>\n</body></html>\n";
  return out;
}

}  // namespace undersigned::render
