#include "http/pages/pages.h"

#include <algorithm>
#include <array>
#include <memory>
#include <mutex>
#include <unordered_map>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>
#include <nlohmann/json.hpp>

#include "core/utf8.h"
#include "http/pages/csrf.h"
#include "http/pages/flash.h"
#include "http/pages/origin.h"
#include "http/pages/page_kit.h"
#include "http/pages/share.h"
#include "http/pages/views.h"
#include "render/escape.h"
#include "render/spliced.h"
#include "render/text.h"

namespace undersigned::http {
namespace {

using pages::CampaignNotFound;
using pages::ErrorSpec;
using pages::First;
using pages::Form;
using pages::FormState;
using pages::HtmlPage;
using pages::kTokenBodyLimit;
using pages::StringList;
using render::Data;
using render::Spliced;
using service::CampaignSnapshot;
using SnapshotPtr = std::shared_ptr<const CampaignSnapshot>;

constexpr std::size_t kSignBodyLimit = 16 * 1024;
// A checkbox sends its value ("yes") only when ticked; be lenient about what API-like clients
// send, but treat the usual spellings of "no" as unticked.
bool Truthy(std::string v) {
  v = ToLowerAscii(v);
  return !v.empty() && v != "0" && v != "no" && v != "off" && v != "false";
}
bool Checked(const Form& form, const char* key) { return Truthy(First(form, key)); }

// Who "verified employee of X" names.
const std::string& OrganizationOf(const SignerGroup& g) {
  return g.organization.empty() ? g.name : g.organization;
}

bool SameTargets(const std::vector<Target>& a, const std::vector<Target>& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (a[i].name != b[i].name || a[i].title != b[i].title ||
        a[i].organization != b[i].organization || a[i].x_handle != b[i].x_handle ||
        a[i].bluesky_handle != b[i].bluesky_handle ||
        a[i].mastodon_handle != b[i].mastodon_handle) {
      return false;
    }
  }
  return true;
}

// True if two campaigns render the same page (modified and counts are not shown).
bool SameFields(const Campaign& x, const Campaign& y) {
  return x.id == y.id && x.slug == y.slug && x.title == y.title && x.demand == y.demand &&
         x.goal == y.goal && x.deadline == y.deadline && x.status == y.status &&
         x.language == y.language && x.letter_markdown == y.letter_markdown &&
         x.threshold == y.threshold && x.outcome == y.outcome && x.outcome_at == y.outcome_at &&
         x.groups == y.groups && x.anonymity_floor == y.anonymity_floor &&
         x.organized_by == y.organized_by && SameTargets(x.targets, y.targets);
}

bool SameRecent(const CampaignSnapshot& a, const CampaignSnapshot& b) {
  if (a.recent.size() != b.recent.size()) return false;
  for (std::size_t i = 0; i < a.recent.size(); ++i) {
    const PublicSigner& x = a.recent[i];
    const PublicSigner& y = b.recent[i];
    if (x.name != y.name || x.comment != y.comment || x.confirmed != y.confirmed ||
        x.group != y.group || x.verified != y.verified || x.anonymous != y.anonymous) {
      return false;
    }
  }
  return true;
}

// True if two snapshots list the same co-signing organizations the same way.
bool SameOrganizations(const CampaignSnapshot& a, const CampaignSnapshot& b) {
  if (a.organizations.size() != b.organizations.size()) return false;
  for (std::size_t i = 0; i < a.organizations.size(); ++i) {
    const Organization& x = a.organizations[i];
    const Organization& y = b.organizations[i];
    if (x.uuid != y.uuid || x.form.name != y.form.name || x.form.website != y.form.website ||
        x.form.statement != y.form.statement || x.has_logo != y.has_logo) {
      return false;
    }
  }
  return true;
}

// True if the sign form offers the same seals for both snapshots: a seal the group has just
// reached must leave the form at once, not a second later.
bool SameOpenSeals(const CampaignSnapshot& a, const CampaignSnapshot& b) {
  for (const SignerGroup& g : b.campaign.groups) {
    if (g.seal_thresholds.empty()) continue;
    if (OpenSealThresholds(g, a.campaign.anonymity_floor, GroupConfirmed(a.counts, g.key)) !=
        OpenSealThresholds(g, b.campaign.anonymity_floor, GroupConfirmed(b.counts, g.key))) {
      return false;
    }
  }
  return true;
}

class Site {
 public:
  explicit Site(PagesDeps deps)
      : deps_(std::move(deps)),
        kit_(deps_.campaigns, deps_.templates, deps_.base_url, deps_.csrf_secret, deps_.site,
             deps_.clock) {}

  // --- handlers

  Response Index(const Request& req) {
    auto open = deps_.campaigns.OpenCampaigns(kit_.clock().Now());
    std::string key;
    for (const auto& s : open) {
      key += std::to_string(s->campaign.id) + ":" + std::to_string(s->version) + ",";
    }
    {
      std::lock_guard lock(mu_);
      if (index_html_ && index_key_ == key) return HtmlPage(*index_html_, 200, "no-cache");
    }
    Data d = pages::LayoutData("en", "Open campaigns", kit_.site());
    d.set("description", Data("Petitions and open letters you can sign on " + kit_.site().name));
    if (open.empty()) {
      d.set("campaigns", Data(false));
    } else {
      Data items(Data::type::list);
      for (const auto& s : open) {
        const Campaign& c = s->campaign;
        Data item = pages::CountData(s->counts.confirmed, c.goal);
        item.set("slug", c.slug);
        item.set("title", c.title);
        item.set("language", c.language);
        item.set("demand", c.demand.empty() ? Data(false) : Data(c.demand));
        item.set("url", "/c/" + PercentEncode(c.slug));
        items.push_back(item);
      }
      Data campaigns;
      campaigns.set("items", items);
      d.set("campaigns", campaigns);
    }
    auto html = kit_.Render("index", d);
    if (!html) return kit_.InternalError();
    auto shared = std::make_shared<const std::string>(std::move(*html));
    {
      std::lock_guard lock(mu_);
      index_key_ = key;
      index_html_ = shared;
    }
    return HtmlPage(*shared, 200, "no-cache");
  }

