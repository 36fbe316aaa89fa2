// A campaign's API tokens (issue 13, part 1: tokens with a scope and an owner), for its owners
// (manage_tokens), over service::AccountService, which decides and records:
//
//   GET  /console/c/{slug}/tokens               the campaign's tokens (name, access, owner,
//                                               made, revoked) and the form for a new one
//   POST /console/c/{slug}/tokens               name, access=read|write: makes a token owned by
//                                               the visitor for this campaign and shows it once,
//                                               in this answer (only its hash is kept; the page
//                                               is never cached)
//   POST /console/c/{slug}/tokens/{id}/revoke   revokes one of this campaign's tokens; 303 back
#include <string>

#include "http/console/routes.h"
#include "render/text.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

struct Shown {
  std::string new_token;  // the raw token just made, shown once
  std::string new_name;
  std::string name_typed;
  std::string error;
  std::string notice;
};

Response Show(ConsoleKit& k, const Request& req, const Visit& v, const Campaign& c, const Shown& s,
              int status) {
  auto list = k.accounts().ListApiTokens(v.actor(), c.id);
  if (!list) return k.Error(&v, req, list.error());
  DataList rows;
  for (const service::CampaignToken& t : *list) {
    Data row;
    row.set("id", std::to_string(t.token.id));
    row.set("name", t.token.name);
    row.set("access", t.token.read_only ? "read only" : "read and write");
    row.set("owner", render::TextOrNothing(t.owner));
    row.set("created", render::FormatDate(t.token.created));
    row.set("revoked",
            render::TextOrNothing(t.token.revoked ? render::FormatDate(*t.token.revoked) : ""));
    row.set("live", Data(!t.token.revoked));
    rows.push_back(std::move(row));
  }
  Data d;
  d.set("slug", c.slug);
  d.set("title", c.title);
  d.set("uuid", c.uuid);
  d.set("csrf", v.csrf);
  d.set("tokens", Data(rows));
  d.set("has_tokens", Data(!list->empty()));
  d.set("api_base", k.pages().base_url() + "/api/v2");
  d.set("new_token", render::TextOrNothing(s.new_token));
  d.set("new_name", s.new_name);
  d.set("name", s.name_typed);
  d.set("error", render::TextOrNothing(s.error));
  d.set("notice", render::TextOrNothing(s.notice));
  return k.Page(&v, "console_tokens", std::move(d), "API tokens of " + c.title, status);
}

}  // namespace

void RegisterTokens(Router& router, KitPtr kit) {
  router.Add("GET", "/console/c/{slug}/tokens",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           auto c =
                               k.CampaignFor(v, req.Param("slug"), CampaignAction::kManageTokens);
                           if (!c) return k.Error(&v, req, c.error());
                           Shown s;
                           if (req.Query("revoked")) s.notice = "The token is revoked.";
                           return Show(k, req, v, *c, s, 200);
                         }),
             ConsoleRoute("console_tokens"));

  router.Add("POST", "/console/c/{slug}/tokens",
             SignedInPost(
                 kit,
                 [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                   auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kManageTokens);
                   if (!c) return k.Error(&v, req, c.error());
                   const std::string name = pages::First(form, "name");
                   const std::string access = pages::First(form, "access");
                   Shown s;
                   s.name_typed = name;
                   if (access != "read" && access != "write") {
                     s.error = "Choose what the token may do: read only, or read and write.";
                     return Show(k, req, v, *c, s, 422);
                   }
                   auto raw = k.accounts().CreateApiToken(v.actor(), name, c->id, access == "read");
                   if (!raw) {
                     if (raw.error().code != Code::kInvalidArgument) {
                       return k.Error(&v, req, raw.error());
                     }
                     s.error =
                         "The name says what the token is for, like \"CRM sync\": 1 to "
                         "100 characters on one line.";
                     return Show(k, req, v, *c, s, 422);
                   }
                   s.new_token = *raw;
                   s.new_name = name;
                   s.name_typed.clear();
                   return Show(k, req, v, *c, s, 200);
                 }),
             ConsoleRoute("console_token_create"));

  router.Add(
      "POST", "/console/c/{slug}/tokens/{id}/revoke",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form&) {
                     auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kManageTokens);
                     if (!c) return k.Error(&v, req, c.error());
                     std::int64_t id = 0;
                     const std::string raw_id = req.Param("id");
                     if (raw_id.empty() || raw_id.size() > 18 ||
                         raw_id.find_first_not_of("0123456789") != std::string::npos) {
                       return k.Error(&v, req, Error{Code::kNotFound, "no such token", {}, 0});
                     }
                     id = std::stoll(raw_id);
                     auto revoked = k.accounts().RevokeApiToken(v.actor(), c->id, id);
                     if (!revoked) return k.Error(&v, req, revoked.error());
                     return SeeOther("/console/c/" + c->slug + "/tokens?revoked=1");
                   }),
      ConsoleRoute("console_token_revoke"));
}

}  // namespace undersigned::http::console
