// SqliteOutreach (outreach.h): updates, unsubscribes and deliveries on SQLite, and their SQL.
#include "store/sqlite/outreach.h"
#include "store/sqlite/queries.h"

#include <sqlite3.h>

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "store/sealed_fields.h"
#include "store/sqlite/rows.h"
#include "store/sqlite/store_impl.h"
#include "store/sqlite/tx_reads.h"

namespace undersigned::store {
namespace {

// Every statement a constant (Db::Prepare caches by address); values only as parameters.
#define US_UPDATE_COLS                                                                       \
  "id, campaign_id, kind, subject, body_markdown, author_user_id, state, send_at, created, " \
  "modified, finished"
#define US_DELIVERY_COLS                                                                         \
  "id, campaign_id, user_id, created, recipients, checkpoint_size, checkpoint_hash, confirmed, " \
  "letter"
// The recipients of campaign ?N's updates (outreach_store.h), as a condition on signatures s.
#define US_UPDATE_RECIPIENT(n)                                                                 \
  "s.state = 'confirmed' AND s.wants_updates = 1 AND (s.email <> '' OR s.sealed IS NOT NULL) " \
  "AND NOT EXISTS (SELECT 1 FROM unsubscribes x WHERE x.campaign_id = ?" #n                    \
  " AND x.person_id = s.person_id)"

constexpr char kInsertUpdate[] =
    "INSERT INTO updates (campaign_id, kind, subject, body_markdown, author_user_id, state, "
    "created, modified) VALUES (?1, ?2, ?3, ?4, ?5, 'draft', ?6, ?6) RETURNING " US_UPDATE_COLS;
constexpr char kGetUpdate[] = "SELECT " US_UPDATE_COLS " FROM updates WHERE id = ?1";
constexpr char kListUpdates[] =
    "SELECT " US_UPDATE_COLS " FROM updates WHERE campaign_id = ?1 ORDER BY id DESC";
constexpr char kEditUpdate[] =
    "UPDATE updates SET subject = ?2, body_markdown = ?3, modified = ?4 WHERE id = ?1 AND "
    "state = 'draft' RETURNING " US_UPDATE_COLS;
constexpr char kScheduleUpdate[] =
    "UPDATE updates SET state = 'scheduled', send_at = ?2, modified = ?3 WHERE id = ?1 AND "
    "state IN ('draft', 'scheduled') RETURNING " US_UPDATE_COLS;
constexpr char kUnscheduleUpdate[] =
    "UPDATE updates SET state = 'draft', send_at = NULL, modified = ?2 WHERE id = ?1 AND "
    "state = 'scheduled' RETURNING " US_UPDATE_COLS;
constexpr char kDueUpdates[] =
    "SELECT id FROM updates WHERE state IN ('scheduled', 'sending') AND send_at <= ?1 "
    "ORDER BY send_at, id";
constexpr char kNextUpdate[] =
    "SELECT min(send_at) FROM updates WHERE state IN ('scheduled', 'sending')";
constexpr char kDueUpdate[] =
    "SELECT campaign_id, queued_through FROM updates WHERE id = ?1 AND state IN ('scheduled', "
    "'sending') AND send_at <= ?2";
constexpr char kNextRecipients[] =
    "SELECT s.id FROM signatures s WHERE s.id BETWEEN (?1 << 40) AND (?1 << 40) + "
    "1099511627775 AND s.id > ?2 AND " US_UPDATE_RECIPIENT(1) " ORDER BY s.id LIMIT ?3";
constexpr char kInsertUpdateMail[] =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created, update_id) VALUES "
    "('update', '', json_object('update_id', ?1, 'signature_id', ?2), ?3, ?3, ?1)";
constexpr char kMoveUpdate[] =
    "UPDATE updates SET state = CASE WHEN ?3 THEN 'sent' ELSE 'sending' END, queued_through = ?2, "
    "modified = ?4, finished = CASE WHEN ?3 THEN ?4 END WHERE id = ?1";
constexpr char kUpdateMailCounts[] =
    "SELECT count(*), count(sent), coalesce(sum(sent IS NULL AND attempts > 0), 0) FROM outbox "
    "WHERE update_id = ?1";
constexpr char kUpdateUnsubscribes[] = "SELECT count(*) FROM unsubscribes WHERE update_id = ?1";
constexpr char kCountRecipients[] =
    "SELECT count(*) FROM signatures s WHERE s.id BETWEEN (?1 << 40) AND (?1 << 40) + "
    "1099511627775 AND " US_UPDATE_RECIPIENT(1);
constexpr char kUpdateAddress[] = "SELECT email, sealed, person_id FROM signatures WHERE id = ?1";

constexpr char kUnsubscribe[] =
    "INSERT INTO unsubscribes (campaign_id, person_id, update_id, created) VALUES (?1, ?2, ?3, "
    "?4) ON CONFLICT DO NOTHING";
constexpr char kIsUnsubscribed[] =
    "SELECT 1 FROM unsubscribes WHERE campaign_id = ?1 AND person_id = ?2";

constexpr char kInsertDelivery[] =
    "INSERT INTO deliveries (campaign_id, user_id, created, recipients, checkpoint_size, "
    "checkpoint_hash, confirmed, letter) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) "
    "RETURNING " US_DELIVERY_COLS;
constexpr char kInsertDeliveryMail[] =
    "INSERT INTO outbox (kind, recipient, payload, next_attempt, created) VALUES "
    "('delivery', ?1, json_object('delivery_id', ?2), ?3, ?3)";
// The campaign's page changed (it says it was delivered): other processes' refresh sees it.
constexpr char kGetDelivery[] = "SELECT " US_DELIVERY_COLS " FROM deliveries WHERE id = ?1";
constexpr char kListDeliveries[] =
    "SELECT " US_DELIVERY_COLS " FROM deliveries WHERE campaign_id = ?1 ORDER BY id DESC";

Result<Update> UpdateFromRow(const Stmt& s) {
  Update u;
  u.id = s.Int(0);
  u.campaign_id = s.Int(1);
  u.kind = s.Text(2);
  u.subject = s.Text(3);
  u.body_markdown = s.Text(4);
  u.author_user_id = s.OptInt(5);
  auto state = ParseUpdateState(s.View(6));
  if (!state) return Fail(Code::kInternal, "an update has an unknown state");
  u.state = *state;
  u.send_at = s.OptInt(7);
  u.created = s.Int(8);
  u.modified = s.Int(9);
  u.finished = s.OptInt(10);
  return u;
}

DeliveryRecord DeliveryFromRow(const Stmt& s) {
  DeliveryRecord d;
  d.id = s.Int(0);
  d.campaign_id = s.Int(1);
  d.user_id = s.OptInt(2);
  d.created = s.Int(3);
  d.recipients = ParseRecipients(s.View(4));
  d.checkpoint_size = static_cast<std::uint64_t>(s.Int(5));
  d.checkpoint_hash = s.Text(6);
  d.confirmed = s.Int(7);
  d.letter_json = s.Text(8);
  return d;
}

using sqlite_reads::DbOf;
using sqlite_reads::Prep;
using sqlite_reads::ReadAll;

}  // namespace

