#pragma once

// TopologyReplica: this broker's replica of "partition 0", the Raft group that holds the cluster
// topology (src/broker/topology/README.md, "Replication"). Its entries are
// topology::encode_command bytes; every replica applies them, in commit order, to a
// topology::TopologyStateMachine, so every broker holds the same topology and every change is
// ordered and survives the loss of any broker. Its snapshot is TopologyStateMachine::snapshot().
//
// Lifecycle: open() (before start, any thread) opens the journal in `directory`, bootstraps a
// fresh one with the initial topology's brokers as voters, and restores the state machine from
// the journal's snapshot (Raft then replays the committed tail); start() begins ticking; stop()
// fails waiting proposals and stops.
//
// Thread: everything runs on the replica's strand (over the broker's partition pool); receive()
// and propose() post to it. topology(), announced() and leader() read a copy published under a
// mutex after every change, so the HTTP workers never touch the strand's state.

#include <asio.hpp>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "broker/management/topology_manager.h"
#include "broker/partition/lost_log_watch.h"
#include "broker/partition/membership_control.h"
#include "broker/partition/raft_group.h"
#include "broker/topology/topology_state_machine.h"
#include "raft/core/raft_node.h"
#include "raft/journal/journal.h"

namespace tern::broker::management {

struct TopologyReplicaOptions {
  int tick_ms = 50;
  int election_ticks = 10;
  int heartbeat_ticks = 2;
  std::uint64_t snapshot_entries = 100;  // snapshot (and compact) after this many applied entries
  std::size_t max_pending_proposals = 64;
  raft::journal::Durability durability = raft::journal::Durability::kSync;
  // False for a broker that joins a running cluster: an empty journal is not bootstrapped with
  // the initial members; the replica waits, as a learner, for the topology leader's log.
  bool bootstrap = true;
};

// What a replica's Raft node looks like from outside (published after every step): what a
// forced reconfiguration of the group needs to pick the most up-to-date survivor.
struct TopologyRaftStatus {
  raft::Role role = raft::Role::kFollower;
  std::uint64_t term = 0;
  std::uint64_t last_index = 0;
  std::uint64_t last_term = 0;
  std::optional<NodeId> leader;
  std::vector<NodeId> voters;  // the configuration in force (incoming and outgoing voters)
  std::vector<NodeId> fenced;
};

class TopologyReplica final : public RaftGroup, public MembershipControl {
 public:
  // Partition 0 is never a data partition (those are 1-based).
  static constexpr PartitionId kPartition{0};

  // Called once per proposal: with the state machine's verdict once the entry is committed and
  // applied (a rejection is kConflict with the reason); kNotLeader (naming the leader it knows)
  // when this replica does not lead, so nothing was proposed; kUnavailable when it stopped being
  // the leader before the entry committed (the command may or may not take effect) or cannot
  // take proposals. Runs on the strand; must not block.
  using Done = std::function<void(Result<void, ManagementError>)>;

  // Keeps `io` alive: the replica's strand and timer are bound to it.
  TopologyReplica(std::shared_ptr<asio::io_context> io, NodeId self,
                  std::filesystem::path directory, topology::ClusterTopology initial,
                  TopologyReplicaOptions options, Send send);
  ~TopologyReplica() override;

  Result<void, std::string> open() override;
  void start() override;
  // Blocks until the strand has stopped the replica (not callable from the strand).
  void stop() override;

  void receive(raft::Message message) override;
  void propose(topology::TopologyCommand command, Done done);
  // If this replica leads, starts a leadership transfer (dissertation §3.10) to the most
  // caught-up voter that is in step, and returns it; nullopt when not leading or nobody fits.
  // Blocks until the strand decided (not callable from the strand). Used on SIGTERM.
  std::optional<NodeId> hand_over();
  // Forced reconfiguration of the topology group (src/raft/README.md): this replica adopts a
  // configuration of `voters` alone and campaigns; it wins only with the vote of every one of
  // them. `done` says whether the attempt started (not whether it won: watch leader()).
  void force(std::vector<NodeId> voters, Done done);

  NodeId id() const { return self_; }
  topology::ClusterTopology topology() const;
  std::map<NodeId, topology::BrokerIdentity> announced() const;
  std::optional<NodeId> leader() const;
  // The highest applied index (tests wait on it to see a replica catch up).
  std::uint64_t applied_index() const;
  TopologyRaftStatus raft_status() const;

  // MembershipControl: partition-0 membership for BROKER_ADD / BROKER_REMOVE, carried out by the
  // reconcile loop (topology_replica_membership.cc).
  GroupMembership membership() const override;
  Result<void, std::string> change_membership(const raft::ConfigChange& change) override;
  Result<void, std::string> transfer_leadership_away() override;
  Result<void, std::string> force_configuration(std::vector<NodeId> voters) override;

 private:
  struct Pending {
    raft::Term term;
    Done done;
  };

  void schedule_tick();
  void process();
  bool handle_ready();
  void apply(const raft::Entry& entry);
  void fail_pending(const std::string& why);
  void maybe_snapshot();
  void publish();
  Result<void, std::string> on_strand(std::function<Result<void, std::string>()> fn);

  // Declared first, so destroyed last: the strand and the timer need their context.
  std::shared_ptr<asio::io_context> io_;
  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  const NodeId self_;
  const std::filesystem::path directory_;
  const TopologyReplicaOptions options_;
  Send send_;

  std::unique_ptr<raft::journal::Journal> journal_;
  std::unique_ptr<raft::RaftNode> node_;
  topology::TopologyStateMachine machine_;
  std::map<raft::LogIndex, Pending> pending_;  // proposals by log index, until applied
  bool stopped_ = false;
  bool failed_ = false;
  LostLogWatch lost_log_;  // a follower that lost its log gets leadership handed over

  mutable std::mutex published_mutex_;  // guards the published_ fields
  topology::ClusterTopology published_topology_;
  std::map<NodeId, topology::BrokerIdentity> published_announced_;
  std::optional<NodeId> published_leader_;
  std::uint64_t published_applied_ = 0;
  TopologyRaftStatus published_status_;
  GroupMembership published_membership_;
};

}  // namespace tern::broker::management
