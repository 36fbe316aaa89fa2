// Signing: POST /c/{slug}/sign (the form, answered asynchronously: stored without parking a
// thread), and the two pages it redirects to (post/redirect/get, so that a reload sends
// nothing again): GET /c/{slug}/sign (the campaign page with the form as posted and a message
// per field) and GET /c/{slug}/sent ("check your email", cached per campaign and outcome).
// Also the embedded widget's form, POST /c/{slug}/embed/sign (embed.h), answered in the frame.
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/utf8.h"
#include "http/pages/origin.h"
#include "http/pages/public_site.h"
#include "http/url.h"
#include "render/escape.h"
#include "render/spliced.h"
#include "render/text.h"

namespace undersigned::http::pages {
namespace {

using render::Data;
using render::Spliced;
using service::CampaignSnapshot;
using SnapshotPtr = std::shared_ptr<const CampaignSnapshot>;

constexpr std::size_t kSignBodyLimit = 16 * 1024;
// A checkbox sends its value ("yes") only when ticked; be lenient about what API-like clients
// send, but treat the usual spellings of "no" as unticked.
bool Truthy(std::string v) {
  v = ToLowerAscii(v);
  return !v.empty() && v != "0" && v != "no" && v != "off" && v != "false";
}
bool Checked(const Form& form, const char* key) { return Truthy(First(form, key)); }

class SignPages {
 public:
  explicit SignPages(SitePtr site)
      : site_(std::move(site)), deps_(site_->deps), kit_(site_->kit), flash_(site_->flash) {}

  // Where a failed form is redirected: the campaign page with the form as it was posted, what
  // was typed and a message per field (the flash). Without one (expired, another browser, a
  // bookmark): the campaign page.
  Response SignGet(const Request& req) {
    const std::string slug = req.Param("slug");
    auto flash = flash_.Open(req.Cookie(kFlashCookie), slug, kit_.clock().Now());
    if (!flash || flash->sent) return Response::Redirect("/c/" + PercentEncode(slug), 303);
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    FormState form;
    form.values = std::move(flash->typed);
    form.errors = std::move(flash->errors);
    form.general_error = std::move(flash->general_error);
    form.origin_html = OriginInputHtml(flash->origin);
    const FormCsrf csrf = kit_.CsrfFor(req);
    form.csrf = csrf.token;
    const bool open = TakesSignatures(snap->campaign, kit_.clock().Now());
    auto html = site_->campaign_page.RenderCampaign(snap, open, form, "Error: ",
                                                    /*count_slots=*/false);
    if (!html) return kit_.InternalError();
    // 422 like the form's other answers with errors (the Mastodon share page's too).
    Response r = HtmlPage(*html, 422, "no-store");
    kit_.SetCookie(csrf, &r);
    return r;
  }

  // Where a signed form is redirected: "check your email", naming the address the link went to
  // (the flash). Without the flash the page still says what to do, without the address.
  Response Sent(const Request& req) {
    const std::string slug = req.Param("slug");
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    auto flash = flash_.Open(req.Cookie(kFlashCookie), slug, kit_.clock().Now());
    if (!flash || !flash->sent || !flash->organization.empty()) {  // not an organization's
      return CheckEmail(snap->campaign, SignOutcome::Kind::kCreated, "the address you gave",
                        nullptr);
    }
    const SignerGroup* work =
        flash->work_group.empty() ? nullptr : FindGroup(snap->campaign, flash->work_group);
    return CheckEmail(snap->campaign, flash->kind, flash->email, work);
  }

  // The answer to a POST of the sign form (post/redirect/get): 303 to `location` with the flash
  // entry that page reads, its cookie scoped to the campaign's pages.
  Response RedirectWithFlash(FlashEntry e, const std::string& location) {
    const std::string path = "/c/" + PercentEncode(e.slug) + "/";
    const std::string sealed = flash_.Seal(std::move(e), kit_.clock().Now());
    Response r = Response::Redirect(location, 303);
    r.Header("Set-Cookie", flash_.CookieValue(sealed, path, kit_.base_url().starts_with("https:")));
    r.Header("Cache-Control", "no-store");
    return r;
  }

