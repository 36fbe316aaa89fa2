#include "http/pages/views.h"

#include "http/pages/countries.h"
#include "http/pages/share.h"
#include "render/escape.h"
#include "render/markdown.h"
#include "render/text.h"

namespace undersigned::http::pages {
namespace {

using render::Data;

// Mustache sections render for any string, even an empty one; false hides them.
Data Opt(const std::string& s) { return s.empty() ? Data(false) : Data(s); }

Data List() { return Data(Data::type::list); }

bool IsEnglish(std::string_view lang) {
  return lang.size() >= 2 && (lang[0] == 'e' || lang[0] == 'E') &&
         (lang[1] == 'n' || lang[1] == 'N') && (lang.size() == 2 || lang[2] == '-');
}

std::string TargetDetail(const Target& t) {
  std::string d = t.title;
  if (!t.organization.empty()) {
    if (!d.empty()) d += ", ";
    d += t.organization;
  }
  return d;
}

Data Field(const std::string& value, const std::map<std::string, std::string>& errors,
           const char* key) {
  Data f;
  f.set("value", value);
  auto it = errors.find(key);
  f.set("has_error", Data(it != errors.end()));
  f.set("error", it != errors.end() ? it->second : std::string());
  return f;
}

}  // namespace

std::string CountryOptionsHtml(std::string_view selected) {
  std::string upper;
  for (char c : selected) upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  auto build = [](std::string_view sel) {
    std::string out;
    out.reserve(Countries().size() * 40);
    for (const Country& c : Countries()) {
      out += "<option value=\"";
      out += c.code;
      out += sel == c.code ? "\" selected>" : "\">";
      render::AppendEscapedHtml(out, c.name);
      out += "</option>\n";
    }
    return out;
  };
  if (upper.size() != 2) {
    static const std::string kNone = build("");
    return kNone;
  }
  return build(upper);
}

std::string CampaignUrl(std::string_view base_url, std::string_view slug) {
  return std::string(base_url) + "/c/" + PercentEncode(slug);
}

bool TakesSignatures(const Campaign& c, UnixTime now) {
  return c.status == CampaignStatus::kOpen && (!c.deadline || *c.deadline > now);
}

Data LayoutData(std::string_view lang, std::string_view page_title, std::string_view site_name) {
  Data d;
  d.set("lang", std::string(lang.empty() ? "en" : lang));
  d.set("page_title", std::string(page_title));
  d.set("site_name", std::string(site_name));
  d.set("ui_lang_attr", IsEnglish(lang) || lang.empty() ? "" : " lang=\"en\"");
  d.set("description", Data(false));
  d.set("canonical_url", Data(false));
  d.set("noindex", Data(false));
  d.set("live", Data(false));
  return d;
}

Data FormData(const FormState& form) {
  static const char* const kOrder[] = {"name", "email", "postal_code", "country", "comment"};
  Data d;
  d.set("csrf", form.csrf);
  d.set("name", Field(form.values.name, form.errors, "name"));
  d.set("email", Field(form.values.email, form.errors, "email"));
  d.set("postal_code", Field(form.values.postal_code, form.errors, "postal_code"));
  Data country = Field(form.values.country, form.errors, "country");
  country.set("options_html", CountryOptionsHtml(form.values.country));
  d.set("country", country);
  d.set("comment", Field(form.values.comment, form.errors, "comment"));
  d.set("public_name_checked", Data(form.values.public_name));
  d.set("wants_updates_checked", Data(form.values.wants_updates));

  Data list = List();
  int count = 0;
  if (!form.general_error.empty()) {
    Data item;
    item.set("field_id", "f-name");
    item.set("message", form.general_error);
    list.push_back(item);
    ++count;
  }
  for (const char* key : kOrder) {
    auto it = form.errors.find(key);
    if (it == form.errors.end()) continue;
    Data item;
    item.set("field_id", std::string("f-") + key);
    item.set("message", it->second);
    list.push_back(item);
    ++count;
  }
  for (const auto& [key, message] : form.errors) {
    bool known = false;
    for (const char* k : kOrder) known = known || key == k;
    if (known) continue;
    Data item;
    item.set("field_id", "f-name");
    item.set("message", message);
    list.push_back(item);
    ++count;
  }
  d.set("has_errors", Data(count > 0));
  d.set("error_count_text",
        count == 1 ? std::string("1 problem") : std::to_string(count) + " problems");
  d.set("error_list", list);
  return d;
}

Data CountData(std::int64_t confirmed, std::int64_t goal) {
  Data count;
  if (goal < 1) goal = 1;
  count.set("confirmed_text", render::FormatThousands(confirmed));
  count.set("noun", confirmed == 1 ? "signature" : "signatures");
  count.set("goal", std::to_string(goal));
  count.set("goal_text", render::FormatThousands(goal));
  count.set("value", std::to_string(confirmed < 0 ? 0 : (confirmed > goal ? goal : confirmed)));
  count.set("percent", std::to_string(render::PercentOf(confirmed, goal)));
  return count;
}

Data ShareData(const Campaign& c, std::string_view base_url) {
  ShareSet set = BuildShareLinks(c, CampaignUrl(base_url, c.slug));
  Data share;
  share.set("text", set.text);
  Data links = List();
  for (const ShareLink& l : set.links) {
    Data link;
    link.set("network", l.network);
    link.set("label", l.label);
    link.set("url", l.url);
    links.push_back(link);
  }
  share.set("links", links);
  return share;
}

Data CampaignBriefData(const Campaign& c, std::string_view base_url, std::string_view site_name,
                       std::string_view page_title) {
  Data d = LayoutData(c.language, page_title, site_name);
  d.set("noindex", Data(true));
  Data cd;
  cd.set("slug", c.slug);
  cd.set("title", c.title);
  cd.set("url", CampaignUrl(base_url, c.slug));
  d.set("c", cd);
  return d;
}

Data CampaignPageData(const service::CampaignSnapshot& snap, std::string_view base_url,
                      std::string_view site_name, bool takes_signatures) {
  const Campaign& c = snap.campaign;
  Data d = LayoutData(c.language, c.title, site_name);
  const std::string url = CampaignUrl(base_url, c.slug);
  d.set("description", Opt(c.demand.empty() ? c.title : c.demand));
  d.set("canonical_url", url);
  d.set("live", Data(takes_signatures));

  Data cd;
  cd.set("slug", c.slug);
  cd.set("title", c.title);
  cd.set("demand", Opt(c.demand));
  cd.set("url", url);
  cd.set("open", Data(takes_signatures));
  std::vector<std::string> to;
  Data targets = List();
  for (const Target& t : c.targets) {
    const std::string detail = TargetDetail(t);
    Data td;
    td.set("name", t.name);
    td.set("detail", Opt(detail));
    targets.push_back(td);
    to.push_back(detail.empty() ? t.name : t.name + " (" + detail + ")");
  }
  cd.set("targets", targets);
  cd.set("to_line", JoinNames(to));
  cd.set("letter_html", Opt(render::RenderMarkdown(c.letter_markdown, 3)));
  if (c.deadline) {
    cd.set("deadline_text", render::FormatDate(*c.deadline));
    cd.set("deadline_iso", FormatIso8601(*c.deadline));
    cd.set("deadline_label", takes_signatures ? "Open until" : "Closed on");
  } else {
    cd.set("deadline_text", Data(false));
  }
  if (c.threshold && c.deadline) {
    // "This letter goes ahead only if 500 confirm by Friday", and then what happened.
    const std::string n = render::FormatThousands(*c.threshold);
    const std::string by = render::FormatDate(*c.deadline);
    Data th;
    switch (c.outcome) {
      case CampaignOutcome::kPending:
        th.set("state", "pending");
        th.set("text", "It goes ahead only if " + n + " people confirm their signatures by " + by +
                           ". If fewer do, it does not, and everyone who signed is told.");
        break;
      case CampaignOutcome::kSucceeded:
        th.set("state", "succeeded");
        th.set("text",
               "It goes ahead: " + n + " people confirmed their signatures" +
                   (c.outcome_at ? " by " + render::FormatDate(*c.outcome_at) : "") +
                   (takes_signatures ? ". More signatures are welcome until " + by + "." : "."));
        break;
      case CampaignOutcome::kFailed:
        th.set("state", "failed");
        th.set("text", "It needed " + n + " confirmed signatures by " + by +
                           " and did not get them, so it does not go ahead.");
        break;
    }
    cd.set("threshold", th);
  } else {
    cd.set("threshold", Data(false));
  }
  d.set("c", cd);

  d.set("count", CountData(snap.counts.confirmed, c.goal));
  d.set("events_url", "/c/" + PercentEncode(c.slug) + "/events");
  d.set("json_url", "/c/" + PercentEncode(c.slug) + ".json");

  if (snap.recent.empty()) {
    d.set("recent", Data(false));
  } else {
    Data items = List();
    for (const PublicSigner& s : snap.recent) {
      Data item;
      item.set("name", s.name);
      item.set("comment", Opt(s.comment));
      item.set("date", render::FormatDate(s.confirmed));
      item.set("iso", FormatIso8601(s.confirmed));
      items.push_back(item);
    }
    Data recent;
    recent.set("items", items);
    d.set("recent", recent);
  }
  d.set("share", ShareData(c, base_url));
  return d;
}

}  // namespace undersigned::http::pages
