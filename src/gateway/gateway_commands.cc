// GatewayService: the unary commands, routed to partition leaders through the CommandRouter.
// Routing rules (Zeebe's): deployments go to every partition (partition 1 first, whose answer
// the client gets); new instances round-robin, moving on to the next partition when one is
// exhausted; keys to the partition in their upper bits; messages by correlation-key hash.
// The keyed commands, instance creation and PublishMessage are callback-API handlers: they start
// the routing and return; the router's completion answers (UnaryCall). Deployments and signals,
// rare and sent to every partition in turn, stay synchronous.

#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "gateway/gateway_service.h"
#include "gateway/routing/error_mapping.h"
#include "gateway/unary_call.h"

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

// Addresses `request` to the partition in `key`'s upper bits; the error when there is none.
std::optional<grpc::Status> address_by_key(const CommandRouter& router, std::int64_t key,
                                           std::string_view key_name, tc::BrokerRequest& request) {
  const std::int32_t count = router.partition_count();
  if (count < 1) return routing::no_topology();
  const std::int32_t partition = routing::partition_of_key(key);
  if (partition < 1 || partition > count) return key_not_found(key_name, key, partition, count);
  request.set_partition_id(partition);
  return std::nullopt;
}

// A new instance's way round the partitions: the round-robin's next one first, moving on to the
// next while a partition answers RESOURCE_EXHAUSTED (back-pressure), each attempt started from
// the previous one's completion.
class RoundRobinCreation : public std::enable_shared_from_this<RoundRobinCreation> {
 public:
  RoundRobinCreation(std::shared_ptr<CommandRouter> router, tc::BrokerRequest request,
                     std::int32_t count, CommandRouter::Clock::time_point deadline,
                     CommandRouter::SingleCompletion done)
      : router_(std::move(router)),
        request_(std::move(request)),
        count_(count),
        first_(router_->round_robin().next(count)),
        deadline_(deadline),
        done_(std::move(done)) {}

  void next() {
    if (tried_ == count_) return done_(routing::all_partitions_exhausted(), {});
    request_.set_partition_id((first_ - 1 + tried_) % count_ + 1);
    ++tried_;
    router_->execute_async(
        request_, deadline_,
        [self = shared_from_this()](grpc::Status status, tc::BrokerResponse response) {
          if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
            return self->next();
          }
          self->done_(std::move(status), std::move(response));
        });
  }

 private:
  const std::shared_ptr<CommandRouter> router_;
  tc::BrokerRequest request_;
  const std::int32_t count_;
  const std::int32_t first_;
  const CommandRouter::Clock::time_point deadline_;
  CommandRouter::SingleCompletion done_;
  std::int32_t tried_ = 0;
};

// Starts a creation: on the definition key's partition when the request names one (definition
// keys are per partition, each partition deploys on its own), else round-robin.
void start_creation(const std::shared_ptr<CommandRouter>& router, tc::BrokerRequest request,
                    std::int64_t definition_key, std::int32_t count,
                    CommandRouter::Clock::time_point deadline,
                    CommandRouter::SingleCompletion done) {
  if (definition_key > 0) {
    if (auto error = address_by_key(*router, definition_key, "processDefinitionKey", request)) {
      done(std::move(*error), tc::BrokerResponse());
      return;
    }
    router->execute_async(std::move(request), deadline, std::move(done));
    return;
  }
  std::make_shared<RoundRobinCreation>(router, std::move(request), count, deadline, std::move(done))
      ->next();
}

}  // namespace

