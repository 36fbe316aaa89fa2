// The auditor's two CLI commands, as functions the CLI calls (src/cli wires the flags):
//
//   undersigned log audit URL [--state FILE] [--key VKEY] [--max-leaves N]
//       -> RunAudit
//   undersigned log verify-receipt FILE --log URL [--key VKEY] [--email E]
//       -> RunVerifyReceipt
//
// URL is the site's base URL (e.g. http://127.0.0.1:8080; a trailing slash is fine). Output
// goes to `out`, problems to `err`. Exit codes: 0 verified/passed, 1 the log or the receipt
// does not check out (findings), 2 it could not be checked (bad arguments, unreadable files,
// the network).
//
// CheckReceiptAgainstLog is the testable core of verify-receipt: it takes a Fetch so tests can
// use an in-memory log.
//
// Thread-safety: the functions are reentrant.
#pragma once

#include <cstdint>
#include <ostream>
#include <string>
#include <string_view>

#include "audit/fetch.h"
#include "core/error.h"
#include "log/leaf.h"
#include "log/note.h"
#include "log/receipt.h"

namespace undersigned::audit {

inline constexpr int kExitOk = 0;
inline constexpr int kExitFindings = 1;
inline constexpr int kExitCannotCheck = 2;

struct AuditCommandOptions {
  std::string state_file = "undersigned-audit.json";  // empty: keep no state
  std::string key;                                    // empty: the state's, else /log/key
  uint64_t max_leaves = 100'000'000;
};

// Audits the log at url (see audit.h), prints the report to out, and saves the state on success.
int RunAudit(const std::string& url, const AuditCommandOptions& options, std::ostream& out,
             std::ostream& err);

// What verify-receipt proved.
struct ReceiptCheck {
  log::Leaf leaf;
  log::Checkpoint receipt_checkpoint;  // the checkpoint in the receipt (verified)
  log::Checkpoint live_checkpoint;     // the log's latest checkpoint (verified, consistent)
  bool identity_checked = false;
};

// Verifies the receipt offline with `key` (VerifyReceipt, identity being a canonical email or
// empty), then fetches the live /log/checkpoint (same key, same origin) and checks that it is
// consistent with the receipt's checkpoint (equal roots at equal sizes, else a consistency proof
// from /log/proof/consistency). Errors: kUnavailable when the log could not be reached or did not
// answer (could not check); any other code when the receipt or the log does not verify.
Result<ReceiptCheck> CheckReceiptAgainstLog(const Fetch& fetch, const log::Receipt& receipt,
                                            std::string_view key, std::string_view identity);

// Reads the receipt file and runs CheckReceiptAgainstLog against log_url (the receipt's log_url
// when empty), with key (the receipt's verifier_key when empty, which is said) and the
// canonical form of email (not checked when empty). Prints what was proved.
int RunVerifyReceipt(const std::string& receipt_file, const std::string& log_url,
                     const std::string& key, const std::string& email, std::ostream& out,
                     std::ostream& err);

}  // namespace undersigned::audit
