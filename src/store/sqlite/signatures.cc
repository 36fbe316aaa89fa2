// SqliteStore as a SignatureStore: reading signatures (written by the transaction scripts
// through SqliteTx).
#include <sqlite3.h>

#include <algorithm>
#include <string>
#include <utility>
#include <vector>

#include "store/sqlite/queries.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"

namespace undersigned::store {

Result<TokenOutcome> SqliteStore::FindByConfirmToken(const std::string& hash) {
  return FindByToken(sql::kSignatureByConfirmHash, hash);
}

Result<TokenOutcome> SqliteStore::FindByWithdrawToken(const std::string& hash) {
  return FindByToken(sql::kSignatureByWithdrawHash, hash);
}

Result<TokenOutcome> SqliteStore::FindByToken(const char* sql, const std::string& hash) {
  std::string key = HashKey(hash);
  auto r = Reader();
  Db& db = *r;
  // One read transaction, so signature, campaign and counts agree.
  auto begin = db.Prepare(sql::kBeginRead);
  if (!begin) return Fail(begin.error());
  if (auto x = StepDone(db, *begin, "reading"); !x) return Fail(x.error());
  auto result = [&]() -> Result<TokenOutcome> {
    auto sig = ReadSignature(db, sql, key, true);
    if (!sig) return Fail(sig.error());
    auto campaign =
        ReadCampaign(db, sql::kCampaignById, [&](Stmt& st) { st.Bind(1, sig->campaign_id); });
    if (!campaign) return Fail(campaign.error());
    auto counts = ReadCounts(db, sig->campaign_id);
    if (!counts) return Fail(counts.error());
    return TokenOutcome{std::move(*sig), std::move(*campaign), *counts, false};
  }();
  auto end = db.Prepare(sql::kEndRead);
  if (end) (void)StepDone(db, *end, "reading");
  return result;
}

Result<std::vector<PublicSigner>> SqliteStore::RecentPublicSigners(std::int64_t campaign_id,
                                                                   int limit) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kRecentPublic);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, std::max(limit, 0));
  std::vector<PublicSigner> out;
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    PublicSigner p{st->Text(0),
                   st->Text(1),
                   st->Int(2),
                   st->Text(3),
                   st->OptInt(4).value_or(0) == 1,
                   st->View(5) == "anonymous"};
    if (st->View(5) != "none") p.confirmed = StartOfDay(p.confirmed);
    out.push_back(std::move(p));
  }
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading signers"));
  return out;
}

Result<Paged<Signature>> SqliteStore::ListSignatures(std::int64_t campaign_id,
                                                     const TimeFilter& filter, Page page) {
  return ListSignaturesWhere(campaign_id, nullptr, filter, page);
}

Result<Paged<Signature>> SqliteStore::ListSignaturesInGroup(std::int64_t campaign_id,
                                                            const std::string& group_key,
                                                            const TimeFilter& filter, Page page) {
  return ListSignaturesWhere(campaign_id, &group_key, filter, page);
}

// ListSignatures restricted to one group if group is not null.
Result<Paged<Signature>> SqliteStore::ListSignaturesWhere(std::int64_t campaign_id,
                                                          const std::string* group,
                                                          const TimeFilter& filter, Page page) {
  auto r = Reader();
  Db& db = *r;
  Limits lim = PageLimits(page);
  Paged<Signature> out;
  if (!filter.modified_after && !filter.modified_before && group == nullptr) {
    // Every row is counted in exactly one of the three counts; no need to scan.
    auto c = ReadCounts(db, campaign_id);
    if (!c) return Fail(c.error());
    out.total = c->pending + c->confirmed + c->withdrawn;
  } else {
    auto st = db.Prepare(sql::kCountSignatures);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id).Bind(2, filter.modified_after).Bind(3, filter.modified_before);
    BindOptText(*st, 4, group != nullptr ? group->c_str() : nullptr);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "counting signatures"));
    out.total = st->Int(0);
  }
  if (lim.offset >= out.total) return out;
  auto st = db.Prepare(sql::kListSignatures);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, filter.modified_after).Bind(3, filter.modified_before);
  st->Bind(4, lim.limit).Bind(5, lim.offset);
  BindOptText(*st, 6, group != nullptr ? group->c_str() : nullptr);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) out.items.push_back(SignatureFromRow(*st));
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "listing signatures"));
  return out;
}

Result<Signature> SqliteStore::GetSignatureByUuid(const std::string& uuid) {
  const auto id = keys_.public_ids->RowId(IdKind::kSignature, uuid);
  if (!id) return Fail(Code::kNotFound, "no such signature");
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kSignatureById);
  if (!st) return Fail(st.error());
  st->Bind(1, *id);
  return QueryOne(db, *st, "no such signature", [](Stmt& s) { return Wrap(SignatureFromRow(s)); });
}

Result<std::int64_t> SqliteStore::CountReferred(std::int64_t campaign_id, const std::string& code) {
  if (code.empty()) return std::int64_t{0};
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kCountReferred);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, code);
  return QueryOne(db, *st, "no count", [](Stmt& s) { return Wrap(s.Int(0)); });
}

Result<void> SqliteStore::ForEachConfirmed(std::int64_t campaign_id,
                                           const std::function<bool(const Signature&)>& fn) {
  auto r = Reader();
  Db& db = *r;
  auto st = db.Prepare(sql::kConfirmedOf);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  int rc;
  while ((rc = st->Step()) == SQLITE_ROW) {
    if (!fn(SignatureFromRow(*st))) return {};
  }
  if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading signatures"));
  return {};
}

}  // namespace undersigned::store
