#include "broker/topology/topology_state_machine.h"

#include <nlohmann/json.hpp>
#include <utility>

#include "broker/topology/topology_json.h"

namespace tern::broker::topology {
namespace {

using nlohmann::json;

constexpr std::pair<TopologyCommandKind, const char*> kKinds[] = {
    {TopologyCommandKind::kAnnounce, "ANNOUNCE"},
    {TopologyCommandKind::kStartChange, "START_CHANGE"},
    {TopologyCommandKind::kCompleteOperation, "COMPLETE_OPERATION"},
    {TopologyCommandKind::kFailChange, "FAIL_CHANGE"},
};

tern::Unexpected<TopologyError> rejected(std::string message) {
  return tern::unexpected(TopologyError{TopologyErrc::kInvalidOperation, std::move(message)});
}

tern::Unexpected<TopologyError> codec_error(std::string message) {
  return tern::unexpected(TopologyError{TopologyErrc::kCodec, std::move(message)});
}

}  // namespace

std::string encode_command(const TopologyCommand& command) {
  json out{{"time", command.time_ms}};
  for (const auto& [kind, name] : kKinds) {
    if (kind == command.kind) out["kind"] = name;
  }
  switch (command.kind) {
    case TopologyCommandKind::kAnnounce:
      out["brokerId"] = command.broker.value();
      out["address"] = command.identity.address;
      out["region"] = command.identity.region;
      out["monitoringAddress"] = command.identity.monitoring_address;
      break;
    case TopologyCommandKind::kStartChange:
      out["basedOnVersion"] = command.based_on_version;
      out["replicationFactor"] = command.replication_factor;
      out["operations"] = json::array();
      for (const auto& operation : command.operations)
        out["operations"].push_back(operation_to_json(operation));
      break;
    case TopologyCommandKind::kCompleteOperation:
      out["changeId"] = command.change_id;
      out["operation"] = operation_to_json(command.operation);
      break;
    case TopologyCommandKind::kFailChange:
      out["changeId"] = command.change_id;
      out["reason"] = command.reason;
      break;
  }
  return out.dump();
}

Result<TopologyCommand, TopologyError> decode_command(std::string_view bytes) {
  json in = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object())
    return codec_error("topology command: not a JSON object");
  try {
    TopologyCommand command;
    const auto kind = in.at("kind").get<std::string>();
    bool known = false;
    for (const auto& [k, name] : kKinds) {
      if (kind == name) {
        command.kind = k;
        known = true;
      }
    }
    if (!known) return codec_error("topology command: unknown kind '" + kind + "'");
    command.time_ms = in.at("time").get<std::int64_t>();
    switch (command.kind) {
      case TopologyCommandKind::kAnnounce:
        command.broker = NodeId(in.at("brokerId").get<std::int32_t>());
        command.identity = {in.at("address").get<std::string>(), in.at("region").get<std::string>(),
                            in.value("monitoringAddress", std::string())};
        break;
      case TopologyCommandKind::kStartChange:
        command.based_on_version = in.at("basedOnVersion").get<std::int64_t>();
        command.replication_factor = in.at("replicationFactor").get<std::int32_t>();
        for (const auto& item : in.at("operations")) {
          auto operation = operation_from_json(item);
          if (!operation) return tern::unexpected(operation.error());
          command.operations.push_back(std::move(operation).value());
        }
        break;
      case TopologyCommandKind::kCompleteOperation: {
        command.change_id = in.at("changeId").get<std::int64_t>();
        auto operation = operation_from_json(in.at("operation"));
        if (!operation) return tern::unexpected(operation.error());
        command.operation = std::move(operation).value();
        break;
      }
      case TopologyCommandKind::kFailChange:
        command.change_id = in.at("changeId").get<std::int64_t>();
        command.reason = in.at("reason").get<std::string>();
        break;
    }
    return command;
  } catch (const json::exception& e) {
    const std::string kind =
        in.contains("kind") && in["kind"].is_string() ? in["kind"].get<std::string>() : "?";
    return codec_error("topology command '" + kind + "': " + e.what());
  }
}

TopologyStateMachine::TopologyStateMachine(ClusterTopology initial)
    : topology_(std::move(initial)) {}

Result<void, TopologyError> TopologyStateMachine::apply(const TopologyCommand& command) {
  switch (command.kind) {
    case TopologyCommandKind::kAnnounce:
      if (auto member = topology_.brokers.find(command.broker); member != topology_.brokers.end()) {
        return announce_member(member->second, command);
      }
      announced_[command.broker] = command.identity;
      return {};
    case TopologyCommandKind::kStartChange:
      return start_change(command);
    case TopologyCommandKind::kCompleteOperation:
      return complete_operation(command);
    case TopologyCommandKind::kFailChange:
      if (!topology_.pending_change || topology_.pending_change->id != command.change_id) {
        return rejected("change " + std::to_string(command.change_id) + " is not in progress");
      }
      finish(ChangeStatus::kFailed, command.time_ms);
      return {};
  }
  return rejected("unknown command");
}

