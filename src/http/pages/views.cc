#include "http/pages/views.h"

#include "core/time_zone.h"
#include "http/pages/share.h"
#include "render/countries.h"
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

// A signer's comment for the list of recent signers: {head, rest}, the rest (false if none)
// folded behind "more" so that one long comment does not push the others off the screen.
// Cut after kCommentLines lines or about kCommentCodePoints characters, at a space if one is
// near, never inside a UTF-8 sequence. false for no comment.
constexpr int kCommentLines = 3;
constexpr int kCommentCodePoints = 240;
Data CommentData(const std::string& comment) {
  if (comment.empty()) return Data(false);
  int lines = 1;
  int code_points = 0;
  std::size_t cut = std::string::npos;
  std::size_t last_space = std::string::npos;
  int space_at = 0;
  for (std::size_t i = 0; i < comment.size(); ++i) {
    const auto c = static_cast<unsigned char>(comment[i]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte
    if (c == '\n' && ++lines > kCommentLines) {
      cut = i;
      break;
    }
    if (++code_points > kCommentCodePoints) {
      cut = last_space != std::string::npos && code_points - space_at < 40 ? last_space : i;
      break;
    }
    if (c == ' ') {
      last_space = i;
      space_at = code_points;
    }
  }
  Data d;
  if (cut == std::string::npos) {
    d.set("head", comment);
    d.set("rest", Data(false));
  } else {
    std::size_t rest = cut;
    while (rest < comment.size() &&
           (comment[rest] == ' ' || comment[rest] == '\n' || comment[rest] == '\r')) {
      ++rest;
    }
    d.set("head", comment.substr(0, cut) + "\u2026");
    d.set("rest", Opt(comment.substr(rest)));
  }
  return d;
}

}  // namespace

