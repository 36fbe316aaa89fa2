// Updates to signers (issue 13, part 7), over service::UpdateService, which decides who may
// (send_update), records each act, and sends through the outbox, throttled, with a one-click
// unsubscribe in every message (RFC 8058).
//
//   GET  /console/c/{slug}/updates              the campaign's updates with their delivery
//            counts (queued, sent, failed, unsubscribed), and the form to write a new one
//   POST /console/c/{slug}/updates              subject, body: a new draft (then its page)
//   GET  /console/c/{slug}/updates/{id}         the update as signers will read it, how many it
//            would reach now, its counts; for a draft the edit form, "send me a test" and
//            "send now" or "send at" (a time in the campaign's time zone)
//   POST /console/c/{slug}/updates/{id}         subject, body: edits a draft
//   POST /console/c/{slug}/updates/{id}/test    queues one test copy to the signed-in organizer
//   POST /console/c/{slug}/updates/{id}/send    when=now|later, at (datetime-local)
//   POST /console/c/{slug}/updates/{id}/unschedule  calls off a scheduled update before it
//            starts going out (a draft again)
// An update of another campaign under this slug's address is a 404.
#include <charconv>
#include <map>
#include <string>

#include "core/time_zone.h"
#include "core/utf8.h"
#include "http/console/routes.h"
#include "render/text.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

const ::undersigned::Error kUnavailable{Code::kUnavailable, "Updates are off on this site.", {}, 0};

// What the organizer typed, and what is wrong with it.
struct Typed {
  std::string subject, body, when, at;
  std::map<std::string, std::string> errors;  // field -> message
  std::string error;                          // for the page as a whole
};

Typed TypedOf(const pages::Form& form) {
  return Typed{pages::First(form, "subject"),
               pages::First(form, "body"),
               pages::First(form, "when"),
               pages::First(form, "at"),
               {},
               {}};
}

// The error of a form post as the page shows it: per field for kInvalidArgument, else as a
// whole.
void Take(Typed* t, const ::undersigned::Error& e) {
  if (e.field_errors.empty()) {
    t->error = e.message;
    return;
  }
  for (const auto& [field, message] : e.field_errors) {
    const char* label = field == "subject"   ? "The subject "
                        : field == "body"    ? "The text "
                        : field == "send_at" ? "The time "
                                             : "";
    t->errors[field] = label + message;
  }
}

void SetForm(Data* d, const Typed& t) {
  d->set("subject", t.subject);
  d->set("body", t.body);
  d->set("at", t.at);
  d->set("later", Data(t.when == "later"));
  auto err = [&](const char* field) {
    auto it = t.errors.find(field);
    return render::TextOrNothing(it == t.errors.end() ? "" : it->second);
  };
  d->set("subject_error", err("subject"));
  d->set("body_error", err("body"));
  d->set("at_error", err("send_at"));
  d->set("error", render::TextOrNothing(t.error));
  d->set("has_errors", Data(!t.errors.empty() || !t.error.empty()));
}

Data Counts(const UpdateCounts& c) {
  Data d;
  d.set("queued", std::to_string(c.queued));
  d.set("sent", std::to_string(c.sent));
  d.set("failed", std::to_string(c.failed));
  d.set("unsubscribed", std::to_string(c.unsubscribed));
  return d;
}

std::string StateText(const Update& u, const Campaign& c) {
  switch (u.state) {
    case UpdateState::kDraft:
      return "draft";
    case UpdateState::kScheduled:
      return "to be sent " + (u.send_at ? DescribeTime(*u.send_at, c.time_zone) : std::string());
    case UpdateState::kSending:
      return "sending";
    case UpdateState::kSent:
      return "sent" + (u.finished ? " " + DescribeTime(*u.finished, c.time_zone) : std::string());
  }
  return "";
}