  // POST /c/{slug}/sign, asynchronously: checked and answered on a network thread, stored
  // without parking a thread; the answer is made where the store reports the write durable
  // (the "check your email" page is cached, so that is cheap). req stays valid until respond.
  void Sign(const Request& req, Respond respond) {
    const std::string slug = req.Param("slug");
    const std::string back = "/c/" + PercentEncode(slug);
    Form form;
    if (auto bad =
            kit_.CheckPost(req, back, "Back to the campaign", "Nothing was recorded.", &form)) {
      return respond(std::move(*bad));
    }
    // The campaign's groups decide which of the group sections' fields count (the service
    // checks everything again against the campaign it reads).
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    std::map<std::string, std::string> form_errors;
    SignatureForm f = FormFields(form, snap ? &snap->campaign : nullptr, &form_errors);
    const SignatureOrigin origin = DecodeOriginField(First(form, "origin"));
    if (!form_errors.empty()) {
      // A visibility that is none of the choices: answered with the form's other problems.
      if (const SignerGroup* g = snap ? FindGroup(snap->campaign, f.group) : nullptr) {
        if (auto valid = ValidateSignatureForm(f, *g); !valid) {
          form_errors.merge(valid.error().field_errors);
        }
      }
      return respond(SignFailed(
          req, slug, f, Error{Code::kInvalidArgument, "", std::move(form_errors), 0}, origin));
    }
    service::SignContext ctx;
    ctx.source = "form";
    ctx.remote_address = req.remote_address;
    ctx.origin = origin;
    deps_.signing.SignAsync(
        slug, f, ctx,
        [this, &req, slug, f, origin, respond = std::move(respond)](Result<service::SignResult> r) {
          if (!r) return respond(SignFailed(req, slug, f, r.error(), origin));
          // A verified group's link went to the work address.
          const SignerGroup* g = FindGroup(r->campaign, f.group);
          const bool work = g != nullptr && ProvenByDomain(g->kind);
          FlashEntry sent;
          sent.slug = slug;
          sent.sent = true;
          sent.kind = r->kind;
          sent.email = Trim(work ? f.work_email : f.email);
          if (work) sent.work_group = g->key;
          respond(RedirectWithFlash(std::move(sent), "/c/" + PercentEncode(slug) + "/sent"));
        });
  }

  // The SignatureForm a posted form stands for. campaign (nullptr if unknown): its declared
  // groups' sections of the form all send their fields; only the chosen group's count. A
  // visibility that is none of the choices goes into errors ("protection").
  static SignatureForm FormFields(const Form& form, const Campaign* campaign,
                                  std::map<std::string, std::string>* errors) {
    static const std::vector<SignerGroup> kNoGroups;
    const std::vector<SignerGroup>& groups = campaign != nullptr ? campaign->groups : kNoGroups;
    SignatureForm f;
    f.name = First(form, "name");
    f.email = First(form, "email");
    f.postal_code = First(form, "postal_code");
    f.country = First(form, "country");
    f.comment = First(form, "comment");
    f.public_name = Checked(form, "public_name");
    f.wants_updates = Checked(form, "wants_updates");
    f.group = First(form, "group");
    // The form offers no default among several groups: the signer says who they sign as.
    if (groups.size() > 1 && f.group.empty()) (*errors)["group"] = "Choose who you sign as.";
    // As the service will read it (an empty key is the public group, or the first).
    const SignerGroup* chosen = campaign != nullptr ? FindGroup(*campaign, f.group) : nullptr;
    // Each verified group's section has a work_email field, in the order of the groups: when
    // the form sent them all, the chosen group's counts; else (a client sending one) the one
    // that is filled in.
    std::vector<std::string> works;
    for (auto [it, end] = form.equal_range("work_email"); it != end; ++it) {
      works.push_back(it->second);
    }
    std::size_t domain_groups = 0;
    std::optional<std::size_t> chosen_index;
    for (const SignerGroup& g : groups) {
      if (!ProvenByDomain(g.kind)) continue;
      if (&g == chosen) chosen_index = domain_groups;
      ++domain_groups;
    }
    if (chosen_index && domain_groups > 1 && works.size() == domain_groups) {
      f.work_email = works[*chosen_index];
    } else {
      for (const std::string& w : works) {
        if (!Trim(w).empty()) {
          f.work_email = w;
          break;
        }
      }
    }
    // An attestation's checkbox sends its group's key, so that ticking another group's
    // statement does not count; a client may send "yes".
    for (auto [it, end] = form.equal_range("attested"); it != end; ++it) {
      bool names_group = false;
      for (const SignerGroup& g : groups) names_group = names_group || g.key == it->second;
      if (names_group ? chosen != nullptr && it->second == chosen->key : Truthy(it->second)) {
        f.attested = true;
      }
    }
    // The visibility choice, when the form has one (else the public_name checkbox).
    if (auto it = form.find("visibility"); it != form.end() && !it->second.empty()) {
      if (!ApplyVisibility(it->second, &f)) {
        (*errors)["protection"] = "Choose how your name appears.";
      }
    }
    return f;
  }

