// OutreachStore: what the organizers send out (issue 13, parts 7 and 8): updates to the signers
// who asked for them, the signers' per-campaign unsubscribes, and deliveries of the letter to
// its targets. Reached through Store::outreach(); each backend implements it in a class of its
// own (store/sqlite/outreach.h, store/postgres/outreach.h) over the tables of SQLite migration 8
// and PostgreSQL migration 6. The rules (who may send, what a mail says) are in
// service/updates.h and service/target_delivery.h; this only keeps rows.
//
// How an update goes out: a scheduled (or "send now") update is due once send_at <= now. Each
// EnqueueUpdateBatch call queues, in one transaction, one outbox message (kind "update",
// recipient left empty, payload {"update_id","signature_id"}) for each of the next `limit`
// recipients after the update's cursor (the last signature id it queued), then moves the
// cursor, so that a crash between batches resumes where the last committed batch ended and no
// signer is queued twice, on any number of nodes (PostgreSQL: the update's row is locked first,
// so a second node's batch waits and then starts after the first one's cursor). Recipients are
// the campaign's confirmed signatures whose signer asked for updates (wants_updates), with an
// address (in clear, or sealed: a sealed name's or an anonymous signer's), and whose person has
// not unsubscribed from the campaign; one signature per person per campaign, so one message per
// person. A signature confirmed after the cursor passed its id is not reached by that update.
// The address is not copied into the outbox: the mail's renderer asks UpdateAddress at send
// time (opening a sealed one there), so the outbox never holds a sealed signer's address.
//
// Delivery counts per update come from the outbox rows it queued (outbox.update_id): queued (all
// of them), sent, failed (tried and not sent yet, or given up), and the unsubscribes made from
// its mails' links.
//
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "store/types.h"

namespace undersigned {

enum class UpdateState { kDraft, kScheduled, kSending, kSent };
const char* UpdateStateName(UpdateState s);  // "draft", "scheduled", "sending", "sent"
std::optional<UpdateState> ParseUpdateState(std::string_view s);

// An update to a campaign's signers. kind "update" (written by an organizer) or "delivered"
// (made when the letter was delivered to its targets).
struct Update {
  std::int64_t id = 0;
  std::int64_t campaign_id = 0;
  std::string kind = "update";
  std::string subject;
  std::string body_markdown;
  std::optional<std::int64_t> author_user_id;  // none: the operator (CLI)
  UpdateState state = UpdateState::kDraft;
  std::optional<UnixTime> send_at;  // set once scheduled
  UnixTime created = 0;
  UnixTime modified = 0;
  std::optional<UnixTime> finished;  // when its last batch was queued
};

struct NewUpdate {
  std::int64_t campaign_id = 0;
  std::string kind = "update";
  std::string subject;  // validated by the service
  std::string body_markdown;
  std::optional<std::int64_t> author_user_id;
  UnixTime now = 0;
};

struct UpdateCounts {
  std::int64_t queued = 0;        // outbox messages queued for it
  std::int64_t sent = 0;          // of them, accepted by the mail server
  std::int64_t failed = 0;        // tried and not sent (retrying or given up)
  std::int64_t unsubscribed = 0;  // people who unsubscribed with one of its links
};

// What one EnqueueUpdateBatch did.
struct UpdateBatch {
  bool ran = false;  // false: the update was not due (draft, sent, or send_at in the future)
  std::int64_t queued = 0;
  bool finished = false;  // this batch queued the last recipients: the update is now sent
};

// Where an update's mail to one signature goes, read at send time.
struct UpdateAddress {
  std::string email;  // in clear (a sealed one opened for this mail only)
  std::int64_t person_id = 0;
  std::int64_t campaign_id = 0;
};

// A delivery of the letter to its targets, as recorded.
struct DeliveryRecord {
  std::int64_t id = 0;
  std::int64_t campaign_id = 0;
  std::optional<std::int64_t> user_id;  // who delivered it; none: the operator (CLI)
  UnixTime created = 0;
  std::vector<std::string> recipients;  // the targets' addresses it went to
  std::uint64_t checkpoint_size = 0;    // the log checkpoint it used (0: no log)
  std::string checkpoint_hash;          // that checkpoint's root hash, hex
  std::int64_t confirmed = 0;           // the count it delivered
  // The letter as it stood (JSON made by service/target_delivery.h): each target's mail
  // renders its PDF from this at send time, so every target gets the same letter.
  std::string letter_json;
};

// Queues one outbox message of kind "delivery" (payload {"delivery_id": id}) to each recipient
// in the same transaction as the record.
struct NewDelivery {
  DeliveryRecord record;  // id and created are assigned
  UnixTime now = 0;
};

class OutreachStore {
 public:
  virtual ~OutreachStore() = default;

