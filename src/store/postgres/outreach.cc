// PgOutreach (outreach.h): updates, unsubscribes and deliveries on PostgreSQL, and their SQL.
#include "store/postgres/outreach.h"

#include <string>
#include <utility>
#include <vector>

namespace undersigned::store::pg {
namespace {

#define US_PG_UPDATE_COLS                                                                    \
  "id, campaign_id, kind, subject, body_markdown, author_user_id, state, send_at, created, " \
  "modified, finished"
#define US_PG_DELIVERY_COLS                                                                      \
  "id, campaign_id, user_id, created, recipients, checkpoint_size, checkpoint_hash, confirmed, " \
  "letter"
// The recipients of the campaign c's updates (outreach_store.h), as a condition on signatures s.
#define US_PG_UPDATE_RECIPIENT(c)                                                          \
  "s.state = 'confirmed' AND s.wants_updates AND (s.email <> '' OR s.sealed IS NOT NULL) " \
  "AND NOT EXISTS (SELECT 1 FROM unsubscribes x WHERE x.campaign_id = " c                  \
  " AND x.person_id = s.person_id)"

constexpr const char* kInsertUpdate =
    "INSERT INTO updates (campaign_id, kind, subject, body_markdown, author_user_id, state, "
    "created, modified) VALUES ($1, $2, $3, $4, $5, 'draft', $6, $6) RETURNING " US_PG_UPDATE_COLS;
constexpr const char* kGetUpdate = "SELECT " US_PG_UPDATE_COLS " FROM updates WHERE id = $1";
constexpr const char* kListUpdates =
    "SELECT " US_PG_UPDATE_COLS " FROM updates WHERE campaign_id = $1 ORDER BY id DESC";
constexpr const char* kEditUpdate =
    "UPDATE updates SET subject = $2, body_markdown = $3, modified = $4 WHERE id = $1 AND "
    "state = 'draft' RETURNING " US_PG_UPDATE_COLS;
constexpr const char* kScheduleUpdate =
    "UPDATE updates SET state = 'scheduled', send_at = $2, modified = $3 WHERE id = $1 AND "
    "state IN ('draft', 'scheduled') RETURNING " US_PG_UPDATE_COLS;
constexpr const char* kUnscheduleUpdate =
    "UPDATE updates SET state = 'draft', send_at = NULL, modified = $2 WHERE id = $1 AND "
    "state = 'scheduled' RETURNING " US_PG_UPDATE_COLS;
constexpr const char* kDueUpdates =
    "SELECT id FROM updates WHERE state IN ('scheduled', 'sending') AND send_at <= $1 "
    "ORDER BY send_at, id";
constexpr const char* kNextUpdate =
    "SELECT min(send_at) FROM updates WHERE state IN ('scheduled', 'sending')";
// One batch (outreach.h): lock the update if due, queue the next recipients, move it on.
constexpr const char* kEnqueueBatch =
    "WITH u AS (SELECT id, campaign_id, queued_through FROM updates WHERE id = $1::bigint AND "
    "state IN ('scheduled', 'sending') AND send_at <= $2::bigint FOR UPDATE), "
    "r AS (SELECT s.id FROM signatures s, u WHERE s.id BETWEEN (u.campaign_id << 40) AND "
    "(u.campaign_id << 40) + 1099511627775 AND s.id > u.queued_through AND "
    US_PG_UPDATE_RECIPIENT("u.campaign_id") " ORDER BY s.id LIMIT $3::integer), "
    "ins AS (INSERT INTO outbox (kind, recipient, payload, next_attempt, created, update_id) "
    "SELECT 'update', '', json_build_object('update_id', $1::bigint, 'signature_id', r.id)::text, "
    "$2::bigint, $2::bigint, $1::bigint FROM r RETURNING 1), "
    "n AS (SELECT count(*) AS queued, max(id) AS last FROM r), "
    "m AS (UPDATE updates SET state = CASE WHEN n.queued < $3::integer THEN 'sent' ELSE "
    "'sending' END, queued_through = coalesce(n.last, updates.queued_through), modified = "
    "$2::bigint, finished = CASE WHEN n.queued < $3::integer THEN $2::bigint END FROM u, n "
    "WHERE updates.id = u.id RETURNING 1) "
    "SELECT (SELECT count(*) FROM u), (SELECT count(*) FROM ins), (SELECT count(*) FROM m)";
constexpr const char* kUpdateCounts =
    "SELECT count(*), count(sent), count(*) FILTER (WHERE sent IS NULL AND attempts > 0), "
    "(SELECT count(*) FROM unsubscribes WHERE update_id = $1) FROM outbox WHERE update_id = $1";
constexpr const char* kCountRecipients =
    "SELECT count(*) FROM signatures s WHERE s.id BETWEEN ($1::bigint << 40) AND ($1::bigint << "
    "40) + 1099511627775 AND " US_PG_UPDATE_RECIPIENT("$1::bigint");
constexpr const char* kUpdateAddress =
    "SELECT email, sealed, person_id FROM signatures WHERE id = $1";

constexpr const char* kUnsubscribe =
    "INSERT INTO unsubscribes (campaign_id, person_id, update_id, created) VALUES ($1, $2, $3, "
    "$4) ON CONFLICT DO NOTHING RETURNING 1";
constexpr const char* kIsUnsubscribed =
    "SELECT 1 FROM unsubscribes WHERE campaign_id = $1 AND person_id = $2";

constexpr const char* kRecordDelivery =
    "WITH d AS (INSERT INTO deliveries (campaign_id, user_id, created, recipients, "
    "checkpoint_size, checkpoint_hash, confirmed, letter) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) "
    "RETURNING " US_PG_DELIVERY_COLS
    "), "
    "m AS (INSERT INTO outbox (kind, recipient, payload, next_attempt, created) SELECT "
    "'delivery', t, json_build_object('delivery_id', d.id)::text, $3, $3 FROM d, "
    "unnest($9::text[]) AS t RETURNING 1), "
    "c AS (UPDATE campaigns SET modified = greatest(modified + 1, $3) WHERE id = $1 RETURNING 1) "
    "SELECT " US_PG_DELIVERY_COLS " FROM d";
constexpr const char* kGetDelivery = "SELECT " US_PG_DELIVERY_COLS " FROM deliveries WHERE id = $1";
constexpr const char* kListDeliveries =
    "SELECT " US_PG_DELIVERY_COLS " FROM deliveries WHERE campaign_id = $1 ORDER BY id DESC";

Result<Update> UpdateFrom(const PgResult& r, int row) {
  Update u;
  u.id = r.Int(row, 0);
  u.campaign_id = r.Int(row, 1);
  u.kind = r.Text(row, 2);
  u.subject = r.Text(row, 3);
  u.body_markdown = r.Text(row, 4);
  u.author_user_id = r.OptInt(row, 5);
  auto state = ParseUpdateState(r.View(row, 6));
  if (!state) return Fail(Code::kInternal, "an update has an unknown state");
  u.state = *state;
  u.send_at = r.OptInt(row, 7);
  u.created = r.Int(row, 8);
  u.modified = r.Int(row, 9);
  u.finished = r.OptInt(row, 10);
  return u;
}

DeliveryRecord DeliveryFrom(const PgResult& r, int row) {
  DeliveryRecord d;
  d.id = r.Int(row, 0);
  d.campaign_id = r.Int(row, 1);
  d.user_id = r.OptInt(row, 2);
  d.created = r.Int(row, 3);
  d.recipients = ParseRecipients(r.View(row, 4));
  d.checkpoint_size = static_cast<std::uint64_t>(r.Int(row, 5));
  d.checkpoint_hash = r.Text(row, 6);
  d.confirmed = r.Int(row, 7);
  d.letter_json = r.Text(row, 8);
  return d;
}

}  // namespace

Result<PgResult> PgOutreach::Run(const char* sql, const PgParams& params, std::string_view what,
                                 bool write) {
  if (write) {
    if (auto w = writable_(); !w) return Fail(w.error());
  }
  Result<PgResult> out = Fail(Code::kInternal, "not run");
  with_conn_([&](PgConn& conn) { out = conn.Run(sql, params, what); });
  return out;
}

// --- updates

Result<Update> PgOutreach::CreateUpdate(const NewUpdate& u) {
  PgParams p;
  p.Int(u.campaign_id).Text(u.kind).Text(u.subject).Text(u.body_markdown).Int(u.author_user_id);
  p.Int(u.now);
  auto r = Run(kInsertUpdate, p, "creating the update", true);
  if (!r) return Fail(r.error());
  return UpdateFrom(*r, 0);
}

Result<Update> PgOutreach::GetUpdate(std::int64_t id) {
  auto r = Run(kGetUpdate, PgParams().Int(id), "reading the update", false);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such update");
  return UpdateFrom(*r, 0);
}

Result<std::vector<Update>> PgOutreach::ListUpdates(std::int64_t campaign_id) {
  auto r = Run(kListUpdates, PgParams().Int(campaign_id), "listing updates", false);
  if (!r) return Fail(r.error());
  std::vector<Update> out;
  for (int i = 0; i < r->rows(); ++i) {
    auto u = UpdateFrom(*r, i);
    if (!u) return Fail(u.error());
    out.push_back(std::move(*u));
  }
  return out;
}

Result<Update> PgOutreach::ChangeUpdate(const char* sql, const PgParams& params, std::int64_t id) {
  if (auto u = GetUpdate(id); !u) return Fail(u.error());
  auto r = Run(sql, params, "changing the update", true);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) {
    return Fail(Code::kConflict, "the update is no longer a draft (it is being sent or was sent)");
  }
  return UpdateFrom(*r, 0);
}

