// Delivering the letter to its targets (issue 13, part 8), over service::TargetDeliveryService,
// which decides who may (deliver), records the delivery with the log checkpoint it used, sends
// one mail per target address with the letter as a PDF, and tells the signers who asked for
// updates.
//
//   GET  /console/c/{slug}/delivery             the letter as it stands: text, targets (with or
//            without an address), counts by group, public names, co-signers, the checkpoint
//            that proves the count; the earlier deliveries; the send button
//   GET  /console/c/{slug}/delivery/letter.pdf  the PDF the targets would receive now
//   POST /console/c/{slug}/delivery             last_seen (the newest delivery the page showed,
//            so that a second press delivers once): sends it
#include <charconv>
#include <string>

#include "core/utf8.h"
#include "http/console/routes.h"
#include "render/markdown.h"
#include "render/text.h"

namespace undersigned::http::console {
namespace {

using render::Data;
using render::DataList;

const ::undersigned::Error kUnavailable{Code::kUnavailable, "Delivery is off on this site.", {}, 0};
constexpr std::size_t kNamesShown = 50;  // public names listed on the page (the PDF has all)

Response Show(ConsoleKit& k, const Request& req, const Visit& v, const std::string& error,
              int status) {
  service::TargetDeliveryService& deliveries = *k.deliveries();
  const std::string slug = req.Param("slug");
  auto p = deliveries.Preview(v.actor(), slug);
  if (!p) return k.Error(&v, req, p.error());
  auto past = deliveries.List(v.actor(), slug);
  if (!past) return k.Error(&v, req, past.error());
  const Campaign& c = p->delivery.campaign;
  const render::LetterPdfInput letter = service::LetterInputFrom(p->delivery);

  Data d;
  d.set("csrf", v.csrf);
  d.set("slug", c.slug);
  d.set("title", c.title);
  d.set("error", render::TextOrNothing(error));
  d.set("done", render::TextOrNothing(req.Query("done").value_or("")));
  d.set("demand", render::TextOrNothing(c.demand));
  d.set("letter_html", render::RenderMarkdown(c.letter_markdown, 2));
  DataList targets;
  for (const Target& t : c.targets) {
    Data row;
    row.set("name", t.name);
    std::string detail = t.title;
    if (!t.organization.empty()) detail += (detail.empty() ? "" : ", ") + t.organization;
    row.set("detail", render::TextOrNothing(detail));
    row.set("email", render::TextOrNothing(t.email));
    targets.push_back(std::move(row));
  }
  d.set("targets", Data(targets));
  d.set("recipients", std::to_string(p->recipients.size()) +
                          (p->recipients.size() == 1 ? " target address" : " target addresses"));
  d.set("may_send", Data(!p->recipients.empty()));
  d.set("any_without", Data(!p->without_email.empty()));
  d.set("confirmed", render::FormatThousands(letter.confirmed));
  d.set("unnamed", render::FormatThousands(letter.unnamed));
  DataList groups;
  for (const render::LetterPdfGroup& g : letter.groups) {
    Data row;
    row.set("name", g.name);
    row.set("count", g.count ? render::FormatThousands(*g.count)
                             : "fewer than " + std::to_string(g.fewer_than));
    row.set("detail", render::TextOrNothing(g.detail));
    groups.push_back(std::move(row));
  }
  d.set("groups", Data(groups));
  d.set("any_groups", Data(!groups.empty()));
  DataList names;
  for (std::size_t i = 0; i < letter.signers.size() && i < kNamesShown; ++i) {
    const render::LetterPdfSigner& s = letter.signers[i];
    Data row;
    row.set("name", s.name);
    row.set("place", render::TextOrNothing(s.place));
    row.set("group", render::TextOrNothing(s.group));
    names.push_back(std::move(row));
  }
  d.set("any_names", Data(!names.empty()));
  d.set("names", Data(names));
  d.set("named", render::FormatThousands(static_cast<std::int64_t>(letter.signers.size())));
  d.set("more_names", Data(letter.signers.size() > kNamesShown));
  DataList orgs;
  for (const render::LetterPdfOrganization& o : letter.organizations) {
    Data row;
    row.set("name", o.name);
    orgs.push_back(std::move(row));
  }
  d.set("organizations", Data(orgs));
  d.set("any_organizations", Data(!orgs.empty()));
  if (letter.checkpoint) {
    Data cp;
    cp.set("size", std::to_string(letter.checkpoint->tree_size));
    cp.set("root", letter.checkpoint->root_hash_hex);
    cp.set("confirmed", render::FormatThousands(letter.checkpoint->confirmed));
    cp.set("audit", letter.checkpoint->audit_command);
    // Signatures counted since the latest checkpoint are in the log, not yet in a checkpoint.
    cp.set("behind", Data(letter.checkpoint->confirmed < letter.confirmed));
    d.set("checkpoint", cp);
  } else {
    d.set("checkpoint", Data(false));
  }
  DataList earlier;
  for (const DeliveryRecord& r : *past) {
    Data row;
    row.set("when", render::FormatDate(r.created));
    std::string to;
    for (const std::string& a : r.recipients) to += (to.empty() ? "" : ", ") + a;
    row.set("to", to);
    row.set("confirmed", render::FormatThousands(r.confirmed));
    row.set("checkpoint", r.checkpoint_size > 0 ? std::to_string(r.checkpoint_size) + " (root " +
                                                      r.checkpoint_hash.substr(0, 16) + "…)"
                                                : std::string("none"));
    earlier.push_back(std::move(row));
  }
  d.set("deliveries", Data(earlier));
  d.set("any_deliveries", Data(!earlier.empty()));
  d.set("last_seen", past->empty() ? "0" : std::to_string(past->front().id));
  d.set("may_edit",
        Data(k.accounts().Authorize(v.actor(), c.id, CampaignAction::kEdit).has_value()));
  return k.Page(&v, "console_delivery", std::move(d), "Delivery: " + c.title, status);
}

}  // namespace

void RegisterDelivery(Router& router, KitPtr kit) {
  router.Add("GET", "/console/c/{slug}/delivery",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           if (k.deliveries() == nullptr) return k.Error(&v, req, kUnavailable);
                           return Show(k, req, v, "", 200);
                         }),
             ConsoleRoute("console_delivery"));

  router.Add("GET", "/console/c/{slug}/delivery/letter.pdf",
             SignedInGet(kit,
                         [](ConsoleKit& k, const Request& req, const Visit& v) {
                           if (k.deliveries() == nullptr) return k.Error(&v, req, kUnavailable);
                           auto p = k.deliveries()->Preview(v.actor(), req.Param("slug"));
                           if (!p) return k.Error(&v, req, p.error());
                           auto pdf =
                               render::RenderLetterPdf(service::LetterInputFrom(p->delivery));
                           if (!pdf) return k.Error(&v, req, pdf.error());
                           Response r;
                           r.content_type = "application/pdf";
                           r.body = std::move(*pdf);
                           ConsoleHeaders(&r);
                           r.Header("Content-Disposition",
                                    "inline; filename=\"" + p->delivery.campaign.slug + ".pdf\"");
                           return r;
                         }),
             ConsoleRoute("console_delivery_pdf"));

  router.Add(
      "POST", "/console/c/{slug}/delivery",
      SignedInPost(kit,
                   [](ConsoleKit& k, const Request& req, const Visit& v, const pages::Form& form) {
                     if (k.deliveries() == nullptr) return k.Error(&v, req, kUnavailable);
                     const std::string seen = pages::First(form, "last_seen");
                     std::int64_t last_seen = 0;
                     auto [p, ec] =
                         std::from_chars(seen.data(), seen.data() + seen.size(), last_seen);
                     if (ec != std::errc() || p != seen.data() + seen.size() || last_seen < 0) {
                       return Show(k, req, v, "Reload the page, then send again.", 400);
                     }
                     auto r = k.deliveries()->Send(v.actor(), req.Param("slug"), last_seen);
                     if (!r) {
                       const Code code = r.error().code;
                       if (code == Code::kConflict || code == Code::kInvalidArgument) {
                         return Show(k, req, v, r.error().message, StatusFor(code));
                       }
                       return k.Error(&v, req, r.error());
                     }
                     std::string to;
                     for (const std::string& a : r->recipients) to += (to.empty() ? "" : ", ") + a;
                     return SeeOther("/console/c/" + req.Param("slug") + "/delivery?done=" +
                                     PercentEncode("Delivered to " + to + ", with " +
                                                   render::FormatThousands(r->confirmed) +
                                                   " signatures. The signers who asked for "
                                                   "updates are being told."));
                   }),
      ConsoleRoute("console_delivery_send"));
}

}  // namespace undersigned::http::console
