#pragma once

// The membership marker: a small file in a broker's data directory that says which node id the
// data belongs to and by which cluster change that broker became a member. It is what lets a
// broker that comes back after being force-removed recognise that its data is stale
// (topology::fencing_verdict) and fence itself: never start replicas, never vote, report REMOVED.
// An empty data directory has no marker: the broker is fresh and may be added.
//
// Written atomically (temporary file, fsync, rename) when the broker joins; read at start-up.

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>

#include "broker/topology/cluster_topology.h"
#include "common/result.h"

namespace tern::broker::management {

struct MembershipMarker {
  NodeId node;
  std::int64_t joined_by_change = 0;

  bool operator==(const MembershipMarker&) const = default;
};

inline constexpr const char* kMembershipMarkerFile = "membership.json";

// nullopt when the directory has no marker (a fresh disk); an error names the file and the
// problem when it exists but cannot be read.
Result<std::optional<MembershipMarker>, std::string> read_membership_marker(
    const std::filesystem::path& data_directory);

Result<void, std::string> write_membership_marker(const std::filesystem::path& data_directory,
                                                  const MembershipMarker& marker);

struct FencingDecision {
  topology::FencingVerdict verdict = topology::FencingVerdict::kUnknown;
  std::string reason;  // one line for the log, says why
};

// What a broker with id `self` and this marker (or none) is in `topology`. A marker of another
// node id is fenced too: the disk belongs to someone else.
FencingDecision decide_fencing(const topology::ClusterTopology& topology, NodeId self,
                               const std::optional<MembershipMarker>& marker);

}  // namespace tern::broker::management
