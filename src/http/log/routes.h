// The signature log over HTTP (issue 4): what auditors, monitors and signers fetch.
//
//   GET /log/checkpoint                      latest signed checkpoint (C2SP tlog-checkpoint)
//   GET /log/key                             the verifier key, one line
//   GET /log/tile/<L>/<N>[.p/<W>]            hash tiles (C2SP tlog-tiles), immutable
//   GET /log/tile/entries/<N>[.p/<W>]        entry bundles, immutable
//   GET /log/proof/inclusion?index=I&size=N  {"leaf_index","tree_size","hashes":[base64...]}
//   GET /log/proof/consistency?from=M&to=N   {"from","to","hashes":[base64...]}
//   GET /log/counts                          every campaign's count at the latest checkpoint
//   GET /s/receipt?t=<confirm token>         a signer's receipt (log/receipt.h), as a download
//
// Everything answers within the latest checkpoint: tiles and proofs beyond it are 404/400.
// All of it is public and readable from any origin, except receipts (only the signer has the
// token). With the log off none of these routes exist.
//
// Thread-safety: RegisterLogRoutes runs once at start-up; the handlers are thread-safe.
// Ownership: the services are borrowed and must outlive the Router.
#pragma once

#include "http/router.h"
#include "service/campaigns.h"
#include "service/log.h"

namespace undersigned::http {

struct LogRoutesDeps {
  service::LogService& log;
  service::CampaignService& campaigns;
};

void RegisterLogRoutes(Router& router, LogRoutesDeps deps);

}  // namespace undersigned::http
