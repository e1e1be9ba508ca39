#pragma once

// The vocabulary brokers and gateways share about a partition replica: its role and its health,
// and their lower-case names, which travel on the command API and appear in the REST topology.

#include <optional>
#include <string_view>

namespace tern {

enum class PartitionRole { kLeader, kFollower, kInactive };
enum class PartitionHealth { kHealthy, kUnhealthy, kDead };

constexpr std::string_view to_string(PartitionRole role) {
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

constexpr std::string_view to_string(PartitionHealth health) {
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

// The inverse of to_string; nullopt for anything else (the caller reports the bad value).
constexpr std::optional<PartitionRole> parse_partition_role(std::string_view text) {
  for (auto role : {PartitionRole::kLeader, PartitionRole::kFollower, PartitionRole::kInactive}) {
    if (text == to_string(role)) return role;
  }
  return std::nullopt;
}

constexpr std::optional<PartitionHealth> parse_partition_health(std::string_view text) {
  for (auto health :
       {PartitionHealth::kHealthy, PartitionHealth::kUnhealthy, PartitionHealth::kDead}) {
    if (text == to_string(health)) return health;
  }
  return std::nullopt;
}

}  // namespace tern