 private:
  // work_group: the verified group whose link went to the work address `email` (else nullptr).
  // framed: the embed's page (embed.h), in the frame, its links opening a new tab.
  Response CheckEmail(const Campaign& c, SignOutcome::Kind kind, const std::string& email,
                      const SignerGroup* work_group, bool framed = false) {
    const char* variant = "sent";  // kCreated, and kAlreadyConfirmed: never reveal who signed
    if (kind == SignOutcome::Kind::kResent) variant = "resent";
    if (kind == SignOutcome::Kind::kResendLimit) variant = "resend_limit";
    const std::string key = c.slug + '\n' + variant + '\n' +
                            (work_group != nullptr ? work_group->key : "") +
                            (framed ? "\nframed" : "");
    const std::string organization =
        work_group != nullptr ? OrganizationOf(*work_group) : std::string();
    std::shared_ptr<const Spliced> page;
    {
      std::lock_guard lock(mu_);
      auto it = check_cache_.find(key);
      if (it != check_cache_.end() && it->second.title == c.title &&
          it->second.language == c.language && it->second.organization == organization) {
        page = it->second.page;
      }
    }
    if (!page) {
      const std::string heading =
          work_group != nullptr ? "Check your work email" : "Check your email";
      Data d = CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
      d.set("heading", heading);
      if (work_group != nullptr) {
        Data work;
        work.set("organization", organization);
        work.set("group_name", work_group->name);
        d.set("work", work);
      } else {
        d.set("work", Data(false));
      }
      d.set("email", render::SlotPlaceholder(0));
      d.set("sent", Data(std::string_view(variant) == "sent"));
      d.set("resent", Data(std::string_view(variant) == "resent"));
      d.set("resend_limit", Data(std::string_view(variant) == "resend_limit"));
      d.set("mail_note", render::TextOrNothing(deps_.mail_note));
      d.set("new_tab", framed ? " target=\"_blank\" rel=\"noopener\"" : "");
      auto html = kit_.Render(framed ? "embed_check_email" : "check_email", d);
      if (!html) return kit_.InternalError();
      page = std::make_shared<const Spliced>(Spliced::Cut(*html, 1));
      std::lock_guard lock(mu_);
      check_cache_[key] = CachedCheck{c.title, c.language, organization, page};
    }
    Response r = HtmlPage(page->Fill({render::EscapeHtml(email)}), 200, "no-store");
    if (framed) site_->embed.Frameable(&r);
    return r;
  }

  // How signing's failures are worded (the form's own errors aside), on the page and in a frame.
  static PageErrors SignErrors(const std::string& slug, const Error& e) {
    const std::string back = "/c/" + PercentEncode(slug);
    PageErrors how;
    how.use_case = "signing";
    how.back = back;
    how.back_text = "Back to the campaign";
    how.nothing_done = "Your signature was not recorded.";
    how.pages[Code::kNotFound] = CampaignNotFound();
    how.pages[Code::kConflict] = {409,
                                  "This campaign is closed",
                                  {"It no longer takes signatures, so yours was not recorded. "
                                   "Thank you for wanting to sign."},
                                  back,
                                  "Back to the campaign"};
    how.pages[Code::kTooManyRequests] = {
        429,
        "Too many signatures at once",
        {e.message.empty() ? "Please wait a little and try again." : e.message,
         "You can try again in " + WaitText(RetryAfterFor(e)) + "."},
        back,
        "Back to the campaign"};
    how.pages[Code::kUnavailable] = {503,
                                     "Please try again in a moment",
                                     {"The server is busy or restarting. Your signature was not "
                                      "recorded; please send the form again in a few seconds."},
                                     back,
                                     "Back to the campaign"};
    return how;
  }

  Response SignFailed(const Request& req, const std::string& slug, const SignatureForm& typed,
                      const Error& e, const SignatureOrigin& origin = {}) {
    PageErrors how = SignErrors(slug, e);
    // Shown by GET /c/{slug}/sign, so that a reload does not post the form again.
    how.form = [&](const Error& e) -> std::optional<Response> {
      if (e.code != Code::kInvalidArgument) return std::nullopt;
      if (!kit_.PublicSnapshot(slug)) return kit_.ErrorPage(CampaignNotFound());
      FlashEntry failed;
      failed.slug = slug;
      failed.typed = typed;
      failed.origin = origin;
      failed.errors = e.field_errors;
      if (e.field_errors.empty()) {
        failed.general_error = e.message.empty() ? "Please check the form." : e.message;
      }
      return RedirectWithFlash(std::move(failed), how.back + "/sign#sign");
    };
    return kit_.ErrorResponse(e, how);
  }

