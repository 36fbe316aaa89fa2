#include "service/delivery.h"

#include <map>
#include <nlohmann/json.hpp>

#include "core/time_zone.h"
#include "log/note.h"
#include "render/countries.h"
#include "render/markdown.h"
#include "render/text.h"
#include "service/csv.h"

namespace undersigned::service {
namespace {

UnixTime Day(UnixTime t) { return t - ((t % 86400) + 86400) % 86400; }

// "10115, Germany": the country by its name, as a reader of the letter knows it.
std::string Place(const SignatureForm& f) {
  const std::string country = render::CountryName(f.country);
  if (f.postal_code.empty()) return country;
  if (country.empty()) return f.postal_code;
  return f.postal_code + ", " + country;
}

std::string AuditCommand(const Delivery& d) {
  return "undersigned log audit " + (d.site_url.empty() ? std::string("<site URL>") : d.site_url);
}

}  // namespace

Result<Delivery> BuildDelivery(Store& store, const std::string& slug, UnixTime now,
                               const std::string& site_url) {
  auto campaign = store.GetCampaignBySlug(slug);
  if (!campaign) return Fail(campaign.error());
  Delivery d;
  d.campaign = std::move(*campaign);
  d.made = now;
  d.site_url = site_url;
  while (!d.site_url.empty() && d.site_url.back() == '/') d.site_url.pop_back();
  std::map<std::string, std::int64_t> by_group;  // confirmed per group key
  for (const SignerGroup& g : d.campaign.groups) d.groups.push_back(DeliveredGroup{g, {}, 0, 0, 0});
  auto group_of = [&](const std::string& key) -> DeliveredGroup* {
    for (DeliveredGroup& g : d.groups) {
      if (g.group.key == key) return &g;
    }
    return nullptr;
  };
  auto r = store.ForEachConfirmed(d.campaign.id, [&](const Signature& s) {
    ++d.confirmed;
    ++by_group[s.form.group];
    DeliveredGroup* g = group_of(s.form.group);
    // Never named: sealed names (not even in the store yet), anonymous signers, and those who
    // chose not to show their name. They are counted.
    if (s.sealed || s.form.protection == Protection::kAnonymous || !s.form.public_name) {
      ++d.unnamed;
      if (g != nullptr && s.sealed) ++g->sealed;
      if (g != nullptr && s.form.protection == Protection::kAnonymous) ++g->anonymous;
      return true;
    }
    if (g != nullptr) ++g->named;
    d.named.push_back(DeliveredSigner{s.form.name, g != nullptr ? g->group.name : std::string(),
                                      s.verified, Place(s.form), s.form.comment,
                                      Day(s.confirmed.value_or(0))});
    return true;
  });
  if (!r) return Fail(r.error());
  for (DeliveredGroup& g : d.groups) {
    g.shown = ShownCount(by_group[g.group.key], d.campaign.anonymity_floor);
  }

  auto organizations = store.ListOrganizations(d.campaign.id, OrganizationState::kApproved);
  if (!organizations) return Fail(organizations.error());
  d.organizations = std::move(*organizations);

  auto checkpoint = store.LatestCheckpoint();
  if (!checkpoint) return Fail(checkpoint.error());
  if (*checkpoint) {
    Delivery::Log log;
    log.checkpoint = (*checkpoint)->note;
    log.size = (*checkpoint)->size;
    auto counts = nlohmann::json::parse((*checkpoint)->counts_json, nullptr, false);
    if (counts.is_object() && counts.contains("campaigns") && counts["campaigns"].is_array()) {
      for (const auto& c : counts["campaigns"]) {
        if (c.value("uuid", "") == d.campaign.uuid && c.contains("confirmed") &&
            c["confirmed"].is_number_integer()) {
          log.confirmed = c["confirmed"].get<std::int64_t>();
        }
      }
    }
    d.log = std::move(log);
  }
  return d;
}

// {"key": {name, kind, confirmed | fewer_than, named, anonymous, sealed, goal}}; a campaign
// without groups has the one public group holding every signature.
nlohmann::ordered_json ByGroupJson(const Delivery& d) {
  nlohmann::ordered_json out = nlohmann::ordered_json::object();
  if (d.groups.empty()) {
    out[kPublicGroupKey] = {{"name", "Public"}, {"kind", "public"}, {"confirmed", d.confirmed}};
    return out;
  }
  for (const DeliveredGroup& g : d.groups) {
    nlohmann::ordered_json j = {{"name", g.group.name}, {"kind", GroupKindName(g.group.kind)}};
    if (g.shown) {
      j["confirmed"] = *g.shown;
      j["named"] = g.named;
      j["anonymous"] = g.anonymous;
      j["sealed"] = g.sealed;
    } else {
      j["fewer_than"] = d.campaign.anonymity_floor;
    }
    if (g.group.goal) j["goal"] = *g.group.goal;
    out[g.group.key] = std::move(j);
  }
  return out;
}

std::string DeliveryJson(const Delivery& d) {
  const Campaign& c = d.campaign;
  nlohmann::ordered_json targets = nlohmann::ordered_json::array();
  for (const Target& t : c.targets) {
    targets.push_back({{"name", t.name}, {"title", t.title}, {"organization", t.organization}});
  }
  nlohmann::ordered_json campaign = {{"slug", c.slug},
                                     {"title", c.title},
                                     {"demand", c.demand},
                                     {"letter_markdown", c.letter_markdown},
                                     {"targets", std::move(targets)},
                                     {"url", d.site_url + "/c/" + c.slug}};
  campaign["deadline"] = c.deadline ? nlohmann::ordered_json(FormatIso8601(*c.deadline)) : nullptr;
  if (c.threshold) {
    campaign["threshold"] = *c.threshold;
    campaign["outcome"] = OutcomeName(c.outcome);
  }
  nlohmann::ordered_json signers = nlohmann::ordered_json::array();
  for (const DeliveredSigner& s : d.named) {
    signers.push_back({{"name", s.name},
                       {"group", s.group},
                       {"verified", s.verified},
                       {"place", s.place},
                       {"comment", s.comment},
                       {"date", FormatIso8601(s.day).substr(0, 10)}});
  }
  nlohmann::ordered_json organizations = nlohmann::ordered_json::array();
  for (const Organization& o : d.organizations) {
    organizations.push_back(
        {{"name", o.form.name},
         {"website", o.form.website},
         {"statement", o.form.statement},
         {"date", FormatIso8601(Day(o.decided.value_or(o.modified))).substr(0, 10)}});
  }
  nlohmann::ordered_json j = {
      {"campaign", std::move(campaign)},
      {"counts",
       {{"confirmed", d.confirmed},
        {"named", static_cast<std::int64_t>(d.named.size())},
        {"unnamed", d.unnamed},
        {"by_group", ByGroupJson(d)},
        {"organizations", static_cast<std::int64_t>(d.organizations.size())}}},
      {"signers", std::move(signers)},
      {"organizations", std::move(organizations)}};
  if (d.log) {
    j["log"] = {{"checkpoint", d.log->checkpoint},
                {"tree_size", d.log->size},
                {"confirmed", d.log->confirmed},
                {"audit", AuditCommand(d)}};
  } else {
    j["log"] = nullptr;
  }
  j["made"] = FormatIso8601(d.made);
  return j.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
}

void DeliveryCsv(const Delivery& d, std::ostream& out) {
  out << "name,group,verified,place,comment,date\r\n";
  for (const DeliveredSigner& s : d.named) {
    out << CsvField(s.name) << ',' << CsvField(s.group) << ',' << (s.verified ? "yes" : "no") << ','
        << CsvField(s.place) << ',' << CsvField(s.comment) << ','
        << FormatIso8601(s.day).substr(0, 10) << "\r\n";
  }
}

Result<std::string> DeliveryHtml(const Delivery& d, const render::Templates& templates) {
  using render::Data;
  const Campaign& c = d.campaign;
  Data data;
  data.set("title", c.title);
  data.set("demand", render::TextOrNothing(c.demand));
  data.set("lang", c.language);
  data.set("letter_html", render::RenderMarkdown(c.letter_markdown, 2));
  Data targets = Data::type::list;
  for (const Target& t : c.targets) {
    Data td;
    td.set("name", t.name);
    std::string detail = t.title;
    if (!t.organization.empty()) detail += (detail.empty() ? "" : ", ") + t.organization;
    td.set("detail", render::TextOrNothing(detail));
    targets.push_back(td);
  }
  data.set("targets", targets);
  data.set("confirmed", render::FormatThousands(d.confirmed));
  data.set("named_count", render::FormatThousands(static_cast<std::int64_t>(d.named.size())));
  data.set("unnamed_count", render::FormatThousands(d.unnamed));
  data.set("has_unnamed", Data(d.unnamed > 0));
  Data signers = Data::type::list;
  for (const DeliveredSigner& s : d.named) {
    Data sd;
    sd.set("name", s.name);
    sd.set("group", render::TextOrNothing(s.group));
    sd.set("verified", Data(s.verified));
    sd.set("place", render::TextOrNothing(s.place));
    sd.set("comment", render::TextOrNothing(s.comment));
    sd.set("date", render::FormatDate(s.day));
    signers.push_back(sd);
  }
  data.set("signers", signers);
  if (d.organizations.empty()) {
    data.set("cosigned", Data(false));
  } else {
    Data items = Data::type::list;
    for (const Organization& o : d.organizations) {
      Data od;
      od.set("name", o.form.name);
      od.set("website", o.form.website);
      // Only an http(s) URL with a host is made a link.
      od.set("website_href",
             WebsiteHost(o.form.website).empty() ? Data(false) : Data(o.form.website));
      od.set("statement", render::TextOrNothing(o.form.statement));
      items.push_back(od);
    }
    Data cosigned;
    const auto n = static_cast<std::int64_t>(d.organizations.size());
    cosigned.set("count_text",
                 render::FormatThousands(n) + (n == 1 ? " organization" : " organizations"));
    cosigned.set("items", items);
    data.set("cosigned", cosigned);
  }
  Data groups = Data::type::list;
  for (const DeliveredGroup& g : d.groups) {
    Data gd;
    gd.set("name", g.group.name);
    const bool verified = ProvenByDomain(g.group.kind);
    std::string line;
    if (g.shown) {
      line = render::FormatThousands(*g.shown) + (verified ? " verified" : "") + " signatures";
      std::vector<std::string> parts;
      if (g.named > 0) parts.push_back(render::FormatThousands(g.named) + " named below");
      if (g.anonymous > 0) {
        parts.push_back(
            render::FormatThousands(g.anonymous) + " anonymous, verified " +
            (g.group.organization.empty() ? "members" : "employees of " + g.group.organization));
      }
      if (g.sealed > 0) {
        parts.push_back(render::FormatThousands(g.sealed) +
                        " whose names stay sealed until more have signed");
      }
      for (std::size_t i = 0; i < parts.size(); ++i) line += (i == 0 ? ": " : ", ") + parts[i];
    } else {
      line = "fewer than " + std::to_string(d.campaign.anonymity_floor) +
             (verified ? " verified" : "") + " signatures";
    }
    if (g.group.goal) line += " (goal " + render::FormatThousands(*g.group.goal) + ")";
    gd.set("line", line + ".");
    groups.push_back(gd);
  }
  data.set("groups", groups);
  if (c.threshold && c.deadline) {
    const std::string n = render::FormatThousands(*c.threshold);
    const std::string by = DescribeDeadline(*c.deadline, c.time_zone);
    std::string text;
    switch (c.outcome) {
      case CampaignOutcome::kPending:
        text = "It goes ahead only if " + n + " people confirm their signatures by " + by + ".";
        break;
      case CampaignOutcome::kSucceeded:
        text = "It set itself a threshold of " + n + " confirmed signatures by " + by +
               " and reached it" +
               (c.outcome_at ? " on " + render::FormatDate(*c.outcome_at) : std::string()) + ".";
        break;
      case CampaignOutcome::kFailed:
        text = "It set itself a threshold of " + n + " confirmed signatures by " + by +
               " and did not reach it.";
        break;
    }
    data.set("threshold", text);
  } else {
    data.set("threshold", render::Data(false));
  }
  data.set("url", d.site_url + "/c/" + c.slug);
  data.set("made", render::FormatDate(d.made));
  if (d.log) {
    Data log;
    auto body = log::ParseCheckpointBody(
        std::string_view(d.log->checkpoint).substr(0, d.log->checkpoint.find("\n\n") + 1));
    log.set("origin", body ? body->origin : std::string());
    log.set("size", render::FormatThousands(static_cast<std::int64_t>(d.log->size)));
    log.set("confirmed", render::FormatThousands(d.log->confirmed));
    log.set("checkpoint", d.log->checkpoint);
    log.set("audit", AuditCommand(d));
    data.set("log", log);
  } else {
    data.set("log", Data(false));
  }
  return templates.Render("delivery", data);
}

}  // namespace undersigned::service
