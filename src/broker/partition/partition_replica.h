#pragma once

// PartitionReplica: one replica of one partition, as an actor. It joins the partition's Raft node
// and journal, the engine (state + stream processor) over a RaftLogStream, and the requests of the
// command API waiting for their responses.
//
// Lifecycle: open() (any thread, before start) opens the journal, restores the engine from the
// journal's snapshot (the engine's folder is rebuilt from it at every start, so state never runs
// ahead of the log), and creates the Raft node, which then replays the committed tail. start()
// begins ticking; stop() fails what waits and releases everything.
//
// Role transitions, in order, on the strand after every input:
//   Raft leader -> "catching up": commands are answered NOT_LEADER until every entry up to the
//     leader's first entry of its term is applied (the replay is complete) -> engine leader
//     -> serving.
//   Raft not leader while serving -> engine follower, waiting requests fail NOT_LEADER; if the
//     engine applied effects that never committed, it is rebuilt from the snapshot and the
//     committed log.
//
// Snapshots: on a period and on log growth; a checkpoint of a leader whose state holds effects
// not yet committed is recorded only once they are (PendingSnapshot). The engine's checkpoint is
// packed (snapshot_archive.h) into the journal's snapshot, which compacts
// the journal below it and is what Raft streams to a lagging or empty replica. A snapshot never
// covers an entry an exporter still needs (partition_exporting.h): on the leader the director's
// lowest acknowledged position, on followers the replicated positions bound it.
//
// Exporting: while serving as leader the replica runs the exporter director after each commit
// and tick; it is closed when leadership is lost.
//
// Thread: everything runs on the replica's strand (an asio strand over the broker's partition
// pool); receive() and submit() post to it. The journal flush of a Ready (one group commit) runs
// on a JournalFlusher's writer thread, and syncs pipeline (RaftNode::advance_written): the strand
// appends the Ready's entries, hands the engine the committed entries, queues the sync and
// carries on — the next Ready is written and its sync queued right behind, up to
// `max_syncs_in_flight`. When a sync is done, back on the strand, that Ready's acknowledgements
// and votes leave and the node learns its entries are durable (RaftNode::persisted) — only then
// does the leader count itself in the quorum (the core's rule) and a follower's acknowledgement
// promise what is durable. A truncating Ready or a snapshot install waits until no sync is in
// flight; stop() waits for them before releasing the journal. Without a flusher the sync runs
// on the strand.

#include <asio.hpp>
#include <chrono>
#include <cstdint>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "broker/partition.h"
#include "broker/partition/journal_flusher.h"
#include "broker/partition/leadership.h"
#include "broker/partition/lost_log_watch.h"
#include "broker/partition/membership_control.h"
#include "broker/partition/partition_exporting.h"
#include "broker/partition/partition_service.h"
#include "broker/partition/raft_log_stream.h"
#include "engine/partition_engine.h"
#include "engine/processing/subscription_sender.h"
#include "raft/core/raft_node.h"
#include "raft/journal/journal.h"

