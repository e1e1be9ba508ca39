#pragma once

// A seeded simulator of a Raft group: N RaftNodes over a faulty network (drop, duplicate, reorder,
// delay, symmetric and one-way partitions), crashes that lose the unflushed tail, restarts,
// compaction with snapshots, leadership transfers, membership changes and a forced
// reconfiguration after a region is cut off. After every step it checks Raft's safety properties;
// then it heals everything and requires progress within a bounded number of rounds.
//
// Everything derives from the seed: a failure report names it, and the same seed replays the run
// exactly (TERN_RAFT_SIM_SEED=<seed>, see README.md).

#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "raft/core/raft_node.h"

namespace tern::raft::sim {

struct SimOptions {
  std::uint64_t seed = 1;
  int voters = 3;   // initial voters 0..voters-1
  int spares = 1;   // ids that may join later as learners
  int regions = 1;  // region of node i is i % regions
  int fault_steps = 4000;
  int heal_rounds = 400;  // bound on recovery once faults stop
  bool membership_changes = true;
  bool forced_region_loss = false;  // cut off region 1 and force the survivors' configuration
  // When set, every replica persists to a real journal under this folder (without fsync) and a
  // crash reopens it through the journal's recovery; otherwise storage is in memory.
  std::filesystem::path journal_dir;
  // In-memory runs only: most nodes pipeline their syncs (write a Ready, take the next while the
  // sync runs, report it with RaftNode::persisted), the rest persist synchronously.
  bool pipelined = false;
};

class Simulator {
 public:
  class Storage;

  explicit Simulator(SimOptions options);
  ~Simulator();

  // Runs the fault phase and the heal phase. Returns a description of the first violated property
  // (prefixed with the seed and step), or nullopt when the run is clean.
  std::optional<std::string> run();

  // Counters a test can assert on, so a sweep that silently does nothing fails.
  struct Stats {
    int elections_won = 0;
    int entries_committed = 0;
    int snapshots_installed = 0;
    int crashes = 0;
    int transfers = 0;
    int config_changes = 0;
    int forced = 0;
  };
  const Stats& stats() const { return stats_; }

 private:
  struct Node;
  struct InFlight {
    Message message;
    std::uint64_t deliver_after = 0;
  };
  struct Committed {
    Term term;
    EntryType type = EntryType::kNormal;
    std::string data;
    std::uint64_t chain = 0;  // hash of every entry up to here: the state machine's identity
  };

  std::uint64_t random();
  std::uint64_t below(std::uint64_t n) { return random() % n; }
  bool chance(int per_mille) { return below(1000) < static_cast<std::uint64_t>(per_mille); }

  void fail(const std::string& what);
  void start_node(Node& node);
  void crash(Node& node);
  void io(Node& node);
  void persist(Node& node);
  void io_pipelined(Node& node);
  void take_snapshot(Node& node, const Snapshot& snapshot);
  void check_log_matching(Node& node, const std::vector<Entry>& entries);
  void apply(Node& node, const Entry& entry);
  void send_all(std::vector<Message>& messages);
  void deliver_one(bool faults);
  Node* leader();
  void fault_step();
  void region_loss();
  void force_survivors();
  void retry_force_if_needed();
  void compact(Node& node);
  void membership_change(Node& leader_node);
  void check();
  void record_committed(Node& node);
  bool heal_and_make_progress();

  SimOptions options_;
  std::uint64_t random_state_;
  std::uint64_t step_ = 0;
  std::vector<std::unique_ptr<Node>> nodes_;
  std::vector<InFlight> network_;
  std::set<std::pair<int, int>> blocked_;  // (from, to) pairs that cannot talk
  std::set<int> lost_region_;              // crashed for good by a region loss (until failback)
  std::optional<std::string> failure_;

  std::map<std::uint64_t, NodeId> leaders_;                // term -> leader
  std::map<std::pair<int, std::uint64_t>, NodeId> votes_;  // (node, term) -> durable vote
  std::map<std::pair<std::uint64_t, std::uint64_t>, std::pair<std::string, std::uint64_t>>
      entries_seen_;                  // (index, term) -> (data, prev term)
  std::vector<Committed> committed_;  // [0] is index 1
  Stats stats_;
};

}  // namespace tern::raft::sim
