#pragma once

// The JSON form of a ClusterTopology: the shape /actuator/cluster answers (Zeebe's management API:
// version, brokers with id, state, version, lastUpdatedAt and partitions with id, state and
// priority; lastChange; pendingChange), plus the fields Tern needs to rebuild the value exactly
// (address, region, partitionCount, replicationFactor, removedBrokers, the operations of a pending
// change). topology_from_json(topology_to_json(t)) == t, which is what lets the same text be the
// replicated record and the API answer.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>

#include "broker/topology/cluster_topology.h"
#include "common/result.h"

namespace tern::broker::topology {

nlohmann::json topology_to_json(const ClusterTopology& topology);
Result<ClusterTopology, TopologyError> topology_from_json(const nlohmann::json& json);

nlohmann::json operation_to_json(const Operation& operation);
Result<Operation, TopologyError> operation_from_json(const nlohmann::json& json);

// The brokers array alone (currentTopology / expectedTopology of a change response).
nlohmann::json brokers_to_json(const ClusterTopology& topology);

// ISO-8601 UTC with milliseconds ("2026-11-22T03:50:00.123Z"), and back.
std::string format_timestamp(std::int64_t epoch_ms);
Result<std::int64_t, std::string> parse_timestamp(const std::string& text);

}  // namespace tern::broker::topology