Result<Update> PgOutreach::EditUpdate(std::int64_t id, const std::string& subject,
                                      const std::string& body_markdown, UnixTime now) {
  return ChangeUpdate(kEditUpdate, PgParams().Int(id).Text(subject).Text(body_markdown).Int(now),
                      id);
}

Result<Update> PgOutreach::ScheduleUpdate(std::int64_t id, UnixTime send_at, UnixTime now) {
  return ChangeUpdate(kScheduleUpdate, PgParams().Int(id).Int(send_at).Int(now), id);
}

Result<Update> PgOutreach::UnscheduleUpdate(std::int64_t id, UnixTime now) {
  auto u = GetUpdate(id);
  if (!u) return Fail(u.error());
  if (u->state == UpdateState::kDraft) return Fail(Code::kConflict, "the update is not scheduled");
  return ChangeUpdate(kUnscheduleUpdate, PgParams().Int(id).Int(now), id);
}

Result<std::vector<std::int64_t>> PgOutreach::DueUpdates(UnixTime now) {
  auto r = Run(kDueUpdates, PgParams().Int(now), "reading due updates", false);
  if (!r) return Fail(r.error());
  std::vector<std::int64_t> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(r->Int(i, 0));
  return out;
}

Result<std::optional<UnixTime>> PgOutreach::NextUpdateAt() {
  auto r = Run(kNextUpdate, {}, "reading the next update", false);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return std::optional<UnixTime>();
  return r->OptInt(0, 0);
}

