// The Store: everything undersigned keeps, behind one facade so that SQLite (the default,
// store/sqlite/) and PostgreSQL (store/postgres/) are interchangeable. Made by a factory
// (OpenStore in store/open_store.h), owned by app::App.
//
// The facade is made of narrow interfaces by subject, one header each: campaigns, signatures,
// people, organizations, API tokens, outbox, log and instance values. Code that needs one
// subject takes that interface. Organizer accounts (store/account_store.h) are reached through
// accounts(), implemented by each backend in a class of its own; so are updates and deliveries
// (store/outreach_store.h), reached through outreach(). Writes that carry rules
// (signing, confirming, withdrawing, deciding outcomes, revealing sealed names, organizations)
// are not methods here: they are transaction scripts in service/tx/ that run inside a backend's
// batch through Submit and the narrow per-transaction WriteTx (store/write_tx.h), written once
// for every backend.
//
// Thread-safety: every method may be called from any thread concurrently. Methods block until
// done. Writes are durable (committed and synced) before they return success; backends batch
// concurrent writes into one transaction (group commit), so many threads blocked in a write at
// once is the fast path, not a problem.
//
// Errors: kNotFound for a missing row, kConflict for a unique violation or an illegal state
// change, kUnavailable when closing (or the disk is full), kInternal for anything else.
// Messages never contain personal data.
#pragma once

#include <string>

#include "store/account_store.h"
#include "store/api_token_store.h"
#include "store/campaign_store.h"
#include "store/dashboard_store.h"
#include "store/event_store.h"
#include "store/fundraising_store.h"
#include "store/instance_store.h"
#include "store/log_store.h"
#include "store/organization_store.h"
#include "store/outbox_store.h"
#include "store/outreach_store.h"
#include "store/people_store.h"
#include "store/pledge_store.h"
#include "store/signature_store.h"
#include "store/types.h"
#include "store/write_tx.h"

namespace undersigned {

class Store : public CampaignStore,
              public SignatureStore,
              public PeopleStore,
              public OrganizationStore,
              public ApiTokenStore,
              public OutboxStore,
              public LogStore,
              public InstanceStore {
 public:
  ~Store() override = default;

  // Queues job for the writer's next batch and returns at once; job->Finish is called exactly
  // once (with kUnavailable at once if the store is closing). The caller keeps job alive until
  // then. Use store/write.h's RunWrite / RunWriteAsync rather than this directly.
  virtual void Submit(store::WriteJob* job) = 0;
  // Seals and opens the personal fields of sealed and anonymous signers (store/sealed_fields.h)
  // with the instance's key, which never leaves the store.
  virtual const store::FieldSealer& sealer() const = 0;
  // Organizer accounts, sessions, memberships and the action record. Lives as long as the store.
  virtual AccountStore& accounts() = 0;
  // What an organizer's dashboard reads (store/dashboard_store.h). Lives as long as the store.
  virtual DashboardStore& dashboard() = 0;
  // Updates to signers, unsubscribes and deliveries to targets (store/outreach_store.h). Lives
  // as long as the store.
  virtual OutreachStore& outreach() = 0;
  // Events, their slots, RSVPs and reminders (store/event_store.h). Lives as long as the store.
  virtual EventStore& events() = 0;
  // Fundraisers, donations, their totals and the payment events handled
  // (store/fundraising_store.h). Lives as long as the store.
  virtual FundraisingStore& fundraising() = 0;
  // Pledge campaigns, pledges and the claims that charge, release and tell each once
  // (store/pledge_store.h). Lives as long as the store.
  virtual PledgeStore& pledges() = 0;
  // Online, consistent copy of the whole store into a new file at path. kInvalidArgument for a
  // backend copied by its own tools (PostgreSQL: pg_dump), with a message that says what to do.
  virtual Result<void> Backup(const std::string& path) = 0;
  // Finishes queued writes, then refuses new ones with kUnavailable. Idempotent.
  virtual void Close() = 0;
};

}  // namespace undersigned
