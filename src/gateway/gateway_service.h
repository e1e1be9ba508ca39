#pragma once

// The gRPC service `gateway_protocol.Gateway`, Zeebe's client protocol, served by Tern's gateway.

#include <memory>

#include "gateway.grpc.pb.h"
#include "gateway/topology.h"

namespace tern::gateway {

// Implements every RPC of the 8.5 protocol. Topology answers from the TopologySource; RPCs that
// later issues implement answer UNIMPLEMENTED with a message naming the RPC, so that a client sees
// a clear refusal rather than a fake success. Stateless apart from the shared, thread-safe
// TopologySource, so gRPC may call it from any number of its worker threads at once.
class GatewayService final : public gateway_protocol::Gateway::Service {
 public:
  explicit GatewayService(std::shared_ptr<const TopologySource> topology);

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
  std::shared_ptr<const TopologySource> topology_;
};

}  // namespace tern::gateway
