#include "gateway/routing/command_router.h"

#include <algorithm>
#include <optional>
#include <thread>

#include "gateway/routing/error_mapping.h"

namespace tern::gateway::routing {

namespace tc = tern::command;

CommandRouter::CommandRouter(std::shared_ptr<const TopologySource> topology, RouterOptions options)
    : topology_(std::move(topology)), options_(options) {}

CommandRouter::~CommandRouter() {
  shutdown();
}

std::shared_ptr<tc::BrokerCommands::Stub> CommandRouter::stub(const std::string& address) {
  std::shared_ptr<tc::BrokerCommands::Stub> result;
  {
    std::lock_guard lock(mutex_);
    auto& slot = stubs_[address];
    if (!slot) {
      slot = tc::BrokerCommands::NewStub(
          grpc::CreateChannel(address, grpc::InsecureChannelCredentials()));
    }
    result = slot;
  }
  wakeups_.watch(address, result);
  return result;
}

CommandRouter::Clock::time_point CommandRouter::deadline_for(
    const grpc::ServerContext& context) const {
  // Leave the answer time to reach the client before the client's own deadline fires, so that
  // it sees why the gateway gave up rather than a bare DEADLINE_EXCEEDED.
  auto client = context.deadline();
  if (client != Clock::time_point::max()) client -= options_.answer_margin;
  return std::min(client, Clock::now() + options_.default_request_timeout);
}

std::int32_t CommandRouter::partition_count() const {
  return topology_->current().partitions_count;
}

grpc::Status CommandRouter::execute(const tc::BrokerRequest& request, Clock::time_point deadline,
                                    tc::BrokerResponse& response) {
  const auto started = Clock::now();
  const std::int32_t partition = request.partition_id();
  auto backoff = options_.min_backoff;
  grpc::Status last = no_leader(partition);
  std::optional<std::string> hinted;
  int hints_followed = 0;  // bounded: two brokers naming each other must not spin
  while (true) {
    ClusterTopology topology = topology_->current();
    std::optional<std::string> address = hinted ? hinted : leader_address(topology, partition);
    hinted.reset();
    if (topology.brokers.empty()) {
      last = no_topology();
    } else if (!address) {
      last = no_leader(partition);
    } else {
      grpc::ClientContext context;
      context.set_deadline(deadline);
      response.Clear();
      grpc::Status status = stub(*address)->Execute(&context, request, &response);
      if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        return timed_out(
            request, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started));
      }
      if (!status.ok() && status.error_code() != grpc::StatusCode::UNAVAILABLE) {
        return grpc::Status(status.error_code(), "the broker at " + *address + " failed "
                                                     + std::string(rpc_name(request)) + ": "
                                                     + status.error_message());
      }
      if (!status.ok()) {
        last = grpc::Status(grpc::StatusCode::UNAVAILABLE,
                            "Expected to execute the command on partition "
                                + std::to_string(partition) + ", but the broker at " + *address
                                + " is unreachable: " + status.error_message());
      } else if (response.status() == tc::NOT_LEADER) {
        last = to_grpc_status(request, response);
        if (response.leader_hint() >= 0) hinted = broker_address(topology, response.leader_hint());
        if (hinted == address) hinted.reset();
      } else if (response.status() == tc::UNAVAILABLE) {
        last = to_grpc_status(request, response);
      } else {
        return to_grpc_status(request, response);
      }
    }
    if (hinted && ++hints_followed <= 3) continue;  // straight to the leader the broker named
    hinted.reset();
    if (Clock::now() + backoff >= deadline) return last;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
}

}  // namespace tern::gateway::routing
