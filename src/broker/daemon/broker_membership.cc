#include "broker/daemon/broker_membership.h"

#include <spdlog/spdlog.h>

#include <future>
#include <nlohmann/json.hpp>
#include <set>

#include "broker/management/topology_peers.h"
#include "broker/topology/topology_json.h"
#include "broker/transport/cluster_transport.h"

namespace tern::broker {

namespace tp = tern::broker::topology;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

// The freshest topology the contact points hold. Asked over a temporary transport on the
// broker's own cluster port, which meanwhile answers `topology/get` with "no service": that is
// how two brokers starting at the same time (a new cluster) tell each other that neither holds a
// committed topology, instead of waiting for each other. A contact point that does not answer at
// all is waited for at most `patience`; once one peer sent a topology, the others get a second.
struct PeerAnswers {
  std::optional<tp::ClusterTopology> freshest;
  std::size_t topologies = 0;  // peers that sent one
  std::size_t starting = 0;    // peers that are starting too
};

PeerAnswers ask_peers(const TernConfig& config, milliseconds patience) {
  PeerAnswers out;
  TransportOptions options;
  options.self = NodeId(config.cluster.node_id);
  options.host = config.network.host;
  options.port = config.network.cluster_port;
  options.contact_points = config.cluster.contact_points;
  options.reconnect_min_ms = 50;
  options.reconnect_max_ms = 200;
  auto transport =
      ClusterTransport::start(options, [](NodeId, PartitionId, std::vector<raft::Message>) {});
  if (!transport) {
    spdlog::warn("membership check: cannot open the cluster port to ask peers: {}",
                 transport.error());
    return out;
  }
  std::set<NodeId> answered;
  auto deadline = SteadyClock::now() + patience;
  // Contact points may list this broker itself (one list for every pod): it never answers.
  std::size_t others = 0;
  const std::string own_port = ":" + std::to_string(config.network.cluster_port);
  for (const auto& point : config.cluster.contact_points) {
    if (point != config.network.host + own_port
        && point != config.network.effective_advertised_host() + own_port)
      ++others;
  }
  while (SteadyClock::now() < deadline && answered.size() < others) {
    for (NodeId peer : (*transport)->connected_peers()) {
      if (answered.count(peer)) continue;
      auto promise = std::make_shared<std::promise<Result<std::string, RequestError>>>();
      auto future = promise->get_future();
      (*transport)
          ->request(peer, management::kTopologyGetTopic, {}, milliseconds(1000),
                    [promise](Result<std::string, RequestError> result) {
                      promise->set_value(std::move(result));
                    });
      auto answer = future.get();
      if (!answer) {
        if (answer.error().code != RequestErrc::kNoService) continue;
        answered.insert(peer);
        ++out.starting;
        continue;
      }
      auto parsed = tp::topology_from_json(nlohmann::json::parse(*answer, nullptr, false));
      if (!parsed) continue;
      answered.insert(peer);
      ++out.topologies;
      if (!out.freshest || parsed->version > out.freshest->version)
        out.freshest = std::move(*parsed);
      deadline = std::min(deadline, SteadyClock::now() + milliseconds(1000));
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  (*transport)->shutdown();
  spdlog::info(
      "membership check: {} peer(s) sent their topology{}, {} are starting too, {} did not answer",
      out.topologies,
      out.freshest ? " (freshest version " + std::to_string(out.freshest->version) + ")" : "",
      out.starting, others - answered.size());
  return out;
}

}  // namespace

Result<StartMembership, std::string> decide_start_membership(
    const TernConfig& config, const std::filesystem::path& data_directory,
    const tp::ClusterTopology& configured, milliseconds patience) {
  auto marker = management::read_membership_marker(data_directory);
  if (!marker) return unexpected(marker.error());
  StartMembership out;
  out.marker = *marker;
  out.topology = configured;
  const NodeId self(config.cluster.node_id);
  // The cluster may have moved on meanwhile: removed this broker (its data is stale), or removed
  // and re-added it (a fresh disk must then join, not bootstrap the configured cluster).
  auto answers = ask_peers(config, patience);
  if (answers.freshest) {
    out.topology = std::move(*answers.freshest);
    out.verified = true;
  }
  out.decision = management::decide_fencing(out.topology, self, out.marker);
  auto member = out.topology.brokers.find(self);
  out.may_bootstrap =
      !out.verified
      || (member != out.topology.brokers.end() && member->second.joined_by_change == 0
          && !out.topology.removed.count(self));
  if (out.decision.verdict == tp::FencingVerdict::kFenced && !out.verified) {
    // Only the configured topology says so, and it knows nothing of later changes (a broker added
    // by a change has a later marker): without a peer's word this is no proof.
    spdlog::warn(
        "membership check: no peer answered within {} ms, so membership cannot be verified; "
        "starting as a member ({})",
        patience.count(), out.decision.reason);
    out.decision = {tp::FencingVerdict::kMember,
                    "broker " + std::to_string(self.value()) + " is a member (unverified)"};
  }
  return out;
}

MembershipMarkerKeeper::MembershipMarkerKeeper(std::filesystem::path data_directory, NodeId self,
                                               TopologyView view,
                                               std::optional<management::MembershipMarker> existing,
                                               std::int64_t min_version, milliseconds interval)
    : data_directory_(std::move(data_directory)),
      self_(self),
      view_(std::move(view)),
      min_version_(min_version),
      interval_(interval) {
  written_ = existing.has_value();
}

MembershipMarkerKeeper::~MembershipMarkerKeeper() {
  stop();
}

void MembershipMarkerKeeper::start() {
  if (written_) return;
  thread_ = std::thread([this] {
    std::unique_lock lock(mutex_);
    while (!stopping_ && !written_) {
      lock.unlock();
      check_once();
      lock.lock();
      wake_.wait_for(lock, interval_, [this] { return stopping_; });
    }
  });
}

void MembershipMarkerKeeper::stop() {
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool MembershipMarkerKeeper::check_once() {
  if (written_) return true;
  const tp::ClusterTopology topology = view_();
  // A fresh broker's replica starts from the configured topology, which lists every initial id as
  // a member; until it caught up with what the peers said at start-up, that is no evidence.
  auto member = topology.brokers.find(self_);
  if (topology.version < min_version_ || member == topology.brokers.end()) return false;
  const management::MembershipMarker marker{self_, member->second.joined_by_change};
  if (auto wrote = management::write_membership_marker(data_directory_, marker); !wrote) {
    spdlog::warn("membership marker: {}", wrote.error());
    return false;
  }
  spdlog::info("membership marker written: broker {} is a member since change {}", self_.value(),
               marker.joined_by_change);
  written_ = true;
  return true;
}

}  // namespace tern::broker
