// CampaignStore: Campaigns, their texts and their counts as stored.
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include "store/types.h"

namespace undersigned {

class CampaignStore {
 public:
  virtual ~CampaignStore() = default;

  // Assigns id, uuid (if empty), created, modified. kConflict if the slug is taken.
  virtual Result<Campaign> CreateCampaign(const Campaign& c) = 0;
  // Replaces all fields of the campaign with c.id; sets modified. kNotFound, kConflict (slug).
  virtual Result<Campaign> UpdateCampaign(const Campaign& c) = 0;
  // The campaign's picture (core/campaign.h CampaignImage): keeps jpeg (already re-encoded,
  // render/logo.h) and its description together, replacing any earlier picture, and moves
  // modified. Returns the campaign as stored. kNotFound.
  virtual Result<Campaign> SetCampaignImage(std::int64_t campaign_id, const CampaignImage& image,
                                            std::string_view jpeg) = 0;
  // Removes the campaign's picture, if it has one; moves modified. kNotFound.
  virtual Result<Campaign> RemoveCampaignImage(std::int64_t campaign_id) = 0;
  // The stored JPEG of the campaign's picture; kNotFound when it has none.
  virtual Result<std::string> CampaignImageJpeg(std::int64_t campaign_id) = 0;
  virtual Result<Campaign> GetCampaignBySlug(const std::string& slug) = 0;
  virtual Result<Campaign> GetCampaignByUuid(const std::string& uuid) = 0;
  virtual Result<Campaign> GetCampaignById(std::int64_t id) = 0;
  // Every version of the campaign's text, oldest first (at least one for any campaign).
  virtual Result<std::vector<CampaignText>> CampaignTexts(std::int64_t campaign_id) = 0;
  // Newest first. status empty = all.
  virtual Result<Paged<Campaign>> ListCampaigns(std::optional<CampaignStatus> status,
                                                const TimeFilter& filter, Page page) = 0;
  // Campaigns whose foreign identifiers (Campaign::identifiers) include `identifier`, compared
  // exactly ("foreign_system:1234"); several may carry the same one. Newest first.
  virtual Result<Paged<Campaign>> ListCampaignsByIdentifier(const std::string& identifier,
                                                            std::optional<CampaignStatus> status,
                                                            const TimeFilter& filter,
                                                            Page page) = 0;
  // The earliest deadline of a campaign with a threshold and no outcome yet.
  virtual Result<std::optional<UnixTime>> NextOutcomeDeadline() = 0;

  // Counts of every campaign, keyed by campaign id; read once at start-up.
  virtual Result<std::map<std::int64_t, CampaignCounts>> LoadAllCounts() = 0;
};

}  // namespace undersigned
