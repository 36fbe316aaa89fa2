// TargetDeliveryService and DeliveryMailRenderer (target_delivery.h), and the letter's stored
// JSON form.
#include "service/target_delivery.h"

#include <sodium.h>

#include <cctype>
#include <sstream>

#include <nlohmann/json.hpp>

#include "render/text.h"

namespace undersigned::service {
namespace {

using json = nlohmann::json;

// The checkpoint note's origin (line 1) and root hash (line 3, base64) as hex.
void ReadNote(const std::string& note, std::string& origin, std::string& root_hex) {
  std::istringstream in(note);
  std::string size, root;
  std::getline(in, origin);
  std::getline(in, size);
  std::getline(in, root);
  unsigned char bin[64];
  std::size_t len = 0;
  if (sodium_base642bin(bin, sizeof bin, root.data(), root.size(), nullptr, &len, nullptr,
                        sodium_base64_VARIANT_ORIGINAL) == 0) {
    std::string hex(len * 2 + 1, '\0');
    sodium_bin2hex(hex.data(), hex.size(), bin, len);
    hex.pop_back();
    root_hex = hex;
  }
}

std::string JoinNames(const std::vector<std::string>& names) {
  std::string out;
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) out += i + 1 == names.size() ? " and " : ", ";
    out += names[i];
  }
  return out;
}

}  // namespace

render::LetterPdfInput LetterInputFrom(const Delivery& d) {
  const Campaign& c = d.campaign;
  render::LetterPdfInput in;
  in.title = c.title;
  in.demand = c.demand;
  in.letter_markdown = c.letter_markdown;
  for (const Target& t : c.targets) in.targets.push_back({t.name, t.title, t.organization});
  if (!c.organized_by.empty()) in.organizer = "Organized by " + c.organized_by;
  in.confirmed = d.confirmed;
  in.unnamed = d.unnamed;
  for (const DeliveredGroup& g : d.groups) {
    in.groups.push_back({g.group.name, g.shown, c.anonymity_floor,
                         g.shown ? std::to_string(g.named) + " named" : std::string()});
  }
  for (const DeliveredSigner& s : d.named) {
    in.signers.push_back({s.name, s.place, s.group, s.verified, s.comment, s.day});
  }
  for (const Organization& o : d.organizations) {
    in.organizations.push_back({o.form.name, o.form.website, o.form.statement});
  }
  if (d.log) {
    render::LetterPdfCheckpoint cp;
    ReadNote(d.log->checkpoint, cp.origin, cp.root_hash_hex);
    cp.tree_size = d.log->size;
    cp.confirmed = d.log->confirmed;
    cp.note = d.log->checkpoint;
    cp.log_url = d.site_url;
    cp.signed_at = d.made;
    cp.audit_command = "undersigned log audit " + d.site_url;
    in.checkpoint = std::move(cp);
  }
  in.campaign_url = d.site_url + "/c/" + c.slug;
  in.language = c.language;
  in.made = d.made;
  return in;
}

