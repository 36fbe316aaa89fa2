// The form an organization fills in to co-sign a campaign: GET /c/{slug}/organizations/new,
// POST /c/{slug}/organizations (multipart, with a logo; the form again with what was typed and a
// message per field when something is wrong), GET /c/{slug}/organizations (303 to the form) and
// GET /c/{slug}/organizations/sent ("check your email", post/redirect/get).
#include <array>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/utf8.h"
#include "http/multipart.h"
#include "http/pages/organization_site.h"
#include "http/url.h"

namespace undersigned::http::pages {
namespace {

using render::Data;
using service::CampaignSnapshot;
using SnapshotPtr = std::shared_ptr<const CampaignSnapshot>;

// The form's fields in their order on the page, with the id of their element.
constexpr std::array<std::pair<const char*, const char*>, 5> kFields = {
    {{"name", "o-name"},
     {"website", "o-website"},
     {"contact_email", "o-contact_email"},
     {"statement", "o-statement"},
     {"logo", "o-logo"}}};

// What the form shows again after a problem: the text as typed (never the file), and a message
// per field.
struct OrgFormState {
  OrganizationForm values;
  std::map<std::string, std::string> errors;
  std::string general_error;  // summary only
  std::string csrf;
  bool had_file = false;  // a file was chosen: say that it must be chosen again
};

// Text typed into the form, safe to put back into the page (bytes that are not UTF-8 are not).
std::string Printable(const std::string& s) { return IsValidUtf8(s) ? s : std::string(); }

class OrganizationFormPages {
 public:
  explicit OrganizationFormPages(OrganizationSitePtr site)
      : site_(std::move(site)), deps_(site_->deps), kit_(site_->kit), flash_(site_->flash) {}

  Response NewForm(const Request& req) {
    SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    if (!TakesSignatures(snap->campaign, kit_.clock().Now())) {
      return kit_.ErrorPage(site_->Closed(snap->campaign));
    }
    const FormCsrf csrf = kit_.CsrfFor(req);
    OrgFormState form;
    form.csrf = csrf.token;
    Response r = FormPage(snap->campaign, form, 200);
    kit_.SetCookie(csrf, &r);
    return r;
  }

  Response FormGet(const Request& req) {
    return Response::Redirect(FormUrl(req.Param("slug")), 303);
  }

  Response Submit(const Request& req) {
    const std::string slug = req.Param("slug");
    const std::string back = FormUrl(slug);
    const std::string back_text = "Back to the form";
    const std::string content_type = req.Header("content-type");
    if (!MultipartBoundary(content_type)) {
      return kit_.ErrorPage({415,
                             "This form was sent in a format we do not accept",
                             {"This form must be sent as multipart/form-data, as browsers do for "
                              "forms with a file. Please use the form on the page."},
                             back,
                             back_text});
    }
    if (!OriginAllowed(req, kit_.origin())) return kit_.ErrorPage(OtherSite(back, back_text));
    auto parts = ParseMultipart(content_type, req.body);
    if (!parts) {
      spdlog::debug("pages: organization form: {}", parts.error().message);
      return kit_.ErrorPage({400,
                             "We could not read this form",
                             {"It was not sent correctly. Nothing was recorded. Please go back and "
                              "try again."},
                             back,
                             back_text});
    }
    std::map<std::string, const FormPart*> by_name;  // the first part of each name
    for (const FormPart& p : *parts) by_name.emplace(p.name, &p);
    auto text = [&](const char* name) {
      auto it = by_name.find(name);
      return it == by_name.end() ? std::string() : it->second->body;
    };
    if (!kit_.csrf().Verify(req.Cookie(kCsrfCookie), text(kCsrfField))) {
      return kit_.ErrorPage(Expired(back, back_text));
    }
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    if (!TakesSignatures(snap->campaign, kit_.clock().Now())) {
      return kit_.ErrorPage(site_->Closed(snap->campaign));
    }
    OrganizationForm f{text("name"), text("website"), text("contact_email"), text("statement")};
    std::string_view logo;
    bool had_file = false;
    if (auto it = by_name.find("logo"); it != by_name.end()) {
      // A browser sends an empty part (filename="") when no file was chosen.
      logo = it->second->body;
      had_file = !logo.empty();
    }
    auto r = deps_.organizations.Submit(slug, f, logo, req.remote_address);
    if (r) {
      // Post/redirect/get: a reload of the next page sends nothing again. The contact address
      // and the name reach that page through the flash (the sealed cookie, never the URL).
      FlashEntry sent;
      sent.slug = slug;
      sent.sent = true;
      sent.email = r->form.contact_email;
      sent.organization = r->form.name;
      const std::string sealed = flash_.Seal(std::move(sent), kit_.clock().Now());
      Response redirect = Response::Redirect(SentUrl(slug), 303);
      redirect.Header("Set-Cookie", flash_.CookieValue(sealed, "/c/" + PercentEncode(slug) + "/",
                                                       kit_.base_url().starts_with("https:")));
      redirect.Header("Cache-Control", "no-store");
      return redirect;
    }
    // A form with errors is answered with itself (what was typed, a message per field): nothing
    // was recorded, so sending it again from a reload records nothing twice, and a chosen logo
    // file could not be carried across a redirect anyway.
    const Error& e = r.error();
    auto again = [&](int status, std::map<std::string, std::string> errors, std::string general) {
      const FormCsrf csrf = kit_.CsrfFor(req);
      OrgFormState form;
      form.values = f;
      form.errors = std::move(errors);
      form.general_error = std::move(general);
      form.csrf = csrf.token;
      form.had_file = had_file;
      Response page = FormPage(snap->campaign, form, status);
      kit_.SetCookie(csrf, &page);
      return page;
    };
    PageErrors how;
    how.use_case = "organization submission";
    how.form = [&](const Error& e) -> std::optional<Response> {
      switch (e.code) {
        case Code::kInvalidArgument:
          return again(422, e.field_errors,
                       e.field_errors.empty()
                           ? (e.message.empty() ? "Please check the form." : e.message)
                           : std::string());
        case Code::kConflict: {
          // Closed meanwhile (the page below), or this contact address already asked for
          // this campaign.
          auto now = kit_.PublicSnapshot(slug);
          if (!now || !TakesSignatures(now->campaign, kit_.clock().Now())) {
            return std::nullopt;
          }
          return again(409,
                       {{"contact_email",
                         "This address has already asked for an organization to co-sign this "
                         "campaign. Look for the email we sent to it, and follow its link."}},
                       "");
        }
        case Code::kTooManyRequests: {
          Response page = again(429, {}, e.message);
          page.Header("Retry-After", std::to_string(RetryAfterFor(e)));
          return page;
        }
        default:
          return std::nullopt;
      }
    };
    how.pages[Code::kConflict] = site_->Closed(snap->campaign);
    how.pages[Code::kNotFound] = CampaignNotFound();
    how.pages[Code::kUnavailable] = site_->Busy(back, back_text);
    return kit_.ErrorResponse(e, how);
  }

