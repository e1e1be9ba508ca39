#include "broker/management/cluster_routes.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <set>
#include <utility>

#include "broker/topology/topology_json.h"

namespace tern::broker::management {
namespace {

namespace tp = tern::broker::topology;
using nlohmann::json;

HttpResponse problem(int status, const std::string& title, const std::string& detail) {
  HttpResponse response;
  response.status = status;
  response.content_type = "application/problem+json";
  response.body =
      json{{"type", "about:blank"}, {"title", title}, {"status", status}, {"detail", detail}}
          .dump();
  return response;
}

HttpResponse bad_request(const std::string& detail) {
  return problem(400, "Bad Request", detail);
}

HttpResponse conflict(const std::string& detail) {
  return problem(409, "Conflict", detail);
}

// Query flags: absent or "false" is off; "", "true" is on; anything else is an error.
Result<bool, std::string> flag(const HttpRequest& request, const std::string& name) {
  auto it = request.query.find(name);
  if (it == request.query.end() || it->second == "false") return false;
  if (it->second.empty() || it->second == "true") return true;
  return tern::unexpected("query parameter '" + name + "' must be true or false, got '" + it->second
                          + "'");
}

Result<json, std::string> parse_body(const std::string& body) {
  if (body.empty()) return tern::unexpected(std::string("the request has no JSON body"));
  try {
    return json::parse(body);
  } catch (const json::parse_error& e) {
    return tern::unexpected("the body is not JSON: " + std::string(e.what()));
  }
}

Result<std::vector<NodeId>, std::string> id_list(const json& value, const std::string& where) {
  if (!value.is_array()) return tern::unexpected(where + " must be an array of broker ids");
  std::vector<NodeId> ids;
  for (const auto& item : value) {
    if (!item.is_number_integer()) {
      return tern::unexpected(where + ": '" + item.dump() + "' is not a broker id");
    }
    ids.push_back(NodeId(item.get<std::int32_t>()));
  }
  return ids;
}

Result<void, std::string> only_keys(const json& object, const std::set<std::string>& allowed,
                                    const std::string& where) {
  if (!object.is_object()) return tern::unexpected(where + " must be a JSON object");
  for (const auto& [key, value] : object.items()) {
    if (!allowed.count(key)) return tern::unexpected(where + ": unknown field '" + key + "'");
  }
  return {};
}

// {"brokers":{"add":[..],"remove":[..]},"partitions":{"replicationFactor":r}}
Result<tp::ChangeRequest, std::string> parse_change(const json& body) {
  tp::ChangeRequest request;
  auto top = only_keys(body, {"brokers", "partitions"}, "the body");
  if (!top) return tern::unexpected(top.error());
  if (body.contains("brokers")) {
    const auto& brokers = body.at("brokers");
    auto keys = only_keys(brokers, {"add", "remove"}, "brokers");
    if (!keys) return tern::unexpected(keys.error());
    for (auto [key, list] :
         {std::pair{"add", &request.add}, std::pair{"remove", &request.remove}}) {
      if (!brokers.contains(key)) continue;
      auto ids = id_list(brokers.at(key), std::string("brokers.") + key);
      if (!ids) return tern::unexpected(ids.error());
      *list = std::move(ids).value();
    }
  }
  if (body.contains("partitions")) {
    const auto& partitions = body.at("partitions");
    auto keys = only_keys(partitions, {"replicationFactor"}, "partitions");
    if (!keys) return tern::unexpected(keys.error());
    if (partitions.contains("replicationFactor")) {
      const auto& rf = partitions.at("replicationFactor");
      if (!rf.is_number_integer()) {
        return tern::unexpected("partitions.replicationFactor must be an integer, got "
                                + rf.dump());
      }
      request.replication_factor = rf.get<std::int32_t>();
    }
  }
  return request;
}

}  // namespace

ClusterRoutes::ClusterRoutes(std::shared_ptr<TopologyManager> manager,
                             std::shared_ptr<const ReachabilityProbe> probe)
    : manager_(std::move(manager)), probe_(std::move(probe)) {}

HttpResponse ClusterRoutes::get_cluster(const HttpRequest&) const {
  HttpResponse response;
  response.body = tp::topology_to_json(manager_->current()).dump();
  return response;
}

HttpResponse ClusterRoutes::patch_cluster(const HttpRequest& http) const {
  auto dry_run = flag(http, "dryRun");
  auto force = flag(http, "force");
  auto allow_reachable = flag(http, "allowReachable");
  for (const auto* parsed : {&dry_run, &force, &allow_reachable}) {
    if (!*parsed) return bad_request(parsed->error());
  }
  auto body = parse_body(http.body);
  if (!body) return bad_request(body.error());
  auto request = parse_change(*body);
  if (!request) return bad_request(request.error());
  request->mode = *force ? tp::ChangeMode::kForce : tp::ChangeMode::kSafe;
  return change(*request, *dry_run, *allow_reachable);
}

HttpResponse ClusterRoutes::post_brokers(const HttpRequest& http) const {
  auto dry_run = flag(http, "dryRun");
  if (!dry_run) return bad_request(dry_run.error());
  auto body = parse_body(http.body);
  if (!body) return bad_request(body.error());
  auto wanted = id_list(*body, "the body");
  if (!wanted) return bad_request(wanted.error());
  const auto current = manager_->current();
  std::set<NodeId> target(wanted->begin(), wanted->end());
  if (target.size() != wanted->size()) return bad_request("the body lists a broker id twice");
  tp::ChangeRequest request;
  for (NodeId id : target) {
    if (!current.brokers.count(id)) request.add.push_back(id);
  }
  for (const auto& [id, broker] : current.brokers) {
    if (!target.count(id)) request.remove.push_back(id);
  }
  if (target.empty()) {
    return bad_request("the request removes every broker; at least one must stay");
  }
  return change(request, *dry_run, false);
}

HttpResponse ClusterRoutes::change(const tp::ChangeRequest& request, bool dry_run,
                                   bool allow_reachable) const {
  const auto current = manager_->current();
  if (current.pending_change) {
    return conflict("change " + std::to_string(current.pending_change->id)
                    + " is in progress; wait for it to complete");
  }
  auto now_ms = current.last_change ? current.last_change->completed_at_ms : 0;
  auto plan = tp::plan_change(current, request, manager_->announced(), now_ms);
  if (!plan) return bad_request(plan.error().message);

  if (request.mode == tp::ChangeMode::kForce && !allow_reachable) {
    for (NodeId id : request.remove) {
      const auto& address = current.brokers.at(id).address;
      const auto reachability =
          address.empty() ? Reachability::kBadAddress : probe_->probe(address);
      if (reachability == Reachability::kAnswers) {
        return conflict("broker " + std::to_string(id.value()) + " still answers on its cluster "
                        + "port " + address + ": forcing it out while it runs could leave two "
                        + "sides electing leaders (a split brain). Stop it, or repeat with "
                        + "allowReachable=true if it is cut off from its clients for sure");
      }
      if (reachability == Reachability::kBadAddress) {
        return conflict("broker " + std::to_string(id.value()) + " has no usable cluster address ('"
                        + address + "'), so it cannot be shown to be down; repeat with "
                        + "allowReachable=true to force it out anyway");
      }
    }
  }

  std::int64_t change_id = current.next_change_id();
  if (!dry_run && request.mode == tp::ChangeMode::kForce) {
    // The topology itself lives in a Raft group that may have lost its quorum with the brokers
    // being removed: the survivors take it over first. Then the plan is made again on the
    // topology they hold, which may be newer than what this broker had seen.
    std::vector<NodeId> survivors;
    for (const auto& [id, broker] : current.brokers) {
      if (std::find(request.remove.begin(), request.remove.end(), id) == request.remove.end())
        survivors.push_back(id);
    }
    if (auto restored = manager_->restore_quorum(survivors); !restored) {
      return problem(503, "Service Unavailable", restored.error().message);
    }
    return submit_forced(request);
  }
  if (!dry_run) {
    auto submitted = manager_->submit(*plan, current.version);
    if (!submitted) {
      return submitted.error().code == ManagementErrc::kConflict
                 ? conflict(submitted.error().message)
                 : problem(503, "Service Unavailable", submitted.error().message);
    }
    change_id = *submitted;
    spdlog::info("cluster change {} accepted{}: {} operation(s)", change_id,
                 request.mode == tp::ChangeMode::kForce ? " (forced)" : "",
                 plan->operations.size());
  }
  return accepted(current, *plan, change_id, dry_run);
}

// The second half of a forced change, once the topology group has a leader among the survivors:
// plan on the topology as it is now (waiting briefly for this broker's replica to catch up with
// the survivors' log) and start the change.
HttpResponse ClusterRoutes::submit_forced(const tp::ChangeRequest& request) const {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (true) {
    const auto current = manager_->current();
    if (current.pending_change) {
      return conflict("change " + std::to_string(current.pending_change->id)
                      + " is in progress; wait for it to complete");
    }
    auto now_ms = current.last_change ? current.last_change->completed_at_ms : 0;
    auto plan = tp::plan_change(current, request, manager_->announced(), now_ms);
    if (!plan) return bad_request(plan.error().message);
    auto submitted = manager_->submit(*plan, current.version);
    if (submitted) {
      spdlog::info("cluster change {} accepted (forced): {} operation(s)", *submitted,
                   plan->operations.size());
      return accepted(current, *plan, *submitted, false);
    }
    // A conflict on the version only means this replica lagged the survivors' log: plan again.
    const bool moved = submitted.error().code == ManagementErrc::kConflict
                       && manager_->current().version != current.version;
    if (!moved || std::chrono::steady_clock::now() >= deadline) {
      return submitted.error().code == ManagementErrc::kConflict
                 ? conflict(submitted.error().message)
                 : problem(503, "Service Unavailable", submitted.error().message);
    }
  }
}

HttpResponse ClusterRoutes::accepted(const tp::ClusterTopology& current, const tp::ChangePlan& plan,
                                     std::int64_t change_id, bool dry_run) const {
  json planned = json::array();
  for (const auto& operation : plan.operations)
    planned.push_back(tp::operation_to_json(operation));
  HttpResponse response;
  response.status = dry_run ? 200 : 202;
  response.body = json{{"changeId", change_id},
                       {"currentTopology", tp::brokers_to_json(current)},
                       {"plannedChanges", std::move(planned)},
                       {"expectedTopology", tp::brokers_to_json(plan.expected)}}
                      .dump();
  return response;
}

}  // namespace tern::broker::management
