// SqliteStore as a CampaignStore: campaigns, their texts and counts (see store_impl.h).
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "log/leaf.h"
#include "store/random.h"
#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {

// --- campaigns
Result<Campaign> SqliteStore::CreateCampaign(const Campaign& in) {
  Campaign c = in;
  if (c.uuid.empty()) c.uuid = NewUuid();
  if (c.created == 0) c.created = SystemNow();
  if (c.modified == 0) c.modified = c.created;
  std::string targets = TargetsJson(c.targets);
  std::string identifiers = IdentifiersJson(c.identifiers);
  std::string organizers = IdentifiersJson(c.organizers);
  std::string groups = GroupsJson(c.groups);
  std::string secondary = SecondaryTargetsJson(c.secondary_targets);
  c.outcome = CampaignOutcome::kPending;
  c.outcome_at.reset();
  c.image.reset();
  return Write<Campaign>([&](SqliteTx& b) -> Result<Campaign> {
    Db& db = b.db();
    auto st = db.Prepare(sql::kInsertCampaign);
    if (!st) return Fail(st.error());
    st->Bind(1, c.uuid).Bind(2, c.slug).Bind(3, c.title).Bind(4, c.demand);
    st->Bind(5, c.letter_markdown).Bind(6, targets).Bind(7, c.goal).Bind(8, c.deadline);
    st->Bind(9, StatusName(c.status)).Bind(10, c.language).Bind(11, c.created);
    st->Bind(12, c.modified).Bind(13, identifiers).Bind(14, c.threshold).Bind(15, organizers);
    st->Bind(16, groups).Bind(17, c.anonymity_floor).Bind(18, c.time_zone);
    st->Bind(19, c.description).Bind(20, c.organized_by).Bind(21, secondary);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "creating the campaign"));
    c.id = st->Int(0);
    st->Reset();
    auto counts = db.Prepare(sql::kInsertCounts);
    if (!counts) return Fail(counts.error());
    counts->Bind(1, c.id).Bind(2, c.created);
    if (auto r = StepDone(db, *counts, "creating the campaign counts"); !r) return Fail(r.error());
    if (auto r = KeepText(db, c, c.created); !r) return Fail(r.error());
    return c;
  });
}

Result<Campaign> SqliteStore::UpdateCampaign(const Campaign& in) {
  Campaign c = in;
  // modified moves: to c.modified if the caller set it later than the stored one (callers
  // pass their clock's now), else to the system's now.
  const UnixTime system_now = SystemNow();
  std::string targets = TargetsJson(c.targets);
  std::string identifiers = IdentifiersJson(c.identifiers);
  std::string organizers = IdentifiersJson(c.organizers);
  std::string groups = GroupsJson(c.groups);
  std::string secondary = SecondaryTargetsJson(c.secondary_targets);
  return Write<Campaign>([&](SqliteTx& b) -> Result<Campaign> {
    Db& db = b.db();
    b.ForgetCampaign(c.id);
    auto st = db.Prepare(sql::kUpdateCampaign);
    if (!st) return Fail(st.error());
    st->Bind(1, c.id).Bind(2, c.slug).Bind(3, c.title).Bind(4, c.demand);
    st->Bind(5, c.letter_markdown).Bind(6, targets).Bind(7, c.goal).Bind(8, c.deadline);
    st->Bind(9, StatusName(c.status)).Bind(10, c.language).Bind(11, c.modified);
    st->Bind(12, system_now).Bind(13, identifiers).Bind(14, c.threshold).Bind(15, organizers);
    st->Bind(16, groups).Bind(17, c.anonymity_floor).Bind(18, c.time_zone);
    st->Bind(19, c.description).Bind(20, c.organized_by).Bind(21, secondary);
    int rc = st->Step();
    if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such campaign");
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "updating the campaign"));
    c.uuid = st->Text(0);
    c.created = st->Int(1);
    c.modified = st->Int(2);
    // The outcome is the store's to decide: what is stored stands.
    c.outcome = ParseOutcome(st->View(3)).value_or(CampaignOutcome::kPending);
    c.outcome_at = st->OptInt(4);
    // So is the picture (SetCampaignImage): an edit never changes it.
    auto image = ParseImage(st->View(5));
    if (!image) return Fail(image.error());
    c.image = std::move(*image);
    st->Reset();
    if (auto r = KeepText(db, c, c.modified); !r) return Fail(r.error());
    return c;
  });
}

Result<Campaign> SqliteStore::SetCampaignImage(std::int64_t campaign_id, const CampaignImage& image,
                                               std::string_view jpeg) {
  return WriteImage(campaign_id, &image, jpeg);
}

Result<Campaign> SqliteStore::RemoveCampaignImage(std::int64_t campaign_id) {
  return WriteImage(campaign_id, nullptr, {});
}

// Both: the description and the bytes change in one transaction, so a reader never sees one
// without the other.
Result<Campaign> SqliteStore::WriteImage(std::int64_t campaign_id, const CampaignImage* image,
                                         std::string_view jpeg) {
  const std::string json = image ? ImageJson(*image) : std::string();
  const UnixTime now = SystemNow();
  return Write<Campaign>([&](SqliteTx& b) -> Result<Campaign> {
    Db& db = b.db();
    b.ForgetCampaign(campaign_id);
    auto st = db.Prepare(sql::kSetCampaignImage);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id).Bind(3, now);
    if (image) {
      st->Bind(2, json);
    } else {
      st->BindNull(2);
    }
    if (auto r = StepDone(db, *st, "keeping the campaign's picture"); !r) return Fail(r.error());
    if (db.Changes() == 0) return Fail(Code::kNotFound, "no such campaign");
    auto bytes = db.Prepare(image ? sql::kPutCampaignImageJpeg : sql::kDeleteCampaignImageJpeg);
    if (!bytes) return Fail(bytes.error());
    bytes->Bind(1, campaign_id);
    if (image) bytes->BindBlob(2, jpeg);
    if (auto r = StepDone(db, *bytes, "keeping the campaign's picture"); !r) {
      return Fail(r.error());
    }
    return ReadCampaign(db, sql::kCampaignById, [&](Stmt& s) { s.Bind(1, campaign_id); });
  });
}

