#pragma once

// The gRPC service `gateway_protocol.Gateway`, Zeebe's client protocol, served by Tern's gateway.

#include <memory>
#include <string_view>
#include <vector>

#include "gateway.grpc.pb.h"
#include "gateway/routing/command_router.h"
#include "gateway/topology.h"

namespace tern::gateway {

namespace detail {
namespace gp = gateway_protocol;
// The RPCs served on gRPC's callback API: the ones a running workload calls for every instance
// and job, plus the other keyed commands (they share the keyed path). Each returns a reactor at
// once and is answered from the router's completion; the rest stay synchronous.
using GatewayBase = gp::Gateway::WithCallbackMethod_ActivateJobs<
    gp::Gateway::WithCallbackMethod_CreateProcessInstance<
        gp::Gateway::WithCallbackMethod_CreateProcessInstanceWithResult<
            gp::Gateway::WithCallbackMethod_CompleteJob<gp::Gateway::WithCallbackMethod_FailJob<
                gp::Gateway::WithCallbackMethod_PublishMessage<
                    gp::Gateway::WithCallbackMethod_ThrowError<
                        gp::Gateway::WithCallbackMethod_CancelProcessInstance<
                            gp::Gateway::WithCallbackMethod_UpdateJobRetries<
                                gp::Gateway::WithCallbackMethod_UpdateJobTimeout<
                                    gp::Gateway::WithCallbackMethod_SetVariables<
                                        gp::Gateway::WithCallbackMethod_ResolveIncident<
                                            gp::Gateway::Service>>>>>>>>>>>>;
}  // namespace detail

// Implements every RPC of the 8.5 protocol. Topology answers from the TopologySource; commands go
// through the CommandRouter to partition leaders (gateway_commands.cc, gateway_jobs.cc); RPCs
// the engine does not support yet answer UNIMPLEMENTED with a message naming the RPC, so that a
// client sees a clear refusal rather than a fake success.
//
// The RPCs of detail::GatewayBase use the callback API: a handler starts the routing and returns;
// the router's completion answers the call (unary_call.h), so a call in flight holds no thread.
// Their completions capture the router and the call, never the service, so a completion that
// arrives after the server stopped touches nothing gone. The synchronous RPCs run on gRPC's sync
// threads as before. Stateless apart from the shared, thread-safe TopologySource and
// CommandRouter.
class GatewayService final : public detail::GatewayBase {
 public:
  // Without a router, one is made over `topology` (brokers' command API addresses).
  explicit GatewayService(std::shared_ptr<const TopologySource> topology,
                          std::shared_ptr<routing::CommandRouter> router = nullptr);

  grpc::Status Topology(grpc::ServerContext* context,
                        const gateway_protocol::TopologyRequest* request,
                        gateway_protocol::TopologyResponse* response) override;

  grpc::ServerWriteReactor<gateway_protocol::ActivateJobsResponse>* ActivateJobs(
      grpc::CallbackServerContext* context,
      const gateway_protocol::ActivateJobsRequest* request) override;
  grpc::Status StreamActivatedJobs(
      grpc::ServerContext* context, const gateway_protocol::StreamActivatedJobsRequest* request,
      grpc::ServerWriter<gateway_protocol::ActivatedJob>* writer) override;
  grpc::ServerUnaryReactor* CancelProcessInstance(
      grpc::CallbackServerContext* context,
      const gateway_protocol::CancelProcessInstanceRequest* request,
      gateway_protocol::CancelProcessInstanceResponse* response) override;
  grpc::ServerUnaryReactor* CompleteJob(grpc::CallbackServerContext* context,
                                        const gateway_protocol::CompleteJobRequest* request,
                                        gateway_protocol::CompleteJobResponse* response) override;
  grpc::ServerUnaryReactor* CreateProcessInstance(
      grpc::CallbackServerContext* context,
      const gateway_protocol::CreateProcessInstanceRequest* request,
      gateway_protocol::CreateProcessInstanceResponse* response) override;
  grpc::ServerUnaryReactor* CreateProcessInstanceWithResult(
      grpc::CallbackServerContext* context,
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
  grpc::ServerUnaryReactor* FailJob(grpc::CallbackServerContext* context,
                                    const gateway_protocol::FailJobRequest* request,
                                    gateway_protocol::FailJobResponse* response) override;
  grpc::ServerUnaryReactor* ThrowError(grpc::CallbackServerContext* context,
                                       const gateway_protocol::ThrowErrorRequest* request,
                                       gateway_protocol::ThrowErrorResponse* response) override;
  grpc::ServerUnaryReactor* PublishMessage(
      grpc::CallbackServerContext* context, const gateway_protocol::PublishMessageRequest* request,
      gateway_protocol::PublishMessageResponse* response) override;
  grpc::ServerUnaryReactor* ResolveIncident(
      grpc::CallbackServerContext* context, const gateway_protocol::ResolveIncidentRequest* request,
      gateway_protocol::ResolveIncidentResponse* response) override;
  grpc::ServerUnaryReactor* SetVariables(grpc::CallbackServerContext* context,
                                         const gateway_protocol::SetVariablesRequest* request,
                                         gateway_protocol::SetVariablesResponse* response) override;
  grpc::ServerUnaryReactor* UpdateJobRetries(
      grpc::CallbackServerContext* context,
      const gateway_protocol::UpdateJobRetriesRequest* request,
      gateway_protocol::UpdateJobRetriesResponse* response) override;
  grpc::Status ModifyProcessInstance(
      grpc::ServerContext* context, const gateway_protocol::ModifyProcessInstanceRequest* request,
      gateway_protocol::ModifyProcessInstanceResponse* response) override;
  grpc::Status MigrateProcessInstance(
      grpc::ServerContext* context, const gateway_protocol::MigrateProcessInstanceRequest* request,
      gateway_protocol::MigrateProcessInstanceResponse* response) override;
  grpc::ServerUnaryReactor* UpdateJobTimeout(
      grpc::CallbackServerContext* context,
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
  // One keyed RPC: the client's request goes into its slot of a BrokerRequest, is routed to the
  // key's partition, and the answer comes out of the matching slot of the BrokerResponse.
  template <typename Request, typename Response>
  grpc::ServerUnaryReactor* route_by_key(grpc::CallbackServerContext* context, std::int64_t key,
                                         std::string_view key_name, const Request& request,
                                         Request* (tern::command::BrokerRequest::*slot)(),
                                         const Response& (tern::command::BrokerResponse::*answer)()
                                             const,
                                         Response* response);

  std::shared_ptr<const TopologySource> topology_;
  std::shared_ptr<routing::CommandRouter> router_;
};

}  // namespace tern::gateway
