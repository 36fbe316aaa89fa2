#include "audit/audit.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>

#include "audit/commands.h"
#include "audit/fake_log.h"
#include "log/encoding.h"

namespace undersigned::audit {
namespace {

using log::LeafEvent;
using testing::FakeLog;
using testing::kOrigin;

const std::string kA = "0190a1b2-0000-7000-8000-00000000000a";
const std::string kB = "0190a1b2-0000-7000-8000-00000000000b";
const std::string kC = "0190a1b2-0000-7000-8000-00000000000c";  // listed, no leaves

using testing::TempDir;

std::string ReadAll(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Campaign A: confirmations with a few withdrawals; B: two groups and a reveal; C: listed, empty.
void Fill(FakeLog& log, uint64_t n) {
  for (uint64_t i = log.Size(); log.Size() < n; ++i) {
    if (i % 3 == 2) {
      log.Append(kB, i % 15 == 2 ? LeafEvent::kReveal : LeafEvent::kConfirm,
                 i % 2 ? "staff" : "public");
    } else if (i % 10 == 9 && i > 0) {
      log.Append(kA, LeafEvent::kWithdraw);
    } else {
      log.Append(kA, LeafEvent::kConfirm);
    }
  }
}

FakeLog MakeLog(uint64_t n) {
  FakeLog log;
  log.AddCampaign(kA, "alpha");
  log.AddCampaign(kB, "beta");
  log.AddCampaign(kC, "gamma");
  Fill(log, n);
  return log;
}

bool HasFinding(const AuditReport& r, const std::string& part) {
  for (const auto& f : r.findings) {
    if (f.find(part) != std::string::npos) return true;
  }
  return false;
}

std::string Dump(const AuditReport& r) {
  std::ostringstream out;
  r.Print(out);
  return out.str();
}

const CampaignCounts* Find(const AuditReport& r, const std::string& uuid) {
  for (const auto& c : r.campaigns) {
    if (c.uuid == uuid) return &c;
  }
  return nullptr;
}

// The expected count of campaign uuid over the first n leaves.
int64_t Expected(FakeLog& log, const std::string& uuid, uint64_t n) {
  auto counts = log.CountsAt(n).by_campaign;
  return counts.count(uuid) ? counts[uuid] : 0;
}

TEST(Audit, CleanLogPassesSavesStateAndTheNextAuditChecksConsistency) {
  TempDir dir;
  FakeLog log = MakeLog(600);  // two full level-0 tiles and a partial one, a partial level 1
  AuditOptions opts;
  opts.state_file = dir.File("state.json");
  auto r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->passed()) << Dump(*r);
  EXPECT_TRUE(r->key_trusted_on_first_use);
  EXPECT_EQ(r->verifier_key, log.key().verifier_key);
  EXPECT_NE(Dump(*r).find("trusted on first use"), std::string::npos);
  EXPECT_EQ(r->checkpoint.size, 600u);
  EXPECT_EQ(r->leaves_verified, 600u);
  EXPECT_EQ(r->counts_tree_size, 600u);
  ASSERT_TRUE(Find(*r, kA) && Find(*r, kB) && Find(*r, kC));
  EXPECT_EQ(Find(*r, kA)->from_leaves, Expected(log, kA, 600));
  EXPECT_GT(Find(*r, kA)->from_leaves, 300);
  EXPECT_EQ(Find(*r, kB)->from_leaves, Expected(log, kB, 600));
  EXPECT_EQ(Find(*r, kB)->groups.size(), 2u);
  EXPECT_EQ(Find(*r, kC)->from_leaves, 0);
  EXPECT_EQ(Find(*r, kA)->page, Find(*r, kA)->from_leaves);
  EXPECT_TRUE(r->state_saved);
  auto saved = LoadAuditState(opts.state_file);
  ASSERT_TRUE(saved && *saved);
  EXPECT_EQ((*saved)->tree_size, 600u);
  EXPECT_EQ((*saved)->root, log.tree().Root());
  EXPECT_EQ((*saved)->origin, kOrigin);
  EXPECT_EQ((*saved)->verifier_key, log.key().verifier_key);
  EXPECT_FALSE(std::filesystem::exists(opts.state_file + ".tmp"));
  // Inclusion proofs of the first, middle and last leaves were checked.
  auto asked = [&](const std::string& p) {
    return std::find(log.requests.begin(), log.requests.end(), p) != log.requests.end();
  };
  EXPECT_TRUE(asked("/log/proof/inclusion?index=0&size=600"));
  EXPECT_TRUE(asked("/log/proof/inclusion?index=599&size=600"));
  EXPECT_TRUE(asked("/log/proof/inclusion?index=300&size=600"));

  // The log grows; the next audit uses the saved key and checks consistency.
  Fill(log, 1000);
  log.requests.clear();
  r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->passed()) << Dump(*r);
  EXPECT_FALSE(r->key_trusted_on_first_use);
  EXPECT_EQ(r->key_source, "the state file");
  EXPECT_FALSE(asked("/log/key"));
  EXPECT_TRUE(asked("/log/proof/consistency?from=600&to=1000"));
  EXPECT_EQ((*LoadAuditState(opts.state_file))->tree_size, 1000u);
}

TEST(Audit, CountsAndPagesAtAnEarlierCheckpointPass) {
  FakeLog log = MakeLog(700);
  log.counts_size = 520;  // the counts were taken at an earlier checkpoint
  auto r = Audit(log.fetch(), AuditOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->passed()) << Dump(*r);
  EXPECT_EQ(r->counts_tree_size, 520u);
  EXPECT_EQ(Find(*r, kA)->from_leaves, Expected(log, kA, 520));
  EXPECT_EQ(Find(*r, kA)->page_tree_size, 520u);
  EXPECT_EQ(Find(*r, kA)->live, Expected(log, kA, 700));
  EXPECT_NE(
      std::find(log.requests.begin(), log.requests.end(), "/log/proof/consistency?from=520&to=700"),
      log.requests.end());
}

TEST(Audit, EmptyAndTinyLogsPass) {
  for (uint64_t n : {0, 1, 2, 255, 256, 257}) {
    FakeLog log = MakeLog(n);
    auto r = Audit(log.fetch(), AuditOptions{});
    ASSERT_TRUE(r) << n << ": " << r.error().message;
    EXPECT_TRUE(r->passed()) << n << ": " << Dump(*r);
    EXPECT_EQ(r->leaves_verified, n);
  }
}

TEST(Audit, AChangedLeafIsCaughtAndStateIsNotSaved) {
  TempDir dir;
  FakeLog log = MakeLog(600);
  // The server serves leaf 300 changed (a withdrawal turned into a confirmation) but the tiles
  // and the checkpoint of the original tree.
  std::string changed = log.entries()[300];
  auto pos = changed.find("event confirm");
  ASSERT_NE(pos, std::string::npos);
  changed.replace(pos, 13, "event withdraw");
  ASSERT_TRUE(log::ParseLeaf(changed));
  log.tamper = [&](const std::string& path, Result<std::string>& body) {
    if (path == "/log/tile/entries/001" && body) {
      std::vector<std::string> bundle(log.entries().begin() + 256, log.entries().begin() + 512);
      bundle[300 - 256] = changed;
      body = *log::EncodeEntryBundle(bundle);
    }
  };
  AuditOptions opts;
  opts.state_file = dir.File("state.json");
  auto r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->passed());
  EXPECT_TRUE(HasFinding(*r, "leaf #300: the entry does not hash")) << Dump(*r);
  EXPECT_TRUE(HasFinding(*r, "entries (leaves) hash to root")) << Dump(*r);
  EXPECT_EQ(r->leaves_verified, 599u);
  EXPECT_FALSE(r->state_saved);
  EXPECT_FALSE(std::filesystem::exists(opts.state_file));
}