// A member's own word on where it listens and its region replaces what the topology had (the
// configured topology knows no addresses). An empty field keeps the recorded value; the same
// identity again changes nothing, so that repeated announcements leave the version alone.
Result<void, TopologyError> TopologyStateMachine::announce_member(BrokerInfo& broker,
                                                                  const TopologyCommand& command) {
  const auto& identity = command.identity;
  BrokerInfo updated = broker;
  if (!identity.address.empty()) updated.address = identity.address;
  if (!identity.region.empty()) updated.region = identity.region;
  if (!identity.monitoring_address.empty())
    updated.monitoring_address = identity.monitoring_address;
  if (updated == broker) return {};
  ++updated.version;
  updated.last_updated_ms = command.time_ms;
  broker = std::move(updated);
  ++topology_.version;
  return {};
}

Result<void, TopologyError> TopologyStateMachine::start_change(const TopologyCommand& command) {
  if (topology_.pending_change) {
    return rejected("change " + std::to_string(topology_.pending_change->id) + " is in progress");
  }
  if (command.based_on_version != topology_.version) {
    return rejected("the change was planned on version " + std::to_string(command.based_on_version)
                    + " but the topology is at " + std::to_string(topology_.version));
  }
  ClusterChange change;
  change.id = topology_.next_change_id();
  change.status = ChangeStatus::kInProgress;
  change.started_at_ms = command.time_ms;
  change.pending = command.operations;
  topology_.pending_change = std::move(change);
  topology_.replication_factor = command.replication_factor;
  ++topology_.version;
  if (command.operations.empty()) finish(ChangeStatus::kCompleted, command.time_ms);
  return {};
}

Result<void, TopologyError> TopologyStateMachine::complete_operation(
    const TopologyCommand& command) {
  if (!topology_.pending_change || topology_.pending_change->id != command.change_id) {
    return rejected("change " + std::to_string(command.change_id) + " is not in progress");
  }
  auto& change = *topology_.pending_change;
  // Operations complete in plan order; a report for any other (a retry's duplicate, a report
  // racing a failure) is stale.
  if (change.pending.empty() || !(change.pending.front() == command.operation)) {
    return rejected("'" + describe(command.operation) + "' is not the next operation of change "
                    + std::to_string(change.id));
  }
  auto applied = apply_operation(topology_, command.operation, command.time_ms);
  if (!applied) return applied;
  change.completed.push_back(change.pending.front());
  change.pending.erase(change.pending.begin());
  for (const auto& [id, broker] : topology_.brokers)
    announced_.erase(id);
  if (change.pending.empty()) finish(ChangeStatus::kCompleted, command.time_ms);
  return {};
}

void TopologyStateMachine::finish(ChangeStatus status, std::int64_t time_ms) {
  ClusterChange finished = std::move(*topology_.pending_change);
  topology_.pending_change.reset();
  finished.status = status;
  finished.completed_at_ms = time_ms;
  finished.completed.clear();
  finished.pending.clear();
  topology_.last_change = std::move(finished);
  ++topology_.version;
}

std::string TopologyStateMachine::snapshot() const {
  json out{{"topology", topology_to_json(topology_)}, {"announced", json::array()}};
  for (const auto& [id, identity] : announced_) {
    out["announced"].push_back({{"brokerId", id.value()},
                                {"address", identity.address},
                                {"region", identity.region},
                                {"monitoringAddress", identity.monitoring_address}});
  }
  return out.dump();
}

Result<TopologyStateMachine, TopologyError> TopologyStateMachine::restore(
    std::string_view snapshot) {
  json in = json::parse(snapshot, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded() || !in.is_object() || !in.contains("topology")) {
    return codec_error("topology snapshot: not a JSON object with a 'topology'");
  }
  auto topology = topology_from_json(in["topology"]);
  if (!topology) return tern::unexpected(topology.error());
  TopologyStateMachine machine(std::move(topology).value());
  try {
    for (const auto& item : in.value("announced", json::array())) {
      machine.announced_[NodeId(item.at("brokerId").get<std::int32_t>())] = {
          item.at("address").get<std::string>(), item.at("region").get<std::string>(),
          item.value("monitoringAddress", std::string())};
    }
  } catch (const json::exception& e) {
    return codec_error(std::string("topology snapshot: announced: ") + e.what());
  }
  return machine;
}

}  // namespace tern::broker::topology