// --- updates

Result<Update> SqliteOutreach::CreateUpdate(const NewUpdate& u) {
  return RunWrite<Update>(store_, [&](WriteTx& tx) -> Result<Update> {
    auto st = Prep(tx, kInsertUpdate);
    if (!st) return Fail(st.error());
    st->Bind(1, u.campaign_id).Bind(2, u.kind).Bind(3, u.subject).Bind(4, u.body_markdown);
    st->Bind(5, u.author_user_id).Bind(6, u.now);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(DbOf(tx).ErrorFor(rc, "creating the update"));
    return UpdateFromRow(*st);
  });
}

Result<Update> SqliteOutreach::GetUpdate(std::int64_t id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kGetUpdate);
  if (!st) return Fail(st.error());
  st->Bind(1, id);
  return QueryOne(*r, *st, "no such update", [](Stmt& s) { return UpdateFromRow(s); });
}

Result<std::vector<Update>> SqliteOutreach::ListUpdates(std::int64_t campaign_id) {
  auto r = store_.Reader();
  return ReadAll<Update>(*r, kListUpdates, campaign_id, [](Stmt& s) { return UpdateFromRow(s); });
}

Result<Update> SqliteOutreach::ChangeUpdate(const char* sql, auto bind) {
  return RunWrite<Update>(store_, [&](WriteTx& tx) -> Result<Update> {
    auto st = Prep(tx, sql);
    if (!st) return Fail(st.error());
    bind(*st);
    int rc = st->Step();
    if (rc == SQLITE_ROW) return UpdateFromRow(*st);
    if (rc != SQLITE_DONE) return Fail(DbOf(tx).ErrorFor(rc, "changing the update"));
    return Fail(Code::kConflict, "the update is no longer a draft (it is being sent or was sent)");
  });
}

