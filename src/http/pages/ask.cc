// Asking the people who can move the targets (core/share_target.h): a page per person with the
// posts the organizers wrote, one offered in turn, ready to edit and send on each network.
//
//   GET /c/{slug}/ask/{n}        the n-th person (1-based): who they are, and a form per network
//                                (X, Bluesky, Mastodon where they have a handle; "elsewhere"
//                                naming them) with the post filled in: {handle} for that
//                                network, {count} the live count, {url} with the channel
//                                (?s=x...), so the dashboard counts what each brought.
//                                ?post=K shows the K-th post instead of the next in turn.
//   GET /c/{slug}/ask/{n}/send   network=, text= (as edited), server= (Mastodon's): 303 to the
//                                network's share intent with that text; 422 with the page and
//                                what was typed for a Mastodon server that is not one.
//
// The forms are GETs: they only lead elsewhere, and work without JavaScript or a cookie. Posts
// are offered in turn per node (a counter per person in memory): across nodes the turns
// interleave, which is as good for "not everyone posts the same words".
#include <atomic>
#include <charconv>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/utf8.h"
#include "http/pages/public_site.h"
#include "http/pages/share.h"
#include "http/url.h"
#include "http/wire.h"
#include "render/text.h"

namespace undersigned::http::pages {
namespace {

using render::Data;
using SnapshotPtr = std::shared_ptr<const service::CampaignSnapshot>;

constexpr std::size_t kMaxSentText = 4000;  // bytes of an edited post

// What the visitor typed, for the page shown again with a problem.
struct Typed {
  std::string network;
  std::string text;
  std::string server;
  std::string error;          // what to fix
  bool server_error = false;  // the error is the Mastodon server's, not the text's
};

std::string Handle(const SecondaryTarget& t, std::string_view network) {
  auto at = [](const std::string& h) { return h.starts_with("@") ? h : "@" + h; };
  if (network == "x" && !t.x_handle.empty()) return at(t.x_handle);
  if (network == "bluesky" && !t.bluesky_handle.empty()) return at(t.bluesky_handle);
  if (network == "mastodon" && !t.mastodon_handle.empty()) return at(t.mastodon_handle);
  return t.name;
}

// A whole number of 1 or more as typed in a URL ("/ask/{n}", "?post=K"); 0 for anything else.
std::size_t Ordinal(std::string_view text) {
  std::size_t n = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  return ec == std::errc() && p == text.data() + text.size() ? n : 0;
}

// n of "/ask/{n}", 1-based, within the campaign's list; 0 if none.
std::size_t PersonNumber(const std::string& param, const Campaign& c) {
  const std::size_t n = Ordinal(param);
  return n <= c.secondary_targets.size() ? n : 0;
}

// The post ?post=K names (K 1-based), 0-based and within count; the first if none or malformed.
std::size_t PostIndex(const Request& req, std::size_t count) {
  const std::size_t k = Ordinal(req.Query("post").value_or(""));
  return k >= 1 ? (k - 1) % count : 0;
}

class AskPages {
 public:
  explicit AskPages(SitePtr site) : site_(std::move(site)), kit_(site_->kit) {}

  Response Page(const Request& req) {
    SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    const std::size_t n = PersonNumber(req.Param("n"), snap->campaign);
    if (n == 0) return kit_.ErrorPage(NoSuchPerson(snap->campaign));
    const SecondaryTarget& t = snap->campaign.secondary_targets[n - 1];
    const std::size_t post = req.Query("post") ? PostIndex(req, t.posts.size())
                                               : NextTurn(snap->campaign.slug, n) % t.posts.size();
    return Render(*snap, n, post, Typed{}, 200);
  }

  Response Send(const Request& req) {
    SnapshotPtr snap = kit_.PublicSnapshot(req.Param("slug"));
    if (!snap) return kit_.ErrorPage(CampaignNotFound());
    const Campaign& c = snap->campaign;
    const std::size_t n = PersonNumber(req.Param("n"), c);
    if (n == 0) return kit_.ErrorPage(NoSuchPerson(c));
    const std::string back = "/c/" + PercentEncode(c.slug) + "/ask/" + std::to_string(n);
    Typed typed;
    typed.network = req.Query("network").value_or("");
    typed.text = req.Query("text").value_or("");
    typed.server = req.Query("server").value_or("");
    const std::size_t post = PostIndex(req, c.secondary_targets[n - 1].posts.size());
    if (Trim(typed.text).empty()) {
      typed.error = "Write something to post: the message is empty.";
    } else if (typed.text.size() > kMaxSentText || !IsValidUtf8(typed.text)) {
      typed.error =
          "The message is too long: keep it under " + std::to_string(kMaxSentText) + " characters.";
    }
    const std::string link = ChannelUrl(CampaignUrl(kit_.base_url(), c.slug), typed.network);
    std::string to;
    if (typed.error.empty()) {
      if (typed.network == "mastodon") {
        if (auto server = NormalizeMastodonServer(typed.server)) {
          to = MastodonShareUrl(*server, typed.text);
        } else {
          typed.error = "Enter the address of your Mastodon server, like mastodon.social.";
          typed.server_error = true;
        }
      } else {
        to = ShareIntentUrl(typed.network, typed.text, link, c.title);
        if (to.empty()) {
          return kit_.ErrorPage({400,
                                 "We do not know where to post this",
                                 {"Choose one of the buttons on the page: X, Bluesky, Mastodon, "
                                  "Facebook, WhatsApp, LinkedIn or email."},
                                 back,
                                 "Back to the posts"});
        }
      }
    }
    if (!typed.error.empty()) return Render(*snap, n, post, typed, 422);
    Response r = Response::Redirect(to, 303);
    r.Header("Cache-Control", "no-store");
    return r;
  }

