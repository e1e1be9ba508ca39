#pragma once

// RaftNode: one replica of one Raft group, as a pure deterministic state machine.
//
// It holds no clock, thread, socket or file. The driver feeds it `tick()` (logical time),
// `step(message)` (a message from a peer), and requests (`propose`, `propose_config_change`,
// `transfer_leadership`, `force_configuration`); it hands back work through the Ready/advance
// protocol:
//
//   while (node.has_ready()) {
//     Ready r = node.ready();
//     send(r.messages);                       // may go before the flush (leader appends, §10.2.1)
//     storage: install r.snapshot, append r.entries (truncating from their first index),
//              persist r.hard_state; flush;
//     send(r.messages_after_persist);         // votes and acknowledgements: only once durable
//     apply(r.committed_entries);             // in order; includes config and no-op entries
//     node.advance();                         // acknowledges exactly that Ready
//   }
//
// Only one Ready is outstanding: ready() may not be called again before advance() (or, for a
// pipelining driver, advance_written()). Steps, ticks and proposals may happen between the two;
// their output goes into the next Ready.
//
// A driver that pipelines its syncs acknowledges a Ready with advance_written() as soon as it is
// written (not yet durable), takes the next one while the sync runs, and reports each sync's end
// with persisted(index, term), in order; it holds each Ready's messages_after_persist until that
// Ready's sync ended. The leader counts itself in a quorum only for persisted entries.
//
// Owned by one thread (the partition's strand); not thread-safe. Randomness (election timeouts)
// comes from a generator seeded through RaftOptions, so a run replays exactly.

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/strong_id.h"
#include "raft/core/configuration.h"
#include "raft/core/messages.h"
#include "raft/core/progress.h"
#include "raft/core/raft_log.h"
#include "raft/core/storage.h"

namespace tern::raft {

enum class Role : std::uint8_t { kFollower, kPreCandidate, kCandidate, kLeader };
const char* role_name(Role role);

struct RaftOptions {
  NodeId id;
  int election_ticks = 10;  // base election timeout; the actual one is randomized in [E, 2E)
  int heartbeat_ticks = 2;
  bool pre_vote = true;      // §9.6: a partitioned node cannot disrupt the group on return
  bool check_quorum = true;  // §6.2: a leader that cannot hear a quorum steps down
  // Replication flow control: appends in flight per follower, and the size of one append.
  std::size_t max_inflight_appends = 16;
  std::size_t max_append_bytes = 1 << 20;
  // Proposals beyond this many uncommitted entries are refused (back-pressure).
  std::size_t max_uncommitted_entries = 10000;
  std::size_t max_apply_bytes = 4 << 20;  // committed entries handed out per Ready
  std::size_t snapshot_chunk_bytes = 256 << 10;
  // Priority election: the preferred leader first. A node's election timeout grows by half an
  // election timeout per rank, so the preferred replica normally campaigns first.
  std::vector<NodeId> priority_order;
  // When set, a leader other than the preferred replica hands leadership back to it (§3.10) as
  // soon as the preferred replica is an active, caught-up voter — so that after a failover the
  // preferred leader leads again. Off by default: the broker may prefer to rebalance on command.
  bool return_leadership_to_preferred = false;
  std::uint64_t random_seed = 1;
};

struct Ready {
  std::optional<HardState> hard_state;  // persist when set
  std::optional<Snapshot> snapshot;     // install (log and state machine) before the entries
  std::vector<Entry> entries;           // append; they replace stored entries from their index
  std::vector<Message> messages;        // may be sent at once
  std::vector<Message> messages_after_persist;  // send only after everything above is durable
  std::vector<Entry> committed_entries;         // apply in order, after persisting
};

enum class ProposeErrorCode : std::uint8_t {
  kNotLeader,
  kTransferInProgress,
  kBackPressure,
  kConfigChangePending,
  kInvalidRequest,
};
struct ProposeError {
  ProposeErrorCode code = ProposeErrorCode::kNotLeader;
  std::string message;
};

class RaftNode {
 public:
  RaftNode(RaftOptions options, const LogStorage& storage);

