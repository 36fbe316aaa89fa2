// In-process micro benchmarks of the log primitives (not a test). Build in a Release tree:
//   cmake -S . -B build/rel -G Ninja -DCMAKE_BUILD_TYPE=Release && ninja -C build/rel log_bench
//   build/rel/src/log/log_bench
// "items_per_second" of BM_AppendWithNodeCallback is the in-process append rate (issue 4 target:
// at least 1,000,000 leaves per second).
#include <benchmark/benchmark.h>

#include <map>
#include <string>
#include <vector>

#include "log/merkle.h"
#include "log/note.h"
#include "log/proof.h"
#include "log/tiles.h"

namespace undersigned::log {
namespace {

std::vector<Hash> Leaves(size_t n) {
  std::vector<Hash> out;
  out.reserve(n);
  for (size_t i = 0; i < n; ++i) out.push_back(LeafHash("leaf " + std::to_string(i)));
  return out;
}

// Appending precomputed leaf hashes, reporting every node hash to a callback that stores it
// (what a store would persist): about one NodeHash per leaf.
void BM_AppendWithNodeCallback(benchmark::State& state) {
  const auto leaves = Leaves(1 << 16);
  std::vector<Hash> sink;
  sink.reserve(2 * leaves.size());
  for (auto _ : state) {
    sink.clear();
    CompactRange range([&sink](uint8_t, uint64_t, const Hash& h) { sink.push_back(h); });
    for (const Hash& h : leaves) range.Append(h);
    benchmark::DoNotOptimize(range.Root());
  }
  state.SetItemsProcessed(state.iterations() * leaves.size());
}
BENCHMARK(BM_AppendWithNodeCallback)->Unit(benchmark::kMillisecond);

// The whole append path from entry bytes: LeafHash of a ~80-byte entry, then Append.
void BM_HashAndAppend(benchmark::State& state) {
  std::vector<std::string> entries;
  for (int i = 0; i < (1 << 16); ++i) {
    entries.push_back("campaign=42 kind=confirm group=employee day=2024-06-04 commitment=" +
                      std::to_string(i * 7919));
  }
  for (auto _ : state) {
    CompactRange range([](uint8_t, uint64_t, const Hash& h) { benchmark::DoNotOptimize(h); });
    for (const std::string& e : entries) range.Append(LeafHash(e));
    benchmark::DoNotOptimize(range.Root());
  }
  state.SetItemsProcessed(state.iterations() * entries.size());
}
BENCHMARK(BM_HashAndAppend)->Unit(benchmark::kMillisecond);

void BM_NodeHash(benchmark::State& state) {
  Hash a = LeafHash("a"), b = LeafHash("b");
  for (auto _ : state) {
    a = NodeHash(a, b);
    benchmark::DoNotOptimize(a);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_NodeHash);

MemoryTree& MillionTree() {
  static MemoryTree* tree = new MemoryTree(Leaves(1'000'000));
  return *tree;
}

void BM_InclusionProof(benchmark::State& state) {
  MemoryTree& tree = MillionTree();
  uint64_t i = 0;
  for (auto _ : state) {
    auto p = InclusionProof(tree, i, tree.Size());
    benchmark::DoNotOptimize(p);
    i = (i + 7919) % tree.Size();
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_InclusionProof);

void BM_ConsistencyProof(benchmark::State& state) {
  MemoryTree& tree = MillionTree();
  uint64_t m = 1;
  for (auto _ : state) {
    auto p = ConsistencyProof(tree, m, tree.Size());
    benchmark::DoNotOptimize(p);
    m = m % (tree.Size() - 1) + 7919;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ConsistencyProof);

void BM_VerifyInclusion(benchmark::State& state) {
  MemoryTree& tree = MillionTree();
  const uint64_t i = 123457;
  auto proof = *InclusionProof(tree, i, tree.Size());
  const Hash root = tree.Root(), leaf = *tree.Node(0, i);
  for (auto _ : state) {
    benchmark::DoNotOptimize(VerifyInclusion(leaf, i, tree.Size(), proof, root));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_VerifyInclusion);

// The auditor's work for a 1,000,000-leaf log once the tiles are in memory.
void BM_RootFromTilesMillion(benchmark::State& state) {
  MemoryTree& tree = MillionTree();
  std::map<std::string, std::string> tiles;
  for (const TileId& id : TilesForSize(tree.Size())) {
    tiles[TilePath(id)] = EncodeTile(*TileHashes(tree, id));
  }
  TileFetcher fetch = [&tiles](const std::string& path) -> Result<std::string> {
    return tiles.at(path);
  };
  for (auto _ : state) benchmark::DoNotOptimize(RootFromTiles(fetch, tree.Size()));
  state.SetItemsProcessed(state.iterations() * tree.Size());
}
BENCHMARK(BM_RootFromTilesMillion)->Unit(benchmark::kMillisecond);

void BM_SignCheckpoint(benchmark::State& state) {
  auto key = GenerateNoteKey("bench.example/log");
  auto signer = NoteSigner::FromPrivateKey(key->private_key);
  Checkpoint cp{"bench.example/log", 1000000, LeafHash("root"), {}};
  for (auto _ : state) benchmark::DoNotOptimize(SignCheckpoint(*signer, cp));
}
BENCHMARK(BM_SignCheckpoint);

}  // namespace
}  // namespace undersigned::log

BENCHMARK_MAIN();
