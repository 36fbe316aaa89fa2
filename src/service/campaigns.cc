#include "service/campaigns.h"

#include <algorithm>

#include <spdlog/spdlog.h>

#include "log/encoding.h"
#include "log/merkle.h"
#include "render/logo.h"
#include "service/ids.h"
#include "service/tx/scripts.h"

namespace undersigned::service {

const std::string& CampaignSnapshot::text_hash() const {
  static const std::string kNone;
  return texts && !texts->empty() ? texts->back().hash : kNone;
}

CampaignService::CampaignService(Store& store, const Clock& clock) : store_(store), clock_(clock) {}

void CampaignService::SetListener(SnapshotListener listener) {
  std::lock_guard lock(mu_);
  listener_ = std::move(listener);
}

Result<void> CampaignService::Load() {
  auto counts = store_.LoadAllCounts();
  if (!counts) return Fail(counts.error());
  {
    std::lock_guard lock(mu_);
    counts_ = {counts->begin(), counts->end()};
  }
  refreshed_until_ = clock_.Now();
  std::vector<std::int64_t> ids;
  for (int page = 1;; ++page) {
    auto list = store_.ListCampaigns(std::nullopt, {}, Page{page, 100});
    if (!list) return Fail(list.error());
    if (list->items.empty()) break;
    for (Campaign& c : list->items) {
      auto recent = store_.RecentPublicSigners(c.id, kRecentSigners);
      if (!recent) return Fail(recent.error());
      auto orgs = store_.ListOrganizations(c.id, OrganizationState::kApproved);
      if (!orgs) return Fail(orgs.error());
      CampaignCounts cc;
      if (auto it = counts->find(c.id); it != counts->end()) cc = it->second;
      auto snap = Install(std::move(c), &cc, &*recent);
      InstallDelivered(snap->campaign);
      InstallOrganizations(snap->campaign.id, std::move(*orgs));
      ids.push_back(snap->campaign.id);
    }
  }
  return ReadCommentApprovals(ids);
}

Result<void> CampaignService::ReadCommentApprovals(const std::vector<std::int64_t>& ids) {
  auto on = tx::CommentApprovals(store_, ids);
  if (!on) return Fail(on.error());
  std::lock_guard lock(mu_);
  for (std::int64_t id : ids) comment_approval_.erase(id);
  comment_approval_.insert(on->begin(), on->end());
  return {};
}

void CampaignService::SetCommentApproval(std::int64_t campaign_id, bool on) {
  std::lock_guard lock(mu_);
  if (on) {
    comment_approval_.insert(campaign_id);
  } else {
    comment_approval_.erase(campaign_id);
  }
}

std::shared_ptr<const CampaignSnapshot> CampaignService::Install(
    Campaign c, const CampaignCounts* counts, const std::vector<PublicSigner>* recent) {
  auto snap = std::make_shared<CampaignSnapshot>();
  // The text versions: read from the store (not under the lock) when the text is new here.
  std::shared_ptr<const CampaignSnapshot> before = SnapshotById(c.id);
  if (before && before->texts && before->campaign.demand == c.demand &&
      before->campaign.letter_markdown == c.letter_markdown) {
    snap->texts = before->texts;
  } else if (auto texts = store_.CampaignTexts(c.id); texts) {
    snap->texts = std::make_shared<const std::vector<CampaignText>>(std::move(*texts));
  } else {
    spdlog::error("campaign {}: could not read its text versions: {}", c.slug,
                  texts.error().message);
    snap->texts = before && before->texts ? before->texts
                                          : std::make_shared<const std::vector<CampaignText>>();
  }
  std::lock_guard lock(mu_);
  auto old = by_id_.find(c.id);
  if (old != by_id_.end()) {
    snap->counts = old->second->counts;
    snap->recent = old->second->recent;
    snap->organizations = old->second->organizations;
    snap->delivered = old->second->delivered;
    if (old->second->campaign.slug != c.slug) id_by_slug_.erase(old->second->campaign.slug);
  }
  if (counts) {
    snap->counts = *counts;
    counts_[c.id] = *counts;
  }
  if (recent) snap->recent = *recent;
  id_by_slug_[c.slug] = c.id;
  snap->campaign = std::move(c);
  snap->version = next_version_++;
  by_id_[snap->campaign.id] = snap;
  return snap;
}

std::shared_ptr<const CampaignSnapshot> CampaignService::InstallOrganizations(
    std::int64_t campaign_id, std::vector<Organization> organizations) {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(campaign_id);
  if (it == by_id_.end()) return nullptr;
  auto snap = std::make_shared<CampaignSnapshot>(*it->second);
  snap->organizations = std::move(organizations);
  snap->version = next_version_++;
  it->second = snap;
  return snap;
}

Result<std::shared_ptr<const CampaignSnapshot>> CampaignService::OpenForSigning(
    const std::string& slug, UnixTime now) const {
  auto snap = Snapshot(slug);
  if (!snap || snap->campaign.status == CampaignStatus::kDraft) {
    return Fail(Code::kNotFound, "There is no campaign called '" + slug + "'.");
  }
  const Campaign& c = snap->campaign;
  if (!TakesSignatures(c, now)) {
    return Fail(Code::kConflict, "This campaign is closed and no longer takes signatures.");
  }
  return snap;
}

void CampaignService::InstallDelivered(const Campaign& c) {
  auto list = store_.outreach().ListDeliveries(c.id);
  if (!list) {
    spdlog::warn("campaign {}: could not read its deliveries: {}", c.slug, list.error().message);
    return;
  }
  if (list->empty()) return;
  const DeliveryRecord& r = list->front();
  DeliveredNote note{{}, r.created, r.confirmed};
  for (const Target& t : c.targets) {
    for (const std::string& to : r.recipients) {
      if (!t.email.empty() && t.email == to) {
        note.targets.push_back(t.name);
        break;
      }
    }
  }
  std::lock_guard lock(mu_);
  auto it = by_id_.find(c.id);
  if (it == by_id_.end()) return;
  auto snap = std::make_shared<CampaignSnapshot>(*it->second);
  snap->delivered = std::move(note);
  snap->version = next_version_++;
  it->second = snap;
}

Result<void> CampaignService::ReloadOrganizations(std::int64_t campaign_id) {
  auto orgs = store_.ListOrganizations(campaign_id, OrganizationState::kApproved);
  if (!orgs) return Fail(orgs.error());
  if (auto snap = InstallOrganizations(campaign_id, std::move(*orgs))) Publish(snap);
  return {};
}

void CampaignService::Publish(const std::shared_ptr<const CampaignSnapshot>& snap) {
  SnapshotListener listener;
  {
    std::lock_guard lock(mu_);
    listener = listener_;
  }
  if (listener) listener(snap);
}

namespace {

// A campaign cannot be made, given a new deadline, or opened with a deadline that has passed:
// it would be closed at birth while saying "open". kInvalidArgument naming the field.
Result<void> RefusePastDeadline(const Campaign& c, UnixTime now) {
  if (!c.deadline || *c.deadline > now) return {};
  const std::string why = "has already passed (" + FormatIso8601(*c.deadline) +
                          "); give a later one (a date means the end of that day in the "
                          "campaign's time zone, " +
                          c.time_zone + ")";
  return Fail(Error{Code::kInvalidArgument, "deadline " + why, {{"deadline", why}}, 0});
}

}  // namespace

Result<Campaign> CampaignService::Create(Campaign c) {
  if (c.uuid.empty()) c.uuid = NewUuid();
  if (auto ok = ValidateCampaign(c); !ok) return Fail(ok.error());
  if (auto ok = RefusePastDeadline(c, clock_.Now()); !ok) return Fail(ok.error());
  c.created = c.modified = clock_.Now();
  auto stored = store_.CreateCampaign(c);
  if (!stored) return stored;
  CampaignCounts zero;
  std::vector<PublicSigner> none;
  Publish(Install(*stored, &zero, &none));
  return stored;
}

Result<Campaign> CampaignService::Update(Campaign c) {
  Result<Campaign> current =
      c.id != 0 ? store_.GetCampaignById(c.id) : store_.GetCampaignByUuid(c.uuid);
  if (!current) return current;
  c.id = current->id;
  c.uuid = current->uuid;
  c.created = current->created;
  if (auto ok = ValidateCampaign(c); !ok) return Fail(ok.error());
  if (auto ok = CheckGroupChanges(*current, c); !ok) return Fail(ok.error());
  const bool reopened = c.status == CampaignStatus::kOpen && current->status != c.status;
  if (c.deadline != current->deadline || reopened) {
    if (auto ok = RefusePastDeadline(c, clock_.Now()); !ok) return Fail(ok.error());
  }
  c.modified = clock_.Now();
  auto stored = store_.UpdateCampaign(c);
  if (!stored) return stored;
  Publish(Install(*stored, nullptr, nullptr));
  return stored;
}

Result<Campaign> CampaignService::SetImage(std::int64_t campaign_id, std::string_view uploaded,
                                           const std::string& alt) {
  auto current = store_.GetCampaignById(campaign_id);
  if (!current) return current;
  auto refuse = [](const std::string& field, const std::string& why) {
    return Fail(Error{Code::kInvalidArgument, why, {{field, why}}, 0});
  };
  std::string jpeg;
  CampaignImage image;
  if (uploaded.empty()) {
    if (!current->image) return refuse("image", "choose a picture to upload (PNG or JPEG)");
    auto stored = store_.CampaignImageJpeg(campaign_id);
    if (!stored) return Fail(stored.error());
    jpeg = std::move(*stored);
    image = *current->image;
  } else {
    auto picture = render::NormalizePicture(uploaded);
    if (!picture) return refuse("image", picture.error().message);
    jpeg = std::move(picture->jpeg);
    image.width = picture->width;
    image.height = picture->height;
    auto digest = log::Sha256({reinterpret_cast<const std::uint8_t*>(jpeg.data()), jpeg.size()});
    image.sha256 = log::HexEncode(digest);
  }
  if (auto ok = ValidateImageAlt(alt); !ok) return Fail(ok.error());
  image.alt = alt;
  if (current->image == image) return current;
  auto stored = store_.SetCampaignImage(campaign_id, image, jpeg);
  if (!stored) return stored;
  Publish(Install(*stored, nullptr, nullptr));
  return stored;
}

Result<Campaign> CampaignService::RemoveImage(std::int64_t campaign_id) {
  auto stored = store_.RemoveCampaignImage(campaign_id);
  if (!stored) return stored;
  Publish(Install(*stored, nullptr, nullptr));
  return stored;
}

Result<std::shared_ptr<const std::string>> CampaignService::ImageBytes(std::int64_t campaign_id,
                                                                       const CampaignImage& image) {
  {
    std::lock_guard lock(images_mu_);
    auto it = images_.find(campaign_id);
    if (it != images_.end() && it->second.first == image.sha256) return it->second.second;
  }
  auto jpeg = store_.CampaignImageJpeg(campaign_id);
  if (!jpeg) return Fail(jpeg.error());
  // The store may hold a newer picture than the caller's snapshot names (an edit on another
  // node); only the bytes `image` names are answered.
  auto digest = log::Sha256({reinterpret_cast<const std::uint8_t*>(jpeg->data()), jpeg->size()});
  if (log::HexEncode(digest) != image.sha256) {
    return Fail(Code::kNotFound, "this version of the campaign's picture is gone");
  }
  auto bytes = std::make_shared<const std::string>(std::move(*jpeg));
  std::lock_guard lock(images_mu_);
  if (images_.size() >= kCachedImages && !images_.count(campaign_id)) images_.clear();
  images_[campaign_id] = {image.sha256, bytes};
  return bytes;
}

Result<void> CampaignService::CheckGroupChanges(const Campaign& before, const Campaign& after) {
  // A group people signed in keeps its key and kind (what proved them), and keeps offering
  // every sealed threshold (someone's name may be sealed until it).
  const std::vector<SignerGroup> now = EffectiveGroups(after);
  for (const SignerGroup& old : EffectiveGroups(before)) {
    auto signed_in = store_.ListSignaturesInGroup(before.id, old.key, {}, Page{1, 1});
    if (!signed_in) return Fail(signed_in.error());
    if (signed_in->total == 0) continue;
    const SignerGroup* kept = nullptr;
    for (const SignerGroup& g : now) {
      if (g.key == old.key) kept = &g;
    }
    const std::string field = "groups";
    auto refuse = [&](const std::string& why) -> Result<void> {
      return Fail(Error{Code::kInvalidArgument, field + " " + why, {{field, why}}, 0});
    };
    if (kept == nullptr) {
      return refuse("must keep the group '" + old.key + "': people have signed in it");
    }
    if (kept->kind != old.kind) {
      return refuse("cannot change the kind of the group '" + old.key +
                    "': its signers were proven as " + GroupKindName(old.kind));
    }
    for (std::int64_t t : old.seal_thresholds) {
      if (std::find(kept->seal_thresholds.begin(), kept->seal_thresholds.end(), t) ==
          kept->seal_thresholds.end()) {
        return refuse("must keep offering the sealed threshold " + std::to_string(t) +
                      " of the group '" + old.key + "': names may be sealed until it");
      }
    }
  }
  return {};
}

Result<Campaign> CampaignService::SetStatus(const std::string& slug, CampaignStatus status) {
  auto c = store_.GetCampaignBySlug(slug);
  if (!c) return c;
  c->status = status;
  if (status == CampaignStatus::kOpen) {  // open, not "open" and closed by its deadline
    if (auto ok = RefusePastDeadline(*c, clock_.Now()); !ok) return Fail(ok.error());
  }
  return Update(std::move(*c));
}

Result<Campaign> CampaignService::GetBySlug(const std::string& slug) {
  return store_.GetCampaignBySlug(slug);
}

Result<Campaign> CampaignService::GetByUuid(const std::string& uuid) {
  return store_.GetCampaignByUuid(uuid);
}

Result<Paged<Campaign>> CampaignService::List(std::optional<CampaignStatus> status,
                                              const TimeFilter& filter, Page page) {
  return store_.ListCampaigns(status, filter, page);
}

Result<Paged<Campaign>> CampaignService::ListByIdentifier(const std::string& identifier,
                                                          std::optional<CampaignStatus> status,
                                                          const TimeFilter& filter, Page page) {
  return store_.ListCampaignsByIdentifier(identifier, status, filter, page);
}

std::shared_ptr<const CampaignSnapshot> CampaignService::Snapshot(const std::string& slug) const {
  std::lock_guard lock(mu_);
  auto it = id_by_slug_.find(slug);
  if (it == id_by_slug_.end()) return nullptr;
  return by_id_.at(it->second);
}

std::shared_ptr<const CampaignSnapshot> CampaignService::SnapshotById(std::int64_t id) const {
  std::lock_guard lock(mu_);
  auto it = by_id_.find(id);
  return it == by_id_.end() ? nullptr : it->second;
}

std::vector<std::shared_ptr<const CampaignSnapshot>> CampaignService::OpenCampaigns(
    UnixTime now) const {
  std::vector<std::shared_ptr<const CampaignSnapshot>> out;
  {
    std::lock_guard lock(mu_);
    for (const auto& [id, snap] : by_id_) {
      if (TakesSignatures(snap->campaign, now)) out.push_back(snap);
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a->campaign.created != b->campaign.created ? a->campaign.created > b->campaign.created
                                                      : a->campaign.id > b->campaign.id;
  });
  return out;
}

CampaignCounts CampaignService::Totals() const {
  CampaignCounts total;
  std::lock_guard lock(mu_);
  for (const auto& [id, c] : counts_) {
    total.pending += c.pending;
    total.confirmed += c.confirmed;
    total.withdrawn += c.withdrawn;
    total.last_change = std::max(total.last_change, c.last_change);
  }
  return total;
}

void CampaignService::OnSignatureChange(std::int64_t campaign_id, const CampaignCounts& counts,
                                        const Signature* confirmed_public, bool withdrawn_public) {
  std::optional<std::vector<PublicSigner>> reloaded;
  if (withdrawn_public) {
    auto recent = store_.RecentPublicSigners(campaign_id, kRecentSigners);
    if (recent) reloaded = std::move(*recent);
  }
  std::shared_ptr<const CampaignSnapshot> published;
  {
    std::lock_guard lock(mu_);
    auto& latest = counts_[campaign_id];
    // The store serialises writes, but the answers of one batch reach their threads in any
    // order: keep the newest.
    if (counts.changes >= latest.changes) {
      latest = counts;
    } else if (!confirmed_public && !reloaded) {
      return;
    }
    auto it = by_id_.find(campaign_id);
    if (it == by_id_.end()) return;
    const CampaignSnapshot& old = *it->second;
    const bool public_change = old.counts.confirmed != latest.confirmed ||
                               old.counts.withdrawn != latest.withdrawn || confirmed_public ||
                               reloaded;
    if (!public_change) return;  // only pending moved: not public, no new snapshot
    auto snap = std::make_shared<CampaignSnapshot>(old);
    snap->counts = latest;
    if (reloaded) {
      snap->recent = std::move(*reloaded);
    } else if (confirmed_public) {
      const Signature& sig = *confirmed_public;
      PublicSigner p{
          sig.form.name,  sig.form.comment, sig.confirmed.value_or(counts.last_change),
          sig.form.group, sig.verified,     sig.form.protection == Protection::kAnonymous};
      if (comment_approval_.count(campaign_id)) p.comment.clear();  // not approved yet
      if (DayRounded(sig)) p.confirmed = StartOfDay(p.confirmed);
      snap->recent.insert(snap->recent.begin(), std::move(p));
      if (snap->recent.size() > static_cast<std::size_t>(kRecentSigners)) {
        snap->recent.resize(kRecentSigners);
      }
    }
    snap->version = next_version_++;
    it->second = snap;
    published = snap;
  }
  Publish(published);
}

Result<int> CampaignService::PollCounts() {
  auto polled = store_.LoadAllCounts();
  if (!polled) return Fail(polled.error());
  int changed = 0;
  for (auto& [id, counts] : *polled) {
    bool public_change = false;
    {
      std::lock_guard lock(mu_);
      auto& latest = counts_[id];
      // Each node's answers and this poll may each miss some of the others' latest commits;
      // every commit adds to `changes`, so the larger one is the newer view, and the next
      // poll after the last commit is exact.
      if (counts.changes <= latest.changes) continue;
      latest = counts;
      auto it = by_id_.find(id);
      if (it == by_id_.end()) continue;  // a campaign Refresh has not installed yet
      public_change = it->second->counts.confirmed != counts.confirmed ||
                      it->second->counts.withdrawn != counts.withdrawn;
      if (!public_change) continue;  // only pending moved: not public, no new snapshot
    }
    // Public counts moved on another node: its new public signers are in the store.
    auto recent = store_.RecentPublicSigners(id, kRecentSigners);
    if (!recent) return Fail(recent.error());
    std::shared_ptr<const CampaignSnapshot> published;
    {
      std::lock_guard lock(mu_);
      auto it = by_id_.find(id);
      if (it == by_id_.end()) continue;
      auto snap = std::make_shared<CampaignSnapshot>(*it->second);
      snap->counts = counts_[id];
      snap->recent = std::move(*recent);
      snap->version = next_version_++;
      it->second = snap;
      published = snap;
    }
    Publish(published);
    ++changed;
  }
  return changed;
}

Result<int> CampaignService::Refresh() {
  // Second resolution: look back a little so an edit in the same second is not missed.
  const UnixTime now = clock_.Now();
  TimeFilter filter;
  filter.modified_after = refreshed_until_ - 2;
  int changed = 0;
  bool existing_changed = false;
  std::vector<std::int64_t> ids;
  for (int page = 1;; ++page) {
    auto list = store_.ListCampaigns(std::nullopt, filter, Page{page, 100});
    if (!list) return Fail(list.error());
    if (list->items.empty()) break;
    for (Campaign& c : list->items) {
      std::shared_ptr<const CampaignSnapshot> current = SnapshotById(c.id);
      if (current && current->campaign == c) continue;  // already installed as stored
      std::vector<PublicSigner> recent;
      CampaignCounts zero;
      // Approving an organization (from the CLI too) moves the campaign's modified date, and so
      // does moderation (service/moderation.h): its recent public signers are read again.
      if (current) {
        auto r = store_.RecentPublicSigners(c.id, kRecentSigners);
        if (!r) return Fail(r.error());
        recent = std::move(*r);
        existing_changed = true;
      }
      auto orgs = store_.ListOrganizations(c.id, OrganizationState::kApproved);
      if (!orgs) return Fail(orgs.error());
      const std::int64_t id = c.id;
      auto snap = Install(std::move(c), current ? nullptr : &zero, &recent);
      InstallDelivered(snap->campaign);  // a delivery (from the CLI too) moves the date as well
      Publish(InstallOrganizations(id, std::move(*orgs)));
      ids.push_back(id);
      ++changed;
    }
  }
  refreshed_until_ = now;
  if (auto r = ReadCommentApprovals(ids); !r) return Fail(r.error());
  // A campaign changed by another process may have had its counts moved there too (an
  // invalidation from the CLI): the stored counts, where newer, are installed.
  if (existing_changed) {
    if (auto r = PollCounts(); !r) return Fail(r.error());
  }
  return changed;
}

}  // namespace undersigned::service
