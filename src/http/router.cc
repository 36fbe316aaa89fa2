#include "http/router.h"

#include <algorithm>
#include <stdexcept>

#include <spdlog/spdlog.h>

namespace undersigned::http {
namespace {

constexpr int kScoreLiteral = 3;
constexpr int kScoreAffixed = 2;
constexpr int kScoreParam = 1;
constexpr int kScoreRest = 0;

bool ValidParamName(std::string_view n) {
  if (n.empty()) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

Router::Segment ParseSegment(std::string_view seg, bool last, std::string_view pattern) {
  auto bad = [&](const char* why) {
    return std::invalid_argument("route pattern \"" + std::string(pattern) + "\": " + why);
  };
  Router::Segment s;
  std::size_t open = seg.find('{');
  if (open == std::string_view::npos) {
    if (seg.find('}') != std::string_view::npos) throw bad("unbalanced '}'");
    s.type = Router::Segment::Type::kLiteral;
    s.literal = std::string(seg);
    return s;
  }
  std::size_t close = seg.find('}', open);
  if (close == std::string_view::npos) throw bad("unbalanced '{'");
  if (seg.find('{', open + 1) != std::string_view::npos) throw bad("one parameter per segment");
  std::string_view name = seg.substr(open + 1, close - open - 1);
  std::string_view prefix = seg.substr(0, open);
  std::string_view suffix = seg.substr(close + 1);
  if (suffix.find('}') != std::string_view::npos) throw bad("unbalanced '}'");
  if (name.size() > 3 && name.substr(name.size() - 3) == "...") {
    if (!last || !prefix.empty() || !suffix.empty()) {
      throw bad("a rest parameter must be a whole last segment");
    }
    s.type = Router::Segment::Type::kRest;
    s.name = std::string(name.substr(0, name.size() - 3));
  } else {
    s.type = Router::Segment::Type::kParam;
    s.name = std::string(name);
    s.literal = std::string(prefix);
    s.suffix = std::string(suffix);
  }
  if (!ValidParamName(s.name)) throw bad("bad parameter name");
  return s;
}

bool MatchSegment(const Router::Segment& s, std::string_view seg) {
  switch (s.type) {
    case Router::Segment::Type::kLiteral:
      return seg == s.literal;
    case Router::Segment::Type::kParam:
      return seg.size() > s.literal.size() + s.suffix.size() &&
             seg.substr(0, s.literal.size()) == s.literal &&
             seg.substr(seg.size() - s.suffix.size()) == s.suffix;
    case Router::Segment::Type::kRest:
      return !seg.empty();
  }
  return false;
}

bool MatchRoute(const Router::Route& r, std::span<const std::string_view> segs) {
  const auto& ps = r.segments;
  bool rest = !ps.empty() && ps.back().type == Router::Segment::Type::kRest;
  if (rest ? segs.size() < ps.size() : segs.size() != ps.size()) return false;
  for (std::size_t i = 0; i < ps.size(); ++i) {
    if (!MatchSegment(ps[i], segs[i])) return false;
  }
  return true;
}

void FillParams(const Router::Route& r, std::span<const std::string_view> segs,
                std::map<std::string, std::string>* params) {
  for (std::size_t i = 0; i < r.segments.size(); ++i) {
    const auto& s = r.segments[i];
    if (s.type == Router::Segment::Type::kParam) {
      std::string_view seg = segs[i];
      (*params)[s.name] = std::string(
          seg.substr(s.literal.size(), seg.size() - s.literal.size() - s.suffix.size()));
    } else if (s.type == Router::Segment::Type::kRest) {
      std::string joined;
      for (std::size_t j = i; j < segs.size(); ++j) {
        if (j > i) joined += '/';
        joined += segs[j];
      }
      (*params)[s.name] = std::move(joined);
    }
  }
}

bool MethodMatches(std::string_view route_method, std::string_view method) {
  return route_method == method || (method == "HEAD" && route_method == "GET");
}

}  // namespace

void Respond::operator()(Response response) const noexcept {
  if (state_ == nullptr) {
    spdlog::debug("http: empty Respond called; ignored");
    return;
  }
  if (state_->answered_.exchange(true, std::memory_order_acq_rel)) {
    spdlog::debug("http: request answered twice; second answer ignored");
    return;
  }
  state_->Deliver(std::move(response), false);
}

Response Respond::DroppedResponse() { return Response::Text("Internal server error\n", 500); }

void Respond::Release(State* state) noexcept {
  if (state->refs_.fetch_sub(1, std::memory_order_acq_rel) != 1) return;
  if (!state->answered_.exchange(true, std::memory_order_acq_rel)) state->Deliver({}, true);
  delete state;
}

void SplitPath(std::string_view path, std::vector<std::string_view>* segments) {
  segments->clear();
  if (!path.empty() && path.front() == '/') path.remove_prefix(1);
  std::size_t pos = 0;
  for (;;) {
    std::size_t slash = path.find('/', pos);
    if (slash == std::string_view::npos) {
      segments->push_back(path.substr(pos));
      return;
    }
    segments->push_back(path.substr(pos, slash - pos));
    pos = slash + 1;
  }
}

Router::Route& Router::AddRoute(Kind kind, std::string_view method, std::string_view pattern,
                                RouteOptions options) {
  if (pattern.empty() || pattern.front() != '/') {
    throw std::invalid_argument("route pattern must start with '/': " + std::string(pattern));
  }
  if (method.empty()) throw std::invalid_argument("route method is empty");
  auto r = std::make_unique<Route>();
  r->kind = kind;
  r->method = std::string(method);
  std::transform(r->method.begin(), r->method.end(), r->method.begin(),
                 [](unsigned char c) { return static_cast<char>(std::toupper(c)); });
  r->pattern = std::string(pattern);
  std::vector<std::string_view> segs;
  SplitPath(pattern, &segs);
  for (std::size_t i = 0; i < segs.size(); ++i) {
    r->segments.push_back(ParseSegment(segs[i], i + 1 == segs.size(), pattern));
    const Segment& s = r->segments.back();
    r->score.push_back(s.type == Segment::Type::kLiteral         ? kScoreLiteral
                       : s.type == Segment::Type::kRest          ? kScoreRest
                       : (s.literal.empty() && s.suffix.empty()) ? kScoreParam
                                                                 : kScoreAffixed);
  }
  if (options.name.empty()) options.name = r->pattern;
  r->options = std::move(options);
  r->index = routes_.size();
  routes_.push_back(std::move(r));
  return *routes_.back();
}

void Router::Add(std::string_view method, std::string_view pattern, Handler handler,
                 RouteOptions options) {
  if (!handler) throw std::invalid_argument("route handler is empty");
  AddRoute(Kind::kHandler, method, pattern, std::move(options)).handler = std::move(handler);
}

void Router::AddAsync(std::string_view method, std::string_view pattern, AsyncHandler handler,
                      RouteOptions options) {
  if (!handler) throw std::invalid_argument("route handler is empty");
  AddRoute(Kind::kAsync, method, pattern, std::move(options)).async_handler = std::move(handler);
}

void Router::AddEventStream(std::string_view pattern, TopicFor topic_for, std::string name) {
  if (!topic_for) throw std::invalid_argument("event stream topic function is empty");
  RouteOptions options;
  options.name = std::move(name);
  AddRoute(Kind::kEventStream, "GET", pattern, std::move(options)).topic_for = std::move(topic_for);
}

Result<void> Router::AddStatic(std::string_view prefix, const std::filesystem::path& directory,
                               std::string name) {
  auto files = StaticFiles::Load(directory);
  if (!files) return tl::unexpected(files.error());
  std::string pattern(prefix);
  while (!pattern.empty() && pattern.back() == '/') pattern.pop_back();
  pattern += "/{path...}";
  RouteOptions options;
  options.name = std::move(name);
  AddRoute(Kind::kStatic, "GET", pattern, std::move(options)).statics = std::move(*files);
  return {};
}

Router::Match Router::Find(std::string_view method, std::span<const std::string_view> segments,
                           std::map<std::string, std::string>* params) const {
  Match m;
  const Route* best = nullptr;
  bool any_path_match = false;
  for (const auto& rp : routes_) {
    const Route& r = *rp;
    if (!MatchRoute(r, segments)) continue;
    any_path_match = true;
    if (!MethodMatches(r.method, method)) continue;
    if (best == nullptr || r.score > best->score ||
        (r.score == best->score && r.method == method && best->method != method)) {
      best = &r;
    }
  }
  if (best != nullptr) {
    m.route = best;
    if (params != nullptr) FillParams(*best, segments, params);
    return m;
  }
  if (!any_path_match) return m;
  // 405: collect the methods of every route whose pattern matches.
  std::vector<std::string> methods;
  for (const auto& rp : routes_) {
    if (!MatchRoute(*rp, segments)) continue;
    methods.push_back(rp->method);
    if (rp->method == "GET") methods.push_back("HEAD");
  }
  std::sort(methods.begin(), methods.end());
  methods.erase(std::unique(methods.begin(), methods.end()), methods.end());
  m.method_not_allowed = true;
  for (const auto& mm : methods) {
    if (!m.allow.empty()) m.allow += ", ";
    m.allow += mm;
  }
  return m;
}

}  // namespace undersigned::http
