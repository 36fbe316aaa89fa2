// Moderation and fraud (issue 13, part 5), over service::ModerationService, which decides who
// may (moderate: hiding and the comment queue; invalidate: invalidations) and records each act.
//
//   GET  /console/c/{slug}/moderation?ranges=&domain=&from=&to=
//            the comment queue, hiding, and the bulk invalidation: with a filter given, how many
//            it matches now and a sample (never a sealed or anonymous signer's identity), and
//            the form that confirms it
//   POST /console/c/{slug}/moderation/queue              on=1|0: comments wait for approval
//   POST /console/c/{slug}/moderation/comments/{uuid}    decision=approve|reject
//   POST /console/c/{slug}/moderation/hide               signature, what=comment|name, hidden=1|0
//   POST /console/c/{slug}/moderation/invalidate         the previewed filter, expected (the
//            previewed count: refused if the match changed since), reason, notify
//   POST /console/c/{slug}/moderation/invalidate-one     signature, reason, notify
// Every invalidation of a counted signature is an "invalidate" event in the signature log, so
// the published count stays auditable (docs/moderation.md).
#include <sstream>
#include <string>

#include "core/utf8.h"
#include "http/console/routes.h"
#include "service/moderation.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

constexpr int kQueueShown = 100;

struct Typed {
  std::string ranges, domain, from, to;
};

// The filter as typed: ranges separated by spaces, commas or new lines; dates as YYYY-MM-DD
// (UTC) or full ISO 8601 times.
Result<ModerationFilter> FilterOf(const std::string& slug, const Typed& t) {
  ModerationFilter f;
  f.campaign_slug = slug;
  std::string r = t.ranges;
  for (char& c : r) {
    if (c == ',' || c == '\n' || c == '\r' || c == '\t') c = ' ';
  }
  std::istringstream in(r);
  for (std::string one; in >> one;) f.ranges.push_back(one);
  f.email_domain = t.domain;
  auto time_of = [](const std::string& s, const char* field) -> Result<std::optional<UnixTime>> {
    if (s.empty()) return std::optional<UnixTime>();
    auto at = ParseIso8601(s.size() == 10 ? s + "T00:00:00Z" : s);
    if (!at) {
      return Fail(Code::kInvalidArgument, std::string(field) +
                                              ": a date like 2026-12-01 or a time like "
                                              "2026-12-01T18:00:00Z");
    }
    return std::optional<UnixTime>(*at);
  };
  auto from = time_of(t.from, "From");
  if (!from) return Fail(from.error());
  auto to = time_of(t.to, "Until");
  if (!to) return Fail(to.error());
  f.from = *from;
  f.to = *to;
  return f;
}

Data Row(const service::ModeratedSignature& s) {
  Data row;
  row.set("uuid", s.uuid);
  row.set("shown_as", s.shown_as);
  row.set("group", s.group);
  row.set("state", SignatureStateName(s.state));
  row.set("created", FormatIso8601(s.created));
  row.set("domain", s.email_domain);
  row.set("comment", s.comment);
  return row;
}

Typed TypedOf(const Request& req) {
  return Typed{req.Query("ranges").value_or(""), req.Query("domain").value_or(""),
               req.Query("from").value_or(""), req.Query("to").value_or("")};
}
Typed TypedOf(const pages::Form& form) {
  return Typed{pages::First(form, "ranges"), pages::First(form, "domain"),
               pages::First(form, "from"), pages::First(form, "to")};
}

Response Show(ConsoleKit& k, const Request& req, const Visit& v, const std::string& slug,
              const Typed& typed, const std::string& error, int status) {
  service::ModerationService& m = *k.moderation();
  auto c = k.CampaignFor(v, slug, CampaignAction::kView);
  if (!c) return k.Error(&v, req, c.error());
  Data d;
  d.set("csrf", v.csrf);
  d.set("slug", c->slug);
  d.set("title", c->title);
  d.set("error", render::TextOrNothing(error));
  d.set("done", render::TextOrNothing(req.Query("done").value_or("")));
  const bool moderates =
      k.accounts().Authorize(v.actor(), c->id, CampaignAction::kModerate).has_value();
  const bool invalidates =
      k.accounts().Authorize(v.actor(), c->id, CampaignAction::kInvalidate).has_value();
  d.set("moderates", Data(moderates));
  d.set("invalidates", Data(invalidates));
  if (moderates) {
    auto on = m.CommentApproval(v.actor(), slug);
    if (!on) return k.Error(&v, req, on.error());
    d.set("queue_on", Data(*on));
    DataList waiting;
    if (*on) {
      auto list = m.AwaitingComments(v.actor(), slug, kQueueShown);
      if (!list) return k.Error(&v, req, list.error());
      for (const auto& s : *list) waiting.push_back(Row(s));
    }
    d.set("waiting", Data(waiting));
    d.set("none_waiting", Data(waiting.empty()));
  }
  d.set("ranges", typed.ranges);
  d.set("domain", typed.domain);
  d.set("from", typed.from);
  d.set("to", typed.to);
  d.set("preview", Data(false));
  const bool asked =
      !typed.ranges.empty() || !typed.domain.empty() || !typed.from.empty() || !typed.to.empty();
  if (invalidates && asked && error.empty()) {
    auto filter = FilterOf(slug, typed);
    if (!filter) {
      d.set("error", filter.error().message);
      status = 400;
    } else {
      auto p = m.Preview(v.actor(), *filter);
      if (!p) {
        if (p.error().code != Code::kInvalidArgument) return k.Error(&v, req, p.error());
        std::string text = p.error().message;
        for (const auto& [field, message] : p.error().field_errors) text += " " + message;
        d.set("error", text);
        status = 400;
      } else {
        Data preview;
        preview.set("count", std::to_string(p->count));
        preview.set("any", Data(p->count > 0));
        DataList sample;
        for (const auto& s : p->sample) sample.push_back(Row(s));
        preview.set("sample", Data(sample));
        d.set("preview", preview);
      }
    }
  }
  return k.Page(&v, "console_moderation", std::move(d), "Moderation: " + c->title, status);
}