  // --- updates
  virtual Result<Update> CreateUpdate(const NewUpdate& u) = 0;
  virtual Result<Update> GetUpdate(std::int64_t id) = 0;
  // Newest first.
  virtual Result<std::vector<Update>> ListUpdates(std::int64_t campaign_id) = 0;
  // A draft's subject and body. kConflict unless it is a draft.
  virtual Result<Update> EditUpdate(std::int64_t id, const std::string& subject,
                                    const std::string& body_markdown, UnixTime now) = 0;
  // draft (or scheduled) -> scheduled at send_at. kConflict once it is sending or sent.
  virtual Result<Update> ScheduleUpdate(std::int64_t id, UnixTime send_at, UnixTime now) = 0;
  // scheduled -> draft again (send_at cleared), before its first batch is queued. kConflict
  // otherwise (a draft, or an update being sent or sent: what is queued goes out).
  virtual Result<Update> UnscheduleUpdate(std::int64_t id, UnixTime now) = 0;
  // Ids of the updates due at now (scheduled with send_at <= now, or sending), oldest first.
  virtual Result<std::vector<std::int64_t>> DueUpdates(UnixTime now) = 0;
  // The earliest send_at of an update scheduled or sending, if any.
  virtual Result<std::optional<UnixTime>> NextUpdateAt() = 0;
  // Queues the next batch of at most limit recipients (see the header). REQUIRES: limit >= 1.
  virtual Result<UpdateBatch> EnqueueUpdateBatch(std::int64_t id, UnixTime now, int limit) = 0;
  virtual Result<UpdateCounts> GetUpdateCounts(std::int64_t id) = 0;
  // How many the campaign's next update would reach now (the recipients defined above).
  virtual Result<std::int64_t> CountUpdateRecipients(std::int64_t campaign_id) = 0;
  // kNotFound if the signature has no address any more (withdrawn signatures keep theirs).
  virtual Result<UpdateAddress> GetUpdateAddress(std::int64_t signature_id) = 0;

  // --- unsubscribes
  // True if this made the person unsubscribed (false: they already were). update_id: the
  // update whose link they used, if any.
  virtual Result<bool> Unsubscribe(std::int64_t campaign_id, std::int64_t person_id,
                                   std::optional<std::int64_t> update_id, UnixTime now) = 0;
  virtual Result<bool> IsUnsubscribed(std::int64_t campaign_id, std::int64_t person_id) = 0;

  // --- deliveries
  virtual Result<DeliveryRecord> RecordDelivery(const NewDelivery& d) = 0;
  virtual Result<DeliveryRecord> GetDelivery(std::int64_t id) = 0;
  // Newest first.
  virtual Result<std::vector<DeliveryRecord>> ListDeliveries(std::int64_t campaign_id) = 0;
};

namespace store {
// A delivery's recipients as stored (a JSON array of strings), both ways.
std::string RecipientsJson(const std::vector<std::string>& recipients);
std::vector<std::string> ParseRecipients(std::string_view text);
}  // namespace store

}  // namespace undersigned
