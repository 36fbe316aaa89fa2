// The public pages of conditional pledges (pledge.h).
#include "http/pages/pledge.h"

#include <ctime>
#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/money.h"
#include "core/utf8.h"
#include "http/message.h"
#include "http/pages/page_kit.h"
#include "http/wire.h"
#include "render/markdown.h"

namespace undersigned::http {
namespace {

using pages::HtmlPage;
using render::Data;

std::string Utc(UnixTime t) {
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M UTC", &tm);
  return buf;
}

// The condition in one sentence, for people.
std::string ConditionSentence(const PledgeCampaign& c) {
  const PledgeTerms& t = c.terms;
  const std::string by = " by " + Utc(t.deadline);
  switch (t.kind) {
    case PledgeConditionKind::kCount:
      return "If " + std::to_string(t.threshold) + " people pledge" + by + ".";
    case PledgeConditionKind::kOutcome:
      return "If " + t.subject_name + " (" + PledgeSubjectKindName(t.subject_kind) + ") acts" + by +
             ": " + t.condition_text + ".";
    case PledgeConditionKind::kUnless:
      return "Paid to " + t.payee + " unless " + t.subject_name + " (" +
             PledgeSubjectKindName(t.subject_kind) + ") acts" + by + ": " + t.condition_text + ".";
  }
  return "";
}

struct PledgeForm {
  std::string amount;
  std::string name;
  std::string email;
  std::map<std::string, std::string> errors;
  std::string general_error;
};

class PledgeSite {
 public:
  explicit PledgeSite(PledgePagesDeps deps)
      : deps_(std::move(deps)),
        kit_(deps_.campaigns, deps_.templates, deps_.base_url, deps_.csrf_secret, deps_.site,
             deps_.clock) {}

  Response Page(const Request& req) { return Show(req, req.Param("slug"), PledgeForm{}, 200); }

  Response Make(const Request& req) {
    const std::string slug = req.Param("slug");
    pages::Form form;
    if (auto bad =
            kit_.CheckPost(req, "/p/" + slug, "Back to the pledge", "No pledge was made.", &form)) {
      return *bad;
    }
    PledgeForm g;
    g.amount = Trim(pages::First(form, "amount"));
    g.name = pages::First(form, "name");
    g.email = Trim(pages::First(form, "email"));
    auto view = deps_.pledges.View(slug);
    if (!view) return ErrorAnswer(view.error());
    service::PledgeRequest pr;
    pr.slug = slug;
    pr.name = g.name;
    pr.email = g.email;
    if (view->campaign.terms.money) {
      auto amount = ParseAmount(g.amount, view->campaign.terms.currency, "amount");
      if (!amount) {
        g.errors["amount"] = g.amount.empty() ? "Type the amount you pledge."
                                              : "Type the amount as a number, such as 25 or 25.00.";
        return Show(req, slug, g, 422);
      }
      pr.amount_minor = *amount;
    }
    const std::string base = kit_.base_url() + "/p/" + PercentEncode(slug);
    pr.success_url = base + "/thanks";
    pr.cancel_url = base;
    auto started = deps_.pledges.StartPledge(pr);
    if (!started) {
      const Error& e = started.error();
      if (e.code == Code::kInvalidArgument) {
        for (const auto& [field, msg] : e.field_errors) g.errors[field] = msg;
        if (g.errors.empty()) g.general_error = e.message;
        return Show(req, slug, g, 422);
      }
      if (e.code == Code::kUnavailable || e.code == Code::kConflict) {
        g.general_error = e.message;
        return Show(req, slug, g, e.code == Code::kConflict ? 409 : 503);
      }
      return ErrorAnswer(e);
    }
    if (!started->checkout_url.empty()) return Response::Redirect(started->checkout_url, 303);
    return Message(view->campaign, "Thank you: your pledge counts",
                   {"Your pledge is counted. We will write to you once, when the condition is "
                    "decided."});
  }

  Response Thanks(const Request& req) {
    auto view = deps_.pledges.View(req.Param("slug"));
    if (!view) return ErrorAnswer(view.error());
    return Message(view->campaign, "Thank you for your pledge",
                   {"Your pledge counts as soon as the payment provider confirms that your card "
                    "was saved, usually within a minute. Nothing is charged unless the "
                    "condition is met.",
                    "We will write to you once, when the condition is decided."});
  }

