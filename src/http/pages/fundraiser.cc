// The public fundraiser pages and the Stripe webhook (fundraiser.h).
#include "http/pages/fundraiser.h"

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
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
using render::DataList;

int Percent(std::int64_t part, std::int64_t goal) {
  if (goal <= 0) return 0;
  if (part >= goal) return 100;
  return static_cast<int>(part * 100 / goal);
}

// What the gift form keeps when shown again.
struct GiftForm {
  std::string amount;        // the chosen suggested amount ("25.00") or "other"
  std::string other_amount;  // typed
  bool monthly = false;
  std::string line_item;
  std::string name;
  std::string email;
  bool named = false;
  std::map<std::string, std::string> errors;
  std::string general_error;
};

class FundraiserSite {
 public:
  explicit FundraiserSite(FundraiserPagesDeps deps)
      : deps_(std::move(deps)),
        kit_(deps_.campaigns, deps_.templates, deps_.base_url, deps_.csrf_secret, deps_.site,
             deps_.clock) {}

  Response Page(const Request& req) { return Show(req, req.Param("slug"), GiftForm{}, 200); }

  Response Give(const Request& req) {
    const std::string slug = req.Param("slug");
    pages::Form form;
    if (auto bad = kit_.CheckPost(req, "/f/" + slug, "Back to the fundraiser",
                                  "No gift was started.", &form)) {
      return *bad;
    }
    GiftForm g;
    g.amount = pages::First(form, "amount");
    g.other_amount = Trim(pages::First(form, "other_amount"));
    g.monthly = pages::First(form, "monthly") == "yes";
    g.line_item = pages::First(form, "line_item");
    g.name = pages::First(form, "name");
    g.email = Trim(pages::First(form, "email"));
    g.named = pages::First(form, "named") == "yes";
    auto view = deps_.fundraising.View(slug, 0);
    if (!view) return ErrorAnswer(view.error(), slug);
    const std::string& currency = view->fundraiser.currency;
    std::string text = g.amount == "other" || g.amount.empty() ? g.other_amount : g.amount;
    auto amount = ParseAmount(text, currency, "amount");
    if (!amount) {
      g.errors["amount"] = text.empty() ? "Choose an amount, or type another one."
                                        : "Type the amount as a number, such as 25 or 25.00.";
      return Show(req, slug, g, 422);
    }
    service::DonationRequest dr;
    dr.fundraiser_slug = slug;
    dr.amount_minor = *amount;
    dr.line_item = g.line_item;
    dr.monthly = g.monthly;
    dr.donor_name = g.name;
    dr.donor_email = g.email;
    dr.named = g.named;
    const std::string base = kit_.base_url() + "/f/" + PercentEncode(slug);
    dr.success_url = base + "/thanks?session={CHECKOUT_SESSION_ID}";
    dr.cancel_url = base;
    auto started = deps_.fundraising.StartDonation(dr);
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
      return ErrorAnswer(e, slug);
    }
    return Response::Redirect(started->checkout_url, 303);
  }

  Response Thanks(const Request& req) {
    const std::string slug = req.Param("slug");
    auto view = deps_.fundraising.View(slug, 0);
    if (!view) return ErrorAnswer(view.error(), slug);
    Data d = pages::LayoutData(view->campaign ? view->campaign->language : "en", "Thank you",
                               kit_.site());
    d.set("heading", "Thank you for your gift");
    d.set("paragraphs",
          pages::StringList(
              {"We'll confirm your gift when the payment arrives: the fundraiser's total counts "
               "it as soon as the payment provider tells us the money came through, usually "
               "within a minute.",
               "If you gave your email address, the payment provider sends you its receipt."}));
    d.set("back_url", "/f/" + slug);
    d.set("back_text", "Back to \u201c" + view->fundraiser.title + "\u201d");
    d.set("noindex", Data(true));
    auto html = kit_.Render("fundraiser_thanks", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, 200, "no-store");
  }

  Response Json(const Request& req) {
    auto view = deps_.fundraising.View(req.Param("slug"), 0);
    if (!view) return JsonError(view.error());
    Response r = Response::Json(FundraiserTotalsJson(view->fundraiser, view->totals));
    r.Header("Cache-Control", "no-store");
    return r;
  }

  Response Webhook(const Request& req) {
    if (deps_.webhooks == nullptr) {
      return Response::Json(R"({"error":"payments are off on this site"})", 404);
    }
    auto event = deps_.webhooks->Verify(req.body, req.Header("stripe-signature"));
    if (!event) {
      spdlog::warn("payments: webhook refused: {}", event.error().message);
      nlohmann::json body = {{"error", event.error().message}};
      return Response::Json(body.dump(), 400);
    }
    if (deps_.pledges != nullptr) {
      auto pledge = deps_.pledges->ApplyWebhook(*event);
      if (!pledge) {
        spdlog::error("payments: webhook {} ({}) about a pledge not kept: {}", event->id,
                      event->type, pledge.error().message);
        return Response::Json(R"({"error":"not kept; send it again"})", 503);
      }
      if (*pledge) {
        spdlog::info("payments: webhook {} ({}): pledge", event->id, event->type);
        return Response::Json(R"({"received":true,"outcome":"pledge"})", 200);
      }
    }
    auto outcome = deps_.fundraising.ApplyWebhook(*event);
    if (!outcome) {
      spdlog::error("payments: webhook {} ({}) not kept: {}", event->id, event->type,
                    outcome.error().message);
      return Response::Json(R"({"error":"not kept; send it again"})", 503);
    }
    spdlog::info("payments: webhook {} ({}): {}", event->id, event->type,
                 service::WebhookOutcomeName(*outcome));
    nlohmann::json body = {{"received", true}, {"outcome", service::WebhookOutcomeName(*outcome)}};
    return Response::Json(body.dump(), 200);
  }

 private:
  Response ErrorAnswer(const Error& e, const std::string& slug) {
    pages::PageErrors how;
    how.use_case = "fundraiser";
    how.nothing_done = "No gift was started.";
    if (e.code == Code::kNotFound) {
      return kit_.ErrorPage({404, "There is no fundraiser here", {"Check the address."}});
    }
    (void)slug;
    return kit_.ErrorResponse(e, how);
  }

  Response Show(const Request& req, const std::string& slug, const GiftForm& g, int status) {
    auto view = deps_.fundraising.View(slug);
    if (!view) return ErrorAnswer(view.error(), slug);
    const Fundraiser& f = view->fundraiser;
    const FundraiserTotals& t = view->totals;
    Data d =
        pages::LayoutData(view->campaign ? view->campaign->language : "en", f.title, kit_.site());
    d.set("canonical_url", kit_.base_url() + "/f/" + f.slug);
    Data fd;
    fd.set("slug", f.slug);
    fd.set("title", f.title);
    fd.set("story_html", render::RenderMarkdown(f.story_markdown, 2));
    fd.set("currency", f.currency);
    fd.set("total_text", DisplayAmount(t.amount_minor, f.currency));
    fd.set("goal_text", DisplayAmount(f.goal_minor, f.currency));
    fd.set("goal", std::to_string(f.goal_minor));
    fd.set("total", std::to_string(std::min(t.amount_minor, f.goal_minor)));
    fd.set("percent", std::to_string(Percent(t.amount_minor, f.goal_minor)));
    fd.set("donations", std::to_string(t.donations));
    fd.set("donations_noun", t.donations == 1 ? "gift" : "gifts");
    fd.set("open", Data(f.status == FundraiserStatus::kOpen));
    fd.set("closed", Data(f.status == FundraiserStatus::kClosed));
    DataList items;
    for (const LineItem& i : f.line_items) {
      ItemTotal it;
      if (auto found = t.items.find(i.key); found != t.items.end()) it = found->second;
      Data di;
      di.set("key", i.key);
      di.set("title", i.title);
      di.set("goal_text", DisplayAmount(i.goal_minor, f.currency));
      di.set("total_text", DisplayAmount(it.amount_minor, f.currency));
      di.set("goal", std::to_string(i.goal_minor));
      di.set("total", std::to_string(std::min(it.amount_minor, i.goal_minor)));
      di.set("percent", std::to_string(Percent(it.amount_minor, i.goal_minor)));
      di.set("selected", Data(g.line_item == i.key));
      items.push_back(di);
    }
    fd.set("has_items", Data(!items.empty()));
    fd.set("items", items);
    DataList donors;
    for (const NamedDonor& n : view->donors) donors.push_back(Data("name", n.name));
    fd.set("has_donors", Data(!donors.empty()));
    fd.set("donors", donors);
    DataList amounts;
    for (std::int64_t a : f.suggested_minor) {
      Data da;
      da.set("value", FormatAmount(a, f.currency));
      da.set("text", DisplayAmount(a, f.currency));
      da.set("id", "amount-" + FormatAmount(a, f.currency));
      da.set("checked", Data(g.amount == FormatAmount(a, f.currency)));
      amounts.push_back(da);
    }
    fd.set("amounts", amounts);
    fd.set("other_checked", Data(g.amount == "other" || f.suggested_minor.empty()));
    fd.set("other_amount", g.other_amount);
    fd.set("monthly_allowed", Data(f.monthly_allowed));
    fd.set("monthly", Data(g.monthly));
    fd.set("name", g.name);
    fd.set("email", g.email);
    fd.set("named", Data(g.named));
    fd.set("payments_on", Data(deps_.fundraising.payments_on()));
    auto err = [&](const char* k) {
      auto it = g.errors.find(k);
      return it == g.errors.end() ? Data(false) : Data(it->second);
    };
    fd.set("amount_error", err("amount"));
    fd.set("name_error", err("name"));
    fd.set("email_error", err("email"));
    fd.set("monthly_error", err("monthly"));
    fd.set("line_item_error", err("line_item"));
    fd.set("has_errors", Data(!g.errors.empty() || !g.general_error.empty()));
    fd.set("general_error", render::TextOrNothing(g.general_error));
    d.set("f", fd);
    if (view->campaign) {
      Data c;
      c.set("title", view->campaign->title);
      c.set("url", "/c/" + view->campaign->slug);
      d.set("campaign", c);
    }
    pages::FormCsrf csrf = kit_.CsrfFor(req);
    d.set("csrf", csrf.token);
    auto html = kit_.Render("fundraiser", d);
    if (!html) return kit_.InternalError();
    Response r = HtmlPage(*html, status, "no-store");
    kit_.SetCookie(csrf, &r);
    // The gift form is answered by a redirect to the provider's Checkout page, which browsers
    // block under form-action 'self'.
    r.Header("Content-Security-Policy", PolicyWithFormAction("https:"));
    return r;
  }

  FundraiserPagesDeps deps_;
  pages::PageKit kit_;
};

}  // namespace