std::optional<std::int64_t> IdOf(const Request& req) {
  const std::string s = req.Param("id");
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

// The list, with the new-update form (typed: what was typed into it, if it came back).
Response ShowList(ConsoleKit& k, const Request& req, const Visit& v, const Typed& typed,
                  int status) {
  auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kSendUpdate);
  if (!c) return k.Error(&v, req, c.error());
  auto list = k.updates()->List(v.actor(), c->slug);
  if (!list) return k.Error(&v, req, list.error());
  DataList rows;
  for (const service::UpdateSummary& s : *list) {
    Data row;
    row.set("id", std::to_string(s.update.id));
    row.set("subject", s.update.subject);
    row.set("kind", render::TextOrNothing(s.update.kind == "update" ? "" : s.update.kind));
    row.set("state", StateText(s.update, *c));
    row.set("counts", Counts(s.counts));
    rows.push_back(std::move(row));
  }
  Data d;
  d.set("csrf", v.csrf);
  d.set("slug", c->slug);
  d.set("title", c->title);
  d.set("updates", Data(rows));
  d.set("none", Data(rows.empty()));
  SetForm(&d, typed);
  d.set("console_js", Data(true));  // the live preview
  return k.Page(&v, "console_updates", std::move(d), "Updates: " + c->title, status);
}

// One update's page.
Response ShowOne(ConsoleKit& k, const Request& req, const Visit& v, const Typed* typed,
                 int status) {
  auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kSendUpdate);
  if (!c) return k.Error(&v, req, c.error());
  auto id = IdOf(req);
  if (!id) return k.Error(&v, req, {Code::kNotFound, "No such update.", {}, 0});
  auto s = k.updates()->Get(v.actor(), *id);
  if (!s) return k.Error(&v, req, s.error());
  if (s->update.campaign_id != c->id) {
    return k.Error(&v, req, {Code::kNotFound, "No such update on this campaign.", {}, 0});
  }
  auto p = k.updates()->Preview(v.actor(), *id);
  if (!p) return k.Error(&v, req, p.error());
  const Update& u = s->update;
  Data d;
  d.set("csrf", v.csrf);
  d.set("slug", c->slug);
  d.set("title", c->title);
  d.set("id", std::to_string(u.id));
  d.set("shown_subject", u.subject);
  d.set("html", p->html);
  d.set("recipients",
        std::to_string(p->recipients) + (p->recipients == 1 ? " signer" : " signers"));
  d.set("state", StateText(u, *c));
  d.set("draft", Data(u.state == UpdateState::kDraft));
  d.set("scheduled", Data(u.state == UpdateState::kScheduled));
  d.set("counts", Counts(s->counts));
  d.set("time_zone", c->time_zone);
  d.set("done", render::TextOrNothing(req.Query("done").value_or("")));
  Typed shown = typed ? *typed : Typed{u.subject, u.body_markdown, "now", "", {}, {}};
  SetForm(&d, shown);
  d.set("console_js", Data(true));  // the live preview
  return k.Page(&v, "console_update", std::move(d), u.subject + ": " + c->title, status);
}

Response Back(const std::string& slug, std::int64_t id, const std::string& done) {
  return SeeOther("/console/c/" + slug + "/updates/" + std::to_string(id) +
                  "?done=" + PercentEncode(done));
}

// A failed post on one update's page: the form comes back with its errors (400/409), anything
// else is the console's error page.
Response FailedOne(ConsoleKit& k, const Request& req, const Visit& v, Typed typed,
                   const ::undersigned::Error& e) {
  if (e.code != Code::kInvalidArgument && e.code != Code::kConflict) return k.Error(&v, req, e);
  Take(&typed, e);
  return ShowOne(k, req, v, &typed, StatusFor(e.code));
}

}  // namespace

