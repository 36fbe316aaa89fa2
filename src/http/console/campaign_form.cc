// Creating and editing a campaign: everything the CLI's `campaign create|edit` sets, in one form.
//
//   GET  /console/campaigns/new        the empty form (any signed-in user may start a campaign
//                                      and owns it; it starts as a draft)
//   POST /console/campaigns            creates it (422 with the form as typed and a message per
//                                      field when something is wrong), 303 to its console page
//   GET  /console/c/{slug}/edit        the form with the campaign's fields (kEdit)
//   POST /console/c/{slug}/edit        saves it (the status only with kSetStatus); an edit of the
//                                      demand or letter after signing started keeps the earlier
//                                      text as a version, which the public page shows
//   POST /console/preview              the letter's Markdown rendered as the campaign page will
//                                      show it (an HTML fragment, for static/console.js); the
//                                      form's "Preview" button does the same without JavaScript
//
// Targets are rows of fields (the form always offers two empty rows for more); groups are one
// per line in the CLI's --group form (core/group.h ParseGroupSpec); the people who can move the
// targets are blocks of text (core/share_target.h ParseSecondaryTargets).
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/group.h"
#include "core/share_target.h"
#include "core/time_zone.h"
#include "http/console/routes.h"
#include "render/markdown.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

constexpr int kEmptyTargetRows = 2;

// The POSTs that carry a letter (up to 100,000 characters, percent-encoded up to 9 bytes each
// for non-Latin scripts) take more than the server's default body limit.
RouteOptions LetterRoute(const char* name) {
  RouteOptions o = ConsoleRoute(name);
  o.body_limit = 1024 * 1024;
  return o;
}
constexpr int kMaxTargetRows = 50;

// The form as typed (strings, so that a wrong value comes back as it was typed).
struct CampaignFormState {
  std::map<std::string, std::string> v;  // field name -> value
  std::vector<Target> targets;
  std::map<std::string, std::string> errors;  // field -> message
  std::string preview_html;                   // set when "Preview" was pressed
  bool signing_started = false;
};

// Every field of the form but the targets' rows: each is always rendered, typed or not.
constexpr const char* kFields[] = {
    "slug",       "title",    "demand",          "description",      "organized_by", "letter",
    "goal",       "deadline", "time_zone",       "threshold",        "status",       "language",
    "organizers", "groups",   "anonymity_floor", "secondary_targets"};

std::string Lines(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& s : items) out += s + "\n";
  return out;
}

std::vector<std::string> SplitLines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::size_t b = line.find_first_not_of(" \t");
    if (b == std::string::npos) continue;
    std::size_t e = line.find_last_not_of(" \t");
    out.push_back(line.substr(b, e - b + 1));
  }
  return out;
}

CampaignFormState FromCampaign(const Campaign& c) {
  CampaignFormState f;
  f.v["slug"] = c.slug;
  f.v["title"] = c.title;
  f.v["demand"] = c.demand;
  f.v["description"] = c.description;
  f.v["organized_by"] = c.organized_by;
  f.v["letter"] = c.letter_markdown;
  f.v["goal"] = c.goal > 0 ? std::to_string(c.goal) : "";
  f.v["deadline"] = c.deadline ? FormatIso8601(*c.deadline) : "";
  f.v["time_zone"] = c.time_zone;
  f.v["threshold"] = c.threshold ? std::to_string(*c.threshold) : "";
  f.v["status"] = StatusName(c.status);
  f.v["language"] = c.language;
  f.v["organizers"] = Lines(c.organizers);
  std::vector<std::string> groups;
  for (const auto& g : c.groups) groups.push_back(FormatGroupSpec(g));
  f.v["groups"] = Lines(groups);
  f.v["anonymity_floor"] = std::to_string(c.anonymity_floor);
  f.v["secondary_targets"] = FormatSecondaryTargets(c.secondary_targets);
  f.targets = c.targets;
  return f;
}

