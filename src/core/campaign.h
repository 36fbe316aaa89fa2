// A campaign: a petition or open letter addressed to one or more targets. Plain data plus the
// validation rules that the CLI, the API and the store all share.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "core/group.h"
#include "core/share_target.h"

namespace undersigned {

// A decision maker the campaign is addressed to.
struct Target {
  std::string name;             // required, "Marc Benioff"
  std::string title;            // "Chief Executive Officer"
  std::string organization;     // "Salesforce"
  std::string x_handle;         // without the @, "benioff"
  std::string bluesky_handle;   // "benioff.bsky.social"
  std::string mastodon_handle;  // "@benioff@mastodon.social"
  // Where the letter is delivered by email (service/target_delivery.h); optional. Never shown
  // on public pages.
  std::string email;

  bool operator==(const Target&) const = default;
};

// The picture shown at the top of a campaign's page (uploaded by an organizer, re-encoded as a
// JPEG by render/logo.h; the bytes are kept by the store apart from the campaign, read only to
// serve them). Here is what describes it.
struct CampaignImage {
  std::string sha256;  // hex of the stored JPEG: names this version (its URL and ETag)
  std::string alt;     // what the picture shows, for those who cannot see it; 1..300 bytes
  int width = 0;       // pixels of the stored JPEG
  int height = 0;

  bool operator==(const CampaignImage&) const = default;
};
inline constexpr std::size_t kMaxImageAltBytes = 300;
// kInvalidArgument (field "image_alt") unless alt is 1..kMaxImageAltBytes bytes of UTF-8 text
// without control characters, and not only spaces.
Result<void> ValidateImageAlt(const std::string& alt);

enum class CampaignStatus { kDraft, kOpen, kClosed };
const char* StatusName(CampaignStatus s);
std::optional<CampaignStatus> ParseStatus(std::string_view s);

// Where a campaign with a threshold stands: pending until its confirmed count reaches the
// threshold (succeeded, for good) or its deadline passes first (failed, for good).
enum class CampaignOutcome { kPending, kSucceeded, kFailed };
const char* OutcomeName(CampaignOutcome o);
std::optional<CampaignOutcome> ParseOutcome(std::string_view s);
inline constexpr std::size_t kMaxOrganizers = 20;

struct Campaign {
  std::int64_t id = 0;          // store's row id; 0 until stored
  std::string uuid;             // public identifier, "undersigned:<uuid>" in the API
  std::string slug;             // [a-z0-9-], 3..64 chars, unique; the page is /c/<slug>
  std::string title;            // 1..200 chars
  std::string demand;           // short demand shown under the title, 0..500 chars
  std::string letter_markdown;  // letter body in Markdown, rendered safely
  // A short introduction for readers, apart from the letter (the OSDI petition's
  // `description`; Action Network clients send both and read both back). Plain text, 0..2000.
  std::string description;
  // Who runs the campaign, shown as "Organized by ..." on its page: the group or person
  // signers give their names to. Plain text, 0..200; empty: the page says it is not given.
  std::string organized_by;
  std::vector<Target> targets;  // at least one
  // People who can move the targets, with posts for supporters to send them
  // (core/share_target.h). May be empty.
  std::vector<SecondaryTarget> secondary_targets;
  std::int64_t goal = 0;  // signature goal, >= 1
  // The first instant the campaign is closed. A date typed for it ("2026-12-31") means the end
  // of that day in time_zone (core/time_zone.h, ParseDeadline), resolved when it is set.
  std::optional<UnixTime> deadline;
  std::string time_zone = "UTC";  // IANA zone of the deadline's day, "Europe/Paris"
  CampaignStatus status = CampaignStatus::kDraft;
  std::string language = "en";  // BCP 47, "en", "fr", "pt-BR"
  // Identifiers other systems gave this campaign, as OSDI "system:id" strings
  // ("foreign_system:1234"), kept in the order received. Foreign ones only: our own
  // ("undersigned:<uuid>", "action_network:<uuid>") are derived from uuid, never stored here.
  std::vector<std::string> identifiers;
  // "This letter goes to the CEO only if 500 sign by Friday": with a threshold (which needs a
  // deadline), the campaign succeeds the moment its confirmed count reaches the threshold and
  // stays succeeded (later withdrawals do not undo it; late signers are still welcome until the
  // deadline), or fails when the deadline passes first. Signers and organizers are mailed the
  // outcome exactly once.
  std::optional<std::int64_t> threshold;
  std::vector<std::string> organizers;  // addresses told of the outcome, at most kMaxOrganizers
  // Who may sign and how each group is proven (core/group.h). Empty: everyone signs in the one
  // public group (DefaultPublicGroup). A group's count is public only from anonymity_floor on.
  std::vector<SignerGroup> groups;
  int anonymity_floor = kDefaultAnonymityFloor;
  // Set by the store only, through CampaignStore::SetCampaignImage / RemoveCampaignImage;
  // ignored by Create/Update (an edit keeps the stored picture).
  std::optional<CampaignImage> image;
  // Set by the store only, in the transaction that decides it; ignored by Create/Update.
  CampaignOutcome outcome = CampaignOutcome::kPending;
  std::optional<UnixTime> outcome_at;
  UnixTime created = 0;
  UnixTime modified = 0;

  bool operator==(const Campaign&) const = default;
};

// True if c takes signatures at now: open, and its deadline (if any) not yet reached.
bool TakesSignatures(const Campaign& c, UnixTime now);
// The status every surface shows at now (CLI, pages, JSON, API): the stored one, except that an
// open campaign whose deadline has passed is closed.
CampaignStatus StatusAt(const Campaign& c, UnixTime now);

// Checks every field; field_errors names each bad field. Does not check slug uniqueness
// (the store does, answering kConflict).
Result<void> ValidateCampaign(const Campaign& c);

// Counts kept for each campaign, exact; confirmed is what the public sees.
struct GroupCount {
  std::string key;
  std::int64_t confirmed = 0;  // verified, for a group proven by domain
  bool operator==(const GroupCount&) const = default;
};
struct CampaignCounts {
  std::int64_t pending = 0;
  std::int64_t confirmed = 0;
  std::int64_t withdrawn = 0;
  UnixTime last_change = 0;
  // Grows by one with every committed change of these counts (kept by the store in the same
  // transaction), so readers can tell which of two answers is newer.
  std::int64_t changes = 0;
  // Confirmed signatures by group, for campaigns that declare groups (empty otherwise), in no
  // particular order; a group nobody signed yet is absent.
  std::vector<GroupCount> groups;
};

// The groups signers of c choose from: its declared groups, or the one public group.
std::vector<SignerGroup> EffectiveGroups(const Campaign& c);
// The group with this key (empty key: the public group if there is one, else the first), or
// nullptr.
const SignerGroup* FindGroup(const Campaign& c, std::string_view key);
// Confirmed count of a group in counts (0 if absent).
std::int64_t GroupConfirmed(const CampaignCounts& counts, std::string_view key);

}  // namespace undersigned
