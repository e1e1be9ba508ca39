// Raft benchmarks (numbers only, never a verdict):
//   BM_CoreReplicatedEntry  — CPU of three in-memory RaftNodes replicating and committing entries,
//                             per entry, for several batch sizes (no IO: the core's own cost).
//   BM_JournalGroupCommit   — journal appends per second when `batch` appends share one flush.

#include <benchmark/benchmark.h>

#include <deque>
#include <memory>
#include <vector>

#include "raft/core/raft_node.h"
#include "raft/journal/journal.h"
#include "support/temp_dir.h"

namespace tern::raft {
namespace {

struct MemoryReplica {
  MemoryStorage storage;
  std::unique_ptr<RaftNode> node;
};

// Drives three replicas to quiescence: every Ready persisted to memory, every message delivered.
void settle(std::vector<std::unique_ptr<MemoryReplica>>& replicas, std::deque<Message>& wire) {
  bool busy = true;
  while (busy) {
    busy = false;
    for (auto& replica : replicas) {
      while (replica->node->has_ready()) {
        busy = true;
        Ready ready = replica->node->ready();
        for (auto& m : ready.messages)
          wire.push_back(std::move(m));
        replica->storage.append(ready.entries);
        if (ready.hard_state) replica->storage.set_hard_state(*ready.hard_state);
        for (auto& m : ready.messages_after_persist)
          wire.push_back(std::move(m));
        replica->node->advance();
      }
    }
    while (!wire.empty()) {
      busy = true;
      Message m = std::move(wire.front());
      wire.pop_front();
      replicas[static_cast<std::size_t>(m.to.value())]->node->step(std::move(m));
    }
  }
}

void BM_CoreReplicatedEntry(benchmark::State& state) {
  const auto batch = static_cast<std::size_t>(state.range(0));
  Configuration config;
  for (int i = 0; i < 3; ++i)
    config.voters.emplace_back(i);
  std::vector<std::unique_ptr<MemoryReplica>> replicas;
  for (int i = 0; i < 3; ++i) {
    auto replica = std::make_unique<MemoryReplica>();
    replica->storage.bootstrap(config);
    RaftOptions options;
    options.id = NodeId(i);
    options.priority_order = config.voters;
    options.max_uncommitted_entries = 1 << 20;
    replica->node = std::make_unique<RaftNode>(options, replica->storage);
    replicas.push_back(std::move(replica));
  }
  std::deque<Message> wire;
  while (replicas[0]->node->role() != Role::kLeader) {
    for (auto& r : replicas)
      r->node->tick();
    settle(replicas, wire);
  }
  std::vector<std::string> payloads(batch, std::string(128, 'p'));
  std::uint64_t entries = 0;
  for (auto _ : state) {
    auto proposed = replicas[0]->node->propose(payloads);
    if (!proposed.ok()) state.SkipWithError(proposed.error().message.c_str());
    settle(replicas, wire);
    entries += batch;
    // Keep memory flat: compact what every replica has applied.
    if (entries % 8192 < batch) {
      for (auto& r : replicas) {
        LogIndex applied = r->node->log().applied();
        r->storage.create_snapshot(applied, r->node->configuration_at(applied), {});
      }
    }
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(entries));
  state.counters["cpu_per_entry"] = benchmark::Counter(
      static_cast<double>(entries), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}
BENCHMARK(BM_CoreReplicatedEntry)->Arg(1)->Arg(16)->Arg(128)->Unit(benchmark::kMicrosecond);

void BM_JournalGroupCommit(benchmark::State& state) {
  const auto batch = static_cast<std::uint64_t>(state.range(0));
  test::TempDir dir;
  auto opened = journal::Journal::open(dir.path());
  if (!opened.ok()) {
    state.SkipWithError(opened.error().message.c_str());
    return;
  }
  auto& journal = **opened;
  std::string payload(256, 'j');
  std::uint64_t next = 1;
  for (auto _ : state) {
    for (std::uint64_t i = 0; i < batch; ++i, ++next) {
      auto appended = journal.append({Entry{Term(1), LogIndex(next), EntryType::kNormal, payload}});
      if (!appended.ok()) state.SkipWithError(appended.error().message.c_str());
    }
    auto flushed = journal.flush();  // one sync for the whole batch
    if (!flushed.ok()) state.SkipWithError(flushed.error().message.c_str());
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(next - 1));
  state.counters["appends_per_second"] =
      benchmark::Counter(static_cast<double>(next - 1), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_JournalGroupCommit)
    ->Arg(1)
    ->Arg(32)
    ->Arg(256)
    ->UseRealTime()  // the flush waits for the disk, not the CPU
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace tern::raft

BENCHMARK_MAIN();