TEST(Audit, ARemovedLeafIsCaughtByTheCountsAndTheState) {
  TempDir dir;
  FakeLog log = MakeLog(600);
  AuditOptions opts;
  opts.state_file = dir.File("state.json");
  ASSERT_TRUE(Audit(log.fetch(), opts)->passed());
  const std::string before = ReadAll(opts.state_file);

  // The operator deletes leaf 10 (a confirmation of A) and rebuilds and re-signs the tree with
  // the same key; the count the site publishes is unchanged (it comes from the counts table).
  FakeLog rebuilt(log.key());
  rebuilt.AddCampaign(kA, "alpha");
  rebuilt.AddCampaign(kB, "beta");
  rebuilt.AddCampaign(kC, "gamma");
  for (uint64_t i = 0; i < log.Size(); ++i) {
    if (i != 10) rebuilt.AppendEntry(log.entries()[i]);
  }
  ASSERT_EQ(log::ParseLeaf(log.entries()[10])->event, LeafEvent::kConfirm);
  rebuilt.count_adjust[kA] = 1;
  rebuilt.page_adjust[kA] = 1;
  Fill(rebuilt, 650);
  auto r = Audit(rebuilt.fetch(), opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->passed());
  EXPECT_TRUE(HasFinding(*r, "fork: the first 600 leaves")) << Dump(*r);
  const std::string want = "campaign alpha (" + kA + "): /log/counts says " +
                           std::to_string(Expected(rebuilt, kA, 650) + 1) +
                           " confirmed at size 650, the leaves give " +
                           std::to_string(Expected(rebuilt, kA, 650));
  EXPECT_TRUE(HasFinding(*r, want)) << want << "\n" << Dump(*r);
  EXPECT_TRUE(HasFinding(*r, "the page /c/alpha.json says")) << Dump(*r);
  EXPECT_TRUE(HasFinding(*r, "consistency proof from size 600")) << Dump(*r);
  EXPECT_EQ(ReadAll(opts.state_file), before) << "the state changed after a failed audit";

  // Without the state the count difference alone is caught.
  AuditOptions no_state;
  r = Audit(rebuilt.fetch(), no_state);
  ASSERT_TRUE(r);
  EXPECT_TRUE(HasFinding(*r, want)) << Dump(*r);
}

