// OutboxStore: The outbox as its sender sees it (mail/outbox_sender.h). Messages are queued by the
// transaction scripts (WriteTx::QueueMail). A backend with several senders (several nodes)
// leases what DueOutbox returns (kOutboxLease) so that no other sender takes it meanwhile.
// Part of the Store facade (store/store.h); see there for threads and errors.
#pragma once

#include "store/types.h"

namespace undersigned {

// How long a message DueOutbox returned stays taken by its sender on a backend with several
// senders: a sender that dies mid-send leaves it to another one after this (the message may then
// go twice, never zero times; its stable Message-ID lets receivers drop the copy).
inline constexpr UnixTime kOutboxLease = 60;

class OutboxStore {
 public:
  virtual ~OutboxStore() = default;

  // Up to limit messages (leased, see kOutboxLease) with next_attempt <= now and not sent, oldest
  // first.
  virtual Result<std::vector<OutboxMessage>> DueOutbox(UnixTime now, int limit) = 0;
  // Marks sent and clears the payload (tokens leave the database).
  virtual Result<void> MarkOutboxSent(std::int64_t id, UnixTime now) = 0;
  // attempts += 1, next_attempt and last_error set.
  virtual Result<void> MarkOutboxFailed(std::int64_t id, UnixTime next_attempt,
                                        const std::string& error) = 0;
  // Unsent messages still to be tried (those given up on, kOutboxNever, are not counted).
  virtual Result<std::int64_t> OutboxDepth() = 0;
  // Earliest next_attempt of an unsent message, if any (so the sender can sleep until then).
  virtual Result<std::optional<UnixTime>> NextOutboxAttempt() = 0;
};

}  // namespace undersigned