CampaignFormState FromForm(const pages::Form& form) {
  CampaignFormState f;
  for (const char* k : kFields) f.v[k] = pages::First(form, k);
  for (int i = 0; i < kMaxTargetRows; ++i) {
    const std::string p = "t" + std::to_string(i) + "_";
    if (form.find(p + "name") == form.end()) break;
    Target t{pages::First(form, (p + "name").c_str()),
             pages::First(form, (p + "title").c_str()),
             pages::First(form, (p + "organization").c_str()),
             pages::First(form, (p + "x").c_str()),
             pages::First(form, (p + "bluesky").c_str()),
             pages::First(form, (p + "mastodon").c_str()),
             pages::First(form, (p + "email").c_str())};
    for (std::string* h : {&t.x_handle, &t.bluesky_handle}) {
      if (!h->empty() && (*h)[0] == '@') h->erase(0, 1);
    }
    const bool empty = t.name.empty() && t.title.empty() && t.organization.empty() &&
                       t.x_handle.empty() && t.bluesky_handle.empty() &&
                       t.mastodon_handle.empty() && t.email.empty();
    if (!empty) f.targets.push_back(std::move(t));
  }
  return f;
}

std::optional<std::int64_t> WholeNumber(const std::string& s) {
  if (s.empty() || s.size() > 12) return std::nullopt;
  std::int64_t n = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + (c - '0');
  }
  return n;
}

// Applies the typed values over base; what cannot even be read goes to f->errors (the service
// checks the rest).
Campaign ToCampaign(CampaignFormState* f, Campaign base, bool creating) {
  Campaign c = std::move(base);
  auto& v = f->v;
  c.slug = v["slug"];
  c.title = v["title"];
  c.demand = v["demand"];
  c.description = v["description"];
  c.organized_by = v["organized_by"];
  c.letter_markdown = v["letter"];
  c.language = v["language"].empty() ? "en" : v["language"];
  c.targets = f->targets;
  if (auto n = WholeNumber(v["goal"])) {
    c.goal = *n;
  } else {
    f->errors["goal"] = "Enter the signature goal as a whole number, like 1000.";
  }
  c.time_zone = v["time_zone"].empty() ? "UTC" : v["time_zone"];
  if (v["deadline"].empty()) {
    c.deadline.reset();
  } else if (!IsKnownTimeZone(c.time_zone)) {
    f->errors["time_zone"] =
        "'" + c.time_zone + "' is not a time zone; use a name such as UTC or Europe/Paris.";
  } else if (auto d = ParseDeadline(v["deadline"], c.time_zone)) {
    // Unchanged (as shown, to the second): keep it exactly, even if it is past.
    if (!(c.deadline && FormatIso8601(*c.deadline) == v["deadline"])) c.deadline = d;
  } else {
    f->errors["deadline"] =
        "Enter a date like 2026-12-31 (the end of that day in the campaign's time zone) or a "
        "time like 2026-12-31T18:00:00Z.";
  }
  if (v["threshold"].empty() || v["threshold"] == "0") {
    c.threshold.reset();
  } else if (auto n = WholeNumber(v["threshold"])) {
    c.threshold = *n;
  } else {
    f->errors["threshold"] = "Enter the threshold as a whole number, or leave it empty.";
  }
  if (auto s = ParseStatus(v["status"])) {
    c.status = *s;
  } else if (creating) {
    c.status = CampaignStatus::kDraft;
  } else {
    f->errors["status"] = "Choose draft, open or closed.";
  }
  c.organizers = SplitLines(v["organizers"]);
  c.groups.clear();
  for (const std::string& line : SplitLines(v["groups"])) {
    auto g = ParseGroupSpec(line);
    if (!g) {
      f->errors["groups"] = g.error().message;
      break;
    }
    c.groups.push_back(std::move(*g));
  }
  if (auto people = ParseSecondaryTargets(v["secondary_targets"])) {
    c.secondary_targets = std::move(*people);
  } else {
    f->errors["secondary_targets"] = people.error().message;
  }
  if (auto n = WholeNumber(v["anonymity_floor"])) {
    c.anonymity_floor = static_cast<int>(std::min<std::int64_t>(*n, 1'000'000));
  } else if (!v["anonymity_floor"].empty()) {
    f->errors["anonymity_floor"] = "Enter a whole number, like 5.";
  }
  return c;
}

// The form field a service error key belongs to: "targets[1].name" -> "targets",
// "groups[0].domains" -> "groups", "letter" -> "letter".
std::string FieldOf(const std::string& key) {
  std::size_t cut = key.find_first_of("[.");
  return cut == std::string::npos ? key : key.substr(0, cut);
}

