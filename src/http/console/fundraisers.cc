// A campaign's fundraisers in the console (issue 14, part 1), over service::FundraisingService,
// which decides who may (a campaign's organizers with `edit` manage its fundraisers, reading the
// donations needs `export`) and records every act.
//
//   GET  /console/c/{slug}/fundraisers        the campaign's fundraisers with their totals, and
//            the form to start one
//   POST /console/c/{slug}/fundraisers        slug, title, story, goal, currency, suggested,
//            monthly, items: a new fundraiser (a draft), then its page
//   GET  /console/f/{id}                      the fundraiser: totals, the form to record a gift
//            given by cash or cheque, the donations (newest first, paged), the edit form
//   POST /console/f/{id}                      edits it (its currency stays once it has gifts)
//   POST /console/f/{id}/status               status=open|closed
//   POST /console/f/{id}/gifts                amount, payment_method, reference_number,
//            donor_name, donor_email, named, line_item: an offline gift, counted at once
//   GET  /console/f/{id}/donations.csv        every donation, for the treasurer
// Every form that fails comes back (422) with what was typed and what to fix.
#include <charconv>
#include <map>
#include <string>
#include <vector>

#include "core/money.h"
#include "core/time_zone.h"
#include "http/console/routes.h"
#include "render/markdown.h"
#include "render/text.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

const ::undersigned::Error kUnavailable{
    Code::kUnavailable, "Fundraising is off on this site.", {}, 0};
constexpr int kDonationsPerPage = 50;

// The fundraiser form as typed.
struct TypedFundraiser {
  std::string slug, title, story, goal, currency = "USD", suggested, items;
  bool monthly = false;
};

TypedFundraiser TypedOf(const pages::Form& form) {
  TypedFundraiser t;
  t.slug = pages::First(form, "slug");
  t.title = pages::First(form, "title");
  t.story = pages::First(form, "story");
  t.goal = pages::First(form, "goal");
  t.currency = Trim(pages::First(form, "currency"));
  for (char& ch : t.currency) {
    if (ch >= 'a' && ch <= 'z') ch = static_cast<char>(ch - 'a' + 'A');
  }
  t.suggested = pages::First(form, "suggested");
  t.items = pages::First(form, "items");
  t.monthly = !pages::First(form, "monthly").empty();
  return t;
}

TypedFundraiser TypedOf(const Fundraiser& f) {
  TypedFundraiser t;
  t.slug = f.slug;
  t.title = f.title;
  t.story = f.story_markdown;
  t.goal = FormatAmount(f.goal_minor, f.currency);
  t.currency = f.currency;
  for (std::int64_t s : f.suggested_minor) {
    t.suggested += (t.suggested.empty() ? "" : " ") + FormatAmount(s, f.currency);
  }
  for (const LineItem& i : f.line_items) {
    t.items += i.key + "=" + i.title + "=" + FormatAmount(i.goal_minor, f.currency) + "\n";
  }
  t.monthly = f.monthly_allowed;
  return t;
}

// What the form says, as the service takes it; kInvalidArgument naming the field otherwise.
Result<service::FundraiserInput> InputOf(const TypedFundraiser& t) {
  service::FundraiserInput in;
  in.slug = Trim(t.slug);
  in.title = t.title;
  in.story_markdown = t.story;
  in.currency = t.currency;
  in.monthly_allowed = t.monthly;
  if (!IsCurrencyCode(in.currency)) {
    return Fail(FieldErrors({{"currency", "give an ISO 4217 code in capitals, such as USD"}}));
  }
  auto goal = ParseAmount(Trim(t.goal), in.currency, "goal");
  if (!goal) return Fail(FieldErrors({{"goal", goal.error().message}}));
  in.goal_minor = *goal;
  auto suggested = service::ParseAmountList(t.suggested, in.currency, "suggested");
  if (!suggested) return Fail(FieldErrors({{"suggested", suggested.error().message}}));
  in.suggested_minor = std::move(*suggested);
  std::size_t line = 0;
  for (std::size_t at = 0; at < t.items.size();) {
    std::size_t end = t.items.find('\n', at);
    if (end == std::string::npos) end = t.items.size();
    const std::string spec = Trim(std::string_view(t.items).substr(at, end - at));
    at = end + 1;
    ++line;
    if (spec.empty()) continue;
    auto item = service::ParseLineItem(spec, in.currency);
    if (!item) {
      const auto& fe = item.error().field_errors;
      return Fail(FieldErrors(
          {{"line_items", "line " + std::to_string(line) + ": " +
                              (fe.empty() ? item.error().message : fe.begin()->second)}}));
    }
    in.line_items.push_back(std::move(*item));
  }
  return in;
}