std::string LetterJson(const render::LetterPdfInput& in) {
  json j = {{"title", in.title},
            {"demand", in.demand},
            {"letter_markdown", in.letter_markdown},
            {"organizer", in.organizer},
            {"confirmed", in.confirmed},
            {"unnamed", in.unnamed},
            {"campaign_url", in.campaign_url},
            {"language", in.language},
            {"made", in.made}};
  j["targets"] = json::array();
  for (const auto& t : in.targets) {
    j["targets"].push_back(
        {{"name", t.name}, {"title", t.title}, {"organization", t.organization}});
  }
  j["groups"] = json::array();
  for (const auto& g : in.groups) {
    j["groups"].push_back({{"name", g.name},
                           {"count", g.count ? json(*g.count) : json(nullptr)},
                           {"fewer_than", g.fewer_than},
                           {"detail", g.detail}});
  }
  j["signers"] = json::array();
  for (const auto& s : in.signers) {
    j["signers"].push_back({{"name", s.name},
                            {"place", s.place},
                            {"group", s.group},
                            {"verified", s.verified},
                            {"comment", s.comment},
                            {"day", s.day}});
  }
  j["organizations"] = json::array();
  for (const auto& o : in.organizations) {
    j["organizations"].push_back(
        {{"name", o.name}, {"website", o.website}, {"statement", o.statement}});
  }
  if (in.checkpoint) {
    const auto& c = *in.checkpoint;
    j["checkpoint"] = {{"origin", c.origin},
                       {"tree_size", c.tree_size},
                       {"root_hash_hex", c.root_hash_hex},
                       {"signed_at", c.signed_at},
                       {"log_url", c.log_url},
                       {"confirmed", c.confirmed},
                       {"note", c.note},
                       {"audit_command", c.audit_command}};
  }
  return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

Result<render::LetterPdfInput> ParseLetterJson(const std::string& text) {
  json j = json::parse(text, nullptr, false);
  if (!j.is_object()) return Fail(Code::kInvalidArgument, "the recorded letter is not JSON");
  auto str = [](const json& o, const char* key) { return o.at(key).get<std::string>(); };
  auto num = [](const json& o, const char* key) { return o.at(key).get<std::int64_t>(); };
  try {
    render::LetterPdfInput in;
    in.title = str(j, "title");
    in.demand = str(j, "demand");
    in.letter_markdown = str(j, "letter_markdown");
    in.organizer = str(j, "organizer");
    in.confirmed = num(j, "confirmed");
    in.unnamed = num(j, "unnamed");
    in.campaign_url = str(j, "campaign_url");
    in.language = str(j, "language");
    in.made = num(j, "made");
    for (const auto& t : j.at("targets")) {
      in.targets.push_back({str(t, "name"), str(t, "title"), str(t, "organization")});
    }
    for (const auto& g : j.at("groups")) {
      std::optional<std::int64_t> count;
      if (!g.at("count").is_null()) count = num(g, "count");
      in.groups.push_back({str(g, "name"), count, num(g, "fewer_than"), str(g, "detail")});
    }
    for (const auto& s : j.at("signers")) {
      in.signers.push_back({str(s, "name"), str(s, "place"), str(s, "group"),
                            s.at("verified").get<bool>(), str(s, "comment"), num(s, "day")});
    }
    for (const auto& o : j.at("organizations")) {
      in.organizations.push_back({str(o, "name"), str(o, "website"), str(o, "statement")});
    }
    if (j.contains("checkpoint")) {
      const json& c = j["checkpoint"];
      render::LetterPdfCheckpoint cp;
      cp.origin = str(c, "origin");
      cp.tree_size = c.at("tree_size").get<std::uint64_t>();
      cp.root_hash_hex = str(c, "root_hash_hex");
      cp.signed_at = num(c, "signed_at");
      cp.log_url = str(c, "log_url");
      cp.confirmed = num(c, "confirmed");
      cp.note = str(c, "note");
      cp.audit_command = str(c, "audit_command");
      in.checkpoint = std::move(cp);
    }
    return in;
  } catch (const json::exception&) {
    return Fail(Code::kInvalidArgument, "the recorded letter lacks a field");
  }
}

TargetDeliveryService::TargetDeliveryService(Store& store, AccountService& accounts,
                                             UpdateService& updates, const Clock& clock,
                                             std::string site_url)
    : store_(store),
      accounts_(accounts),
      updates_(updates),
      clock_(clock),
      site_url_(std::move(site_url)) {}

Result<DeliveryPreview> TargetDeliveryService::Preview(const Actor& by, const std::string& slug) {
  auto campaign = store_.GetCampaignBySlug(slug);
  if (!campaign) return Fail(campaign.error());
  if (auto r = accounts_.Authorize(by, campaign->id, CampaignAction::kDeliver); !r) {
    return Fail(r.error());
  }
  auto d = BuildDelivery(store_, slug, clock_.Now(), site_url_);
  if (!d) return Fail(d.error());
  DeliveryPreview p;
  for (const Target& t : d->campaign.targets) {
    if (t.email.empty()) {
      p.without_email.push_back(t.name);
    } else {
      p.recipients.push_back(t.email);
    }
  }
  p.delivery = std::move(*d);
  return p;
}

Result<DeliveryRecord> TargetDeliveryService::Send(const Actor& by, const std::string& slug,
                                                   std::optional<std::int64_t> last_seen) {
  std::lock_guard lk(send_mu_);
  auto preview = Preview(by, slug);
  if (!preview) return Fail(preview.error());
  const Delivery& d = preview->delivery;
  if (last_seen) {
    auto earlier = store_.outreach().ListDeliveries(d.campaign.id);
    if (!earlier) return Fail(earlier.error());
    if (!earlier->empty() && earlier->front().id != *last_seen) {
      return Fail(Code::kConflict, "The letter was delivered again since this page was shown (on " +
                                       render::FormatDate(earlier->front().created) +
                                       "); look at the deliveries below before sending another.");
    }
  }
  if (preview->recipients.empty()) {
    const std::string example =
        "campaign edit " + slug + " --target \"Name|Title|Organization||||name@example.org\"";
    return Fail(Code::kInvalidArgument, "no target of '" + slug +
                                            "' has an email address: give one an address (" +
                                            example +
                                            ", repeating --target for every target), then "
                                            "deliver again");
  }
  const render::LetterPdfInput letter = LetterInputFrom(d);
  // Rendered once now, so that a letter that cannot be rendered is refused here rather than
  // failing in the outbox later.
  if (auto pdf = render::RenderLetterPdf(letter); !pdf) return Fail(pdf.error());
  NewDelivery nd;
  nd.now = clock_.Now();
  nd.record.campaign_id = d.campaign.id;
  nd.record.user_id = by.user_id;
  nd.record.recipients = preview->recipients;
  nd.record.confirmed = d.confirmed;
  if (letter.checkpoint) {
    nd.record.checkpoint_size = letter.checkpoint->tree_size;
    nd.record.checkpoint_hash = letter.checkpoint->root_hash_hex;
  }
  nd.record.letter_json = LetterJson(letter);
  auto rec = store_.outreach().RecordDelivery(nd);
  if (!rec) return Fail(rec.error());
  if (auto r = accounts_.Record(by, d.campaign.id, "deliver", std::to_string(rec->id),
                                {{"recipients", rec->recipients},
                                 {"confirmed", rec->confirmed},
                                 {"checkpoint_size", rec->checkpoint_size},
                                 {"checkpoint_hash", rec->checkpoint_hash}});
      !r) {
    return Fail(r.error());
  }
  std::vector<std::string> names;
  for (const Target& t : d.campaign.targets) {
    if (!t.email.empty()) names.push_back(t.name);
  }
  const std::string body = "The letter \"" + d.campaign.title + "\" was delivered to " +
                           JoinNames(names) + " on " + render::FormatDate(rec->created) +
                           ", with " + render::FormatThousands(rec->confirmed) +
                           " signatures, yours among them. Thank you.\n\nRead it: " + site_url_ +
                           "/c/" + d.campaign.slug + "\n";
  if (auto a =
          updates_.Announce(by, d.campaign.id, "delivered", "Delivered: " + d.campaign.title, body);
      !a) {
    return Fail(a.error());
  }
  return rec;
}

Result<std::vector<DeliveryRecord>> TargetDeliveryService::List(const Actor& by,
                                                                const std::string& slug) {
  auto campaign = store_.GetCampaignBySlug(slug);
  if (!campaign) return Fail(campaign.error());
  if (auto r = accounts_.Authorize(by, campaign->id, CampaignAction::kView); !r) {
    return Fail(r.error());
  }
  return store_.outreach().ListDeliveries(campaign->id);
}

Result<std::optional<DeliveryNote>> TargetDeliveryService::LatestNote(std::int64_t campaign_id) {
  auto list = store_.outreach().ListDeliveries(campaign_id);
  if (!list) return Fail(list.error());
  if (list->empty()) return std::optional<DeliveryNote>();
  const DeliveryRecord& r = list->front();
  DeliveryNote note;
  note.when = r.created;
  note.confirmed = r.confirmed;
  auto letter = ParseLetterJson(r.letter_json);
  if (letter) {
    for (const auto& t : letter->targets) note.targets.push_back(t.name);
  }
  return std::optional<DeliveryNote>(std::move(note));
}

Result<OutreachMail> DeliveryMailRenderer::Render(const OutboxMessage& m) const {
  auto payload = json::parse(m.payload, nullptr, false);
  if (!payload.is_object() || !payload.contains("delivery_id") ||
      !payload["delivery_id"].is_number_integer()) {
    return Fail(Code::kInvalidArgument, "a delivery mail without its delivery");
  }
  auto rec = store_.outreach().GetDelivery(payload["delivery_id"].get<std::int64_t>());
  if (!rec) {
    if (rec.error().code == Code::kNotFound) {
      return Fail(Code::kInvalidArgument, "unknown delivery");
    }
    return Fail(rec.error());
  }
  auto letter = ParseLetterJson(rec->letter_json);
  if (!letter) return Fail(letter.error());
  auto pdf = render::RenderLetterPdf(*letter);
  if (!pdf) return Fail(pdf.error());
  OutreachMail out;
  out.subject = "Open letter: " + letter->title;
  std::string text = letter->title + "\n\n";
  if (!letter->demand.empty()) text += letter->demand + "\n\n";
  text +=
      "Attached is an open letter signed by " + render::FormatThousands(rec->confirmed) + " people";
  if (letter->checkpoint) {
    text +=
        ". The count can be checked by anyone against the site's public signature log "
        "(checkpoint of size " +
        std::to_string(letter->checkpoint->tree_size) + "): " + letter->checkpoint->audit_command;
  }
  text += ".\n\n";
  if (!letter->organizer.empty()) text += letter->organizer + "\n";
  text += letter->campaign_url + "\n";
  out.text = std::move(text);
  std::string name;
  for (char c : letter->campaign_url.substr(letter->campaign_url.rfind('/') + 1)) {
    name += (std::isalnum(static_cast<unsigned char>(c)) || c == '-') ? c : '-';
  }
  out.attachments.push_back(
      {(name.empty() ? "letter" : name) + "-letter.pdf", "application/pdf", std::move(*pdf)});
  return out;
}

}  // namespace undersigned::service
