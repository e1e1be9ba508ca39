#include "broker/management/topology_replica.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>

#include "broker/partition/tick_grid.h"

namespace tern::broker::management {

namespace tp = tern::broker::topology;
using raft::LogIndex;

TopologyReplica::TopologyReplica(std::shared_ptr<asio::io_context> io, NodeId self,
                                 std::filesystem::path directory, tp::ClusterTopology initial,
                                 TopologyReplicaOptions options, Send send)
    : io_(std::move(io)),
      strand_(asio::make_strand(*io_)),
      timer_(strand_),
      self_(self),
      directory_(std::move(directory)),
      options_(options),
      send_(std::move(send)),
      machine_(std::move(initial)) {}

TopologyReplica::~TopologyReplica() = default;

Result<void, std::string> TopologyReplica::open() {
  raft::journal::JournalOptions journal_options;
  journal_options.durability = options_.durability;
  auto journal = raft::journal::Journal::open(directory_ / "raft", journal_options);
  if (!journal) return unexpected("topology journal: " + journal.error().message);
  journal_ = std::move(*journal);
  const bool fresh = journal_->snapshot_meta().index == LogIndex(0)
                     && journal_->last_index() == LogIndex(0)
                     && journal_->snapshot_meta().configuration == raft::Configuration{};
  if (fresh && !options_.bootstrap) {
    spdlog::info("cluster topology: empty replica joins the cluster; waiting for the leader");
  } else if (fresh) {
    // Every initial member votes; brokers added later join through membership changes.
    raft::Configuration initial;
    for (const auto& [id, broker] : machine_.topology().brokers)
      initial.voters.push_back(id);
    if (auto r = journal_->bootstrap(initial); !r) {
      return unexpected("topology journal bootstrap: " + r.error().message);
    }
  }
  if (journal_->snapshot_meta().index > LogIndex(0)) {
    auto stored = journal_->snapshot();
    if (!stored) return unexpected("topology snapshot: " + stored.error().message);
    auto restored = tp::TopologyStateMachine::restore(stored->data);
    if (!restored) return unexpected("topology snapshot: " + restored.error().message);
    machine_ = std::move(*restored);
  }
  raft::RaftOptions raft_options;
  raft_options.id = self_;
  raft_options.election_ticks = options_.election_ticks;
  raft_options.heartbeat_ticks = options_.heartbeat_ticks;
  raft_options.random_seed =
      static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count())
      ^ (static_cast<std::uint64_t>(self_.value()) << 32);
  node_ = std::make_unique<raft::RaftNode>(std::move(raft_options), *journal_);
  spdlog::info("cluster topology: replica opened (snapshot at {}, log {}..{}, topology version {})",
               journal_->snapshot_meta().index.value(), journal_->first_index().value(),
               journal_->last_index().value(), machine_.topology().version);
  publish();
  return {};
}

void TopologyReplica::start() {
  asio::post(strand_, [this] {
    process();
    schedule_tick();
  });
}

void TopologyReplica::stop() {
  std::promise<void> done;
  asio::post(strand_, [this, &done] {
    stopped_ = true;
    timer_.cancel();
    fail_pending("the broker is shutting down");
    if (journal_) (void)journal_->flush();
    done.set_value();
  });
  done.get_future().wait();
}

void TopologyReplica::schedule_tick() {
  // On the grid the partitions tick on, so this group's heartbeats leave with theirs.
  const GridTick next = next_grid_tick(std::chrono::steady_clock::now(), options_.tick_ms);
  timer_.expires_at(next.at);
  timer_.async_wait([this, number = next.number](const asio::error_code& ec) {
    if (ec || stopped_) return;
    if (!failed_) {
      node_->tick_at(number);
      process();
    }
    schedule_tick();
  });
}

void TopologyReplica::receive(raft::Message message) {
  asio::post(strand_, [this, message = std::move(message)]() mutable {
    if (stopped_ || failed_) return;
    // As for data partitions (broker/partition/lost_log_watch.h): a follower that lost its
    // disk gets a new leader, whose fresh view replicates it from scratch.
    if (auto lost = lost_log_.observe(message, *node_, self_)) {
      spdlog::warn(
          "cluster topology: broker {} lost its log; handing leadership to broker {} so that "
          "it is replicated from scratch",
          lost->follower.value(), lost->successor.value());
      if (auto transferred = node_->transfer_leadership(lost->successor); !transferred) {
        spdlog::warn("cluster topology: leadership transfer refused: {}",
                     transferred.error().message);
      }
    }
    node_->step(std::move(message));
    process();
  });
}