Response Back(const std::string& slug, const std::string& done) {
  return SeeOther("/console/c/" + slug + "/moderation?done=" + PercentEncode(done));
}

// A moderation POST: the form's own errors come back on the page (400/409), anything else is
// the console's error page.
Response Failed(ConsoleKit& k, const Request& req, const Visit& v, const Typed& typed,
                const ::undersigned::Error& e) {
  if (e.code != Code::kInvalidArgument && e.code != Code::kConflict) {
    return k.Error(&v, req, e);
  }
  std::string text = e.message;
  for (const auto& [field, message] : e.field_errors) text += " " + message;
  return Show(k, req, v, req.Param("slug"), typed, text, StatusFor(e.code));
}

}  // namespace

void RegisterModeration(Router& router, KitPtr kit) {
  router.Add("GET", "/console/c/{slug}/moderation",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           if (k.moderation() == nullptr) {
                             return k.Error(&v, req, {Code::kUnavailable, "no moderation", {}, 0});
                           }
                           return Show(k, req, v, req.Param("slug"), TypedOf(req), "", 200);
                         }),
             ConsoleRoute("console_moderation"));

  auto post = [kit](auto fn) {
    return SignedInPost(
        kit, [fn](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
          if (k.moderation() == nullptr) {
            return k.Error(&v, req, {Code::kUnavailable, "no moderation", {}, 0});
          }
          return fn(k, *k.moderation(), req, v, form);
        });
  };

  router.Add("POST", "/console/c/{slug}/moderation/queue",
             post([](ConsoleKit& k, service::ModerationService& m, const Request& req,
                     const Visit& v, const pages::Form& form) {
               const bool on = pages::First(form, "on") == "1";
               if (auto r = m.SetCommentApproval(v.actor(), req.Param("slug"), on); !r) {
                 return Failed(k, req, v, {}, r.error());
               }
               return Back(req.Param("slug"), on ? "Comments now wait for approval."
                                                 : "Comments show without approval.");
             }),
             ConsoleRoute("console_moderation_queue"));

  router.Add("POST", "/console/c/{slug}/moderation/comments/{uuid}",
             post([](ConsoleKit& k, service::ModerationService& m, const Request& req,
                     const Visit& v, const pages::Form& form) {
               const bool approve = pages::First(form, "decision") == "approve";
               auto r = m.ApproveComment(v.actor(), req.Param("slug"), req.Param("uuid"), approve);
               if (!r) return Failed(k, req, v, {}, r.error());
               return Back(req.Param("slug"), approve ? "Comment approved." : "Comment rejected.");
             }),
             ConsoleRoute("console_moderation_comment"));

  router.Add("POST", "/console/c/{slug}/moderation/hide",
             post([](ConsoleKit& k, service::ModerationService& m, const Request& req,
                     const Visit& v, const pages::Form& form) {
               const std::string uuid = pages::First(form, "signature");
               const bool hidden = pages::First(form, "hidden") != "0";
               const bool name = pages::First(form, "what") == "name";
               auto r = name ? m.HideName(v.actor(), req.Param("slug"), uuid, hidden)
                             : m.HideComment(v.actor(), req.Param("slug"), uuid, hidden);
               if (!r) return Failed(k, req, v, {}, r.error());
               return Back(req.Param("slug"),
                           std::string(name ? "Name " : "Comment ") +
                               (hidden ? "hidden; the signature still counts." : "shown again."));
             }),
             ConsoleRoute("console_moderation_hide"));

  router.Add("POST", "/console/c/{slug}/moderation/invalidate",
             post([](ConsoleKit& k, service::ModerationService& m, const Request& req,
                     const Visit& v, const pages::Form& form) {
               const Typed typed = TypedOf(form);
               auto filter = FilterOf(req.Param("slug"), typed);
               if (!filter) return Failed(k, req, v, typed, filter.error());
               std::int64_t expected = -1;
               try {
                 expected = std::stoll(pages::First(form, "expected"));
               } catch (const std::exception&) {
               }
               auto r =
                   m.InvalidateMatching(v.actor(), *filter, expected, pages::First(form, "reason"),
                                        pages::First(form, "notify") == "1");
               if (!r) return Failed(k, req, v, typed, r.error());
               return Back(req.Param("slug"),
                           std::to_string(r->invalidated) + " signatures invalidated (" +
                               std::to_string(r->counted) + " were counted; each is in the log).");
             }),
             ConsoleRoute("console_moderation_invalidate"));

  router.Add("POST", "/console/c/{slug}/moderation/invalidate-one",
             post([](ConsoleKit& k, service::ModerationService& m, const Request& req,
                     const Visit& v, const pages::Form& form) {
               auto r =
                   m.Invalidate(v.actor(), req.Param("slug"), pages::First(form, "signature"),
                                pages::First(form, "reason"), pages::First(form, "notify") == "1");
               if (!r) return Failed(k, req, v, {}, r.error());
               return Back(req.Param("slug"), "The signature is invalidated.");
             }),
             ConsoleRoute("console_moderation_invalidate_one"));
}

}  // namespace undersigned::http::console
