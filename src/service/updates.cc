// UpdateService, UnsubscribeLinks, UnsubscribeService, UpdateMailRenderer and UpdateScheduler
// (updates.h).
#include "service/updates.h"

#include <sodium.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <map>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/signature.h"
#include "core/utf8.h"
#include "render/markdown.h"
#include "service/link_mac.h"
#include "store/write.h"

namespace undersigned::service {
namespace {

Result<void> ValidateUpdate(const std::string& subject, const std::string& body) {
  std::map<std::string, std::string> errors;
  if (Trim(subject).empty()) {
    errors["subject"] = "is required";
  } else if (subject.size() > kMaxUpdateSubjectBytes) {
    errors["subject"] = "must be at most " + std::to_string(kMaxUpdateSubjectBytes) + " bytes";
  } else if (!IsValidUtf8(subject) || HasControlChars(subject, false) || HasBidiControls(subject)) {
    errors["subject"] = "must be one line of text, without control or direction characters";
  }
  if (Trim(body).empty()) {
    errors["body"] = "is required";
  } else if (body.size() > kMaxUpdateBodyBytes) {
    errors["body"] = "must be at most " + std::to_string(kMaxUpdateBodyBytes) + " bytes";
  } else if (!IsValidUtf8(body) || HasControlChars(body, true)) {
    errors["body"] = "must be text (UTF-8) without control characters";
  }
  if (!errors.empty()) return Fail(FieldErrors(std::move(errors)));
  return {};
}

bool ParseInt(std::string_view s, std::int64_t& out) {
  if (s.empty()) return false;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && p == s.data() + s.size() && out >= 0;
}

std::string TrimSlash(std::string s) {
  while (!s.empty() && s.back() == '/') s.pop_back();
  return s;
}

}  // namespace

// --- UnsubscribeLinks

Result<UnsubscribeLinks> UnsubscribeLinks::Open(Store& store) {
  auto key = store.InstanceSecret("unsubscribe-key");
  if (!key) return Fail(key.error());
  return UnsubscribeLinks(std::move(*key));
}

std::string UnsubscribeLinks::Mac(const Subject& s) const {
  const std::string msg = "unsubscribe:" + std::to_string(s.campaign_id) + ":" +
                          std::to_string(s.person_id) + ":" + std::to_string(s.update_id);
  return HmacHex(key_, msg).substr(0, kLinkMacHexDigits);
}

std::string UnsubscribeLinks::Token(const Subject& s) const {
  return std::to_string(s.campaign_id) + "." + std::to_string(s.person_id) + "." +
         std::to_string(s.update_id) + "." + Mac(s);
}

Result<UnsubscribeLinks::Subject> UnsubscribeLinks::Check(std::string_view token) const {
  auto bad = [] { return Fail(Code::kNotFound, "this unsubscribe link is not valid"); };
  if (token.size() > 120) return bad();
  std::int64_t parts[3];
  for (std::int64_t& part : parts) {
    auto dot = token.find('.');
    if (dot == std::string_view::npos || !ParseInt(token.substr(0, dot), part)) return bad();
    token.remove_prefix(dot + 1);
  }
  Subject s{parts[0], parts[1], parts[2]};
  const std::string want = Mac(s);
  if (token.size() != want.size() || sodium_memcmp(token.data(), want.data(), want.size()) != 0) {
    return bad();
  }
  return s;
}

// --- UpdateService

UpdateService::UpdateService(Store& store, AccountService& accounts, const Clock& clock,
                             std::function<void()> wake_scheduler)
    : store_(store), accounts_(accounts), clock_(clock), wake_(std::move(wake_scheduler)) {}

void UpdateService::SetWake(std::function<void()> wake_scheduler) {
  std::lock_guard lk(mu_);
  wake_ = std::move(wake_scheduler);
}

Result<Campaign> UpdateService::Authorized(const Actor& by, std::int64_t campaign_id) {
  if (auto r = accounts_.Authorize(by, campaign_id, CampaignAction::kSendUpdate); !r) {
    return Fail(r.error());
  }
  return store_.GetCampaignById(campaign_id);
}

Result<Update> UpdateService::AuthorizedUpdate(const Actor& by, std::int64_t id) {
  auto u = store_.outreach().GetUpdate(id);
  if (!u) return Fail(u.error());
  // Without a role on its campaign, an update is as unknown as the campaign.
  if (auto c = Authorized(by, u->campaign_id); !c) return Fail(c.error());
  return u;
}

Result<Update> UpdateService::Draft(const Actor& by, const std::string& slug,
                                    const std::string& subject, const std::string& body_markdown) {
  auto campaign = store_.GetCampaignBySlug(slug);
  if (!campaign) return Fail(campaign.error());
  if (auto r = Authorized(by, campaign->id); !r) return Fail(r.error());
  const std::string s = Trim(subject);
  if (auto v = ValidateUpdate(s, body_markdown); !v) return Fail(v.error());
  auto u = store_.outreach().CreateUpdate(
      NewUpdate{campaign->id, "update", s, body_markdown, by.user_id, clock_.Now()});
  if (!u) return Fail(u.error());
  if (auto r = accounts_.Record(by, campaign->id, "update.draft", std::to_string(u->id),
                                {{"subject", s}});
      !r) {
    return Fail(r.error());
  }
  return u;
}

Result<Update> UpdateService::Edit(const Actor& by, std::int64_t id, const std::string& subject,
                                   const std::string& body_markdown) {
  auto u = AuthorizedUpdate(by, id);
  if (!u) return Fail(u.error());
  const std::string s = Trim(subject);
  if (auto v = ValidateUpdate(s, body_markdown); !v) return Fail(v.error());
  auto edited = store_.outreach().EditUpdate(id, s, body_markdown, clock_.Now());
  if (!edited) return Fail(edited.error());
  if (auto r =
          accounts_.Record(by, u->campaign_id, "update.edit", std::to_string(id), {{"subject", s}});
      !r) {
    return Fail(r.error());
  }
  return edited;
}

Result<UpdatePreview> UpdateService::Preview(const Actor& by, std::int64_t id) {
  auto u = AuthorizedUpdate(by, id);
  if (!u) return Fail(u.error());
  auto n = store_.outreach().CountUpdateRecipients(u->campaign_id);
  if (!n) return Fail(n.error());
  // Reading is not recorded (the console shows the preview at every visit of the update).
  return UpdatePreview{*u, render::RenderMarkdown(u->body_markdown, 2), *n};
}

Result<void> UpdateService::TestSend(const Actor& by, std::int64_t id, const std::string& to) {
  auto u = AuthorizedUpdate(by, id);
  if (!u) return Fail(u.error());
  std::string address = Trim(to);
  if (address.empty() && by.user_id) {
    auto user = store_.accounts().GetUser(*by.user_id);
    if (!user) return Fail(user.error());
    address = user->email;
  }
  if (address.empty()) {
    return Fail(FieldErrors({{"to", "is required: the address the test goes to"}}));
  }
  if (!ValidEmail(address)) {
    return Fail(FieldErrors({{"to", "'" + address + "' is not an email address"}}));
  }
  auto queued = store::RunWrite<bool>(store_, [&](store::WriteTx& tx) -> Result<bool> {
    nlohmann::json payload = {{"update_id", id}};
    auto r = tx.QueueMail(store::NewMail{"update_test", address, payload.dump(), clock_.Now()});
    if (!r) return Fail(r.error());
    return true;
  });
  if (!queued) return Fail(queued.error());
  Wake();
  return accounts_
      .Record(by, u->campaign_id, "update.test_send", std::to_string(id), {{"to", address}})
      .map([](const ActionEntry&) {});
}

Result<Update> UpdateService::Send(const Actor& by, std::int64_t id, std::optional<UnixTime> at) {
  auto u = AuthorizedUpdate(by, id);
  if (!u) return Fail(u.error());
  const UnixTime now = clock_.Now();
  if (at && *at < now) {
    return Fail(FieldErrors({{"send_at", "is in the past: give a later time, or send now"}}));
  }
  if (u->state == UpdateState::kSending || u->state == UpdateState::kSent) {
    return Fail(Code::kConflict, "this update was already sent");
  }
  auto scheduled = store_.outreach().ScheduleUpdate(id, at.value_or(now), now);
  if (!scheduled) return Fail(scheduled.error());
  nlohmann::json detail = {{"send_at", at.value_or(now)}, {"subject", u->subject}};
  if (auto r = accounts_.Record(by, u->campaign_id, at ? "update.schedule" : "update.send",
                                std::to_string(id), detail);
      !r) {
    return Fail(r.error());
  }
  Wake();
  return scheduled;
}

Result<Update> UpdateService::Unschedule(const Actor& by, std::int64_t id) {
  auto u = AuthorizedUpdate(by, id);
  if (!u) return Fail(u.error());
  if (u->state == UpdateState::kSending || u->state == UpdateState::kSent) {
    return Fail(Code::kConflict, "this update is already going out: what is queued is sent");
  }
  if (u->state != UpdateState::kScheduled) {
    return Fail(Code::kConflict, "this update is not scheduled");
  }
  auto back = store_.outreach().UnscheduleUpdate(id, clock_.Now());
  if (!back) {
    if (back.error().code == Code::kConflict) {
      return Fail(Code::kConflict,
                  "this update started going out meanwhile: what is queued is "
                  "sent");
    }
    return Fail(back.error());
  }
  if (auto r = accounts_.Record(by, u->campaign_id, "update.unschedule", std::to_string(id),
                                {{"subject", u->subject}, {"send_at", u->send_at.value_or(0)}});
      !r) {
    return Fail(r.error());
  }
  return back;
}

void UpdateService::Wake() {
  std::function<void()> wake;
  {
    std::lock_guard lk(mu_);
    wake = wake_;
  }
  if (wake) wake();
}

Result<std::vector<UpdateSummary>> UpdateService::List(const Actor& by, const std::string& slug) {
  auto campaign = store_.GetCampaignBySlug(slug);
  if (!campaign) return Fail(campaign.error());
  if (auto r = Authorized(by, campaign->id); !r) return Fail(r.error());
  auto updates = store_.outreach().ListUpdates(campaign->id);
  if (!updates) return Fail(updates.error());
  std::vector<UpdateSummary> out;
  for (Update& u : *updates) {
    auto c = store_.outreach().GetUpdateCounts(u.id);
    if (!c) return Fail(c.error());
    out.push_back(UpdateSummary{std::move(u), *c});
  }
  return out;
}

Result<UpdateSummary> UpdateService::Get(const Actor& by, std::int64_t id) {
  auto u = AuthorizedUpdate(by, id);
  if (!u) return Fail(u.error());
  auto c = store_.outreach().GetUpdateCounts(id);
  if (!c) return Fail(c.error());
  return UpdateSummary{std::move(*u), *c};
}

Result<Update> UpdateService::Announce(const Actor& by, std::int64_t campaign_id,
                                       const std::string& kind, const std::string& subject,
                                       const std::string& body_markdown) {
  const UnixTime now = clock_.Now();
  auto u = store_.outreach().CreateUpdate(
      NewUpdate{campaign_id, kind, subject, body_markdown, by.user_id, now});
  if (!u) return Fail(u.error());
  auto scheduled = store_.outreach().ScheduleUpdate(u->id, now, now);
  if (!scheduled) return Fail(scheduled.error());
  if (auto r = accounts_.Record(by, campaign_id, "update.send", std::to_string(u->id),
                                {{"kind", kind}, {"subject", subject}});
      !r) {
    return Fail(r.error());
  }
  Wake();
  return scheduled;
}

// --- UnsubscribeService

Result<Campaign> UnsubscribeService::Check(std::string_view token) {
  auto s = links_.Check(token);
  if (!s) return Fail(s.error());
  return store_.GetCampaignById(s->campaign_id);
}

Result<Campaign> UnsubscribeService::Unsubscribe(std::string_view token) {
  auto s = links_.Check(token);
  if (!s) return Fail(s.error());
  auto campaign = store_.GetCampaignById(s->campaign_id);
  if (!campaign) return Fail(campaign.error());
  std::optional<std::int64_t> update;
  if (s->update_id > 0) update = s->update_id;
  auto r = store_.outreach().Unsubscribe(s->campaign_id, s->person_id, update, clock_.Now());
  if (!r) return Fail(r.error());
  return campaign;
}

// --- UpdateMailRenderer

UpdateMailRenderer::UpdateMailRenderer(Store& store, const UnsubscribeLinks& links,
                                       std::string base_url)
    : store_(store), links_(links), base_url_(TrimSlash(std::move(base_url))) {}

Result<OutreachMail> UpdateMailRenderer::Render(const OutboxMessage& m) const {
  auto payload = nlohmann::json::parse(m.payload, nullptr, false);
  if (!payload.is_object() || !payload.contains("update_id") ||
      !payload["update_id"].is_number_integer()) {
    return Fail(Code::kInvalidArgument, "an update mail without its update");
  }
  auto u = store_.outreach().GetUpdate(payload["update_id"].get<std::int64_t>());
  if (!u) {
    if (u.error().code == Code::kNotFound) return Fail(Code::kInvalidArgument, "unknown update");
    return Fail(u.error());
  }
  auto campaign = store_.GetCampaignById(u->campaign_id);
  if (!campaign) return Fail(campaign.error());
  const std::string campaign_url = base_url_ + "/c/" + campaign->slug;
  OutreachMail out;
  out.subject = u->subject;
  std::string why =
      "You receive this because you signed \"" + campaign->title + "\" and asked for updates.";
  if (m.kind == "update_test") {
    out.subject = "[Test] " + u->subject;
    why = "This is a test of an update to the signers of \"" + campaign->title +
          "\". Their copies carry a link to unsubscribe.";
  } else {
    if (!payload.contains("signature_id") || !payload["signature_id"].is_number_integer()) {
      return Fail(Code::kInvalidArgument, "an update mail without its signature");
    }
    auto address = store_.outreach().GetUpdateAddress(payload["signature_id"].get<std::int64_t>());
    if (!address) {
      if (address.error().code == Code::kNotFound) {
        return Fail(Code::kInvalidArgument, "the signer has no address any more");
      }
      return Fail(address.error());
    }
    out.to = address->email;
    out.unsubscribe_url = base_url_ + "/u/unsubscribe?t=" +
                          links_.Token({address->campaign_id, address->person_id, u->id});
  }
  out.text = u->body_markdown + "\n\n-- \n" + campaign->title + ": " + campaign_url + "\n" + why;
  if (!out.unsubscribe_url.empty()) out.text += "\nUnsubscribe: " + out.unsubscribe_url;
  out.text += "\n";
  // The body is the organizer's Markdown, rendered safely (cmark: raw HTML dropped); the rest
  // is ours, escaped.
  auto esc = [](const std::string& s) {
    std::string o;
    for (char c : s) {
      switch (c) {
        case '<':
          o += "&lt;";
          break;
        case '>':
          o += "&gt;";
          break;
        case '&':
          o += "&amp;";
          break;
        case '"':
          o += "&quot;";
          break;
        default:
          o += c;
      }
    }
    return o;
  };
  out.html = "<!doctype html><html><body>" + render::RenderMarkdown(u->body_markdown, 2) +
             "<hr><p><a href=\"" + esc(campaign_url) + "\">" + esc(campaign->title) + "</a><br>" +
             esc(why);
  if (!out.unsubscribe_url.empty()) {
    out.html += " <a href=\"" + esc(out.unsubscribe_url) + "\">Unsubscribe</a>";
  }
  out.html += "</p></body></html>";
  return out;
}

// --- UpdateScheduler

UpdateScheduler::UpdateScheduler(Store& store, const Clock& clock,
                                 std::function<void()> wake_mailer, UpdateOptions options)
    : store_(store), clock_(clock), wake_mailer_(std::move(wake_mailer)), options_(options) {}

UpdateScheduler::~UpdateScheduler() { Stop(); }

Result<UpdateScheduler::Pass> UpdateScheduler::RunOnce() {
  auto due = store_.outreach().DueUpdates(clock_.Now());
  if (!due) return Fail(due.error());
  Pass pass;
  bool ran = false;
  for (std::int64_t id : *due) {
    auto b =
        store_.outreach().EnqueueUpdateBatch(id, clock_.Now(), std::max(1, options_.batch_size));
    if (!b) return Fail(b.error());
    pass.queued += b->queued;
    ran = ran || b->ran;
    if (b->ran && !b->finished) pass.more = true;
    if (b->finished) spdlog::info("updates: update {} is queued in full", id);
  }
  // Also when nothing was queued: a delivery's mails, queued by the CLI in another process,
  // go out with its "delivered" announcement's first batch.
  if (ran && wake_mailer_) wake_mailer_();
  return pass;
}

void UpdateScheduler::Start() {
  std::lock_guard lk(mu_);
  stop_ = false;
  if (!thread_.joinable()) thread_ = std::thread([this] { Loop(); });
}

void UpdateScheduler::Stop() {
  {
    std::lock_guard lk(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

void UpdateScheduler::Poke() {
  {
    std::lock_guard lk(mu_);
    poked_ = true;
  }
  cv_.notify_all();
}

void UpdateScheduler::Loop() {
  for (;;) {
    // Throttle: after a full batch, wait batch_size / per_second before the next one.
    std::chrono::milliseconds wait(kMaxSleepSeconds * 1000);
    bool throttled = false;
    auto pass = RunOnce();
    if (!pass) {
      spdlog::error("updates: {}", pass.error().message);
    } else if (pass->more) {
      throttled = true;
      wait = options_.per_second > 0 ? std::chrono::milliseconds(static_cast<std::int64_t>(
                                           1000.0 * options_.batch_size / options_.per_second))
                                     : std::chrono::milliseconds(0);
    } else {
      auto next = store_.outreach().NextUpdateAt();
      if (!next) {
        spdlog::warn("updates: {}", next.error().message);
      } else if (*next) {
        wait = std::chrono::milliseconds(
            1000 * std::clamp<UnixTime>(**next - clock_.Now(), 0, kMaxSleepSeconds));
      }
    }
    std::unique_lock lk(mu_);
    if (wait.count() > 0) {
      // A poke (a new update to send) does not cut a throttle's wait short.
      cv_.wait_for(lk, wait, [&] { return stop_ || (poked_ && !throttled); });
    }
    if (stop_) return;
    poked_ = false;
  }
}

}  // namespace undersigned::service
