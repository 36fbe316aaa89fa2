// us_micro: in-process micro-benchmarks (Google Benchmark) of the hot pure functions on the
// signing and page paths. Not a test; nothing here is registered with ctest.
//
//   build/<dir>/bench/us_micro [--benchmark_filter=REGEX] [--benchmark_min_time=0.2]

#include <benchmark/benchmark.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "core/clock.h"
#include "core/group.h"
#include "core/rate_limiter.h"
#include "core/signature.h"

#ifdef US_MICRO_PAGES
#include <cstdlib>
#include <memory>

#include "http/pages/views.h"
#include "render/templates.h"
#include "service/campaigns.h"
#endif

#ifdef US_MICRO_STORE
#include "store/sealed_fields.h"
#endif

#ifdef US_MICRO_RENDER
#include "render/escape.h"
#include "render/markdown.h"
#include "render/spliced.h"
#endif

namespace undersigned {
namespace {

void BM_CanonicalEmail_Plain(benchmark::State& state) {
  const std::string email = "Ada.Lovelace@Example.org";
  for (auto _ : state) benchmark::DoNotOptimize(CanonicalEmail(email));
}
BENCHMARK(BM_CanonicalEmail_Plain);

void BM_CanonicalEmail_GmailTag(benchmark::State& state) {
  const std::string email = "Ada.King.Lovelace+petitions@GoogleMail.com";
  for (auto _ : state) benchmark::DoNotOptimize(CanonicalEmail(email));
}
BENCHMARK(BM_CanonicalEmail_GmailTag);

SignatureForm TypicalForm() {
  SignatureForm f;
  f.name = "  Ada Lovelace ";
  f.email = "ada.lovelace+letters@example.org";
  f.postal_code = "EC1A 1BB";
  f.country = "GB";
  f.comment = "Because the streets belong to everyone, and safe cycling saves lives. Ça va?";
  f.public_name = true;
  f.wants_updates = true;
  return f;
}

void BM_ValidateSignatureForm_Valid(benchmark::State& state) {
  const SignatureForm form = TypicalForm();
  for (auto _ : state) {
    auto r = ValidateSignatureForm(form);
    if (!r) state.SkipWithError("typical form was rejected");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ValidateSignatureForm_Valid);

void BM_ValidateSignatureForm_Invalid(benchmark::State& state) {
  SignatureForm form = TypicalForm();
  form.email = "not an email";
  form.country = "XX1";
  for (auto _ : state) {
    auto r = ValidateSignatureForm(form);
    if (r) state.SkipWithError("invalid form was accepted");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ValidateSignatureForm_Invalid);

// A verified employee (issue 3): a work address at the group's domain, the name sealed until
// the group reaches a threshold it offers.
SignerGroup StaffGroup() {
  SignerGroup g;
  g.key = "staff";
  g.name = "Acme staff";
  g.kind = GroupKind::kEmployees;
  g.organization = "Acme";
  g.domains = {"acme.example", "acme-corp.example"};
  g.seal_thresholds = {50, 1000000};
  return g;
}
SignatureForm SealedEmployeeForm() {
  SignatureForm f = TypicalForm();
  f.group = "staff";
  f.work_email = "ada.lovelace@eng.acme.example";
  f.protection = Protection::kSealed;
  f.seal_threshold = 1000000;
  return f;
}

void BM_ValidateSignatureForm_SealedEmployee(benchmark::State& state) {
  const SignerGroup group = StaffGroup();
  const SignatureForm form = SealedEmployeeForm();
  for (auto _ : state) {
    auto r = ValidateSignatureForm(form, group);
    if (!r) state.SkipWithError("sealed employee form was rejected");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_ValidateSignatureForm_SealedEmployee);

#ifdef US_MICRO_STORE
// Sealing a signer's personal fields (the store does it before the row is written) and opening
// them (the reveal does it once per sealed name).
void BM_FieldSealer_Seal(benchmark::State& state) {
  const store::FieldSealer sealer(std::string(32, 'k'));
  const SignatureForm form = SealedEmployeeForm();
  for (auto _ : state) benchmark::DoNotOptimize(sealer.Seal(form));
}
BENCHMARK(BM_FieldSealer_Seal);

void BM_FieldSealer_Open(benchmark::State& state) {
  const store::FieldSealer sealer(std::string(32, 'k'));
  const std::string sealed = sealer.Seal(SealedEmployeeForm());
  for (auto _ : state) {
    auto r = sealer.Open(sealed);
    if (!r) state.SkipWithError("could not open");
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_FieldSealer_Open);
#endif  // US_MICRO_STORE

// The signing path: one address, taking tokens as fast as possible (allowed until empty, then
// refused: both branches are measured).
void BM_RateLimiter_Take_OneKey(benchmark::State& state) {
  static RateLimiter* limiter = nullptr;
  if (state.thread_index() == 0) {
    limiter = new RateLimiter(Clock::System(), RateLimit{1e12, 1e9, true});
  }
  for (auto _ : state) benchmark::DoNotOptimize(limiter->Take("203.0.113.7"));
  if (state.thread_index() == 0) {
    delete limiter;
    limiter = nullptr;
  }
}
BENCHMARK(BM_RateLimiter_Take_OneKey)->Threads(1)->Threads(2)->UseRealTime();

// Many distinct keys (as under a viral load from many addresses): map inserts and lookups.
void BM_RateLimiter_Take_ManyKeys(benchmark::State& state) {
  static RateLimiter* limiter = nullptr;
  static std::vector<std::string>* keys = nullptr;
  if (state.thread_index() == 0) {
    limiter = new RateLimiter(Clock::System(), RateLimit{600, 1.0, true});
    keys = new std::vector<std::string>();
    for (int i = 0; i < 100000; ++i) {
      keys->push_back("198.51." + std::to_string(i / 256 % 256) + "." + std::to_string(i % 256) +
                      ":" + std::to_string(i));
    }
  }
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 7919;
  for (auto _ : state) {
    benchmark::DoNotOptimize(limiter->Take((*keys)[i % keys->size()]));
    ++i;
  }
  if (state.thread_index() == 0) {
    state.counters["keys"] = static_cast<double>(limiter->Size());
    delete limiter;
    delete keys;
    limiter = nullptr;
    keys = nullptr;
  }
}
BENCHMARK(BM_RateLimiter_Take_ManyKeys)->Threads(1)->Threads(2)->UseRealTime();

#ifdef US_MICRO_RENDER

void BM_EscapeHtml(benchmark::State& state) {
  const std::string s =
      "Ada <script>alert(\"x\")</script> & Lovelace's comment, which is fairly long and "
      "mostly plain text with a few special characters like < > & \" ' here and there.";
  for (auto _ : state) benchmark::DoNotOptimize(render::EscapeHtml(s));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * s.size()));
}
BENCHMARK(BM_EscapeHtml);

void BM_RenderMarkdown_Letter(benchmark::State& state) {
  std::string md = "Dear Mayor,\n\n";
  for (int i = 0; i < 8; ++i) {
    md +=
        "We, the undersigned, ask you to **fund protected bike lanes** on every arterial road. "
        "See [the report](https://example.org/report) and <b>raw html</b> that must not pass.\n\n"
        "- Fewer injuries\n- Cleaner air\n\n";
  }
  md += "Sincerely,\n";
  for (auto _ : state) benchmark::DoNotOptimize(render::RenderMarkdown(md));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * md.size()));
}
BENCHMARK(BM_RenderMarkdown_Letter);

// The per-request part of serving a cached campaign page: splice the CSRF token into a
// pre-rendered page of about the real page's size.
void BM_SplicedFill_PageSize(benchmark::State& state) {
  std::string html = "<!doctype html><html><head><title>t</title></head><body>";
  while (html.size() < 12000) {
    html += "<p>Some campaign text that is fixed for every visitor of the page.</p>\n";
  }
  html += "<form method=post><input type=hidden name=csrf value=\"" + render::SlotPlaceholder(0) +
          "\"><button>Sign</button></form>";
  html += "<a href=\"/c/x?t=" + render::SlotPlaceholder(0) + "\">x</a></body></html>";
  const render::Spliced page = render::Spliced::Cut(html, 1);
  const std::string token = "dGhpcyBpcyBhIGNzcmYgdG9rZW4gb2YgMzIgYnl0ZXM";
  for (auto _ : state) benchmark::DoNotOptimize(page.Fill({token}));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * html.size()));
}
BENCHMARK(BM_SplicedFill_PageSize);