  // The hot path: no store access, no template rendering once cached.
  Response CampaignPage(const Request& req) {
    SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    const bool open = pages::TakesSignatures(snap->campaign, kit_.clock().Now());
    auto page = CachedCampaignPage(snap, open);
    if (!page) return kit_.InternalError();
    const pages::FormCsrf csrf = kit_.CsrfFor(req);
    const auto count = CountSlots(snap->counts.confirmed, snap->campaign.goal);
    const auto log = LogSlots(snap->campaign.uuid);
    const auto groups = GroupTally(snap);
    if (!groups) return kit_.InternalError();
    const std::string origin = pages::OriginInputHtml(pages::LandingOrigin(req, own_host_));
    Response r = Response::Html(page->Fill(
        {csrf.token, count[0], count[1], count[2], count[3], log[0], log[1], *groups, origin}));
    r.Header("Cache-Control", "private, no-cache");
    kit_.SetCookie(csrf, &r);
    return r;
  }

  // Where a failed form is redirected: the campaign page with the form as it was posted, what
  // was typed and a message per field (the flash). Without one (expired, another browser, a
  // bookmark): the campaign page.
  Response SignGet(const Request& req) {
    const std::string slug = req.Param("slug");
    auto flash = flash_.Open(req.Cookie(pages::kFlashCookie), slug, kit_.clock().Now());
    if (!flash || flash->sent) return Response::Redirect("/c/" + PercentEncode(slug), 303);
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    FormState form;
    form.values = std::move(flash->typed);
    form.errors = std::move(flash->errors);
    form.general_error = std::move(flash->general_error);
    form.origin_html = pages::OriginInputHtml(flash->origin);
    const pages::FormCsrf csrf = kit_.CsrfFor(req);
    form.csrf = csrf.token;
    const bool open = pages::TakesSignatures(snap->campaign, kit_.clock().Now());
    auto html = RenderCampaign(snap, open, form, "Error: ", /*count_slots=*/false);
    if (!html) return kit_.InternalError();
    // 422 like the form's other answers with errors (the Mastodon share page's too).
    Response r = HtmlPage(*html, 422, "no-store");
    kit_.SetCookie(csrf, &r);
    return r;
  }

  // Where a signed form is redirected: "check your email", naming the address the link went to
  // (the flash). Without the flash the page still says what to do, without the address.
  Response Sent(const Request& req) {
    const std::string slug = req.Param("slug");
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    auto flash = flash_.Open(req.Cookie(pages::kFlashCookie), slug, kit_.clock().Now());
    if (!flash || !flash->sent || !flash->organization.empty()) {  // not an organization's
      return CheckEmail(snap->campaign, SignOutcome::Kind::kCreated, "the address you gave",
                        nullptr);
    }
    const SignerGroup* work =
        flash->work_group.empty() ? nullptr : FindGroup(snap->campaign, flash->work_group);
    return CheckEmail(snap->campaign, flash->kind, flash->email, work);
  }

  // The answer to a POST of the sign form (post/redirect/get): 303 to `location` with the flash
  // entry that page reads, its cookie scoped to the campaign's pages.
  Response RedirectWithFlash(pages::FlashEntry e, const std::string& location) {
    const std::string path = "/c/" + PercentEncode(e.slug) + "/";
    const std::string sealed = flash_.Seal(std::move(e), kit_.clock().Now());
    Response r = Response::Redirect(location, 303);
    r.Header("Set-Cookie", flash_.CookieValue(sealed, path, kit_.base_url().starts_with("https:")));
    r.Header("Cache-Control", "no-store");
    return r;
  }

  // POST /c/{slug}/sign, asynchronously: checked and answered on a network thread, stored
  // without parking a thread; the answer is made where the store reports the write durable
  // (the "check your email" page is cached, so that is cheap). req stays valid until respond.
  void Sign(const Request& req, Respond respond) {
    const std::string slug = req.Param("slug");
    const std::string back = "/c/" + PercentEncode(slug);
    Form form;
    if (auto bad =
            kit_.CheckPost(req, back, "Back to the campaign", "Nothing was recorded.", &form)) {
      return respond(std::move(*bad));
    }
    // The campaign's groups decide which of the group sections' fields count (the service
    // checks everything again against the campaign it reads).
    SnapshotPtr snap = kit_.PublicSnapshot(slug);
    std::map<std::string, std::string> form_errors;
    SignatureForm f = FormFields(form, snap ? &snap->campaign : nullptr, &form_errors);
    const SignatureOrigin origin = pages::DecodeOriginField(First(form, "origin"));
    if (!form_errors.empty()) {
      // A visibility that is none of the choices: answered with the form's other problems.
      if (const SignerGroup* g = snap ? FindGroup(snap->campaign, f.group) : nullptr) {
        if (auto valid = ValidateSignatureForm(f, *g); !valid) {
          form_errors.merge(valid.error().field_errors);
        }
      }
      return respond(SignFailed(
          req, slug, f, Error{Code::kInvalidArgument, "", std::move(form_errors), 0}, origin));
    }
    service::SignContext ctx;
    ctx.source = "form";
    ctx.remote_address = req.remote_address;
    ctx.origin = origin;
    deps_.signing.SignAsync(
        slug, f, ctx,
        [this, &req, slug, f, origin, respond = std::move(respond)](Result<service::SignResult> r) {
          if (!r) return respond(SignFailed(req, slug, f, r.error(), origin));
          // A verified group's link went to the work address.
          const SignerGroup* g = FindGroup(r->campaign, f.group);
          const bool work = g != nullptr && ProvenByDomain(g->kind);
          pages::FlashEntry sent;
          sent.slug = slug;
          sent.sent = true;
          sent.kind = r->kind;
          sent.email = Trim(work ? f.work_email : f.email);
          if (work) sent.work_group = g->key;
          respond(RedirectWithFlash(std::move(sent), "/c/" + PercentEncode(slug) + "/sent"));
        });
  }

