#include "render/email.h"

#include <cstdint>
#include <vector>

#include <nlohmann/json.hpp>

#include "render/account_email.h"
#include "render/escape.h"
#include "render/text.h"

namespace undersigned::render {
namespace {

// Campaign titles are validated (no control characters), but a subject line must never carry
// a line break whatever the store holds.
std::string OneLine(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    unsigned char u = static_cast<unsigned char>(c);
    out.push_back(u < 0x20 || u == 0x7f ? ' ' : c);
  }
  return out;
}

Result<std::string> Field(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  if (it == j.end() || !it->is_string() || it->get_ref<const std::string&>().empty()) {
    return Fail(Code::kInvalidArgument, std::string("mail payload lacks ") + key);
  }
  return it->get<std::string>();
}

std::string HtmlParagraph(std::string_view text) { return "<p>" + EscapeHtml(text) + "</p>\n"; }

std::string HtmlLink(const std::string& label, const std::string& url) {
  return "<p><a href=\"" + EscapeHtml(url) + "\">" + EscapeHtml(label) + "</a></p>\n";
}

std::string HtmlWrap(const std::string& title, const std::string& inner) {
  return "<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>" + EscapeHtml(title) +
         "</title></head>\n<body>\n" + inner + "</body></html>\n";
}

}  // namespace

