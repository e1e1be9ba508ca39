#pragma once

// ReconcileLoop: the broker's side of a cluster change. On its own thread it reads the committed
// topology (the topology group's applied state), asks topology::next_local_actions what this
// broker must do next given the statuses of its replicas (and of its topology-group replica), and
// performs each action: starts a replica (joining: an empty replica waits for the leader) or stops
// one and deletes its data, proposes adding a learner or removing a member as the group's leader,
// hands leadership over before leaving, forces a survivor configuration, reorders a replica's
// priorities, and reports each finished operation (COMPLETE_OPERATION, or FAIL_CHANGE when a start
// keeps failing) through the topology group.
//
// When: after wake() (a replica's role, health, term or leader changed; a replica started or
// stopped) and on a period as the safety net, which also picks up newly applied topology versions.
// Every action is idempotent when repeated before its effect is visible: a second start or stop is
// a no-op, Raft refuses a second membership change while one is pending, and the topology state
// machine rejects a duplicate report. Repeats are throttled per action, and each performed action
// is logged once (its refusals at most every 10 s).
//
// Safety: nothing happens while the topology group's replica has no known leader or has not
// applied what it knows committed (a broker that restarts must not stop replicas — and delete
// their data — from a stale topology), nor while the broker is fenced.
//
// Forced reconfiguration: only one survivor of a partition should force (it must win every other
// survivor's vote, which a less up-to-date one cannot). Survivors take turns, in member id order,
// `force_stagger` apart; a survivor whose forced election fails lets the next one try, and the
// turns repeat until the forced configuration is in force everywhere.
//
// Threads: one thread of its own; start() and stop() from the owner's thread; wake() from any.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "broker/management/topology_manager.h"
#include "broker/partition/membership_control.h"
#include "broker/partition/partition_manager.h"
#include "broker/topology/reconciler.h"
#include "broker/topology/topology_state_machine.h"

namespace tern::broker::management {

struct ReconcileLoopOptions {
  std::chrono::milliseconds period{250};          // the safety-net timer
  std::chrono::milliseconds retry{1000};          // an identical request at most this often
  std::chrono::milliseconds force_stagger{3000};  // between survivors' forcing turns
  int start_failures_before_fail = 3;             // then FAIL_CHANGE with the reason
};

class ReconcileLoop {
 public:
  using TopologySource = std::function<topology::ClusterTopology()>;
  // Proposes a topology command (through the topology group's leader) and waits for its verdict.
  using Report = std::function<Result<void, ManagementError>(topology::TopologyCommand)>;
  using Verdict = std::function<topology::FencingVerdict()>;
  using Clock = std::function<std::int64_t()>;  // wall clock, ms since the epoch (reports)

  // `topology_group` is this broker's replica of the topology group (null: broker operations are
  // reported without partition-0 membership, as in a single-process cluster).
  ReconcileLoop(NodeId self, std::shared_ptr<PartitionManager> partitions, TopologySource topology,
                std::shared_ptr<MembershipControl> topology_group, Report report, Clock clock,
                Verdict verdict, ReconcileLoopOptions options = {});
  ~ReconcileLoop();

  void start();
  void stop();  // idempotent; waits for the thread
  void wake();

  // One pass on the caller's thread (the loop's thread calls it; tests may too). Returns the
  // number of actions performed (requests that were not refused).
  int reconcile_once();

 private:
  struct Attempt {
    std::chrono::steady_clock::time_point last;
    std::chrono::steady_clock::time_point logged;
    std::string outcome;
    int failures = 0;
  };

  void run();
  bool topology_current() const;
  std::map<PartitionId, topology::LocalReplicaStatus> local_statuses() const;
  // Performs one action; false when it was refused or throttled.
  bool perform(const topology::LocalAction& action, const topology::ClusterTopology& topology);
  Result<void, std::string> execute(const topology::LocalAction& action,
                                    const topology::ClusterTopology& topology);
  bool force_turn(const topology::LocalAction& action, const topology::ClusterTopology& topology);
  std::vector<NodeId> priority_order(const topology::ClusterTopology& topology,
                                     PartitionId partition,
                                     std::optional<std::int32_t> own_priority) const;
  void note(const std::string& key, const Result<void, std::string>& outcome);

  const NodeId self_;
  const std::shared_ptr<PartitionManager> partitions_;
  const TopologySource topology_;
  const std::shared_ptr<MembershipControl> topology_group_;
  const Report report_;
  const Clock clock_;
  const Verdict verdict_;
  const ReconcileLoopOptions options_;

  // The loop's thread only (reconcile_once is not reentrant).
  std::map<std::string, Attempt> attempts_;
  std::map<std::pair<std::int64_t, PartitionId>, std::chrono::steady_clock::time_point>
      force_seen_;  // when this broker first saw a forced reconfiguration to take part in
  std::int64_t placement_version_ = -1;

  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool woken_ = false;     // guarded by mutex_
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace tern::broker::management
