// The pages behind the links mailed about a co-signing organization: its contact's
// (GET /o/confirm?t= shows a button, POST /o/confirm confirms the request) and the campaign's
// organizers' (GET /o/review?t= shows the organization with Approve and Reject buttons, POST
// /o/review decides, for good; GET /o/review/logo?t= its logo before they decide). A GET changes
// nothing (mail scanners open links); every POST redirects back to the link's page.
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "http/pages/organization_site.h"
#include "http/url.h"
#include "render/text.h"

namespace undersigned::http::pages {
namespace {

using render::Data;
using service::CampaignSnapshot;
using SnapshotPtr = std::shared_ptr<const CampaignSnapshot>;

Data Opt(const std::string& s) { return s.empty() ? Data(false) : Data(s); }

// The website as a link target: only an http(s) URL with a host (the service checked it; this
// keeps anything else out of an href even if a stored value were not).
std::string WebsiteHref(const std::string& website) {
  return WebsiteHost(website).empty() ? std::string() : website;
}

class OrganizationLinks {
 public:
  explicit OrganizationLinks(OrganizationSitePtr site)
      : site_(std::move(site)), deps_(site_->deps), kit_(site_->kit) {}

  Response ConfirmPage(const Request& req) {
    const std::string token = req.Query("t").value_or("");
    auto peek = deps_.organizations.PeekConfirm(token, req.remote_address);
    if (!peek)
      return kit_.TokenHeaders(site_->TokenError(peek.error(), "/o/confirm", token), nullptr);
    const Campaign& c = peek->campaign;
    const Organization& o = peek->organization;
    if (o.state != OrganizationState::kPending) {
      return kit_.TokenHeaders(StatePage(*peek), nullptr);
    }
    const FormCsrf csrf = kit_.CsrfFor(req);
    const std::string heading = "Confirm that " + o.form.name + " co-signs " + Quoted(c.title);
    Data d = CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
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
    if (!r) return kit_.TokenHeaders(site_->TokenError(r.error(), "/o/confirm", token), nullptr);
    // Post/redirect/get: the link's page now shows what became of the request.
    return kit_.TokenHeaders(Response::Redirect(back, 303), nullptr);
  }

  // --- the organizers' link

  Response ReviewPage(const Request& req) {
    const std::string token = req.Query("t").value_or("");
    auto peek = deps_.organizations.PeekReview(token, req.remote_address);
    if (!peek)
      return kit_.TokenHeaders(site_->TokenError(peek.error(), "/o/review", token), nullptr);
    const Campaign& c = peek->campaign;
    const Organization& o = peek->organization;
    const FormCsrf csrf = kit_.CsrfFor(req);
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
    Data d = CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
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
      PageErrors how = site_->TokenErrors(r.error(), "/o/review", token);
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
    if (!peek || !peek->organization.has_logo) return kit_.TokenHeaders(site_->NoLogo(), nullptr);
    const std::string& uuid = peek->organization.uuid;
    auto png = deps_.review_logo ? deps_.review_logo(uuid) : deps_.organizations.Logo(uuid);
    if (!png) return kit_.TokenHeaders(site_->NoLogo(), nullptr);
    return kit_.TokenHeaders(site_->Png(std::move(*png), "no-store"), nullptr);
  }

 private:
  // What became of an organization, for its contact, on its link's page once confirmed (the
  // button's post is redirected there).
  Response StatePage(const OrganizationOutcome& r) {
    const Campaign& c = r.campaign;
    const std::string& name = r.organization.form.name;
    switch (r.organization.state) {
      case OrganizationState::kApproved:
        return site_->DonePage(c, name + " co-signs " + Quoted(c.title),
                               {"The campaign\u2019s organizers approved the request: " + name +
                                " is listed on the campaign page."});
      case OrganizationState::kRejected:
        return site_->DonePage(
            c, "The request was not accepted",
            {"The campaign\u2019s organizers decided not to list " + name + "."});
      case OrganizationState::kConfirmed:
      case OrganizationState::kPending:
        break;
    }
    return site_->DonePage(c, "Thank you: the request is confirmed",
                           {"The campaign\u2019s organizers will now review it. " + name +
                                " is listed on the campaign page once they approve it.",
                            "There is nothing more to do."});
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

  OrganizationSitePtr site_;
  OrganizationPagesDeps& deps_;
  PageKit& kit_;
};

}  // namespace

void AddOrganizationLinkRoutes(Router& router, const OrganizationSitePtr& site) {
  auto links = std::make_shared<OrganizationLinks>(site);
  router.Get("/o/confirm", [links](const Request& req) { return links->ConfirmPage(req); },
             {true, 0, "organization_confirm_page"});
  router.Post("/o/confirm", [links](const Request& req) { return links->ConfirmPost(req); },
              {true, kTokenBodyLimit, "organization_confirm"});
  router.Get("/o/review", [links](const Request& req) { return links->ReviewPage(req); },
             {true, 0, "organization_review_page"});
  router.Post("/o/review", [links](const Request& req) { return links->ReviewPost(req); },
              {true, kTokenBodyLimit, "organization_review"});
  router.Get("/o/review/logo", [links](const Request& req) { return links->ReviewLogo(req); },
             {true, 0, "organization_review_logo"});
}

}  // namespace undersigned::http::pages
