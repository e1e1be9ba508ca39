#pragma once

// How a broker's answer becomes the gRPC status a Zeebe client expects: the one place where
// command-API statuses and Zeebe rejection types meet gRPC codes (DESIGN: mapping to gRPC
// happens in src/gateway/ only). Messages follow Zeebe's gateway wording so that clients and
// people reading logs see familiar text.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <string>
#include <string_view>

#include "command_api.pb.h"

namespace tern::gateway::routing {

// Zeebe's intent name of the command a request carries ("CREATE", "COMPLETE", ...), and the
// RPC's name ("CreateProcessInstance").
std::string_view command_intent(const tern::command::BrokerRequest& request);
std::string_view rpc_name(const tern::command::BrokerRequest& request);

// OK for status OK; otherwise the mapped error:
//   REJECTED: INVALID_ARGUMENT -> INVALID_ARGUMENT, NOT_FOUND -> NOT_FOUND, ALREADY_EXISTS ->
//     ALREADY_EXISTS, INVALID_STATE -> FAILED_PRECONDITION, others -> INTERNAL;
//     "Command 'CREATE' rejected with code 'NOT_FOUND': <reason>"
//   RESOURCE_EXHAUSTED -> RESOURCE_EXHAUSTED, TIMEOUT -> DEADLINE_EXCEEDED,
//   INVALID -> INVALID_ARGUMENT, UNSUPPORTED -> UNIMPLEMENTED,
//   NOT_LEADER / UNAVAILABLE -> UNAVAILABLE (the router retries those first).
grpc::Status to_grpc_status(const tern::command::BrokerRequest& request,
                            const tern::command::BrokerResponse& response);

grpc::Status no_leader(std::int32_t partition);
grpc::Status no_topology();
grpc::Status exhausted(std::int32_t partition);
grpc::Status all_partitions_exhausted();
grpc::Status timed_out(const tern::command::BrokerRequest& request,
                       std::chrono::milliseconds after);
grpc::Status invalid_argument(std::string_view property, std::string_view problem);

}  // namespace tern::gateway::routing