TEST(Audit, ARollbackIsCaught) {
  TempDir dir;
  FakeLog log = MakeLog(600);
  AuditOptions opts;
  opts.state_file = dir.File("state.json");
  ASSERT_TRUE(Audit(log.fetch(), opts)->passed());
  log.served_size = 500;  // a restored backup
  auto r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(HasFinding(*r, "the log shrank")) << Dump(*r);
  EXPECT_EQ((*LoadAuditState(opts.state_file))->tree_size, 600u);
}

TEST(Audit, ACheckpointSignedByAnotherKeyIsCaught) {
  TempDir dir;
  FakeLog log = MakeLog(300);
  AuditOptions opts;
  opts.state_file = dir.File("state.json");
  ASSERT_TRUE(Audit(log.fetch(), opts)->passed());
  const std::string before = ReadAll(opts.state_file);
  auto other = *log::NoteSigner::FromPrivateKey(log::GenerateNoteKey(kOrigin)->private_key);
  log.checkpoint_signer = &other;
  auto r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->passed());
  EXPECT_TRUE(HasFinding(*r, "the latest checkpoint (/log/checkpoint) is not valid for key"))
      << Dump(*r);
  EXPECT_EQ(ReadAll(opts.state_file), before);

  // Also when the key is given explicitly, and for the /log/counts checkpoint.
  log.checkpoint_signer = nullptr;
  FakeLog impostor(*log::GenerateNoteKey(kOrigin));
  impostor.AddCampaign(kA, "alpha");
  Fill(impostor, 20);
  AuditOptions with_key;
  with_key.key = log.key().verifier_key;
  r = Audit(impostor.fetch(), with_key);
  ASSERT_TRUE(r);
  EXPECT_TRUE(HasFinding(*r, "not valid for key " + log.key().verifier_key)) << Dump(*r);
}

TEST(Audit, ACheckpointForAnotherOriginIsCaught) {
  TempDir dir;
  FakeLog log = MakeLog(50);
  AuditOptions opts;
  opts.state_file = dir.File("state.json");
  ASSERT_TRUE(Audit(log.fetch(), opts)->passed());
  log.served_origin = "other.example.org/log";
  auto r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r);
  EXPECT_TRUE(HasFinding(*r, "origin")) << Dump(*r);
}

