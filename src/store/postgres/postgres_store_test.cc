// Tests of the PostgreSQL store that need a server (UNDERSIGNED_TEST_PG_URL; skipped without):
// migrations from several connections, the facade's reads and plain writes, group commit and
// savepoints through Submit, counts across two nodes, the outbox's claims and leases. The log
// is tested in postgres_log_test.cc.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <set>
#include <thread>

#include "service/tx/scripts.h"
#include "store/postgres/migrations.h"
#include "store/postgres/pg_test_util.h"
#include "store/sqlite/sqlite_store.h"

namespace undersigned::store::pg {
namespace {

using testing::NewCampaign;
using testing::Open;
using testing::Sign;

TEST(PostgresStore, IsPostgresUrl) {
  EXPECT_TRUE(IsPostgresUrl("postgresql://u@h/db"));
  EXPECT_TRUE(IsPostgresUrl("postgres://h/db"));
  EXPECT_FALSE(IsPostgresUrl("/var/lib/undersigned"));
  EXPECT_FALSE(IsPostgresUrl("sqlite://x"));
}

TEST(PostgresStore, ErrorsNeverCarryThePassword) {
  EXPECT_EQ(RedactUrl("postgresql://user:s3cret@host:5432/db?password=other&x=1"),
            "postgresql://user:***@host:5432/db?password=***&x=1");
  PostgresOptions o;
  o.url = "postgresql://user:s3cret@127.0.0.1:1/db?connect_timeout=2";
  auto s = OpenPostgresStore(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Code::kUnavailable);
  EXPECT_EQ(s.error().message.find("s3cret"), std::string::npos) << s.error().message;
  EXPECT_EQ(CodeOfSqlState("23505"), Code::kConflict);
  EXPECT_EQ(CodeOfSqlState("23503"), Code::kNotFound);  // a foreign key to a missing row
  EXPECT_EQ(CodeOfSqlState("53100"), Code::kUnavailable);
  EXPECT_EQ(CodeOfSqlState("08006"), Code::kUnavailable);
  EXPECT_EQ(CodeOfSqlState("42601"), Code::kInternal);
}

TEST(PostgresStore, MigratesOnceFromManyConnectionsAtOnce) {
  US_PG_TEST_SETUP(db);
  std::atomic<int> applied{0}, ok{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 6; ++i) {
    threads.emplace_back([&] {
      auto conn = PgConn::Open(db.url());
      if (!conn) return;
      auto r = Migrate(**conn);
      if (r) {
        ++ok;
        applied += *r;
      } else {
        ADD_FAILURE() << r.error().message;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), 6);
  EXPECT_EQ(applied.load(), MigrationCount());  // exactly one connection migrated
  // Stores opened at once too.
  std::vector<std::unique_ptr<Store>> stores(3);
  threads.clear();
  for (auto& s : stores) threads.emplace_back([&] { s = Open(db.url()); });
  for (auto& t : threads) t.join();
  for (auto& s : stores) ASSERT_NE(s, nullptr);
}

TEST(PostgresStore, RefusesANewerSchema) {
  US_PG_TEST_SETUP(db);
  {
    auto s = Open(db.url());
    ASSERT_NE(s, nullptr);
  }
  auto conn = PgConn::Open(db.url());
  ASSERT_TRUE(conn);
  ASSERT_TRUE((*conn)->Exec("UPDATE schema_version SET version = 999", "test"));
  PostgresOptions o;
  o.url = db.url();
  auto s = OpenPostgresStore(o);
  ASSERT_FALSE(s);
  EXPECT_EQ(s.error().code, Code::kInvalidArgument);
  EXPECT_NE(s.error().message.find("newer"), std::string::npos);
}

TEST(PostgresStore, TheActionRecordRefusesUpdatesAndDeletes) {
  US_PG_TEST_SETUP(db);
  auto store = Open(db.url());
  ASSERT_NE(store, nullptr);
  ActionEntry e;
  e.at = 1'700'000'000;
  e.action = "user.create";
  e.subject = "ada@example.org";
  ASSERT_TRUE(store->accounts().AppendAction(e).has_value());
  auto conn = PgConn::Open(db.url());
  ASSERT_TRUE(conn);
  for (const char* sql :
       {"UPDATE organizer_actions SET action = 'nothing'", "DELETE FROM organizer_actions"}) {
    auto r = (*conn)->Exec(sql, "test");
    EXPECT_FALSE(r) << sql;  // the trigger raises (the message is kept neutral)
  }
  auto n = store->accounts().ListActions({}, Page{});
  ASSERT_TRUE(n);
  ASSERT_EQ(n->total, 1);
  EXPECT_EQ(n->items[0].action, "user.create");
}

TEST(PostgresStore, CampaignsTextsAndTokensRoundTrip) {
  US_PG_TEST_SETUP(db);
  auto store = Open(db.url());
  ASSERT_NE(store, nullptr);
  Campaign c = NewCampaign("first");
  c.identifiers = {"sys:1", "sys:2"};
  c.organizers = {"org@example.org"};
  c.threshold = 10;
  c.deadline = 1800000000;
  auto made = store->CreateCampaign(c);
  ASSERT_TRUE(made) << made.error().message;
  EXPECT_GT(made->id, 0);
  EXPECT_FALSE(made->uuid.empty());
  auto dup = store->CreateCampaign(NewCampaign("first"));
  ASSERT_FALSE(dup);
  EXPECT_EQ(dup.error().code, Code::kConflict);

  auto by_slug = store->GetCampaignBySlug("first");
  ASSERT_TRUE(by_slug) << by_slug.error().message;
  EXPECT_EQ(*by_slug, *made);
  EXPECT_EQ(store->GetCampaignBySlug("none").error().code, Code::kNotFound);

  Campaign edit = *made;
  edit.letter_markdown = "A new letter";
  edit.modified = made->modified + 10;
  auto updated = store->UpdateCampaign(edit);
  ASSERT_TRUE(updated) << updated.error().message;
  auto texts = store->CampaignTexts(made->id);
  ASSERT_TRUE(texts);
  ASSERT_EQ(texts->size(), 2u);
  EXPECT_EQ((*texts)[1].letter_markdown, "A new letter");

  auto listed = store->ListCampaignsByIdentifier("sys:2", std::nullopt, {}, {});
  ASSERT_TRUE(listed) << listed.error().message;
  EXPECT_EQ(listed->total, 1);
  auto closed = store->ListCampaigns(CampaignStatus::kClosed, TimeFilter{{}, {}, 1900000000}, {});
  ASSERT_TRUE(closed) << closed.error().message;
  EXPECT_EQ(closed->total, 1);  // open, but past its deadline at that time
  auto next = store->NextOutcomeDeadline();
  ASSERT_TRUE(next);
  EXPECT_EQ(*next, std::optional<UnixTime>(1800000000));

  ASSERT_TRUE(store->CreateApiToken("ci", "abcdef0123456789abcdef0123456789", 5));
  auto tok = store->FindApiToken("ABCDEF0123456789abcdef0123456789");
  ASSERT_TRUE(tok) << tok.error().message;
  EXPECT_EQ(tok->name, "ci");
  EXPECT_EQ(*store->RevokeApiToken("ci", 6), 1);
  EXPECT_EQ(store->FindApiToken("abcdef0123456789abcdef0123456789").error().code, Code::kNotFound);

  auto backup = store->Backup("/tmp/x");
  ASSERT_FALSE(backup);
  EXPECT_EQ(backup.error().code, Code::kInvalidArgument);
  EXPECT_NE(backup.error().message.find("pg_dump"), std::string::npos);
}

TEST(PostgresStore, InstanceValuesAndKeysAreSharedByNodes) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  auto sa = a->InstanceSecret("csrf");
  auto sb = b->InstanceSecret("csrf");
  ASSERT_TRUE(sa && sb);
  EXPECT_EQ(sa->size(), 32u);
  EXPECT_EQ(*sa, *sb);
  ASSERT_TRUE(a->SetInstanceValue("base", "https://x"));
  EXPECT_EQ(**b->FindInstanceValue("base"), "https://x");
  EXPECT_EQ(*b->InstanceValue("origin", "first"), "first");
  EXPECT_EQ(*a->InstanceValue("origin", "second"), "first");
  // The seal key is the same on every node: what one seals, another opens.
  SignatureForm form;
  form.name = "Sealed Name";
  auto opened = b->sealer().Open(a->sealer().Seal(form));
  ASSERT_TRUE(opened) << opened.error().message;
  EXPECT_EQ(opened->name, "Sealed Name");
}

TEST(PostgresStore, SignsThroughTheWriterAndReadsBack) {
  US_PG_TEST_SETUP(db);
  auto store = Open(db.url());
  ASSERT_NE(store, nullptr);
  auto c = store->CreateCampaign(NewCampaign("sign"));
  ASSERT_TRUE(c);
  auto s = Sign(*store, c->id, "a@example.org", false);
  ASSERT_TRUE(s) << s.error().message;
  EXPECT_EQ(s->signature.id >> 40, c->id);
  auto again = Sign(*store, c->id, "a@example.org", false);
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::kConflict);

  auto by_uuid = store->GetSignatureByUuid(s->signature.uuid);
  ASSERT_TRUE(by_uuid) << by_uuid.error().message;
  EXPECT_EQ(by_uuid->canonical_email, "a@example.org");
  EXPECT_EQ(by_uuid->person_uuid, s->signature.person_uuid);
  auto person = store->GetPersonByUuid(s->signature.person_uuid);
  ASSERT_TRUE(person) << person.error().message;
  EXPECT_EQ(person->given_name, "Given");

  auto found = store->FindByConfirmToken("token-of-a@example.org");
  ASSERT_TRUE(found) << found.error().message;
  EXPECT_EQ(found->signature.id, s->signature.id);
  EXPECT_EQ(found->counts.pending, 1);
  EXPECT_EQ(found->campaign.slug, "sign");

  ASSERT_TRUE(Sign(*store, c->id, "b@example.org", true));
  auto list = store->ListSignatures(c->id, {}, {1, 10});
  ASSERT_TRUE(list);
  EXPECT_EQ(list->total, 2);
  ASSERT_EQ(list->items.size(), 2u);
  int confirmed = 0;
  ASSERT_TRUE(store->ForEachConfirmed(c->id, [&](const Signature&) {
    ++confirmed;
    return true;
  }));
  EXPECT_EQ(confirmed, 1);
  auto counts = store->LoadAllCounts();
  ASSERT_TRUE(counts);
  EXPECT_EQ((*counts)[c->id].pending, 1);
  EXPECT_EQ((*counts)[c->id].confirmed, 1);
  EXPECT_EQ((*counts)[c->id].changes, 2);
  auto comment = store->SetSignatureComment(s->signature.uuid, "hello", 1700000100);
  ASSERT_TRUE(comment) << comment.error().message;
  EXPECT_EQ(comment->form.comment, "hello");
  auto people = store->ListPeople(std::nullopt, {}, {});
  ASSERT_TRUE(people);
  EXPECT_EQ(people->total, 2);
  auto upserted = store->UpsertPerson("c@example.org", "c@example.org", {}, 5);
  ASSERT_TRUE(upserted) << upserted.error().message;
  EXPECT_EQ(store->ListPeople(std::nullopt, {}, {})->total, 3);
}

TEST(PostgresStore, ScriptsSeeTheirRowsAsWritten) {
  US_PG_TEST_SETUP(db);
  auto store = Open(db.url());
  ASSERT_NE(store, nullptr);
  auto c = store->CreateCampaign(NewCampaign("rows"));
  ASSERT_TRUE(c);
  auto r = RunWrite<bool>(*store, [&](WriteTx& tx) -> Result<bool> {
    auto counts = tx.Counts(c->id);
    if (!counts) return Fail(counts.error());
    auto person = tx.UpsertSigner({"v@x.org", "", "", "", "", "", false, 10, {}});
    if (!person) return Fail(person.error());
    SignatureRow row;
    row.signature.campaign_id = c->id;
    row.signature.person_id = person->id;
    row.signature.state = SignatureState::kConfirmed;
    row.signature.source = "form";
    row.signature.form.protection = Protection::kSealed;
    row.signature.form.seal_threshold = 5;
    row.signature.confirmed = 10;
    SignatureForm hidden;
    hidden.name = "Hidden";
    row.sealed = tx.sealer().Seal(hidden);
    row.verifies = true;  // a verified group, not followed yet
    row.log_salt = std::string(32, 'x');
    const std::uint64_t next = tx.NextLeafIndex();
    row.leaf_index = next;
    auto inserted = tx.InsertSignature(row);
    if (!inserted || !*inserted) return Fail(Code::kInternal, "not inserted");
    auto index = tx.AppendLeaf("entry", log::LeafHash(std::string_view("entry")));
    if (!index || *index != next) return Fail(Code::kInternal, "leaf index moved");
    auto read = tx.SignatureOf(c->id, person->id);
    if (!read) return Fail(read.error());
    EXPECT_TRUE(read->verifies);
    EXPECT_FALSE(read->signature.verified);
    EXPECT_EQ(read->leaf_index, std::optional<std::uint64_t>(next));
    EXPECT_EQ(read->log_salt, row.log_salt);
    EXPECT_TRUE(read->signature.sealed);
    auto sealed = tx.SealedToReveal(c->id, "public", 5);
    if (!sealed) return Fail(sealed.error());
    EXPECT_EQ(sealed->size(), 1u);
    if (sealed->empty()) return false;
    auto opened = tx.sealer().Open(sealed->front().sealed);
    EXPECT_TRUE(opened && opened->name == "Hidden");
    SignatureRow revealed = sealed->front();
    revealed.signature.form.name = "Hidden";
    revealed.sealed.clear();
    revealed.signature.verified = true;
    if (auto s = tx.SaveSignature(revealed); !s) return Fail(s.error());
    tx.MoveCounts(c->id, {0, 1, 0, {{"public", 1}}, 10});
    tx.MoveCounts(c->id, {0, 0, 0, {{"public", -1}, {"other", 1}}, 20});  // between groups
    auto after = tx.Counts(c->id);
    EXPECT_EQ(after->changes, 1);
    EXPECT_EQ(after->last_change, 10);
    return true;
  });
  ASSERT_TRUE(r) << r.error().message;
  auto s = store->ListSignatures(c->id, {}, {});
  ASSERT_TRUE(s);
  ASSERT_EQ(s->items.size(), 1u);
  EXPECT_EQ(s->items[0].form.name, "Hidden");
  EXPECT_TRUE(s->items[0].verified);
  EXPECT_FALSE(s->items[0].sealed);
  auto counts = store->LoadAllCounts();
  EXPECT_EQ((*counts)[c->id].changes, 1);
  EXPECT_EQ((*counts)[c->id].confirmed, 1);
  ASSERT_EQ((*counts)[c->id].groups.size(), 2u);
}

TEST(PostgresStore, ALostConnectionIsUnavailableThenReconnects) {
  US_PG_TEST_SETUP(db);
  auto store = Open(db.url());
  ASSERT_NE(store, nullptr);
  auto c = store->CreateCampaign(NewCampaign("reconnect"));
  ASSERT_TRUE(c);
  ASSERT_TRUE(Sign(*store, c->id, "before@x.org", false));
  auto admin = PgConn::Open(db.url());
  ASSERT_TRUE(admin);
  ASSERT_TRUE(
      (*admin)->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                     "current_database() AND pid <> pg_backend_pid()",
                     "test"));
  // Each connection notices at its next use: the writer's BEGIN and the reads reconnect and
  // go on; nothing fails.
  auto after = Sign(*store, c->id, "after@x.org", false);
  ASSERT_TRUE(after) << after.error().message;
  for (int i = 0; i < 4; ++i) {
    auto read = store->GetCampaignById(c->id);
    ASSERT_TRUE(read) << read.error().message;
  }
  auto counts = store->LoadAllCounts();
  ASSERT_TRUE(counts) << counts.error().message;
  EXPECT_EQ((*counts)[c->id].pending, 2);
  // An outbox claim (a write) on a lost connection says so, then the next one reconnects.
  ASSERT_TRUE(
      (*admin)->Exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = "
                     "current_database() AND pid <> pg_backend_pid()",
                     "test"));
  int unavailable = 0;
  for (int i = 0; i < 6; ++i) {
    auto due = store->DueOutbox(1800000000, 10);
    if (!due) {
      EXPECT_EQ(due.error().code, Code::kUnavailable) << due.error().message;
      ++unavailable;
    }
  }
  EXPECT_LE(unavailable, 3);  // at most once per pooled connection
}

