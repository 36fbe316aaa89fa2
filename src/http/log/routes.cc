#include "http/log/routes.h"

#include <charconv>

#include <nlohmann/json.hpp>

#include "log/encoding.h"

namespace undersigned::http {
namespace {

constexpr const char* kImmutable = "public, max-age=31536000, immutable";

Response Public(Response r, const char* cache_control) {
  r.Header("Access-Control-Allow-Origin", "*");
  r.Header("Cache-Control", cache_control);
  return r;
}

Response Bytes(std::string body) {
  Response r;
  r.content_type = "application/octet-stream";
  r.body = std::move(body);
  return Public(std::move(r), kImmutable);
}

// A required non-negative integer query parameter.
Result<std::uint64_t> Number(const Request& req, const char* name) {
  auto v = req.Query(name);
  if (!v || v->empty()) {
    return Fail(Code::kInvalidArgument, std::string("give ") + name + " as a whole number");
  }
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), n);
  if (ec != std::errc() || end != v->data() + v->size()) {
    return Fail(Code::kInvalidArgument, std::string(name) + " must be a whole number");
  }
  return n;
}

nlohmann::json HashArray(const std::vector<log::Hash>& hashes) {
  nlohmann::json a = nlohmann::json::array();
  for (const log::Hash& h : hashes) a.push_back(log::Base64Encode(h));
  return a;
}

class LogRoutes {
 public:
  explicit LogRoutes(LogRoutesDeps deps) : d_(deps) {}

  Response Checkpoint(const Request&) {
    auto latest = d_.log.Latest();
    if (!latest) return Unavailable();
    Response r = Response::Text(latest->note);
    return Public(std::move(r), "no-cache");
  }

  Response Key(const Request&) {
    return Public(Response::Text(d_.log.VerifierKey() + "\n"), "public, max-age=3600");
  }

  Response Tile(const Request& req) {
    const std::string path = "tile/" + req.Param("path");
    if (path.rfind("tile/entries/", 0) == 0) {
      auto id = log::ParseEntryBundlePath(path);
      if (!id) return Public(JsonError(id.error()), "no-cache");
      auto bytes = d_.log.EntryBundle(*id);
      if (!bytes) return Public(JsonError(bytes.error()), "no-cache");
      return Bytes(std::move(*bytes));
    }
    auto id = log::ParseTilePath(path);
    if (!id) return Public(JsonError(id.error()), "no-cache");
    auto bytes = d_.log.Tile(*id);
    if (!bytes) return Public(JsonError(bytes.error()), "no-cache");
    return Bytes(std::move(*bytes));
  }

  Response Inclusion(const Request& req) {
    auto index = Number(req, "index");
    if (!index) return Public(JsonError(index.error()), "no-cache");
    auto size = Number(req, "size");
    if (!size) return Public(JsonError(size.error()), "no-cache");
    auto proof = d_.log.InclusionProof(*index, *size);
    if (!proof) return Public(JsonError(proof.error()), "no-cache");
    nlohmann::ordered_json j = {
        {"leaf_index", *index}, {"tree_size", *size}, {"hashes", HashArray(*proof)}};
    return Public(Response::Json(j.dump()), kImmutable);
  }

  Response Consistency(const Request& req) {
    auto from = Number(req, "from");
    if (!from) return Public(JsonError(from.error()), "no-cache");
    auto to = Number(req, "to");
    if (!to) return Public(JsonError(to.error()), "no-cache");
    auto proof = d_.log.ConsistencyProof(*from, *to);
    if (!proof) return Public(JsonError(proof.error()), "no-cache");
    nlohmann::ordered_json j = {{"from", *from}, {"to", *to}, {"hashes", HashArray(*proof)}};
    return Public(Response::Json(j.dump()), kImmutable);
  }

  Response Counts(const Request&) {
    auto latest = d_.log.Latest();
    if (!latest) return Unavailable();
    return Public(Response::Json(latest->counts_json), "no-cache");
  }

  Response Receipt(const Request& req) {
    auto receipt = d_.log.Receipt(req.Query("t").value_or(""), d_.campaigns);
    if (!receipt) {
      Response r = JsonError(receipt.error());
      r.Header("Cache-Control", "no-store");
      if (receipt.error().code == Code::kUnavailable) r.Header("Retry-After", "5");
      return r;
    }
    Response r = Response::Json(std::move(*receipt));
    r.Header("Content-Disposition", "attachment; filename=\"undersigned-receipt.json\"");
    r.Header("Cache-Control", "no-store");
    r.Header("Referrer-Policy", "no-referrer");
    return r;
  }

 private:
  static Response Unavailable() {
    Response r = JsonError(Error{Code::kUnavailable, "the log has no checkpoint yet", {}, 0});
    r.Header("Retry-After", "2");
    return r;
  }

  LogRoutesDeps d_;
};

}  // namespace

void RegisterLogRoutes(Router& router, LogRoutesDeps deps) {
  if (!deps.log.enabled()) return;
  auto routes = std::make_shared<LogRoutes>(deps);
  auto bind = [routes](Response (LogRoutes::*fn)(const Request&)) {
    return [routes, fn](const Request& req) { return ((*routes).*fn)(req); };
  };
  router.Get("/log/checkpoint", bind(&LogRoutes::Checkpoint), {false, 0, "log_checkpoint"});
  router.Get("/log/key", bind(&LogRoutes::Key), {false, 0, "log_key"});
  router.Get("/log/counts", bind(&LogRoutes::Counts), {false, 0, "log_counts"});
  router.Get("/log/tile/{path...}", bind(&LogRoutes::Tile), {true, 0, "log_tile"});
  router.Get("/log/proof/inclusion", bind(&LogRoutes::Inclusion), {true, 0, "log_inclusion"});
  router.Get("/log/proof/consistency", bind(&LogRoutes::Consistency), {true, 0, "log_consistency"});
  router.Get("/s/receipt", bind(&LogRoutes::Receipt), {true, 0, "receipt"});
}

}  // namespace undersigned::http
