#include "broker/partition/partition_replica.h"

#include <spdlog/spdlog.h>

#include <algorithm>

#include "broker/partition/snapshot_archive.h"
#include "broker/partition/tick_grid.h"
#include "engine/records/record_codec.h"

namespace tern::broker {

using engine::Position;
using raft::LogIndex;

PartitionReplica::PartitionReplica(asio::io_context& io, NodeId self,
                                   std::shared_ptr<Partition> partition, ReplicaOptions options,
                                   Send send, engine::SubscriptionTransport* subscriptions,
                                   JournalFlusher* flusher)
    : strand_(asio::make_strand(io)),
      timer_(strand_),
      self_(self),
      partition_(std::move(partition)),
      options_(std::move(options)),
      send_(std::move(send)),
      log_stream_(partition_->id()),
      subscriptions_(subscriptions),
      flusher_(flusher) {
  if (options_.exporting && !options_.exporting->exporters().empty()) {
    exporting_ = std::make_unique<PartitionExporting>(partition_->id(), options_.exporting,
                                                      options_.exporter_director);
  }
  request_base_ = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count()
                  << 20;
}

PartitionReplica::~PartitionReplica() = default;

Result<void, std::string> PartitionReplica::open(ReplicaStart start) {
  if (exporting_) {
    if (auto valid = exporting_->validate(); !valid) return unexpected(valid.error());
  }
  const auto& dir = partition_->directory();
  raft::journal::JournalOptions journal_options;
  journal_options.durability = options_.durability;
  auto journal = raft::journal::Journal::open(dir / "raft", journal_options);
  if (!journal) return unexpected("journal: " + journal.error().message);
  journal_ = std::move(*journal);
  bool fresh = journal_->snapshot_meta().index == LogIndex(0)
               && journal_->last_index() == LogIndex(0)
               && journal_->snapshot_meta().configuration == raft::Configuration{};
  if (fresh && start == ReplicaStart::kJoin) {
    spdlog::info("partition {}: empty replica joins the partition; waiting for the leader",
                 partition_->id().value());
  } else if (fresh) {
    raft::Configuration initial;
    initial.voters = partition_->replicas();
    std::sort(initial.voters.begin(), initial.voters.end());
    if (auto r = journal_->bootstrap(initial); !r) {
      return unexpected("journal bootstrap: " + r.error().message);
    }
  }
  std::optional<raft::Snapshot> snapshot;
  if (journal_->snapshot_meta().index > LogIndex(0)) {
    auto stored = journal_->snapshot();
    if (!stored) return unexpected("journal snapshot: " + stored.error().message);
    snapshot = std::move(*stored);
  }
  if (auto restored = restore_engine(snapshot); !restored) return restored;

  raft::RaftOptions raft_options;
  raft_options.id = self_;
  raft_options.election_ticks = options_.election_ticks;
  raft_options.heartbeat_ticks = options_.heartbeat_ticks;
  raft_options.max_uncommitted_entries = 100000;  // the command limit bounds load first
  raft_options.priority_order = partition_->replicas();
  raft_options.random_seed = static_cast<std::uint64_t>(request_base_)
                             ^ (static_cast<std::uint64_t>(self_.value()) << 32)
                             ^ static_cast<std::uint64_t>(partition_->id().value());
  node_ = std::make_unique<raft::RaftNode>(std::move(raft_options), *journal_);
  fed_index_ = node_->log().applied();
  log_stream_.set_node(node_.get());
  last_snapshot_ = std::chrono::steady_clock::now();
  last_due_check_ = last_snapshot_;
  spdlog::info("partition {}: replica opened (snapshot at {}, log {}..{}, term {})", id().value(),
               journal_->snapshot_meta().index.value(), journal_->first_index().value(),
               journal_->last_index().value(), journal_->hard_state().term.value());
  publish_status();
  return {};
}

void PartitionReplica::start() {
  asio::post(strand_, [this] {
    process();
    schedule_tick();
  });
}

void PartitionReplica::stop() {
  std::promise<void> done;
  asio::post(strand_, [this, &done] {
    stopped_ = true;
    timer_.cancel();
    fail_pending(SubmitErrorCode::kShuttingDown, "the broker is shutting down");
    if (journal_ && journal_->flush_in_flight()) {
      // The writer thread still syncs for this journal and will post its result here; the
      // journal and this object must outlive it. on_flushed() finishes the stop.
      stop_done_ = &done;
      return;
    }
    release();
    done.set_value();
  });
  done.get_future().wait();
}

void PartitionReplica::release() {
  subscription_sender_.reset();
  if (exporting_) exporting_->stop_leading();
  engine_.reset();
  if (journal_) (void)journal_->flush();
  log_stream_.set_node(nullptr);
  node_.reset();
  journal_.reset();
  publish_membership();
}

void PartitionReplica::set_job_callback(JobCallback callback) {
  asio::post(strand_, [this, callback = std::move(callback)]() mutable {
    job_callback_ = std::move(callback);
  });
}

void PartitionReplica::receive(std::vector<raft::Message> messages) {
  asio::post(strand_, [this, messages = std::move(messages)]() mutable {
    for (auto& message : messages) {
      if (stopped_ || failed_) return;
      step(std::move(message));
    }
    schedule_process();
  });
}

void PartitionReplica::step(raft::Message message) {
  if (auto lost = lost_log_.observe(message, *node_, self_)) {
    spdlog::warn(
        "partition {}: broker {} lost its log (rejects index {} it had acknowledged); handing "
        "leadership to broker {} so that it is replicated from scratch",
        id().value(), lost->follower.value(), lost->rejected_index.value(),
        lost->successor.value());
    stop_serving("leadership is being handed over");
    if (auto transferred = node_->transfer_leadership(lost->successor); !transferred) {
      spdlog::warn("partition {}: leadership transfer refused: {}", id().value(),
                   transferred.error().message);
    }
  }
  node_->step(std::move(message));
}

void PartitionReplica::submit(engine::Record command, bool backpressure, SubmitCallback done) {
  asio::post(strand_,
             [this, command = std::move(command), backpressure, done = std::move(done)]() mutable {
               do_submit(std::move(command), backpressure, std::move(done));
             });
}

void PartitionReplica::do_submit(engine::Record command, bool backpressure, SubmitCallback done) {
  if (stopped_) {
    return done(unexpected(
        SubmitError{SubmitErrorCode::kShuttingDown, "the broker is stopping", std::nullopt}));
  }
  if (failed_) {
    return done(unexpected(SubmitError{
        SubmitErrorCode::kUnavailable,
        "partition " + std::to_string(id().value()) + " failed: " + failure_, std::nullopt}));
  }
  if (!serving_) {
    auto leader = node_->leader();
    std::string why =
        node_->role() == raft::Role::kLeader
            ? "this broker leads partition " + std::to_string(id().value())
                  + " but is still replaying its log"
            : "this broker is not the leader of partition " + std::to_string(id().value());
    if (leader == self_) leader.reset();
    return done(unexpected(SubmitError{SubmitErrorCode::kNotLeader, why, leader}));
  }
  if (handover_) {
    return done(unexpected(SubmitError{SubmitErrorCode::kNotLeader,
                                       "leadership of partition " + std::to_string(id().value())
                                           + " is being handed to broker "
                                           + std::to_string(handover_->target.value()),
                                       handover_->target}));
  }
  if (!command.is_command()) {
    return done(unexpected(SubmitError{SubmitErrorCode::kInvalid,
                                       "only command records can be submitted", std::nullopt}));
  }
  std::int64_t request_id = request_base_ + next_request_++;
  command.request = engine::RequestRef{self_.value(), request_id};
  command.timestamp_ms = clock_.now_ms();
  // A command the engine can answer from its state (a job activation that finds no job) costs
  // no log entry and no replication round, so back-pressure does not apply to it either
  // (engine/processing/empty_activation.h says why the answer is the logged one's).
  if (auto answer = engine_->answer_without_log(command)) return done(std::move(*answer));
  if (backpressure && inflight_backpressured_ >= options_.max_inflight_commands) {
    return done(unexpected(SubmitError{SubmitErrorCode::kBackPressure,
                                       "partition " + std::to_string(id().value()) + " has "
                                           + std::to_string(inflight_backpressured_)
                                           + " commands in flight (limit "
                                           + std::to_string(options_.max_inflight_commands) + ")",
                                       std::nullopt}));
  }
  std::vector<engine::Record> batch{std::move(command)};
  auto appended = log_stream_.append(batch);
  if (!appended) {
    auto code = appended.error().code == engine::LogErrorCode::kBackPressure
                    ? SubmitErrorCode::kBackPressure
                : appended.error().code == engine::LogErrorCode::kNotLeader
                    ? SubmitErrorCode::kNotLeader
                    : SubmitErrorCode::kInvalid;
    return done(unexpected(SubmitError{code, appended.error().message, std::nullopt}));
  }
  if (backpressure) ++inflight_backpressured_;
  pending_.emplace(request_id, Pending{std::move(done),
                                       std::chrono::steady_clock::now()
                                           + std::chrono::milliseconds(options_.request_timeout_ms),
                                       backpressure});
  schedule_process();
}

void PartitionReplica::schedule_process() {
  if (process_scheduled_) return;
  process_scheduled_ = true;
  asio::post(strand_, [this] {
    process_scheduled_ = false;
    process();
  });
}

void PartitionReplica::deliver(engine::Record command) {
  asio::post(strand_,
             [this, command = std::move(command)]() mutable { do_deliver(std::move(command)); });
}

void PartitionReplica::do_deliver(engine::Record command) {
  if (stopped_ || failed_ || !serving_ || !command.is_command() || command.partition_id != id())
    return;
  // No request: the protocol answers with its own commands, never with a response.
  command.request = engine::RequestRef{};
  command.timestamp_ms = clock_.now_ms();
  std::vector<engine::Record> batch{std::move(command)};
  if (log_stream_.append(batch)) process();
}

void PartitionReplica::on_response(const engine::Response& response) {
  if (response.request.stream_id != self_.value()) return;  // asked through another leader
  auto it = pending_.find(response.request.request_id);
  if (it == pending_.end()) return;  // timed out or from before a restart
  Pending pending = std::move(it->second);
  pending_.erase(it);
  if (pending.backpressure) --inflight_backpressured_;
  pending.done(response);
}

void PartitionReplica::on_jobs_available(std::string_view type) {
  if (job_callback_) job_callback_(id(), std::string(type));
}

void PartitionReplica::fail_pending(SubmitErrorCode code, const std::string& message) {
  auto pending = std::move(pending_);
  pending_.clear();
  inflight_backpressured_ = 0;
  for (auto& [id, entry] : pending)
    entry.done(unexpected(SubmitError{code, message, node_ ? node_->leader() : std::nullopt}));
}

void PartitionReplica::expire_pending() {
  auto now = std::chrono::steady_clock::now();
  for (auto it = pending_.begin(); it != pending_.end();) {
    if (it->second.deadline > now) {
      ++it;
      continue;
    }
    Pending pending = std::move(it->second);
    it = pending_.erase(it);
    if (pending.backpressure) --inflight_backpressured_;
    pending.done(unexpected(SubmitError{
        SubmitErrorCode::kTimeout,
        "no committed response within " + std::to_string(options_.request_timeout_ms) + " ms",
        std::nullopt}));
  }
}

// Ticks fall on a grid of the monotonic clock shared by every replica of the broker (and every
// broker of a machine), numbered by tick: Raft heartbeats on aligned clock ticks, so the
// heartbeats of all the partitions this broker leads leave together and the transport carries
// them towards each peer in one frame.
void PartitionReplica::schedule_tick() {
  const GridTick next = next_grid_tick(std::chrono::steady_clock::now(), options_.tick_ms);
  timer_.expires_at(next.at);
  timer_.async_wait([this, number = next.number](std::error_code ec) {
    if (ec || stopped_) return;
    on_tick(number);
    schedule_tick();
  });
}

void PartitionReplica::on_tick(std::uint64_t clock_tick) {
  if (failed_) return;
  node_->tick_at(clock_tick);
  process();
  if (++ticks_ % 10 == 0) expire_pending();
  auto now = std::chrono::steady_clock::now();
  if (serving_ && now - last_due_check_ >= std::chrono::milliseconds(options_.due_date_check_ms)) {
    last_due_check_ = now;
    engine_->check_due_dates();
    process();
  }
  if (serving_ && subscription_sender_
      && now - last_subscription_check_
             >= std::chrono::milliseconds(options_.subscription_check_ms)) {
    last_subscription_check_ = now;
    subscription_sender_->send_pending(clock_.now_ms());
  }
  if (serving_) keep_alive(now);
  maybe_snapshot();
}

void PartitionReplica::keep_alive(std::chrono::steady_clock::time_point now) {
  // An idle leader appends an empty batch now and then. Heartbeats alone never reveal a follower
  // whose log is shorter than the leader believes (a broker restarted with an empty disk); an
  // append does (the follower rejects it and the leader backs off, to a snapshot if needed).
  if (node_->log().last_index() != last_seen_index_) {
    last_seen_index_ = node_->log().last_index();
    last_append_ = now;
    return;
  }
  if (now - last_append_ < std::chrono::milliseconds(options_.idle_append_ms)) return;
  last_append_ = now;
  if (node_->propose({engine::encode_batch({})})) process();
}

}  // namespace tern::broker
