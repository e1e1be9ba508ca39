#pragma once

// The gRPC service `gateway_protocol.Gateway`, Zeebe's client protocol, served by Tern's gateway.

#include <memory>
#include <string_view>
#include <vector>

#include "gateway.grpc.pb.h"
#include "gateway/routing/command_router.h"
#include "gateway/topology.h"

namespace tern::gateway {

// Implements every RPC of the 8.5 protocol. Topology answers from the TopologySource; commands go
// through the CommandRouter to partition leaders (gateway_commands.cc, gateway_jobs.cc); RPCs
// the engine does not support yet answer UNIMPLEMENTED with a message naming the RPC, so that a
// client sees a clear refusal rather than a fake success. Stateless apart from the shared,
// thread-safe TopologySource and CommandRouter, so gRPC may call it from any number of its
// worker threads at once.
class GatewayService final : public gateway_protocol::Gateway::Service {
 public:
  // Without a router, one is made over `topology` (brokers' command API addresses).
  explicit GatewayService(std::shared_ptr<const TopologySource> topology,
                          std::shared_ptr<routing::CommandRouter> router = nullptr);

  grpc::Status Topology(grpc::ServerContext* context,
                        const gateway_protocol::TopologyRequest* request,
                        gateway_protocol::TopologyResponse* response) override;

  grpc::Status ActivateJobs(
      grpc::ServerContext* context, const gateway_protocol::ActivateJobsRequest* request,
      grpc::ServerWriter<gateway_protocol::ActivateJobsResponse>* writer) override;
  grpc::Status StreamActivatedJobs(
      grpc::ServerContext* context, const gateway_protocol::StreamActivatedJobsRequest* request,
      grpc::ServerWriter<gateway_protocol::ActivatedJob>* writer) override;
  grpc::Status CancelProcessInstance(
      grpc::ServerContext* context, const gateway_protocol::CancelProcessInstanceRequest* request,
      gateway_protocol::CancelProcessInstanceResponse* response) override;
  grpc::Status CompleteJob(grpc::ServerContext* context,
                           const gateway_protocol::CompleteJobRequest* request,
                           gateway_protocol::CompleteJobResponse* response) override;
  grpc::Status CreateProcessInstance(
      grpc::ServerContext* context, const gateway_protocol::CreateProcessInstanceRequest* request,
      gateway_protocol::CreateProcessInstanceResponse* response) override;
  grpc::Status CreateProcessInstanceWithResult(
      grpc::ServerContext* context,
      const gateway_protocol::CreateProcessInstanceWithResultRequest* request,
      gateway_protocol::CreateProcessInstanceWithResultResponse* response) override;
  grpc::Status EvaluateDecision(grpc::ServerContext* context,
                                const gateway_protocol::EvaluateDecisionRequest* request,
                                gateway_protocol::EvaluateDecisionResponse* response) override;
  grpc::Status DeployProcess(grpc::ServerContext* context,
                             const gateway_protocol::DeployProcessRequest* request,
                             gateway_protocol::DeployProcessResponse* response) override;
  grpc::Status DeployResource(grpc::ServerContext* context,
                              const gateway_protocol::DeployResourceRequest* request,
                              gateway_protocol::DeployResourceResponse* response) override;
  grpc::Status FailJob(grpc::ServerContext* context,
                       const gateway_protocol::FailJobRequest* request,
                       gateway_protocol::FailJobResponse* response) override;
  grpc::Status ThrowError(grpc::ServerContext* context,
                          const gateway_protocol::ThrowErrorRequest* request,
                          gateway_protocol::ThrowErrorResponse* response) override;
  grpc::Status PublishMessage(grpc::ServerContext* context,
                              const gateway_protocol::PublishMessageRequest* request,
                              gateway_protocol::PublishMessageResponse* response) override;
  grpc::Status ResolveIncident(grpc::ServerContext* context,
                               const gateway_protocol::ResolveIncidentRequest* request,
                               gateway_protocol::ResolveIncidentResponse* response) override;
  grpc::Status SetVariables(grpc::ServerContext* context,
                            const gateway_protocol::SetVariablesRequest* request,
                            gateway_protocol::SetVariablesResponse* response) override;
  grpc::Status UpdateJobRetries(grpc::ServerContext* context,
                                const gateway_protocol::UpdateJobRetriesRequest* request,
                                gateway_protocol::UpdateJobRetriesResponse* response) override;
  grpc::Status ModifyProcessInstance(
      grpc::ServerContext* context, const gateway_protocol::ModifyProcessInstanceRequest* request,
      gateway_protocol::ModifyProcessInstanceResponse* response) override;
  grpc::Status MigrateProcessInstance(
      grpc::ServerContext* context, const gateway_protocol::MigrateProcessInstanceRequest* request,
      gateway_protocol::MigrateProcessInstanceResponse* response) override;
  grpc::Status UpdateJobTimeout(grpc::ServerContext* context,
                                const gateway_protocol::UpdateJobTimeoutRequest* request,
                                gateway_protocol::UpdateJobTimeoutResponse* response) override;
  grpc::Status DeleteResource(grpc::ServerContext* context,
                              const gateway_protocol::DeleteResourceRequest* request,
                              gateway_protocol::DeleteResourceResponse* response) override;
  grpc::Status BroadcastSignal(grpc::ServerContext* context,
                               const gateway_protocol::BroadcastSignalRequest* request,
                               gateway_protocol::BroadcastSignalResponse* response) override;

 private:
  // Sends `request` to every partition, partition 1 first, and leaves partition 1's answer in
  // `first_response` (a rejection there is the client's answer). A failure on a later partition
  // is reported naming it and `what` ("distribute the deployment"); a retry is safe.
  grpc::Status execute_on_every_partition(grpc::ServerContext* context, std::string_view what,
                                          tern::command::BrokerRequest& request,
                                          tern::command::BrokerResponse& first_response);
  // Sends a key-addressed command to the key's partition.
  grpc::Status execute_by_key(grpc::ServerContext* context, std::int64_t key,
                              std::string_view key_name, tern::command::BrokerRequest& request,
                              tern::command::BrokerResponse& response);
  // One keyed RPC: the client's request goes into its slot of a BrokerRequest, is routed by the
  // key's partition, and the answer comes out of the matching slot of the BrokerResponse.
  template <typename Request, typename Response>
  grpc::Status route_by_key(grpc::ServerContext* context, std::int64_t key,
                            std::string_view key_name, const Request& request,
                            Request* (tern::command::BrokerRequest::*slot)(),
                            const Response& (tern::command::BrokerResponse::*answer)() const,
                            Response* response) {
    tern::command::BrokerRequest broker_request;
    *(broker_request.*slot)() = request;
    tern::command::BrokerResponse broker_response;
    grpc::Status status = execute_by_key(context, key, key_name, broker_request, broker_response);
    if (status.ok()) *response = (broker_response.*answer)();
    return status;
  }
  // Polls every partition once for up to `max_jobs` jobs; appends them. An error only when no
  // partition could be asked or a request was invalid.
  grpc::Status poll_jobs(const gateway_protocol::ActivateJobsRequest& request,
                         routing::CommandRouter::Clock::time_point deadline,
                         std::vector<gateway_protocol::ActivateJobsResponse>& batches);

  std::shared_ptr<const TopologySource> topology_;
  std::shared_ptr<routing::CommandRouter> router_;
};

}  // namespace tern::gateway