  // The SignatureForm a posted form stands for. campaign (nullptr if unknown): its declared
  // groups' sections of the form all send their fields; only the chosen group's count. A
  // visibility that is none of the choices goes into errors ("protection").
  static SignatureForm FormFields(const Form& form, const Campaign* campaign,
                                  std::map<std::string, std::string>* errors) {
    static const std::vector<SignerGroup> kNoGroups;
    const std::vector<SignerGroup>& groups = campaign != nullptr ? campaign->groups : kNoGroups;
    SignatureForm f;
    f.name = First(form, "name");
    f.email = First(form, "email");
    f.postal_code = First(form, "postal_code");
    f.country = First(form, "country");
    f.comment = First(form, "comment");
    f.public_name = Checked(form, "public_name");
    f.wants_updates = Checked(form, "wants_updates");
    f.group = First(form, "group");
    // The form offers no default among several groups: the signer says who they sign as.
    if (groups.size() > 1 && f.group.empty()) (*errors)["group"] = "Choose who you sign as.";
    // As the service will read it (an empty key is the public group, or the first).
    const SignerGroup* chosen = campaign != nullptr ? FindGroup(*campaign, f.group) : nullptr;
    // Each verified group's section has a work_email field, in the order of the groups: when
    // the form sent them all, the chosen group's counts; else (a client sending one) the one
    // that is filled in.
    std::vector<std::string> works;
    for (auto [it, end] = form.equal_range("work_email"); it != end; ++it) {
      works.push_back(it->second);
    }
    std::size_t domain_groups = 0;
    std::optional<std::size_t> chosen_index;
    for (const SignerGroup& g : groups) {
      if (!ProvenByDomain(g.kind)) continue;
      if (&g == chosen) chosen_index = domain_groups;
      ++domain_groups;
    }
    if (chosen_index && domain_groups > 1 && works.size() == domain_groups) {
      f.work_email = works[*chosen_index];
    } else {
      for (const std::string& w : works) {
        if (!Trim(w).empty()) {
          f.work_email = w;
          break;
        }
      }
    }
    // An attestation's checkbox sends its group's key, so that ticking another group's
    // statement does not count; a client may send "yes".
    for (auto [it, end] = form.equal_range("attested"); it != end; ++it) {
      bool names_group = false;
      for (const SignerGroup& g : groups) names_group = names_group || g.key == it->second;
      if (names_group ? chosen != nullptr && it->second == chosen->key : Truthy(it->second)) {
        f.attested = true;
      }
    }
    // The visibility choice, when the form has one (else the public_name checkbox).
    if (auto it = form.find("visibility"); it != form.end() && !it->second.empty()) {
      if (!pages::ApplyVisibility(it->second, &f)) {
        (*errors)["protection"] = "Choose how your name appears.";
      }
    }
    return f;
  }

  Response Counts(const Request& req) {
    SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
    auto checkpoint = deps_.log != nullptr ? deps_.log->Latest() : nullptr;
    Response r = snap ? Response::Json(CountsJson(*snap, kit_.clock().Now(), checkpoint.get()))
                      : JsonError(Error{Code::kNotFound, "no such campaign", {}, 0});
    r.Header("Access-Control-Allow-Origin", "*");
    r.Header("Cache-Control", "no-cache");
    return r;
  }

  Result<std::string> Topic(const Request& req) {
    SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
    if (!snap) return Fail(Code::kNotFound, "no such campaign");
    return CampaignTopic(snap->campaign.slug);
  }

  Response MastodonShare(const Request& req) {
    SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    const Campaign& c = snap->campaign;
    const std::string url = pages::CampaignUrl(kit_.base_url(), c.slug);
    const std::string text =
        pages::ShareMessage(c, pages::Network::kMastodon, pages::ChannelUrl(url, "mastodon"));
    Data d = pages::LayoutData(c.language, "Share on Mastodon: " + c.title, kit_.site());
    d.set("slug", c.slug);
    d.set("url", url);
    d.set("text", text);
    d.set("has_error", Data(false));
    d.set("error", "");
    d.set("instance", "");
    d.set("ready", Data(false));
    int status = 200;
    if (auto typed = req.Query("instance")) {
      d.set("instance", *typed);
      if (auto server = pages::NormalizeMastodonServer(*typed)) {
        Data ready;
        ready.set("server", *server);
        ready.set("share_url", pages::MastodonShareUrl(*server, text));
        d.set("ready", ready);
        d.set("instance", *server);
      } else {
        status = 422;
        d.set("has_error", Data(true));
        d.set("error", "Enter the address of a Mastodon server, like mastodon.social.");
      }
    }
    auto html = kit_.Render("share_mastodon", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, status, "no-cache");
  }

  Response ConfirmPage(const Request& req) { return TokenPage(req, /*confirm=*/true); }
  Response WithdrawPage(const Request& req) { return TokenPage(req, /*confirm=*/false); }
  Response ConfirmPost(const Request& req) { return TokenPost(req, /*confirm=*/true); }
  Response WithdrawPost(const Request& req) { return TokenPost(req, /*confirm=*/false); }

  Response NotFound(const Request&) {
    return kit_.ErrorPage({404,
                           "Page not found",
                           {"There is no page at this address. If you typed it, check it; if you "
                            "followed a link, it may be out of date."}});
  }

 private:
  // --- snapshots and caches

  // A rendered campaign page with slots: 0 the CSRF token, 1-4 the count, 5-6 the latest
  // checkpoint's size and this campaign's count in it, 7 the counts by group (GroupTally), so a
  // new count costs no rendering of the page. It is
  // rendered again when the campaign's fields change, and when the recent signers change - at most
  // once a second for those, since they need not be live to the millisecond (the count, spliced in
  // per request, always is).
  struct CachedCampaign {
    SnapshotPtr rendered;            // the snapshot the page was rendered from
    std::uint64_t same_version = 0;  // a later version known to render the same page
    bool open = false;
    std::int64_t rendered_ms = 0;
    std::shared_ptr<const Spliced> page;
  };
  static constexpr std::int64_t kRecentSignersMaxAgeMs = 1000;