  Response Json(const Request& req) {
    auto view = deps_.pledges.View(req.Param("slug"));
    if (!view) return JsonError(view.error());
    Response r = Response::Json(PledgeTotalsJson(view->campaign, view->totals));
    r.Header("Cache-Control", "no-store");
    return r;
  }

  Response Complete(const Request& req) {
    const std::string slug = req.Param("slug");
    const std::string base = kit_.base_url() + "/p/" + PercentEncode(slug);
    auto url = deps_.pledges.StartCompletion(req.Query("t").value_or(""), base + "/thanks", base);
    if (!url) return ErrorAnswer(url.error());
    return Response::Redirect(*url, 303);
  }

  Response WithdrawPage(const Request& req) {
    auto view = deps_.pledges.View(req.Param("slug"));
    if (!view) return ErrorAnswer(view.error());
    Data d = pages::LayoutData("en", "Withdraw your pledge", kit_.site());
    d.set("title", view->campaign.terms.title);
    d.set("slug", view->campaign.slug);
    d.set("token", req.Query("t").value_or(""));
    pages::FormCsrf csrf = kit_.CsrfFor(req);
    d.set("csrf", csrf.token);
    d.set("noindex", Data(true));
    auto html = kit_.Render("pledge_withdraw", d);
    if (!html) return kit_.InternalError();
    Response r = HtmlPage(*html, 200, "no-store");
    kit_.SetCookie(csrf, &r);
    return r;
  }

  Response Withdraw(const Request& req) {
    const std::string slug = req.Param("slug");
    pages::Form form;
    if (auto bad = kit_.CheckPost(req, "/p/" + slug, "Back to the pledge",
                                  "Your pledge was not withdrawn.", &form)) {
      return *bad;
    }
    auto view = deps_.pledges.View(slug);
    if (!view) return ErrorAnswer(view.error());
    auto p = deps_.pledges.Withdraw(pages::First(form, "t"));
    if (!p) return ErrorAnswer(p.error());
    return Message(view->campaign, "Your pledge is withdrawn",
                   {"It no longer counts, and your saved card was removed."});
  }

 private:
  Response ErrorAnswer(const Error& e) {
    pages::PageErrors how;
    how.use_case = "pledge";
    how.nothing_done = "No pledge was changed.";
    if (e.code == Code::kNotFound) {
      return kit_.ErrorPage({404, "There is no pledge here", {e.message}});
    }
    return kit_.ErrorResponse(e, how);
  }

  Response Message(const PledgeCampaign& c, const std::string& heading,
                   std::vector<std::string> paragraphs) {
    Data d = pages::LayoutData("en", heading, kit_.site());
    d.set("heading", heading);
    d.set("paragraphs", pages::StringList(paragraphs));
    d.set("back_url", "/p/" + c.slug);
    d.set("back_text", "Back to \u201c" + c.terms.title + "\u201d");
    d.set("noindex", Data(true));
    auto html = kit_.Render("fundraiser_thanks", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, 200, "no-store");
  }

