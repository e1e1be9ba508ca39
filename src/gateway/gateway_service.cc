#include "gateway/gateway_service.h"

#include <string>
#include <string_view>
#include <utility>

#include "gateway/topology_codec.h"

namespace tern::gateway {
namespace {

namespace gp = gateway_protocol;

// The answer of every RPC a later issue implements. UNIMPLEMENTED (not UNAVAILABLE) tells clients
// with retry policies that retrying is pointless.
grpc::Status not_implemented(std::string_view rpc) {
  return grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                      std::string(rpc) + " is not implemented yet in Tern");
}

}  // namespace

GatewayService::GatewayService(std::shared_ptr<const TopologySource> topology)
    : topology_(std::move(topology)) {}

grpc::Status GatewayService::Topology(grpc::ServerContext*, const gp::TopologyRequest*,
                                      gp::TopologyResponse* response) {
  *response = to_topology_response(topology_->current());
  return grpc::Status::OK;
}

grpc::Status GatewayService::ActivateJobs(grpc::ServerContext*, const gp::ActivateJobsRequest*,
                                          grpc::ServerWriter<gp::ActivateJobsResponse>*) {
  return not_implemented("ActivateJobs");
}

grpc::Status GatewayService::StreamActivatedJobs(grpc::ServerContext*,
                                                 const gp::StreamActivatedJobsRequest*,
                                                 grpc::ServerWriter<gp::ActivatedJob>*) {
  return not_implemented("StreamActivatedJobs");
}

grpc::Status GatewayService::CancelProcessInstance(grpc::ServerContext*,
                                                   const gp::CancelProcessInstanceRequest*,
                                                   gp::CancelProcessInstanceResponse*) {
  return not_implemented("CancelProcessInstance");
}

grpc::Status GatewayService::CompleteJob(grpc::ServerContext*, const gp::CompleteJobRequest*,
                                         gp::CompleteJobResponse*) {
  return not_implemented("CompleteJob");
}

grpc::Status GatewayService::CreateProcessInstance(grpc::ServerContext*,
                                                   const gp::CreateProcessInstanceRequest*,
                                                   gp::CreateProcessInstanceResponse*) {
  return not_implemented("CreateProcessInstance");
}

grpc::Status GatewayService::CreateProcessInstanceWithResult(
    grpc::ServerContext*, const gp::CreateProcessInstanceWithResultRequest*,
    gp::CreateProcessInstanceWithResultResponse*) {
  return not_implemented("CreateProcessInstanceWithResult");
}

grpc::Status GatewayService::EvaluateDecision(grpc::ServerContext*,
                                              const gp::EvaluateDecisionRequest*,
                                              gp::EvaluateDecisionResponse*) {
  return not_implemented("EvaluateDecision");
}

grpc::Status GatewayService::DeployProcess(grpc::ServerContext*, const gp::DeployProcessRequest*,
                                           gp::DeployProcessResponse*) {
  return not_implemented("DeployProcess");
}

grpc::Status GatewayService::DeployResource(grpc::ServerContext*, const gp::DeployResourceRequest*,
                                            gp::DeployResourceResponse*) {
  return not_implemented("DeployResource");
}

grpc::Status GatewayService::FailJob(grpc::ServerContext*, const gp::FailJobRequest*,
                                     gp::FailJobResponse*) {
  return not_implemented("FailJob");
}

grpc::Status GatewayService::ThrowError(grpc::ServerContext*, const gp::ThrowErrorRequest*,
                                        gp::ThrowErrorResponse*) {
  return not_implemented("ThrowError");
}

grpc::Status GatewayService::PublishMessage(grpc::ServerContext*, const gp::PublishMessageRequest*,
                                            gp::PublishMessageResponse*) {
  return not_implemented("PublishMessage");
}

grpc::Status GatewayService::ResolveIncident(grpc::ServerContext*,
                                             const gp::ResolveIncidentRequest*,
                                             gp::ResolveIncidentResponse*) {
  return not_implemented("ResolveIncident");
}

grpc::Status GatewayService::SetVariables(grpc::ServerContext*, const gp::SetVariablesRequest*,
                                          gp::SetVariablesResponse*) {
  return not_implemented("SetVariables");
}

grpc::Status GatewayService::UpdateJobRetries(grpc::ServerContext*,
                                              const gp::UpdateJobRetriesRequest*,
                                              gp::UpdateJobRetriesResponse*) {
  return not_implemented("UpdateJobRetries");
}

grpc::Status GatewayService::ModifyProcessInstance(grpc::ServerContext*,
                                                   const gp::ModifyProcessInstanceRequest*,
                                                   gp::ModifyProcessInstanceResponse*) {
  return not_implemented("ModifyProcessInstance");
}

grpc::Status GatewayService::MigrateProcessInstance(grpc::ServerContext*,
                                                    const gp::MigrateProcessInstanceRequest*,
                                                    gp::MigrateProcessInstanceResponse*) {
  return not_implemented("MigrateProcessInstance");
}

grpc::Status GatewayService::UpdateJobTimeout(grpc::ServerContext*,
                                              const gp::UpdateJobTimeoutRequest*,
                                              gp::UpdateJobTimeoutResponse*) {
  return not_implemented("UpdateJobTimeout");
}

grpc::Status GatewayService::DeleteResource(grpc::ServerContext*, const gp::DeleteResourceRequest*,
                                            gp::DeleteResourceResponse*) {
  return not_implemented("DeleteResource");
}

grpc::Status GatewayService::BroadcastSignal(grpc::ServerContext*,
                                             const gp::BroadcastSignalRequest*,
                                             gp::BroadcastSignalResponse*) {
  return not_implemented("BroadcastSignal");
}

}  // namespace tern::gateway