TEST(PostgresStore, RowsWrittenAtTheFlushKeepEveryCharacter) {
  US_PG_TEST_SETUP(db);
  auto store = Open(db.url());
  ASSERT_NE(store, nullptr);
  const std::string nasty = "{\"a\": \"b\\\\c\", \"d\": [1, 2]}, NULL \n\t'\"; é ☃ {}";
  auto r = RunWrite<bool>(*store, [&](WriteTx& tx) -> Result<bool> {
    if (auto m = tx.QueueMail({"kind", "a,b\"c@x.org", nasty, 7, true}); !m) return Fail(m.error());
    if (auto m = tx.QueueMail({"NULL", "", "", 8, false}); !m) return Fail(m.error());
    return true;
  });
  ASSERT_TRUE(r) << r.error().message;
  auto due = store->DueOutbox(100, 10);
  ASSERT_TRUE(due) << due.error().message;
  ASSERT_EQ(due->size(), 2u);
  EXPECT_EQ((*due)[0].payload, nasty);
  EXPECT_EQ((*due)[0].recipient, "a,b\"c@x.org");
  EXPECT_EQ((*due)[1].kind, "NULL");
  EXPECT_EQ((*due)[1].payload, "");
  ASSERT_TRUE(store->MarkOutboxSent((*due)[0].id, 9));  // a work address is cleared
  auto conn = PgConn::Open(db.url());
  ASSERT_TRUE(conn);
  auto left = (*conn)->Run("SELECT length(recipient) FROM outbox ORDER BY id LIMIT 1", "test");
  ASSERT_TRUE(left);
  EXPECT_EQ(left->Int(0, 0), 0);
}

