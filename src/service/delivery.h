// Delivery: the letter as it stands, ready to hand to its targets (issue 3, item 7): the text,
// the targets, the counts, the names of the confirmed signers who chose to be named (never the
// others: they are counted, not named), the co-signing organizations the organizers approved
// (name, website, statement; never their contact address), and the signature-log checkpoint that
// anyone can use to check the count (docs/log.md). Made from the store, so the CLI can produce it
// while the server runs, as a printable HTML page, CSV (the named signers) or JSON (everything).
//
// Pure functions over a Store; thread-safe as the Store is.
#pragma once

#include <cstdint>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

#include "core/campaign.h"
#include "core/error.h"
#include "core/organization.h"
#include "render/templates.h"
#include "store/store.h"

namespace undersigned::service {

struct DeliveredSigner {
  std::string name;
  std::string group;  // the group's name, for a campaign with declared groups
  bool verified = false;
  std::string place;  // "10115, Germany", either part may be missing
  std::string comment;
  UnixTime day = 0;  // confirmation time, rounded down to the day (UTC)
};

// A group's part of the letter (campaigns with declared groups). Counts below the campaign's
// anonymity floor are not given (shown stays empty): "fewer than K".
struct DeliveredGroup {
  SignerGroup group;
  std::optional<std::int64_t> shown;  // confirmed (verified, for employees), if >= the floor
  std::int64_t named = 0;             // of them, named below
  std::int64_t anonymous = 0;         // counted as "verified employee of X" only
  std::int64_t sealed = 0;            // names sealed until the group is larger
};

struct Delivery {
  Campaign campaign;
  std::vector<DeliveredGroup> groups;  // in the campaign's order; empty without groups
  std::int64_t confirmed = 0;          // every confirmed signature
  std::int64_t unnamed = 0;            // of which not named (they chose not to show their name)
  std::vector<DeliveredSigner> named;  // oldest first
  // Approved co-signing organizations, in the order they asked to co-sign.
  std::vector<Organization> organizations;
  // The latest signed checkpoint of the signature log, if the instance has one.
  struct Log {
    std::string checkpoint;  // the signed note
    std::uint64_t size = 0;
    std::int64_t confirmed = 0;  // this campaign's count at that checkpoint
  };
  std::optional<Log> log;
  UnixTime made = 0;
  std::string site_url;  // base URL, for the campaign link and the audit command
};

// kNotFound for an unknown campaign.
Result<Delivery> BuildDelivery(Store& store, const std::string& slug, UnixTime now,
                               const std::string& site_url);

// JSON: {"campaign":{slug,title,demand,letter_markdown,targets,deadline,threshold,outcome},
// "counts":{"confirmed","named","unnamed","by_group":{"public":N},"organizations"},
// "signers":[{name,place,comment,date}],"organizations":[{name,website,statement,date}],
// "log":{checkpoint,tree_size,confirmed,audit},"made"}. An organization's date is the day it
// was approved.
std::string DeliveryJson(const Delivery& d);
// CSV of the named signers: name,place,comment,date (formula-leading cells neutralised). The
// organizations are in the JSON and HTML only.
void DeliveryCsv(const Delivery& d, std::ostream& out);
// A printable, self-contained HTML page (templates/delivery.mustache).
Result<std::string> DeliveryHtml(const Delivery& d, const render::Templates& templates);

}  // namespace undersigned::service
