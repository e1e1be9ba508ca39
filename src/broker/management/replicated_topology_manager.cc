#include "broker/management/replicated_topology_manager.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <future>
#include <thread>

namespace tern::broker::management {

namespace tp = tern::broker::topology;
using SteadyClock = std::chrono::steady_clock;
using std::chrono::milliseconds;

namespace {

milliseconds remaining(SteadyClock::time_point deadline) {
  return std::max(milliseconds(0),
                  std::chrono::duration_cast<milliseconds>(deadline - SteadyClock::now()));
}

std::string id_list(const std::vector<NodeId>& ids) {
  std::string out;
  for (NodeId id : ids)
    out += (out.empty() ? "" : ",") + std::to_string(id.value());
  return "[" + out + "]";
}

// How long one round of restore_quorum waits for a forced election to produce a leader: several
// election timeouts of the topology group (10 ticks of 50 ms, randomised up to twice that).
constexpr milliseconds kForcedElectionWait{5000};
constexpr milliseconds kStatusTimeout{1000};

}  // namespace

ReplicatedTopologyManager::ReplicatedTopologyManager(std::shared_ptr<TopologyReplica> replica,
                                                     Clock clock,
                                                     std::chrono::milliseconds commit_timeout,
                                                     std::shared_ptr<const TopologyPeers> peers)
    : replica_(std::move(replica)),
      clock_(std::move(clock)),
      commit_timeout_(commit_timeout),
      peers_(std::move(peers)) {}

tp::ClusterTopology ReplicatedTopologyManager::current() const {
  return replica_->topology();
}

std::map<NodeId, tp::BrokerIdentity> ReplicatedTopologyManager::announced() const {
  return replica_->announced();
}

ReplicatedTopologyManager::Attempt ReplicatedTopologyManager::attempt(
    const tp::TopologyCommand& command, std::optional<NodeId> target, milliseconds timeout) const {
  const NodeId self = replica_->id();
  if (target && *target != self && peers_) {
    return Attempt{peers_->propose(*target, command, timeout), target};
  }
  // The promise outlives a timed-out wait: the replica answers every proposal exactly once.
  auto verdict = std::make_shared<std::promise<Result<void, ManagementError>>>();
  auto future = verdict->get_future();
  replica_->propose(command, [verdict](Result<void, ManagementError> result) {
    verdict->set_value(std::move(result));
  });
  if (future.wait_for(timeout) != std::future_status::ready) {
    return Attempt{unexpected(ManagementError{ManagementErrc::kUnavailable,
                                              "the command did not commit within "
                                                  + std::to_string(timeout.count()) + " ms"}),
                   std::nullopt};
  }
  return Attempt{future.get(), std::nullopt};
}

// After an attempt with an unknown outcome, a START_CHANGE rejected for a moved version may be
// rejected because of itself: the change that started on `based_on_version` at this command's
// time is this command.
bool ReplicatedTopologyManager::holds_change(const tp::TopologyCommand& command,
                                             std::optional<NodeId> asked) const {
  tp::ClusterTopology topology = replica_->topology();
  if (asked && peers_) {
    auto fetched = peers_->fetch(*asked, kStatusTimeout);
    if (fetched) topology = std::move(*fetched);
  }
  if (topology.version <= command.based_on_version) return false;
  for (const auto* change : {&topology.pending_change, &topology.last_change}) {
    if (*change && (*change)->started_at_ms == command.time_ms) return true;
  }
  return false;
}

Result<void, ManagementError> ReplicatedTopologyManager::propose(tp::TopologyCommand command) {
  const auto deadline = SteadyClock::now() + commit_timeout_;
  std::optional<NodeId> hint;  // the leader a refusal named
  std::size_t rotation = 0;    // the next connected broker to ask while nobody is known to lead
  bool uncertain = false;      // an earlier attempt may have taken effect
  std::string last = "no attempt was made";
  while (remaining(deadline) > milliseconds(0)) {
    std::optional<NodeId> target = hint ? hint : replica_->leader();
    if (!target && peers_) {
      // This replica knows no leader (a broker that is not a member yet never will): any peer
      // that does names it in its refusal.
      auto connected = peers_->connected();
      if (!connected.empty()) target = connected[rotation++ % connected.size()];
    }
    Attempt tried = attempt(command, target, remaining(deadline));
    if (tried.verdict) return {};
    ManagementError error = tried.verdict.error();
    if (error.code == ManagementErrc::kConflict) {
      if (uncertain) {
        if (command.kind == tp::TopologyCommandKind::kStartChange
            && holds_change(command, tried.asked)) {
          return {};
        }
        error.message += " (an earlier attempt, whose outcome is unknown, may have taken effect)";
      }
      return unexpected(std::move(error));
    }
    if (!peers_) return unexpected(std::move(error));  // nowhere to forward it
    if (error.code == ManagementErrc::kUnavailable) uncertain = true;
    hint.reset();
    if (error.code == ManagementErrc::kNotLeader && error.leader
        && error.leader != tried.asked.value_or(replica_->id())) {
      hint = error.leader;
    }
    last = error.message;
    // No leader named: an election is probably running; give it a moment.
    if (!hint) std::this_thread::sleep_for(std::min(milliseconds(100), remaining(deadline)));
  }
  return unexpected(ManagementError{ManagementErrc::kUnavailable,
                                    "the cluster topology did not commit the command within "
                                        + std::to_string(commit_timeout_.count())
                                        + " ms (last: " + last + ")"
                                        + (uncertain ? "; it may still take effect" : "")});
}

Result<std::int64_t, ManagementError> ReplicatedTopologyManager::submit(
    const tp::ChangePlan& plan, std::int64_t based_on_version) {
  // A START_CHANGE only applies at `based_on_version`, so the change gets the id that version
  // hands out next.
  const tp::ClusterTopology now = replica_->topology();
  if (now.version != based_on_version) {
    return unexpected(ManagementError{ManagementErrc::kConflict,
                                      "the topology moved to version " + std::to_string(now.version)
                                          + " since the plan was made on version "
                                          + std::to_string(based_on_version) + "; plan again"});
  }
  tp::TopologyCommand command;
  command.kind = tp::TopologyCommandKind::kStartChange;
  command.time_ms = clock_();
  command.based_on_version = based_on_version;
  command.replication_factor = plan.expected.replication_factor;
  command.operations = plan.operations;
  if (auto proposed = propose(std::move(command)); !proposed) {
    return unexpected(proposed.error());
  }
  const std::int64_t id = now.next_change_id();
  spdlog::info("cluster change {} committed with {} operation(s)", id, plan.operations.size());
  // Committed on the leader; once this replica applied it too, a GET here shows the change (and a
  // second change is refused here as running). Bounded: the answer stays right without it.
  const auto applied_by = SteadyClock::now() + std::chrono::seconds(2);
  while (replica_->topology().version <= based_on_version && SteadyClock::now() < applied_by)
    std::this_thread::sleep_for(milliseconds(10));
  return id;
}

Result<void, ManagementError> ReplicatedTopologyManager::restore_quorum(
    const std::vector<NodeId>& survivors_in) {
  std::vector<NodeId> survivors = survivors_in;
  std::sort(survivors.begin(), survivors.end());
  survivors.erase(std::unique(survivors.begin(), survivors.end()), survivors.end());
  if (survivors.empty()) {
    return unexpected(ManagementError{ManagementErrc::kConflict, "no broker would survive"});
  }
  const NodeId self = replica_->id();
  const auto deadline = SteadyClock::now() + 3 * commit_timeout_;
  std::string last = "no attempt was made";
  auto is_survivor = [&](NodeId id) {
    return std::binary_search(survivors.begin(), survivors.end(), id);
  };
  while (remaining(deadline) > milliseconds(0)) {
    // Every survivor's view of the group.
    std::vector<PeerTopologyStatus> statuses;
    std::vector<NodeId> silent;
    for (NodeId id : survivors) {
      if (id == self) {
        statuses.push_back(
            PeerTopologyStatus{self, replica_->raft_status(), replica_->topology().version});
        continue;
      }
      auto status = peers_ ? peers_->status(id, kStatusTimeout)
                           : Result<PeerTopologyStatus, std::string>(
                               unexpected(std::string("no cluster transport")));
      if (status) {
        statuses.push_back(std::move(*status));
      } else {
        silent.push_back(id);
        last = status.error();
      }
    }
    if (statuses.empty()) {
      std::this_thread::sleep_for(std::min(milliseconds(200), remaining(deadline)));
      continue;
    }
    // The most up-to-date survivor (§5.4.1's order; the lowest id on a tie) holds every committed
    // entry any survivor holds, and its configuration is the latest one the survivors know.
    const auto best =
        std::max_element(statuses.begin(), statuses.end(), [](const auto& a, const auto& b) {
          if (a.raft.last_term != b.raft.last_term) return a.raft.last_term < b.raft.last_term;
          if (a.raft.last_index != b.raft.last_index) return a.raft.last_index < b.raft.last_index;
          return a.broker > b.broker;
        });
    const std::vector<NodeId>& voters = best->raft.voters;
    const auto surviving_voters =
        std::count_if(voters.begin(), voters.end(), [&](NodeId id) { return is_survivor(id); });
    const bool quorum = !voters.empty() && surviving_voters * 2 > static_cast<long>(voters.size());
    if (quorum) {
      // The survivors can elect a leader on their own, or already did. The leader may also be a
      // broker about to be removed that still runs (the change then goes through it); a name a
      // follower remembers is only believed when that broker confirms it leads.
      for (const auto& status : statuses) {
        if (status.raft.role == raft::Role::kLeader) return {};
      }
      for (const auto& status : statuses) {
        if (!status.raft.leader || is_survivor(*status.raft.leader) || !peers_) continue;
        auto named = peers_->status(*status.raft.leader, kStatusTimeout);
        if (named && named->raft.role == raft::Role::kLeader) return {};
      }
      last = "the survivors hold a quorum of the topology group " + id_list(voters)
             + " but have not elected a leader yet";
      std::this_thread::sleep_for(std::min(milliseconds(100), remaining(deadline)));
      continue;
    }
    if (!silent.empty()) {
      // A forced election needs the vote of every survivor.
      last = "survivor(s) " + id_list(silent) + " did not answer (" + last
             + "); the forced election needs every survivor's vote";
      std::this_thread::sleep_for(std::min(milliseconds(200), remaining(deadline)));
      continue;
    }
    const NodeId forcer = best->broker;
    spdlog::warn(
        "cluster topology: the survivors {} are no quorum of the topology group {}; broker {} "
        "(log at {}, term {}) forces the group to them",
        id_list(survivors), id_list(voters), forcer.value(), best->raft.last_index,
        best->raft.last_term);
    Result<void, std::string> forced;
    if (forcer == self) {
      auto verdict = std::make_shared<std::promise<Result<void, ManagementError>>>();
      auto future = verdict->get_future();
      replica_->force(survivors, [verdict](Result<void, ManagementError> result) {
        verdict->set_value(std::move(result));
      });
      auto result = future.get();
      if (!result) forced = unexpected(result.error().message);
    } else {
      forced = peers_->force(forcer, survivors, kStatusTimeout);
    }
    if (!forced) {
      last = "broker " + std::to_string(forcer.value()) + " could not force: " + forced.error();
      std::this_thread::sleep_for(std::min(milliseconds(200), remaining(deadline)));
      continue;
    }
    // Wait for the forced election's outcome: the forcer leads a group of the survivors.
    const auto round_end = SteadyClock::now() + std::min(kForcedElectionWait, remaining(deadline));
    while (SteadyClock::now() < round_end) {
      auto status = forcer == self ? Result<PeerTopologyStatus, std::string>(PeerTopologyStatus{
                        self, replica_->raft_status(), replica_->topology().version})
                                   : peers_->status(forcer, kStatusTimeout);
      if (status && status->raft.role == raft::Role::kLeader && status->raft.voters == survivors) {
        spdlog::warn("cluster topology: broker {} leads the topology group of the survivors {}",
                     forcer.value(), id_list(survivors));
        return {};
      }
      std::this_thread::sleep_for(milliseconds(50));
    }
    last = "the forced election of broker " + std::to_string(forcer.value())
           + " did not produce a leader (a survivor may have refused its vote); retrying";
    spdlog::warn("cluster topology: {}", last);
  }
  return unexpected(ManagementError{
      ManagementErrc::kUnavailable,
      "the topology group did not get a leader among the survivors " + id_list(survivors)
          + " within " + std::to_string((3 * commit_timeout_).count()) + " ms: " + last});
}

tp::ClusterTopology ReplicatedTopologyManager::freshest(milliseconds timeout) const {
  tp::ClusterTopology best = replica_->topology();
  if (!peers_) return best;
  for (NodeId peer : peers_->connected()) {
    auto fetched = peers_->fetch(peer, timeout);
    if (fetched && fetched->version > best.version) best = std::move(*fetched);
  }
  return best;
}

}  // namespace tern::broker::management
