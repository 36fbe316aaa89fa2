// A campaign's organizers and their roles (owner, editor, moderator, viewer: core/roles.h).
//
//   GET  /console/c/{slug}/members                 the list, and the invitation form (kView to
//                                                  see it; changes need kManageMembers)
//   POST /console/c/{slug}/members                 invites someone by email with a role (a new
//                                                  account gets a one-time link to set a password)
//   POST /console/c/{slug}/members/{uuid}/role     changes a member's role
//   POST /console/c/{slug}/members/{uuid}/remove   removes them: their access to the campaign's
//                                                  signers ends at once (roles are read fresh on
//                                                  every request)
// A campaign keeps at least one owner (AccountService says so when one would go).
#include <string>

#include "http/console/routes.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

struct MembersView {
  std::string email;  // the invitation as typed
  std::string role = "editor";
  std::string error;
  std::string notice;
};

Response Show(ConsoleKit& kit, const Request& req, const Visit& v, const Campaign& c,
              const MembersView& view, int status) {
  auto members = kit.accounts().ListMembersWithUsers(v.actor(), c.id);
  if (!members) return kit.Error(&v, req, members.error());
  const bool manage =
      kit.accounts().Authorize(v.actor(), c.id, CampaignAction::kManageMembers).has_value();
  DataList rows;
  for (const auto& [m, u] : *members) {
    Data row;
    row.set("uuid", u.uuid);
    row.set("email", u.email);
    row.set("name", u.display_name);
    row.set("role", RoleName(m.role));
    row.set("you", Data(u.id == v.who.user.id));
    row.set("disabled", Data(u.disabled.has_value()));
    DataList roles;
    for (CampaignRole r : kAllCampaignRoles) {
      Data o;
      o.set("value", RoleName(r));
      o.set("selected", Data(r == m.role));
      roles.push_back(o);
    }
    row.set("roles", Data(roles));
    rows.push_back(row);
  }
  DataList invite_roles;
  for (CampaignRole r : kAllCampaignRoles) {
    Data o;
    o.set("value", RoleName(r));
    o.set("selected", Data(view.role == RoleName(r)));
    invite_roles.push_back(o);
  }
  Data d;
  d.set("csrf", v.csrf);
  d.set("slug", c.slug);
  d.set("title", c.title);
  d.set("members", Data(rows));
  d.set("manage", Data(manage));
  d.set("invite_roles", Data(invite_roles));
  d.set("email", view.email);
  d.set("error", render::TextOrNothing(view.error));
  d.set("notice", render::TextOrNothing(view.notice));
  return kit.Page(&v, "console_members", std::move(d), "Organizers of " + c.title, status);
}

// A member change: the visit, the form and the campaign, or the response to answer instead.
template <typename Fn>
Handler MemberPost(KitPtr kit, Fn fn) {
  return SignedInPost(
      kit, [fn](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
        auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kManageMembers);
        if (!c) return k.Error(&v, req, c.error());
        return fn(k, req, v, *c, form);
      });
}

Response Done(const Campaign& c) { return SeeOther("/console/c/" + c.slug + "/members"); }

// The member a {uuid} names, among the campaign's.
Result<User> MemberOf(ConsoleKit& kit, const Visit& v, const Campaign& c, const std::string& uuid) {
  auto members = kit.accounts().ListMembersWithUsers(v.actor(), c.id);
  if (!members) return Fail(members.error());
  for (const auto& [m, u] : *members) {
    if (u.uuid == uuid) return u;
  }
  return Fail(Code::kNotFound, "no such organizer on this campaign");
}

}  // namespace

void RegisterMembers(Router& router, KitPtr kit) {
  router.Add("GET", "/console/c/{slug}/members",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kView);
                           if (!c) return k.Error(&v, req, c.error());
                           return Show(k, req, v, *c, MembersView{}, 200);
                         }),
             ConsoleRoute("console_members"));

  router.Add("POST", "/console/c/{slug}/members",
             MemberPost(kit,
                        [](ConsoleKit& k, const Request& req, const Visit& v, const Campaign& c,
                           const pages::Form& form) {
                          MembersView view;
                          view.email = pages::First(form, "email");
                          view.role = pages::First(form, "role");
                          auto role = ParseRole(view.role);
                          if (!role) {
                            view.error = "Choose a role: owner, editor, moderator or viewer.";
                            return Show(k, req, v, c, view, 422);
                          }
                          auto invited =
                              k.accounts().Invite(v.actor(), view.email, "", c.id, *role, false);
                          if (!invited) {
                            const auto code = invited.error().code;
                            if (code != Code::kInvalidArgument && code != Code::kConflict) {
                              return k.Error(&v, req, invited.error());
                            }
                            view.error = invited.error().message;
                            return Show(k, req, v, c, view, code == Code::kConflict ? 409 : 422);
                          }
                          return Done(c);
                        }),
             ConsoleRoute("console_members_invite"));

  router.Add("POST", "/console/c/{slug}/members/{uuid}/role",
             MemberPost(kit,
                        [](ConsoleKit& k, const Request& req, const Visit& v, const Campaign& c,
                           const pages::Form& form) {
                          auto user = MemberOf(k, v, c, req.Param("uuid"));
                          if (!user) return k.Error(&v, req, user.error());
                          auto role = ParseRole(pages::First(form, "role"));
                          if (!role) {
                            return k.Error(
                                &v, req,
                                ::undersigned::Error{Code::kInvalidArgument,
                                                     "Choose owner, editor, moderator or "
                                                     "viewer.",
                                                     {},
                                                     0});
                          }
                          auto ok = k.accounts().ChangeMember(v.actor(), c.id, user->id, *role);
                          if (!ok) {
                            MembersView view;
                            view.error = ok.error().message;
                            if (ok.error().code != Code::kConflict)
                              return k.Error(&v, req, ok.error());
                            return Show(k, req, v, c, view, 409);
                          }
                          return Done(c);
                        }),
             ConsoleRoute("console_members_role"));

  router.Add("POST", "/console/c/{slug}/members/{uuid}/remove",
             MemberPost(kit,
                        [](ConsoleKit& k, const Request& req, const Visit& v, const Campaign& c,
                           const pages::Form&) {
                          auto user = MemberOf(k, v, c, req.Param("uuid"));
                          if (!user) return k.Error(&v, req, user.error());
                          auto ok = k.accounts().RemoveMember(v.actor(), c.id, user->id);
                          if (!ok) {
                            MembersView view;
                            view.error = ok.error().message;
                            if (ok.error().code != Code::kConflict)
                              return k.Error(&v, req, ok.error());
                            return Show(k, req, v, c, view, 409);
                          }
                          return Done(c);
                        }),
             ConsoleRoute("console_members_remove"));
}

}  // namespace undersigned::http::console
