#include "audit/commands.h"

#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>

#include <nlohmann/json.hpp>

#include "audit/audit.h"
#include "core/signature.h"
#include "log/encoding.h"
#include "log/proof.h"

namespace undersigned::audit {
namespace {

using log::Hash;
using nlohmann::json;

std::string B64(const Hash& h) { return log::Base64Encode(h); }

Result<std::string> ReadFile(const std::string& path, size_t max) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Fail(Code::kNotFound, "cannot open " + path);
  std::string text;
  char buf[8192];
  while (in.read(buf, sizeof buf) || in.gcount() > 0) {
    text.append(buf, static_cast<size_t>(in.gcount()));
    if (text.size() > max) {
      return Fail(Code::kInvalidArgument,
                  path + " is larger than " + std::to_string(max) + " bytes: not a receipt");
    }
  }
  if (in.bad()) return Fail(Code::kInternal, "cannot read " + path);
  return text;
}

Result<std::vector<Hash>> ParseConsistencyResponse(std::string_view body, uint64_t from,
                                                   uint64_t to) {
  auto bad = [](const std::string& what) {
    return Fail(Code::kInvalidArgument, "the log's consistency proof is malformed: " + what);
  };
  json doc = json::parse(body.begin(), body.end(), nullptr, false);
  if (doc.is_discarded() || !doc.is_object()) return bad("not a JSON object");
  auto f = doc.find("from");
  auto t = doc.find("to");
  if (f == doc.end() || t == doc.end() || !f->is_number_unsigned() || !t->is_number_unsigned() ||
      f->get<uint64_t>() != from || t->get<uint64_t>() != to) {
    return bad("\"from\"/\"to\" are not what was asked for");
  }
  auto hashes = doc.find("hashes");
  if (hashes == doc.end() || !hashes->is_array() || hashes->size() > 128) {
    return bad("\"hashes\" is missing or not an array");
  }
  std::vector<Hash> out;
  for (const json& h : *hashes) {
    if (!h.is_string()) return bad("a hash is not a string");
    auto bytes = log::Base64Decode(h.get<std::string>());
    if (!bytes || bytes->size() != 32) return bad("a hash is not base64 of 32 bytes");
    Hash hash;
    std::copy(bytes->begin(), bytes->end(), hash.begin());
    out.push_back(hash);
  }
  return out;
}

// A light syntax check before canonicalising (CanonicalEmail expects a validated address).
bool LooksLikeEmail(std::string_view e) {
  const size_t at = e.find('@');
  if (at == std::string_view::npos || at == 0 || at + 1 >= e.size()) return false;
  if (e.find('@', at + 1) != std::string_view::npos) return false;
  for (char c : e) {
    if (static_cast<unsigned char>(c) <= ' ') return false;
  }
  return e.size() <= kMaxEmailBytes;
}

std::string TrimSpace(std::string s) {
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\n' || s.back() == '\r')) {
    s.pop_back();
  }
  size_t i = 0;
  while (i < s.size() && (s[i] == ' ' || s[i] == '\t')) ++i;
  return s.substr(i);
}

}  // namespace

int RunAudit(const std::string& url, const AuditCommandOptions& options, std::ostream& out,
             std::ostream& err) {
  auto base = NormalizeBaseUrl(url);
  if (!base) {
    err << "audit: " << base.error().message << "\n";
    return kExitCannotCheck;
  }
  HttpFetcher fetcher(*base);
  AuditOptions opts;
  opts.key = options.key;
  opts.state_file = options.state_file;
  opts.max_leaves = options.max_leaves;
  // Two more connections download tiles and entry bundles ahead of the verification.
  opts.make_fetch = [base = *base]() -> Fetch {
    auto fetcher = std::make_shared<HttpFetcher>(base);
    return [fetcher](const std::string& path) { return fetcher->Get(path); };
  };
  opts.read_ahead_threads = 2;
  out << "auditing the log of " << *base << "\n";
  auto report = Audit(fetcher.AsFetch(), opts);
  if (!report) {
    err << "audit: could not audit " << *base << ": " << report.error().message << "\n";
    return kExitCannotCheck;
  }
  report->Print(out);
  if (report->state_saved) {
    out << "state saved to " << options.state_file << " (size " << report->checkpoint.size
        << "); the next audit checks the log is consistent with it\n";
  } else if (!options.state_file.empty()) {
    out << "state file " << options.state_file << " not updated\n";
  }
  if (!report->passed()) {
    err << "audit: " << report->findings.size() << " finding"
        << (report->findings.size() == 1 ? "" : "s") << " (see above)\n";
    return kExitFindings;
  }
  return kExitOk;
}

