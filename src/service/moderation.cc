#include "service/moderation.h"

#include <algorithm>
#include <utility>

#include <nlohmann/json.hpp>

namespace undersigned::service {
namespace {}  // namespace

const char* CommentReviewName(store::CommentReview r) {
  switch (r) {
    case store::CommentReview::kNone:
      return "none";
    case store::CommentReview::kApproved:
      return "approved";
    case store::CommentReview::kHidden:
      return "hidden";
  }
  return "none";
}

namespace {

// The filter as the action record keeps it (no personal data: ranges, a domain, times).
nlohmann::json FilterDetail(const ModerationFilter& f) {
  nlohmann::json j = {{"ranges", f.ranges}, {"email_domain", f.email_domain}};
  if (f.from) j["from"] = *f.from;
  if (f.to) j["to"] = *f.to;
  std::vector<std::string> states;
  for (SignatureState s : f.states) states.push_back(SignatureStateName(s));
  j["states"] = states;
  return j;
}

}  // namespace

ModeratedSignature ModeratedView(const store::ModerationCandidate& c) {
  const Signature& s = c.row.signature;
  ModeratedSignature v;
  v.uuid = s.uuid;
  v.state = s.state;
  v.created = DayRounded(s) ? StartOfDay(s.created) : s.created;
  v.group = s.form.group;
  switch (s.form.protection) {
    case Protection::kNone:
      v.shown_as = s.form.public_name ? s.form.name : "(not public)";
      v.email_domain = EmailDomain(s.canonical_email);
      break;
    case Protection::kSealed:
      // Revealed: its name is public now (the reveal wrote it in clear); else still sealed.
      v.shown_as = !s.sealed && s.form.public_name ? s.form.name : "(sealed)";
      break;
    case Protection::kAnonymous:
      v.shown_as = "(anonymous)";
      break;
  }
  v.comment = s.sealed ? "" : s.form.comment;
  v.comment_review = c.moderation.comment;
  v.name_hidden = c.moderation.name_hidden;
  v.invalidated = c.moderation.invalidated;
  v.invalidation_reason = c.moderation.invalidation_reason;
  return v;
}

ModerationService::ModerationService(Store& store, CampaignService& campaigns,
                                     AccountService& accounts, const Clock& clock,
                                     ModerationOptions options, std::function<void()> wake_mailer)
    : store_(store),
      campaigns_(campaigns),
      accounts_(accounts),
      clock_(clock),
      options_(options),
      wake_mailer_(std::move(wake_mailer)) {}

std::string ModerationService::ByWhom(const Actor& by) {
  return by.user_id ? "user:" + std::to_string(*by.user_id) : std::string("operator");
}

Result<Campaign> ModerationService::CampaignFor(const Actor& by, const std::string& slug,
                                                CampaignAction action) {
  auto c = store_.GetCampaignBySlug(slug);
  if (!c)
    return Fail(c.error().code, c.error().code == Code::kNotFound
                                    ? "no campaign with the slug \"" + slug + "\""
                                    : c.error().message);
  if (auto ok = accounts_.Authorize(by, c->id, action); !ok) return Fail(ok.error());
  return c;
}

Result<std::int64_t> ModerationService::SignatureIn(const Campaign& c, const std::string& uuid) {
  auto s = store_.GetSignatureByUuid(uuid);
  if (!s || s->campaign_id != c.id) {
    if (s || s.error().code == Code::kNotFound) {
      return Fail(Code::kNotFound, "no signature " + uuid + " in " + c.slug);
    }
    return Fail(s.error());
  }
  return s->id;
}

void ModerationService::Changed(std::int64_t campaign_id, const CampaignCounts* counts) {
  CampaignCounts now;
  if (counts) {
    now = *counts;
  } else if (auto snap = campaigns_.SnapshotById(campaign_id)) {
    now = snap->counts;
  } else {
    return;  // not installed here (a draft the server does not show)
  }
  campaigns_.OnSignatureChange(campaign_id, now, nullptr, /*withdrawn_public=*/true);
}

Result<ModeratedSignature> ModerationService::ChangeVisibility(const Actor& by,
                                                               const std::string& slug,
                                                               const std::string& uuid,
                                                               const tx::VisibilityChange& change,
                                                               const std::string& action) {
  auto c = CampaignFor(by, slug, CampaignAction::kModerate);
  if (!c) return Fail(c.error());
  auto id = SignatureIn(*c, uuid);
  if (!id) return Fail(id.error());
  auto after = tx::SetVisibility(store_, c->id, *id, change);
  if (!after) return Fail(after.error());
  Changed(c->id, nullptr);
  if (auto r = accounts_.Record(by, c->id, action, uuid); !r) return Fail(r.error());
  return ModeratedView(*after);
}

Result<ModeratedSignature> ModerationService::HideComment(const Actor& by, const std::string& slug,
                                                          const std::string& uuid, bool hidden) {
  tx::VisibilityChange ch;
  ch.comment = hidden ? store::CommentReview::kHidden : store::CommentReview::kApproved;
  ch.now = clock_.Now();
  return ChangeVisibility(by, slug, uuid, ch,
                          hidden ? "signature.hide_comment" : "signature.show_comment");
}

Result<ModeratedSignature> ModerationService::HideName(const Actor& by, const std::string& slug,
                                                       const std::string& uuid, bool hidden) {
  tx::VisibilityChange ch;
  ch.name_hidden = hidden;
  ch.now = clock_.Now();
  return ChangeVisibility(by, slug, uuid, ch,
                          hidden ? "signature.hide_name" : "signature.show_name");
}

Result<ModeratedSignature> ModerationService::ApproveComment(const Actor& by,
                                                             const std::string& slug,
                                                             const std::string& uuid,
                                                             bool approve) {
  tx::VisibilityChange ch;
  ch.comment = approve ? store::CommentReview::kApproved : store::CommentReview::kHidden;
  ch.now = clock_.Now();
  return ChangeVisibility(by, slug, uuid, ch, approve ? "comment.approve" : "comment.reject");
}

Result<void> ModerationService::SetCommentApproval(const Actor& by, const std::string& slug,
                                                   bool on) {
  auto c = CampaignFor(by, slug, CampaignAction::kModerate);
  if (!c) return Fail(c.error());
  if (auto r = tx::SetCommentApproval(store_, c->id, on, clock_.Now()); !r) return r;
  campaigns_.SetCommentApproval(c->id, on);
  Changed(c->id, nullptr);
  if (auto r = accounts_.Record(by, c->id, on ? "comments.queue_on" : "comments.queue_off", slug);
      !r) {
    return Fail(r.error());
  }
  return {};
}

Result<bool> ModerationService::CommentApproval(const Actor& by, const std::string& slug) {
  auto c = CampaignFor(by, slug, CampaignAction::kModerate);
  if (!c) return Fail(c.error());
  return tx::CommentApproval(store_, c->id);
}

Result<std::vector<ModeratedSignature>> ModerationService::AwaitingComments(const Actor& by,
                                                                            const std::string& slug,
                                                                            int limit) {
  auto c = CampaignFor(by, slug, CampaignAction::kModerate);
  if (!c) return Fail(c.error());
  auto rows = tx::AwaitingComments(store_, c->id, std::clamp(limit, 1, 1000));
  if (!rows) return Fail(rows.error());
  std::vector<ModeratedSignature> out;
  for (const auto& r : *rows) {
    if (r.row.signature.sealed) continue;  // nothing to show: its comment is sealed
    out.push_back(ModeratedView(r));
  }
  return out;
}

Result<InvalidationResult> ModerationService::Invalidate(const Actor& by, const std::string& slug,
                                                         const std::string& uuid,
                                                         const std::string& reason, bool notify) {
  auto checked = CheckReason(reason);
  if (!checked) return Fail(checked.error());
  auto c = CampaignFor(by, slug, CampaignAction::kInvalidate);
  if (!c) return Fail(c.error());
  auto id = SignatureIn(*c, uuid);
  if (!id) return Fail(id.error());
  tx::Invalidation inv{ByWhom(by), *checked, notify, clock_.Now()};
  auto out = tx::Invalidate(store_, c->id, *id, inv);
  if (!out) return Fail(out.error());
  InvalidationResult r{static_cast<int>(out->uuids.size()), out->confirmed, out->notified,
                       out->counts};
  if (r.invalidated > 0) {
    Changed(c->id, &out->counts);
    if (r.notified > 0 && wake_mailer_) wake_mailer_();
    if (auto rec = accounts_.Record(by, c->id, "signature.invalidate", uuid,
                                    {{"reason", *checked}, {"notify", notify}});
        !rec) {
      return Fail(rec.error());
    }
  }
  return r;
}

Result<ModerationPreview> ModerationService::Preview(const Actor& by,
                                                     const ModerationFilter& filter) {
  auto checked = CheckFilter(filter);
  if (!checked) return Fail(checked.error());
  auto c = CampaignFor(by, filter.campaign_slug, CampaignAction::kInvalidate);
  if (!c) return Fail(c.error());
  auto m = tx::PreviewMatching(store_, c->id, *checked, options_.preview_sample);
  if (!m) return Fail(m.error());
  ModerationPreview out;
  out.count = m->count;
  for (const auto& row : m->sample) out.sample.push_back(ModeratedView(row));
  return out;
}

Result<InvalidationResult> ModerationService::InvalidateMatching(const Actor& by,
                                                                 const ModerationFilter& filter,
                                                                 std::int64_t expected_count,
                                                                 const std::string& reason,
                                                                 bool notify) {
  auto checked = CheckFilter(filter);
  if (!checked) return Fail(checked.error());
  auto why = CheckReason(reason);
  if (!why) return Fail(why.error());
  if (expected_count < 0) {
    return Fail(Code::kInvalidArgument, "the expected count is the preview's, 0 or more");
  }
  auto c = CampaignFor(by, filter.campaign_slug, CampaignAction::kInvalidate);
  if (!c) return Fail(c.error());
  tx::Invalidation inv{ByWhom(by), *why, notify, clock_.Now()};
  auto out = tx::InvalidateMatching(store_, c->id, *checked, expected_count, inv);
  if (!out) return Fail(out.error());
  InvalidationResult r{static_cast<int>(out->uuids.size()), out->confirmed, out->notified,
                       out->counts};
  if (r.invalidated > 0) {
    Changed(c->id, &out->counts);
    if (r.notified > 0 && wake_mailer_) wake_mailer_();
  }
  nlohmann::json detail = FilterDetail(filter);
  detail["reason"] = *why;
  detail["notify"] = notify;
  detail["count"] = r.invalidated;
  detail["signatures"] = out->uuids;
  if (auto rec = accounts_.Record(by, c->id, "signature.invalidate_matching", c->slug, detail);
      !rec) {
    return Fail(rec.error());
  }
  return r;
}

Result<std::int64_t> ModerationService::ForgetExpiredNetworks() {
  const UnixTime before =
      clock_.Now() - static_cast<UnixTime>(options_.network_retention_days) * 86400;
  return tx::ForgetClientNetworks(store_, before);
}

}  // namespace undersigned::service