std::string FundraiserTopic(const std::string& slug) { return "fundraiser:" + slug; }

std::string FundraiserTotalsJson(const Fundraiser& f, const FundraiserTotals& t) {
  nlohmann::json items = nlohmann::json::array();
  for (const LineItem& i : f.line_items) {
    ItemTotal it;
    if (auto found = t.items.find(i.key); found != t.items.end()) it = found->second;
    items.push_back({{"key", i.key},
                     {"goal", i.goal_minor},
                     {"total", it.amount_minor},
                     {"total_text", DisplayAmount(it.amount_minor, f.currency)},
                     {"percent", Percent(it.amount_minor, i.goal_minor)},
                     {"donations", it.donations}});
  }
  nlohmann::json j = {{"slug", f.slug},
                      {"currency", f.currency},
                      {"goal", f.goal_minor},
                      {"total", t.amount_minor},
                      {"total_text", DisplayAmount(t.amount_minor, f.currency)},
                      {"percent", Percent(t.amount_minor, f.goal_minor)},
                      {"donations", t.donations},
                      {"items", items}};
  return j.dump();
}

void RegisterFundraiserPages(Router& router, FundraiserPagesDeps deps) {
  auto site = std::make_shared<FundraiserSite>(std::move(deps));
  router.Get("/f/{slug}", [site](const Request& req) { return site->Page(req); },
             {true, 0, "fundraiser_page"});
  router.Get("/f/{slug}.json", [site](const Request& req) { return site->Json(req); },
             {true, 0, "fundraiser_json"});
  router.Post("/f/{slug}/give", [site](const Request& req) { return site->Give(req); },
              {true, 16 * 1024, "fundraiser_give"});
  router.Get("/f/{slug}/thanks", [site](const Request& req) { return site->Thanks(req); },
             {true, 0, "fundraiser_thanks"});
  router.AddEventStream(
      "/f/{slug}/events",
      [](const Request& req) -> Result<std::string> { return FundraiserTopic(req.Param("slug")); },
      "fundraiser_events");
  // Stripe signs the exact bytes: up to 256 KiB of event (Stripe's are a few KiB).
  router.Post("/webhooks/stripe", [site](const Request& req) { return site->Webhook(req); },
              {true, 256 * 1024, "stripe_webhook"});
}

}  // namespace undersigned::http