TEST(PostgresStore, AReturningSignerANodeDidNotKnowIsFoundByTheFlush) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  auto c1 = a->CreateCampaign(NewCampaign("first"));
  auto c2 = a->CreateCampaign(NewCampaign("second"));
  ASSERT_TRUE(c1 && c2);
  auto on_a = Sign(*a, c1->id, "same@x.org", true);
  ASSERT_TRUE(on_a);
  // b guesses the signer is new; its flush finds them and the batch runs again knowing them.
  auto on_b = Sign(*b, c2->id, "same@x.org", false, 1700000000, "second-token");
  ASSERT_TRUE(on_b) << on_b.error().message;
  EXPECT_EQ(on_b->signature.person_id, on_a->signature.person_id);
  EXPECT_EQ(on_b->signature.person_uuid, on_a->signature.person_uuid);
  auto again = Sign(*b, c1->id, "same@x.org", false, 1700000000, "third-token");
  ASSERT_FALSE(again);
  EXPECT_EQ(again.error().code, Code::kConflict);  // already signed there (on a)
  EXPECT_EQ(b->ListPeople(std::nullopt, {}, {})->total, 1);
  EXPECT_EQ(b->ListPersonSignatures(on_a->signature.person_id, {}, {})->total, 2);
  auto counts = b->LoadAllCounts();
  EXPECT_EQ((*counts)[c1->id].confirmed, 1);
  EXPECT_EQ((*counts)[c1->id].pending, 0);
  EXPECT_EQ((*counts)[c2->id].pending, 1);
  EXPECT_EQ(GetPostgresStats(*b)->failed_batches, 0);
}

