// The pages behind the links mailed to a signer: GET /s/confirm?t= and GET /s/withdraw?t= show
// a page with a button (a mail scanner's GET changes nothing); only the POST confirms or
// withdraws, and redirects to the link's page, which then shows the result (with the receipt
// of a confirmed signature, http/log/routes.h). A link that went to a work address shows a page
// that names neither the letter nor the signer until the button is pressed.
//
// A confirmed signer's page also offers their personal link (service/referrals.h) and what it
// brought; GET /s/shares?t= (the same token: it stays valid once used) shows it again later.
// A sealed or anonymous signer is offered it only on asking (a button), and a link that went to a
// work address shows a page with a button before it names anything.
#include <algorithm>
#include <cctype>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/pages/public_site.h"
#include "http/pages/share.h"
#include "http/url.h"
#include "render/text.h"

namespace undersigned::http::pages {
namespace {

using render::Data;
using render::Spliced;
using service::CampaignSnapshot;
using SnapshotPtr = std::shared_ptr<const CampaignSnapshot>;

// A signer's personal link on a page: their signature (confirmed) and confirm token, and
// whether they asked to see it (a protected signer is offered it only then).
struct Personal {
  const Signature* signer = nullptr;
  std::string token;
  bool asked = false;
};

class TokenPages {
 public:
  explicit TokenPages(SitePtr site)
      : site_(std::move(site)), deps_(site_->deps), kit_(site_->kit), flash_(site_->flash) {}

  Response ConfirmPage(const Request& req) { return TokenPage(req, /*confirm=*/true); }
  Response WithdrawPage(const Request& req) { return TokenPage(req, /*confirm=*/false); }
  Response ConfirmPost(const Request& req) { return TokenPost(req, /*confirm=*/true); }
  Response WithdrawPost(const Request& req) { return TokenPost(req, /*confirm=*/false); }

  // GET /s/shares?t=<confirm token>: the signer's personal link and how many confirmed
  // signatures came through it. For a link that went to a work address, or a protected signer
  // who has not asked, a page with a button first (as for the confirm link: whoever reads a work
  // mailbox learns nothing from the GET); the button's POST shows it.
  Response SharesPage(const Request& req) {
    return Shares(req, req.Query("t").value_or(""), /*pressed=*/false);
  }
  Response SharesPost(const Request& req) {
    Form form;
    std::string token;
    if (auto parsed = ParseForm(req.body)) token = First(*parsed, "t");
    if (auto bad = kit_.CheckPost(req, "/s/shares?t=" + PercentEncode(token), "Back to the page",
                                  "Nothing was changed.", &form)) {
      return kit_.TokenHeaders(std::move(*bad), nullptr);
    }
    return Shares(req, token, /*pressed=*/true);
  }