Result<ReceiptCheck> CheckReceiptAgainstLog(const Fetch& fetch, const log::Receipt& receipt,
                                            std::string_view key, std::string_view identity) {
  ReceiptCheck check;
  auto cp = log::VerifyReceipt(receipt, key, identity);
  if (!cp) return Fail(cp.error());
  check.receipt_checkpoint = *cp;
  check.identity_checked = !identity.empty();
  check.leaf = *log::ParseLeaf(receipt.leaf);  // VerifyReceipt parsed it

  auto note = fetch("/log/checkpoint");
  if (!note) {
    return Fail(Code::kUnavailable, "cannot fetch the live checkpoint: " + note.error().message);
  }
  auto live = log::VerifyCheckpoint(*note, key, receipt.origin);
  if (!live) {
    Error e = live.error();
    e.message = "the live checkpoint (/log/checkpoint) is not valid: " + e.message;
    return Fail(std::move(e));
  }
  check.live_checkpoint = *live;
  if (live->size < cp->size) {
    return Fail(Code::kInvalidArgument, "the live log has " + std::to_string(live->size) +
                                            " leaves, fewer than the receipt's checkpoint (" +
                                            std::to_string(cp->size) +
                                            "): the log was rolled back or forked");
  }
  if (live->size == cp->size) {
    if (live->root != cp->root) {
      return Fail(Code::kInvalidArgument, "the live log has the receipt's size (" +
                                              std::to_string(cp->size) + ") but another root (" +
                                              B64(live->root) + " vs " + B64(cp->root) +
                                              "): the log was forked");
    }
    return check;
  }
  const std::string path = "/log/proof/consistency?from=" + std::to_string(cp->size) +
                           "&to=" + std::to_string(live->size);
  auto body = fetch(path);
  if (!body) {
    return Fail(Code::kUnavailable, "cannot fetch the consistency proof: " + body.error().message);
  }
  auto proof = ParseConsistencyResponse(*body, cp->size, live->size);
  if (!proof) return Fail(proof.error());
  if (auto ok = log::VerifyConsistency(cp->size, live->size, *proof, cp->root, live->root); !ok) {
    return Fail(Code::kInvalidArgument,
                "the live log (size " + std::to_string(live->size) +
                    ") is not consistent with the receipt's checkpoint (size " +
                    std::to_string(cp->size) + "): the consistency proof does not verify (" +
                    ok.error().message + ")");
  }
  return check;
}

int RunVerifyReceipt(const std::string& receipt_file, const std::string& log_url,
                     const std::string& key, const std::string& email, std::ostream& out,
                     std::ostream& err) {
  auto text = ReadFile(receipt_file, log::kMaxReceiptBytes);
  if (!text) {
    err << "verify-receipt: " << text.error().message << "\n";
    return kExitCannotCheck;
  }
  auto receipt = log::ParseReceipt(*text);
  if (!receipt) {
    err << "verify-receipt: " << receipt_file
        << " is not a valid receipt: " << receipt.error().message << "\n";
    return kExitFindings;
  }
  std::string vkey = key;
  if (vkey.empty()) {
    vkey = receipt->verifier_key;
    out << "key: " << vkey << " (from the receipt: the key the site gave when it issued it; "
        << "pass --key with the key published elsewhere to rule out a site that re-signs)\n";
  } else {
    out << "key: " << vkey << " (from --key)\n";
    if (vkey != receipt->verifier_key) {
      out << "note: the receipt names another key (" << receipt->verifier_key << ")\n";
    }
  }
  std::string identity;
  if (!email.empty()) {
    const std::string trimmed = TrimSpace(email);
    if (!LooksLikeEmail(trimmed)) {
      err << "verify-receipt: \"" << email << "\" is not an email address\n";
      return kExitCannotCheck;
    }
    identity = CanonicalEmail(trimmed);
  }
  std::string url = log_url.empty() ? receipt->log_url : log_url;
  auto base = NormalizeBaseUrl(url);
  if (!base) {
    err << "verify-receipt: --log: " << base.error().message << "\n";
    return kExitCannotCheck;
  }
  if (log_url.empty()) out << "log: " << *base << " (from the receipt)\n";
  HttpFetcher fetcher(*base);
  auto check = CheckReceiptAgainstLog(fetcher.AsFetch(), *receipt, vkey, identity);
  if (!check) {
    if (check.error().code == Code::kUnavailable) {
      err << "verify-receipt: could not check against " << *base << ": " << check.error().message
          << "\n";
      return kExitCannotCheck;
    }
    err << "verify-receipt: FAILED: " << check.error().message << "\n";
    return kExitFindings;
  }
  const std::string campaign = receipt->campaign_slug.empty()
                                   ? receipt->campaign_uuid
                                   : receipt->campaign_slug + " (\"" + receipt->campaign_title +
                                         "\", " + receipt->campaign_uuid + ")";
  out << "receipt: leaf #" << receipt->leaf_index << ", event "
      << log::LeafEventName(check->leaf.event) << ", group " << check->leaf.group << ", day "
      << check->leaf.day << "\n";
  if (check->identity_checked) {
    out << "identity: the leaf's commitment is to " << identity << "\n";
  }
  if (receipt->text) {
    out << "text: version " << receipt->text->version << " of the demand and letter, which the "
        << "leaf names (text " << check->leaf.text << "); it is in the receipt\n";
  } else {
    out << "text: none named (a leaf logged before campaign texts were versioned)\n";
  }
  out << "VERIFIED: signature #" << receipt->leaf_index << " of campaign " << campaign
      << " is in the log " << check->receipt_checkpoint.origin << " at size "
      << check->receipt_checkpoint.size << "; the live log (size " << check->live_checkpoint.size
      << ") is consistent with it\n";
  return kExitOk;
}

}  // namespace undersigned::audit