TEST(PostgresStore, TheSameLinkFollowedOnTwoNodesAtOnceCountsOnce) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  auto c = a->CreateCampaign(NewCampaign("twice"));
  ASSERT_TRUE(c);
  constexpr int kSigners = 40;
  for (int i = 0; i < kSigners; ++i) {
    ASSERT_TRUE(Sign(*a, c->id, "p" + std::to_string(i) + "@x.org", false));
  }
  // A confirmation as a script does it: read by token, change if pending, count, log.
  auto confirm = [&](Store& s, const std::string& email) {
    return RunWrite<bool>(s, [&](WriteTx& tx) -> Result<bool> {
      auto row = tx.SignatureByToken("token-of-" + email, TokenKind::kSigning);
      if (!row) return Fail(row.error());
      if (row->signature.state != SignatureState::kPending) return false;
      if (auto n = tx.Counts(c->id); !n) return Fail(n.error());
      row->signature.state = SignatureState::kConfirmed;
      auto leaf = tx.AppendLeaf("confirm " + email, log::LeafHash("confirm " + email));
      if (!leaf) return Fail(leaf.error());
      row->leaf_index = *leaf;
      if (auto w = tx.SaveSignature(*row); !w) return Fail(w.error());
      tx.MoveCounts(c->id, {-1, 1, 0, {}, 1700000001});
      return true;
    });
  };
  std::atomic<int> changed{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSigners; ++i) {  // every thread follows every link
        auto r = confirm(t % 2 ? *a : *b, "p" + std::to_string(i) + "@x.org");
        ASSERT_TRUE(r) << r.error().message;
        if (*r) ++changed;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(changed.load(), kSigners);
  auto counts = b->LoadAllCounts();
  EXPECT_EQ((*counts)[c->id].confirmed, kSigners);
  EXPECT_EQ((*counts)[c->id].pending, 0);
  auto head = a->GetLogHead();
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->size, static_cast<std::uint64_t>(kSigners));
}