  // The embed's answer to a failure, in the frame: the widget again with what was typed and a
  // message per field (422: no redirect, the flash cookie would be a third party's there), or a
  // short page worded as SignFailed's.
  Response EmbedFailed(const std::string& slug, const SignatureForm& typed, const Error& e,
                       const SignatureOrigin& origin) {
    EmbedPages& embed = site_->embed;
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    if (!snap) return embed.Message(CampaignNotFound(), nullptr);
    if (e.code == Code::kInvalidArgument) {
      FormState form;
      form.values = typed;
      form.errors = e.field_errors;
      if (e.field_errors.empty()) {
        form.general_error = e.message.empty() ? "Please check the form." : e.message;
      }
      form.origin_html = OriginInputHtml(origin);
      return embed.WidgetWithForm(snap, std::move(form));
    }
    if (e.code == Code::kInternal) spdlog::error("pages: embedded signing: {}", e.message);
    return embed.Message(PageErrorSpec(e, SignErrors(slug, e)), &snap->campaign);
  }

 public:
  // POST /c/{slug}/embed/sign: the widget's form (embed.h), checked without a cookie (its Origin
  // and the widget's token) and answered in the frame, asynchronously like Sign.
  void EmbedSign(const Request& req, Respond respond) {
    EmbedPages& embed = site_->embed;
    const std::string slug = req.Param("slug");
    SnapshotPtr snap = embed.enabled() ? kit_.PublicSnapshot(slug) : nullptr;
    if (!snap) return respond(embed.Message(CampaignNotFound(), nullptr));
    Form form;
    const UnixTime now = kit_.clock().Now();
    auto token_ok = [&](const Form& f) {
      return embed.tokens().Verify(slug, First(f, kCsrfField), now);
    };
    if (auto bad = kit_.CheckFramedPost(req, CampaignUrl(kit_.base_url(), slug), token_ok, &form)) {
      return respond(embed.Message(*bad, &snap->campaign));
    }
    std::map<std::string, std::string> form_errors;
    SignatureForm f = FormFields(form, &snap->campaign, &form_errors);
    const SignatureOrigin origin = DecodeOriginField(First(form, "origin"));
    if (!form_errors.empty()) {
      if (const SignerGroup* g = FindGroup(snap->campaign, f.group)) {
        if (auto valid = ValidateSignatureForm(f, *g); !valid) {
          form_errors.merge(valid.error().field_errors);
        }
      }
      return respond(EmbedFailed(
          slug, f, Error{Code::kInvalidArgument, "", std::move(form_errors), 0}, origin));
    }
    service::SignContext ctx;
    ctx.source = "embed";
    ctx.remote_address = req.remote_address;
    ctx.origin = origin;
    deps_.signing.SignAsync(
        slug, f, ctx,
        [this, slug, f, origin, respond = std::move(respond)](Result<service::SignResult> r) {
          if (!r) return respond(EmbedFailed(slug, f, r.error(), origin));
          const SignerGroup* g = FindGroup(r->campaign, f.group);
          const bool work = g != nullptr && ProvenByDomain(g->kind);
          respond(CheckEmail(r->campaign, r->kind, Trim(work ? f.work_email : f.email),
                             work ? g : nullptr, /*framed=*/true));
        });
  }

 private:
  struct CachedCheck {
    std::string title;
    std::string language;
    std::string organization;  // of the verified group (empty: not one)
    std::shared_ptr<const Spliced> page;
  };

  SitePtr site_;
  PagesDeps& deps_;
  PageKit& kit_;
  FlashStore& flash_;

  std::mutex mu_;  // guards the cache below
  std::unordered_map<std::string, CachedCheck> check_cache_;
};

}  // namespace

void AddSignRoutes(Router& router, const SitePtr& site) {
  auto sign = std::make_shared<SignPages>(site);
  router.Get("/c/{slug}/sign", [sign](const Request& req) { return sign->SignGet(req); },
             {false, 0, "sign_get"});
  router.Get("/c/{slug}/sent", [sign](const Request& req) { return sign->Sent(req); },
             {false, 0, "sign_sent"});
  router.PostAsync(
      "/c/{slug}/sign",
      [sign](const Request& req, Respond respond) { sign->Sign(req, std::move(respond)); },
      {false, kSignBodyLimit, "sign"});
  router.PostAsync(
      "/c/{slug}/embed/sign",
      [sign](const Request& req, Respond respond) { sign->EmbedSign(req, std::move(respond)); },
      {false, kSignBodyLimit, "embed_sign"});
}

}  // namespace undersigned::http::pages