  Response Show(const Request& req, const std::string& slug, const PledgeForm& g, int status) {
    auto view = deps_.pledges.View(slug);
    if (!view) return ErrorAnswer(view.error());
    const PledgeCampaign& c = view->campaign;
    const PledgeTotals& t = view->totals;
    const PledgeTerms& terms = c.terms;
    Data d = pages::LayoutData("en", terms.title, kit_.site());
    d.set("canonical_url", kit_.base_url() + "/p/" + c.slug);
    Data pd;
    pd.set("slug", c.slug);
    pd.set("title", terms.title);
    pd.set("description_html", render::RenderMarkdown(c.description_markdown, 2));
    pd.set("condition", ConditionSentence(c));
    pd.set("deadline_text", Utc(terms.deadline));
    pd.set("pledgers", std::to_string(t.pledgers));
    pd.set("pledgers_noun", t.pledgers == 1 ? "person has" : "people have");
    pd.set("money", Data(terms.money));
    pd.set("currency", terms.currency);
    pd.set("pledged_text", terms.money ? DisplayAmount(t.pledged_minor, terms.currency) : "");
    pd.set("collected_text", terms.money ? DisplayAmount(t.collected_minor, terms.currency) : "");
    pd.set("minimum_text",
           terms.money && terms.minimum_minor > 0
               ? render::TextOrNothing(DisplayAmount(terms.minimum_minor, terms.currency))
               : Data(false));
    pd.set("promise", render::TextOrNothing(terms.promise));
    pd.set("is_count", Data(terms.kind == PledgeConditionKind::kCount));
    pd.set("threshold", std::to_string(terms.threshold));
    pd.set("open",
           Data(c.status == PledgeCampaignStatus::kOpen && terms.deadline > kit_.clock().Now()));
    pd.set("met", Data(c.status == PledgeCampaignStatus::kMet));
    pd.set("failed", Data(c.status == PledgeCampaignStatus::kFailed));
    pd.set("evidence_url", render::TextOrNothing(c.evidence_url));
    pd.set("payments_on", Data(!terms.money || deps_.pledges.payments_on()));
    pd.set("amount", g.amount);
    pd.set("name", g.name);
    pd.set("email", g.email);
    auto err = [&](const char* k) {
      auto it = g.errors.find(k);
      return it == g.errors.end() ? Data(false) : Data(it->second);
    };
    pd.set("amount_error", err("amount"));
    pd.set("name_error", err("name"));
    pd.set("email_error", err("email"));
    pd.set("has_errors", Data(!g.errors.empty() || !g.general_error.empty()));
    pd.set("general_error", render::TextOrNothing(g.general_error));
    d.set("p", pd);
    pages::FormCsrf csrf = kit_.CsrfFor(req);
    d.set("csrf", csrf.token);
    auto html = kit_.Render("pledge", d);
    if (!html) return kit_.InternalError();
    Response r = HtmlPage(*html, status, "no-store");
    kit_.SetCookie(csrf, &r);
    // A pledge with money is answered by a redirect to the provider's Checkout (to save the
    // card), which browsers block under form-action 'self'.
    r.Header("Content-Security-Policy", PolicyWithFormAction("https:"));
    return r;
  }

  PledgePagesDeps deps_;
  pages::PageKit kit_;
};

}  // namespace

std::string PledgeTotalsJson(const PledgeCampaign& c, const PledgeTotals& t) {
  const std::string& cur = c.terms.currency;
  nlohmann::json j = {
      {"slug", c.slug},
      {"status", PledgeCampaignStatusName(c.status)},
      {"kind", PledgeConditionKindName(c.terms.kind)},
      {"deadline", c.terms.deadline},
      {"threshold", c.terms.threshold},
      {"money", c.terms.money},
      {"currency", cur},
      {"pledgers", t.pledgers},
      {"pledged", t.pledged_minor},
      {"pledged_text", c.terms.money ? DisplayAmount(t.pledged_minor, cur) : ""},
      {"charged", t.charged},
      {"collected", t.collected_minor},
      {"collected_text", c.terms.money ? DisplayAmount(t.collected_minor, cur) : ""},
      {"needs_action", t.needs_action},
      {"lapsed", t.lapsed},
      {"released", t.released},
      {"evidence_url", c.evidence_url}};
  return j.dump();
}

void RegisterPledgePages(Router& router, PledgePagesDeps deps) {
  auto site = std::make_shared<PledgeSite>(std::move(deps));
  router.Get("/p/{slug}", [site](const Request& req) { return site->Page(req); },
             {true, 0, "pledge_page"});
  router.Get("/p/{slug}.json", [site](const Request& req) { return site->Json(req); },
             {true, 0, "pledge_json"});
  router.Post("/p/{slug}/pledge", [site](const Request& req) { return site->Make(req); },
              {true, 16 * 1024, "pledge_make"});
  router.Get("/p/{slug}/thanks", [site](const Request& req) { return site->Thanks(req); },
             {true, 0, "pledge_thanks"});
  router.Get("/p/{slug}/complete", [site](const Request& req) { return site->Complete(req); },
             {true, 0, "pledge_complete"});
  router.Get("/p/{slug}/withdraw", [site](const Request& req) { return site->WithdrawPage(req); },
             {true, 0, "pledge_withdraw_page"});
  router.Post("/p/{slug}/withdraw", [site](const Request& req) { return site->Withdraw(req); },
              {true, 16 * 1024, "pledge_withdraw"});
}

}  // namespace undersigned::http