// A job that sleeps, so that the jobs queued meanwhile form one batch.
Result<int> Sleepy(WriteTx&) {
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  return 0;
}

TEST(PostgresStore, AFailingJobRollsBackOnlyItself) {
  US_PG_TEST_SETUP(db);
  auto store = Open(db.url());
  ASSERT_NE(store, nullptr);
  auto c = store->CreateCampaign(NewCampaign("savepoints"));
  ASSERT_TRUE(c);
  std::thread sleeper([&] { (void)RunWrite<int>(*store, Sleepy); });
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  std::vector<std::thread> threads;
  std::atomic<int> ok{0}, failed{0};
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&, i] {
      auto r = RunWrite<SignatureRow>(*store, [&](WriteTx& tx) -> Result<SignatureRow> {
        auto s = testing::TestSign(tx, c->id, "p" + std::to_string(i) + "@example.org", true,
                                   1700000000);
        if (i == 3) return Fail(Code::kConflict, "this one fails after writing");
        return s;
      });
      (r ? ok : failed)++;
    });
  }
  for (auto& t : threads) t.join();
  sleeper.join();
  EXPECT_EQ(ok.load(), 7);
  EXPECT_EQ(failed.load(), 1);
  auto stats = GetPostgresStats(*store);
  ASSERT_TRUE(stats);
  EXPECT_GE(stats->savepoint_batches, 1);
  auto counts = store->LoadAllCounts();
  EXPECT_EQ((*counts)[c->id].confirmed, 7);
  EXPECT_EQ(*store->OutboxDepth(), 7);
  // The failed job's log leaf was rolled back with it: 7 leaves, consecutive.
  auto head = store->GetLogHead();
  ASSERT_TRUE(head) << head.error().message;
  EXPECT_EQ(head->size, 7u);
}

