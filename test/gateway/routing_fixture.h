#pragma once

// A small cluster in one process for command-routing tests: real engines behind the broker's
// CommandService, served on a real command port (gRPC and the command stream, as a broker serves
// them), and a real GatewayServer whose topology names that port as the leader of every
// partition. Clients talk to the gateway.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "broker/command_api/command_port.h"
#include "broker/command_api/command_service.h"
#include "gateway.grpc.pb.h"
#include "gateway/engine_partition_service.h"
#include "gateway/gateway_server.h"
#include "gateway/static_topology.h"

namespace tern::gateway::testing {

// A process "<id>": start -> service task of `job_type` (3 retries) -> end.
std::string one_task_process(const std::string& id, const std::string& job_type);
// A process "<id>": start -> message catch of `message` (correlation key = orderId) -> service
// task of `job_type` -> end.
std::string message_then_task_process(const std::string& id, const std::string& message,
                                      const std::string& job_type);
// A process "<id>": start -> signal catch of `signal` -> service task of `job_type` -> end.
std::string signal_then_task_process(const std::string& id, const std::string& signal,
                                     const std::string& job_type);

// How the gateway reaches the broker: over the command stream (a standalone gateway, and an
// embedded one for the other brokers), over gRPC (the router's other transport), or in process as
// the gateway embedded in a broker does for its own (routing::LocalBroker over the
// CommandService).
enum class BrokerPath { kCommandStream, kGrpc, kInProcess };

class RoutingCluster {
 public:
  // `job_repoll_interval`: how long the gateway's long polls wait without a wake-up.
  explicit RoutingCluster(std::int32_t partitions, BrokerPath path = BrokerPath::kCommandStream,
                          std::chrono::milliseconds job_repoll_interval = std::chrono::seconds(1));
  // Commands the gateway sent through the in-process path so far.
  std::int64_t in_process_commands() const;
  ~RoutingCluster();

  gateway_protocol::Gateway::Stub& gateway() { return *gateway_stub_; }
  tern::command::BrokerCommands::Stub& broker() { return *broker_stub_; }
  // "host:port" of the broker side's command port.
  std::string broker_address() const { return "127.0.0.1:" + std::to_string(broker_port_); }
  EnginePartitionService& partitions() { return *partitions_; }
  // Subscriptions to the broker side's job wake-ups: gRPC streams, command streams and in-process
  // watches.
  std::size_t job_subscribers() const {
    return commands_->job_subscribers() + commands_->jobs_listeners();
  }
  StaticTopology& topology() { return *topology_; }
  std::shared_ptr<StaticTopology> topology_source() const { return topology_; }
  // The in-process broker (null with BrokerPath::kGrpc), for a router of a test's own.
  std::shared_ptr<routing::LocalBroker> local_broker() const { return local_; }
  std::uint16_t gateway_port() const { return gateway_server_->grpc_port(); }
  // The topology with every partition led by the in-process broker (or led by nobody).
  ClusterTopology cluster(bool with_leaders) const;

  // Stops the gateway (as ternd does at exit) while the broker side stays up.
  void shutdown_gateway() { gateway_server_->shutdown(); }

  // Deploys `xml` as "process.bpmn" through the gateway; asserts success.
  void deploy(const std::string& xml);

 private:
  std::int32_t partition_count_;
  std::shared_ptr<EnginePartitionService> partitions_;
  std::shared_ptr<broker::command_api::CommandService> commands_;
  std::shared_ptr<routing::LocalBroker> local_;  // with BrokerPath::kInProcess
  std::unique_ptr<grpc::Server> broker_server_;
  std::unique_ptr<broker::command_api::CommandPort> command_port_;
  int broker_port_ = 0;
  std::shared_ptr<StaticTopology> topology_;
  std::unique_ptr<GatewayServer> gateway_server_;
  std::unique_ptr<gateway_protocol::Gateway::Stub> gateway_stub_;
  std::unique_ptr<tern::command::BrokerCommands::Stub> broker_stub_;
};

// A client context with a deadline `seconds` from now.
std::unique_ptr<grpc::ClientContext> context_for(int seconds = 20);

// An ActivateJobs request of worker "test" for up to `max_jobs` jobs of `type`, each locked for
// a minute; `request_timeout_ms` as the protocol has it (negative: no long polling).
gateway_protocol::ActivateJobsRequest activation_request(const std::string& type, int max_jobs,
                                                         std::int64_t request_timeout_ms);

}  // namespace tern::gateway::testing