TEST(Audit, WrongPublishedCountsAreCaught) {
  FakeLog log = MakeLog(400);
  log.count_adjust[kB] = -2;
  auto r = Audit(log.fetch(), AuditOptions{});
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_FALSE(r->passed());
  const int64_t real = Expected(log, kB, 400);
  EXPECT_TRUE(HasFinding(*r, "campaign beta (" + kB + "): /log/counts says " +
                                 std::to_string(real - 2) +
                                 " confirmed at size 400, the leaves give " + std::to_string(real)))
      << Dump(*r);
  EXPECT_EQ(r->findings.size(), 1u) << Dump(*r);

  FakeLog pages = MakeLog(400);
  pages.page_adjust[kC] = 5;  // a campaign with no leaves claims 5
  r = Audit(pages.fetch(), AuditOptions{});
  ASSERT_TRUE(r);
  EXPECT_TRUE(HasFinding(*r, "campaign gamma (" + kC +
                                 "): the page /c/gamma.json says 5 "
                                 "confirmed at size 400, the leaves give 0"))
      << Dump(*r);

  FakeLog hidden = MakeLog(400);
  hidden.unlisted.insert(kA);
  r = Audit(hidden.fetch(), AuditOptions{});
  ASSERT_TRUE(r);
  EXPECT_TRUE(HasFinding(*r, "campaign " + kA + " has")) << Dump(*r);
  EXPECT_TRUE(HasFinding(*r, "does not list it")) << Dump(*r);
}

TEST(Audit, AWrongGroupCountIsCaught) {
  FakeLog log = MakeLog(100);
  log.tamper = [](const std::string& path, Result<std::string>& body) {
    if (path != "/log/counts" || !body) return;
    auto doc = nlohmann::json::parse(*body);
    for (auto& c : doc["campaigns"]) {
      if (c["slug"] == "beta") c["groups"]["staff"] = c["groups"]["staff"].get<int>() + 1;
    }
    body = doc.dump();
  };
  auto r = Audit(log.fetch(), AuditOptions{});
  ASSERT_TRUE(r);
  EXPECT_TRUE(HasFinding(*r, "group \"staff\"")) << Dump(*r);
}

TEST(Audit, AForkAgainstTheStateFileIsCaught) {
  TempDir dir;
  FakeLog log = MakeLog(300);
  AuditOptions opts;
  opts.state_file = dir.File("state.json");
  ASSERT_TRUE(Audit(log.fetch(), opts)->passed());
  const std::string before = ReadAll(opts.state_file);

  // Another history of the same size and key: same leaves except the first.
  FakeLog fork(log.key());
  fork.AddCampaign(kA, "alpha");
  fork.AddCampaign(kB, "beta");
  fork.AddCampaign(kC, "gamma");
  fork.Append(kA, LeafEvent::kConfirm, "public", "someone-else@example.org");
  for (uint64_t i = 1; i < log.Size(); ++i) fork.AppendEntry(log.entries()[i]);
  Fill(fork, 320);
  auto r = Audit(fork.fetch(), opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(HasFinding(*r, "fork: the first 300 leaves now hash to")) << Dump(*r);
  EXPECT_EQ(ReadAll(opts.state_file), before);

  // Same size: no consistency proof exists, the roots differ.
  fork.served_size = 300;
  r = Audit(fork.fetch(), opts);
  ASSERT_TRUE(r);
  EXPECT_TRUE(HasFinding(*r, "fork")) << Dump(*r);
}

TEST(Audit, BadServerProofsAreCaught) {
  TempDir dir;
  FakeLog log = MakeLog(300);
  AuditOptions opts;
  opts.state_file = dir.File("state.json");
  ASSERT_TRUE(Audit(log.fetch(), opts)->passed());
  Fill(log, 800);
  auto flip = [](Result<std::string>& body) {
    auto doc = nlohmann::json::parse(*body);
    auto h = *log::Base64Decode(doc["hashes"][0].get<std::string>());
    h[0] ^= 1;
    doc["hashes"][0] = log::Base64Encode(h);
    body = doc.dump();
  };
  log.tamper = [&](const std::string& path, Result<std::string>& body) {
    if (path.rfind("/log/proof/inclusion?index=400", 0) == 0 && body) flip(body);
  };
  auto r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(HasFinding(*r, "inclusion proof for leaf #400 at size 800 is bad")) << Dump(*r);
  EXPECT_EQ(r->findings.size(), 1u) << Dump(*r);
  EXPECT_FALSE(r->state_saved);

  log.tamper = [&](const std::string& path, Result<std::string>& body) {
    if (path.rfind("/log/proof/consistency?from=300", 0) == 0 && body) flip(body);
  };
  r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r);
  EXPECT_TRUE(HasFinding(*r, "consistency proof from size 300 (the state file) to 800"))
      << Dump(*r);
  EXPECT_EQ(r->findings.size(), 1u) << Dump(*r);

  log.tamper = [&](const std::string& path, Result<std::string>& body) {
    if (path.rfind("/log/proof/", 0) == 0) body = Fail(Code::kNotFound, "404");
  };
  r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r);
  EXPECT_TRUE(HasFinding(*r, "does not give the inclusion proof")) << Dump(*r);

  log.tamper = nullptr;
  r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->passed()) << Dump(*r);
}