#endif  // US_MICRO_RENDER

#ifdef US_MICRO_PAGES

// A campaign as the benchmark serves it: two targets, a letter of a few paragraphs, ten recent
// public signers with comments.
service::CampaignSnapshot BenchSnapshot() {
  service::CampaignSnapshot snap;
  Campaign& c = snap.campaign;
  c.id = 1;
  c.uuid = "6f1c8f4e-2f55-4f0a-9d8e-0b7d2c1f5a10";
  c.slug = "bench";
  c.title = "Protected bike lanes on every arterial road";
  c.demand = "Fund protected bike lanes on every arterial road by 2027.";
  for (int i = 0; i < 5; ++i) {
    c.letter_markdown +=
        "We, the undersigned, ask you to **fund protected bike lanes** on every arterial road in "
        "the next budget. Painted lines do not stop cars; kerbs and bollards do.\n\n";
  }
  c.targets.push_back(Target{"Ana Rivera", "Mayor", "City of Springfield", "anarivera",
                             "anarivera.bsky.social", "@anarivera@mastodon.social"});
  c.targets.push_back(
      Target{"Tom Okafor", "Chair, Transport Committee", "City Council", "tomokafor", "", ""});
  c.goal = 100000;
  c.status = CampaignStatus::kOpen;
  c.created = c.modified = 1'790'000'000;
  snap.counts.confirmed = 1'000'000;
  snap.counts.last_change = 1'790'000'100;
  for (int i = 0; i < service::kRecentSigners; ++i) {
    PublicSigner p;
    p.name = "Signer " + std::to_string(i);
    p.comment = "Because it matters (" + std::to_string(i) + ")";
    p.confirmed = 1'790'000'000 + i;
    snap.recent.push_back(std::move(p));
  }
  snap.version = 1;
  return snap;
}

