#pragma once

// The change planner: from the current topology and an operator's request (brokers to add and to
// remove, a new replication factor, force) to a validated, ordered list of operations and the
// topology they lead to. Pure: no IO, no clock; the same inputs give the same plan.
//
// Without force, every partition changes one member at a time, joins before leaves, so that its
// replica count never drops below min(old, new) and every step is a single-server Raft change
// that keeps a quorum (Raft thesis §4.1). With force, the brokers to remove are taken as lost:
// every partition that has replicas on them adopts its surviving replicas alone
// (PARTITION_FORCE_RECONFIGURE), then the lost brokers leave the membership.

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "broker/topology/cluster_topology.h"
#include "common/result.h"

namespace tern::broker::topology {

enum class ChangeMode { kSafe, kForce };

struct ChangeRequest {
  std::vector<NodeId> add;
  std::vector<NodeId> remove;
  std::optional<std::int32_t> replication_factor;
  ChangeMode mode = ChangeMode::kSafe;
};

// Address and region of a broker that is not a member yet, as it announced itself.
// What a broker announces about itself (ANNOUNCE): its cluster address, its region label and
// where its monitoring endpoints answer.
struct BrokerIdentity {
  std::string address;
  std::string region;
  std::string monitoring_address;

  bool operator==(const BrokerIdentity&) const = default;
};

enum class PlanErrc {
  kInvalidRequest,  // the request itself is malformed (duplicates, negative ids, RF < 1, ...)
  kImpossible,      // it cannot be satisfied by this topology (unknown ids, too few brokers, ...)
};

struct PlanError {
  PlanErrc code = PlanErrc::kInvalidRequest;
  std::string message;
};

struct ChangePlan {
  std::vector<Operation> operations;
  ClusterTopology expected;  // the topology once every operation is applied
};

// Plans `request` against `current`. `announced` supplies addresses and regions of brokers to add
// and `now_ms` stamps the brokers the expected topology changes (a broker missing there gets the
// address and region recorded when it was removed, if any).
Result<ChangePlan, PlanError> plan_change(const ClusterTopology& current,
                                          const ChangeRequest& request,
                                          const std::map<NodeId, BrokerIdentity>& announced = {},
                                          std::int64_t now_ms = 0);

// Checks that applying `operations` to `topology` one after another succeeds and changes every
// partition's voters by at most one member per step without ever emptying it. Used by the tests
// and, as an assertion, by the planner itself for safe plans.
Result<void, PlanError> check_plan_safety(const ClusterTopology& topology,
                                          const std::vector<Operation>& operations);

}  // namespace tern::broker::topology