std::map<std::string, std::string> ErrorsOf(const ::undersigned::Error& e) {
  if (!e.field_errors.empty()) return e.field_errors;
  return {{"", e.message}};
}

void SetFundraiserForm(Data* d, const TypedFundraiser& t,
                       const std::map<std::string, std::string>& errors) {
  d->set("f_slug", t.slug);
  d->set("f_title", t.title);
  d->set("f_story", t.story);
  d->set("f_goal", t.goal);
  d->set("f_currency", t.currency);
  d->set("f_suggested", t.suggested);
  d->set("f_items", t.items);
  d->set("f_monthly", Data(t.monthly));
  auto err = [&](const char* field) {
    auto it = errors.find(field);
    return render::TextOrNothing(it == errors.end() ? "" : it->second);
  };
  for (const char* field :
       {"slug", "title", "story", "goal", "currency", "suggested", "line_items", ""}) {
    d->set(std::string(*field ? field : "general") + "_error", err(field));
  }
  d->set("has_errors", Data(!errors.empty()));
}

std::optional<std::int64_t> IdOf(const Request& req) {
  const std::string s = req.Param("id");
  std::int64_t id = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), id);
  if (ec != std::errc() || p != s.data() + s.size() || id <= 0) return std::nullopt;
  return id;
}

const ::undersigned::Error kNoSuchFundraiser{
    Code::kNotFound, "There is no such fundraiser.", {}, 0};

Data TotalsData(const Fundraiser& f, const FundraiserTotals& t) {
  Data d;
  d.set("total", DisplayAmount(t.amount_minor, f.currency));
  d.set("goal", DisplayAmount(f.goal_minor, f.currency));
  d.set("donations", render::FormatThousands(t.donations));
  d.set("percent", std::to_string(render::PercentOf(t.amount_minor, f.goal_minor)));
  return d;
}

Response ShowList(ConsoleKit& k, const Request& req, const Visit& v, const TypedFundraiser& typed,
                  const std::map<std::string, std::string>& errors, int status) {
  if (k.fundraising() == nullptr) return k.Error(&v, req, kUnavailable);
  auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kEdit);
  if (!c) return k.Error(&v, req, c.error());
  auto list = k.fundraising()->ListForCampaign(v.actor(), c->id);
  if (!list) return k.Error(&v, req, list.error());
  DataList rows;
  for (const Fundraiser& f : *list) {
    auto t = k.fundraising()->Totals(v.actor(), f.id);
    if (!t) return k.Error(&v, req, t.error());
    Data row = TotalsData(f, *t);
    row.set("id", std::to_string(f.id));
    row.set("slug", f.slug);
    row.set("title", f.title);
    row.set("status", FundraiserStatusName(f.status));
    rows.push_back(std::move(row));
  }
  Data d;
  d.set("csrf", v.csrf);
  d.set("slug", c->slug);
  d.set("title", c->title);
  d.set("fundraisers", Data(rows));
  d.set("none", Data(rows.empty()));
  d.set("payments_on", Data(k.fundraising()->payments_on()));
  SetFundraiserForm(&d, typed, errors);
  return k.Page(&v, "console_fundraisers", std::move(d), "Fundraisers: " + c->title, status);
}

// The offline gift form as typed.
struct TypedGift {
  std::string amount, payment_method = "cash", reference_number, donor_name, donor_email, line_item;
  bool named = false;
};

