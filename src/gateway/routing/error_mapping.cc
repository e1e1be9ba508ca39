#include "gateway/routing/error_mapping.h"

namespace tern::gateway::routing {

namespace tc = tern::command;

namespace {

std::string_view rejection_name(tc::RejectionType type) {
  switch (type) {
    case tc::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case tc::NOT_FOUND:
      return "NOT_FOUND";
    case tc::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case tc::INVALID_STATE:
      return "INVALID_STATE";
    case tc::PROCESSING_ERROR:
      return "PROCESSING_ERROR";
    case tc::EXCEEDED_BATCH_RECORD_SIZE:
      return "EXCEEDED_BATCH_RECORD_SIZE";
    default:
      break;
  }
  return "NULL_VAL";
}

grpc::StatusCode rejection_code(tc::RejectionType type) {
  switch (type) {
    case tc::INVALID_ARGUMENT:
    case tc::EXCEEDED_BATCH_RECORD_SIZE:
      return grpc::StatusCode::INVALID_ARGUMENT;
    case tc::NOT_FOUND:
      return grpc::StatusCode::NOT_FOUND;
    case tc::ALREADY_EXISTS:
      return grpc::StatusCode::ALREADY_EXISTS;
    case tc::INVALID_STATE:
      return grpc::StatusCode::FAILED_PRECONDITION;
    default:
      break;
  }
  return grpc::StatusCode::INTERNAL;
}

}  // namespace

std::string_view command_intent(const tc::BrokerRequest& request) {
  switch (request.command_case()) {
    case tc::BrokerRequest::kDeployResource:
    case tc::BrokerRequest::kCreateProcessInstance:
      return "CREATE";
    case tc::BrokerRequest::kCreateProcessInstanceWithResult:
      return "CREATE_WITH_AWAITING_RESULT";
    case tc::BrokerRequest::kCancelProcessInstance:
      return "CANCEL";
    case tc::BrokerRequest::kActivateJobs:
      return "ACTIVATE";
    case tc::BrokerRequest::kCompleteJob:
      return "COMPLETE";
    case tc::BrokerRequest::kFailJob:
      return "FAIL";
    case tc::BrokerRequest::kThrowError:
      return "THROW_ERROR";
    case tc::BrokerRequest::kUpdateJobRetries:
      return "UPDATE_RETRIES";
    case tc::BrokerRequest::kUpdateJobTimeout:
      return "UPDATE_TIMEOUT";
    case tc::BrokerRequest::kSetVariables:
      return "UPDATE";
    case tc::BrokerRequest::kResolveIncident:
      return "RESOLVE";
    case tc::BrokerRequest::kPublishMessage:
      return "PUBLISH";
    case tc::BrokerRequest::kBroadcastSignal:
      return "BROADCAST";
    case tc::BrokerRequest::COMMAND_NOT_SET:
      break;
  }
  return "UNKNOWN";
}

std::string_view rpc_name(const tc::BrokerRequest& request) {
  switch (request.command_case()) {
    case tc::BrokerRequest::kDeployResource:
      return "DeployResource";
    case tc::BrokerRequest::kCreateProcessInstance:
      return "CreateProcessInstance";
    case tc::BrokerRequest::kCreateProcessInstanceWithResult:
      return "CreateProcessInstanceWithResult";
    case tc::BrokerRequest::kCancelProcessInstance:
      return "CancelProcessInstance";
    case tc::BrokerRequest::kActivateJobs:
      return "ActivateJobs";
    case tc::BrokerRequest::kCompleteJob:
      return "CompleteJob";
    case tc::BrokerRequest::kFailJob:
      return "FailJob";
    case tc::BrokerRequest::kThrowError:
      return "ThrowError";
    case tc::BrokerRequest::kUpdateJobRetries:
      return "UpdateJobRetries";
    case tc::BrokerRequest::kUpdateJobTimeout:
      return "UpdateJobTimeout";
    case tc::BrokerRequest::kSetVariables:
      return "SetVariables";
    case tc::BrokerRequest::kResolveIncident:
      return "ResolveIncident";
    case tc::BrokerRequest::kPublishMessage:
      return "PublishMessage";
    case tc::BrokerRequest::kBroadcastSignal:
      return "BroadcastSignal";
    case tc::BrokerRequest::COMMAND_NOT_SET:
      break;
  }
  return "Unknown";
}

grpc::Status to_grpc_status(const tc::BrokerRequest& request, const tc::BrokerResponse& response) {
  switch (response.status()) {
    case tc::OK:
      return grpc::Status::OK;
    case tc::REJECTED:
      return grpc::Status(rejection_code(response.rejection_type()),
                          "Command '" + std::string(command_intent(request))
                              + "' rejected with code '"
                              + std::string(rejection_name(response.rejection_type()))
                              + "': " + response.message());
    case tc::RESOURCE_EXHAUSTED:
      return exhausted(request.partition_id());
    case tc::TIMEOUT:
      return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                          "Time out between gateway and broker: " + response.message());
    case tc::INVALID:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, response.message());
    case tc::UNSUPPORTED:
      return grpc::Status(grpc::StatusCode::UNIMPLEMENTED, response.message());
    case tc::NOT_LEADER:
    case tc::UNAVAILABLE:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                          "Expected to execute the command on partition "
                              + std::to_string(request.partition_id())
                              + ", but the broker could not serve it: " + response.message());
    default:
      break;
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "Unexpected response status from the broker for "
                                                      + std::string(rpc_name(request)));
}

grpc::Status no_leader(std::int32_t partition) {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "Expected to execute command on partition " + std::to_string(partition)
                          + ", but either it does not exist, or the gateway is not yet aware of "
                            "it (no leader known)");
}

grpc::Status no_topology() {
  return grpc::Status(grpc::StatusCode::UNAVAILABLE,
                      "Expected to route the request to a partition, but the gateway does not "
                      "know the cluster's topology yet");
}

grpc::Status exhausted(std::int32_t partition) {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "Expected to handle gRPC request, but request was rejected due to "
                      "exceeding the limit of partition "
                          + std::to_string(partition) + "; please try again later");
}

grpc::Status all_partitions_exhausted() {
  return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED,
                      "Expected to execute the command on one of the partitions, but all failed; "
                      "there are no more partitions available to retry. Please try again.");
}

grpc::Status timed_out(const tc::BrokerRequest& request, std::chrono::milliseconds after) {
  return grpc::Status(grpc::StatusCode::DEADLINE_EXCEEDED,
                      "Time out between gateway and broker: Request "
                          + std::string(rpc_name(request)) + " to partition "
                          + std::to_string(request.partition_id()) + " timed out after "
                          + std::to_string(after.count()) + " ms");
}

grpc::Status invalid_argument(std::string_view property, std::string_view problem) {
  return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT,
                      "Expected to handle gRPC request with property '" + std::string(property)
                          + "' " + std::string(problem));
}

}  // namespace tern::gateway::routing
