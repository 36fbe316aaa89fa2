#include "core/campaign.h"

#include "core/signature.h"
#include "core/time_zone.h"
#include "core/utf8.h"

namespace undersigned {
namespace {

bool ValidSlug(const std::string& s) {
  if (s.size() < 3 || s.size() > 64) return false;
  if (s.front() == '-' || s.back() == '-') return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  }
  return true;
}

bool ValidLanguage(const std::string& s) {
  // A pragmatic BCP 47 subset: 2-3 letter language, optional -Region/-Script parts.
  if (s.size() < 2 || s.size() > 35) return false;
  std::size_t first = s.find('-');
  std::string lang = s.substr(0, first);
  if (lang.size() < 2 || lang.size() > 3) return false;
  for (char c : s) {
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')) {
      return false;
    }
  }
  return true;
}

}  // namespace

const char* StatusName(CampaignStatus s) {
  switch (s) {
    case CampaignStatus::kDraft:
      return "draft";
    case CampaignStatus::kOpen:
      return "open";
    case CampaignStatus::kClosed:
      return "closed";
  }
  return "draft";
}

std::optional<CampaignStatus> ParseStatus(std::string_view s) {
  if (s == "draft") return CampaignStatus::kDraft;
  if (s == "open") return CampaignStatus::kOpen;
  if (s == "closed") return CampaignStatus::kClosed;
  return std::nullopt;
}

const char* OutcomeName(CampaignOutcome o) {
  switch (o) {
    case CampaignOutcome::kPending:
      return "pending";
    case CampaignOutcome::kSucceeded:
      return "succeeded";
    case CampaignOutcome::kFailed:
      return "failed";
  }
  return "pending";
}

std::optional<CampaignOutcome> ParseOutcome(std::string_view s) {
  if (s == "pending") return CampaignOutcome::kPending;
  if (s == "succeeded") return CampaignOutcome::kSucceeded;
  if (s == "failed") return CampaignOutcome::kFailed;
  return std::nullopt;
}

Result<void> ValidateImageAlt(const std::string& alt) {
  std::map<std::string, std::string> errors;
  CheckTextField(errors, "image_alt", alt, kMaxImageAltBytes, true, false);
  if (errors.empty()) return {};
  return tl::unexpected(FieldErrors(std::move(errors)));
}

bool TakesSignatures(const Campaign& c, UnixTime now) {
  return c.status == CampaignStatus::kOpen && (!c.deadline || now < *c.deadline);
}

CampaignStatus StatusAt(const Campaign& c, UnixTime now) {
  if (c.status == CampaignStatus::kOpen && !TakesSignatures(c, now)) return CampaignStatus::kClosed;
  return c.status;
}

