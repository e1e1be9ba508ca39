#include "broker/daemon/broker_membership.h"

#include <spdlog/spdlog.h>

#include <set>

#include "broker/management/topology_peers.h"
#include "broker/transport/cluster_transport.h"

namespace tern::broker {

namespace tp = tern::broker::topology;
using std::chrono::milliseconds;
using SteadyClock = std::chrono::steady_clock;

namespace {

// The freshest topology the contact points hold: asked over a temporary transport for at most
// `patience` while nobody answers, and a moment longer for the others once somebody did.
std::optional<tp::ClusterTopology> ask_peers(const TernConfig& config, milliseconds patience) {
  TransportOptions options;
  options.self = NodeId(config.cluster.node_id);
  options.host = config.network.host;
  options.port = 0;  // the broker's own port is bound later
  options.contact_points = config.cluster.contact_points;
  options.reconnect_min_ms = 50;
  options.reconnect_max_ms = 200;
  auto transport = ClusterTransport::start(options, [](NodeId, PartitionId, raft::Message) {});
  if (!transport) {
    spdlog::warn("membership check: cannot open a transport to ask peers: {}", transport.error());
    return std::nullopt;
  }
  management::TopologyPeers peers(**transport);
  std::optional<tp::ClusterTopology> best;
  std::set<NodeId> answered;
  const auto start = SteadyClock::now();
  auto deadline = start + patience;
  const std::size_t others = config.cluster.contact_points.size();
  while (SteadyClock::now() < deadline && answered.size() < others) {
    for (NodeId peer : peers.connected()) {
      if (answered.count(peer)) continue;
      auto fetched = peers.fetch(peer, milliseconds(1000));
      if (!fetched) continue;
      answered.insert(peer);
      if (!best || fetched->version > best->version) best = std::move(*fetched);
      // Once one peer answered, the others get a short grace period, not the whole patience.
      deadline = std::min(deadline, SteadyClock::now() + milliseconds(1000));
    }
    std::this_thread::sleep_for(milliseconds(50));
  }
  (*transport)->shutdown();
  if (best) {
    spdlog::info("membership check: {} peer(s) answered; the freshest topology is version {}",
                 answered.size(), best->version);
  }
  return best;
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
  if (out.marker) {
    // Data from an earlier run: the cluster may have moved on (removed this broker) meanwhile.
    if (auto fetched = ask_peers(config, patience); fetched) {
      out.topology = std::move(*fetched);
      out.verified = true;
    }
  }
  out.decision = management::decide_fencing(out.topology, self, out.marker);
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
                                               milliseconds interval)
    : data_directory_(std::move(data_directory)),
      self_(self),
      view_(std::move(view)),
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
  // Version 0 is the configured topology nobody has committed anything to: a fresh broker whose
  // replica has not heard from the cluster yet must not take it for its membership.
  auto member = topology.brokers.find(self_);
  if (topology.version == 0 || member == topology.brokers.end()) return false;
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