  std::shared_ptr<const Spliced> CachedCampaignPage(const SnapshotPtr& snap, bool open) {
    const std::string& slug = snap->campaign.slug;
    const std::int64_t now_ms = kit_.clock().MonotonicMillis();
    {
      std::lock_guard lock(mu_);
      auto it = campaign_cache_.find(slug);
      if (it != campaign_cache_.end() && it->second.open == open) {
        CachedCampaign& e = it->second;
        if (e.rendered->version == snap->version || e.same_version == snap->version) {
          return e.page;
        }
        if (SameFields(e.rendered->campaign, snap->campaign) &&
            SameOrganizations(*e.rendered, *snap) && SameOpenSeals(*e.rendered, *snap)) {
          if (SameRecent(*e.rendered, *snap)) {
            e.same_version = std::max(e.same_version, snap->version);
            return e.page;
          }
          if (now_ms - e.rendered_ms < kRecentSignersMaxAgeMs) return e.page;
        }
      }
    }
    FormState form;
    form.csrf = render::SlotPlaceholder(0);
    form.origin_html = render::SlotPlaceholder(8);
    auto html = RenderCampaign(snap, open, form, "", /*count_slots=*/true);
    if (!html) return nullptr;
    auto page = std::make_shared<const Spliced>(Spliced::Cut(*html, 9));
    std::lock_guard lock(mu_);
    auto [it, inserted] = campaign_cache_.try_emplace(slug);
    if (inserted || it->second.rendered->version <= snap->version) {
      it->second = CachedCampaign{snap, 0, open, now_ms, page};
    }
    return page;
  }

  // The counts by group (group_tally.mustache) of a snapshot: rendered once per snapshot
  // version, empty for a campaign without declared groups. nullptr if rendering failed.
  std::shared_ptr<const std::string> GroupTally(const SnapshotPtr& snap) {
    static const auto kNone = std::make_shared<const std::string>();
    if (snap->campaign.groups.empty()) return kNone;
    {
      std::lock_guard lock(mu_);
      auto it = group_tally_cache_.find(snap->campaign.slug);
      if (it != group_tally_cache_.end() && it->second.version == snap->version) {
        return it->second.html;
      }
    }
    auto html = kit_.Render("group_tally", pages::GroupTallyData(snap->campaign, snap->counts));
    if (!html) return nullptr;
    auto shared = std::make_shared<const std::string>(std::move(*html));
    std::lock_guard lock(mu_);
    auto [it, inserted] = group_tally_cache_.try_emplace(snap->campaign.slug);
    if (inserted || it->second.version <= snap->version) {
      it->second = CachedGroupTally{snap->version, shared};
    }
    return shared;
  }

  // The values of slots 1-4 for a count.
  static std::array<std::string, 4> CountSlots(std::int64_t confirmed, std::int64_t goal) {
    if (goal < 1) goal = 1;
    return {render::FormatThousands(confirmed), confirmed == 1 ? "signature" : "signatures",
            std::to_string(confirmed < 0 ? 0 : std::min(confirmed, goal)),
            std::to_string(render::PercentOf(confirmed, goal))};
  }

  Result<std::string> RenderCampaign(const SnapshotPtr& snap_ptr, bool open, const FormState& form,
                                     const std::string& title_prefix, bool count_slots) {
    const CampaignSnapshot& snap = *snap_ptr;
    Data d = pages::CampaignPageData(snap, kit_.base_url(), kit_.site(), open);
    if (count_slots) {
      d.set("group_tally_html", render::SlotPlaceholder(7));
    } else {
      auto groups = GroupTally(snap_ptr);
      if (!groups) return Fail(Code::kInternal, "rendering the counts by group");
      d.set("group_tally_html", *groups);
    }
    if (!title_prefix.empty()) d.set("page_title", title_prefix + snap.campaign.title);
    if (count_slots) {
      Data count = pages::CountData(snap.counts.confirmed, snap.campaign.goal);
      count.set("confirmed_text", render::SlotPlaceholder(1));
      count.set("noun", render::SlotPlaceholder(2));
      count.set("value", render::SlotPlaceholder(3));
      count.set("percent", render::SlotPlaceholder(4));
      d.set("count", count);
    }
    if (deps_.log != nullptr && deps_.log->enabled()) {
      // The campaign's count at the latest signed checkpoint (slots 5 and 6 when cached).
      Data log;
      auto checkpoint = deps_.log->Latest();
      std::int64_t at_checkpoint = 0;
      if (checkpoint) {
        auto it = checkpoint->confirmed.find(snap.campaign.uuid);
        if (it != checkpoint->confirmed.end()) at_checkpoint = it->second;
      }
      log.set("size", count_slots ? render::SlotPlaceholder(5)
                                  : render::FormatThousands(checkpoint ? checkpoint->size : 0));
      log.set("confirmed",
              count_slots ? render::SlotPlaceholder(6) : render::FormatThousands(at_checkpoint));
      log.set("audit_command", "undersigned log audit " + kit_.base_url());
      d.set("log", log);
    }
    d.set("form",
          pages::FormData(form, snap.campaign.groups, &snap.counts, snap.campaign.anonymity_floor));
    return kit_.Render("campaign", d);
  }

  // The values of slots 5 and 6: the latest checkpoint's size and the campaign's count in it.
  std::array<std::string, 2> LogSlots(const std::string& campaign_uuid) const {
    auto checkpoint = deps_.log != nullptr ? deps_.log->Latest() : nullptr;
    if (!checkpoint) return {"0", "0"};
    auto it = checkpoint->confirmed.find(campaign_uuid);
    return {render::FormatThousands(static_cast<std::int64_t>(checkpoint->size)),
            render::FormatThousands(it == checkpoint->confirmed.end() ? 0 : it->second)};
  }

