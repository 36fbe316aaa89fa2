// OSDI fundraising_pages and donations (fundraising.h).
#include "http/api/fundraising.h"

#include <memory>
#include <string>
#include <utility>

#include <nlohmann/json.hpp>

#include "core/money.h"
#include "core/utf8.h"
#include "http/message.h"

namespace undersigned::http {
namespace {

using nlohmann::json;

constexpr const char* kHalJson = "application/hal+json; charset=utf-8";

Response Hal(const json& body, int status = 200) {
  Response r = Response::Json(body.dump(), status, kHalJson);
  r.Header("Cache-Control", "max-age=0, private, must-revalidate");
  return r;
}

Response ApiError(const Error& e) {
  Response r = JsonError(e);
  r.content_type = kHalJson;
  r.Header("Cache-Control", "no-store");
  return r;
}

Error FieldError(const std::string& field, const std::string& what) {
  Error e{Code::kInvalidArgument, field + ": " + what, {}, 0};
  e.field_errors[field] = what;
  return e;
}

std::string Iso(UnixTime t) {
  char buf[32];
  std::time_t tt = static_cast<std::time_t>(t);
  std::tm tm{};
  gmtime_r(&tt, &tm);
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

class FundraisingApi {
 public:
  explicit FundraisingApi(FundraisingApiDeps deps) : d_(std::move(deps)) {}

  Response List(const Request& req) {
    auto token = Auth(req);
    if (!token) return ApiError(token.error());
    auto all = d_.store.fundraising().ListFundraisers(token->campaign_id);
    if (!all) return ApiError(all.error());
    json items = json::array();
    for (const Fundraiser& f : *all) {
      auto t = d_.store.fundraising().GetTotals(f.id);
      if (!t) return ApiError(t.error());
      items.push_back(Page(f, *t));
    }
    json body = {{"total_records", items.size()},
                 {"page", 1},
                 {"total_pages", 1},
                 {"per_page", items.size()},
                 {"_links", {{"self", {{"href", Base() + "/fundraising_pages"}}}}},
                 {"_embedded", {{"osdi:fundraising_pages", items}}}};
    return Hal(body);
  }

  Response Get(const Request& req) {
    auto f = Find(req);
    if (!f) return ApiError(f.error());
    auto t = d_.store.fundraising().GetTotals(f->id);
    if (!t) return ApiError(t.error());
    return Hal(Page(*f, *t));
  }

  Response Donations(const Request& req) {
    auto f = Find(req);
    if (!f) return ApiError(f.error());
    int page = 1, per_page = 25;
    try {
      if (auto p = req.Query("page")) page = std::max(1, std::stoi(*p));
      if (auto p = req.Query("per_page")) per_page = std::clamp(std::stoi(*p), 1, 100);
    } catch (const std::exception&) {
      return ApiError(FieldError("page", "give page and per_page as whole numbers"));
    }
    auto list = d_.store.fundraising().ListDonations(f->id, ::undersigned::Page{page, per_page});
    if (!list) return ApiError(list.error());
    json items = json::array();
    for (const Donation& d : list->items) items.push_back(DonationJson(*f, d));
    const std::int64_t pages = (list->total + per_page - 1) / per_page;
    json body = {{"total_records", list->total},
                 {"page", page},
                 {"per_page", per_page},
                 {"total_pages", pages},
                 {"_links", {{"self", {{"href", PageUrl(*f) + "/donations"}}}}},
                 {"_embedded", {{"osdi:donations", items}}}};
    return Hal(body);
  }

  Response GetDonation(const Request& req) {
    auto f = Find(req);
    if (!f) return ApiError(f.error());
    auto d = d_.store.fundraising().GetDonationByUuid(req.Param("did"));
    if (!d || d->fundraiser_id != f->id) {
      return ApiError(Error{Code::kNotFound, "no such donation", {}, 0});
    }
    return Hal(DonationJson(*f, *d));
  }

  Response Record(const Request& req) {
    auto token = Auth(req);
    if (!token) return ApiError(token.error());
    if (token->read_only) {
      return ApiError(Error{Code::kForbidden, "this API token may only read", {}, 0});
    }
    auto f = Find(req);
    if (!f) return ApiError(f.error());
    json body = json::parse(req.body, nullptr, false);
    if (!body.is_object()) {
      return ApiError(FieldError("body", "send a JSON object (a donation)"));
    }
    std::string amount_text, field = "amount";
    if (body.contains("amount")) {
      if (!body["amount"].is_string()) {
        return ApiError(FieldError("amount", "give the amount as a string such as \"25.00\""));
      }
      amount_text = body["amount"].get<std::string>();
    } else if (body.contains("recipients") && body["recipients"].is_array() &&
               !body["recipients"].empty() && body["recipients"][0].is_object() &&
               body["recipients"][0].contains("amount")) {
      field = "recipients[0].amount";
      const json& a = body["recipients"][0]["amount"];
      if (!a.is_string()) {
        return ApiError(FieldError(field, "give the amount as a string such as \"25.00\""));
      }
      amount_text = a.get<std::string>();
    } else {
      return ApiError(FieldError("amount", "give the amount, such as \"25.00\""));
    }
    if (body.contains("currency") && body["currency"].is_string() &&
        body["currency"].get<std::string>() != f->currency) {
      return ApiError(FieldError("currency", "this fundraising page takes " + f->currency));
    }
    auto amount = ParseAmount(amount_text, f->currency, field);
    if (!amount) return ApiError(amount.error());
    if (*amount == 0) return ApiError(FieldError(field, "give an amount above zero"));
    service::OfflineGift g;
    g.amount_minor = *amount;
    g.payment_method = "other";
    if (body.contains("payment") && body["payment"].is_object()) {
      const json& p = body["payment"];
      if (p.contains("method") && p["method"].is_string()) {
        g.payment_method = p["method"].get<std::string>();
      }
      if (p.contains("reference_number") && p["reference_number"].is_string()) {
        g.reference_number = p["reference_number"].get<std::string>();
      }
    }
    if (body.contains("person") && body["person"].is_object()) {
      const json& p = body["person"];
      std::string name = p.value("given_name", "");
      std::string family = p.value("family_name", "");
      if (!family.empty()) name += (name.empty() ? "" : " ") + family;
      g.donor_name = name;
      if (p.contains("email_addresses") && p["email_addresses"].is_array() &&
          !p["email_addresses"].empty() && p["email_addresses"][0].is_object()) {
        g.donor_email = p["email_addresses"][0].value("address", "");
      }
    }
    g.named = body.value("undersigned:named", false);
    if (body.contains("undersigned:line_item") && body["undersigned:line_item"].is_string()) {
      g.line_item = body["undersigned:line_item"].get<std::string>();
    }
    auto d = d_.fundraising.RecordOffline(service::Actor::Operator(), f->id, g);
    if (!d) return ApiError(d.error());
    return Hal(DonationJson(*f, *d), 200);
  }

 private:
  std::string Base() const { return d_.base_url + "/api/v2"; }
  std::string PageUrl(const Fundraiser& f) const { return Base() + "/fundraising_pages/" + f.uuid; }

  Result<ApiToken> Auth(const Request& req) {
    std::string raw = req.Header("osdi-api-token");
    if (raw.empty()) raw = req.Query("osdi-api-token").value_or("");
    raw = Trim(raw);
    if (raw.empty()) {
      return Fail(Code::kUnauthenticated,
                  "this endpoint needs an API token: send it in the OSDI-API-Token header");
    }
    return d_.tokens.Authenticate(raw);
  }

  Result<Fundraiser> Find(const Request& req) {
    auto token = Auth(req);
    if (!token) return Fail(token.error());
    auto f = d_.store.fundraising().GetFundraiserByUuid(req.Param("id"));
    if (!f || (token->campaign_id && f->campaign_id != token->campaign_id)) {
      return Fail(Code::kNotFound, "no such fundraising page");
    }
    return f;
  }

  json Page(const Fundraiser& f, const FundraiserTotals& t) const {
    const std::string self = PageUrl(f);
    return {{"identifiers", {"undersigned:" + f.uuid}},
            {"origin_system", "undersigned"},
            {"created_date", Iso(f.created)},
            {"modified_date", Iso(f.modified)},
            {"title", f.title},
            {"description", f.story_markdown},
            {"browser_url", d_.base_url + "/f/" + f.slug},
            {"currency", f.currency},
            {"total_donations", t.donations},
            {"total_amount", FormatAmount(t.amount_minor, f.currency)},
            {"undersigned:goal", FormatAmount(f.goal_minor, f.currency)},
            {"undersigned:status", FundraiserStatusName(f.status)},
            {"_links",
             {{"self", {{"href", self}}},
              {"osdi:donations", {{"href", self + "/donations"}}},
              {"osdi:record_donation_helper", {{"href", self + "/record_donation_helper"}}}}}};
  }

  json DonationJson(const Fundraiser& f, const Donation& d) const {
    const std::string amount = FormatAmount(d.amount_minor, d.currency);
    const std::string self = PageUrl(f) + "/donations/" + d.uuid;
    return {
        {"identifiers", {"undersigned:" + d.uuid}},
        {"created_date", Iso(d.created)},
        {"modified_date", Iso(d.modified)},
        {"amount", amount},
        {"currency", d.currency},
        {"recipients", {{{"display_name", f.title}, {"amount", amount}}}},
        {"payment",
         {{"method", d.payment_method},
          {"reference_number", d.reference_number},
          {"authorization_stored", false}}},
        {"action_network:recurrence",
         d.monthly ? json{{"recurring", true}, {"period", "Monthly"}} : json{{"recurring", false}}},
        {"voided", d.status == DonationStatus::kRefunded},
        {"undersigned:status", DonationStatusName(d.status)},
        {"undersigned:source", DonationSourceName(d.source)},
        {"undersigned:line_item", d.line_item},
        {"undersigned:donor_name", d.named ? d.donor_name : ""},
        {"_links",
         {{"self", {{"href", self}}}, {"osdi:fundraising_page", {{"href", PageUrl(f)}}}}}};
  }

  FundraisingApiDeps d_;
};

}  // namespace

void RegisterFundraisingApi(Router& router, FundraisingApiDeps deps) {
  auto api = std::make_shared<FundraisingApi>(std::move(deps));
  for (const char* p : {"/api/v2/fundraising_pages", "/api/v2/fundraising_pages/"}) {
    router.Get(p, [api](const Request& r) { return api->List(r); },
               {true, 0, "api_fundraising_pages_list"});
  }
  router.Get("/api/v2/fundraising_pages/{id}", [api](const Request& r) { return api->Get(r); },
             {true, 0, "api_fundraising_page"});
  router.Get("/api/v2/fundraising_pages/{id}/donations",
             [api](const Request& r) { return api->Donations(r); },
             {true, 0, "api_donations_list"});
  router.Get("/api/v2/fundraising_pages/{id}/donations/{did}",
             [api](const Request& r) { return api->GetDonation(r); }, {true, 0, "api_donation"});
  for (const char* p : {"/api/v2/fundraising_pages/{id}/donations",
                        "/api/v2/fundraising_pages/{id}/record_donation_helper"}) {
    router.Post(p, [api](const Request& r) { return api->Record(r); },
                {true, 64 * 1024, "api_record_donation"});
  }
}

}  // namespace undersigned::http