Result<UpdateBatch> PgOutreach::EnqueueUpdateBatch(std::int64_t id, UnixTime now, int limit) {
  auto r = Run(kEnqueueBatch, PgParams().Int(id).Int(now).Int(limit), "queueing the update", true);
  if (!r) return Fail(r.error());
  UpdateBatch b;
  b.ran = r->Int(0, 0) > 0;
  if (!b.ran) return b;
  b.queued = r->Int(0, 1);
  b.finished = b.queued < limit;
  return b;
}

Result<UpdateCounts> PgOutreach::GetUpdateCounts(std::int64_t id) {
  auto r = Run(kUpdateCounts, PgParams().Int(id), "counting the update's mail", false);
  if (!r) return Fail(r.error());
  return UpdateCounts{r->Int(0, 0), r->Int(0, 1), r->Int(0, 2), r->Int(0, 3)};
}

Result<std::int64_t> PgOutreach::CountUpdateRecipients(std::int64_t campaign_id) {
  auto r = Run(kCountRecipients, PgParams().Int(campaign_id), "counting recipients", false);
  if (!r) return Fail(r.error());
  return r->Int(0, 0);
}

Result<UpdateAddress> PgOutreach::GetUpdateAddress(std::int64_t signature_id) {
  auto r = Run(kUpdateAddress, PgParams().Int(signature_id), "reading the signature", false);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such signature");
  std::string email = r->Text(0, 0);
  const std::string sealed = r->Bytes(0, 1);
  if (email.empty() && !sealed.empty()) {
    auto f = sealer_.Open(sealed);
    if (!f) return Fail(f.error());
    email = f->email;
  }
  if (email.empty()) return Fail(Code::kNotFound, "the signature has no address");
  return UpdateAddress{email, r->Int(0, 2), signature_id >> 40};
}

// --- unsubscribes

Result<bool> PgOutreach::Unsubscribe(std::int64_t campaign_id, std::int64_t person_id,
                                     std::optional<std::int64_t> update_id, UnixTime now) {
  auto r = Run(kUnsubscribe, PgParams().Int(campaign_id).Int(person_id).Int(update_id).Int(now),
               "unsubscribing", true);
  if (!r) return Fail(r.error());
  return r->rows() > 0;
}

Result<bool> PgOutreach::IsUnsubscribed(std::int64_t campaign_id, std::int64_t person_id) {
  auto r = Run(kIsUnsubscribed, PgParams().Int(campaign_id).Int(person_id), "reading unsubscribes",
               false);
  if (!r) return Fail(r.error());
  return r->rows() > 0;
}

// --- deliveries

Result<DeliveryRecord> PgOutreach::RecordDelivery(const NewDelivery& d) {
  const DeliveryRecord& in = d.record;
  PgParams p;
  p.Int(in.campaign_id).Int(in.user_id).Int(d.now).Text(RecipientsJson(in.recipients));
  p.Int(static_cast<std::int64_t>(in.checkpoint_size)).Text(in.checkpoint_hash);
  p.Int(in.confirmed).Text(in.letter_json);
  PgRows to(1);
  for (const std::string& r : in.recipients) to.Add().Text(r);
  to.AppendColumns(p);
  auto r = Run(kRecordDelivery, p, "recording the delivery", true);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kInternal, "recording the delivery returned nothing");
  return DeliveryFrom(*r, 0);
}

Result<DeliveryRecord> PgOutreach::GetDelivery(std::int64_t id) {
  auto r = Run(kGetDelivery, PgParams().Int(id), "reading the delivery", false);
  if (!r) return Fail(r.error());
  if (r->rows() == 0) return Fail(Code::kNotFound, "no such delivery");
  return DeliveryFrom(*r, 0);
}

Result<std::vector<DeliveryRecord>> PgOutreach::ListDeliveries(std::int64_t campaign_id) {
  auto r = Run(kListDeliveries, PgParams().Int(campaign_id), "listing deliveries", false);
  if (!r) return Fail(r.error());
  std::vector<DeliveryRecord> out;
  for (int i = 0; i < r->rows(); ++i) out.push_back(DeliveryFrom(*r, i));
  return out;
}

}  // namespace undersigned::store::pg