Result<std::string> SqliteStore::CampaignImageJpeg(std::int64_t campaign_id) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kCampaignImageJpeg);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  return QueryOne(db, *st, "this campaign has no picture", [](Stmt& s) { return Wrap(s.Text(0)); });
}

Result<std::vector<CampaignText>> SqliteStore::CampaignTexts(std::int64_t campaign_id) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kCampaignTexts);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  std::vector<CampaignText> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    out.push_back(
        {static_cast<int>(st->Int(0)), st->Text(1), st->Int(2), st->Text(3), st->Text(4)});
  }
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the campaign's texts"));
  return out;
}

// Keeps c's demand and letter as a new version of its text, dated `when`, unless they are
// the current version already.
Result<void> SqliteStore::KeepText(Db& db, const Campaign& c, UnixTime when) {
  const std::string hash = log::TextHash(c.demand, c.letter_markdown);
  auto latest = db.Prepare(sql::kLatestText);
  if (!latest) return Fail(latest.error());
  latest->Bind(1, c.id);
  std::int64_t version = 0;
  int rc = latest->Step();
  if (rc == SQLITE_ROW) {
    if (latest->View(1) == hash) return {};
    version = latest->Int(0);
  } else if (rc != SQLITE_DONE) {
    return Fail(db.ErrorFor(rc, "reading the campaign's text"));
  }
  latest->Reset();
  auto st = db.Prepare(sql::kInsertText);
  if (!st) return Fail(st.error());
  st->Bind(1, c.id).Bind(2, version + 1).Bind(3, hash).Bind(4, when);
  st->Bind(5, c.demand).Bind(6, c.letter_markdown);
  return StepDone(db, *st, "keeping the campaign's text");
}

Result<Campaign> SqliteStore::GetCampaignBySlug(const std::string& slug) {
  auto r = Reader();
  return ReadCampaign(*r, sql::kCampaignBySlug, [&](Stmt& st) { st.Bind(1, slug); });
}

Result<Campaign> SqliteStore::GetCampaignByUuid(const std::string& uuid) {
  auto r = Reader();
  return ReadCampaign(*r, sql::kCampaignByUuid, [&](Stmt& st) { st.Bind(1, uuid); });
}

Result<Campaign> SqliteStore::GetCampaignById(std::int64_t id) {
  auto r = Reader();
  return ReadCampaign(*r, sql::kCampaignById, [&](Stmt& st) { st.Bind(1, id); });
}

Result<Paged<Campaign>> SqliteStore::ListCampaigns(std::optional<CampaignStatus> status,
                                                   const TimeFilter& filter, Page page) {
  return ListCampaignsWhere(nullptr, status, filter, page);
}

Result<Paged<Campaign>> SqliteStore::ListCampaignsByIdentifier(const std::string& identifier,
                                                               std::optional<CampaignStatus> status,
                                                               const TimeFilter& filter,
                                                               Page page) {
  return ListCampaignsWhere(&identifier, status, filter, page);
}

// ListCampaigns restricted to the campaigns carrying identifier among their foreign
// identifiers (exact match) if identifier is not null.
Result<Paged<Campaign>> SqliteStore::ListCampaignsWhere(const std::string* identifier,
                                                        std::optional<CampaignStatus> status,
                                                        const TimeFilter& filter, Page page) {
  auto r = Reader();
  Db& db = *r;
  Limits lim = PageLimits(page);
  const char* status_name = StatusOrNull(status);
  Paged<Campaign> out;
  {
    auto st = db.Prepare(identifier ? sql::kCountCampaignsByIdentifier : sql::kCountCampaigns);
    if (!st) return Fail(st.error());
    BindOptText(*st, 1, status_name);
    st->Bind(2, filter.modified_after).Bind(3, filter.modified_before);
    if (identifier) st->Bind(4, *identifier);
    st->Bind(5, filter.status_at);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting campaigns"));
    out.total = st->Int(0);
  }
  if (lim.offset >= out.total) return out;
  auto st = db.Prepare(identifier ? sql::kListCampaignsByIdentifier : sql::kListCampaigns);
  if (!st) return Fail(st.error());
  BindOptText(*st, 1, status_name);
  st->Bind(2, filter.modified_after).Bind(3, filter.modified_before);
  st->Bind(4, lim.limit).Bind(5, lim.offset);
  if (identifier) st->Bind(6, *identifier);
  st->Bind(7, filter.status_at);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    auto c = CampaignFromRow(*st);
    if (!c) return Fail(c.error());
    out.items.push_back(std::move(*c));
  }
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing campaigns"));
  return out;
}

Result<std::map<std::int64_t, CampaignCounts>> SqliteStore::LoadAllCounts() {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kAllCounts);
  if (!st) return Fail(st.error());
  std::map<std::int64_t, CampaignCounts> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    out[st->Int(0)] = CampaignCounts{st->Int(1), st->Int(2), st->Int(3),
                                     st->Int(4), st->Int(5), ParseGroupCounts(st->View(6))};
  }
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading counts"));
  return out;
}

Result<std::optional<UnixTime>> SqliteStore::NextOutcomeDeadline() {
  return ReadOptInt(sql::kNextOutcomeDeadline, "reading campaigns");
}

}  // namespace undersigned::store