TypedGift GiftOf(const pages::Form& form) {
  TypedGift g;
  g.amount = pages::First(form, "amount");
  g.payment_method = pages::First(form, "payment_method");
  g.reference_number = pages::First(form, "reference_number");
  g.donor_name = pages::First(form, "donor_name");
  g.donor_email = pages::First(form, "donor_email");
  g.line_item = pages::First(form, "line_item");
  g.named = !pages::First(form, "named").empty();
  return g;
}

// What one page of a fundraiser shows; the forms as typed (or fresh) with their errors.
struct FundraiserPageState {
  std::optional<TypedFundraiser> edit;  // nullopt: the stored fundraiser
  std::map<std::string, std::string> edit_errors;
  TypedGift gift;
  std::map<std::string, std::string> gift_errors;
  std::string done;  // what the last action did
};

Response ShowFundraiser(ConsoleKit& k, const Request& req, const Visit& v,
                        const FundraiserPageState& s, int status) {
  if (k.fundraising() == nullptr) return k.Error(&v, req, kUnavailable);
  auto id = IdOf(req);
  if (!id) return k.Error(&v, req, kNoSuchFundraiser);
  service::FundraisingService& fs = *k.fundraising();
  auto f = fs.GetForEdit(v.actor(), *id);
  if (!f) return k.Error(&v, req, f.error());
  auto t = fs.Totals(v.actor(), f->id);
  if (!t) return k.Error(&v, req, t.error());
  std::optional<Campaign> campaign;
  if (f->campaign_id) {
    if (auto snap = k.campaigns().SnapshotById(*f->campaign_id)) campaign = snap->campaign;
  }
  const std::string zone = campaign ? campaign->time_zone : "UTC";
  Data d = TotalsData(*f, *t);
  d.set("csrf", v.csrf);
  d.set("id", std::to_string(f->id));
  d.set("slug", f->slug);
  d.set("title", f->title);
  d.set("status", FundraiserStatusName(f->status));
  d.set("draft", Data(f->status == FundraiserStatus::kDraft));
  d.set("open", Data(f->status == FundraiserStatus::kOpen));
  d.set("closed", Data(f->status == FundraiserStatus::kClosed));
  d.set("currency", f->currency);
  Data back;
  if (campaign) {
    back.set("slug", campaign->slug);
    back.set("title", campaign->title);
  }
  d.set("campaign", campaign ? back : Data(false));
  d.set("done", render::TextOrNothing(s.done));
  SetFundraiserForm(&d, s.edit ? *s.edit : TypedOf(*f), s.edit_errors);

  // The gift form.
  d.set("g_amount", s.gift.amount);
  d.set("g_reference_number", s.gift.reference_number);
  d.set("g_donor_name", s.gift.donor_name);
  d.set("g_donor_email", s.gift.donor_email);
  d.set("g_named", Data(s.gift.named));
  DataList methods;
  for (const char* m : {"cash", "check", "transfer", "other"}) {
    Data o;
    o.set("value", m);
    o.set("selected", Data(s.gift.payment_method == m));
    methods.push_back(std::move(o));
  }
  d.set("g_methods", Data(methods));
  DataList items;
  for (const LineItem& i : f->line_items) {
    Data o;
    o.set("value", i.key);
    o.set("label", i.title);
    o.set("selected", Data(s.gift.line_item == i.key));
    items.push_back(std::move(o));
  }
  d.set("g_items", Data(items));
  d.set("g_has_items", Data(!f->line_items.empty()));
  for (const char* field : {"amount", "payment_method", "reference_number", "donor_name",
                            "donor_email", "line_item", ""}) {
    auto it = s.gift_errors.find(field);
    d.set(std::string("g_") + (*field ? field : "general") + "_error",
          render::TextOrNothing(it == s.gift_errors.end() ? "" : it->second));
  }
  d.set("g_has_errors", Data(!s.gift_errors.empty()));

  // The donations, if v may read them (export); else the page says so.
  int page = 1;
  if (auto p = req.Query("page")) {
    std::from_chars(p->data(), p->data() + p->size(), page);
    if (page < 1) page = 1;
  }
  auto donations = fs.Donations(v.actor(), f->id, Page{page, kDonationsPerPage});
  if (donations) {
    DataList rows;
    for (const Donation& dn : donations->items) {
      Data row;
      row.set("when", DescribeTime(dn.created, zone));
      row.set("amount", DisplayAmount(dn.amount_minor, dn.currency));
      row.set("status", DonationStatusName(dn.status));
      row.set("how", dn.source == DonationSource::kOffline
                         ? dn.payment_method +
                               (dn.reference_number.empty() ? "" : " " + dn.reference_number)
                         : std::string("card") + (dn.monthly ? ", monthly" : ""));
      row.set("donor", render::TextOrNothing(dn.donor_name));
      row.set("named", Data(dn.named));
      row.set("item", render::TextOrNothing(dn.line_item));
      rows.push_back(std::move(row));
    }
    Data list;
    list.set("rows", Data(rows));
    list.set("none", Data(rows.empty()));
    list.set("total", render::FormatThousands(donations->total));
    const std::string base = "/console/f/" + std::to_string(f->id) + "?page=";
    list.set("prev", render::TextOrNothing(page > 1 ? base + std::to_string(page - 1) : ""));
    list.set("next", render::TextOrNothing(static_cast<std::int64_t>(page) * kDonationsPerPage <
                                                   donations->total
                                               ? base + std::to_string(page + 1)
                                               : ""));
    d.set("donations_list", list);
  } else if (donations.error().code == Code::kForbidden) {
    d.set("donations_list", Data(false));
  } else {
    return k.Error(&v, req, donations.error());
  }
  return k.Page(&v, "console_fundraiser", std::move(d), "Fundraiser: " + f->title, status);
}