 private:
  Response Shares(const Request& req, const std::string& token, bool pressed) {
    service::ReferralService* referrals = deps_.referrals;
    auto p = referrals == nullptr || token.empty()
                 ? Result<service::PersonalLink>(Fail(Code::kNotFound, "no token"))
                 : referrals->ForConfirmToken(token, req.remote_address);
    if (!p) {
      PageErrors how;
      how.use_case = "shares";
      how.pages[Code::kNotFound] = {
          404,
          "This link is not valid",
          {"Use the link in the email that asked you to confirm your signature: the page it "
           "opens shows your personal link once your signature is confirmed."}};
      std::string why = p.error().message;
      if (!why.empty())
        why[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(why[0])));
      how.pages[Code::kConflict] = {
          409, "There is no personal link for this signature", {why + "."}};
      how.pages[Code::kUnavailable] = {
          503, "Please try again in a moment", {"The server is busy or restarting."}};
      how.pages[Code::kTooManyRequests] = TooManyLinkGuesses(p.error());
      return kit_.TokenHeaders(kit_.ErrorResponse(p.error(), how), nullptr);
    }
    const bool work = VerifiedGroupOf(p->signer) != nullptr;
    if (!pressed && (work || !p->offered)) {
      const FormCsrf csrf = kit_.CsrfFor(req);
      const std::string heading = "Your personal link";
      Data d = LayoutData("en", heading, kit_.site());
      d.set("noindex", Data(true));
      d.set("c", Data(false));
      d.set("heading", heading);
      d.set("paragraphs",
            StringList({p->offered ? "Press the button to see your personal link and what your "
                                     "shares brought."
                                   : kProtectedNote,
                        "This page does not name what you signed, in case someone else opens "
                        "this link."}));
      d.set("action", "/s/shares");
      d.set("token", token);
      d.set("csrf", csrf.token);
      d.set("button", p->offered ? "Show my personal link" : "Give me a personal link");
      d.set("danger", Data(false));
      auto html = kit_.Render("token", d);
      if (!html) return kit_.InternalError();
      return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), csrf.new_nonce());
    }
    // A protected signer who asked gets the link to pass on as they choose, but no share
    // buttons: a post from their own account would say that they signed.
    const Campaign& c = p->signer.campaign;
    return kit_.TokenHeaders(
        DonePage(c, "Your shares of \u201C" + c.title + "\u201D", {BroughtLine(p->brought)},
                 p->offered, "", Personal{&p->signer.signature, token, /*asked=*/true}),
        nullptr);
  }

  Response TokenPage(const Request& req, bool confirm) {
    const std::string token = req.Query("t").value_or("");
    auto peek = token.empty() ? Result<TokenOutcome>(Fail(Code::kNotFound, "no token"))
                              : (confirm ? deps_.signing.PeekConfirm(token, req.remote_address)
                                         : deps_.signing.PeekWithdraw(token, req.remote_address));
    if (!peek) return TokenError(peek.error(), confirm, token);
    auto pressed =
        flash_.Open(req.Cookie(kFlashCookie), TokenScope(confirm, token), kit_.clock().Now());
    if (pressed && pressed->token_done) {
      peek->changed = pressed->changed;
      return TokenResult(&*peek, confirm, token);
    }
    if (const SignerGroup* work = VerifiedGroupOf(*peek)) {
      return NeutralTokenPage(req, *peek, *work, confirm, token);
    }
    const Campaign& c = peek->campaign;
    const SignatureState state = peek->signature.state;
    if (confirm && state == SignatureState::kConfirmed) {
      return kit_.TokenHeaders(DonePage(c, "Your signature is already confirmed",
                                        {ThanksLine(c, peek->counts.confirmed), kWithdrawNote},
                                        true, token, Personal{&peek->signature, token, false}),
                               nullptr);
    }
    if (state == SignatureState::kWithdrawn) {
      return kit_.TokenHeaders(
          DonePage(c, "This signature was withdrawn",
                   {"It does not count and your name is not shown. You can sign again on the "
                    "campaign page if you change your mind."},
                   false),
          nullptr);
    }
    const FormCsrf csrf = kit_.CsrfFor(req);
    const std::string heading = confirm
                                    ? "Confirm your signature on \u201C" + c.title + "\u201D"
                                    : "Withdraw your signature from \u201C" + c.title + "\u201D?";
    Data d = CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs",
          StringList(
              confirm
                  ? std::vector<
                        std::string>{"Press the button to confirm that you signed with this email "
                                     "address. Only confirmed signatures are counted."}
                  : std::vector<std::string>{
                        "Press the button to withdraw your signature. It will no "
                        "longer count, and your name will no longer be shown."}));
    d.set("action", confirm ? "/s/confirm" : "/s/withdraw");
    d.set("token", token);
    d.set("csrf", csrf.token);
    d.set("button", confirm ? "Confirm my signature" : "Withdraw my signature");
    d.set("danger", Data(!confirm));
    auto html = kit_.Render("token", d);
    if (!html) return kit_.InternalError();
    return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), csrf.new_nonce());
  }

  // The group proven by domain a signature was made in (its link went to a work address), or
  // nullptr.
  static const SignerGroup* VerifiedGroupOf(const TokenOutcome& t) {
    const SignerGroup* g = FindGroup(t.campaign, t.signature.form.group);
    return g != nullptr && ProvenByDomain(g->kind) ? g : nullptr;
  }

  // The pages behind the links sent to a work address. Whoever reads that mailbox (the
  // employer's mail system, an administrator) can open them, so they name neither the letter
  // nor the signer: only the button's result, seen by whoever presses it, does.
  Response NeutralTokenPage(const Request& req, const TokenOutcome& peek, const SignerGroup& work,
                            bool confirm, const std::string& token) {
    const std::string& org = OrganizationOf(work);
    const SignatureState state = peek.signature.state;
    static const std::string kNeutral =
        "This page does not name what you signed, in case someone else opens this link.";
    if (state == SignatureState::kWithdrawn || (confirm && state == SignatureState::kConfirmed)) {
      const bool withdrawn = state == SignatureState::kWithdrawn;
      const std::string heading =
          withdrawn ? "This signature was withdrawn" : "This address is already verified";
      Data d = LayoutData("en", heading, kit_.site());
      d.set("noindex", Data(true));
      d.set("c", Data(false));
      d.set("heading", heading);
      d.set("paragraphs",
            StringList({withdrawn ? "It does not count any more." : "There is nothing more to do.",
                        kNeutral}));
      d.set("show_share", Data(false));
      auto html = kit_.Render("done", d);
      if (!html) return kit_.InternalError();
      return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), nullptr);
    }
    const FormCsrf csrf = kit_.CsrfFor(req);
    const std::string heading =
        confirm ? "Verify that you work at " + org : "Withdraw your verified signature?";
    // Sealed until a size the group reached after this signer signed: pressing the button shows
    // the name at once. Said before they press it, not after.
    std::string reached;
    const SignatureForm& chose = peek.signature.form;
    if (confirm && chose.protection == Protection::kSealed) {
      SnapshotPtr snap = kit_.PublicSnapshot(peek.campaign.slug);
      if (snap && GroupConfirmed(snap->counts, work.key) >= chose.seal_threshold) {
        const std::string n = render::FormatThousands(chose.seal_threshold);
        reached = "You chose to keep your name sealed until " + n + " verified employees of " +
                  org + " had signed. " + n +
                  " have signed since: if you press the button, your name is shown at once, with "
                  "the others who chose this. If you would rather it were not, do not press it: "
                  "an unconfirmed signature never counts and is never shown.";
      }
    }
    Data d = LayoutData("en", heading, kit_.site());
    d.set("noindex", Data(true));
    d.set("c", Data(false));
    d.set("heading", heading);
    std::vector<std::string> paragraphs =
        confirm ? std::vector<std::string>{"This link reached you at your work address. Pressing "
                                           "the button proves that you work at " +
                                               org +
                                               ": your signature is confirmed and counted among " +
                                               work.name + ". We never keep your work address.",
                                           kNeutral + " You will see it once you press the button."}
                : std::vector<std::string>{"Press the button to withdraw the signature this "
                                           "address verified. It will no longer count, and your "
                                           "name will no longer be shown.",
                                           kNeutral};
    if (!reached.empty()) paragraphs.push_back(reached);
    d.set("paragraphs", StringList(paragraphs));
    d.set("action", confirm ? "/s/confirm" : "/s/withdraw");
    d.set("token", token);
    d.set("csrf", csrf.token);
    d.set("button", confirm ? "Verify and confirm my signature" : "Withdraw my signature");
    d.set("danger", Data(!confirm));
    auto html = kit_.Render("token", d);
    if (!html) return kit_.InternalError();
    return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), csrf.new_nonce());
  }

  // What a verified signer is told once their link is followed: the group, what became of
  // their name, and the group's count as the public sees it.
  static std::vector<std::string> VerifiedLines(const TokenOutcome& r, const SignerGroup& work) {
    const Campaign& c = r.campaign;
    const std::string& org = OrganizationOf(work);
    std::vector<std::string> lines;
    lines.push_back("You are verified as working at " + org + ", and counted among " + work.name +
                    ".");
    const SignatureForm& f = r.signature.form;
    if (f.protection == Protection::kSealed) {
      lines.push_back(
          r.signature.sealed
              ? "Your name stays sealed until " + render::FormatThousands(f.seal_threshold) +
                    " verified employees of " + org +
                    " have signed: until then it appears nowhere. We will tell you at your "
                    "personal address when it is shown."
              : "Your name is shown: " + render::FormatThousands(f.seal_threshold) +
                    " verified employees of " + org + " have signed, as you chose.");
    } else if (f.protection == Protection::kAnonymous) {
      lines.push_back("You are shown only as \u201CVerified employee of " + org +
                      "\u201D. We keep no name.");
    }
    const auto shown = ShownCount(GroupConfirmed(r.counts, work.key), c.anonymity_floor);
    lines.push_back(
        work.name + " so far: " +
        (shown ? render::FormatThousands(*shown) + " verified signers."
               : "fewer than " + std::to_string(c.anonymity_floor) + " verified signers."));
    return lines;
  }

  Response TokenPost(const Request& req, bool confirm) {
    Form form;
    // The token may be in the body; the page to go back to is the GET page with that token.
    std::string token;
    if (auto parsed = ParseForm(req.body)) token = First(*parsed, "t");
    const std::string back =
        std::string(confirm ? "/s/confirm" : "/s/withdraw") + "?t=" + PercentEncode(token);
    if (auto bad = kit_.CheckPost(req, back, "Back to the page with the button",
                                  "Nothing was recorded.", &form)) {
      return kit_.TokenHeaders(std::move(*bad), nullptr);
    }
    auto r = token.empty() ? Result<TokenOutcome>(Fail(Code::kNotFound, "no token"))
                           : (confirm ? deps_.signing.Confirm(token, req.remote_address)
                                      : deps_.signing.Withdraw(token, req.remote_address));
    if (!r) return TokenError(r.error(), confirm, token);
    // Post/redirect/get: the link's page shows the result to the browser that pressed the
    // button (a flash scoped to this link), so that a reload does not press it again.
    FlashEntry done;
    done.slug = TokenScope(confirm, token);
    done.token_done = true;
    done.changed = r->changed;
    const std::string sealed = flash_.Seal(std::move(done), kit_.clock().Now());
    Response redirect = Response::Redirect(back, 303);
    redirect.Header("Set-Cookie", flash_.CookieValue(sealed, confirm ? "/s/confirm" : "/s/withdraw",
                                                     kit_.base_url().starts_with("https:")));
    redirect.Header("Cache-Control", "no-store");
    return kit_.TokenHeaders(std::move(redirect), nullptr);
  }

  static std::string TokenScope(bool confirm, const std::string& token) {
    return std::string(confirm ? "confirm:" : "withdraw:") + token;
  }

  // What the link's page shows once its button was pressed (r: the signature as it is now,
  // r.changed: whether pressing changed it).
  Response TokenResult(const TokenOutcome* r, bool confirm, const std::string& token) {
    const Campaign& c = r->campaign;
    if (const SignerGroup* work = confirm ? VerifiedGroupOf(*r) : nullptr) {
      std::vector<std::string> lines = VerifiedLines(*r, *work);
      lines.push_back(ThanksLine(c, r->counts.confirmed));
      lines.push_back(kWithdrawNote);
      // "I signed ..." posted from a sealed or anonymous signer's own account would name them.
      const bool protected_name = r->signature.form.protection != Protection::kNone;
      if (protected_name) {
        lines.push_back(
            "To keep your name safe, this page offers no \u201CI signed\u201D share buttons: a "
            "post from your own account would say that you signed. To pass the letter on, give "
            "its address: " +
            CampaignUrl(kit_.base_url(), c.slug));
      }
      return kit_.TokenHeaders(
          DonePage(c,
                   r->changed ? "Thank you! You are verified and your signature "
                                "is confirmed"
                              : "Your signature is already confirmed",
                   lines, !protected_name, token, Personal{&r->signature, token, false}),
          nullptr);
    }
    if (confirm) {
      return kit_.TokenHeaders(DonePage(c,
                                        r->changed ? "Thank you! Your signature is confirmed"
                                                   : "Your signature is already confirmed",
                                        {ThanksLine(c, r->counts.confirmed), kWithdrawNote}, true,
                                        token, Personal{&r->signature, token, false}),
                               nullptr);
    }
    return kit_.TokenHeaders(
        DonePage(c,
                 r->changed ? "Your signature has been withdrawn"
                            : "This signature was already withdrawn",
                 {"It no longer counts toward \u201C" + c.title +
                      "\u201D, and your name is no longer shown.",
                  "Changed your mind again? You can sign again on the campaign page."},
                 false),
        nullptr);
  }

  Response TokenError(const Error& e, bool confirm, const std::string& token) {
    PageErrors how;
    how.use_case = confirm ? "confirm" : "withdraw";
    how.pages[Code::kNotFound] = {
        404,
        "This link is not valid",
        {"The link may have been used already, replaced by a newer one, or copied incompletely "
         "from the email.",
         std::string(confirm ? "If you signed more than once, use the link in the most recent "
                               "email."
                             : "If you signed more than once, use the withdraw link in the most "
                               "recent email.")}};
    how.pages[Code::kConflict] = {
        409,
        confirm ? "This signature cannot be confirmed" : "This signature cannot be withdrawn",
        {confirm ? "It was withdrawn, or the campaign has closed."
                 : "Its state does not allow it any more."}};
    how.pages[Code::kUnavailable] = {503,
                                     "Please try again in a moment",
                                     {"The server is busy or restarting. Nothing was changed."}};
    how.pages[Code::kTooManyRequests] = TooManyLinkGuesses(e);
    return kit_.TokenHeaders(kit_.ErrorResponse(e, how), nullptr);
  }

  static constexpr const char* kWithdrawNote =
      "You can withdraw your signature at any time with the link in the email we sent you.";

  static std::string ThanksLine(const Campaign& c, std::int64_t confirmed) {
    return "\u201C" + c.title + "\u201D now has " + render::FormatThousands(confirmed) +
           (confirmed == 1 ? " confirmed signature." : " confirmed signatures.");
  }

  // "Your shares have brought 3 signatures."
  static std::string BroughtLine(std::int64_t n) {
    if (n == 0) {
      return "No signature has come through your personal link yet. Each one that does is "
             "counted here, once it is confirmed.";
    }
    return "Your shares have brought " + render::FormatThousands(n) +
           (n == 1 ? " confirmed signature." : " confirmed signatures.") +
           " You see only how many, never who signed.";
  }

  static constexpr const char* kProtectedNote =
      "Your name is protected, so we do not offer you a personal link unless you ask for one. "
      "A personal link counts the signatures that come through it, which ties them to your "
      "signature: on this site, never in public, and nobody is told who signed through it. "
      "Share the campaign's own address if you would rather not.";

  // The page's "personal" section (and the code its share links carry), or nothing when there
  // is no confirmed signer or no referral service.
  Data PersonalData(const Campaign& c, const Personal& personal, std::string* code) {
    service::ReferralService* referrals = deps_.referrals;
    const Signature* s = personal.signer;
    if (referrals == nullptr || s == nullptr || s->state != SignatureState::kConfirmed) {
      return Data(false);
    }
    Data out;
    const std::string shares = "/s/shares?t=" + PercentEncode(personal.token);
    if (!service::ReferralService::Offered(*s) && !personal.asked) {
      out.set("offered", Data(false));
      out.set("note", kProtectedNote);
      out.set("ask_url", shares);
      return out;
    }
    *code = referrals->CodeOf(*s);
    out.set("offered", Data(true));
    out.set("url", ReferralUrl(CampaignUrl(kit_.base_url(), c.slug), *code));
    out.set("shares_url", shares);
    auto brought = referrals->Brought(*s);
    out.set("brought", render::TextOrNothing(brought ? BroughtLine(*brought) : ""));
    return out;
  }

  // receipt_token: a confirm token whose receipt the page offers (empty: none). personal: the
  // signer whose personal link the page offers (none by default).
  Response DonePage(const Campaign& c, const std::string& heading,
                    const std::vector<std::string>& paragraphs, bool share,
                    const std::string& receipt_token = "", const Personal& personal = {}) {
    Data d = CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs", StringList(paragraphs));
    std::string code;
    d.set("personal", PersonalData(c, personal, &code));
    if (!receipt_token.empty() && deps_.log != nullptr && deps_.log->enabled()) {
      Data receipt;
      receipt.set("url", "/s/receipt?t=" + PercentEncode(receipt_token));
      receipt.set(
          "audit_command",
          "undersigned log verify-receipt undersigned-receipt.json --log " + kit_.base_url());
      d.set("receipt", receipt);
    }
    d.set("show_share", Data(share));
    if (share) d.set("share", ShareData(c, kit_.base_url(), code));
    auto html = kit_.Render("done", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, 200, "no-store");
  }

  SitePtr site_;
  PagesDeps& deps_;
  PageKit& kit_;
  FlashStore& flash_;
};

}  // namespace

void AddTokenRoutes(Router& router, const SitePtr& site) {
  auto t = std::make_shared<TokenPages>(site);
  router.Get("/s/confirm", [t](const Request& req) { return t->ConfirmPage(req); },
             {true, 0, "confirm_page"});
  router.Post("/s/confirm", [t](const Request& req) { return t->ConfirmPost(req); },
              {true, kTokenBodyLimit, "confirm"});
  router.Get("/s/withdraw", [t](const Request& req) { return t->WithdrawPage(req); },
             {true, 0, "withdraw_page"});
  router.Post("/s/withdraw", [t](const Request& req) { return t->WithdrawPost(req); },
              {true, kTokenBodyLimit, "withdraw"});
  router.Get("/s/shares", [t](const Request& req) { return t->SharesPage(req); },
             {true, 0, "shares_page"});
  router.Post("/s/shares", [t](const Request& req) { return t->SharesPost(req); },
              {true, kTokenBodyLimit, "shares"});
}

}  // namespace undersigned::http::pages
