#pragma once

// A broker's node id from its StatefulSet pod name and its region (DESIGN.md, "Cluster
// topology"): with R regions, the broker with ordinal N in region k gets id N * R + k, so ids of
// one region are congruent to k modulo R and round-robin placement alternates regions.

#include <cstdint>
#include <string>
#include <string_view>

#include "common/result.h"

namespace tern::broker::topology {

// The ordinal of a StatefulSet pod: the number after the last '-' of `pod_name` ("tern-3" -> 3).
// Errors name the pod name and what is wrong with it.
Result<std::int32_t, std::string> pod_ordinal(std::string_view pod_name);

// N * region_count + region_index for the pod's ordinal N. Requires region_count >= 1 and
// 0 <= region_index < region_count; errors say which value is wrong.
Result<std::int32_t, std::string> node_id_from_pod(std::string_view pod_name,
                                                   std::int32_t region_count,
                                                   std::int32_t region_index);

// The region index of a node id in a cluster of `region_count` regions.
std::int32_t region_of(std::int32_t node_id, std::int32_t region_count);

}  // namespace tern::broker::topology