  // --- inputs ---
  void tick();
  // tick() on a clock shared by many groups: `clock_tick` counts ticks of that clock (it only
  // grows, by one per call when nothing is late). A leader then heartbeats on the clock ticks
  // divisible by heartbeat_ticks (or after heartbeat_ticks without one, when ticks were skipped),
  // so every group led by one node heartbeats on the same tick and a transport can carry all of
  // them towards one peer together. Deterministic: the clock is an input.
  void tick_at(std::uint64_t clock_tick);
  void step(Message message);
  // Appends normal entries with these payloads; returns the index of the last one.
  Result<LogIndex, ProposeError> propose(std::vector<std::string> payloads);
  Result<LogIndex, ProposeError> propose_config_change(const ConfigChange& change);
  // §3.10: hand leadership to `target` once it is caught up; proposals pause meanwhile.
  Result<void, ProposeError> transfer_leadership(NodeId target);
  // Operator's forced reconfiguration: adopt `voters` (which must include this node) under a new
  // term and epoch without the old quorum; everyone else is fenced. Pick the survivor with the most
  // up-to-date log so that no committed entry is lost.
  Result<void, ProposeError> force_configuration(std::vector<NodeId> voters);
  // Replaces RaftOptions::priority_order (a cluster change moved the partition's preferred
  // leader); it applies from the next election timeout on.
  void set_priority_order(std::vector<NodeId> order);

  // --- outputs ---
  bool has_ready() const;
  Ready ready();
  // The outstanding Ready is written and durable (a synchronous driver): advance_written() and
  // persisted() of its last entry (or snapshot) in one.
  void advance();
  // Pipelined syncs: the outstanding Ready is written to the storage (its entries readable there,
  // its hard state recorded) but its sync may still be running; the next Ready may be taken at
  // once. The driver then reports each sync's end with persisted(), in order, and sends a Ready's
  // messages_after_persist only once that Ready's sync (and every earlier one) ended: that is
  // what keeps votes and acknowledgements behind durability.
  void advance_written();
  // Everything up to (index, term) — the last entry (or snapshot) of a Ready advanced as written —
  // is durable. Ignored when that entry was rewritten since (a new leader's conflicting suffix):
  // what replaced it is durable only once its own sync reports it. A leader counts itself in the
  // commit quorum only up to here.
  void persisted(LogIndex index, Term term);
  // The messages that may leave at once (appends, heartbeats, snapshot chunks, pre-votes,
  // timeout-now) produced since the last ready(). A driver whose Ready is still being persisted
  // sends these without waiting for advance(): a leader replicates new entries before its own
  // flush (§10.2.1) and keeps heartbeating, since it counts itself in a quorum only for entries
  // advanced as durable. Votes and acknowledgements stay for the next Ready.
  std::vector<Message> take_messages();
  // The committed entries not handed out yet, at most max_apply_bytes of them (at least one),
  // also while a Ready is outstanding: for a driver that applies a Ready's committed entries as
  // soon as it gets the Ready, before its flush, and must not let a commit that arrives during
  // the flush wait for it (a leader's commit counted from its followers, a follower's from the
  // leader). They follow those of the outstanding Ready, which the driver must have applied
  // already; they count as applied at once and never appear in a Ready. Safe before the local
  // flush because a committed entry is durable on a quorum (§5.4).
  std::vector<Entry> take_committed();

