// CampaignService: the use cases on campaigns that the CLI, the API and the pages share, and
// the in-memory snapshot of each campaign (campaign, exact counts, recent public signers) that
// pages and the JSON counts are served from without touching the store.
//
// Thread-safe. Does not own the Store or the Clock (app::App does). Snapshots are immutable
// and shared: readers hold a shared_ptr, writers swap in a new one after each committed change.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "core/campaign.h"
#include "core/clock.h"
#include "core/organization.h"
#include "core/signature.h"
#include "store/store.h"

namespace undersigned::service {

// What a page needs to render a campaign. version grows with every change, so a renderer may
// cache its output per (slug, version).
// counts.confirmed and counts.withdrawn are exact; counts.pending may lag (pending changes do
// not rebuild snapshots: they are not public, and signing is the hot path). Totals() is exact.
// The latest delivery of the letter to its targets (service/target_delivery.h), as the campaign
// page says it: "Delivered to ... on ..., with N signatures".
struct DeliveredNote {
  std::vector<std::string> targets;  // names of the targets it was mailed to
  UnixTime when = 0;
  std::int64_t confirmed = 0;
  bool operator==(const DeliveredNote&) const = default;
};

struct CampaignSnapshot {
  Campaign campaign;
  CampaignCounts counts;
  std::vector<PublicSigner> recent;         // newest first, at most kRecentSigners
  std::vector<Organization> organizations;  // approved co-signers, in the order they signed
  // Every version of the campaign's text, oldest first; the last is the current one (its hash
  // goes into the log leaves of signatures counted now). Shared between snapshots: it changes
  // only when the demand or the letter does. Never null once installed.
  std::shared_ptr<const std::vector<CampaignText>> texts;
  std::optional<DeliveredNote> delivered;  // none: not delivered by email yet
  std::uint64_t version = 0;
  // The current text's hash (log::TextHash), or empty if its versions could not be read.
  const std::string& text_hash() const;
};
inline constexpr int kRecentSigners = 10;

// Told after every committed change of a campaign's counts or fields (e.g. to publish the live
// count over server-sent events). Called without locks held, on the thread that made the change.
using SnapshotListener = std::function<void(const std::shared_ptr<const CampaignSnapshot>&)>;

class CampaignService {
 public:
  CampaignService(Store& store, const Clock& clock);

  // Loads every campaign's counts and recent signers. Call once at start-up.
  Result<void> Load();
  void SetListener(SnapshotListener listener);

  // Validates (field_errors set), stores, refreshes the snapshot. A deadline already passed is
  // kInvalidArgument (field "deadline").
  Result<Campaign> Create(Campaign c);
  // Replaces the fields of the campaign identified by c.id (or, if 0, by c.uuid). A new
  // deadline already passed, or opening a campaign whose deadline passed, is kInvalidArgument.
  Result<Campaign> Update(Campaign c);
  Result<Campaign> SetStatus(const std::string& slug, CampaignStatus status);

  // The campaign's picture. With uploaded bytes (a PNG or JPEG; render::NormalizePicture
  // re-encodes it as a JPEG, kInvalidArgument with field "image" when it cannot), sets or
  // replaces it; without (empty), keeps the stored picture and changes only its description
  // (kInvalidArgument, field "image", if there is none). alt is required (ValidateImageAlt,
  // field "image_alt"). Publishes the new snapshot; kNotFound for an unknown campaign.
  Result<Campaign> SetImage(std::int64_t campaign_id, std::string_view uploaded,
                            const std::string& alt);
  Result<Campaign> RemoveImage(std::int64_t campaign_id);
  // The bytes of the campaign's current picture (image names them): from memory once read (the
  // pictures of at most kCachedImages campaigns are kept), else from the store. kNotFound if
  // the campaign's picture is no longer `image`.
  Result<std::shared_ptr<const std::string>> ImageBytes(std::int64_t campaign_id,
                                                        const CampaignImage& image);
  static constexpr std::size_t kCachedImages = 64;
  Result<Campaign> GetBySlug(const std::string& slug);
  Result<Campaign> GetByUuid(const std::string& uuid);
  Result<Paged<Campaign>> List(std::optional<CampaignStatus> status, const TimeFilter& filter,
                               Page page);
  // Campaigns whose foreign identifiers (Campaign::identifiers) include identifier, exactly
  // ("foreign_system:1234"), filtered and paged like List.
  Result<Paged<Campaign>> ListByIdentifier(const std::string& identifier,
                                           std::optional<CampaignStatus> status,
                                           const TimeFilter& filter, Page page);

