#pragma once

// Conversions between ClusterTopology and its three external shapes: the client protocol's
// TopologyResponse (gRPC), the REST API's JSON, and the broker command API's TopologyInfo. Kept in
// one place so that the gRPC and REST answers cannot drift apart.

#include <nlohmann/json.hpp>
#include <string>

#include "command_api.pb.h"
#include "common/result.h"
#include "gateway.pb.h"
#include "gateway/topology.h"

namespace tern::gateway {

// ClusterTopology -> gateway_protocol.TopologyResponse (upper-case role/health enums).
gateway_protocol::TopologyResponse to_topology_response(const ClusterTopology& topology);

// ClusterTopology -> the REST shape of GET /v2/topology:
// {"brokers":[{"nodeId","host","port","partitions":[{"partitionId","role","health"}],"version",
//   "region"}],
//  "clusterSize","partitionsCount","replicationFactor","gatewayVersion"}, role and health in
// lower case.
// Keys keep the documented order, so that the JSON reads as the API reference shows it.
nlohmann::ordered_json to_rest_json(const ClusterTopology& topology);

// The command API's answer -> ClusterTopology. Fails, naming the broker, partition and value, when
// a role or health string is not one the command API defines.
tern::Result<ClusterTopology, std::string> from_topology_info(
    const tern::command::TopologyInfo& info);

// ClusterTopology -> the command API's answer (what a broker serves; the inverse of the above).
tern::command::TopologyInfo to_topology_info(const ClusterTopology& topology);

}  // namespace tern::gateway