  // --- signing

  // work_group: the verified group whose link went to the work address `email` (else nullptr).
  Response CheckEmail(const Campaign& c, SignOutcome::Kind kind, const std::string& email,
                      const SignerGroup* work_group) {
    const char* variant = "sent";  // kCreated, and kAlreadyConfirmed: never reveal who signed
    if (kind == SignOutcome::Kind::kResent) variant = "resent";
    if (kind == SignOutcome::Kind::kResendLimit) variant = "resend_limit";
    const std::string key =
        c.slug + '\n' + variant + '\n' + (work_group != nullptr ? work_group->key : "");
    const std::string organization =
        work_group != nullptr ? OrganizationOf(*work_group) : std::string();
    std::shared_ptr<const Spliced> page;
    {
      std::lock_guard lock(mu_);
      auto it = check_cache_.find(key);
      if (it != check_cache_.end() && it->second.title == c.title &&
          it->second.language == c.language && it->second.organization == organization) {
        page = it->second.page;
      }
    }
    if (!page) {
      const std::string heading =
          work_group != nullptr ? "Check your work email" : "Check your email";
      Data d = pages::CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
      d.set("heading", heading);
      if (work_group != nullptr) {
        Data work;
        work.set("organization", organization);
        work.set("group_name", work_group->name);
        d.set("work", work);
      } else {
        d.set("work", Data(false));
      }
      d.set("email", render::SlotPlaceholder(0));
      d.set("sent", Data(std::string_view(variant) == "sent"));
      d.set("resent", Data(std::string_view(variant) == "resent"));
      d.set("resend_limit", Data(std::string_view(variant) == "resend_limit"));
      d.set("mail_note", render::TextOrNothing(deps_.mail_note));
      auto html = kit_.Render("check_email", d);
      if (!html) return kit_.InternalError();
      page = std::make_shared<const Spliced>(Spliced::Cut(*html, 1));
      std::lock_guard lock(mu_);
      check_cache_[key] = CachedCheck{c.title, c.language, organization, page};
    }
    return HtmlPage(page->Fill({render::EscapeHtml(email)}), 200, "no-store");
  }

  Response SignFailed(const Request& req, const std::string& slug, const SignatureForm& typed,
                      const Error& e, const SignatureOrigin& origin = {}) {
    const std::string back = "/c/" + PercentEncode(slug);
    switch (e.code) {
      case Code::kInvalidArgument: {
        // Shown by GET /c/{slug}/sign, so that a reload does not post the form again.
        if (!kit_.PublicSnapshot(slug)) return kit_.ErrorPage(CampaignNotFound());
        pages::FlashEntry failed;
        failed.slug = slug;
        failed.typed = typed;
        failed.origin = origin;
        failed.errors = e.field_errors;
        if (e.field_errors.empty()) {
          failed.general_error = e.message.empty() ? "Please check the form." : e.message;
        }
        return RedirectWithFlash(std::move(failed), back + "/sign#sign");
      }
      case Code::kNotFound:
        return kit_.ErrorPage(CampaignNotFound());
      case Code::kConflict:
        return kit_.ErrorPage({409,
                               "This campaign is closed",
                               {"It no longer takes signatures, so yours was not recorded. Thank "
                                "you for wanting to sign."},
                               back,
                               "Back to the campaign"});
      case Code::kTooManyRequests: {
        const int wait = e.retry_after_seconds > 0 ? e.retry_after_seconds : 60;
        return kit_.ErrorPage(
            {429,
             "Too many signatures at once",
             {e.message.empty() ? "Please wait a little and try again." : e.message,
              "You can try again in " + pages::WaitText(wait) + "."},
             back,
             "Back to the campaign",
             wait});
      }
      case Code::kPayloadTooLarge:
        return kit_.ErrorPage({413,
                               "That is too much text",
                               {"Please shorten what you typed and send the form again."},
                               back,
                               "Back to the campaign"});
      case Code::kUnavailable:
        return kit_.ErrorPage(
            {503,
             "Please try again in a moment",
             {"The server is busy or restarting. Your signature was not recorded; "
              "please send the form again in a few seconds."},
             back,
             "Back to the campaign",
             std::max(5, e.retry_after_seconds)});
      default:
        spdlog::error("pages: signing failed: {} {}", CodeName(e.code), e.message);
        return kit_.InternalError();
    }
  }

  // --- confirm and withdraw