namespace tern::broker {

struct ReplicaOptions {
  int tick_ms = 50;
  int election_ticks = 10;  // 500 ms .. 1 s election timeout at 50 ms ticks
  int heartbeat_ticks = 2;
  std::size_t max_inflight_commands = 500;  // back-pressured commands waiting per partition
  int request_timeout_ms = 15000;
  // The configured data.snapshot-period-seconds / data.snapshot-log-entries (config.h says why
  // they are not small).
  int snapshot_period_ms = 300000;
  std::uint64_t snapshot_log_entries = 50000;  // also snapshot after this many applied entries
  int due_date_check_ms = 1000;                // leader: job time-outs and back-offs
  int idle_append_ms = 2000;  // an idle leader appends an empty batch this often (see keep_alive)
  // The message subscription protocol: how often the leader looks for unacknowledged commands
  // to other partitions, and how long it waits before sending one again.
  int subscription_check_ms = 500;
  int subscription_retry_ms = 2000;
  raft::journal::Durability durability = raft::journal::Durability::kSync;
  // Readies whose journal syncs may be in flight at once (pipelined syncs): the next Ready is
  // written while one syncs; beyond this, what arrives gathers into the next group commit.
  std::size_t max_syncs_in_flight = 2;
  engine::EngineOptions engine;
  // The broker's exporters and switches; null when none are configured.
  std::shared_ptr<ExportingSettings> exporting;
  exporter::DirectorOptions exporter_director;
};

// How a replica with an empty data directory starts: as one of the partition's initial replicas
// (its journal is bootstrapped with `Partition::replicas()` as voters), or joining a running
// partition (no configuration of its own: it never campaigns and waits for the leader's appends or
// snapshot, as a learner the leader added). A replica with data resumes from it either way.
enum class ReplicaStart { kBootstrap, kJoin };

class PartitionReplica : public engine::ResponseSink,
                         public engine::JobAvailabilityListener,
                         public MembershipControl {
 public:
  using Send = std::function<void(NodeId to, PartitionId partition, const raft::Message&)>;
  using JobCallback = std::function<void(PartitionId, std::string)>;

  // `subscriptions` carries the engine's commands to other partitions (may be null: a
  // single-partition cluster has nobody to send to); `flusher` runs the journal's syncs (null:
  // on the strand). Both must outlive the replica's stop().
  PartitionReplica(asio::io_context& io, NodeId self, std::shared_ptr<Partition> partition,
                   ReplicaOptions options, Send send,
                   engine::SubscriptionTransport* subscriptions = nullptr,
                   JournalFlusher* flusher = nullptr);
  ~PartitionReplica() override;

  Result<void, std::string> open(ReplicaStart start = ReplicaStart::kBootstrap);
  void start();
  // Blocks until the strand has stopped the replica (not callable from the strand). The journal
  // and the Raft node are released, so the data directory may be removed afterwards; the object
  // must stay alive until the strand's queued handlers ran (the manager keeps it to shutdown).
  void stop();

  // MembershipControl (partition_replica_membership.cc).
  GroupMembership membership() const override;
  Result<void, std::string> change_membership(const raft::ConfigChange& change) override;
  Result<void, std::string> transfer_leadership_away() override;
  Result<void, std::string> force_configuration(std::vector<NodeId> voters) override;
  // The partition's brokers, preferred leader first: Raft's priority election and the preferred
  // leader of a rebalance follow it (a PARTITION_RECONFIGURE_PRIORITY).
  Result<void, std::string> set_priority_order(std::vector<NodeId> order);

  // Steps the messages (one frame's for this partition, in order) in one hand-over to the strand.
  void receive(std::vector<raft::Message> messages);
  void submit(engine::Record command, bool backpressure, SubmitCallback done);
  // A command of the message subscription protocol from another partition: appended to the log
  // when this replica serves as leader, dropped otherwise (the sender retries; the protocol's
  // receivers are idempotent, so a duplicate append is harmless). Never back-pressured.
  void deliver(engine::Record command);
  void set_job_callback(JobCallback callback);
  // Moves leadership away from this replica if it leads (see LeadershipGoal). New commands are
  // refused NOT_LEADER at once; the Raft transfer (dissertation §3.10) starts when the commands
  // in flight have committed and answered, or after `drain` at the latest, so that a handover
  // loses no response. Blocks until the strand has decided (not callable from the strand).
  LeadershipMove move_leadership(LeadershipGoal goal, std::chrono::milliseconds drain);

  PartitionId id() const { return partition_->id(); }

  // Exporting (partition_exporting.h). `fn` runs on the strand with this replica's exporting, or
  // null when none is configured or the replica stopped; waits until it ran (not callable from
  // the strand). False when the strand did not run it within 10 s (stopped or stuck); `fn` then
  // may still run later, so it must own what it captures.
  bool with_exporting(std::function<void(PartitionExporting*)> fn);
  // The director's state while this replica leads; any thread.
  std::optional<exporter::DirectorSnapshot> exporting_snapshot() const;

  // engine callbacks (strand)
  void on_response(const engine::Response& response) override;
  void on_jobs_available(std::string_view type) override;

 private:
  struct Pending {
    SubmitCallback done;
    std::chrono::steady_clock::time_point deadline;
    bool backpressure = false;
  };

  void schedule_tick();
  void on_tick(std::uint64_t clock_tick);
  void do_submit(engine::Record command, bool backpressure, SubmitCallback done);
  // Handles every pending Ready, then aligns the engine's role with Raft's.
  void process();
  // Runs process() once after the handlers already queued on the strand. Submits and peer
  // messages arrive in bursts; proposing them all before the next Ready lets one journal flush
  // (group commit) cover the burst instead of one flush per command.
  void schedule_process();
  // Handles one Ready: writes it, and either syncs it at once or queues its sync on the writer
  // thread behind those in flight (on_flushed() reports it); false when there was none or it must
  // wait for the syncs in flight (their bound, a truncation, a snapshot install).
  bool handle_ready();
  void on_flushed(raft::journal::PendingFlush flush);
  // After a Ready was written: align the engine's role with Raft's and let it run.
  void after_ready();
  // Releases engine, Raft node and journal (the last step of stop()).
  void release();
  void sync_role();
  void stop_serving(const std::string& why);
  void step(raft::Message message);
  void run_engine();
  // Runs the engine again later on the strand (it stopped at its bound with work left).
  void schedule_engine();
  void fail_pending(SubmitErrorCode code, const std::string& message);
  void expire_pending();
  void maybe_snapshot();
  // A checkpoint taken while the leader's state ran ahead of the commit: recorded in the journal
  // once everything the state reflects is committed (finish_pending_snapshot), dropped if the
  // state is rebuilt first.
  struct PendingSnapshot {
    raft::LogIndex target;
    engine::Position needs_committed;
    std::string packed;
  };
  void take_snapshot(raft::LogIndex target);
  void finish_pending_snapshot();
  void keep_alive(std::chrono::steady_clock::time_point now);
  void do_deliver(engine::Record command);
  Result<void, std::string> restore_engine(const std::optional<raft::Snapshot>& snapshot);
  Result<void, std::string> rebuild_engine();
  void publish_status();
  void publish_membership();
  // Runs `fn` on the strand and returns its answer (not callable from the strand).
  Result<void, std::string> on_strand(std::function<Result<void, std::string>()> fn);
  void fail(const std::string& reason);
  LeadershipMove schedule_move(LeadershipGoal goal, std::chrono::milliseconds drain);
  std::optional<NodeId> move_target(LeadershipGoal goal) const;
  void maybe_hand_over();

  struct HandOver {
    NodeId target;
    std::chrono::steady_clock::time_point deadline;  // transfer even if commands still wait
  };

  // Exporting on the strand: the director follows the serving role (partition_replica_export.cc).
  void start_exporting();
  void run_exporting();
  std::optional<raft::LogIndex> exporter_compaction_limit() const;

  asio::strand<asio::io_context::executor_type> strand_;
  asio::steady_timer timer_;
  const NodeId self_;
  const std::shared_ptr<Partition> partition_;
  const ReplicaOptions options_;
  Send send_;
  JobCallback job_callback_;

  engine::SystemEngineClock clock_;
  std::unique_ptr<raft::journal::Journal> journal_;
  std::unique_ptr<raft::RaftNode> node_;
  RaftLogStream log_stream_;
  std::unique_ptr<engine::PartitionEngine> engine_;
  engine::SubscriptionTransport* subscriptions_;
  std::unique_ptr<engine::SubscriptionCommandSender> subscription_sender_;  // over engine_
  std::unique_ptr<PartitionExporting> exporting_;  // null when no exporter is configured
  JournalFlusher* flusher_;
  // The Readies whose syncs are in flight, oldest first: their votes and acknowledgements, sent
  // once the sync ended, and the last entry (or snapshot) the sync makes durable.
  struct SyncInFlight {
    std::vector<raft::Message> after_persist;
    std::optional<std::pair<raft::LogIndex, raft::Term>> last_written;
  };
  std::deque<SyncInFlight> syncs_;
  // The last committed entry handed to the engine: ahead of the node's applied index while a
  // Ready's flush is in flight (the engine applies committed entries before the local sync).
  raft::LogIndex fed_index_;
  std::promise<void>* stop_done_ = nullptr;  // stop() waits for the syncs in flight

  LostLogWatch lost_log_;  // a follower that lost its log gets leadership handed over
  std::map<std::int64_t, Pending> pending_;  // by request id
  std::size_t inflight_backpressured_ = 0;
  std::int64_t request_base_ = 0;
  std::int64_t next_request_ = 0;

  bool serving_ = false;                        // engine is leader and replay is done
  std::optional<HandOver> handover_;            // a requested leadership move, not started yet
  std::optional<raft::LogIndex> leader_start_;  // first entry of this leader's term
  bool failed_ = false;
  bool stopped_ = false;
  bool process_scheduled_ = false;  // a schedule_process() run is queued on the strand
  bool engine_scheduled_ = false;   // a schedule_engine() run is queued on the strand
  std::string failure_;
  int ticks_ = 0;
  std::chrono::steady_clock::time_point last_snapshot_;
  std::optional<PendingSnapshot> pending_snapshot_;
  std::chrono::steady_clock::time_point last_due_check_;
  std::chrono::steady_clock::time_point last_subscription_check_;
  std::chrono::steady_clock::time_point last_append_;
  raft::LogIndex last_seen_index_;

  mutable std::mutex membership_mutex_;
  GroupMembership membership_;  // guarded by membership_mutex_; written on the strand
};

}  // namespace tern::broker