  // Where a submitted form is redirected: "check your email", naming the contact address and
  // the organization (the flash). Without the flash the page still says what to do.
  Response Sent(const Request& req) {
    const std::string slug = req.Param("slug");
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    auto flash = flash_.Open(req.Cookie(kFlashCookie), slug, kit_.clock().Now());
    if (!flash || !flash->sent || flash->organization.empty()) {
      return CheckEmail(snap->campaign, "the contact address you gave", "the organization");
    }
    return CheckEmail(snap->campaign, flash->email, flash->organization);
  }

 private:
  static std::string FormUrl(const std::string& slug) {
    return "/c/" + PercentEncode(slug) + "/organizations/new";
  }
  static std::string SentUrl(const std::string& slug) {
    return "/c/" + PercentEncode(slug) + "/organizations/sent";
  }

  Response FormPage(const Campaign& c, const OrgFormState& form, int status) {
    const bool errors = !form.errors.empty() || !form.general_error.empty();
    Data d = CampaignBriefData(
        c, kit_.base_url(), kit_.site(),
        std::string(errors ? "Error: " : "") + "Sign as an organization: " + c.title);
    d.set("csrf", form.csrf);
    Data fields;
    auto field = [&](const char* key, const std::string& value) {
      Data f;
      f.set("value", Printable(value));
      auto it = form.errors.find(key);
      f.set("has_error", Data(it != form.errors.end()));
      f.set("error", it != form.errors.end() ? it->second : std::string());
      return f;
    };
    fields.set("name", field("name", form.values.name));
    fields.set("website", field("website", form.values.website));
    fields.set("contact_email", field("contact_email", form.values.contact_email));
    fields.set("statement", field("statement", form.values.statement));
    Data logo = field("logo", "");
    logo.set("had_file", Data(form.had_file));
    fields.set("logo", logo);
    d.set("fields", fields);

    Data list(Data::type::list);
    int count = 0;
    auto add = [&](const std::string& id, const std::string& message) {
      Data item;
      item.set("field_id", id);
      item.set("message", message);
      list.push_back(item);
      ++count;
    };
    if (!form.general_error.empty()) add("o-name", form.general_error);
    for (const auto& [key, id] : kFields) {
      if (auto it = form.errors.find(key); it != form.errors.end()) add(id, it->second);
    }
    for (const auto& [key, message] : form.errors) {
      bool known = false;
      for (const auto& [k, id] : kFields) known = known || key == k;
      if (!known) add("o-name", message);
    }
    d.set("has_errors", Data(count > 0));
    d.set("error_count_text",
          count == 1 ? std::string("1 problem") : std::to_string(count) + " problems");
    d.set("error_list", list);
    auto html = kit_.Render("organization_form", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, status, "no-store");
  }

  Response CheckEmail(const Campaign& c, const std::string& contact, const std::string& name) {
    return site_->DonePage(
        c, "Check your email",
        {"We sent a link to " + contact +
             ". Open it and press the button on the "
             "page to confirm that " +
             name + " asks to co-sign " + Quoted(c.title) + ".",
         "Then the campaign\u2019s organizers review the request. The organization is listed on "
         "the campaign page once they approve it.",
         "No email after a few minutes? Look in the spam or junk folder, and check that the "
         "address above is right. If it is not, fill in the form again with the right "
         "address."});
  }

  OrganizationSitePtr site_;
  OrganizationPagesDeps& deps_;
  PageKit& kit_;
  FlashStore& flash_;
};

}  // namespace

void AddOrganizationFormRoutes(Router& router, const OrganizationSitePtr& site) {
  auto form = std::make_shared<OrganizationFormPages>(site);
  // The form reads only the in-memory snapshot; the submission asks the store and re-encodes a
  // picture, so it runs on the blocking executor.
  router.Get("/c/{slug}/organizations/new",
             [form](const Request& req) { return form->NewForm(req); },
             {false, 0, "organization_form"});
  router.Get("/c/{slug}/organizations", [form](const Request& req) { return form->FormGet(req); },
             {false, 0, "organization_form_get"});
  router.Post("/c/{slug}/organizations", [form](const Request& req) { return form->Submit(req); },
              {true, kOrganizationBodyLimit, "organization_submit", kUploadReadTimeout});
  router.Get("/c/{slug}/organizations/sent", [form](const Request& req) { return form->Sent(req); },
             {false, 0, "organization_sent"});
}

}  // namespace undersigned::http::pages