TEST(PostgresStore, GroupCommitAndCountsAcrossTwoNodes) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  auto c = a->CreateCampaign(NewCampaign("two-nodes"));
  ASSERT_TRUE(c);
  constexpr int kThreads = 32, kEach = 25;
  std::atomic<int> errors{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      Store& s = t % 2 ? *a : *b;
      for (int i = 0; i < kEach; ++i) {
        const std::string email = "s" + std::to_string(t) + "-" + std::to_string(i) + "@x.org";
        if (!Sign(s, c->id, email, i % 3 != 0)) ++errors;
      }
    });
  }
  for (auto& t : threads) t.join();
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(errors.load(), 0);
  const int total = kThreads * kEach;
  int confirmed = 0;
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kEach; ++i) confirmed += i % 3 != 0;
  }
  for (Store* s : {a.get(), b.get()}) {
    auto counts = s->LoadAllCounts();
    ASSERT_TRUE(counts);
    EXPECT_EQ((*counts)[c->id].confirmed, confirmed);
    EXPECT_EQ((*counts)[c->id].pending, total - confirmed);
    EXPECT_EQ((*counts)[c->id].changes, total);
  }
  auto sa = *GetPostgresStats(*a);
  auto sb = *GetPostgresStats(*b);
  EXPECT_NE(sa.node_id, sb.node_id);
  EXPECT_EQ(sa.operations + sb.operations, total);
  EXPECT_LT(sa.transactions + sb.transactions, total / 4) << "group commit batches writes";
  std::printf(
      "[ figures ] %d signatures from %d threads on 2 nodes in %.2f s: %.0f/s, %lld "
      "transactions (largest batch %lld)\n",
      total, kThreads, seconds, total / seconds,
      static_cast<long long>(sa.transactions + sb.transactions),
      static_cast<long long>(std::max(sa.max_batch_seen, sb.max_batch_seen)));
  // Rows of counts (one per node and writer lane that wrote), summed.
  auto conn = PgConn::Open(db.url());
  ASSERT_TRUE(conn);
  auto rows = (*conn)->Run("SELECT count(*) FROM campaign_counts", "test");
  ASSERT_TRUE(rows);
  EXPECT_GE(rows->Int(0, 0), 2);
  EXPECT_LE(rows->Int(0, 0), 2 * PostgresOptions().write_lanes);
}