// Friendly labels for the summary.
const char* LabelOf(const std::string& field) {
  static const std::map<std::string, const char*> kLabels = {
      {"slug", "Address"},
      {"title", "Title"},
      {"demand", "Demand"},
      {"description", "Introduction"},
      {"organized_by", "Organized by"},
      {"letter", "Letter"},
      {"targets", "Targets"},
      {"goal", "Goal"},
      {"deadline", "Deadline"},
      {"time_zone", "Time zone"},
      {"threshold", "Threshold"},
      {"status", "Status"},
      {"language", "Language"},
      {"organizers", "Organizers told of the outcome"},
      {"groups", "Signer groups"},
      {"anonymity_floor", "Anonymity floor"},
      {"secondary_targets", "People who can move the targets"}};
  auto it = kLabels.find(field);
  return it == kLabels.end() ? "Campaign" : it->second;
}

void AddServiceErrors(CampaignFormState* f, const Error& e) {
  if (e.field_errors.empty()) {
    f->errors["_"] = e.message;
    return;
  }
  for (const auto& [key, message] : e.field_errors) {
    std::string field = FieldOf(key);
    std::string text = message;
    if (key != field) text = key + ": " + message;  // which target or group
    auto& slot = f->errors[field];
    slot = slot.empty() ? text : slot + "; " + text;
  }
}

Data FormData(const Visit& v, const CampaignFormState& f, const std::string& action,
              const std::string& heading, bool creating, bool may_set_status) {
  Data d;
  d.set("heading", heading);
  d.set("action", action);
  d.set("csrf", v.csrf);
  d.set("creating", Data(creating));
  d.set("console_js", Data(true));
  Data fields;
  DataList error_list;
  // Every field, also those the state has no value for (the new form sets only a few): the
  // template renders a field only if it is there.
  for (const char* name : kFields) {
    auto value = f.v.find(name);
    Data field;
    field.set("value", value == f.v.end() ? std::string() : value->second);
    auto err = f.errors.find(name);
    field.set("error", err == f.errors.end() ? Data(false) : Data(err->second));
    fields.set(name, field);
  }
  for (const auto& [name, message] : f.errors) {
    Data item;
    item.set("field_id", name == "_" ? "f-title" : "f-" + name);
    item.set("message", name == "_" ? message : std::string(LabelOf(name)) + ": " + message);
    error_list.push_back(item);
  }
  {
    auto err = f.errors.find("targets");
    Data field;
    field.set("error", err == f.errors.end() ? Data(false) : Data(err->second));
    fields.set("targets", field);
  }
  d.set("f", fields);
  d.set("has_errors", Data(!error_list.empty()));
  d.set("error_list", Data(error_list));
  DataList rows;
  const int n = static_cast<int>(f.targets.size()) + kEmptyTargetRows;
  for (int i = 0; i < n && i < kMaxTargetRows; ++i) {
    Target t = i < static_cast<int>(f.targets.size()) ? f.targets[i] : Target{};
    Data row;
    row.set("i", std::to_string(i));
    row.set("n", std::to_string(i + 1));
    row.set("name", t.name);
    row.set("title", t.title);
    row.set("organization", t.organization);
    row.set("x", t.x_handle);
    row.set("bluesky", t.bluesky_handle);
    row.set("mastodon", t.mastodon_handle);
    row.set("email", t.email);
    rows.push_back(row);
  }
  d.set("target_rows", Data(rows));
  DataList statuses;
  const std::string current = f.v.count("status") ? f.v.at("status") : "draft";
  for (const char* s : {"draft", "open", "closed"}) {
    Data o;
    o.set("value", s);
    o.set("selected", Data(current == s));
    statuses.push_back(o);
  }
  d.set("statuses", Data(statuses));
  d.set("may_set_status", Data(may_set_status));
  d.set("signing_started", Data(f.signing_started));
  d.set("preview_html", render::TextOrNothing(f.preview_html));
  return d;
}