std::string FundraiserPath(std::int64_t id) { return "/console/f/" + std::to_string(id); }

}  // namespace

void RegisterFundraisers(Router& router, KitPtr kit) {
  router.Get("/console/c/{slug}/fundraisers",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           return ShowList(k, req, v, TypedFundraiser{}, {}, 200);
                         }),
             ConsoleRoute("console_fundraisers"));
  router.Post(
      "/console/c/{slug}/fundraisers",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     if (k.fundraising() == nullptr) {
                       return k.Error(&v, req, kUnavailable);
                     }
                     const TypedFundraiser typed = TypedOf(form);
                     auto in = InputOf(typed);
                     if (!in) return ShowList(k, req, v, typed, ErrorsOf(in.error()), 422);
                     in->campaign_slug = req.Param("slug");
                     auto made = k.fundraising()->Create(v.actor(), *in);
                     if (!made) {
                       if (made.error().code != Code::kInvalidArgument) {
                         return k.Error(&v, req, made.error());
                       }
                       return ShowList(k, req, v, typed, ErrorsOf(made.error()), 422);
                     }
                     return SeeOther(FundraiserPath(made->id) + "?done=created");
                   }),
      ConsoleRoute("console_fundraiser_create"));
  router.Get("/console/f/{id}",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           FundraiserPageState s;
                           const std::string done = req.Query("done").value_or("");
                           s.done = done == "created"  ? "The fundraiser is made, as a draft: "
                                                         "open it when it is ready."
                                    : done == "saved"  ? "Saved."
                                    : done == "gift"   ? "The gift is recorded and counted."
                                    : done == "opened" ? "The fundraiser is open for gifts."
                                    : done == "closed" ? "The fundraiser is closed."
                                                       : "";
                           return ShowFundraiser(k, req, v, s, 200);
                         }),
             ConsoleRoute("console_fundraiser"));
  router.Post(
      "/console/f/{id}",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     if (k.fundraising() == nullptr) return k.Error(&v, req, kUnavailable);
                     auto id = IdOf(req);
                     if (!id) return k.Error(&v, req, kNoSuchFundraiser);
                     FundraiserPageState s;
                     s.edit = TypedOf(form);
                     auto in = InputOf(*s.edit);
                     if (!in) {
                       s.edit_errors = ErrorsOf(in.error());
                       return ShowFundraiser(k, req, v, s, 422);
                     }
                     auto saved = k.fundraising()->Edit(v.actor(), *id, *in);
                     if (!saved) {
                       if (saved.error().code != Code::kInvalidArgument) {
                         return k.Error(&v, req, saved.error());
                       }
                       s.edit_errors = ErrorsOf(saved.error());
                       return ShowFundraiser(k, req, v, s, 422);
                     }
                     return SeeOther(FundraiserPath(*id) + "?done=saved");
                   }),
      ConsoleRoute("console_fundraiser_edit"));
  router.Post(
      "/console/f/{id}/status",
      SignedInPost(
          kit,
          [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
            if (k.fundraising() == nullptr) return k.Error(&v, req, kUnavailable);
            auto id = IdOf(req);
            if (!id) return k.Error(&v, req, kNoSuchFundraiser);
            const std::string want = pages::First(form, "status");
            auto status = ParseFundraiserStatus(want);
            if (!status || *status == FundraiserStatus::kDraft) {
              return k.Error(&v, req,
                             ::undersigned::Error{
                                 Code::kInvalidArgument, "The status is open or closed.", {}, 0});
            }
            auto changed = k.fundraising()->SetStatus(v.actor(), *id, *status);
            if (!changed) return k.Error(&v, req, changed.error());
            return SeeOther(FundraiserPath(*id) +
                            "?done=" + (*status == FundraiserStatus::kOpen ? "opened" : "closed"));
          }),
      ConsoleRoute("console_fundraiser_status"));
  router.Post(
      "/console/f/{id}/gifts",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     if (k.fundraising() == nullptr) return k.Error(&v, req, kUnavailable);
                     auto id = IdOf(req);
                     if (!id) return k.Error(&v, req, kNoSuchFundraiser);
                     FundraiserPageState s;
                     s.gift = GiftOf(form);
                     auto f = k.fundraising()->GetForEdit(v.actor(), *id);
                     if (!f) return k.Error(&v, req, f.error());
                     service::OfflineGift g;
                     auto amount = ParseAmount(Trim(s.gift.amount), f->currency, "amount");
                     if (!amount) {
                       s.gift_errors = {{"amount", amount.error().message}};
                       return ShowFundraiser(k, req, v, s, 422);
                     }
                     g.amount_minor = *amount;
                     g.payment_method = s.gift.payment_method;
                     g.reference_number = s.gift.reference_number;
                     g.donor_name = s.gift.donor_name;
                     g.donor_email = s.gift.donor_email;
                     g.named = s.gift.named;
                     g.line_item = s.gift.line_item;
                     auto recorded = k.fundraising()->RecordOffline(v.actor(), *id, g);
                     if (!recorded) {
                       if (recorded.error().code != Code::kInvalidArgument) {
                         return k.Error(&v, req, recorded.error());
                       }
                       s.gift_errors = ErrorsOf(recorded.error());
                       return ShowFundraiser(k, req, v, s, 422);
                     }
                     return SeeOther(FundraiserPath(*id) + "?done=gift");
                   }),
      ConsoleRoute("console_fundraiser_gift"));
  router.Get("/console/f/{id}/donations.csv",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           if (k.fundraising() == nullptr) return k.Error(&v, req, kUnavailable);
                           auto id = IdOf(req);
                           if (!id) return k.Error(&v, req, kNoSuchFundraiser);
                           auto f = k.fundraising()->GetForEdit(v.actor(), *id);
                           if (!f) return k.Error(&v, req, f.error());
                           auto csv = k.fundraising()->DonationsCsv(v.actor(), *id);
                           if (!csv) return k.Error(&v, req, csv.error());
                           Response r = Response::Text(std::move(*csv));
                           r.content_type = "text/csv; charset=utf-8";
                           r.Header("Content-Disposition",
                                    "attachment; filename=\"donations-" + f->slug + ".csv\"");
                           ConsoleHeaders(&r);
                           return r;
                         }),
             ConsoleRoute("console_fundraiser_csv"));
}

}  // namespace undersigned::http::console