TEST(Audit, TileProblemsAreCaught) {
  {
    FakeLog log = MakeLog(600);
    log.tamper = [](const std::string& path, Result<std::string>& body) {
      if (path == "/log/tile/0/001") body = Fail(Code::kNotFound, "404");
    };
    auto r = Audit(log.fetch(), AuditOptions{});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(HasFinding(*r, "does not serve /log/tile/0/001")) << Dump(*r);
  }
  {
    FakeLog log = MakeLog(600);
    log.tamper = [](const std::string& path, Result<std::string>& body) {
      if (path == "/log/tile/1/000.p/2" && body) (*body)[40] ^= 1;
    };
    auto r = Audit(log.fetch(), AuditOptions{});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(HasFinding(*r, "tiles are inconsistent")) << Dump(*r);
  }
  {
    FakeLog log = MakeLog(600);
    log.tamper = [](const std::string& path, Result<std::string>& body) {
      if (path == "/log/tile/entries/002.p/88" && body) body->pop_back();
    };
    auto r = Audit(log.fetch(), AuditOptions{});
    ASSERT_TRUE(r) << r.error().message;
    EXPECT_TRUE(HasFinding(*r, "/log/tile/entries/002.p/88 is malformed")) << Dump(*r);
  }
  {
    // A network failure is not a finding: the audit could not be done.
    FakeLog log = MakeLog(600);
    log.tamper = [](const std::string& path, Result<std::string>& body) {
      if (path == "/log/tile/entries/001") body = Fail(Code::kUnavailable, "connection reset");
    };
    auto r = Audit(log.fetch(), AuditOptions{});
    ASSERT_FALSE(r);
    EXPECT_EQ(r.error().code, Code::kUnavailable);
  }
}

TEST(Audit, MalformedLeavesAreFindingsAndCapped) {
  FakeLog log = MakeLog(10);
  for (int i = 0; i < 15; ++i) log.AppendEntry("not a leaf " + std::to_string(i));
  Fill(log, 40);
  AuditOptions opts;
  opts.max_findings_per_kind = 4;
  auto r = Audit(log.fetch(), opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(HasFinding(*r, "leaf #10 is malformed")) << Dump(*r);
  EXPECT_TRUE(HasFinding(*r, "... and 11 more malformed leaves")) << Dump(*r);
  EXPECT_EQ(r->leaves_verified, 25u);
}

TEST(Audit, RefusesALogOverTheLimitAndBadKeys) {
  FakeLog log = MakeLog(600);
  AuditOptions opts;
  opts.max_leaves = 500;
  auto r = Audit(log.fetch(), opts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kInvalidArgument);
  EXPECT_NE(r.error().message.find("600 leaves"), std::string::npos);
  for (const auto& path : log.requests) {
    EXPECT_EQ(path.rfind("/log/tile", 0), std::string::npos) << "downloaded " << path;
  }
  AuditOptions bad_key;
  bad_key.key = "nonsense";
  r = Audit(log.fetch(), bad_key);
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("nonsense"), std::string::npos);
}