// What the server does when a campaign's cached page is stale (a new count or signer): build
// the template data from the snapshot and render campaign.mustache. Requests in between only
// splice in the CSRF token (BM_SplicedFill_PageSize).
void BM_RenderCampaignPage(benchmark::State& state) {
  auto templates = render::Templates::Load(render::FindAssetDir("templates"));
  if (!templates) {
    state.SkipWithError(("templates: " + templates.error().message).c_str());
    return;
  }
  const service::CampaignSnapshot snap = BenchSnapshot();
  http::pages::FormState form;
  form.csrf = render::SlotPlaceholder(0);
  std::size_t bytes = 0;
  for (auto _ : state) {
    render::Data d =
        http::pages::CampaignPageData(snap, "http://127.0.0.1:8080", http::pages::SiteInfo{}, true);
    d.set("form", http::pages::FormData(form));
    auto html = templates->Render("campaign", d);
    if (!html) {
      state.SkipWithError(("render: " + html.error().message).c_str());
      return;
    }
    bytes = html->size();
    benchmark::DoNotOptimize(html);
  }
  state.counters["page_bytes"] = static_cast<double>(bytes);
}
BENCHMARK(BM_RenderCampaignPage);

#endif  // US_MICRO_PAGES

}  // namespace
}  // namespace undersigned

BENCHMARK_MAIN();