template <typename Request, typename Response>
grpc::ServerUnaryReactor* GatewayService::route_by_key(
    grpc::CallbackServerContext* context, std::int64_t key, std::string_view key_name,
    const Request& request, Request* (tc::BrokerRequest::*slot)(),
    const Response& (tc::BrokerResponse::*answer)() const, Response* response) {
  auto call = UnaryCall<Response>::start(response);
  tc::BrokerRequest broker_request;
  *(broker_request.*slot)() = request;
  if (auto error = address_by_key(*router_, key, key_name, broker_request)) {
    call->answer(std::move(*error));
    return call.get();
  }
  router_->execute_async(std::move(broker_request), router_->deadline_for(*context),
                         [call, answer](grpc::Status status, tc::BrokerResponse broker_response) {
                           call->answer(std::move(status),
                                        [&](Response& out) { out = (broker_response.*answer)(); });
                         });
  return call.get();
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

grpc::ServerUnaryReactor* GatewayService::CreateProcessInstance(
    grpc::CallbackServerContext* context, const gp::CreateProcessInstanceRequest* request,
    gp::CreateProcessInstanceResponse* response) {
  auto call = UnaryCall<gp::CreateProcessInstanceResponse>::start(response);
  auto done = [call](grpc::Status status, tc::BrokerResponse broker_response) {
    call->answer(std::move(status), [&](gp::CreateProcessInstanceResponse& out) {
      out = std::move(*broker_response.mutable_create_process_instance());
    });
  };
  const std::int32_t count = router_->partition_count();
  if (count < 1) return call->answer(routing::no_topology()), call.get();
  const auto deadline = router_->deadline_for(*context);
  tc::BrokerRequest broker_request;
  *broker_request.mutable_create_process_instance() = *request;
  start_creation(router_, std::move(broker_request), request->processdefinitionkey(), count,
                 deadline, std::move(done));
  return call.get();
}

grpc::ServerUnaryReactor* GatewayService::CreateProcessInstanceWithResult(
    grpc::CallbackServerContext* context, const gp::CreateProcessInstanceWithResultRequest* request,
    gp::CreateProcessInstanceWithResultResponse* response) {
  auto call = UnaryCall<gp::CreateProcessInstanceWithResultResponse>::start(response);
  auto done = [call](grpc::Status status, tc::BrokerResponse broker_response) {
    call->answer(std::move(status), [&](gp::CreateProcessInstanceWithResultResponse& out) {
      out = std::move(*broker_response.mutable_create_process_instance_with_result());
    });
  };
  const std::int32_t count = router_->partition_count();
  if (count < 1) return call->answer(routing::no_topology()), call.get();
  // The client's requestTimeout bounds the wait for the result (0: the default), and the
  // client's own deadline bounds everything.
  auto deadline =
      request->requesttimeout() > 0
          ? router_->deadline_after(std::chrono::milliseconds(request->requesttimeout()))
          : router_->deadline_for(*context);
  deadline = std::min(deadline, context->deadline());
  tc::BrokerRequest broker_request;
  *broker_request.mutable_create_process_instance_with_result() = *request;
  start_creation(router_, std::move(broker_request), request->request().processdefinitionkey(),
                 count, deadline, std::move(done));
  return call.get();
}

grpc::ServerUnaryReactor* GatewayService::CancelProcessInstance(
    grpc::CallbackServerContext* context, const gp::CancelProcessInstanceRequest* request,
    gp::CancelProcessInstanceResponse* response) {
  return route_by_key(context, request->processinstancekey(), "processInstanceKey", *request,
                      &tc::BrokerRequest::mutable_cancel_process_instance,
                      &tc::BrokerResponse::cancel_process_instance, response);
}

grpc::ServerUnaryReactor* GatewayService::CompleteJob(grpc::CallbackServerContext* context,
                                                      const gp::CompleteJobRequest* request,
                                                      gp::CompleteJobResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_complete_job, &tc::BrokerResponse::complete_job,
                      response);
}

grpc::ServerUnaryReactor* GatewayService::FailJob(grpc::CallbackServerContext* context,
                                                  const gp::FailJobRequest* request,
                                                  gp::FailJobResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_fail_job, &tc::BrokerResponse::fail_job,
                      response);
}

grpc::ServerUnaryReactor* GatewayService::ThrowError(grpc::CallbackServerContext* context,
                                                     const gp::ThrowErrorRequest* request,
                                                     gp::ThrowErrorResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_throw_error, &tc::BrokerResponse::throw_error,
                      response);
}

grpc::ServerUnaryReactor* GatewayService::UpdateJobRetries(
    grpc::CallbackServerContext* context, const gp::UpdateJobRetriesRequest* request,
    gp::UpdateJobRetriesResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_update_job_retries,
                      &tc::BrokerResponse::update_job_retries, response);
}

grpc::ServerUnaryReactor* GatewayService::UpdateJobTimeout(
    grpc::CallbackServerContext* context, const gp::UpdateJobTimeoutRequest* request,
    gp::UpdateJobTimeoutResponse* response) {
  return route_by_key(context, request->jobkey(), "jobKey", *request,
                      &tc::BrokerRequest::mutable_update_job_timeout,
                      &tc::BrokerResponse::update_job_timeout, response);
}

grpc::ServerUnaryReactor* GatewayService::SetVariables(grpc::CallbackServerContext* context,
                                                       const gp::SetVariablesRequest* request,
                                                       gp::SetVariablesResponse* response) {
  return route_by_key(context, request->elementinstancekey(), "elementInstanceKey", *request,
                      &tc::BrokerRequest::mutable_set_variables, &tc::BrokerResponse::set_variables,
                      response);
}

grpc::ServerUnaryReactor* GatewayService::ResolveIncident(grpc::CallbackServerContext* context,
                                                          const gp::ResolveIncidentRequest* request,
                                                          gp::ResolveIncidentResponse* response) {
  return route_by_key(context, request->incidentkey(), "incidentKey", *request,
                      &tc::BrokerRequest::mutable_resolve_incident,
                      &tc::BrokerResponse::resolve_incident, response);
}

grpc::ServerUnaryReactor* GatewayService::PublishMessage(grpc::CallbackServerContext* context,
                                                         const gp::PublishMessageRequest* request,
                                                         gp::PublishMessageResponse* response) {
  auto call = UnaryCall<gp::PublishMessageResponse>::start(response);
  if (request->name().empty()) {
    call->answer(routing::invalid_argument("name", "to be present, but it was blank"));
    return call.get();
  }
  const std::int32_t count = router_->partition_count();
  if (count < 1) return call->answer(routing::no_topology()), call.get();
  tc::BrokerRequest broker_request;
  *broker_request.mutable_publish_message() = *request;
  broker_request.set_partition_id(
      routing::partition_for_correlation_key(request->correlationkey(), count));
  router_->execute_async(std::move(broker_request), router_->deadline_for(*context),
                         [call](grpc::Status status, tc::BrokerResponse broker_response) {
                           call->answer(std::move(status), [&](gp::PublishMessageResponse& out) {
                             out = std::move(*broker_response.mutable_publish_message());
                           });
                         });
  return call.get();
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