Result<RenderedEmail> RenderEmail(const OutboxMessage& message, const std::string& base_url_in) {
  std::string base_url = base_url_in;
  while (!base_url.empty() && base_url.back() == '/') base_url.pop_back();
  nlohmann::json payload = nlohmann::json::parse(message.payload, nullptr, false);
  if (payload.is_discarded() || !payload.is_object()) {
    return Fail(Code::kInvalidArgument, "mail payload is not a JSON object");
  }
  if (IsAccountMailKind(message.kind)) return RenderAccountEmail(message.kind, payload, base_url);
  auto title = Field(payload, "campaign_title");
  if (!title) return Fail(title.error());
  auto slug = Field(payload, "campaign_slug");
  if (!slug) return Fail(slug.error());
  // A confirmation mail ("confirm", "verify") has one token, "token", which both its confirm
  // and its withdraw link carry; an "already signed" one only a withdraw-only "withdraw_token".
  const bool with_confirm = message.kind == "confirm" || message.kind == "verify";
  auto token = Field(payload, with_confirm ? "token" : "withdraw_token");
  if (with_confirm && !token) return Fail(token.error());

  const std::string campaign_title = OneLine(*title);
  const std::string quoted = "\u201C" + campaign_title + "\u201D";
  const std::string campaign_url = base_url + "/c/" + PercentEncode(*slug);
  const std::string withdraw_url = token ? base_url + "/s/withdraw?t=" + PercentEncode(*token) : "";
  const std::string confirm_url =
      with_confirm ? base_url + "/s/confirm?t=" + PercentEncode(*token) : "";

  RenderedEmail out;
  if (message.kind == "confirm") {
    out.subject = "Please confirm your signature: " + campaign_title;
    const std::string intro =
        "Someone, hopefully you, signed " + quoted + " with this email address.";
    const std::string how =
        "To confirm your signature, open this link and press the button on the page:";
    const std::string counts = "Only confirmed signatures are counted.";
    const std::string not_you =
        "If you did not sign, ignore this email: the signature will not be counted and your "
        "address will not be used.";
    const std::string withdraw = "Changed your mind? Withdraw your signature at any time:";
    out.text = "Hello,\n\n" + intro + "\n\n" + how + "\n\n" + confirm_url + "\n\n" + counts + " " +
               not_you + "\n\n" + withdraw + "\n\n" + withdraw_url +
               "\n\nThe campaign: " + campaign_url + "\n";
    out.html =
        HtmlWrap(out.subject, HtmlParagraph("Hello,") + HtmlParagraph(intro) + HtmlParagraph(how) +
                                  HtmlLink("Confirm my signature", confirm_url) +
                                  HtmlParagraph(counts + " " + not_you) + HtmlParagraph(withdraw) +
                                  HtmlLink("Withdraw my signature", withdraw_url) +
                                  HtmlLink("See the campaign", campaign_url));
  } else if (message.kind == "already_signed") {
    out.subject = "You have already signed: " + campaign_title;
    const std::string intro =
        "Someone, hopefully you, tried to sign " + quoted + " again with this email address.";
    const std::string done =
        "Your signature is already confirmed and counted, so there is nothing more to do. "
        "Thank you!";
    const std::string withdraw = "If you want to withdraw your signature, use this link:";
    const std::string not_you = "If this was not you, you can ignore this email.";
    out.text = "Hello,\n\n" + intro + "\n\n" + done + "\n\n";
    std::string html = HtmlParagraph("Hello,") + HtmlParagraph(intro) + HtmlParagraph(done);
    if (!withdraw_url.empty()) {
      out.text += withdraw + "\n\n" + withdraw_url + "\n\n";
      html += HtmlParagraph(withdraw) + HtmlLink("Withdraw my signature", withdraw_url);
    }
    out.text += not_you + "\n\nThe campaign: " + campaign_url + "\n";
    html += HtmlParagraph(not_you) + HtmlLink("See the campaign", campaign_url);
    out.html = HtmlWrap(out.subject, html);
  } else if (message.kind == "verify" || message.kind == "verify_already") {
    // Sent to a work address: the employer's mail system sees it. It names no campaign and no
    // cause, only that a link was asked for; the page behind the link says the rest.
    const bool fresh = message.kind == "verify";
    out.subject = fresh ? "Your one-time link" : "Your link, again";
    std::vector<std::string> paragraphs;
    std::string html;
    out.text = "Hello,\n\n";
    html += HtmlParagraph("Hello,");
    auto para = [&](const std::string& p) {
      out.text += p + "\n\n";
      html += HtmlParagraph(p);
    };
    if (fresh) {
      para(
          "You asked for a one-time link to prove this address. Open it and press the button "
          "on the page:");
      out.text += confirm_url + "\n\n";
      html += HtmlLink("Open the link", confirm_url);
      para("If you did not ask for it, ignore this message; nothing happens.");
    } else {
      para("This address was already proven; there is nothing more to do.");
    }
    if (!withdraw_url.empty()) {
      para("To undo it at any time:");
      out.text += withdraw_url + "\n";
      html += HtmlLink("Undo", withdraw_url);
    }
    out.html = HtmlWrap(out.subject, html);
  } else if (message.kind == "revealed") {
    auto group = Field(payload, "group");
    if (!group) return Fail(group.error());
    auto it = payload.find("threshold");
    const std::string threshold = FormatThousands(
        it != payload.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0);
    out.subject = "Your name is now shown: " + campaign_title;
    const std::string p1 = quoted + " now has " + threshold + " or more verified signers in " +
                           OneLine(*group) + ", the number you chose.";
    const std::string p2 =
        "As you asked, your name was sealed until then. It is now shown with the others who "
        "chose the same, all at once, and stays shown.";
    const std::string p3 = "This is the only message about it.";
    out.text =
        "Hello,\n\n" + p1 + "\n\n" + p2 + "\n\n" + p3 + "\n\nThe campaign: " + campaign_url + "\n";
    out.html =
        HtmlWrap(out.subject, HtmlParagraph("Hello,") + HtmlParagraph(p1) + HtmlParagraph(p2) +
                                  HtmlParagraph(p3) + HtmlLink("See the campaign", campaign_url));
  } else if (message.kind == "invalidated") {
    // The organizers removed the signature (moderation) and chose to say so. Their reason is
    // their record, not this mail's.
    out.subject = "Your signature was removed: " + campaign_title;
    const std::string p1 = "The organizers of " + quoted +
                           " removed your signature. It is no longer counted or shown anywhere, "
                           "and the campaign's public log records the removal without naming you.";
    const std::string p2 =
        "If you did sign and think this is a mistake, write to the campaign's organizers; the "
        "campaign page says who they are.";
    out.text = "Hello,\n\n" + p1 + "\n\n" + p2 + "\n\nThe campaign: " + campaign_url + "\n";
    out.html =
        HtmlWrap(out.subject, HtmlParagraph("Hello,") + HtmlParagraph(p1) + HtmlParagraph(p2) +
                                  HtmlLink("See the campaign", campaign_url));
  } else if (message.kind == "org_confirm" || message.kind == "org_review") {
    auto org = Field(payload, "organization_name");
    if (!org) return Fail(org.error());
    const bool confirm = message.kind == "org_confirm";
    auto token = Field(payload, confirm ? "confirm_token" : "review_token");
    if (!token) return Fail(token.error());
    const std::string url =
        base_url + (confirm ? "/o/confirm?t=" : "/o/review?t=") + PercentEncode(*token);
    const std::string name = "\u201C" + OneLine(*org) + "\u201D";
    std::vector<std::string> paragraphs;
    std::string label;
    if (confirm) {
      out.subject = "Please confirm your organization's signature: " + campaign_title;
      paragraphs.push_back("Someone, hopefully you, asked for " + name + " to co-sign " + quoted +
                           ", giving this address as the organization's contact.");
      paragraphs.push_back(
          "To confirm, open this link and press the button on the page. The campaign's "
          "organizers then review the request before the organization is listed:");
      paragraphs.push_back("If you did not ask for this, ignore this email; nothing is listed.");
      label = "Confirm";
    } else {
      out.subject = "An organization asks to co-sign " + campaign_title;
      std::string website;
      if (auto w = Field(payload, "website")) website = " (" + OneLine(*w) + ")";
      paragraphs.push_back(name + website + " asks to co-sign " + quoted +
                           ", and its contact address has confirmed the request.");
      paragraphs.push_back(
          "As an organizer of the campaign, you decide whether it is listed. Open this link to "
          "approve or reject it:");
      paragraphs.push_back("Until someone decides, it is not shown anywhere.");
      label = "Review the request";
    }
    out.text = "Hello,\n\n" + paragraphs[0] + "\n\n" + paragraphs[1] + "\n\n" + url + "\n\n" +
               paragraphs[2] + "\n\nThe campaign: " + campaign_url + "\n";
    out.html = HtmlWrap(out.subject, HtmlParagraph("Hello,") + HtmlParagraph(paragraphs[0]) +
                                         HtmlParagraph(paragraphs[1]) + HtmlLink(label, url) +
                                         HtmlParagraph(paragraphs[2]) +
                                         HtmlLink("See the campaign", campaign_url));
  } else if (message.kind == "outcome") {
    auto outcome = Field(payload, "outcome");
    if (!outcome) return Fail(outcome.error());
    auto role = Field(payload, "role");
    if (!role) return Fail(role.error());
    auto number = [&](const char* key) -> std::int64_t {
      auto it = payload.find(key);
      return it != payload.end() && it->is_number_integer() ? it->get<std::int64_t>() : 0;
    };
    const std::string threshold = FormatThousands(number("threshold"));
    const std::string confirmed = FormatThousands(number("confirmed"));
    const bool organizer = *role == "organizer";
    std::vector<std::string> paragraphs;
    if (*outcome == "succeeded") {
      out.subject = "It worked: " + campaign_title + " reached " + threshold + " signatures";
      paragraphs.push_back(quoted + " reached its threshold of " + threshold +
                           " confirmed signatures, so it goes ahead.");
      paragraphs.push_back(organizer ? "As an organizer, you can now deliver the letter."
                                     : "Thank you for being one of them. Signatures are still "
                                       "welcome until the deadline.");
    } else if (*outcome == "failed") {
      out.subject = "Not this time: " + campaign_title;
      paragraphs.push_back(quoted + " needed " + threshold +
                           " confirmed signatures by its deadline and had " + confirmed +
                           ", so it does not go ahead.");
      paragraphs.push_back(organizer ? "The campaign's page says so now."
                                     : "Thank you for signing. Your signature stays on record.");
    } else {
      return Fail(Code::kInvalidArgument, "unknown outcome " + OneLine(*outcome));
    }
    paragraphs.push_back(
        organizer ? "You receive this because you are listed as an organizer of the campaign."
                  : "This is the only message about this outcome; you receive it because you "
                    "signed.");
    out.text = "Hello,\n\n";
    std::string html = HtmlParagraph("Hello,");
    for (const auto& p : paragraphs) {
      out.text += p + "\n\n";
      html += HtmlParagraph(p);
    }
    out.text += "The campaign: " + campaign_url + "\n";
    html += HtmlLink("See the campaign", campaign_url);
    out.html = HtmlWrap(out.subject, html);
  } else {
    return Fail(Code::kInvalidArgument, "unknown mail kind " + OneLine(message.kind));
  }
  return out;
}

}  // namespace undersigned::render
