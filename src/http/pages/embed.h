// Embeds: a campaign's signing widget and live counter, made to be framed by other sites (a
// union's site, a news article), and the oEmbed answer that hands them out (issue 15).
//
//   GET  /c/{slug}/embed          the widget: title, demand, live count and the sign form
//   POST /c/{slug}/embed/sign     its form (sign.cc): "check your email" or the form again, in
//                                 the frame
//   GET  /c/{slug}/embed/count    the live counter alone, with a link to sign
//   GET  /oembed?url=...          oEmbed 1.0 (JSON) for a campaign's page or counter URL
//
// Framing: these pages alone send `frame-ancestors <sources>` (the config's
// server.embed_ancestors, "*" by default) and no X-Frame-Options; every other page keeps
// frame-ancestors 'none'. Nothing else of the Content-Security-Policy is relaxed: the frame runs
// only our own script and style, so the embedding site needs nothing but `frame-src` (or
// `child-src`) for this site in its own policy, and no script of ours runs on its page. With
// embedding off (server.embed_ancestors = "none") these routes are 404 and no page advertises
// oEmbed.
//
// The form in a frame cannot count on our CSRF cookie: a frame on another site is third-party,
// and browsers withhold SameSite cookies there (or all cookies). Its POST is accepted instead
// when the browser's Origin header names this site (present, not "null": only a page we served
// can send that, and browsers send Origin with every form POST) and the form carries a token the
// widget wrote within the last day (EmbedTokens). Clicking "Sign" in a hidden frame signs
// nothing: a signature counts only once confirmed from the signer's mailbox.
//
// Links in the frame open the full site in a new tab (target="_blank"), never in the frame.
//
// Ownership: one EmbedPages per PublicSite; the PageKit is borrowed. Thread-safety: every member
// may be called from any thread (the caches are behind a mutex).
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "core/clock.h"
#include "core/error.h"
#include "http/message.h"
#include "http/pages/page_kit.h"
#include "http/pages/views.h"
#include "render/spliced.h"
#include "service/campaigns.h"

namespace undersigned::http::pages {

// The CSP source list of server.embed_ancestors: "*" (any site), or http(s) origins separated
// by spaces or commas ("https://union.example.org https://*.news.example"), returned normalized
// (one space between sources). "none" or empty: embedding is off, "" is returned. Fails
// (kInvalidArgument, naming the source) on anything else: a path, a quote, a semicolon.
Result<std::string> ParseFrameAncestors(std::string_view value);

// The forms' tokens of the widget: base64url(HMAC(instance CSRF secret, "embed\n<slug>\n<day>")),
// valid the UTC day they were made and the next. Not bound to a visitor (see above).
class EmbedTokens {
 public:
  explicit EmbedTokens(const Csrf& csrf) : csrf_(csrf) {}
  std::string TokenFor(std::string_view slug, UnixTime now) const;
  bool Verify(std::string_view slug, std::string_view token, UnixTime now) const;

 private:
  const Csrf& csrf_;
};

// The iframe snippets a campaign's organizers copy (the console) and oEmbed hands out.
struct EmbedSnippet {
  std::string url;  // the frame's address
  int width = 0;    // CSS pixels
  int height = 0;
  std::string html;  // <iframe ...></iframe>
};
EmbedSnippet WidgetSnippet(std::string_view base_url, const Campaign& c, int max_width = 0,
                           int max_height = 0);
EmbedSnippet CounterSnippet(std::string_view base_url, const Campaign& c, int max_width = 0,
                            int max_height = 0);

class EmbedPages {
 public:
  using SnapshotPtr = std::shared_ptr<const service::CampaignSnapshot>;

  // frame_ancestors: ParseFrameAncestors's result ("" = embedding off).
  EmbedPages(PageKit& kit, std::string frame_ancestors);

  bool enabled() const { return !frame_ancestors_.empty(); }

  // GET /c/{slug}/embed, GET /c/{slug}/embed/count, GET /oembed.
  Response Widget(const Request& req);
  Response Counter(const Request& req);
  Response OEmbed(const Request& req);

  // The widget with a posted form as typed and its messages (sign.cc), status 422.
  Response WidgetWithForm(const SnapshotPtr& snap, FormState form);
  // A short page in the frame for what the form could not do (e: status, heading, text).
  Response Message(const ErrorSpec& e, const Campaign* c);
  // Makes r frameable by the configured ancestors (CSP frame-ancestors, no X-Frame-Options).
  void Frameable(Response* r) const;

  const EmbedTokens& tokens() const { return tokens_; }

 private:
  struct Cached {
    SnapshotPtr rendered;
    bool open = false;
    std::shared_ptr<const render::Spliced> page;
  };
  // GET of the widget or the counter: the cached page with this request's token, count and origin.
  Response Page(const Request& req, bool counter);
  // The widget (form = nullptr: for the cache, with slots 0 the token, 1-4 the count, 5 the
  // origin field) or the counter (slots 1-4).
  Result<std::string> Render(const SnapshotPtr& snap, bool open, const FormState* form,
                             bool counter);
  std::shared_ptr<const render::Spliced> CachedPage(const SnapshotPtr& snap, bool open,
                                                    bool counter);
  static std::array<std::string, 4> CountSlots(std::int64_t confirmed, std::int64_t goal);

  PageKit& kit_;
  const std::string frame_ancestors_;
  const std::string csp_;
  const std::string own_host_;
  EmbedTokens tokens_;

  std::mutex mu_;  // guards the caches
  std::unordered_map<std::string, Cached> widgets_;
  std::unordered_map<std::string, Cached> counters_;
};

}  // namespace undersigned::http::pages
