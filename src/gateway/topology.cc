#include "gateway/topology.h"

namespace tern::gateway {

std::string_view to_string(PartitionRole role) {
  switch (role) {
    case PartitionRole::kLeader:
      return "leader";
    case PartitionRole::kFollower:
      return "follower";
    case PartitionRole::kInactive:
      return "inactive";
  }
  return "inactive";
}

std::string_view to_string(PartitionHealth health) {
  switch (health) {
    case PartitionHealth::kHealthy:
      return "healthy";
    case PartitionHealth::kUnhealthy:
      return "unhealthy";
    case PartitionHealth::kDead:
      return "dead";
  }
  return "dead";
}

std::optional<PartitionRole> parse_partition_role(std::string_view text) {
  for (auto role : {PartitionRole::kLeader, PartitionRole::kFollower, PartitionRole::kInactive}) {
    if (text == to_string(role)) return role;
  }
  return std::nullopt;
}

std::optional<PartitionHealth> parse_partition_health(std::string_view text) {
  for (auto health :
       {PartitionHealth::kHealthy, PartitionHealth::kUnhealthy, PartitionHealth::kDead}) {
    if (text == to_string(health)) return health;
  }
  return std::nullopt;
}

}  // namespace tern::gateway
