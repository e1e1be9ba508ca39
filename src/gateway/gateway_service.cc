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

GatewayService::GatewayService(std::shared_ptr<const TopologySource> topology,
                               std::shared_ptr<routing::CommandRouter> router)
    : topology_(std::move(topology)), router_(std::move(router)) {
  if (!router_) router_ = std::make_shared<routing::CommandRouter>(topology_);
}

grpc::Status GatewayService::Topology(grpc::ServerContext*, const gp::TopologyRequest*,
                                      gp::TopologyResponse* response) {
  *response = to_topology_response(topology_->current());
  return grpc::Status::OK;
}

grpc::Status GatewayService::EvaluateDecision(grpc::ServerContext*,
                                              const gp::EvaluateDecisionRequest*,
                                              gp::EvaluateDecisionResponse*) {
  return not_implemented("EvaluateDecision");
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

grpc::Status GatewayService::DeleteResource(grpc::ServerContext*, const gp::DeleteResourceRequest*,
                                            gp::DeleteResourceResponse*) {
  return not_implemented("DeleteResource");
}

}  // namespace tern::gateway