TEST(Audit, ReadAheadThreadsGiveTheSameVerdicts) {
  FakeLog log = MakeLog(3000);
  std::mutex mu;
  int worker_fetches = 0;
  auto locked = [&](const std::string& path) {
    std::lock_guard lock(mu);
    return log.Get(path);
  };
  AuditOptions opts;
  opts.read_ahead_threads = 3;
  opts.read_ahead_window = 4;
  opts.make_fetch = [&]() -> Fetch {
    return [&](const std::string& path) {
      {
        std::lock_guard lock(mu);
        ++worker_fetches;
      }
      return locked(path);
    };
  };
  auto r = Audit(locked, opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(r->passed()) << Dump(*r);
  EXPECT_EQ(r->leaves_verified, 3000u);
  EXPECT_EQ(worker_fetches, 2 * 12);  // every level-0 tile and entry bundle, once

  // A changed entry in the middle is still caught, and the workers stop.
  log.tamper = [&](const std::string& path, Result<std::string>& body) {
    if (path == "/log/tile/entries/005" && body) (*body)[50] ^= 1;
  };
  worker_fetches = 0;
  r = Audit(locked, opts);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_TRUE(HasFinding(*r, "leaf #1280")) << Dump(*r);
  EXPECT_LE(worker_fetches, 2 * 12);

  // A network failure in a worker is the audit's error.
  log.tamper = [&](const std::string& path, Result<std::string>& body) {
    if (path == "/log/tile/0/003") body = Fail(Code::kUnavailable, "connection reset");
  };
  r = Audit(locked, opts);
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);
}

TEST(AuditState, RoundTripsAndRejectsGarbage) {
  TempDir dir;
  AuditState s{"o.example/log", "o.example/log+01234567+AAAA", 42, log::LeafHash("x"), "note\n"};
  auto parsed = ParseAuditState(FormatAuditState(s));
  ASSERT_TRUE(parsed) << parsed.error().message;
  EXPECT_EQ(*parsed, s);
  auto doc = nlohmann::json::parse(FormatAuditState(s));
  EXPECT_EQ(doc["root"], log::Base64Encode(s.root));
  EXPECT_EQ(doc["tree_size"], 42);
  EXPECT_FALSE(ParseAuditState("{}"));
  EXPECT_FALSE(ParseAuditState("nope"));
  doc["root"] = "AAAA";
  EXPECT_FALSE(ParseAuditState(doc.dump()));

  auto missing = LoadAuditState(dir.File("none.json"));
  ASSERT_TRUE(missing);
  EXPECT_FALSE(*missing);
  ASSERT_TRUE(SaveAuditState(dir.File("s.json"), s));
  EXPECT_EQ(**LoadAuditState(dir.File("s.json")), s);
  std::ofstream(dir.File("bad.json")) << "{";
  auto bad = LoadAuditState(dir.File("bad.json"));
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("bad.json"), std::string::npos);
  EXPECT_FALSE(SaveAuditState(dir.File("no/such/dir/s.json"), s));

  // A corrupt state file stops the audit before anything is fetched.
  FakeLog log = MakeLog(5);
  AuditOptions opts;
  opts.state_file = dir.File("bad.json");
  EXPECT_FALSE(Audit(log.fetch(), opts));
  EXPECT_TRUE(log.requests.empty());
}

// ------------------------------------------------------------------ verify-receipt core