Result<Update> SqliteOutreach::EditUpdate(std::int64_t id, const std::string& subject,
                                          const std::string& body_markdown, UnixTime now) {
  if (auto u = GetUpdate(id); !u) return Fail(u.error());
  return ChangeUpdate(kEditUpdate, [&](Stmt& st) {
    st.Bind(1, id).Bind(2, subject).Bind(3, body_markdown).Bind(4, now);
  });
}

Result<Update> SqliteOutreach::ScheduleUpdate(std::int64_t id, UnixTime send_at, UnixTime now) {
  if (auto u = GetUpdate(id); !u) return Fail(u.error());
  return ChangeUpdate(kScheduleUpdate,
                      [&](Stmt& st) { st.Bind(1, id).Bind(2, send_at).Bind(3, now); });
}

Result<Update> SqliteOutreach::UnscheduleUpdate(std::int64_t id, UnixTime now) {
  auto u = GetUpdate(id);
  if (!u) return Fail(u.error());
  if (u->state == UpdateState::kDraft) return Fail(Code::kConflict, "the update is not scheduled");
  return ChangeUpdate(kUnscheduleUpdate, [&](Stmt& st) { st.Bind(1, id).Bind(2, now); });
}

Result<std::vector<std::int64_t>> SqliteOutreach::DueUpdates(UnixTime now) {
  auto r = store_.Reader();
  return ReadAll<std::int64_t>(*r, kDueUpdates, now,
                               [](Stmt& s) -> Result<std::int64_t> { return s.Int(0); });
}

Result<std::optional<UnixTime>> SqliteOutreach::NextUpdateAt() {
  auto r = store_.Reader();
  auto st = r->Prepare(kNextUpdate);
  if (!st) return Fail(st.error());
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "reading the next update"));
  return st->OptInt(0);
}

Result<UpdateBatch> SqliteOutreach::EnqueueUpdateBatch(std::int64_t id, UnixTime now, int limit) {
  return RunWrite<UpdateBatch>(store_, [&](WriteTx& tx) -> Result<UpdateBatch> {
    Db& db = DbOf(tx);
    auto due = db.Prepare(kDueUpdate);
    if (!due) return Fail(due.error());
    due->Bind(1, id).Bind(2, now);
    int rc = due->Step();
    if (rc == SQLITE_DONE) return UpdateBatch{};
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "reading the update"));
    const std::int64_t campaign_id = due->Int(0);
    std::int64_t cursor = due->Int(1);
    due->Reset();
    auto next = db.Prepare(kNextRecipients);
    if (!next) return Fail(next.error());
    next->Bind(1, campaign_id).Bind(2, cursor).Bind(3, limit);
    std::vector<std::int64_t> ids;
    while ((rc = next->Step()) == SQLITE_ROW) ids.push_back(next->Int(0));
    if (rc != SQLITE_DONE) return Fail(db.ErrorFor(rc, "reading the update's recipients"));
    next->Reset();
    for (std::int64_t sig : ids) {
      auto ins = db.Prepare(kInsertUpdateMail);
      if (!ins) return Fail(ins.error());
      ins->Bind(1, id).Bind(2, sig).Bind(3, now);
      if (auto r = StepDone(db, *ins, "queueing the update"); !r) return Fail(r.error());
      cursor = sig;
    }
    UpdateBatch out{true, static_cast<std::int64_t>(ids.size()),
                    static_cast<int>(ids.size()) < limit};
    auto move = db.Prepare(kMoveUpdate);
    if (!move) return Fail(move.error());
    move->Bind(1, id).Bind(2, cursor).Bind(3, out.finished).Bind(4, now);
    if (auto r = StepDone(db, *move, "moving the update on"); !r) return Fail(r.error());
    return out;
  });
}

Result<UpdateCounts> SqliteOutreach::GetUpdateCounts(std::int64_t id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kUpdateMailCounts);
  if (!st) return Fail(st.error());
  st->Bind(1, id);
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "counting the update's mail"));
  UpdateCounts c{st->Int(0), st->Int(1), st->Int(2), 0};
  st->Reset();
  auto un = r->Prepare(kUpdateUnsubscribes);
  if (!un) return Fail(un.error());
  un->Bind(1, id);
  rc = un->Step();
  if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "counting unsubscribes"));
  c.unsubscribed = un->Int(0);
  return c;
}

Result<std::int64_t> SqliteOutreach::CountUpdateRecipients(std::int64_t campaign_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kCountRecipients);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id);
  int rc = st->Step();
  if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "counting recipients"));
  return st->Int(0);
}