  // From memory; nullptr if there is no such campaign.
  std::shared_ptr<const CampaignSnapshot> Snapshot(const std::string& slug) const;
  std::shared_ptr<const CampaignSnapshot> SnapshotById(std::int64_t id) const;
  // Campaigns that take signatures at now (open, deadline not passed), newest first.
  std::vector<std::shared_ptr<const CampaignSnapshot>> OpenCampaigns(UnixTime now) const;
  // Totals over all campaigns, by state (for /metrics).
  CampaignCounts Totals() const;

  // Called by SigningService after a committed change: installs the new counts; a newly
  // confirmed public signer is pushed onto the recent list; a withdrawal of a public signer
  // reloads it from the store.
  void OnSignatureChange(std::int64_t campaign_id, const CampaignCounts& counts,
                         const Signature* confirmed_public, bool withdrawn_public);

  // Moderation (service/moderation.h): whether the campaign's comments wait for approval, so
  // that a signer published at once (OnSignatureChange) is shown without an unapproved comment.
  // Read at Load and Refresh; set here by the service that changes it.
  void SetCommentApproval(std::int64_t campaign_id, bool on);

  // Picks up campaigns created or edited by another process (the CLI, another node) since the
  // last call. The app calls it every few seconds (every second with several nodes).
  Result<int> Refresh();
  // Several nodes on one database: reads every campaign's counts from the store (the database is
  // the truth) and installs those that are newer than the held ones (more `changes`), with the
  // campaign's recent public signers re-read when its public counts moved, publishing each new
  // snapshot like a change made here. A node's own writes install their counts at once
  // (OnSignatureChange); this brings in the other nodes'. Returns how many campaigns changed.
  Result<int> PollCounts();
  // The snapshot of a campaign that takes signatures (and co-signers) at `now`: kNotFound for
  // an unknown or draft campaign, kConflict for a closed one or one past its deadline.
  Result<std::shared_ptr<const CampaignSnapshot>> OpenForSigning(const std::string& slug,
                                                                 UnixTime now) const;
  // Re-reads a campaign's approved organizations (after one was approved or rejected) and
  // publishes the new snapshot.
  Result<void> ReloadOrganizations(std::int64_t campaign_id);

 private:
  // Reads the campaign's latest delivery (store/outreach_store.h) into its snapshot.
  void InstallDelivered(const Campaign& c);
  // kInvalidArgument (field "groups") if after drops or re-kinds a group people signed in, or
  // stops offering one of its sealed thresholds.
  Result<void> CheckGroupChanges(const Campaign& before, const Campaign& after);
  // Replaces a campaign's organizations in its snapshot; nullptr if there is no such campaign.
  std::shared_ptr<const CampaignSnapshot> InstallOrganizations(
      std::int64_t campaign_id, std::vector<Organization> organizations);
  // Installs a new snapshot; keeps the current counts and recent signers unless given, and the
  // text versions unless c's demand or letter differ from the installed ones (then re-reads
  // them).
  std::shared_ptr<const CampaignSnapshot> Install(Campaign c, const CampaignCounts* counts,
                                                  const std::vector<PublicSigner>* recent);
  void Publish(const std::shared_ptr<const CampaignSnapshot>& snap);

  Store& store_;
  const Clock& clock_;
  mutable std::mutex mu_;
  std::unordered_map<std::int64_t, std::shared_ptr<const CampaignSnapshot>> by_id_;
  std::unordered_map<std::string, std::int64_t> id_by_slug_;
  std::unordered_map<std::int64_t, CampaignCounts> counts_;  // exact, incl. pending
  std::unordered_set<std::int64_t> comment_approval_;        // campaigns whose comments wait
  // Reads comment_approval_ for these campaigns from the store.
  Result<void> ReadCommentApprovals(const std::vector<std::int64_t>& campaign_ids);
  std::uint64_t next_version_ = 1;
  // ImageBytes' cache: campaign id -> the sha256 and bytes of its picture.
  std::mutex images_mu_;
  std::unordered_map<std::int64_t, std::pair<std::string, std::shared_ptr<const std::string>>>
      images_;
  UnixTime refreshed_until_ = 0;
  SnapshotListener listener_;
};

}  // namespace undersigned::service