std::string CountryOptionsHtml(std::string_view selected) {
  std::string upper;
  for (char c : selected) upper += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  auto build = [](std::string_view sel) {
    std::string out;
    out.reserve(render::Countries().size() * 40);
    for (const render::Country& c : render::Countries()) {
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

Data LayoutData(std::string_view lang, std::string_view page_title, const SiteInfo& site) {
  Data d;
  d.set("lang", std::string(lang.empty() ? "en" : lang));
  d.set("page_title", std::string(page_title));
  d.set("site_name", site.name);
  Data who;
  who.set("operator", Opt(site.operator_name));
  if (site.contact.empty()) {
    who.set("contact_href", Data(false));
  } else {
    const bool url = site.contact.starts_with("https://") || site.contact.starts_with("http://");
    who.set("contact_href", url ? site.contact : "mailto:" + site.contact);
  }
  who.set("contact_text", site.contact);
  who.set("privacy_url", Opt(site.privacy_url));
  d.set("site", who);
  d.set("site_unidentified", Data(!site.identified()));
  d.set("ui_lang_attr", IsEnglish(lang) || lang.empty() ? "" : " lang=\"en\"");
  d.set("description", Data(false));
  d.set("canonical_url", Data(false));
  d.set("og_image", Data(false));
  d.set("oembed_url", Data(false));
  d.set("noindex", Data(false));
  d.set("live", Data(false));
  d.set("form_js", Data(false));
  return d;
}

std::string VisibilityOf(const SignatureForm& f) {
  switch (f.protection) {
    case Protection::kAnonymous:
      return "anonymous";
    case Protection::kSealed:
      return "sealed-" + std::to_string(f.seal_threshold);
    case Protection::kNone:
      break;
  }
  return f.public_name ? "public" : "private";
}

bool ApplyVisibility(std::string_view value, SignatureForm* f) {
  if (value == "public" || value == "private") {
    f->public_name = value == "public";
    f->protection = Protection::kNone;
    f->seal_threshold = 0;
    return true;
  }
  if (value == "anonymous") {
    f->protection = Protection::kAnonymous;
    f->seal_threshold = 0;
    return true;
  }
  static constexpr std::string_view kSealed = "sealed-";
  if (!value.starts_with(kSealed)) return false;
  std::string_view digits = value.substr(kSealed.size());
  if (digits.empty() || digits.size() > 10) return false;
  std::int64_t n = 0;
  for (char c : digits) {
    if (c < '0' || c > '9') return false;
    n = n * 10 + (c - '0');
  }
  if (n < 1) return false;
  f->protection = Protection::kSealed;
  f->seal_threshold = n;
  f->public_name = false;
  return true;
}

namespace {

// "acme.com", "acme.com or acme.co.uk", "a.com, b.com or c.com".
std::string DomainsText(const std::vector<std::string>& domains) {
  std::string out;
  for (std::size_t i = 0; i < domains.size(); ++i) {
    if (i > 0) out += i + 1 == domains.size() ? " or " : ", ";
    out += domains[i];
  }
  return out;
}

// Who "verified employee of X" names.
const std::string& OrganizationOf(const SignerGroup& g) {
  return g.organization.empty() ? g.name : g.organization;
}

// The group the form stands for: the typed key; else the only group, or none when there are
// several (a default would tell a member of the public to enter a work address).
const SignerGroup* ChosenGroup(const std::vector<SignerGroup>& groups, const std::string& key) {
  for (const SignerGroup& g : groups) {
    if (g.key == key) return &g;
  }
  return groups.size() == 1 ? &groups.front() : nullptr;
}

std::string ErrorOf(const std::map<std::string, std::string>& errors, const char* key) {
  auto it = errors.find(key);
  return it == errors.end() ? std::string() : it->second;
}

// One radio of the visibility choice.
Data VisibilityOption(const std::string& value, const std::string& id, const std::string& label,
                      const std::string& hint, bool checked, const std::string& only_group) {
  Data o;
  o.set("value", value);
  o.set("id", id);
  o.set("label", label);
  o.set("hint", Opt(hint));
  o.set("checked", Data(checked));
  o.set("only", Opt(only_group));
  return o;
}

// "form.grouped": the parts of the sign form for a campaign with declared groups. ids gets
// the element each error key of the summary links to.
Data GroupedFormData(const FormState& form, const std::vector<SignerGroup>& groups,
                     const CampaignCounts* counts, int floor,
                     std::map<std::string, std::string>& ids) {
  const SignatureForm& v = form.values;
  const SignerGroup* chosen = ChosenGroup(groups, v.group);
  std::vector<const SignerGroup*> by_domain;
  for (const SignerGroup& g : groups) {
    if (ProvenByDomain(g.kind)) by_domain.push_back(&g);
  }
  // The domain group whose fields carry what was typed (and its errors).
  const SignerGroup* typed_domain = chosen != nullptr && ProvenByDomain(chosen->kind)
                                        ? chosen
                                        : (by_domain.empty() ? nullptr : by_domain.front());

  Data grouped;
  ids["group"] = "f-group-" + groups.front().key;
  Data choices = List();
  for (const SignerGroup& g : groups) {
    Data c;
    c.set("key", g.key);
    c.set("name", g.name);
    c.set("checked", Data(&g == chosen));
    std::string hint;
    if (ProvenByDomain(g.kind)) {
      hint = "Verified by your work address at " + DomainsText(g.domains);
    } else if (ProvenByAttestation(g.kind)) {
      hint = "You confirm a statement";
    }
    c.set("hint", Opt(hint));
    choices.push_back(c);
  }
  grouped.set("choices", choices);
  grouped.set("group_error", Opt(ErrorOf(form.errors, "group")));

  Data employees = List();
  for (const SignerGroup* g : by_domain) {
    const bool typed = g == typed_domain;
    const std::string error = typed ? ErrorOf(form.errors, "work_email") : std::string();
    Data e;
    e.set("key", g->key);
    e.set("name", g->name);
    e.set("organization", OrganizationOf(*g));
    e.set("domains_text", DomainsText(g->domains));
    e.set("id", "f-work_email-" + g->key);
    e.set("value", typed ? v.work_email : std::string());
    e.set("has_error", Data(!error.empty()));
    e.set("error", error);
    employees.push_back(e);
  }
  if (typed_domain != nullptr) ids["work_email"] = "f-work_email-" + typed_domain->key;
  grouped.set("employees", employees);

  Data attest = List();
  const SignerGroup* typed_attest = nullptr;
  for (const SignerGroup& g : groups) {
    if (!ProvenByAttestation(g.kind)) continue;
    if (typed_attest == nullptr || &g == chosen) typed_attest = &g;
  }
  for (const SignerGroup& g : groups) {
    if (!ProvenByAttestation(g.kind)) continue;
    const bool typed = &g == typed_attest;
    const std::string error = typed ? ErrorOf(form.errors, "attested") : std::string();
    Data a;
    a.set("key", g.key);
    a.set("name", g.name);
    a.set("attestation", g.attestation);
    a.set("id", "f-attested-" + g.key);
    a.set("checked", Data(&g == chosen && v.attested));
    a.set("has_error", Data(!error.empty()));
    a.set("error", error);
    attest.push_back(a);
  }
  if (typed_attest != nullptr) ids["attested"] = "f-attested-" + typed_attest->key;
  grouped.set("attest", attest);

  // Visibility: public and private for everyone; sealed and anonymous for each verified group.
  const std::string current = VisibilityOf(v);
  Data options = List();
  options.push_back(
      VisibilityOption("public", "f-visibility-public", "Show my name",
                       "Your name, and your comment if you write one, are shown on this page.",
                       current == "public", ""));
  options.push_back(VisibilityOption(
      "private", "f-visibility-private", "Count me, but do not show my name",
      "Your name is not shown on this page. The organizers can see it and may deliver it with "
      "the letter.",
      current == "private" || (current != "public" && typed_domain == nullptr), ""));
  ids["protection"] = "f-visibility-public";
  for (const SignerGroup* g : by_domain) {
    const bool typed = g == typed_domain;
    const std::string& org = OrganizationOf(*g);
    const std::int64_t confirmed = counts != nullptr ? GroupConfirmed(*counts, g->key) : 0;
    for (std::int64_t n : OpenSealThresholds(*g, floor, confirmed)) {
      const std::string value = "sealed-" + std::to_string(n);
      const std::string id = "f-visibility-" + value + "-" + g->key;
      if (typed && !ids.count("seal_threshold")) ids["seal_threshold"] = id;
      options.push_back(VisibilityOption(
          value, id,
          "Keep my name sealed until " + render::FormatThousands(n) + " verified employees of " +
              org + " have signed",
          "Until then your name appears nowhere, not even to the organizers. Then it is shown "
          "with the others who chose this, and we tell you once, at your personal email "
          "address (needed for this).",
          typed && current == value, g->key));
    }
    options.push_back(VisibilityOption(
        "anonymous", "f-visibility-anonymous-" + g->key,
        "Count me only as a verified employee of " + org + "; keep no name",
        "We keep no name and no personal address (unless you ask for updates). You are shown "
        "as \u201CVerified employee of " +
            org + "\u201D.",
        typed && current == "anonymous", g->key));
  }
  if (!ids.count("seal_threshold")) ids["seal_threshold"] = ids["protection"];
  grouped.set("visibility_options", options);
  std::string visibility_error = ErrorOf(form.errors, "protection");
  const std::string seal_error = ErrorOf(form.errors, "seal_threshold");
  if (!seal_error.empty() && seal_error != visibility_error) {
    visibility_error += (visibility_error.empty() ? "" : " ") + seal_error;
  }
  grouped.set("visibility_error", Opt(visibility_error));
  return grouped;
}

}  // namespace

Data FormData(const FormState& form, const std::vector<SignerGroup>& groups,
              const CampaignCounts* counts, int floor) {
  // The order of the fields on the form, for the error summary.
  static const char* const kOrder[] = {"group",      "work_email",    "attested", "name",
                                       "email",      "postal_code",   "country",  "comment",
                                       "protection", "seal_threshold"};
  std::map<std::string, std::string> ids = {{"name", "f-name"},
                                            {"email", "f-email"},
                                            {"postal_code", "f-postal_code"},
                                            {"country", "f-country"},
                                            {"comment", "f-comment"}};
  Data d;
  d.set("csrf", form.csrf);
  d.set("origin_html", form.origin_html);
  d.set("action", render::TextOrNothing(form.action));
  // Posted from a frame on another site (embed.h): no autofocus, which browsers refuse in a
  // cross-origin frame (it would take the focus from the embedding page).
  d.set("framed", Data(!form.action.empty()));
  d.set("name", Field(form.values.name, form.errors, "name"));
  d.set("email", Field(form.values.email, form.errors, "email"));
  d.set("postal_code", Field(form.values.postal_code, form.errors, "postal_code"));
  Data country = Field(form.values.country, form.errors, "country");
  country.set("options_html", CountryOptionsHtml(form.values.country));
  d.set("country", country);
  d.set("comment", Field(form.values.comment, form.errors, "comment"));
  // The optional fields are folded, and open when something is in them or wrong with them.
  bool optional_open = !form.values.postal_code.empty() || !form.values.country.empty() ||
                       !form.values.comment.empty();
  for (const char* key : {"postal_code", "country", "comment"}) {
    optional_open = optional_open || form.errors.count(key) > 0;
  }
  d.set("optional_open", Data(optional_open));
  d.set("public_name_checked", Data(form.values.public_name));
  d.set("wants_updates_checked", Data(form.values.wants_updates));

  // A verified group changes what the name and the personal address are for.
  std::vector<const SignerGroup*> by_domain;
  for (const SignerGroup& g : groups) {
    if (ProvenByDomain(g.kind)) by_domain.push_back(&g);
  }
  if (by_domain.empty()) {
    d.set("name_hint", Data(false));
    d.set("personal_email", Data(false));
  } else {
    const std::string who = by_domain.size() == 1 ? by_domain.front()->name : "verified employees";
    d.set("name_hint", "Not needed if you sign anonymously: then we keep no name.");
    Data personal;
    personal.set("optional_for", "optional for " + who);
    personal.set("hint", "We send you a link there to confirm your signature. It is never shown.");
    personal.set("details", who +
                                " confirm through their work address instead: for them this "
                                "address is needed only to keep a name sealed (we tell you there "
                                "when it is shown) or to send updates. It is never shown, and "
                                "never given to the organizers with the letter.");
    d.set("personal_email", personal);
  }
  d.set("grouped",
        groups.empty() ? Data(false) : GroupedFormData(form, groups, counts, floor, ids));

  Data list = List();
  int count = 0;
  auto add = [&](const std::string& field_id, const std::string& message) {
    Data item;
    item.set("field_id", field_id);
    item.set("message", message);
    list.push_back(item);
    ++count;
  };
  if (!form.general_error.empty()) add("f-name", form.general_error);
  for (const char* key : kOrder) {
    auto it = form.errors.find(key);
    if (it == form.errors.end()) continue;
    auto id = ids.find(key);
    add(id != ids.end() ? id->second : "f-name", it->second);
  }
  for (const auto& [key, message] : form.errors) {
    bool known = false;
    for (const char* k : kOrder) known = known || key == k;
    if (!known) add("f-name", message);
  }
  d.set("has_errors", Data(count > 0));
  d.set("error_count_text",
        count == 1 ? std::string("1 problem") : std::to_string(count) + " problems");
  d.set("error_list", list);
  return d;
}

std::vector<ShownGroup> ShownGroups(const Campaign& c, const CampaignCounts& counts) {
  std::vector<ShownGroup> out;
  out.reserve(c.groups.size());
  for (const SignerGroup& g : c.groups) {
    ShownGroup s;
    s.key = g.key;
    s.name = g.name;
    s.kind = g.kind;
    s.confirmed = ShownCount(GroupConfirmed(counts, g.key), c.anonymity_floor);
    if (!s.confirmed) s.fewer_than = c.anonymity_floor;
    s.goal = g.goal;
    out.push_back(std::move(s));
  }
  return out;
}

Data GroupTallyData(const Campaign& c, const CampaignCounts& counts) {
  Data d;
  if (c.groups.empty()) {
    d.set("tally_groups", Data(false));
    return d;
  }
  Data items = List();
  for (const ShownGroup& g : ShownGroups(c, counts)) {
    Data item;
    item.set("key", g.key);
    item.set("name", g.name);
    item.set("count_text", g.confirmed ? render::FormatThousands(*g.confirmed)
                                       : "fewer than " + std::to_string(g.fewer_than));
    item.set("verified", Data(ProvenByDomain(g.kind)));
    item.set("goal_text", g.goal ? Data(render::FormatThousands(*g.goal)) : Data(false));
    items.push_back(item);
  }
  Data groups;
  groups.set("items", items);
  d.set("tally_groups", groups);
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

Data ShareData(const Campaign& c, std::string_view base_url, std::string_view referral) {
  ShareSet set = BuildShareLinks(c, CampaignUrl(base_url, c.slug), referral);
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
  // The printable flyer and poster with a QR code (share_images.cc).
  const std::string page = CampaignUrl("", c.slug);
  Data print;
  print.set("flyer_url", page + "/flyer.pdf");
  print.set("letter_url", page + "/flyer.pdf?paper=letter");
  print.set("poster_url", page + "/poster.pdf");
  share.set("print", print);
  // The people who can move the targets, each with a page of posts to send them (ask.cc).
  if (c.secondary_targets.empty()) {
    share.set("people", Data(false));
  } else {
    Data people;
    std::vector<std::string> names;
    for (const Target& t : c.targets) names.push_back(t.name);
    people.set("targets", JoinNames(names));
    Data items = List();
    for (std::size_t i = 0; i < c.secondary_targets.size(); ++i) {
      const SecondaryTarget& t = c.secondary_targets[i];
      Data item;
      item.set("name", t.name);
      item.set("about", Opt(t.about));
      item.set("url", page + "/ask/" + std::to_string(i + 1));
      items.push_back(item);
    }
    people.set("items", items);
    share.set("people", people);
  }
  return share;
}

Data CampaignBriefData(const Campaign& c, std::string_view base_url, const SiteInfo& site,
                       std::string_view page_title) {
  Data d = LayoutData(c.language, page_title, site);
  d.set("noindex", Data(true));
  Data cd;
  cd.set("slug", c.slug);
  cd.set("title", c.title);
  cd.set("url", CampaignUrl(base_url, c.slug));
  d.set("c", cd);
  return d;
}

Data TextVersionsData(const service::CampaignSnapshot& snap) {
  if (!snap.texts || snap.texts->size() < 2) return Data(false);
  const std::vector<CampaignText>& texts = *snap.texts;
  const CampaignText& current = texts.back();
  Data d;
  d.set("edited_text", render::FormatDate(current.created));
  d.set("edited_iso", FormatIso8601(current.created));
  d.set("current", std::to_string(current.version));
  d.set("current_hash", current.hash);
  d.set("earlier_count", std::to_string(texts.size() - 1));
  Data earlier = List();
  for (std::size_t i = texts.size() - 1; i-- > 0;) {  // newest first
    const CampaignText& t = texts[i];
    Data v;
    v.set("version", std::to_string(t.version));
    v.set("from_text", render::FormatDate(t.created));
    v.set("until_text", render::FormatDate(texts[i + 1].created));
    v.set("demand", Opt(t.demand));
    v.set("letter_html", Opt(render::RenderMarkdown(t.letter_markdown, 4)));
    v.set("hash", t.hash);
    earlier.push_back(v);
  }
  d.set("earlier", earlier);
  return d;
}

Data CampaignPageData(const service::CampaignSnapshot& snap, std::string_view base_url,
                      const SiteInfo& site, bool takes_signatures) {
  const Campaign& c = snap.campaign;
  Data d = LayoutData(c.language, c.title, site);
  const std::string url = CampaignUrl(base_url, c.slug);
  d.set("description", Opt(c.demand.empty() ? c.title : c.demand));
  d.set("canonical_url", url);
  if (c.status != CampaignStatus::kDraft) {
    // The share card (share_images.cc), absolute: social networks fetch it from anywhere. No
    // count in its text: the page is cached while the count moves.
    Data og;
    og.set("url", url + "/card.png");
    og.set("alt", c.title + ": who it is addressed to, its count of signatures and its goal");
    d.set("og_image", og);
  }
  d.set("live", Data(takes_signatures));
  // Only shows the chosen group's part of the sign form; the form works without it.
  d.set("form_js", Data(takes_signatures && !c.groups.empty()));

  Data cd;
  cd.set("slug", c.slug);
  cd.set("title", c.title);
  cd.set("demand", Opt(c.demand));
  cd.set("organized_by", Opt(c.organized_by));
  if (snap.delivered && !snap.delivered->targets.empty()) {
    cd.set("delivered", "Delivered to " + JoinNames(snap.delivered->targets) + " on " +
                            render::FormatDate(snap.delivered->when) + ", with " +
                            render::FormatThousands(snap.delivered->confirmed) + " signatures.");
  } else {
    cd.set("delivered", Data(false));
  }
  cd.set("url", url);
  if (c.image) {
    Data picture;
    picture.set("src", PicturePath(c.slug, *c.image));
    picture.set("alt", c.image->alt);
    picture.set("width", std::to_string(c.image->width));
    picture.set("height", std::to_string(c.image->height));
    cd.set("picture", picture);
  } else {
    cd.set("picture", Data(false));
  }
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
    cd.set("deadline_text", DescribeDeadline(*c.deadline, c.time_zone));
    cd.set("deadline_iso", FormatIso8601(*c.deadline));
    cd.set("deadline_label", takes_signatures ? "Open until" : "Closed since");
  } else {
    cd.set("deadline_text", Data(false));
  }
  if (c.threshold && c.deadline) {
    // "This letter goes ahead only if 500 confirm by Friday", and then what happened.
    const std::string n = render::FormatThousands(*c.threshold);
    const std::string by = DescribeDeadline(*c.deadline, c.time_zone);
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

  d.set("text_edits", TextVersionsData(snap));
  d.set("count", CountData(snap.counts.confirmed, c.goal));
  d.set("events_url", "/c/" + PercentEncode(c.slug) + "/events");
  d.set("json_url", "/c/" + PercentEncode(c.slug) + ".json");

  if (snap.recent.empty()) {
    d.set("recent", Data(false));
  } else {
    Data items = List();
    for (const PublicSigner& s : snap.recent) {
      // A verified signer names the organization their work address proved; an anonymous one
      // is shown as nothing else. Times of protected signers are the day only.
      const SignerGroup* g = s.verified || s.anonymous ? FindGroup(c, s.group) : nullptr;
      const std::string verified_text =
          g != nullptr ? "Verified employee of " + OrganizationOf(*g) : std::string();
      const bool day_only = s.anonymous || s.confirmed % 86400 == 0;
      Data item;
      item.set("anonymous", Data(s.anonymous));
      item.set("name", s.anonymous ? (g != nullptr ? verified_text : "Verified signer") : s.name);
      item.set("verified_text", s.anonymous ? Data(false) : Opt(verified_text));
      item.set("comment", CommentData(s.comment));
      item.set("date", render::FormatDate(s.confirmed));
      item.set("iso",
               day_only ? FormatIso8601(s.confirmed).substr(0, 10) : FormatIso8601(s.confirmed));
      items.push_back(item);
    }
    Data recent;
    recent.set("items", items);
    d.set("recent", recent);
  }
  d.set("share", ShareData(c, base_url));
  d.set("cosigners", CosignersData(snap));
  return d;
}

Data CosignersData(const service::CampaignSnapshot& snap) {
  if (snap.organizations.empty()) return Data(false);
  const Campaign& c = snap.campaign;
  Data items = List();
  for (const Organization& o : snap.organizations) {
    Data item;
    item.set("name", o.form.name);
    // Only an http(s) URL with a host becomes a link (the service accepts nothing else).
    item.set("website_href", Opt(WebsiteHost(o.form.website).empty() ? "" : o.form.website));
    item.set("statement", Opt(o.form.statement));
    item.set("logo_url", o.has_logo ? Data("/c/" + PercentEncode(c.slug) + "/organizations/" +
                                           PercentEncode(o.uuid) + "/logo.png")
                                    : Data(false));
    items.push_back(item);
  }
  Data d;
  d.set("count_text",
        render::FormatThousands(static_cast<std::int64_t>(snap.organizations.size())));
  d.set("items", items);
  return d;
}

}  // namespace undersigned::http::pages
