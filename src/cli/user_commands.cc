#include "cli/user_commands.h"

#include <cstdio>
#include <istream>
#include <ostream>

#include "core/password.h"
#include "render/account_email.h"

namespace undersigned::cli {

std::vector<CLI::App*> AddUserCommands(CLI::App& cli, UserArgs& args) {
  CLI::App* user = cli.add_subcommand(
      "user", "Organizer accounts: make the first administrator, list and disable users.");
  user->require_subcommand(1);
  args.create = user->add_subcommand(
      "create",
      "Make a user. With --password-stdin the password is read from standard input (one line); "
      "without it a one-time sign-in link is printed, with which they sign in and choose one.");
  args.create->add_option("--email", args.email, "their email address")->required();
  args.create->add_option("--name", args.name, "the name shown to other organizers");
  args.create
      ->add_option("--role", args.role,
                   "admin (instance administrator: everything) or organizer (only the campaigns "
                   "they are given a role on); default: admin for the first user, organizer "
                   "for every later one")
      ->check(CLI::IsMember({"admin", "organizer"}));
  args.create->add_flag("--password-stdin", args.password_stdin,
                        "read the password from standard input");
  args.list = user->add_subcommand("list", "List every user.");
  args.disable = user->add_subcommand(
      "disable", "Disable a user: they cannot sign in, and their sessions end at once.");
  args.disable->add_option("--email", args.email, "their email address")->required();
  return {args.create, args.list, args.disable};
}

int RunUserCommand(const UserArgs& args, app::App& app, const std::string& base_url,
                   std::istream& in, std::ostream& out, std::ostream& err,
                   int (*report)(const Error&)) {
  service::AccountService& accounts = app.accounts();
  const service::Actor op = service::Actor::Operator();
  if (*args.create) {
    std::string password;
    if (args.password_stdin) {
      std::getline(in, password);
      if (!password.empty() && password.back() == '\r') password.pop_back();
      if (auto ok = CheckPassword(password); !ok) return report(ok.error());
    }
    bool admin = args.role == "admin";
    if (args.role.empty()) {  // least privilege, but someone must be able to administer
      auto existing = accounts.ListUsers(op, Page{1, 1});
      if (!existing) return report(existing.error());
      admin = existing->total == 0;
    }
    auto user = accounts.CreateUser(op, args.email, args.name, admin);
    if (!user) return report(user.error());
    out << "created " << (user->admin ? "administrator " : "user ") << user->email << " ("
        << user->uuid << ")\n";
    if (args.password_stdin) {
      if (auto r = accounts.SetPassword(op, user->id, password); !r) return report(r.error());
      out << "password set\n";
      return 0;
    }
    auto token = accounts.IssueSignInToken(op, user->id);
    if (!token) return report(token.error());
    err << "one-time sign-in link (works once, for 15 minutes; then choose a password):\n";
    out << render::AccountLinkUrl(base_url, *token) << "\n";
    return 0;
  }
  if (*args.list) {
    auto page = accounts.ListUsers(op, Page{1, 1000});
    if (!page) return report(page.error());
    std::printf("%-36s %-6s %-8s %-8s %-4s %-20s %s\n", "EMAIL", "ROLE", "STATUS", "PASSWORD",
                "TOTP", "CREATED", "ID");
    for (const User& u : page->items) {
      std::printf("%-36s %-6s %-8s %-8s %-4s %-20s %s\n", u.email.c_str(), u.admin ? "admin" : "-",
                  u.disabled ? "disabled" : "active", u.password_hash.empty() ? "no" : "yes",
                  u.totp_sealed.empty() ? "no" : "yes", FormatIso8601(u.created).c_str(),
                  u.uuid.c_str());
    }
    std::fflush(stdout);
    return 0;
  }
  if (*args.disable) {
    auto user = accounts.FindUser(op, args.email);
    if (!user) return report(user.error());
    auto r = accounts.SetDisabled(op, user->id, true);
    if (!r) return report(r.error());
    out << "disabled " << r->email << "; their sessions have ended\n";
    return 0;
  }
  return -1;
}

}  // namespace undersigned::cli