TEST(PostgresStore, ThresholdIsReachedExactlyOnceAcrossNodes) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  Campaign campaign = NewCampaign("threshold");
  campaign.threshold = 50;
  campaign.deadline = 1900000000;
  auto c = a->CreateCampaign(campaign);
  ASSERT_TRUE(c);
  std::atomic<int> decided{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&, t] {
      Store& s = t % 2 ? *a : *b;
      for (int i = 0; i < 10; ++i) {
        const std::string email = "t" + std::to_string(t) + "-" + std::to_string(i) + "@x.org";
        auto r = RunWrite<bool>(s, [&](WriteTx& tx) -> Result<bool> {
          auto signed_up = testing::TestSign(tx, c->id, email, true, 1700000000);
          if (!signed_up) return Fail(signed_up.error());
          auto counts = tx.Counts(c->id);
          if (!counts) return Fail(counts.error());
          if (counts->confirmed < 50) return false;
          auto cam = tx.CampaignById(c->id);
          if (!cam) return Fail(cam.error());
          if ((*cam)->outcome != CampaignOutcome::kPending) return false;
          auto rec = tx.RecordOutcome(c->id, CampaignOutcome::kSucceeded, 1700000000);
          if (!rec) return Fail(rec.error());
          if (!*rec) return Fail(Code::kInternal, "decided elsewhere after being seen pending");
          return true;
        });
        ASSERT_TRUE(r) << r.error().message;
        if (*r) ++decided;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(decided.load(), 1);
  EXPECT_EQ(a->GetCampaignById(c->id)->outcome, CampaignOutcome::kSucceeded);
}

TEST(PostgresStore, OutboxClaimsNeverOverlapAndLeasesExpire) {
  US_PG_TEST_SETUP(db);
  auto a = Open(db.url());
  auto b = Open(db.url());
  ASSERT_TRUE(a && b);
  auto c = a->CreateCampaign(NewCampaign("outbox"));
  ASSERT_TRUE(c);
  constexpr int kMails = 120;
  for (int i = 0; i < kMails; ++i) {
    ASSERT_TRUE(Sign(*a, c->id, "m" + std::to_string(i) + "@x.org", false, 1000));
  }
  EXPECT_EQ(*a->OutboxDepth(), kMails);
  // Two nodes' senders claim at once, in small bites, marking what they send.
  std::mutex mu;
  std::map<std::int64_t, int> claimed;  // id -> node
  std::vector<std::thread> senders;
  for (int node = 0; node < 2; ++node) {
    senders.emplace_back([&, node] {
      Store& s = node ? *a : *b;
      for (;;) {
        auto due = s.DueOutbox(2000, 7);
        ASSERT_TRUE(due) << due.error().message;
        if (due->empty()) return;
        for (const auto& m : *due) {
          EXPECT_EQ(m.next_attempt, 1000);
          {
            std::lock_guard lk(mu);
            EXPECT_TRUE(claimed.emplace(m.id, node).second) << "claimed twice: " << m.id;
          }
          ASSERT_TRUE(s.MarkOutboxSent(m.id, 2000));
        }
      }
    });
  }
  for (auto& t : senders) t.join();
  EXPECT_EQ(claimed.size(), static_cast<std::size_t>(kMails));
  EXPECT_EQ(*a->OutboxDepth(), 0);

  // A lease: a claimed message is its node's until the lease ends (that node's sender gets it
  // again, as on one node); then any node takes it (its sender died mid-send).
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(Sign(*b, c->id, "l" + std::to_string(i), false, 3000));
  auto taken = a->DueOutbox(3000, 10);
  ASSERT_TRUE(taken);
  ASSERT_EQ(taken->size(), 3u);
  EXPECT_EQ(a->DueOutbox(3001, 10)->size(), 3u);  // (the lease now ends at 3001 + kOutboxLease)
  EXPECT_TRUE(b->DueOutbox(3000 + kOutboxLease, 10)->empty());
  EXPECT_EQ(**b->NextOutboxAttempt(), 3001 + kOutboxLease);
  EXPECT_EQ(**a->NextOutboxAttempt(), 3000);
  ASSERT_TRUE(a->MarkOutboxFailed(taken->front().id, 5000, "smtp down"));  // its lease ends
  auto expired = b->DueOutbox(3001 + kOutboxLease, 10);
  ASSERT_TRUE(expired);
  EXPECT_EQ(expired->size(), 2u);
  // A node that closes gives its leases back at once.
  ASSERT_TRUE(b->DueOutbox(5000, 10));  // b holds all three now
  b->Close();
  EXPECT_EQ(b->DueOutbox(5000, 10).error().code, Code::kUnavailable);
  EXPECT_EQ(a->DueOutbox(5000, 10)->size(), 3u);
  EXPECT_EQ(a->MarkOutboxSent(999999, 1).error().code, Code::kNotFound);
  EXPECT_EQ(b->CreateCampaign(NewCampaign("late")).error().code, Code::kUnavailable);
  EXPECT_TRUE(b->GetCampaignById(c->id));  // reads answer until destroyed
}

}  // namespace
}  // namespace undersigned::store::pg

