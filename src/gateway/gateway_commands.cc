// GatewayService: the unary commands, routed to partition leaders through the CommandRouter.
// Routing rules (Zeebe's): deployments go to every partition (partition 1 first, whose answer
// the client gets); new instances round-robin, moving on to the next partition when one is
// exhausted; keys to the partition in their upper bits; messages by correlation-key hash.

#include <string>
#include <utility>

#include "gateway/gateway_service.h"
#include "gateway/routing/error_mapping.h"

namespace tern::gateway {

namespace gp = gateway_protocol;
namespace tc = tern::command;
using routing::CommandRouter;

namespace {

grpc::Status key_not_found(std::string_view key_name, std::int64_t key, std::int32_t partition,
                           std::int32_t count) {
  return grpc::Status(grpc::StatusCode::NOT_FOUND,
                      "Expected to find an entity with " + std::string(key_name) + " '"
                          + std::to_string(key) + "', but its partition "
                          + std::to_string(partition)
                          + " is not one of the cluster's partitions 1.." + std::to_string(count));
}

}  // namespace

grpc::Status GatewayService::execute_by_key(grpc::ServerContext* context, std::int64_t key,
                                            std::string_view key_name, tc::BrokerRequest& request,
                                            tc::BrokerResponse& response) {
  const std::int32_t count = router_->partition_count();
  if (count < 1) return routing::no_topology();
  const std::int32_t partition = routing::partition_of_key(key);
  if (partition < 1 || partition > count) return key_not_found(key_name, key, partition, count);
  request.set_partition_id(partition);
  return router_->execute(request, router_->deadline_for(*context), response);
}

grpc::Status GatewayService::execute_on_every_partition(grpc::ServerContext* context,
                                                        std::string_view what,
                                                        tc::BrokerRequest& request,
                                                        tc::BrokerResponse& first_response) {
  const std::int32_t count = router_->partition_count();
  if (count < 1) return routing::no_topology();
  const auto deadline = router_->deadline_for(*context);
  tc::BrokerResponse response;
  for (std::int32_t partition = 1; partition <= count; ++partition) {
    request.set_partition_id(partition);
    grpc::Status status = router_->execute(request, deadline, response);
    if (!status.ok()) {
      if (partition == 1) return status;
      return grpc::Status(status.error_code(),
                          "Expected to " + std::string(what) + " to every partition, but partition "
                              + std::to_string(partition) + " failed: " + status.error_message());
    }
    if (partition == 1) first_response = response;
  }
  return grpc::Status::OK;
}

grpc::Status GatewayService::DeployResource(grpc::ServerContext* context,
                                            const gp::DeployResourceRequest* request,
                                            gp::DeployResourceResponse* response) {
  if (request->resources().empty()) {
    return routing::invalid_argument("resources",
                                     "to contain at least one resource, but none given");
  }
  tc::BrokerRequest broker_request;
  *broker_request.mutable_deploy_resource() = *request;
  tc::BrokerResponse broker_response;
  // The engine deploys per partition; the gateway distributes. A partition that has the resource
  // already answers it as a duplicate, so a retry after a failure part-way is safe.
  grpc::Status status = execute_on_every_partition(context, "distribute the deployment",
                                                   broker_request, broker_response);
  if (status.ok()) *response = broker_response.deploy_resource();
  return status;
}

grpc::Status GatewayService::DeployProcess(grpc::ServerContext* context,
                                           const gp::DeployProcessRequest* request,
                                           gp::DeployProcessResponse* response) {
  gp::DeployResourceRequest resources;
  for (const auto& process : request->processes()) {
    auto* resource = resources.add_resources();
    resource->set_name(process.name());
    resource->set_content(process.definition());
  }
  gp::DeployResourceResponse deployed;
  grpc::Status status = DeployResource(context, &resources, &deployed);
  if (!status.ok()) return status;
  response->set_key(deployed.key());
  for (const auto& deployment : deployed.deployments()) {
    if (deployment.has_process()) *response->add_processes() = deployment.process();
  }
  return grpc::Status::OK;
}

grpc::Status GatewayService::CreateProcessInstance(grpc::ServerContext* context,
                                                   const gp::CreateProcessInstanceRequest* request,
                                                   gp::CreateProcessInstanceResponse* response) {
  const std::int32_t count = router_->partition_count();
  if (count < 1) return routing::no_topology();
  const auto deadline = router_->deadline_for(*context);
  tc::BrokerRequest broker_request;
  *broker_request.mutable_create_process_instance() = *request;
  tc::BrokerResponse broker_response;
  if (request->processdefinitionkey() > 0) {
    // Definition keys are per partition (each partition deploys on its own): the key's partition.
    grpc::Status status = execute_by_key(context, request->processdefinitionkey(),
                                         "processDefinitionKey", broker_request, broker_response);
    if (status.ok()) *response = broker_response.create_process_instance();
    return status;
  }
  const std::int32_t first = router_->round_robin().next(count);
  for (std::int32_t i = 0; i < count; ++i) {
    broker_request.set_partition_id((first - 1 + i) % count + 1);
    grpc::Status status = router_->execute(broker_request, deadline, broker_response);
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) continue;
    if (status.ok()) *response = broker_response.create_process_instance();
    return status;
  }
  return routing::all_partitions_exhausted();
}