void TopologyReplica::propose(tp::TopologyCommand command, Done done) {
  asio::post(strand_, [this, command = std::move(command), done = std::move(done)]() mutable {
    auto unavailable = [&](std::string why) {
      done(unexpected(ManagementError{ManagementErrc::kUnavailable, std::move(why)}));
    };
    if (stopped_ || failed_) return unavailable("the cluster topology replica is stopped");
    if (node_->role() != raft::Role::kLeader) {
      auto leader = node_->leader();
      return done(unexpected(ManagementError{
          ManagementErrc::kNotLeader,
          leader ? "broker " + std::to_string(leader->value())
                       + " leads the cluster topology, not broker " + std::to_string(self_.value())
                 : "the cluster topology has no leader (election in progress or no quorum)",
          leader}));
    }
    if (pending_.size() >= options_.max_pending_proposals) {
      return unavailable("too many topology commands waiting (" + std::to_string(pending_.size())
                         + ")");
    }
    auto index = node_->propose({tp::encode_command(command)});
    if (!index) return unavailable("proposal refused: " + index.error().message);
    pending_.emplace(*index, Pending{node_->term(), std::move(done)});
    process();
  });
}

void TopologyReplica::force(std::vector<NodeId> voters, Done done) {
  asio::post(strand_, [this, voters = std::move(voters), done = std::move(done)]() mutable {
    if (stopped_ || failed_) {
      return done(unexpected(ManagementError{ManagementErrc::kUnavailable,
                                             "the cluster topology replica is stopped"}));
    }
    std::string list;
    for (NodeId voter : voters)
      list += (list.empty() ? "" : ",") + std::to_string(voter.value());
    auto forced = node_->force_configuration(voters);
    if (!forced) {
      spdlog::warn("cluster topology: forcing the configuration [{}] refused: {}", list,
                   forced.error().message);
      done(unexpected(ManagementError{
          ManagementErrc::kUnavailable,
          "forcing the topology group to [" + list + "] refused: " + forced.error().message}));
    } else {
      spdlog::warn("cluster topology: forcing the configuration [{}] (term {}, log at {})", list,
                   node_->term().value(), node_->log().last_index().value());
      done({});
    }
    process();
  });
}

std::optional<NodeId> TopologyReplica::hand_over() {
  std::promise<std::optional<NodeId>> decided;
  auto future = decided.get_future();
  asio::post(strand_, [this, &decided] {
    std::optional<NodeId> target;
    if (!stopped_ && !failed_ && node_->role() == raft::Role::kLeader
        && !node_->transfer_target()) {
      LogIndex best{0};
      for (NodeId peer : node_->configuration().voters) {
        const raft::Progress* progress = node_->progress(peer);
        if (peer == self_ || progress == nullptr || !progress->recent_active
            || progress->state != raft::ProgressState::kReplicate) {
          continue;
        }
        if (!target || progress->match > best) {
          target = peer;
          best = progress->match;
        }
      }
      if (target) {
        if (auto transferred = node_->transfer_leadership(*target); !transferred) {
          spdlog::warn("cluster topology: leadership transfer to broker {} refused: {}",
                       target->value(), transferred.error().message);
          target.reset();
        } else {
          spdlog::info("cluster topology: leadership transfer to broker {} started",
                       target->value());
        }
      }
      process();
    }
    decided.set_value(target);
  });
  return future.get();
}

void TopologyReplica::process() {
  if (failed_ || stopped_) return;
  for (int rounds = 0; rounds < 64; ++rounds) {
    if (!handle_ready()) break;
  }
  if (node_->role() != raft::Role::kLeader && !pending_.empty()) {
    fail_pending(
        "leadership of the cluster topology moved before the command committed; it may "
        "or may not take effect");
  }
  maybe_snapshot();
  publish();
}

bool TopologyReplica::handle_ready() {
  if (failed_ || !node_->has_ready()) return false;
  raft::Ready ready = node_->ready();
  auto fail = [this](const std::string& why) {
    failed_ = true;
    spdlog::error("cluster topology: replica stopped: {}", why);
    fail_pending(why);
    return false;
  };
  for (const auto& message : ready.messages)
    send_(message.to, kPartition, message);
  if (ready.snapshot) {
    if (ready.hard_state) journal_->set_hard_state(*ready.hard_state);
    if (auto r = journal_->install_snapshot(*ready.snapshot); !r) {
      return fail("installing a snapshot: " + r.error().message);
    }
    auto restored = tp::TopologyStateMachine::restore(ready.snapshot->data);
    if (!restored) return fail("received snapshot: " + restored.error().message);
    machine_ = std::move(*restored);
    spdlog::info("cluster topology: installed snapshot at index {} (version {})",
                 ready.snapshot->meta.index.value(), machine_.topology().version);
  }
  if (auto r = journal_->append(ready.entries); !r) return fail("append: " + r.error().message);
  if (ready.hard_state) journal_->set_hard_state(*ready.hard_state);
  if (auto r = journal_->flush(); !r) return fail("flush: " + r.error().message);
  for (const auto& message : ready.messages_after_persist)
    send_(message.to, kPartition, message);
  for (const auto& entry : ready.committed_entries)
    apply(entry);
  node_->advance();
  return true;
}