void RegisterUpdates(Router& router, KitPtr kit) {
  router.Add("GET", "/console/c/{slug}/updates",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           if (k.updates() == nullptr) return k.Error(&v, req, kUnavailable);
                           return ShowList(k, req, v, Typed{}, 200);
                         }),
             ConsoleRoute("console_updates"));

  auto post = [kit](auto fn) {
    return SignedInPost(
        kit, [fn](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
          if (k.updates() == nullptr) return k.Error(&v, req, kUnavailable);
          return fn(k, *k.updates(), req, v, form);
        });
  };

  router.Add("POST", "/console/c/{slug}/updates",
             post([](ConsoleKit& k, service::UpdateService& updates, const Request& req,
                     const Visit& v, const pages::Form& form) {
               Typed typed = TypedOf(form);
               auto u = updates.Draft(v.actor(), req.Param("slug"), typed.subject, typed.body);
               if (!u) {
                 if (u.error().code != Code::kInvalidArgument) {
                   return k.Error(&v, req, u.error());
                 }
                 Take(&typed, u.error());
                 return ShowList(k, req, v, typed, 400);
               }
               return Back(req.Param("slug"), u->id,
                           "Saved as a draft. Read it, send yourself a test, then send it.");
             }),
             ConsoleRoute("console_update_draft"));

  router.Add("GET", "/console/c/{slug}/updates/{id}",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           if (k.updates() == nullptr) return k.Error(&v, req, kUnavailable);
                           return ShowOne(k, req, v, nullptr, 200);
                         }),
             ConsoleRoute("console_update"));

  // The three posts on one update check that it is this campaign's first (ShowOne's rule).
  auto on_update = [post](auto fn) {
    return post([fn](ConsoleKit& k, service::UpdateService& updates, const Request& req,
                     const Visit& v, const pages::Form& form) {
      auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kSendUpdate);
      if (!c) return k.Error(&v, req, c.error());
      auto id = IdOf(req);
      auto s = id ? updates.Get(v.actor(), *id)
                  : Result<service::UpdateSummary>(
                        Fail(Code::kNotFound, "No such update on this campaign."));
      if (!s) return k.Error(&v, req, s.error());
      if (s->update.campaign_id != c->id) {
        return k.Error(&v, req, {Code::kNotFound, "No such update on this campaign.", {}, 0});
      }
      return fn(k, updates, req, v, form, *c, s->update);
    });
  };

  router.Add(
      "POST", "/console/c/{slug}/updates/{id}",
      on_update([](ConsoleKit& k, service::UpdateService& updates, const Request& req,
                   const Visit& v, const pages::Form& form, const Campaign&, const Update& u) {
        Typed typed = TypedOf(form);
        auto r = updates.Edit(v.actor(), u.id, typed.subject, typed.body);
        if (!r) return FailedOne(k, req, v, std::move(typed), r.error());
        return Back(req.Param("slug"), u.id, "Saved.");
      }),
      ConsoleRoute("console_update_edit"));

  router.Add("POST", "/console/c/{slug}/updates/{id}/test",
             on_update([](ConsoleKit& k, service::UpdateService& updates, const Request& req,
                          const Visit& v, const pages::Form&, const Campaign&, const Update& u) {
               if (auto r = updates.TestSend(v.actor(), u.id, ""); !r) {
                 return FailedOne(k, req, v, Typed{u.subject, u.body_markdown, "now", "", {}, {}},
                                  r.error());
               }
               return Back(req.Param("slug"), u.id,
                           "A test copy is on its way to " + v.who.user.email + ".");
             }),
             ConsoleRoute("console_update_test"));

  router.Add(
      "POST", "/console/c/{slug}/updates/{id}/send",
      on_update([](ConsoleKit& k, service::UpdateService& updates, const Request& req,
                   const Visit& v, const pages::Form& form, const Campaign& c, const Update& u) {
        Typed typed{
            u.subject, u.body_markdown, pages::First(form, "when"), pages::First(form, "at"), {},
            {}};
        std::optional<UnixTime> at;
        if (typed.when == "later") {
          at = ParseLocalTime(typed.at, c.time_zone);
          if (!at) {
            typed.errors["send_at"] =
                "The time must be a date and time like 2026-12-24T09:00 (in " + c.time_zone + ").";
            return ShowOne(k, req, v, &typed, 400);
          }
        }
        auto r = updates.Send(v.actor(), u.id, at);
        if (!r) return FailedOne(k, req, v, std::move(typed), r.error());
        return Back(req.Param("slug"), u.id,
                    at ? "Scheduled: it goes out " + DescribeTime(*at, c.time_zone) + "."
                       : "Sending: it goes to every confirmed signer who asked for "
                         "updates, a batch at a time.");
      }),
      ConsoleRoute("console_update_send"));

  router.Add("POST", "/console/c/{slug}/updates/{id}/unschedule",
             on_update([](ConsoleKit& k, service::UpdateService& updates, const Request& req,
                          const Visit& v, const pages::Form&, const Campaign&, const Update& u) {
               if (auto r = updates.Unschedule(v.actor(), u.id); !r) {
                 return FailedOne(k, req, v, Typed{u.subject, u.body_markdown, "now", "", {}, {}},
                                  r.error());
               }
               return Back(req.Param("slug"), u.id,
                           "Called off: it is a draft again, and goes to nobody until you send "
                           "it.");
             }),
             ConsoleRoute("console_update_unschedule"));
}

}  // namespace undersigned::http::console