Result<UpdateAddress> SqliteOutreach::GetUpdateAddress(std::int64_t signature_id) {
  std::string email, sealed;
  std::int64_t person_id = 0;
  {
    auto r = store_.Reader();
    auto st = r->Prepare(kUpdateAddress);
    if (!st) return Fail(st.error());
    st->Bind(1, signature_id);
    int rc = st->Step();
    if (rc == SQLITE_DONE) return Fail(Code::kNotFound, "no such signature");
    if (rc != SQLITE_ROW) return Fail(r->ErrorFor(rc, "reading the signature"));
    email = st->Text(0);
    if (!st->IsNull(1)) sealed = st->Text(1);
    person_id = st->Int(2);
  }
  if (email.empty() && !sealed.empty()) {
    auto f = store_.sealer().Open(sealed);
    if (!f) return Fail(f.error());
    email = f->email;
  }
  if (email.empty()) return Fail(Code::kNotFound, "the signature has no address");
  return UpdateAddress{email, person_id, signature_id >> 40};
}

// --- unsubscribes

Result<bool> SqliteOutreach::Unsubscribe(std::int64_t campaign_id, std::int64_t person_id,
                                         std::optional<std::int64_t> update_id, UnixTime now) {
  return RunWrite<bool>(store_, [&](WriteTx& tx) -> Result<bool> {
    auto st = Prep(tx, kUnsubscribe);
    if (!st) return Fail(st.error());
    st->Bind(1, campaign_id).Bind(2, person_id).Bind(3, update_id).Bind(4, now);
    if (auto r = StepDone(DbOf(tx), *st, "unsubscribing"); !r) return Fail(r.error());
    return DbOf(tx).Changes() > 0;
  });
}

Result<bool> SqliteOutreach::IsUnsubscribed(std::int64_t campaign_id, std::int64_t person_id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kIsUnsubscribed);
  if (!st) return Fail(st.error());
  st->Bind(1, campaign_id).Bind(2, person_id);
  int rc = st->Step();
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return Fail(r->ErrorFor(rc, "reading unsubscribes"));
}

// --- deliveries

Result<DeliveryRecord> SqliteOutreach::RecordDelivery(const NewDelivery& d) {
  const DeliveryRecord& in = d.record;
  const std::string recipients = RecipientsJson(in.recipients);
  return RunWrite<DeliveryRecord>(store_, [&](WriteTx& tx) -> Result<DeliveryRecord> {
    Db& db = DbOf(tx);
    auto st = db.Prepare(kInsertDelivery);
    if (!st) return Fail(st.error());
    st->Bind(1, in.campaign_id).Bind(2, in.user_id).Bind(3, d.now).Bind(4, recipients);
    st->Bind(5, static_cast<std::int64_t>(in.checkpoint_size)).Bind(6, in.checkpoint_hash);
    st->Bind(7, in.confirmed).Bind(8, in.letter_json);
    int rc = st->Step();
    if (rc != SQLITE_ROW) return Fail(db.ErrorFor(rc, "recording the delivery"));
    DeliveryRecord out = DeliveryFromRow(*st);
    st->Reset();
    for (const std::string& to : in.recipients) {
      auto mail = db.Prepare(kInsertDeliveryMail);
      if (!mail) return Fail(mail.error());
      mail->Bind(1, to).Bind(2, out.id).Bind(3, d.now);
      if (auto r = StepDone(db, *mail, "queueing the delivery"); !r) return Fail(r.error());
    }
    auto touch = db.Prepare(sql::kTouchCampaign);
    if (!touch) return Fail(touch.error());
    touch->Bind(1, in.campaign_id).Bind(2, d.now);
    if (auto r = StepDone(db, *touch, "touching the campaign"); !r) return Fail(r.error());
    return out;
  });
}

Result<DeliveryRecord> SqliteOutreach::GetDelivery(std::int64_t id) {
  auto r = store_.Reader();
  auto st = r->Prepare(kGetDelivery);
  if (!st) return Fail(st.error());
  st->Bind(1, id);
  return QueryOne(*r, *st, "no such delivery", [](Stmt& s) { return Wrap(DeliveryFromRow(s)); });
}

Result<std::vector<DeliveryRecord>> SqliteOutreach::ListDeliveries(std::int64_t campaign_id) {
  auto r = store_.Reader();
  return ReadAll<DeliveryRecord>(*r, kListDeliveries, campaign_id,
                                 [](Stmt& s) { return Wrap(DeliveryFromRow(s)); });
}

}  // namespace undersigned::store