 private:
  static ErrorSpec NoSuchPerson(const Campaign& c) {
    return {404,
            "Nobody here yet",
            {"This campaign names no such person to ask."},
            "/c/" + PercentEncode(c.slug),
            "Back to the campaign"};
  }

  // The next post in turn for the n-th person of the campaign (this node's count).
  std::size_t NextTurn(const std::string& slug, std::size_t n) {
    std::lock_guard lock(mu_);
    return turns_[slug + "#" + std::to_string(n)]++;
  }

  Response Render(const service::CampaignSnapshot& snap, std::size_t n, std::size_t post,
                  const Typed& typed, int status) {
    const Campaign& c = snap.campaign;
    const SecondaryTarget& t = c.secondary_targets[n - 1];
    const std::string url = CampaignUrl(kit_.base_url(), c.slug);
    const std::string count = render::FormatThousands(snap.counts.confirmed);
    Data d = LayoutData(c.language, "Ask " + t.name + ": " + c.title, kit_.site());
    d.set("noindex", Data(true));
    Data cd;
    cd.set("slug", c.slug);
    cd.set("title", c.title);
    cd.set("url", url);
    d.set("c", cd);
    Data person;
    person.set("name", t.name);
    person.set("about", render::TextOrNothing(t.about));
    d.set("person", person);
    std::vector<std::string> names;
    for (const Target& target : c.targets) names.push_back(target.name);
    d.set("targets", JoinNames(names));
    d.set("action", "/c/" + PercentEncode(c.slug) + "/ask/" + std::to_string(n) + "/send");
    d.set("post_number", std::to_string(post + 1));
    d.set("post_count", std::to_string(t.posts.size()));
    d.set("several", Data(t.posts.size() > 1));
    d.set("next_url", "/c/" + PercentEncode(c.slug) + "/ask/" + std::to_string(n) +
                          "?post=" + std::to_string((post + 1) % t.posts.size() + 1));
    const std::string& text = t.posts[post];
    render::DataList forms;
    // A form per network where the person has a handle: the post names them by it there.
    auto form = [&](const std::string& network, const char* label) {
      Data f;
      f.set("network", network);
      f.set("label", label);
      const bool retyped = typed.network == network;
      f.set("text", retyped ? typed.text
                            : FillPost(text, Handle(t, network), count, ChannelUrl(url, network)));
      f.set("error", retyped && !typed.error.empty() && !typed.server_error ? Data(typed.error)
                                                                            : Data(false));
      f.set("mastodon", Data(network == "mastodon"));
      forms.push_back(f);
    };
    if (!t.x_handle.empty()) form("x", "Post on X");
    if (!t.bluesky_handle.empty()) form("bluesky", "Post on Bluesky");
    if (!t.mastodon_handle.empty()) form("mastodon", "Post on Mastodon");
    d.set("forms", Data(forms));
    {
      Data elsewhere;
      const bool retyped = IsElsewhere(typed.network);
      elsewhere.set("text",
                    retyped ? typed.text : FillPost(text, t.name, count, ChannelUrl(url, "ask")));
      elsewhere.set("error", retyped && !typed.error.empty() ? Data(typed.error) : Data(false));
      d.set("elsewhere", elsewhere);
    }
    d.set("server", typed.server);
    d.set("server_error", typed.server_error ? Data(typed.error) : Data(false));
    auto html = kit_.Render("ask", d);
    if (!html) return kit_.InternalError();
    // Never cached: each visit is offered the next post.
    Response r = HtmlPage(*html, status, "no-store");
    // Each form is answered by a redirect to a network's share page (any Mastodon server; email
    // through mailto:), which form-action 'self' would block.
    r.Header("Content-Security-Policy", PolicyWithFormAction("https: mailto:"));
    return r;
  }

  static bool IsElsewhere(std::string_view network) {
    return network == "facebook" || network == "whatsapp" || network == "linkedin" ||
           network == "email";
  }

  SitePtr site_;
  PageKit& kit_;
  std::mutex mu_;  // guards turns_
  std::unordered_map<std::string, std::size_t> turns_;
};

}  // namespace

void AddAskRoutes(Router& router, const SitePtr& site) {
  auto ask = std::make_shared<AskPages>(site);
  router.Get("/c/{slug}/ask/{n}", [ask](const Request& req) { return ask->Page(req); },
             {false, 0, "ask_person"});
  router.Get("/c/{slug}/ask/{n}/send", [ask](const Request& req) { return ask->Send(req); },
             {false, 0, "ask_send"});
}

}  // namespace undersigned::http::pages