namespace undersigned::store::pg {
namespace {

// Throughput of tx::Sign through the writer, for figures (not a check): set
// UNDERSIGNED_PG_BENCH=1 to run it. Signatures per second from 64 threads, on SQLite (a temporary
// file) and on PostgreSQL with one node and two, pending (a mail each) and counted at once (a
// log leaf each), on whatever machine runs it.
NewSignature BenchSignature(std::int64_t campaign_id, const std::string& email, bool confirm) {
  static std::atomic<std::uint64_t> n{0};
  const std::uint64_t i = ++n;
  NewSignature s;
  s.campaign_id = campaign_id;
  s.form.name = "Bench Signer";
  s.form.email = email;
  s.form.public_name = true;
  s.canonical_email = email;
  s.source = confirm ? "api" : "form";
  s.confirm_now = confirm;
  s.token = "token-" + std::to_string(i);
  char hash[65];
  std::snprintf(hash, sizeof hash, "%016llx%048llx", static_cast<unsigned long long>(i),
                static_cast<unsigned long long>(i * 2654435761u));
  s.token_hash = hash;
  s.mail_payload = R"({"campaign_title":"T","slug":"s"})";
  s.now = 1700000000;
  return s;
}

void BenchSigning(const std::string& what, std::vector<std::unique_ptr<Store>>& stores,
                  bool confirm) {
  auto c = stores[0]->CreateCampaign(NewCampaign("bench-" + std::to_string(confirm)));
  ASSERT_TRUE(c) << c.error().message;
  constexpr int kThreads = 64, kEach = 150;
  std::atomic<int> errors{0};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        const std::string email =
            what + std::to_string(confirm) + "-" + std::to_string(t) + "-" + std::to_string(i);
        if (!tx::Sign(*stores[t % stores.size()], BenchSignature(c->id, email, confirm))) {
          ++errors;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(errors.load(), 0);
  std::printf("[ figures ] %s, %s: %d tx::Sign in %.2f s = %.0f/s\n", what.c_str(),
              confirm ? "counted at once (a leaf each)" : "pending (a mail each)", kThreads * kEach,
              s, kThreads * kEach / s);
}

TEST(PostgresStore, WriterThroughput) {
  if (std::getenv("UNDERSIGNED_PG_BENCH") == nullptr) GTEST_SKIP() << "UNDERSIGNED_PG_BENCH unset";
  US_PG_TEST_SETUP(db);
  for (bool confirm : {false, true}) {
    char dir[] = "/tmp/us_pg_bench_XXXXXX";
    ASSERT_NE(mkdtemp(dir), nullptr);
    {
      SqliteOptions o;
      o.path = std::string(dir) + "/bench.db";
      auto sqlite = OpenSqliteStore(o);
      ASSERT_TRUE(sqlite);
      std::vector<std::unique_ptr<Store>> stores;
      stores.push_back(std::move(*sqlite));
      BenchSigning("SQLite", stores, confirm);
    }
    std::filesystem::remove_all(dir);
  }
  for (int nodes : {1, 2}) {
    testing::TestDatabase fresh;
    for (bool confirm : {false, true}) {
      std::vector<std::unique_ptr<Store>> stores;
      for (int i = 0; i < nodes; ++i) stores.push_back(Open(fresh.url()));
      BenchSigning("PostgreSQL, " + std::to_string(nodes) + " node(s)", stores, confirm);
      std::int64_t tx = 0, biggest = 0, retried = 0;
      for (auto& st : stores) {
        tx += GetPostgresStats(*st)->transactions;
        biggest = std::max(biggest, GetPostgresStats(*st)->max_batch_seen);
        retried += GetPostgresStats(*st)->savepoint_batches;
      }
      std::printf(
          "[ figures ]   %lld transactions (%lld run again with savepoints), largest "
          "batch %lld\n",
          static_cast<long long>(tx), static_cast<long long>(retried),
          static_cast<long long>(biggest));
    }
  }
}

}  // namespace
}  // namespace undersigned::store::pg
