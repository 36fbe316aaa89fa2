#include "http/pages/organizations.h"

#include <array>
#include <map>
#include <memory>
#include <optional>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "core/utf8.h"
#include "http/multipart.h"
#include "http/pages/csrf.h"
#include "http/pages/flash.h"
#include "http/pages/page_kit.h"
#include "http/pages/views.h"
#include "render/text.h"

namespace undersigned::http {
namespace {

using render::Data;
using service::CampaignSnapshot;
using SnapshotPtr = std::shared_ptr<const CampaignSnapshot>;
using pages::CampaignNotFound;
using pages::ErrorSpec;
using pages::Expired;
using pages::First;
using pages::Form;
using pages::HtmlPage;
using pages::kTokenBodyLimit;
using pages::OtherSite;
using pages::StringList;

// An approved logo never changes (the decision is final and the logo cannot be replaced), and
// its URL names the organization's uuid.
constexpr const char* kLogoCacheControl = "public, max-age=31536000, immutable";

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

Data Opt(const std::string& s) { return s.empty() ? Data(false) : Data(s); }

// Text typed into the form, safe to put back into the page (bytes that are not UTF-8 are not).
std::string Printable(const std::string& s) { return IsValidUtf8(s) ? s : std::string(); }

std::string Quoted(const std::string& s) { return "\u201C" + s + "\u201D"; }

// The website as a link target: only an http(s) URL with a host (the service checked it; this
// keeps anything else out of an href even if a stored value were not).
std::string WebsiteHref(const std::string& website) {
  return WebsiteHost(website).empty() ? std::string() : website;
}

class OrgSite {
 public:
  explicit OrgSite(OrganizationPagesDeps deps)
      : deps_(std::move(deps)),
        kit_(deps_.campaigns, deps_.templates, deps_.base_url, deps_.csrf_secret, deps_.site,
             deps_.clock) {}

  // --- the form

  Response NewForm(const Request& req) {
    SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    if (!pages::TakesSignatures(snap->campaign, kit_.clock().Now())) {
      return kit_.ErrorPage(Closed(snap->campaign));
    }
    const pages::FormCsrf csrf = kit_.CsrfFor(req);
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
    if (!pages::OriginAllowed(req, kit_.origin()))
      return kit_.ErrorPage(OtherSite(back, back_text));
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
    if (!kit_.csrf().Verify(req.Cookie(pages::kCsrfCookie), text(pages::kCsrfField))) {
      return kit_.ErrorPage(Expired(back, back_text));
    }
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    if (!pages::TakesSignatures(snap->campaign, kit_.clock().Now())) {
      return kit_.ErrorPage(Closed(snap->campaign));
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
      pages::FlashEntry sent;
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
      const pages::FormCsrf csrf = kit_.CsrfFor(req);
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
    pages::PageErrors how;
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
          if (!now || !pages::TakesSignatures(now->campaign, kit_.clock().Now())) {
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
          page.Header("Retry-After", std::to_string(pages::RetryAfterFor(e)));
          return page;
        }
        default:
          return std::nullopt;
      }
    };
    how.pages[Code::kConflict] = Closed(snap->campaign);
    how.pages[Code::kNotFound] = CampaignNotFound();
    how.pages[Code::kUnavailable] = Busy(back, back_text);
    return kit_.ErrorResponse(e, how);
  }

  // Where a submitted form is redirected: "check your email", naming the contact address and
  // the organization (the flash). Without the flash the page still says what to do.
  Response Sent(const Request& req) {
    const std::string slug = req.Param("slug");
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    auto flash = flash_.Open(req.Cookie(pages::kFlashCookie), slug, kit_.clock().Now());
    if (!flash || !flash->sent || flash->organization.empty()) {
      return CheckEmail(snap->campaign, "the contact address you gave", "the organization");
    }
    return CheckEmail(snap->campaign, flash->email, flash->organization);
  }

  // --- the contact's link

