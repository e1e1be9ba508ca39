#pragma once

// PartitionManager: this broker's partition replicas, the cluster transport between them and
// their peers, and the thread pool their strands run on. It is the broker's PartitionService: the
// command API submits commands here and they reach the replica of the partition.
//
// Threads: `partition_threads` threads run every replica's strand; `journal_flush_threads` writer
// threads sync their journals (journal_flusher.h); the transport has its own IO thread and hands
// each received message to the replica's strand.
//
// It also carries the engine's message subscription protocol between partitions: a command for
// partition p goes to every replica of p (the local one directly, the others over the cluster
// transport); only p's serving leader appends it. Sending to all replicas spares a leader lookup
// that could be stale; the engine's SubscriptionCommandSender resends what stays unacknowledged.
// start() opens every initial replica (on the caller's thread) before anything runs; shutdown()
// stops the replicas, then the journal writers, then the transport, then the pool. Thread-safe.
//
// Replicas change at runtime: the broker's reconcile loop (management/reconcile_loop.h) starts a
// replica the committed topology assigns here (joining: an empty replica waits for the leader's
// appends or snapshot) and stops one that left, deleting its data. The replica set is guarded by
// a shared mutex; the transport's routing, submit() and the subscription protocol look replicas
// up under it. A stopped replica object is kept until shutdown (handlers may still be queued on
// its strand), with its journal released so that its folder can go.

#include <asio.hpp>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "broker/partition.h"
#include "broker/partition/journal_flusher.h"
#include "broker/partition/partition_replica.h"
#include "broker/partition/partition_service.h"
#include "broker/partition/raft_group.h"
#include "broker/placement.h"
#include "broker/transport/cluster_transport.h"

namespace tern::broker {

struct ClusterOptions {
  NodeId self;
  ClusterShape shape;
  TransportOptions transport;  // `self` is filled in from above
  ReplicaOptions replica;
  int partition_threads = 2;
  // Writer threads that sync the replicas' journals off their strands (JournalWriterPool); 0
  // syncs on the strands.
  int journal_flush_threads = 4;
  // Runs the journal syncs instead of a pool of the broker's own (tests hold syncs back with it).
  std::shared_ptr<JournalFlusher> flusher;
  std::size_t block_cache_bytes = 8u << 20;  // shared by every replica's state
  // Other Raft groups run here too (by group id, which no data partition uses).
  std::map<PartitionId, RaftGroupFactory> groups;
  // Where a replica started at runtime keeps its data (created if missing); without it,
  // start_replica() refuses.
  std::function<Result<std::filesystem::path, std::string>(PartitionId)> partition_directory;
};

// stop_replica(): what happens to the replica's data folder.
enum class ReplicaData { kKeep, kDelete };

class PartitionManager final : public PartitionService, private engine::SubscriptionTransport {
 public:
  // `initial_start` says how the given replicas start when their folders are empty (a broker's very
  // first start as an initial member bootstraps; any later start joins, see ReplicaStart).
  static Result<std::unique_ptr<PartitionManager>, std::string> start(
      ClusterOptions options, std::vector<std::shared_ptr<Partition>> partitions,
      ReplicaStart initial_start = ReplicaStart::kBootstrap);
  ~PartitionManager() override;

  void submit(PartitionId partition, engine::Record command, bool backpressure,
              SubmitCallback done) override;
  void set_job_available_callback(std::function<void(PartitionId, std::string)> cb) override;
  std::vector<PartitionId> partitions() const override;
  std::int32_t partition_count() const override { return options_.shape.partitions; }

  std::uint16_t cluster_port() const { return transport_->port(); }
  std::vector<NodeId> connected_peers() const { return transport_->connected_peers(); }
  std::map<NodeId, PeerInfo> peer_infos() const { return transport_->peer_infos(); }
  std::map<NodeId, PairStats> transport_stats() const { return transport_->pair_stats(); }
  // The hosted partitions (a copy: the set changes at runtime), in partition order.
  std::vector<std::shared_ptr<Partition>> partition_objects() const;

