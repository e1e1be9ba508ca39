#include "broker/management/topology_peers.h"

#include <spdlog/spdlog.h>

#include <future>
#include <nlohmann/json.hpp>

#include "broker/topology/topology_json.h"

namespace tern::broker::management {
namespace {

namespace tp = tern::broker::topology;
using nlohmann::json;

std::string verdict_json(const Result<void, ManagementError>& verdict) {
  if (verdict) return json{{"result", "OK"}}.dump();
  const auto& error = verdict.error();
  const char* code = error.code == ManagementErrc::kConflict    ? "CONFLICT"
                     : error.code == ManagementErrc::kNotLeader ? "NOT_LEADER"
                                                                : "UNAVAILABLE";
  json out{{"result", code}, {"message", error.message}};
  if (error.leader) out["leader"] = error.leader->value();
  return out.dump();
}

Result<void, ManagementError> verdict_from_json(NodeId from, const std::string& body) {
  json in = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (!in.is_object() || !in.contains("result") || !in["result"].is_string()) {
    return unexpected(ManagementError{
        ManagementErrc::kUnavailable,
        "broker " + std::to_string(from.value()) + " answered a topology command with no verdict"});
  }
  const std::string result = in["result"].get<std::string>();
  if (result == "OK") return {};
  ManagementError error;
  error.message = in.value("message", std::string());
  if (result == "CONFLICT") {
    error.code = ManagementErrc::kConflict;
  } else if (result == "NOT_LEADER") {
    error.code = ManagementErrc::kNotLeader;
    if (in.contains("leader") && in["leader"].is_number_integer())
      error.leader = NodeId(in["leader"].get<std::int32_t>());
  } else {
    error.code = ManagementErrc::kUnavailable;
  }
  return unexpected(std::move(error));
}

json status_json(const TopologyRaftStatus& status, std::int64_t version) {
  json voters = json::array();
  for (NodeId id : status.voters)
    voters.push_back(id.value());
  json fenced = json::array();
  for (NodeId id : status.fenced)
    fenced.push_back(id.value());
  json out{{"role", raft::role_name(status.role)},
           {"leading", status.role == raft::Role::kLeader},
           {"term", status.term},
           {"lastIndex", status.last_index},
           {"lastTerm", status.last_term},
           {"voters", std::move(voters)},
           {"fenced", std::move(fenced)},
           {"version", version}};
  if (status.leader) out["leader"] = status.leader->value();
  return out;
}

Result<PeerTopologyStatus, std::string> status_from_json(NodeId from, const std::string& body) {
  json in = json::parse(body, nullptr, /*allow_exceptions=*/false);
  try {
    PeerTopologyStatus status;
    status.broker = from;
    status.raft.role = in.at("leading").get<bool>() ? raft::Role::kLeader : raft::Role::kFollower;
    status.raft.term = in.at("term").get<std::uint64_t>();
    status.raft.last_index = in.at("lastIndex").get<std::uint64_t>();
    status.raft.last_term = in.at("lastTerm").get<std::uint64_t>();
    if (in.contains("leader")) status.raft.leader = NodeId(in["leader"].get<std::int32_t>());
    for (const auto& id : in.at("voters"))
      status.raft.voters.push_back(NodeId(id.get<std::int32_t>()));
    for (const auto& id : in.at("fenced"))
      status.raft.fenced.push_back(NodeId(id.get<std::int32_t>()));
    status.version = in.at("version").get<std::int64_t>();
    return status;
  } catch (const json::exception& e) {
    return unexpected("broker " + std::to_string(from.value())
                      + " answered topology/status with a malformed body: " + e.what());
  }
}

std::string describe(NodeId to, const RequestError& error) {
  return "broker " + std::to_string(to.value()) + ": " + error.message;
}

}  // namespace

void serve_topology_requests(ClusterTransport& transport,
                             std::shared_ptr<TopologyReplica> replica) {
  transport.set_request_handler(kTopologyProposeTopic, [replica](
                                                           NodeId, std::string body,
                                                           ClusterTransport::Respond respond) {
    auto command = tp::decode_command(body);
    if (!command) {
      return respond(verdict_json(unexpected(ManagementError{
          ManagementErrc::kConflict, "malformed topology command: " + command.error().message})));
    }
    replica->propose(std::move(*command), [respond](Result<void, ManagementError> verdict) {
      respond(verdict_json(verdict));
    });
  });
  transport.set_request_handler(
      kTopologyStatusTopic, [replica](NodeId, std::string, ClusterTransport::Respond respond) {
        respond(status_json(replica->raft_status(), replica->topology().version).dump());
      });
  transport.set_request_handler(kTopologyForceTopic, [replica](NodeId from, std::string body,
                                                               ClusterTransport::Respond respond) {
    json in = json::parse(body, nullptr, /*allow_exceptions=*/false);
    std::vector<NodeId> voters;
    if (in.is_object() && in.contains("voters") && in["voters"].is_array()) {
      for (const auto& id : in["voters"]) {
        if (id.is_number_integer()) voters.push_back(NodeId(id.get<std::int32_t>()));
      }
    }
    if (voters.empty()) {
      return respond(verdict_json(unexpected(
          ManagementError{ManagementErrc::kConflict, "topology/force names no voters"})));
    }
    spdlog::warn("cluster topology: broker {} asks this broker to force the topology group",
                 from.value());
    replica->force(std::move(voters), [respond](Result<void, ManagementError> verdict) {
      respond(verdict_json(verdict));
    });
  });
  transport.set_request_handler(kTopologyGetTopic,
                                [replica](NodeId, std::string, ClusterTransport::Respond respond) {
                                  respond(tp::topology_to_json(replica->topology()).dump());
                                });
}

TopologyPeers::TopologyPeers(ClusterTransport& transport) : transport_(transport) {}

Result<std::string, RequestError> TopologyPeers::call(NodeId to, const char* topic,
                                                      std::string body,
                                                      std::chrono::milliseconds timeout) const {
  // The promise outlives a wait that gives up: the transport answers every request exactly once
  // (at the latest when it stops), so the margin only covers a transport that already stopped.
  auto answer = std::make_shared<std::promise<Result<std::string, RequestError>>>();
  auto future = answer->get_future();
  transport_.request(
      to, topic, std::move(body), timeout,
      [answer](Result<std::string, RequestError> result) { answer->set_value(std::move(result)); });
  if (future.wait_for(timeout + std::chrono::seconds(1)) != std::future_status::ready) {
    return unexpected(RequestError{RequestErrc::kShutdown, "the cluster transport is stopped"});
  }
  return future.get();
}

Result<void, ManagementError> TopologyPeers::propose(NodeId to, const tp::TopologyCommand& command,
                                                     std::chrono::milliseconds timeout) const {
  auto answer = call(to, kTopologyProposeTopic, tp::encode_command(command), timeout);
  if (!answer) {
    const auto& error = answer.error();
    // Not sent, or refused unread: nothing was proposed. Lost or timed out: it may have been.
    const bool not_proposed = error.code == RequestErrc::kNotConnected
                              || error.code == RequestErrc::kNoService
                              || error.code == RequestErrc::kShutdown;
    return unexpected(
        ManagementError{not_proposed ? ManagementErrc::kNotLeader : ManagementErrc::kUnavailable,
                        describe(to, error)});
  }
  return verdict_from_json(to, *answer);
}

Result<PeerTopologyStatus, std::string> TopologyPeers::status(
    NodeId to, std::chrono::milliseconds timeout) const {
  auto answer = call(to, kTopologyStatusTopic, {}, timeout);
  if (!answer) return unexpected(describe(to, answer.error()));
  return status_from_json(to, *answer);
}

Result<void, std::string> TopologyPeers::force(NodeId to, const std::vector<NodeId>& voters,
                                               std::chrono::milliseconds timeout) const {
  json ids = json::array();
  for (NodeId id : voters)
    ids.push_back(id.value());
  auto answer = call(to, kTopologyForceTopic, json{{"voters", ids}}.dump(), timeout);
  if (!answer) return unexpected(describe(to, answer.error()));
  auto verdict = verdict_from_json(to, *answer);
  if (!verdict) return unexpected(verdict.error().message);
  return {};
}

Result<tp::ClusterTopology, std::string> TopologyPeers::fetch(
    NodeId to, std::chrono::milliseconds timeout) const {
  auto answer = call(to, kTopologyGetTopic, {}, timeout);
  if (!answer) return unexpected(describe(to, answer.error()));
  json in = json::parse(*answer, nullptr, /*allow_exceptions=*/false);
  if (in.is_discarded()) {
    return unexpected("broker " + std::to_string(to.value()) + " sent a topology that is not JSON");
  }
  auto topology = tp::topology_from_json(in);
  if (!topology) {
    return unexpected("broker " + std::to_string(to.value())
                      + " sent an unreadable topology: " + topology.error().message);
  }
  return std::move(*topology);
}

}  // namespace tern::broker::management