Result<void> ValidateCampaign(const Campaign& c) {
  std::map<std::string, std::string> errors;
  if (!ValidSlug(c.slug)) {
    errors["slug"] = "must be 3 to 64 characters of lower-case letters, digits and inner hyphens";
  }
  CheckTextField(errors, "title", c.title, 200, true, false);
  CheckTextField(errors, "demand", c.demand, 500, false, false);
  CheckTextField(errors, "letter", c.letter_markdown, 100'000, false, true);
  CheckTextField(errors, "description", c.description, 2000, false, true);
  CheckTextField(errors, "organized_by", c.organized_by, 200, false, false);
  if (c.targets.empty()) errors["targets"] = "needs at least one target (a decision maker)";
  for (std::size_t i = 0; i < c.targets.size(); ++i) {
    const Target& t = c.targets[i];
    std::string prefix = "targets[" + std::to_string(i) + "].";
    CheckTextField(errors, prefix + "name", t.name, 200, true, false);
    CheckTextField(errors, prefix + "title", t.title, 200, false, false);
    CheckTextField(errors, prefix + "organization", t.organization, 200, false, false);
    for (const auto* h : {&t.x_handle, &t.bluesky_handle, &t.mastodon_handle}) {
      CheckTextField(errors, prefix + "handle", *h, 120, false, false);
      if (h->find_first_of(" <>\"'&") != std::string::npos) {
        errors[prefix + "handle"] = "social handles cannot contain spaces or markup";
      }
    }
    if (!t.email.empty() && !ValidEmail(t.email)) {
      errors[prefix + "email"] = "'" + t.email + "' is not an email address like name@example.org";
    }
  }
  CheckSecondaryTargets(c.secondary_targets, errors);
  if (c.goal < 1 || c.goal > 1'000'000'000) errors["goal"] = "must be between 1 and 1,000,000,000";
  if (!ValidLanguage(c.language)) errors["language"] = "must be a language tag such as en or pt-BR";
  if (!IsKnownTimeZone(c.time_zone)) {
    errors["time_zone"] = "'" + c.time_zone +
                          "' is not a time zone of the tz database; use a name such as UTC or "
                          "Europe/Paris";
  }
  if (c.threshold) {
    if (*c.threshold < 1 || *c.threshold > 1'000'000'000) {
      errors["threshold"] = "must be between 1 and 1,000,000,000";
    } else if (!c.deadline) {
      errors["threshold"] =
          "needs a deadline: the campaign succeeds if the threshold is reached by then, and "
          "fails otherwise";
    }
  }
  if (c.organizers.size() > kMaxOrganizers) {
    errors["organizers"] = "at most " + std::to_string(kMaxOrganizers) + " addresses";
  }
  for (const std::string& o : c.organizers) {
    if (!ValidEmail(o)) {
      errors["organizers"] = "'" + o + "' is not an email address like name@example.org";
      break;
    }
  }
  ValidateGroups(c.groups, errors);
  if (c.anonymity_floor < 1 || c.anonymity_floor > 1000) {
    errors["anonymity_floor"] = "must be between 1 and 1000";
  } else {
    // A name sealed until fewer signers than the floor would be public while the page still
    // says "fewer than <floor>".
    for (std::size_t i = 0; i < c.groups.size(); ++i) {
      const std::string key = "groups[" + std::to_string(i) + "].seal_thresholds";
      for (std::int64_t t : c.groups[i].seal_thresholds) {
        if (t < c.anonymity_floor && !errors.count(key)) {
          errors[key] = "a seal of " + std::to_string(t) + " is below the anonymity floor (" +
                        std::to_string(c.anonymity_floor) +
                        "): names would be shown while the group's count still reads \"fewer "
                        "than " +
                        std::to_string(c.anonymity_floor) +
                        "\"; use seals of at least the floor, or lower the floor";
        }
      }
    }
  }
  if (!errors.empty()) {
    Error e{Code::kInvalidArgument, "", std::move(errors), 0};
    for (const auto& [field, msg] : e.field_errors) {
      if (!e.message.empty()) e.message += "; ";
      e.message += field + " " + msg;
    }
    return Fail(std::move(e));
  }
  return {};
}

std::vector<SignerGroup> EffectiveGroups(const Campaign& c) {
  if (c.groups.empty()) return {DefaultPublicGroup()};
  return c.groups;
}

const SignerGroup* FindGroup(const Campaign& c, std::string_view key) {
  static const SignerGroup kPublic = DefaultPublicGroup();
  if (c.groups.empty()) return key.empty() || key == kPublic.key ? &kPublic : nullptr;
  if (key.empty()) {
    // A client that knows nothing of groups (an OSDI one) signs as the public, if there is one.
    for (const SignerGroup& g : c.groups) {
      if (g.kind == GroupKind::kPublic) return &g;
    }
    return &c.groups.front();
  }
  for (const SignerGroup& g : c.groups) {
    if (g.key == key) return &g;
  }
  return nullptr;
}

std::int64_t GroupConfirmed(const CampaignCounts& counts, std::string_view key) {
  for (const GroupCount& g : counts.groups) {
    if (g.key == key) return g.confirmed;
  }
  return 0;
}

}  // namespace undersigned