TEST(ReceiptCheck, AReceiptVerifiesAgainstTheGrownLog) {
  FakeLog log = MakeLog(40);
  const std::string email = "ada@example.org";
  log.Append(kA, LeafEvent::kConfirm, "public", email);
  const uint64_t index = log.Size() - 1;
  log::Receipt receipt = log.MakeReceipt(index, log.Size());
  Fill(log, 900);
  auto check = CheckReceiptAgainstLog(log.fetch(), receipt, log.key().verifier_key, email);
  ASSERT_TRUE(check) << check.error().message;
  EXPECT_EQ(check->receipt_checkpoint.size, 41u);
  EXPECT_EQ(check->live_checkpoint.size, 900u);
  EXPECT_TRUE(check->identity_checked);
  EXPECT_EQ(check->leaf.campaign, kA);
  EXPECT_NE(
      std::find(log.requests.begin(), log.requests.end(), "/log/proof/consistency?from=41&to=900"),
      log.requests.end());

  // Same size: no proof needed.
  log::Receipt now = log.MakeReceipt(index, log.Size());
  log.requests.clear();
  ASSERT_TRUE(CheckReceiptAgainstLog(log.fetch(), now, log.key().verifier_key, ""));
  EXPECT_EQ(log.requests, std::vector<std::string>{"/log/checkpoint"});

  // Another signer's email.
  auto wrong =
      CheckReceiptAgainstLog(log.fetch(), receipt, log.key().verifier_key, "bob@example.org");
  ASSERT_FALSE(wrong);
  EXPECT_NE(wrong.error().message.find("commitment"), std::string::npos);
}

TEST(ReceiptCheck, ABadConsistencyProofOrAForkFails) {
  FakeLog log = MakeLog(100);
  log::Receipt receipt = log.MakeReceipt(7, 100);
  Fill(log, 300);
  log.tamper = [](const std::string& path, Result<std::string>& body) {
    if (path.rfind("/log/proof/consistency", 0) != 0 || !body) return;
    auto doc = nlohmann::json::parse(*body);
    doc["hashes"].erase(doc["hashes"].size() - 1);
    body = doc.dump();
  };
  auto r = CheckReceiptAgainstLog(log.fetch(), receipt, log.key().verifier_key, "");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().code, Code::kUnavailable);
  EXPECT_NE(r.error().message.find("not consistent"), std::string::npos) << r.error().message;

  // The live log is smaller than the receipt's checkpoint.
  log.tamper = nullptr;
  log.served_size = 50;
  r = CheckReceiptAgainstLog(log.fetch(), receipt, log.key().verifier_key, "");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("rolled back or forked"), std::string::npos);

  // Same size, other root.
  FakeLog fork(log.key());
  fork.AddCampaign(kA, "alpha");
  for (uint64_t i = 0; i < 99; ++i) fork.AppendEntry(log.entries()[i]);
  fork.Append(kB, LeafEvent::kConfirm);
  r = CheckReceiptAgainstLog(fork.fetch(), receipt, log.key().verifier_key, "");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().message.find("forked"), std::string::npos) << r.error().message;

  // Another key on the live log.
  log.served_size.reset();
  auto other = *log::NoteSigner::FromPrivateKey(log::GenerateNoteKey(kOrigin)->private_key);
  log.checkpoint_signer = &other;
  r = CheckReceiptAgainstLog(log.fetch(), receipt, log.key().verifier_key, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnauthenticated) << r.error().message;
  EXPECT_NE(r.error().message.find("live checkpoint"), std::string::npos);

  // The log cannot be reached: could not check.
  Fetch down = [](const std::string&) -> Result<std::string> {
    return Fail(Code::kUnavailable, "connection refused");
  };
  r = CheckReceiptAgainstLog(down, receipt, log.key().verifier_key, "");
  ASSERT_FALSE(r);
  EXPECT_EQ(r.error().code, Code::kUnavailable);

  // The receipt itself is checked first, offline.
  log::Receipt bad = receipt;
  bad.inclusion_proof[0][0] ^= 1;
  r = CheckReceiptAgainstLog(down, bad, log.key().verifier_key, "");
  ASSERT_FALSE(r);
  EXPECT_NE(r.error().code, Code::kUnavailable);
}

TEST(Commands, BadArgumentsExitTwo) {
  std::ostringstream out, err;
  EXPECT_EQ(RunAudit("ftp://example.org", AuditCommandOptions{}, out, err), kExitCannotCheck);
  EXPECT_NE(err.str().find("http"), std::string::npos);
  err.str("");
  EXPECT_EQ(RunVerifyReceipt("/nonexistent/receipt.json", "http://127.0.0.1:1", "", "", out, err),
            kExitCannotCheck);
  EXPECT_NE(err.str().find("cannot open"), std::string::npos);
}

}  // namespace
}  // namespace undersigned::audit