  Response ConfirmPage(const Request& req) {
    const std::string token = req.Query("t").value_or("");
    auto peek = deps_.organizations.PeekConfirm(token, req.remote_address);
    if (!peek) return kit_.TokenHeaders(TokenError(peek.error(), "/o/confirm", token), nullptr);
    const Campaign& c = peek->campaign;
    const Organization& o = peek->organization;
    if (o.state != OrganizationState::kPending) {
      return kit_.TokenHeaders(StatePage(*peek), nullptr);
    }
    const pages::FormCsrf csrf = kit_.CsrfFor(req);
    const std::string heading = "Confirm that " + o.form.name + " co-signs " + Quoted(c.title);
    Data d = pages::CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs",
          StringList({"Someone asked for " + o.form.name + " (" + o.form.website +
                          ") to co-sign this campaign, giving this address as its contact.",
                      "Press the button to confirm the request, if you may speak for the "
                      "organization. The campaign\u2019s organizers then review it: it is listed "
                      "on the campaign page once they approve it.",
                      "If nobody at " + o.form.name +
                          " asked for this, do nothing: it will not be listed."}));
    d.set("action", "/o/confirm");
    d.set("token", token);
    d.set("csrf", csrf.token);
    d.set("button", "Confirm the request");
    d.set("danger", Data(false));
    auto html = kit_.Render("token", d);
    if (!html) return kit_.InternalError();
    return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), csrf.new_nonce());
  }

  Response ConfirmPost(const Request& req) {
    std::string token;
    if (auto parsed = ParseForm(req.body)) token = First(*parsed, "t");
    const std::string back = "/o/confirm?t=" + PercentEncode(token);
    Form form;
    if (auto bad = kit_.CheckPost(req, back, "Back to the page with the button",
                                  "Nothing was changed.", &form)) {
      return kit_.TokenHeaders(std::move(*bad), nullptr);
    }
    auto r = deps_.organizations.Confirm(token, req.remote_address);
    if (!r) return kit_.TokenHeaders(TokenError(r.error(), "/o/confirm", token), nullptr);
    // Post/redirect/get: the link's page now shows what became of the request.
    return kit_.TokenHeaders(Response::Redirect(back, 303), nullptr);
  }

  // --- the organizers' link

  Response ReviewPage(const Request& req) {
    const std::string token = req.Query("t").value_or("");
    auto peek = deps_.organizations.PeekReview(token, req.remote_address);
    if (!peek) return kit_.TokenHeaders(TokenError(peek.error(), "/o/review", token), nullptr);
    const Campaign& c = peek->campaign;
    const Organization& o = peek->organization;
    const pages::FormCsrf csrf = kit_.CsrfFor(req);
    std::string heading;
    std::vector<std::string> paragraphs;
    switch (o.state) {
      case OrganizationState::kConfirmed:
        heading = o.form.name + " asks to co-sign " + Quoted(c.title);
        paragraphs = {
            "Its contact address, at the organization\u2019s own domain, has confirmed the "
            "request. As an organizer of the campaign, you decide whether it is listed.",
            "Approve it to list the organization on the campaign page, with its logo and "
            "statement, and count it among the co-signing organizations. Reject it and it is "
            "never shown."};
        break;
      case OrganizationState::kApproved:
        heading = o.form.name + " co-signs " + Quoted(c.title);
        paragraphs = {"It was approved and is listed on the campaign page."};
        break;
      case OrganizationState::kRejected:
        heading = o.form.name + " was rejected";
        paragraphs = {"It is not shown anywhere. The decision is final."};
        break;
      case OrganizationState::kPending:
        heading = o.form.name + " has not confirmed its request yet";
        paragraphs = {
            "Its contact address has not followed the link we sent it. You can "
            "decide once it has."};
        break;
    }
    Data d = pages::CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs", StringList(paragraphs));
    d.set("o", OrganizationData(c, o, token));
    if (o.state == OrganizationState::kConfirmed) {
      Data decide;
      decide.set("token", token);
      decide.set("csrf", csrf.token);
      d.set("decide", decide);
    } else {
      d.set("decide", Data(false));
    }
    auto html = kit_.Render("organization_review", d);
    if (!html) return kit_.InternalError();
    return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), csrf.new_nonce());
  }

  Response ReviewPost(const Request& req) {
    std::string token;
    if (auto parsed = ParseForm(req.body)) token = First(*parsed, "t");
    const std::string back = "/o/review?t=" + PercentEncode(token);
    const std::string back_text = "Back to the request";
    Form form;
    if (auto bad = kit_.CheckPost(req, back, back_text, "Nothing was changed.", &form)) {
      return kit_.TokenHeaders(std::move(*bad), nullptr);
    }
    const std::string decision = First(form, "decision");
    if (decision != "approve" && decision != "reject") {
      return kit_.TokenHeaders(
          kit_.ErrorPage({400,
                          "Choose whether to approve or reject",
                          {"Press one of the two buttons on the page. Nothing was changed."},
                          back,
                          back_text}),
          nullptr);
    }
    const bool approve = decision == "approve";
    auto r = deps_.organizations.Review(token, approve, req.remote_address);
    if (!r) {
      pages::PageErrors how = TokenErrors(r.error(), "/o/review", token);
      how.pages[Code::kConflict] = {
          409,
          "This request cannot be decided that way",
          {r.error().message.empty() ? "It was already decided." : r.error().message,
           "A decision is final."},
          back,
          back_text};
      return kit_.TokenHeaders(kit_.ErrorResponse(r.error(), how), nullptr);
    }
    // Post/redirect/get: the link's page now shows the decision, without the buttons.
    return kit_.TokenHeaders(Response::Redirect(back, 303), nullptr);
  }

  // The logo on the review page: the stored one for a valid review token.
  Response ReviewLogo(const Request& req) {
    const std::string token = req.Query("t").value_or("");
    auto peek = deps_.organizations.PeekReview(token, req.remote_address);
    if (!peek || !peek->organization.has_logo) return kit_.TokenHeaders(NoLogo(), nullptr);
    const std::string& uuid = peek->organization.uuid;
    auto png = deps_.review_logo ? deps_.review_logo(uuid) : deps_.organizations.Logo(uuid);
    if (!png) return kit_.TokenHeaders(NoLogo(), nullptr);
    return kit_.TokenHeaders(Png(std::move(*png), "no-store"), nullptr);
  }

  // --- public logos

  Response Logo(const Request& req) {
    SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
    const std::string uuid = req.Param("uuid");
    bool listed = false;
    if (snap) {
      for (const Organization& o : snap->organizations) {
        listed = listed || (o.uuid == uuid && o.has_logo);
      }
    }
    if (!listed) return NoLogo();
    auto png = deps_.organizations.Logo(uuid);
    if (!png) {
      if (png.error().code != Code::kNotFound) {
        spdlog::error("pages: organization logo {}: {}", uuid, png.error().message);
        return kit_.InternalError();
      }
      return NoLogo();
    }
    return Png(std::move(*png), kLogoCacheControl);
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
    Data d = pages::CampaignBriefData(
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
    return DonePage(
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

  // What became of an organization, for its contact, on its link's page once confirmed (the
  // button's post is redirected there).
  Response StatePage(const OrganizationOutcome& r) {
    const Campaign& c = r.campaign;
    const std::string& name = r.organization.form.name;
    switch (r.organization.state) {
      case OrganizationState::kApproved:
        return DonePage(c, name + " co-signs " + Quoted(c.title),
                        {"The campaign\u2019s organizers approved the request: " + name +
                         " is listed on the campaign page."});
      case OrganizationState::kRejected:
        return DonePage(c, "The request was not accepted",
                        {"The campaign\u2019s organizers decided not to list " + name + "."});
      case OrganizationState::kConfirmed:
      case OrganizationState::kPending:
        break;
    }
    return DonePage(c, "Thank you: the request is confirmed",
                    {"The campaign\u2019s organizers will now review it. " + name +
                         " is listed on the campaign page once they approve it.",
                     "There is nothing more to do."});
  }

  Response DonePage(const Campaign& c, const std::string& heading,
                    const std::vector<std::string>& paragraphs) {
    Data d = pages::CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs", StringList(paragraphs));
    d.set("show_share", Data(false));
    auto html = kit_.Render("done", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, 200, "no-store");
  }

  // "o" of organization_review.mustache.
  Data OrganizationData(const Campaign& c, const Organization& o, const std::string& token) {
    Data d;
    d.set("name", o.form.name);
    d.set("website", o.form.website);
    d.set("website_href", Opt(WebsiteHref(o.form.website)));
    d.set("contact_email", o.form.contact_email);
    d.set("contact_confirmed", Data(o.state != OrganizationState::kPending));
    d.set("statement", Opt(o.form.statement));
    d.set("created_text", render::FormatDate(o.created));
    d.set("created_iso", FormatIso8601(o.created));
    std::string state;
    switch (o.state) {
      case OrganizationState::kPending:
        state = "Waiting for its contact address to confirm";
        break;
      case OrganizationState::kConfirmed:
        state = "Waiting for your decision";
        break;
      case OrganizationState::kApproved:
        state = "Approved";
        break;
      case OrganizationState::kRejected:
        state = "Rejected";
        break;
    }
    if (o.decided) state += " on " + render::FormatDate(*o.decided);
    d.set("state_text", state);
    std::string logo_url;
    std::string logo_text = "None uploaded.";
    if (o.has_logo) {
      if (o.state == OrganizationState::kApproved) {
        logo_url = OrganizationLogoPath(c.slug, o.uuid);
        logo_text = "Shown above, as it appears on the campaign page.";
      } else if (deps_.review_logo) {
        logo_url = "/o/review/logo?t=" + PercentEncode(token);
        logo_text = "Shown above, as it will appear on the campaign page.";
      } else {
        logo_text =
            "A logo was uploaded (checked and redrawn as a new picture). It is shown once the "
            "organization is approved.";
      }
    }
    d.set("logo_url", Opt(logo_url));
    d.set("logo_text", logo_text);
    return d;
  }

  static Response Png(std::string bytes, const char* cache_control) {
    Response r;
    r.content_type = "image/png";
    r.body = std::move(bytes);
    r.Header("Cache-Control", cache_control);
    r.Header("X-Content-Type-Options", "nosniff");
    return r;
  }

  Response NoLogo() {
    return kit_.ErrorPage({404, "Logo not found", {"There is no logo at this address."}});
  }

  Response TokenError(const Error& e, const std::string& path, const std::string& token) {
    return kit_.ErrorResponse(e, TokenErrors(e, path, token));
  }

  // How the pages behind a mailed link (path: "/o/confirm", "/o/review") answer e.
  static pages::PageErrors TokenErrors(const Error& e, const std::string& path,
                                       const std::string& token) {
    pages::PageErrors how;
    how.use_case = path;
    how.pages[Code::kNotFound] = {404,
                                  "This link is not valid",
                                  {"The link may have been copied incompletely from the email. "
                                   "Please open it again from the email, or copy all of it."}};
    how.pages[Code::kConflict] = {409,
                                  "This request cannot be changed",
                                  {e.message.empty() ? "It was already decided." : e.message}};
    how.pages[Code::kUnavailable] = Busy(path + "?t=" + PercentEncode(token), "Try again");
    how.pages[Code::kTooManyRequests] = pages::TooManyLinkGuesses(e);
    return how;
  }

  ErrorSpec Closed(const Campaign& c) const {
    return {409,
            "This campaign is closed",
            {"It no longer takes signatures, from people or organizations. Nothing was "
             "recorded."},
            pages::CampaignUrl(kit_.base_url(), c.slug),
            "Back to the campaign"};
  }
  static ErrorSpec Busy(const std::string& back, const std::string& back_text) {
    return {503,
            "Please try again in a moment",
            {"The server is busy or restarting. Nothing was recorded; please try again in a "
             "few seconds."},
            back,
            back_text,
            5};
  }

  OrganizationPagesDeps deps_;
  pages::PageKit kit_;
  // what a submitted form hands to its "check your email" page
  pages::FlashStore flash_{deps_.flash_secret};
};

}  // namespace

std::string OrganizationLogoPath(const std::string& slug, const std::string& uuid) {
  return "/c/" + PercentEncode(slug) + "/organizations/" + PercentEncode(uuid) + "/logo.png";
}

void RegisterOrganizationPages(Router& router, OrganizationPagesDeps deps) {
  auto site = std::make_shared<OrgSite>(std::move(deps));
  auto bind = [site](Response (OrgSite::*fn)(const Request&)) {
    return [site, fn](const Request& req) { return ((*site).*fn)(req); };
  };
  // The form reads only the in-memory snapshot; everything else asks the store (or re-encodes
  // a picture), so it runs on the blocking executor.
  router.Get("/c/{slug}/organizations/new", bind(&OrgSite::NewForm),
             {false, 0, "organization_form"});
  router.Get("/c/{slug}/organizations", bind(&OrgSite::FormGet),
             {false, 0, "organization_form_get"});
  router.Post("/c/{slug}/organizations", bind(&OrgSite::Submit),
              {true, kOrganizationBodyLimit, "organization_submit", kUploadReadTimeout});
  router.Get("/c/{slug}/organizations/sent", bind(&OrgSite::Sent), {false, 0, "organization_sent"});
  router.Get("/c/{slug}/organizations/{uuid}/logo.png", bind(&OrgSite::Logo),
             {true, 0, "organization_logo"});
  router.Get("/o/confirm", bind(&OrgSite::ConfirmPage), {true, 0, "organization_confirm_page"});
  router.Post("/o/confirm", bind(&OrgSite::ConfirmPost),
              {true, kTokenBodyLimit, "organization_confirm"});
  router.Get("/o/review", bind(&OrgSite::ReviewPage), {true, 0, "organization_review_page"});
  router.Post("/o/review", bind(&OrgSite::ReviewPost),
              {true, kTokenBodyLimit, "organization_review"});
  router.Get("/o/review/logo", bind(&OrgSite::ReviewLogo), {true, 0, "organization_review_logo"});
}

}  // namespace undersigned::http
