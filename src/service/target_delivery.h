// Delivery of the letter to its targets by email (issue 13, part 8). The organizer previews the
// letter as it stands (service/delivery.h: text, targets, counts by group, public names,
// co-signers, the log checkpoint that proves the count), then sends it: one mail to each
// target's address (core/campaign.h Target::email) with the letter as a PDF attachment
// (render/letter_pdf.h: cairo and pango). The delivery is recorded (store/outreach_store.h:
// when, by whom, the addresses, the checkpoint's size and root hash, the count) in the same
// transaction as its mails, and the signers who asked for updates are told by an automatic
// "delivered" update (service/updates.h).
//
// The outbox has no attachment column: the delivery's row keeps the letter as it was delivered
// (LetterPdfInput as JSON, made once when sending), and each "delivery" outbox row names the
// delivery; its PDF is rendered from that at send time by DeliveryMailRenderer, so every target
// receives the same letter, however late the mail goes, and the outbox stays small.
//
// Thread-safe; holds references to the store, services and clock, which must outlive it.
#pragma once

#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "core/clock.h"
#include "core/error.h"
#include "render/letter_pdf.h"
#include "service/accounts.h"
#include "service/delivery.h"
#include "service/updates.h"
#include "store/store.h"

namespace undersigned::service {

// The letter as it stands, and where it would go.
struct DeliveryPreview {
  Delivery delivery;
  std::vector<std::string> recipients;     // the targets' addresses
  std::vector<std::string> without_email;  // names of targets that have none
};

// What a recorded delivery says, for the campaign page: "Delivered to ... on ..., with N
// signatures".
struct DeliveryNote {
  std::vector<std::string> targets;  // the names of the targets it went to
  UnixTime when = 0;
  std::int64_t confirmed = 0;
};

// The letter input made from a Delivery (the PDF's content), and its stored JSON form.
render::LetterPdfInput LetterInputFrom(const Delivery& d);
std::string LetterJson(const render::LetterPdfInput& in);
Result<render::LetterPdfInput> ParseLetterJson(const std::string& json);

class TargetDeliveryService {
 public:
  TargetDeliveryService(Store& store, AccountService& accounts, UpdateService& updates,
                        const Clock& clock, std::string site_url);

  // Needs the deliver action on the campaign (kNotFound for an unknown campaign or no role).
  Result<DeliveryPreview> Preview(const Actor& by, const std::string& slug);
  // Records the delivery and queues one mail per target address, then announces it to the
  // signers. kInvalidArgument if no target has an address (the message says how to add one).
  // last_seen: the id of the newest delivery the sender was shown (0: none); if given and a
  // newer one exists, kConflict, so that a form sent twice delivers once.
  Result<DeliveryRecord> Send(const Actor& by, const std::string& slug,
                              std::optional<std::int64_t> last_seen = std::nullopt);
  // The campaign's deliveries, newest first (needs view).
  Result<std::vector<DeliveryRecord>> List(const Actor& by, const std::string& slug);
  // The latest delivery of a campaign, as the public page says it (nullopt: none). Public.
  Result<std::optional<DeliveryNote>> LatestNote(std::int64_t campaign_id);

 private:
  Store& store_;
  AccountService& accounts_;
  UpdateService& updates_;
  const Clock& clock_;
  std::string site_url_;
  // Held through Send, so that two presses of the same button in this process see each other's
  // delivery (last_seen). Two nodes could still both deliver; the record shows both.
  std::mutex send_mu_;
};

// Renders "delivery" outbox rows at send time: the letter as recorded, as a PDF attachment.
// kInvalidArgument for a row naming no known delivery (permanent). Thread-safe.
class DeliveryMailRenderer {
 public:
  explicit DeliveryMailRenderer(Store& store) : store_(store) {}
  static bool Handles(const std::string& kind) { return kind == "delivery"; }
  Result<OutreachMail> Render(const OutboxMessage& m) const;

 private:
  Store& store_;
};

}  // namespace undersigned::service