struct FormRoute {
  ConsoleKit& kit;
  // Shows the form: new (campaign unset) or an existing campaign.
  Response Show(const Visit& v, CampaignFormState f, const Campaign* existing, int status) {
    const bool creating = existing == nullptr;
    const bool may_set_status =
        creating ||
        kit.accounts().Authorize(v.actor(), existing->id, CampaignAction::kSetStatus).has_value();
    std::string action = creating ? "/console/campaigns" : "/console/c/" + existing->slug + "/edit";
    std::string heading = creating ? "Start a campaign" : "Edit " + existing->title;
    if (existing) {
      auto snap = kit.campaigns().SnapshotById(existing->id);
      f.signing_started =
          snap && (snap->counts.confirmed + snap->counts.pending + snap->counts.withdrawn) > 0;
    }
    Data d = FormData(v, f, action, heading, creating, may_set_status);
    // The picture has its own form (picture.cc), below this one: a new campaign gets one once
    // it exists.
    d.set("picture_form", existing ? PictureFormData(v, *existing, nullptr, {}) : Data(false));
    return kit.Page(&v, "console_campaign_form", std::move(d), heading, status);
  }
};

// POST of the form, new (existing null) or an edit: the preview, the form again with what was
// typed and a message per field, or the saved campaign's console page.
Response Save(ConsoleKit& kit, const Visit& v, const Request& req, const pages::Form& form,
              const Campaign* existing) {
  CampaignFormState f = FromForm(form);
  // Without kSetStatus the form has no status field: keep the stored one.
  if (existing != nullptr && f.v["status"].empty()) f.v["status"] = StatusName(existing->status);
  Campaign c = ToCampaign(&f, existing ? *existing : Campaign{}, existing == nullptr);
  if (pages::First(form, "do") == "preview") {
    f.errors.clear();
    f.preview_html = render::RenderMarkdown(f.v["letter"], 2);
    return FormRoute{kit}.Show(v, std::move(f), existing, 200);
  }
  if (!f.errors.empty()) return FormRoute{kit}.Show(v, std::move(f), existing, 422);
  auto saved = existing ? kit.organizing().Edit(v.actor(), std::move(c))
                        : kit.organizing().Create(v.actor(), std::move(c));
  if (!saved) {
    if (saved.error().code != Code::kInvalidArgument) return kit.Error(&v, req, saved.error());
    AddServiceErrors(&f, saved.error());
    return FormRoute{kit}.Show(v, std::move(f), existing, 422);
  }
  return SeeOther("/console/c/" + saved->slug + (existing ? "?saved=1" : "?created=1"));
}

}  // namespace

void RegisterCampaignForm(Router& router, KitPtr kit) {
  router.Add("GET", "/console/campaigns/new",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request&, const Visit& v) {
                           CampaignFormState f;
                           f.v["status"] = "draft";
                           f.v["time_zone"] = "UTC";
                           f.v["language"] = "en";
                           f.v["anonymity_floor"] = std::to_string(kDefaultAnonymityFloor);
                           return FormRoute{k}.Show(v, std::move(f), nullptr, 200);
                         }),
             ConsoleRoute("console_campaign_new"));

  router.Add(
      "POST", "/console/campaigns",
      SignedInPost(kit, [](ConsoleKit& k, const Request& req, const Visit& v,
                           const pages::Form& form) { return Save(k, v, req, form, nullptr); }),
      LetterRoute("console_campaign_create"));

  router.Add("GET", "/console/c/{slug}/edit",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kEdit);
                           if (!c) return k.Error(&v, req, c.error());
                           return FormRoute{k}.Show(v, FromCampaign(*c), &*c, 200);
                         }),
             ConsoleRoute("console_campaign_edit"));

  router.Add(
      "POST", "/console/c/{slug}/edit",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     auto c = k.CampaignFor(v, req.Param("slug"), CampaignAction::kEdit);
                     if (!c) return k.Error(&v, req, c.error());
                     return Save(k, v, req, form, &*c);
                   }),
      LetterRoute("console_campaign_save"));

  router.Add("POST", "/console/preview",
             SignedInPost(kit,
                          [](ConsoleKit&, const Request&, const Visit&, const pages::Form& form) {
                            Response r = Response::Html(
                                render::RenderMarkdown(pages::First(form, "markdown"), 2));
                            ConsoleHeaders(&r);
                            return r;
                          }),
             LetterRoute("console_preview"));
}

}  // namespace undersigned::http::console
