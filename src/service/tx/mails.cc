#include "service/tx/mails.h"

#include <nlohmann/json.hpp>

#include "store/json_text.h"

namespace undersigned::tx {
namespace {

// Members in the order they are given (as the SQL json_object that built them before did).
using Json = nlohmann::ordered_json;

std::string Dump(const Json& j) {
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Json CampaignMembers(const Campaign& c) {
  return Json{{"campaign_title", c.title}, {"campaign_slug", c.slug}, {"language", c.language}};
}

}  // namespace

Result<std::string> ExtendPayload(
    std::string_view base, std::initializer_list<std::pair<const char*, std::string_view>> extra) {
  auto is_space = [](char c) { return c == ' ' || c == '\n' || c == '\r' || c == '\t'; };
  while (!base.empty() && is_space(base.front())) base.remove_prefix(1);
  while (!base.empty() && is_space(base.back())) base.remove_suffix(1);
  std::string out;
  out.reserve(base.size() + 256);
  bool empty_object = true;
  if (base.empty()) {
    out = "{";
  } else {
    if (base.size() < 2 || base.front() != '{' || base.back() != '}') {
      return Fail(Code::kInternal, "mail payload is not a JSON object");
    }
    base.remove_suffix(1);
    for (char c : base.substr(1)) {
      if (!is_space(c)) {
        empty_object = false;
        break;
      }
    }
    out.append(base);
  }
  for (const auto& [key, value] : extra) {
    if (!empty_object) out.push_back(',');
    empty_object = false;
    store::AppendJsonString(out, key);
    out.push_back(':');
    store::AppendJsonString(out, value);
  }
  out.push_back('}');
  return out;
}

Result<store::NewMail> SigningMail(const NewSignature& s, std::string_view signature_uuid,
                                   bool with_confirm) {
  const bool work = s.by_domain;
  store::NewMail m;
  if (work) {
    m.kind = with_confirm ? "verify" : "verify_already";
  } else {
    m.kind = with_confirm ? "confirm" : "already_signed";
  }
  m.recipient = work ? s.form.work_email : s.form.email;
  m.work_address = work;
  m.now = s.now;
  const std::string_view name = work ? std::string_view() : std::string_view(s.form.name);
  auto payload =
      ExtendPayload(s.mail_payload, {{with_confirm ? "token" : "withdraw_token", s.token},
                                     {"name", name},
                                     {"signature_uuid", signature_uuid}});
  if (!payload) return Fail(payload.error());
  m.payload = std::move(*payload);
  return m;
}

std::string OutcomePayload(const Campaign& c, CampaignOutcome outcome, bool organizer,
                           std::int64_t confirmed) {
  Json j{{"outcome", OutcomeName(outcome)}, {"role", organizer ? "organizer" : "signer"}};
  j.update(CampaignMembers(c));
  if (c.threshold) {
    j["threshold"] = *c.threshold;
  } else {
    j["threshold"] = nullptr;
  }
  j["confirmed"] = confirmed;
  return Dump(j);
}

std::string RevealedPayload(const Campaign& c, const SignerGroup& group, std::int64_t threshold,
                            std::string_view name, std::int64_t count) {
  Json j = CampaignMembers(c);
  j["group"] = group.name;
  j["threshold"] = threshold;
  j["name"] = std::string(name);
  j["count"] = count;
  return Dump(j);
}

std::string InvalidatedPayload(const Campaign& c) { return Dump(CampaignMembers(c)); }

Result<std::string> OrgConfirmPayload(const NewOrganization& o) {
  return ExtendPayload(o.mail_payload,
                       {{"confirm_token", o.confirm_token}, {"organization_name", o.form.name}});
}

std::string OrgReviewPayload(const Campaign& c, const Organization& o,
                             std::string_view review_token) {
  Json j = CampaignMembers(c);
  j["organization_name"] = o.form.name;
  j["website"] = o.form.website;
  j["review_token"] = std::string(review_token);
  return Dump(j);
}

}  // namespace undersigned::tx
