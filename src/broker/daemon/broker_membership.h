#pragma once

// What `ternd broker` decides about its own membership before it starts any replica, and keeps
// true while it runs:
// * fencing at start-up: a broker asks its peers for the committed cluster topology (its own copy
//   may predate its removal) and calls decide_fencing with its data's membership marker; a fenced
//   broker starts no replica, logs why and reports itself REMOVED; a fresh disk learns whether it
//   may bootstrap the configured cluster or must wait to be added;
// * the marker: written for an initial member at its first start (change 0), and by a broker
//   that was added later once the topology lists it as a member (its BROKER_ADD completed).
//
// Peers are asked over a short-lived cluster transport on the broker's own cluster port (before
// the real one binds it), through the topology/get service of management/topology_peers.

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "broker/config.h"
#include "broker/management/membership_marker.h"
#include "broker/topology/cluster_topology.h"

namespace tern::broker {

struct StartMembership {
  management::FencingDecision decision;
  std::optional<management::MembershipMarker> marker;  // as found in the data directory
  topology::ClusterTopology topology;                  // what the decision was made on
  bool verified = false;  // true when a peer's topology (not only the configured one) was used
  // Whether an empty data directory may bootstrap the configured cluster: no peer holds a
  // committed topology (a new cluster), or the peers' topology lists this broker as an initial
  // member never removed. A broker removed (or added by a change) must join instead.
  bool may_bootstrap = true;
};

// Reads the marker, asks the contact points (waiting at most `patience` for silent ones) and
// decides. An error when the marker cannot be read.
Result<StartMembership, std::string> decide_start_membership(
    const TernConfig& config, const std::filesystem::path& data_directory,
    const topology::ClusterTopology& configured, std::chrono::milliseconds patience);

// Writes the membership marker once the topology lists this broker as a member (at once for an
// initial member), checking every `interval` on its own thread until it has. Thread-safe.
class MembershipMarkerKeeper {
 public:
  using TopologyView = std::function<topology::ClusterTopology()>;

  // `min_version`: the topology version the start-up decision saw; an older view (a joining
  // replica replaying the log from before this broker's removal) is not believed.
  MembershipMarkerKeeper(std::filesystem::path data_directory, NodeId self, TopologyView view,
                         std::optional<management::MembershipMarker> existing,
                         std::int64_t min_version,
                         std::chrono::milliseconds interval = std::chrono::milliseconds(500));
  ~MembershipMarkerKeeper();

  void start();
  void stop();
  // One check (what the thread does every interval); true once a marker is on disk.
  bool check_once();

 private:
  const std::filesystem::path data_directory_;
  const NodeId self_;
  TopologyView view_;
  const std::int64_t min_version_;
  const std::chrono::milliseconds interval_;
  std::atomic<bool> written_{false};
  std::mutex mutex_;
  std::condition_variable wake_;
  bool stopping_ = false;  // guarded by mutex_
  std::thread thread_;
};

}  // namespace tern::broker