  Response TokenPage(const Request& req, bool confirm) {
    const std::string token = req.Query("t").value_or("");
    auto peek = token.empty() ? Result<TokenOutcome>(Fail(Code::kNotFound, "no token"))
                              : (confirm ? deps_.signing.PeekConfirm(token, req.remote_address)
                                         : deps_.signing.PeekWithdraw(token, req.remote_address));
    if (!peek) return TokenError(peek.error(), confirm, token);
    auto pressed = flash_.Open(req.Cookie(pages::kFlashCookie), TokenScope(confirm, token),
                               kit_.clock().Now());
    if (pressed && pressed->token_done) {
      peek->changed = pressed->changed;
      return TokenResult(&*peek, confirm, token);
    }
    if (const SignerGroup* work = VerifiedGroupOf(*peek)) {
      return NeutralTokenPage(req, *peek, *work, confirm, token);
    }
    const Campaign& c = peek->campaign;
    const SignatureState state = peek->signature.state;
    if (confirm && state == SignatureState::kConfirmed) {
      return kit_.TokenHeaders(
          DonePage(c, "Your signature is already confirmed",
                   {ThanksLine(c, peek->counts.confirmed), kWithdrawNote}, true, token),
          nullptr);
    }
    if (state == SignatureState::kWithdrawn) {
      return kit_.TokenHeaders(
          DonePage(c, "This signature was withdrawn",
                   {"It does not count and your name is not shown. You can sign again on the "
                    "campaign page if you change your mind."},
                   false),
          nullptr);
    }
    const pages::FormCsrf csrf = kit_.CsrfFor(req);
    const std::string heading = confirm
                                    ? "Confirm your signature on \u201C" + c.title + "\u201D"
                                    : "Withdraw your signature from \u201C" + c.title + "\u201D?";
    Data d = pages::CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs",
          StringList(
              confirm
                  ? std::vector<
                        std::string>{"Press the button to confirm that you signed with this email "
                                     "address. Only confirmed signatures are counted."}
                  : std::vector<std::string>{
                        "Press the button to withdraw your signature. It will no "
                        "longer count, and your name will no longer be shown."}));
    d.set("action", confirm ? "/s/confirm" : "/s/withdraw");
    d.set("token", token);
    d.set("csrf", csrf.token);
    d.set("button", confirm ? "Confirm my signature" : "Withdraw my signature");
    d.set("danger", Data(!confirm));
    auto html = kit_.Render("token", d);
    if (!html) return kit_.InternalError();
    return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), csrf.new_nonce());
  }

  // The group proven by domain a signature was made in (its link went to a work address), or
  // nullptr.
  static const SignerGroup* VerifiedGroupOf(const TokenOutcome& t) {
    const SignerGroup* g = FindGroup(t.campaign, t.signature.form.group);
    return g != nullptr && ProvenByDomain(g->kind) ? g : nullptr;
  }

  // The pages behind the links sent to a work address. Whoever reads that mailbox (the
  // employer's mail system, an administrator) can open them, so they name neither the letter
  // nor the signer: only the button's result, seen by whoever presses it, does.
  Response NeutralTokenPage(const Request& req, const TokenOutcome& peek, const SignerGroup& work,
                            bool confirm, const std::string& token) {
    const std::string& org = OrganizationOf(work);
    const SignatureState state = peek.signature.state;
    static const std::string kNeutral =
        "This page does not name what you signed, in case someone else opens this link.";
    if (state == SignatureState::kWithdrawn || (confirm && state == SignatureState::kConfirmed)) {
      const bool withdrawn = state == SignatureState::kWithdrawn;
      const std::string heading =
          withdrawn ? "This signature was withdrawn" : "This address is already verified";
      Data d = pages::LayoutData("en", heading, kit_.site());
      d.set("noindex", Data(true));
      d.set("c", Data(false));
      d.set("heading", heading);
      d.set("paragraphs",
            StringList({withdrawn ? "It does not count any more." : "There is nothing more to do.",
                        kNeutral}));
      d.set("show_share", Data(false));
      auto html = kit_.Render("done", d);
      if (!html) return kit_.InternalError();
      return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), nullptr);
    }
    const pages::FormCsrf csrf = kit_.CsrfFor(req);
    const std::string heading =
        confirm ? "Verify that you work at " + org : "Withdraw your verified signature?";
    // Sealed until a size the group reached after this signer signed: pressing the button shows
    // the name at once. Said before they press it, not after.
    std::string reached;
    const SignatureForm& chose = peek.signature.form;
    if (confirm && chose.protection == Protection::kSealed) {
      SnapshotPtr snap = kit_.PublicSnapshot(peek.campaign.slug);
      if (snap && GroupConfirmed(snap->counts, work.key) >= chose.seal_threshold) {
        const std::string n = render::FormatThousands(chose.seal_threshold);
        reached = "You chose to keep your name sealed until " + n + " verified employees of " +
                  org + " had signed. " + n +
                  " have signed since: if you press the button, your name is shown at once, with "
                  "the others who chose this. If you would rather it were not, do not press it: "
                  "an unconfirmed signature never counts and is never shown.";
      }
    }
    Data d = pages::LayoutData("en", heading, kit_.site());
    d.set("noindex", Data(true));
    d.set("c", Data(false));
    d.set("heading", heading);
    std::vector<std::string> paragraphs =
        confirm ? std::vector<std::string>{"This link reached you at your work address. Pressing "
                                           "the button proves that you work at " +
                                               org +
                                               ": your signature is confirmed and counted among " +
                                               work.name + ". We never keep your work address.",
                                           kNeutral + " You will see it once you press the button."}
                : std::vector<std::string>{"Press the button to withdraw the signature this "
                                           "address verified. It will no longer count, and your "
                                           "name will no longer be shown.",
                                           kNeutral};
    if (!reached.empty()) paragraphs.push_back(reached);
    d.set("paragraphs", StringList(paragraphs));
    d.set("action", confirm ? "/s/confirm" : "/s/withdraw");
    d.set("token", token);
    d.set("csrf", csrf.token);
    d.set("button", confirm ? "Verify and confirm my signature" : "Withdraw my signature");
    d.set("danger", Data(!confirm));
    auto html = kit_.Render("token", d);
    if (!html) return kit_.InternalError();
    return kit_.TokenHeaders(HtmlPage(*html, 200, "no-store"), csrf.new_nonce());
  }

  // What a verified signer is told once their link is followed: the group, what became of
  // their name, and the group's count as the public sees it.
  static std::vector<std::string> VerifiedLines(const TokenOutcome& r, const SignerGroup& work) {
    const Campaign& c = r.campaign;
    const std::string& org = OrganizationOf(work);
    std::vector<std::string> lines;
    lines.push_back("You are verified as working at " + org + ", and counted among " + work.name +
                    ".");
    const SignatureForm& f = r.signature.form;
    if (f.protection == Protection::kSealed) {
      lines.push_back(
          r.signature.sealed
              ? "Your name stays sealed until " + render::FormatThousands(f.seal_threshold) +
                    " verified employees of " + org +
                    " have signed: until then it appears nowhere. We will tell you at your "
                    "personal address when it is shown."
              : "Your name is shown: " + render::FormatThousands(f.seal_threshold) +
                    " verified employees of " + org + " have signed, as you chose.");
    } else if (f.protection == Protection::kAnonymous) {
      lines.push_back("You are shown only as \u201CVerified employee of " + org +
                      "\u201D. We keep no name.");
    }
    const auto shown = ShownCount(GroupConfirmed(r.counts, work.key), c.anonymity_floor);
    lines.push_back(
        work.name + " so far: " +
        (shown ? render::FormatThousands(*shown) + " verified signers."
               : "fewer than " + std::to_string(c.anonymity_floor) + " verified signers."));
    return lines;
  }

  Response TokenPost(const Request& req, bool confirm) {
    Form form;
    // The token may be in the body; the page to go back to is the GET page with that token.
    std::string token;
    if (auto parsed = ParseForm(req.body)) token = First(*parsed, "t");
    const std::string back =
        std::string(confirm ? "/s/confirm" : "/s/withdraw") + "?t=" + PercentEncode(token);
    if (auto bad = kit_.CheckPost(req, back, "Back to the page with the button",
                                  "Nothing was recorded.", &form)) {
      return kit_.TokenHeaders(std::move(*bad), nullptr);
    }
    auto r = token.empty() ? Result<TokenOutcome>(Fail(Code::kNotFound, "no token"))
                           : (confirm ? deps_.signing.Confirm(token, req.remote_address)
                                      : deps_.signing.Withdraw(token, req.remote_address));
    if (!r) return TokenError(r.error(), confirm, token);
    // Post/redirect/get: the link's page shows the result to the browser that pressed the
    // button (a flash scoped to this link), so that a reload does not press it again.
    pages::FlashEntry done;
    done.slug = TokenScope(confirm, token);
    done.token_done = true;
    done.changed = r->changed;
    const std::string sealed = flash_.Seal(std::move(done), kit_.clock().Now());
    Response redirect = Response::Redirect(back, 303);
    redirect.Header("Set-Cookie", flash_.CookieValue(sealed, confirm ? "/s/confirm" : "/s/withdraw",
                                                     kit_.base_url().starts_with("https:")));
    redirect.Header("Cache-Control", "no-store");
    return kit_.TokenHeaders(std::move(redirect), nullptr);
  }

  static std::string TokenScope(bool confirm, const std::string& token) {
    return std::string(confirm ? "confirm:" : "withdraw:") + token;
  }

  // What the link's page shows once its button was pressed (r: the signature as it is now,
  // r.changed: whether pressing changed it).
  Response TokenResult(const TokenOutcome* r, bool confirm, const std::string& token) {
    const Campaign& c = r->campaign;
    if (const SignerGroup* work = confirm ? VerifiedGroupOf(*r) : nullptr) {
      std::vector<std::string> lines = VerifiedLines(*r, *work);
      lines.push_back(ThanksLine(c, r->counts.confirmed));
      lines.push_back(kWithdrawNote);
      // "I signed ..." posted from a sealed or anonymous signer's own account would name them.
      const bool protected_name = r->signature.form.protection != Protection::kNone;
      if (protected_name) {
        lines.push_back(
            "To keep your name safe, this page offers no \u201CI signed\u201D share buttons: a "
            "post from your own account would say that you signed. To pass the letter on, give "
            "its address: " +
            pages::CampaignUrl(kit_.base_url(), c.slug));
      }
      return kit_.TokenHeaders(
          DonePage(c,
                   r->changed ? "Thank you! You are verified and your signature "
                                "is confirmed"
                              : "Your signature is already confirmed",
                   lines, !protected_name, token),
          nullptr);
    }
    if (confirm) {
      return kit_.TokenHeaders(
          DonePage(c,
                   r->changed ? "Thank you! Your signature is confirmed"
                              : "Your signature is already confirmed",
                   {ThanksLine(c, r->counts.confirmed), kWithdrawNote}, true, token),
          nullptr);
    }
    return kit_.TokenHeaders(
        DonePage(c,
                 r->changed ? "Your signature has been withdrawn"
                            : "This signature was already withdrawn",
                 {"It no longer counts toward \u201C" + c.title +
                      "\u201D, and your name is no longer shown.",
                  "Changed your mind again? You can sign again on the campaign page."},
                 false),
        nullptr);
  }

  Response TokenError(const Error& e, bool confirm, const std::string& token) {
    switch (e.code) {
      case Code::kNotFound:
        return kit_.TokenHeaders(
            kit_.ErrorPage({404,
                            "This link is not valid",
                            {"The link may have been used already, replaced by a newer one, or "
                             "copied incompletely from the email.",
                             std::string(confirm ? "If you signed more than once, use the link in "
                                                   "the most recent email."
                                                 : "If you signed more than once, use the withdraw "
                                                   "link in the most recent email.")}}),
            nullptr);
      case Code::kConflict:
        return kit_.TokenHeaders(
            kit_.ErrorPage({409,
                            confirm ? "This signature cannot be confirmed"
                                    : "This signature cannot be withdrawn",
                            {confirm ? "It was withdrawn, or the campaign has closed."
                                     : "Its state does not allow it any more."}}),
            nullptr);
      case Code::kUnavailable:
        return kit_.TokenHeaders(
            kit_.ErrorPage({503,
                            "Please try again in a moment",
                            {"The server is busy or restarting. Nothing was changed."},
                            "/",
                            "See all open campaigns",
                            std::max(5, e.retry_after_seconds)}),
            nullptr);
      case Code::kTooManyRequests:
        return kit_.TokenHeaders(kit_.ErrorPage(pages::TooManyLinkGuesses(e)), nullptr);
      default:
        spdlog::error("pages: {} failed: {} {}", confirm ? "confirm" : "withdraw", CodeName(e.code),
                      e.message);
        return kit_.TokenHeaders(kit_.InternalError(), nullptr);
    }
  }

  static constexpr const char* kWithdrawNote =
      "You can withdraw your signature at any time with the link in the email we sent you.";

  static std::string ThanksLine(const Campaign& c, std::int64_t confirmed) {
    return "\u201C" + c.title + "\u201D now has " + render::FormatThousands(confirmed) +
           (confirmed == 1 ? " confirmed signature." : " confirmed signatures.");
  }

  // receipt_token: a confirm token whose receipt the page offers (empty: none).
  Response DonePage(const Campaign& c, const std::string& heading,
                    const std::vector<std::string>& paragraphs, bool share,
                    const std::string& receipt_token = "") {
    Data d = pages::CampaignBriefData(c, kit_.base_url(), kit_.site(), heading);
    d.set("heading", heading);
    d.set("paragraphs", StringList(paragraphs));
    if (!receipt_token.empty() && deps_.log != nullptr && deps_.log->enabled()) {
      Data receipt;
      receipt.set("url", "/s/receipt?t=" + PercentEncode(receipt_token));
      receipt.set(
          "audit_command",
          "undersigned log verify-receipt undersigned-receipt.json --log " + kit_.base_url());
      d.set("receipt", receipt);
    }
    d.set("show_share", Data(share));
    if (share) d.set("share", pages::ShareData(c, kit_.base_url()));
    auto html = kit_.Render("done", d);
    if (!html) return kit_.InternalError();
    return HtmlPage(*html, 200, "no-store");
  }

  struct CachedCheck {
    std::string title;
    std::string language;
    std::string organization;  // of the verified group (empty: not one)
    std::shared_ptr<const Spliced> page;
  };
  struct CachedGroupTally {
    std::uint64_t version = 0;
    std::shared_ptr<const std::string> html;
  };

  PagesDeps deps_;
  pages::PageKit kit_;
  const std::string own_host_ = ReferrerHost(kit_.base_url());  // not an origin (origin.h)
  pages::FlashStore flash_{deps_.flash_secret};

  std::mutex mu_;  // guards the caches below
  std::unordered_map<std::string, CachedCampaign> campaign_cache_;
  std::unordered_map<std::string, CachedCheck> check_cache_;
  std::unordered_map<std::string, CachedGroupTally> group_tally_cache_;
  std::string index_key_;
  std::shared_ptr<const std::string> index_html_;
};

}  // namespace