  // Starts a replica of `partition` here (idempotent: an already running one is left alone).
  // `replicas` are the partition's brokers, preferred leader first (the Raft priority order and,
  // with kBootstrap on an empty folder, the initial voters).
  Result<void, std::string> start_replica(PartitionId partition, std::vector<NodeId> replicas,
                                          ReplicaStart start);
  // Stops the local replica of `partition` (idempotent) and, with kDelete, removes its data.
  Result<void, std::string> stop_replica(PartitionId partition, ReplicaData data);
  // Reorders the local replica's priority list (PartitionReplica::set_priority_order).
  Result<void, std::string> set_priority_order(PartitionId partition, std::vector<NodeId> order);
  // The membership controls of the hosted replicas and of the other groups (null when absent).
  std::shared_ptr<MembershipControl> membership_control(PartitionId partition) const;
  std::shared_ptr<RaftGroup> group(PartitionId id) const;
  // Where the subscription protocol sends a partition's commands: its replicas per the committed
  // topology (the reconcile loop keeps it current). Before it is set, the static placement.
  void set_placement(std::map<PartitionId, std::vector<NodeId>> placement);
  // Called (on any thread, outside locks) when a replica starts or stops, or a hosted replica's
  // role, health, term or leader changes.
  void set_change_observer(std::function<void()> observer);

  // Asks every hosted replica that leads its partition to move leadership (rebalance to the
  // preferred leaders, or hand over before shutting down); one entry per hosted partition.
  // Blocks briefly (each strand decides); the transfers themselves complete asynchronously.
  std::vector<LeadershipMove> move_leadership(LeadershipGoal goal, std::chrono::milliseconds drain);
  // Exporting on every local replica, in partition order: `fn` runs on each replica's strand
  // (PartitionReplica::with_exporting). Returns the partitions whose strand did not answer.
  std::vector<PartitionId> for_each_exporting(
      const std::function<void(PartitionId, PartitionExporting*)>& fn);
  // The exporter directors of the partitions this broker leads.
  std::vector<exporter::DirectorSnapshot> exporting_snapshots() const;

  // The cluster transport, for services other than Raft (the topology's requests between
  // brokers, management/topology_peers.h). Valid until this manager is destroyed.
  ClusterTransport& transport() const { return *transport_; }

  // Stops replicas, transport and threads; idempotent.
  void shutdown();

 private:
  PartitionManager(ClusterOptions options, std::vector<std::shared_ptr<Partition>> partitions);
  Result<void, std::string> open_and_start(ReplicaStart initial_start);
  Result<std::shared_ptr<PartitionReplica>, std::string> open_replica(
      std::shared_ptr<Partition> partition, ReplicaStart start);
  std::shared_ptr<PartitionReplica> replica(PartitionId partition) const;
  void notify_change();
  // engine::SubscriptionTransport: called on any replica's strand.
  void send(const engine::Record& command) override;
  void deliver_local(PartitionId partition, engine::Record command);
  void on_jobs_available(PartitionId partition, std::string type);

  ClusterOptions options_;
  std::vector<std::shared_ptr<Partition>> initial_partitions_;  // handed to start()
  // Shared with the groups of `options_.groups`, which may outlive this manager (their owners
  // hold them too) and are bound to it.
  std::shared_ptr<asio::io_context> io_ = std::make_shared<asio::io_context>();
  // The broker's writer threads (null with an injected flusher or none); stopped after the
  // replicas, before io_.
  std::unique_ptr<JournalWriterPool> writer_pool_;
  JournalFlusher* flusher_ = nullptr;
  std::optional<asio::executor_work_guard<asio::io_context::executor_type>> work_;
  std::vector<std::thread> threads_;
  mutable std::shared_mutex replicas_mutex_;
  // Guarded by replicas_mutex_: the running replicas and their partitions, the stopped replicas
  // kept to shutdown, and the subscription protocol's placement.
  std::map<PartitionId, std::shared_ptr<PartitionReplica>> replicas_;
  std::map<PartitionId, std::shared_ptr<Partition>> partitions_;
  std::vector<std::shared_ptr<PartitionReplica>> retired_;
  std::map<PartitionId, std::vector<NodeId>> placement_;
  std::map<PartitionId, std::shared_ptr<RaftGroup>> groups_;  // fixed after start
  std::mutex change_mutex_;                // start_replica() and stop_replica() never overlap
  std::function<void()> change_observer_;  // guarded by callback_mutex_
  std::unique_ptr<ClusterTransport> transport_;
  std::mutex callback_mutex_;
  std::function<void(PartitionId, std::string)> job_callback_;  // guarded by callback_mutex_
  std::mutex lifecycle_mutex_;  // move_leadership() and shutdown() never overlap
  bool stopped_ = false;        // guarded by lifecycle_mutex_ (after start)
};

}  // namespace tern::broker
