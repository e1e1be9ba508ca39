#include "broker/topology/topology_json.h"

#include <array>
#include <cstdio>
#include <ctime>
#include <utility>

namespace tern::broker::topology {
namespace {

using nlohmann::json;

tern::Unexpected<TopologyError> codec_error(std::string message) {
  return tern::unexpected(TopologyError{TopologyErrc::kCodec, std::move(message)});
}

template <typename Enum, std::size_t N>
std::optional<Enum> enum_from(const std::string& text, const std::array<Enum, N>& values) {
  for (Enum value : values) {
    if (to_string(value) == text) return value;
  }
  return std::nullopt;
}

constexpr std::array<BrokerState, 5> kBrokerStates = {BrokerState::kActive, BrokerState::kJoining,
                                                      BrokerState::kLeaving, BrokerState::kLeft,
                                                      BrokerState::kRemoved};
constexpr std::array<ReplicaState, 3> kReplicaStates = {
    ReplicaState::kActive, ReplicaState::kJoining, ReplicaState::kLeaving};
constexpr std::array<ChangeStatus, 4> kChangeStatuses = {
    ChangeStatus::kInProgress, ChangeStatus::kCompleted, ChangeStatus::kFailed,
    ChangeStatus::kCancelled};

// Reads json[key] as T, naming the path on failure; exceptions from the JSON library stop here.
template <typename T>
Result<T, TopologyError> field(const json& object, const char* key, const std::string& where) {
  if (!object.is_object() || !object.contains(key)) {
    return codec_error(where + ": missing '" + key + "'");
  }
  try {
    return object.at(key).get<T>();
  } catch (const json::exception& e) {
    return codec_error(where + "." + key + ": " + e.what());
  }
}

template <typename T>
T optional_field(const json& object, const char* key, T fallback) {
  if (!object.is_object() || !object.contains(key)) return fallback;
  try {
    return object.at(key).get<T>();
  } catch (const json::exception&) {
    return fallback;
  }
}

std::int64_t optional_time(const json& object, const char* key) {
  auto text = optional_field<std::string>(object, key, "");
  if (text.empty()) return 0;
  return parse_timestamp(text).value_or(0);
}

json change_to_json(const ClusterChange& change) {
  json out{{"id", change.id}, {"status", to_string(change.status)}};
  if (change.started_at_ms) out["startedAt"] = format_timestamp(change.started_at_ms);
  if (change.completed_at_ms) out["completedAt"] = format_timestamp(change.completed_at_ms);
  if (change.status == ChangeStatus::kInProgress || !change.completed.empty()
      || !change.pending.empty()) {
    out["completed"] = json::array();
    for (const auto& operation : change.completed)
      out["completed"].push_back(operation_to_json(operation));
    out["pending"] = json::array();
    for (const auto& operation : change.pending)
      out["pending"].push_back(operation_to_json(operation));
  }
  return out;
}

Result<ClusterChange, TopologyError> change_from_json(const json& in, const std::string& where) {
  ClusterChange change;
  auto id = field<std::int64_t>(in, "id", where);
  if (!id) return tern::unexpected(id.error());
  change.id = *id;
  auto status_text = field<std::string>(in, "status", where);
  if (!status_text) return tern::unexpected(status_text.error());
  auto status = enum_from(*status_text, kChangeStatuses);
  if (!status) return codec_error(where + ".status: unknown status '" + *status_text + "'");
  change.status = *status;
  change.started_at_ms = optional_time(in, "startedAt");
  change.completed_at_ms = optional_time(in, "completedAt");
  for (const char* key : {"completed", "pending"}) {
    if (!in.contains(key)) continue;
    if (!in.at(key).is_array()) return codec_error(where + "." + key + ": not an array");
    auto& list = std::string(key) == "completed" ? change.completed : change.pending;
    for (const auto& item : in.at(key)) {
      auto operation = operation_from_json(item);
      if (!operation) return tern::unexpected(operation.error());
      list.push_back(std::move(operation).value());
    }
  }
  return change;
}

}  // namespace

std::string format_timestamp(std::int64_t epoch_ms) {
  const std::time_t seconds = static_cast<std::time_t>(epoch_ms / 1000);
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  std::array<char, 96> text{};
  std::snprintf(text.data(), text.size(), "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900,
                utc.tm_mon + 1, utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec,
                static_cast<int>(epoch_ms % 1000));
  return text.data();
}

Result<std::int64_t, std::string> parse_timestamp(const std::string& text) {
  std::tm utc{};
  int millis = 0;
  int consumed = 0;
  const int fields =
      std::sscanf(text.c_str(), "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &utc.tm_year, &utc.tm_mon,
                  &utc.tm_mday, &utc.tm_hour, &utc.tm_min, &utc.tm_sec, &millis, &consumed);
  if (fields != 7 || static_cast<std::size_t>(consumed) != text.size()) {
    return tern::unexpected("'" + text + "' is not a timestamp like 2026-01-31T12:00:00.000Z");
  }
  utc.tm_year -= 1900;
  utc.tm_mon -= 1;
  return std::int64_t{timegm(&utc)} * 1000 + millis;
}

json operation_to_json(const Operation& operation) {
  json out{{"operation", to_string(operation.kind)}, {"brokerId", operation.broker.value()}};
  if (operation.partition.value() != 0) out["partitionId"] = operation.partition.value();
  if (operation.kind == OperationKind::kPartitionJoin
      || operation.kind == OperationKind::kPartitionReconfigurePriority) {
    out["priority"] = operation.priority;
  }
  if (operation.kind == OperationKind::kPartitionForceReconfigure) {
    out["brokers"] = json::array();
    for (NodeId id : operation.members)
      out["brokers"].push_back(id.value());
  }
  if (!operation.address.empty()) out["address"] = operation.address;
  if (!operation.region.empty()) out["region"] = operation.region;
  return out;
}

Result<Operation, TopologyError> operation_from_json(const json& in) {
  auto kind_text = field<std::string>(in, "operation", "operation");
  if (!kind_text) return tern::unexpected(kind_text.error());
  auto kind = operation_kind_from_string(*kind_text);
  if (!kind) return codec_error("operation: unknown kind '" + *kind_text + "'");
  auto broker = field<std::int32_t>(in, "brokerId", *kind_text);
  if (!broker) return tern::unexpected(broker.error());
  Operation operation;
  operation.kind = *kind;
  operation.broker = NodeId(*broker);
  operation.partition = PartitionId(optional_field<std::int32_t>(in, "partitionId", 0));
  operation.priority = optional_field<std::int32_t>(in, "priority", 0);
  for (auto id : optional_field<std::vector<std::int32_t>>(in, "brokers", {}))
    operation.members.push_back(NodeId(id));
  operation.address = optional_field<std::string>(in, "address", "");
  operation.region = optional_field<std::string>(in, "region", "");
  return operation;
}

json brokers_to_json(const ClusterTopology& topology) {
  json brokers = json::array();
  for (const auto& [id, broker] : topology.brokers) {
    json partitions = json::array();
    for (const auto& [partition, replica] : broker.partitions) {
      partitions.push_back({{"id", partition.value()},
                            {"state", to_string(replica.state)},
                            {"priority", replica.priority}});
    }
    brokers.push_back({{"id", id.value()},
                       {"address", broker.address},
                       {"region", broker.region},
                       {"monitoringAddress", broker.monitoring_address},
                       {"state", to_string(broker.state)},
                       {"version", broker.version},
                       {"lastUpdatedAt", format_timestamp(broker.last_updated_ms)},
                       {"joinedByChange", broker.joined_by_change},
                       {"partitions", std::move(partitions)}});
  }
  return brokers;
}

json topology_to_json(const ClusterTopology& topology) {
  json out{{"version", topology.version},
           {"partitionCount", topology.partition_count},
           {"replicationFactor", topology.replication_factor},
           {"brokers", brokers_to_json(topology)},
           {"removedBrokers", json::array()}};
  for (const auto& [id, removed] : topology.removed) {
    out["removedBrokers"].push_back({{"id", id.value()},
                                     {"address", removed.address},
                                     {"region", removed.region},
                                     {"removedByChange", removed.removed_by_change}});
  }
  if (topology.last_change) out["lastChange"] = change_to_json(*topology.last_change);
  if (topology.pending_change) out["pendingChange"] = change_to_json(*topology.pending_change);
  return out;
}

Result<ClusterTopology, TopologyError> topology_from_json(const json& in) {
  ClusterTopology topology;
  auto version = field<std::int64_t>(in, "version", "topology");
  if (!version) return tern::unexpected(version.error());
  topology.version = *version;
  auto partition_count = field<std::int32_t>(in, "partitionCount", "topology");
  if (!partition_count) return tern::unexpected(partition_count.error());
  topology.partition_count = *partition_count;
  topology.replication_factor = optional_field<std::int32_t>(in, "replicationFactor", 0);
  if (!in.contains("brokers") || !in.at("brokers").is_array()) {
    return codec_error("topology: 'brokers' must be an array");
  }
  for (const auto& item : in.at("brokers")) {
    const std::string where = "brokers[" + item.value("id", json()).dump() + "]";
    auto id = field<std::int32_t>(item, "id", where);
    if (!id) return tern::unexpected(id.error());
    BrokerInfo broker;
    broker.id = NodeId(*id);
    broker.address = optional_field<std::string>(item, "address", "");
    broker.region = optional_field<std::string>(item, "region", "");
    broker.monitoring_address = optional_field<std::string>(item, "monitoringAddress", "");
    auto state_text = field<std::string>(item, "state", where);
    if (!state_text) return tern::unexpected(state_text.error());
    auto state = enum_from(*state_text, kBrokerStates);
    if (!state) return codec_error(where + ".state: unknown state '" + *state_text + "'");
    broker.state = *state;
    broker.version = optional_field<std::int64_t>(item, "version", 0);
    broker.last_updated_ms = optional_time(item, "lastUpdatedAt");
    broker.joined_by_change = optional_field<std::int64_t>(item, "joinedByChange", 0);
    for (const auto& p : optional_field<json>(item, "partitions", json::array())) {
      auto pid = field<std::int32_t>(p, "id", where + ".partitions");
      if (!pid) return tern::unexpected(pid.error());
      auto replica_text = optional_field<std::string>(p, "state", "ACTIVE");
      auto replica_state = enum_from(replica_text, kReplicaStates);
      if (!replica_state) {
        return codec_error(where + ".partitions: unknown state '" + replica_text + "'");
      }
      broker.partitions[PartitionId(*pid)] =
          ReplicaInfo{*replica_state, optional_field<std::int32_t>(p, "priority", 1)};
    }
    if (!topology.brokers.emplace(broker.id, broker).second) {
      return codec_error(where + ": broker listed twice");
    }
  }
  for (const auto& item : optional_field<json>(in, "removedBrokers", json::array())) {
    auto id = field<std::int32_t>(item, "id", "removedBrokers");
    if (!id) return tern::unexpected(id.error());
    topology.removed[NodeId(*id)] =
        RemovedBroker{NodeId(*id), optional_field<std::string>(item, "address", ""),
                      optional_field<std::string>(item, "region", ""),
                      optional_field<std::int64_t>(item, "removedByChange", 0)};
  }
  for (auto [key, slot] : {std::pair{"lastChange", &topology.last_change},
                           std::pair{"pendingChange", &topology.pending_change}}) {
    if (!in.contains(key) || in.at(key).is_null()) continue;
    auto change = change_from_json(in.at(key), key);
    if (!change) return tern::unexpected(change.error());
    *slot = std::move(change).value();
  }
  return topology;
}

}  // namespace tern::broker::topology
