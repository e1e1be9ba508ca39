#pragma once

// RaftDriver: joins one RaftNode to its Journal and its state machine, single-threaded and
// synchronous, so that a test, the simulator or the broker (which adds networking and strands)
// runs a replica without re-implementing the Ready protocol.
//
// process() handles every pending Ready in order: send the messages that may precede the flush,
// install a received snapshot, append entries, persist the hard state, flush once (group commit
// for everything gathered since the last call), send the messages that need durability, apply
// committed entries, advance. An IO error leaves the replica unusable: the caller must stop it.
//
// Owned by the partition's strand; not thread-safe.

#include <filesystem>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "common/result.h"
#include "raft/core/raft_node.h"
#include "raft/journal/journal.h"

namespace tern::raft {

// What the driver applies committed entries to. Called on the driver's thread.
class StateMachine {
 public:
  virtual ~StateMachine() = default;
  // Every committed entry in order, including kNoop and kConfiguration entries.
  virtual void apply(const Entry& entry) = 0;
  // Replaces the whole state with a snapshot received from the leader.
  virtual void restore(const Snapshot& snapshot) = 0;
};

class RaftDriver {
 public:
  using Send = std::function<void(Message)>;

  // Opens the journal in `dir`; a brand-new folder is bootstrapped with `initial` when given (a
  // founding member), or left empty (a replica that joins and learns everything from the leader).
  // The state machine starts from the journal's snapshot and replays the committed entries.
  static journal::JournalResult<std::unique_ptr<RaftDriver>> open(
      RaftOptions options, const std::filesystem::path& dir,
      journal::JournalOptions journal_options, std::optional<Configuration> initial,
      StateMachine& state_machine, Send send);

  RaftNode& node() { return *node_; }
  const journal::Journal& journal() const { return *journal_; }

  void tick() { node_->tick(); }
  void step(Message message) { node_->step(std::move(message)); }
  // Does all pending IO; returns how many Readies were handled.
  journal::JournalResult<int> process();
  // Records the state machine's snapshot at the applied index and compacts the journal below it.
  journal::JournalResult<void> take_snapshot(std::string data);

  LogIndex applied() const { return node_->log().applied(); }

 private:
  RaftDriver(std::unique_ptr<journal::Journal> journal, StateMachine& state_machine, Send send)
      : journal_(std::move(journal)), state_machine_(state_machine), send_(std::move(send)) {}

  std::unique_ptr<journal::Journal> journal_;
  std::unique_ptr<RaftNode> node_;
  StateMachine& state_machine_;
  Send send_;
};

}  // namespace tern::raft