void TopologyReplica::apply(const raft::Entry& entry) {
  Result<void, tp::TopologyError> result;
  if (entry.type == raft::EntryType::kNormal && !entry.data.empty()) {
    auto command = tp::decode_command(entry.data);
    // Every replica decodes the same bytes the same way, so a bad entry is skipped everywhere.
    result = command ? machine_.apply(*command)
                     : Result<void, tp::TopologyError>(unexpected(command.error()));
    if (!result) {
      spdlog::info("cluster topology: command at index {} rejected: {}", entry.index.value(),
                   result.error().message);
    }
  }
  auto waiting = pending_.find(entry.index);
  if (waiting == pending_.end()) return;
  Pending pending = std::move(waiting->second);
  pending_.erase(waiting);
  publish();  // whoever waits reads the topology next: it must include this command
  if (pending.term != entry.term) {
    pending.done(unexpected(
        ManagementError{ManagementErrc::kUnavailable,
                        "leadership of the cluster topology moved before the command committed"}));
  } else if (!result) {
    pending.done(unexpected(ManagementError{ManagementErrc::kConflict, result.error().message}));
  } else {
    pending.done({});
  }
}

void TopologyReplica::fail_pending(const std::string& why) {
  auto pending = std::move(pending_);
  pending_.clear();
  for (auto& [index, waiting] : pending)
    waiting.done(unexpected(ManagementError{ManagementErrc::kUnavailable, why}));
}

void TopologyReplica::maybe_snapshot() {
  const LogIndex applied = node_->log().applied();
  const LogIndex snapshot_index = journal_->snapshot_meta().index;
  if (applied.value() < snapshot_index.value() + options_.snapshot_entries) return;
  if (applied > journal_->flushed_index()) return;
  if (auto r =
          journal_->create_snapshot(applied, node_->configuration_at(applied), machine_.snapshot());
      !r) {
    spdlog::warn("cluster topology: snapshot at index {} failed: {}", applied.value(),
                 r.error().message);
  }
}

void TopologyReplica::publish() {
  std::lock_guard lock(published_mutex_);
  if (published_topology_ != machine_.topology()) published_topology_ = machine_.topology();
  published_announced_ = machine_.announced();
  published_leader_ = node_ ? node_->leader() : std::nullopt;
  published_applied_ = node_ ? node_->log().applied().value() : 0;
  published_membership_ = GroupMembership{};
  if (node_ && !stopped_ && !failed_) {
    published_membership_.running = true;
    published_membership_.leader = node_->role() == raft::Role::kLeader;
    published_membership_.known_leader = node_->leader();
    published_membership_.voters = node_->configuration().voters;
    published_membership_.learners = node_->configuration().learners;
    published_membership_.configuration_committed = node_->configuration_committed();
    published_membership_.last_term = node_->log().last_term().value();
    published_membership_.last_index = node_->log().last_index().value();
    published_membership_.committed_index = node_->log().committed().value();
    published_membership_.applied_index = node_->log().applied().value();
  }
  if (node_) {
    TopologyRaftStatus status;
    status.role = node_->role();
    status.term = node_->term().value();
    status.last_index = node_->log().last_index().value();
    status.last_term = node_->log().last_term().value();
    status.leader = node_->leader();
    const raft::Configuration& configuration = node_->configuration();
    status.voters = configuration.voters;
    for (NodeId id : configuration.outgoing_voters) {
      if (std::find(status.voters.begin(), status.voters.end(), id) == status.voters.end())
        status.voters.push_back(id);
    }
    std::sort(status.voters.begin(), status.voters.end());
    status.fenced = configuration.fenced;
    published_status_ = std::move(status);
  }
}

TopologyRaftStatus TopologyReplica::raft_status() const {
  std::lock_guard lock(published_mutex_);
  return published_status_;
}

tp::ClusterTopology TopologyReplica::topology() const {
  std::lock_guard lock(published_mutex_);
  return published_topology_;
}

std::map<NodeId, tp::BrokerIdentity> TopologyReplica::announced() const {
  std::lock_guard lock(published_mutex_);
  return published_announced_;
}

std::optional<NodeId> TopologyReplica::leader() const {
  std::lock_guard lock(published_mutex_);
  return published_leader_;
}

std::uint64_t TopologyReplica::applied_index() const {
  std::lock_guard lock(published_mutex_);
  return published_applied_;
}

}  // namespace tern::broker::management