std::string CampaignTopic(const std::string& slug) { return "campaign:" + slug; }

std::string CountsJson(const CampaignSnapshot& snap, UnixTime now,
                       const service::PublishedCheckpoint* log) {
  const Campaign& c = snap.campaign;
  nlohmann::ordered_json j;
  j["slug"] = c.slug;
  j["title"] = c.title;
  j["status"] = StatusName(StatusAt(c, now));
  j["goal"] = c.goal;
  j["confirmed"] = snap.counts.confirmed;
  UnixTime last = snap.counts.last_change;
  if (last == 0) last = c.modified != 0 ? c.modified : c.created;
  j["last_change"] = FormatIso8601(last);
  if (c.threshold) {
    j["threshold"] = *c.threshold;
    j["outcome"] = OutcomeName(c.outcome);
  }
  if (!c.groups.empty()) {
    // Counts by group, each exact only from the anonymity floor on.
    nlohmann::ordered_json groups = nlohmann::ordered_json::array();
    for (const pages::ShownGroup& g : pages::ShownGroups(c, snap.counts)) {
      nlohmann::ordered_json item;
      item["key"] = g.key;
      item["name"] = g.name;
      if (g.confirmed) {
        item["confirmed"] = *g.confirmed;
      } else {
        item["fewer_than"] = g.fewer_than;
      }
      if (g.goal) item["goal"] = *g.goal;
      groups.push_back(std::move(item));
    }
    j["groups"] = std::move(groups);
  }
  // Approved co-signing organizations, counted on their own.
  if (!snap.organizations.empty()) {
    j["organizations"] = static_cast<std::int64_t>(snap.organizations.size());
  }
  if (log != nullptr) {
    auto it = log->confirmed.find(c.uuid);
    j["log"] = {{"tree_size", log->size},
                {"confirmed", it == log->confirmed.end() ? 0 : it->second}};
  }
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

void RegisterPages(Router& router, PagesDeps deps) {
  auto site = std::make_shared<Site>(std::move(deps));
  auto bind = [site](Response (Site::*fn)(const Request&)) {
    return [site, fn](const Request& req) { return ((*site).*fn)(req); };
  };
  router.Get("/", bind(&Site::Index), {false, 0, "index"});
  router.Get("/c/{slug}", bind(&Site::CampaignPage), {false, 0, "campaign_page"});
  router.Get("/c/{slug}.json", bind(&Site::Counts), {false, 0, "campaign_json"});
  router.AddEventStream(
      "/c/{slug}/events", [site](const Request& req) { return site->Topic(req); },
      "campaign_events");
  router.Get("/c/{slug}/sign", bind(&Site::SignGet), {false, 0, "sign_get"});
  router.Get("/c/{slug}/sent", bind(&Site::Sent), {false, 0, "sign_sent"});
  router.PostAsync(
      "/c/{slug}/sign",
      [site](const Request& req, Respond respond) { site->Sign(req, std::move(respond)); },
      {false, kSignBodyLimit, "sign"});
  router.Get("/c/{slug}/share/mastodon", bind(&Site::MastodonShare), {false, 0, "share_mastodon"});
  router.Get("/s/confirm", bind(&Site::ConfirmPage), {true, 0, "confirm_page"});
  router.Post("/s/confirm", bind(&Site::ConfirmPost), {true, kTokenBodyLimit, "confirm"});
  router.Get("/s/withdraw", bind(&Site::WithdrawPage), {true, 0, "withdraw_page"});
  router.Post("/s/withdraw", bind(&Site::WithdrawPost), {true, kTokenBodyLimit, "withdraw"});
  router.Get("/favicon.ico",
             [](const Request&) {
               Response r = Response::Redirect("/static/favicon.svg", 301);
               r.Header("Cache-Control", "public, max-age=86400");
               return r;
             },
             {false, 0, "favicon"});
  router.SetNotFound(bind(&Site::NotFound));
}

}  // namespace undersigned::http
