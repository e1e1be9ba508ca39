#pragma once

// CommandRouter: sends one command-API request to the leader of its partition, as the gateway's
// topology names it, and turns the outcome into a gRPC status. Retries within the request's
// deadline, with exponential back-off, when no leader is known, when the broker answers
// NOT_LEADER (going straight to the hinted leader if any) or UNAVAILABLE, and when the broker
// cannot be reached; anything else is final. Channels (one per broker address) are cached.
//
// execute_all() sends several requests at once (one round trip for all of them rather than one
// after another), each with its own retries; execute() is execute_all() of one request.
//
// Threads: any gRPC worker thread; blocking calls (the gateway's handlers are synchronous).
// Thread-safe.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "command_api.grpc.pb.h"
#include "gateway/routing/job_wakeups.h"
#include "gateway/routing/local_broker.h"
#include "gateway/routing/partition_routing.h"
#include "gateway/topology.h"

namespace tern::gateway::routing {

struct RouterOptions {
  // A request without a client deadline gets this one (Zeebe's gateway default).
  std::chrono::milliseconds default_request_timeout{15'000};
  std::chrono::milliseconds answer_margin{100};
  std::chrono::milliseconds min_backoff{10};
  std::chrono::milliseconds max_backoff{500};
};

class CommandRouter {
 public:
  using Clock = std::chrono::system_clock;

  // With `local`, commands for partitions led by that broker take the in-process path.
  explicit CommandRouter(std::shared_ptr<const TopologySource> topology, RouterOptions options = {},
                         std::shared_ptr<LocalBroker> local = nullptr);
  ~CommandRouter();
  CommandRouter(const CommandRouter&) = delete;
  CommandRouter& operator=(const CommandRouter&) = delete;

  // Sends `request` (its partition_id set) and fills `response`. OK only for an accepted command.
  grpc::Status execute(const tern::command::BrokerRequest& request, Clock::time_point deadline,
                       tern::command::BrokerResponse& response);

  // Sends every request (each with its partition_id set) concurrently, each retried as execute()
  // does, and waits for all of them; `responses` and the returned statuses are in the order of
  // `requests`.
  std::vector<grpc::Status> execute_all(std::vector<tern::command::BrokerRequest> requests,
                                        Clock::time_point deadline,
                                        std::vector<tern::command::BrokerResponse>& responses);

  // The deadline of a request: the client's, bounded by the default request timeout.
  Clock::time_point deadline_for(const grpc::ServerContext& context) const;
  Clock::time_point deadline_after(std::chrono::milliseconds timeout) const {
    return Clock::now() + timeout;
  }

  // The cluster's partition count from the topology; 0 when the topology is not known yet.
  std::int32_t partition_count() const;

  RoundRobin& round_robin() { return round_robin_; }
  JobWakeups& wakeups() { return wakeups_; }

  // Ends the job-availability subscriptions. Idempotent.
  void shutdown() { wakeups_.shutdown(); }

 private:
  std::shared_ptr<tern::command::BrokerCommands::Stub> stub(const std::string& address);

  std::shared_ptr<const TopologySource> topology_;
  RouterOptions options_;
  std::shared_ptr<LocalBroker> local_;
  std::string local_address_;  // local_'s address; empty without local_
  RoundRobin round_robin_;
  JobWakeups wakeups_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<tern::command::BrokerCommands::Stub>>
      stubs_;  // by address; guarded by mutex_
};

}  // namespace tern::gateway::routing