grpc::Status GatewayService::CreateProcessInstanceWithResult(
    grpc::ServerContext* context, const gp::CreateProcessInstanceWithResultRequest* request,
    gp::CreateProcessInstanceWithResultResponse* response) {
  const std::int32_t count = router_->partition_count();
  if (count < 1) return routing::no_topology();
  // The client's requestTimeout bounds the wait for the result (0: the default), and the
  // client's own deadline bounds everything.
  auto deadline =
      request->requesttimeout() > 0
          ? router_->deadline_after(std::chrono::milliseconds(request->requesttimeout()))
          : router_->deadline_for(*context);
  deadline = std::min(deadline, context->deadline());
  tc::BrokerRequest broker_request;
  *broker_request.mutable_create_process_instance_with_result() = *request;
  tc::BrokerResponse broker_response;
  const auto& create = request->request();
  if (create.processdefinitionkey() > 0) {
    const std::int32_t partition = routing::partition_of_key(create.processdefinitionkey());
    if (partition < 1 || partition > count) {
      return key_not_found("processDefinitionKey", create.processdefinitionkey(), partition, count);
    }
    broker_request.set_partition_id(partition);
    grpc::Status status = router_->execute(broker_request, deadline, broker_response);
    if (status.ok()) *response = broker_response.create_process_instance_with_result();
    return status;
  }
  const std::int32_t first = router_->round_robin().next(count);
  for (std::int32_t i = 0; i < count; ++i) {
    broker_request.set_partition_id((first - 1 + i) % count + 1);
    grpc::Status status = router_->execute(broker_request, deadline, broker_response);
    if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) continue;
    if (status.ok()) *response = broker_response.create_process_instance_with_result();
    return status;
  }
  return routing::all_partitions_exhausted();
}

grpc::Status GatewayService::CancelProcessInstance(grpc::ServerContext* context,
                                                   const gp::CancelProcessInstanceRequest* request,
                                                   gp::CancelProcessInstanceResponse* response) {
  return route_by_key(context, request->processinstancekey(), "processInstanceKey", *request,
                      &tc::BrokerRequest::mutable_cancel_process_instance,
                      &tc::BrokerResponse::cancel_process_instance, response);
}

grpc::Status GatewayService::CompleteJob(grpc::ServerContext* context,
                                         const gp::CompleteJobRequest* request,
                                         gp::CompleteJobResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_complete_job, &tc::BrokerResponse::complete_job,
                      response);
}

grpc::Status GatewayService::FailJob(grpc::ServerContext* context,
                                     const gp::FailJobRequest* request,
                                     gp::FailJobResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_fail_job, &tc::BrokerResponse::fail_job,
                      response);
}

grpc::Status GatewayService::ThrowError(grpc::ServerContext* context,
                                        const gp::ThrowErrorRequest* request,
                                        gp::ThrowErrorResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_throw_error, &tc::BrokerResponse::throw_error,
                      response);
}

grpc::Status GatewayService::UpdateJobRetries(grpc::ServerContext* context,
                                              const gp::UpdateJobRetriesRequest* request,
                                              gp::UpdateJobRetriesResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_update_job_retries,
                      &tc::BrokerResponse::update_job_retries, response);
}

grpc::Status GatewayService::UpdateJobTimeout(grpc::ServerContext* context,
                                              const gp::UpdateJobTimeoutRequest* request,
                                              gp::UpdateJobTimeoutResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_update_job_timeout,
                      &tc::BrokerResponse::update_job_timeout, response);
}

grpc::Status GatewayService::SetVariables(grpc::ServerContext* context,
                                          const gp::SetVariablesRequest* request,
                                          gp::SetVariablesResponse* response) {
  return route_by_key(context, request->elementinstancekey(), "elementInstanceKey", *request,
                      &tc::BrokerRequest::mutable_set_variables, &tc::BrokerResponse::set_variables,
                      response);
}

grpc::Status GatewayService::ResolveIncident(grpc::ServerContext* context,
                                             const gp::ResolveIncidentRequest* request,
                                             gp::ResolveIncidentResponse* response) {
  return route_by_key(context, request->incidentkey(), "incidentKey", *request,
                      &tc::BrokerRequest::mutable_resolve_incident,
                      &tc::BrokerResponse::resolve_incident, response);
}

grpc::Status GatewayService::PublishMessage(grpc::ServerContext* context,
                                            const gp::PublishMessageRequest* request,
                                            gp::PublishMessageResponse* response) {
  if (request->name().empty()) {
    return routing::invalid_argument("name", "to be present, but it was blank");
  }
  const std::int32_t count = router_->partition_count();
  if (count < 1) return routing::no_topology();
  tc::BrokerRequest broker_request;
  *broker_request.mutable_publish_message() = *request;
  broker_request.set_partition_id(
      routing::partition_for_correlation_key(request->correlationkey(), count));
  tc::BrokerResponse broker_response;
  grpc::Status status =
      router_->execute(broker_request, router_->deadline_for(*context), broker_response);
  if (status.ok()) *response = broker_response.publish_message();
  return status;
}

grpc::Status GatewayService::BroadcastSignal(grpc::ServerContext* context,
                                             const gp::BroadcastSignalRequest* request,
                                             gp::BroadcastSignalResponse* response) {
  if (request->signalname().empty()) {
    return routing::invalid_argument("signalName", "to be present, but it was blank");
  }
  tc::BrokerRequest broker_request;
  *broker_request.mutable_broadcast_signal() = *request;
  tc::BrokerResponse broker_response;
  // A signal reaches the subscriptions of every partition; the client may broadcast again after
  // a failure part-way.
  grpc::Status status =
      execute_on_every_partition(context, "broadcast the signal", broker_request, broker_response);
  if (status.ok()) *response = broker_response.broadcast_signal();
  return status;
}

}  // namespace tern::gateway
