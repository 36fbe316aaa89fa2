#include "render/email.h"

#include <nlohmann/json.hpp>

#include "render/escape.h"

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
  auto title = Field(payload, "campaign_title");
  if (!title) return Fail(title.error());
  auto slug = Field(payload, "campaign_slug");
  if (!slug) return Fail(slug.error());
  auto withdraw_token = Field(payload, "withdraw_token");

  const std::string campaign_title = OneLine(*title);
  const std::string quoted = "\u201C" + campaign_title + "\u201D";
  const std::string campaign_url = base_url + "/c/" + PercentEncode(*slug);
  const std::string withdraw_url =
      withdraw_token ? base_url + "/s/withdraw?t=" + PercentEncode(*withdraw_token) : "";

  RenderedEmail out;
  if (message.kind == "confirm") {
    auto confirm_token = Field(payload, "confirm_token");
    if (!confirm_token) return Fail(confirm_token.error());
    if (!withdraw_token) return Fail(withdraw_token.error());
    const std::string confirm_url = base_url + "/s/confirm?t=" + PercentEncode(*confirm_token);
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
  } else {
    return Fail(Code::kInvalidArgument, "unknown mail kind " + OneLine(message.kind));
  }
  return out;
}

}  // namespace undersigned::render
