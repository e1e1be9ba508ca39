// PartitionReplica: the Ready loop, role transitions, snapshots and engine rebuilds (the strand's
// side of partition_replica.h).

#include <spdlog/spdlog.h>

#include <algorithm>
#include <utility>

#include "broker/partition/partition_replica.h"
#include "broker/partition/snapshot_archive.h"

namespace tern::broker {

using engine::Position;
using raft::LogIndex;

namespace {

// Hands committed entries to the engine's log stream and records the last one fed; false (with
// `error`) on a record that does not decode. Entries of every type go to the stream: it reads
// the leader's own records only once every entry before them is committed.
bool feed_committed(RaftLogStream& stream, LogIndex& fed, const std::vector<raft::Entry>& entries,
                    std::string& error) {
  for (const auto& entry : entries) {
    fed = entry.index;
    if (!stream.add_committed(entry, error)) return false;
  }
  return true;
}

}  // namespace

void PartitionReplica::process() {
  if (failed_ || stopped_) return;
  maybe_hand_over();
  // A serving leader's engine acts on what was appended since it last ran (a client's command,
  // a delivered or due-date command) before it commits: the follow-ups it appends join the same
  // Ready, so command and follow-ups share one replication round and one sync.
  if (serving_) run_engine();
  // Engine output (follow-ups, new commands) feeds more Readies; a pass without Readies ends it.
  for (int rounds = 0; rounds < 64; ++rounds) {
    if (!handle_ready()) break;
  }
  // Exporters see what just committed; the positions they persist are appended here and handled
  // by the Readies that follow.
  run_exporting();
  for (int rounds = 0; rounds < 64; ++rounds) {
    if (!handle_ready()) break;
  }
  // A commit that arrived since the last Ready (a quorum of followers acknowledged, a sync ended,
  // or the leader's commit index reached this follower) need not wait for the next Ready, which
  // may be held back by the syncs in flight: it is durable on a quorum, so the engine takes it
  // now and a leader's follow-ups go out one sync earlier (RaftNode::take_committed).
  bool fed = false;
  for (int rounds = 0; rounds < 64 && !failed_ && !stopped_; ++rounds) {
    auto committed = node_->take_committed();
    if (committed.empty()) break;
    std::string error;
    if (!feed_committed(log_stream_, fed_index_, committed, error)) {
      fail("corrupt committed log: " + error);
      return;
    }
    fed = true;
  }
  if (fed) {
    sync_role();
    run_engine();
  }
  // Nor need appends of newer entries and heartbeats: they promise nothing about this replica's
  // disk.
  if (!failed_ && !stopped_) {
    for (const auto& message : node_->take_messages())
      send_(message.to, id(), message);
  }
  publish_status();
}

bool PartitionReplica::handle_ready() {
  if (failed_ || stopped_ || !node_->has_ready()) return false;
  if (!syncs_.empty()) {
    // Pipelined syncs: the next Ready is written while earlier ones sync, up to a bound (so that
    // what arrives meanwhile still gathers into one group commit); on_flushed() takes it then.
    if (syncs_.size() >= options_.max_syncs_in_flight) return false;
    // A rewrite of the log's suffix (a new leader's conflicting entries) or a snapshot install
    // waits for the syncs in flight: their markers must not claim entries that are gone.
    const auto& unstable = node_->log().unstable_entries();
    if (node_->log().unstable_snapshot()
        || (!unstable.empty() && unstable.front().index <= journal_->last_index())) {
      return false;
    }
  }
  raft::Ready ready = node_->ready();
  // Leader appends and heartbeats may leave before this replica's own flush (Raft §10.2.1): the
  // leader counts itself in the quorum only once the sync is reported (RaftNode::persisted).
  for (const auto& message : ready.messages)
    send_(message.to, id(), message);
  if (ready.snapshot) {
    if (ready.hard_state) journal_->set_hard_state(*ready.hard_state);
    if (auto r = journal_->install_snapshot(*ready.snapshot); !r) {
      fail("installing a snapshot: " + r.error().message);
      return false;
    }
    spdlog::info("partition {}: installing snapshot at index {} from the leader", id().value(),
                 ready.snapshot->meta.index.value());
    if (auto r = restore_engine(ready.snapshot); !r) {
      fail(r.error());
      return false;
    }
    fed_index_ = ready.snapshot->meta.index;
  }
  if (auto r = journal_->append(ready.entries); !r) {
    fail("journal append: " + r.error().message);
    return false;
  }
  if (ready.hard_state) journal_->set_hard_state(*ready.hard_state);
  // Committed entries are durable on a quorum already, so the engine may apply them before this
  // replica's copy is synced: its state is rebuilt from the snapshot and the journal at every
  // start, and snapshots cover flushed entries only. Applying now lets the engine's follow-ups
  // join the next group commit instead of waiting for this one.
  if (std::string error; !feed_committed(log_stream_, fed_index_, ready.committed_entries, error)) {
    fail("corrupt committed log: " + error);
    return false;
  }
  std::optional<std::pair<LogIndex, raft::Term>> last_written;
  if (!ready.entries.empty()) {
    last_written = std::make_pair(ready.entries.back().index, ready.entries.back().term);
  } else if (ready.snapshot) {
    last_written = std::make_pair(ready.snapshot->meta.index, ready.snapshot->meta.term);
  }
  auto pending = journal_->begin_flush();
  if (!pending) {
    fail("journal flush: " + pending.error().message);
    return false;
  }
  // Behind syncs in flight even a flush that only writes the state slot goes to the writer: the
  // slots must reach the file in order.
  if (*pending && flusher_ != nullptr && ((*pending)->blocking() || !syncs_.empty())) {
    // The sync starts before the engine runs: it needs nothing of the engine, and a leader's
    // commit (and a follower's acknowledgement) waits for it, so the engine's work on the
    // committed entries overlaps the disk instead of delaying it.
    syncs_.push_back(SyncInFlight{std::move(ready.messages_after_persist), last_written});
    auto flush = std::make_shared<raft::journal::PendingFlush>(std::move(**pending));
    flusher_->submit(id(), [this, flush] {
      (void)flush->sync();  // a failure is recorded in the flush; on_flushed() reports it
      asio::post(strand_, [this, flush] { on_flushed(std::move(*flush)); });
    });
    node_->advance_written();  // the next Ready may be written while this one syncs
    after_ready();
    return true;
  }
  if (*pending) {
    (void)(*pending)->sync();
    if (auto r = journal_->finish_flush(std::move(**pending)); !r) {
      fail("journal flush: " + r.error().message);
      return false;
    }
  }
  if (!syncs_.empty()) {
    // Nothing of its own to sync, but its acknowledgements may promise entries whose syncs are
    // in flight: they leave with the last of those.
    auto& last = syncs_.back().after_persist;
    last.insert(last.end(), std::make_move_iterator(ready.messages_after_persist.begin()),
                std::make_move_iterator(ready.messages_after_persist.end()));
    node_->advance_written();
    after_ready();
    return true;
  }
  // Everything is durable: votes and acknowledgements may leave.
  for (const auto& message : ready.messages_after_persist)
    send_(message.to, id(), message);
  node_->advance();
  after_ready();
  return true;
}

void PartitionReplica::on_flushed(raft::journal::PendingFlush flush) {
  auto finished = journal_->finish_flush(std::move(flush));
  SyncInFlight synced = std::move(syncs_.front());
  syncs_.pop_front();
  if (stopped_) {
    if (stop_done_ != nullptr && !journal_->flush_in_flight()) {
      release();
      std::exchange(stop_done_, nullptr)->set_value();
    }
    return;
  }
  if (!finished) {
    fail("journal flush: " + finished.error().message);
    return;
  }
  if (failed_) return;
  // Votes and acknowledgements promise durability: only now may they leave.
  for (const auto& message : synced.after_persist)
    send_(message.to, id(), message);
  // The leader counts itself for these entries from now on; what that commits reaches the
  // engine through process() (RaftNode::take_committed).
  if (synced.last_written)
    node_->persisted(synced.last_written->first, synced.last_written->second);
  process();
}

void PartitionReplica::after_ready() {
  // The engine's role must match Raft's before it runs: a stale leader would try to append.
  sync_role();
  run_engine();
}

void PartitionReplica::run_engine() {
  if (!engine_) return;
  // Bounded (a process that loops without a wait state must not keep the strand): the rest
  // runs after what else waits on the strand.
  if (engine_->on_committed()) schedule_engine();
  // Records the engine has not read yet stay; so does, on a follower, everything after the last
  // command the engine saw processed: commands the leader wrote but never processed (it died
  // first) are this replica's to process should it become leader, and the engine reads them
  // again then (StreamProcessor::become_leader).
  Position consumed =
      std::min(log_stream_.committed_position(), engine_->processor().last_read_position());
  if (!serving_) {
    consumed = std::min(consumed, engine_->processor().last_processed_position());
  }
  log_stream_.clear_consumed(consumed);
}

void PartitionReplica::schedule_engine() {
  if (engine_scheduled_) return;
  engine_scheduled_ = true;
  asio::post(strand_, [this] {
    engine_scheduled_ = false;
    if (failed_ || stopped_) return;
    run_engine();
    process();
  });
}

void PartitionReplica::sync_role() {
  bool raft_leader = node_->role() == raft::Role::kLeader;
  if (raft_leader && !serving_ && !node_->transfer_target()) {
    if (!leader_start_) {
      // A new leader appended its first entry of the term (§5.4.2's no-op); once that is applied,
      // everything committed before the term was replayed and processing may start.
      leader_start_ = node_->log().last_index();
      spdlog::info("partition {}: elected leader in term {}; replaying up to index {}",
                   id().value(), node_->term().value(), leader_start_->value());
    }
    if (node_->log().applied() >= *leader_start_) {
      run_engine();  // the replay up to the no-op, as a follower
      engine_->become_leader();
      serving_ = true;
      start_exporting();
      spdlog::info("partition {}: leader in term {} is serving", id().value(),
                   node_->term().value());
    }
  } else if (!raft_leader) {
    leader_start_.reset();
    if (serving_) {
      spdlog::info("partition {}: stepped down in term {} (leader now {})", id().value(),
                   node_->term().value(),
                   node_->leader() ? std::to_string(node_->leader()->value()) : "unknown");
      stop_serving("leadership of partition " + std::to_string(id().value())
                   + " was lost before the command's result committed");
    }
  }
}

void PartitionReplica::stop_serving(const std::string& why) {
  if (!serving_) return;
  serving_ = false;
  leader_start_.reset();
  if (exporting_) exporting_->stop_leading();
  engine_->become_follower();
  fail_pending(SubmitErrorCode::kNotLeader, why);
  // The engine acted on its own records before they committed. Those not committed yet may
  // still be truncated by the next leader (or already were, when a different entry committed at
  // their index before this step-down was noticed): its state is rebuilt from the snapshot and
  // the committed log, which also drops the processed-command position and the key counter it
  // advanced. What of them commits later arrives as committed records like anyone else's.
  const bool truncated = log_stream_.take_own_truncated();
  log_stream_.forget_own();
  if (truncated || engine_->has_uncommitted_effects()) {
    if (auto r = rebuild_engine(); !r) fail(r.error());
  }
}

void PartitionReplica::maybe_snapshot() {
  if (failed_ || !engine_) return;
  if (pending_snapshot_) {
    finish_pending_snapshot();
    return;
  }
  auto now = std::chrono::steady_clock::now();
  LogIndex applied = node_->log().applied();
  LogIndex snapshot_index = journal_->snapshot_meta().index;
  bool grown = applied.value() >= snapshot_index.value() + options_.snapshot_log_entries;
  bool due = now - last_snapshot_ >= std::chrono::milliseconds(options_.snapshot_period_ms);
  if (!grown && !due) return;
  last_snapshot_ = now;
  // Every record at or below min(last processed, last applied) is reflected in the state; the
  // entry holding it may hold later records too, so the snapshot covers the entries before it.
  Position covered = std::min(engine_->processor().last_processed_position(),
                              engine_->processor().last_applied_position());
  if (covered <= Position(0)) return;
  LogIndex target = index_of_position(covered).prev();
  if (target > applied) target = applied;
  if (auto limit = exporter_compaction_limit(); limit && target > *limit) target = *limit;
  if (target <= snapshot_index || target > journal_->flushed_index()) return;
  take_snapshot(target);
}

void PartitionReplica::take_snapshot(LogIndex target) {
  // A busy leader's state almost always holds effects of batches it appended but that are not
  // committed yet (a new leader could truncate them). Waiting for a moment without any would
  // starve snapshots under continuous load, so the checkpoint is taken now and recorded only
  // once the log has committed everything it reflects.
  Position needs_committed{0};
  if (engine_->has_uncommitted_effects()) {
    needs_committed = engine_->processor().last_effect_position();
  }
  auto tmp = partition_->directory() / "snapshot-pending";
  std::error_code ec;
  std::filesystem::remove_all(tmp, ec);
  auto taken = engine_->snapshot(tmp);
  if (!taken) {
    spdlog::warn("partition {}: snapshot failed: {}", id().value(), taken.error().message);
    return;
  }
  auto packed = pack_directory(tmp);
  std::filesystem::remove_all(tmp, ec);
  if (!packed) {
    spdlog::warn("partition {}: snapshot packing failed: {}", id().value(), packed.error().message);
    return;
  }
  pending_snapshot_ = PendingSnapshot{target, needs_committed, std::move(*packed)};
  finish_pending_snapshot();
}

void PartitionReplica::finish_pending_snapshot() {
  if (log_stream_.committed_position() < pending_snapshot_->needs_committed) return;
  PendingSnapshot pending = std::move(*pending_snapshot_);
  pending_snapshot_.reset();
  // A snapshot installed or taken meanwhile may already cover the target.
  if (pending.target <= journal_->snapshot_meta().index) return;
  std::size_t bytes = pending.packed.size();
  if (auto r = journal_->create_snapshot(pending.target, node_->configuration_at(pending.target),
                                         std::move(pending.packed));
      !r) {
    fail("recording a snapshot: " + r.error().message);
    return;
  }
  spdlog::info("partition {}: snapshot at index {} ({} bytes); journal compacted below it",
               id().value(), pending.target.value(), bytes);
}

Result<void, std::string> PartitionReplica::restore_engine(
    const std::optional<raft::Snapshot>& snapshot) {
  subscription_sender_.reset();
  engine_.reset();
  // A checkpoint waiting for its commit may hold effects the rebuild discards.
  pending_snapshot_.reset();
  const auto& dir = partition_->directory();
  auto db_dir = dir / "state";
  std::error_code ec;
  std::filesystem::remove_all(db_dir, ec);
  if (ec) return unexpected("cannot clear " + db_dir.string() + ": " + ec.message());
  Position committed{0};
  if (snapshot && !snapshot->data.empty()) {
    auto unpacked_dir = dir / "snapshot-restore";
    std::filesystem::remove_all(unpacked_dir, ec);
    if (auto r = unpack_directory(snapshot->data, unpacked_dir); !r) {
      return unexpected("snapshot at index " + std::to_string(snapshot->meta.index.value()) + ": "
                        + r.error().message);
    }
    auto restored = engine::PartitionEngine::restore(unpacked_dir, db_dir);
    std::filesystem::remove_all(unpacked_dir, ec);
    if (!restored) return unexpected("restoring the engine: " + restored.error().message);
    committed = restored->last_applied_position;
  }
  log_stream_.reset(committed);
  auto opened = engine::PartitionEngine::open(db_dir, id(), log_stream_, clock_, options_.engine);
  if (!opened) return unexpected("opening the engine: " + opened.error().message);
  engine_ = std::move(*opened);
  engine_->set_response_sink(this);
  engine_->set_job_listener(this);
  if (subscriptions_ != nullptr) {
    engine_->set_subscription_transport(subscriptions_);
    subscription_sender_ = std::make_unique<engine::SubscriptionCommandSender>(
        *engine_, id(), *subscriptions_,
        engine::SubscriptionSenderOptions{options_.subscription_retry_ms, 256});
  }
  return {};
}

Result<void, std::string> PartitionReplica::rebuild_engine() {
  spdlog::info("partition {}: rebuilding state from the snapshot and the committed log",
               id().value());
  std::optional<raft::Snapshot> snapshot;
  if (journal_->snapshot_meta().index > LogIndex(0)) {
    auto stored = journal_->snapshot();
    if (!stored) return unexpected("journal snapshot: " + stored.error().message);
    snapshot = std::move(*stored);
  }
  if (auto r = restore_engine(snapshot); !r) return r;
  LogIndex next = journal_->first_index();
  // Up to what the engine was fed, which runs ahead of the node's applied index while a flush is
  // in flight (handle_ready()), and may run ahead of the journal too: a commit taken during a
  // flush (process()) can cover entries still in the node's unstable tail, which the node's log
  // reads as well.
  LogIndex end = std::max(fed_index_, node_->log().applied()).next();
  while (next < end) {
    auto entries = node_->log().slice(next, end, 4u << 20);
    if (!entries) return unexpected("reading the log: " + entries.error().message);
    if (entries->empty()) break;
    for (const auto& entry : *entries) {
      next = entry.index.next();
      std::string error;
      if (!log_stream_.add_committed(entry, error)) return unexpected(error);
    }
    // All of it now: the records are buffered until the engine has read them.
    while (engine_->on_committed()) {
    }
    run_engine();
  }
  return {};
}

void PartitionReplica::publish_status() {
  PartitionStatus status;
  status.id = id();
  if (failed_) {
    status.role = PartitionRole::kInactive;
    status.health = PartitionHealth::kDead;
    status.reason = failure_;
  } else if (node_) {
    status.role = serving_ ? PartitionRole::kLeader : PartitionRole::kFollower;
    status.health = PartitionHealth::kHealthy;
    if (node_->role() == raft::Role::kLeader && !serving_) {
      status.health = PartitionHealth::kUnhealthy;
      status.reason = "elected leader, replaying the log";
    } else if (!node_->leader()) {
      status.health = PartitionHealth::kUnhealthy;
      status.reason = "no leader known (election in progress)";
    }
    status.term = node_->term().value();
    status.applied_index = node_->log().applied().value();
    status.snapshot_index = journal_->snapshot_meta().index.value();
    if (engine_) status.processed_position = engine_->processor().last_processed_position().value();
    // A leader still replaying its log (or handing over) serves no command: outside, it counts
    // as no leader known yet, so that readiness and routing wait for it. With the flush off the
    // strand this state is published between the election's flush and the no-op's apply.
    const bool leading_not_serving = node_->role() == raft::Role::kLeader && !serving_;
    if (node_->leader() && !leading_not_serving) status.leader = node_->leader()->value();
  } else {
    status.reason = "opening";
  }
  partition_->set_status(std::move(status));
  publish_membership();
}

void PartitionReplica::fail(const std::string& reason) {
  if (failed_) return;
  failed_ = true;
  failure_ = reason;
  spdlog::error("partition {}: replica stopped serving: {}", id().value(), reason);
  serving_ = false;
  if (exporting_) exporting_->stop_leading();
  fail_pending(SubmitErrorCode::kUnavailable, reason);
  publish_status();
}

}  // namespace tern::broker
