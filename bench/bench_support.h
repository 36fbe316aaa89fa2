// bench_support.h: the pieces the bench helpers us_seed (seed.cc) and us_reveal (reveal.cc) share:
// reading "--flag value" arguments, exiting on an Error with the tool's name, storing an open
// campaign, and giving a NewSignature its token. Header-only; not part of the product. Free
// functions only, no state: thread-safe as far as their arguments are.

#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <utility>

#include "core/campaign.h"
#include "core/error.h"
#include "core/signature.h"
#include "store/store.h"

namespace undersigned::bench {

// Walks argv[1..] as "--flag value" pairs. For each flag calls on_flag(flag, value), where
// value() takes the next argument (usage("missing value for FLAG") when there is none);
// on_flag returns false for a flag it does not know (then usage("unknown argument FLAG")).
// usage does not return.
template <typename Usage, typename OnFlag>
void ParseFlags(int argc, char** argv, Usage usage, OnFlag on_flag) {
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + k).c_str());
      return argv[++i];
    };
    if (!on_flag(k, value)) usage(("unknown argument " + k).c_str());
  }
}

// Prints "TOOL: WHAT: CODE: MESSAGE" to stderr and exits 1.
[[noreturn]] inline void Die(const char* tool, const std::string& what, const Error& e) {
  std::fprintf(stderr, "%s: %s: %s: %s\n", tool, what.c_str(), CodeName(e.code), e.message.c_str());
  std::exit(1);
}

// The value of r, or Die(tool, what, r.error()).
template <typename T>
T OrDie(const char* tool, const std::string& what, Result<T> r) {
  if (!r) Die(tool, what, r.error());
  return std::move(*r);
}

// An open English campaign with one target and the given goal; not stored yet (add groups
// before CreateCampaignOrDie if needed).
inline Campaign OpenCampaign(std::string slug, std::string title, std::string demand,
                             std::string letter_markdown, Target target, std::int64_t goal) {
  Campaign c;
  c.slug = std::move(slug);
  c.title = std::move(title);
  c.demand = std::move(demand);
  c.letter_markdown = std::move(letter_markdown);
  c.targets.push_back(std::move(target));
  c.goal = goal;
  c.status = CampaignStatus::kOpen;
  c.language = "en";
  return c;
}

// Store::CreateCampaign(c), or Die(tool, "create campaign", ...).
inline Campaign CreateCampaignOrDie(const char* tool, Store& store, const Campaign& c) {
  return OrDie(tool, "create campaign", store.CreateCampaign(c));
}

// Sets s's token and its hash: token = make_token(), hash = hash_token(token).
template <typename MakeToken, typename HashToken>
void SetToken(NewSignature& s, MakeToken make_token, HashToken hash_token) {
  s.token = make_token();
  s.token_hash = hash_token(s.token);
}

}  // namespace undersigned::bench