  // --- queries ---
  NodeId id() const { return options_.id; }
  Role role() const { return role_; }
  Term term() const { return term_; }
  std::optional<NodeId> vote() const { return vote_; }
  std::optional<NodeId> leader() const { return leader_; }
  const Configuration& configuration() const;
  // Whether the configuration in force is committed (not a forced one still to be won, nor an
  // appended change a new leader could still truncate): what a membership change's completion
  // waits for.
  bool configuration_committed() const;
  // The configuration in force at `index` (for snapshots taken at an applied index).
  Configuration configuration_at(LogIndex index) const;
  const RaftLog& log() const { return log_; }
  const Progress* progress(NodeId peer) const;
  std::optional<NodeId> transfer_target() const { return transferee_; }

 private:
  enum class CampaignKind : std::uint8_t { kPreElection, kElection, kTransfer };

  // raft_node.cc: dispatch, roles, ready/advance
  void become_follower(Term term, std::optional<NodeId> leader);
  void become_pre_candidate();
  void become_candidate();
  void become_leader();
  void reset(Term term);
  void send(Message message);
  bool promotable() const;
  bool in_lease() const;
  void step_follower(Message& message);
  void step_candidate(Message& message);
  void step_leader(Message& message);
  void tick_leader();

  // election.cc
  void campaign(CampaignKind kind);
  void handle_vote_request(const Message& message);
  void handle_vote_response(const Message& message);
  VoteResult tally() const;
  void reset_randomized_timeout();
  std::uint64_t next_random();

  // replication.cc
  bool send_append(NodeId to, bool send_if_empty);
  void broadcast_append();
  void broadcast_heartbeat();
  void handle_append(const Message& message);
  void handle_append_response(const Message& message);
  void handle_heartbeat(const Message& message);
  void handle_heartbeat_response(const Message& message);
  bool maybe_commit();
  void after_commit_advanced();
  LogIndex append_entries(std::vector<Entry> entries);

  // snapshot.cc
  void send_snapshot(NodeId to);
  void send_snapshot_chunk(NodeId to);
  void handle_snapshot_chunk(const Message& message);
  void handle_snapshot_response(const Message& message);

  // membership.cc
  void track_appended_configurations(LogIndex from, const std::vector<Entry>& entries);
  void rebuild_configurations();
  void on_configuration_changed();
  bool config_change_allowed(std::string& why) const;
  void maybe_promote_learner(NodeId peer);

  // transfer.cc
  void maybe_finish_transfer(NodeId peer);
  void maybe_return_to_preferred();
  void handle_timeout_now(const Message& message);

  RaftOptions options_;
  const LogStorage& storage_;
  RaftLog log_;

  Term term_;
  std::optional<NodeId> vote_;
  std::optional<NodeId> leader_;
  Role role_ = Role::kFollower;

  Configuration base_configuration_;                  // from the snapshot
  std::map<LogIndex, Configuration> configurations_;  // configuration entries above it
  // A forced configuration not yet in the log: it rules this node until the node wins an
  // election under it (and appends it as the first entry of its term) or the log carries it.
  std::optional<Configuration> forced_;

  std::map<NodeId, Progress> progress_;  // leader only; every member but this node
  std::map<NodeId, bool> votes_;         // (pre-)candidate only

  int election_elapsed_ = 0;
  int heartbeat_elapsed_ = 0;
  std::optional<std::uint64_t> clock_tick_;  // set by tick_at()
  int randomized_timeout_ = 0;
  std::uint64_t random_state_;

  std::optional<NodeId> transferee_;
  int transfer_elapsed_ = 0;

  // Snapshot being received (follower).
  std::optional<SnapshotChunk> receiving_;

  std::vector<Message> messages_;
  std::vector<Message> messages_after_persist_;
  HardState persisted_hard_state_;

  // What the outstanding Ready handed out, so advance() acknowledges exactly that.
  struct Handed {
    bool outstanding = false;
    std::optional<HardState> hard_state;
    std::optional<std::pair<LogIndex, Term>> snapshot;
    std::optional<std::pair<LogIndex, Term>> last_entry;
    LogIndex applied_to;
  } handed_;
};

}  // namespace tern::raft
