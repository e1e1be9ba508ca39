#pragma once

// CommandRouter: sends one command-API request to the leader of its partition, as the gateway's
// topology names it, and turns the outcome into a gRPC status. Retries within the request's
// deadline, with exponential back-off, when no leader is known, when the broker answers
// NOT_LEADER (going straight to the hinted leader if any) or UNAVAILABLE, and when the broker
// cannot be reached; anything else is final. Channels (one per broker address) are cached.
//
// execute_all_async() sends several requests at once (one round trip for all of them rather than
// one after another), each with its own retries, and calls its completion once every one is
// settled. Nothing waits in between: a round continues from the last answer's callback (a gRPC
// callback thread, or the partition strand of an in-process call), and a back-off or a round's
// deadline is an entry in the router's TimerQueue, so no thread is held for a round trip.
// execute() and execute_all() wait for the same machinery, for the RPCs that stay synchronous.
//
// Remote brokers are reached over their command stream (BrokerTransport::kCommandStream, the
// default: link::BrokerLinks) or over gRPC. Either way a call that cannot reach its broker is
// retried as an unreachable broker.
//
// Job wake-ups: from a remote broker over its command stream, or with gRPC its
// SubscribeJobAvailability stream (either opened with the first call to it); from the in-process
// broker by LocalBroker::watch_jobs (from the first in-process call), which an embedded gateway
// needs as much: without it a long poll would only see new jobs at its re-poll interval.
//
// Lifecycle: made with std::make_shared (a request in flight holds the router). shutdown() ends
// the job-availability subscriptions and the timers; requests then waiting for a back-off end at
// once with their latest failure, and a round waiting for an in-process answer ends as timed out.
// Threads: any. Thread-safe.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "command_api.grpc.pb.h"
#include "gateway/link/broker_links.h"
#include "gateway/routing/broker_transport.h"
#include "gateway/routing/job_wakeups.h"
#include "gateway/routing/local_broker.h"
#include "gateway/routing/partition_routing.h"
#include "gateway/routing/timer_queue.h"
#include "gateway/topology.h"

namespace tern::gateway::routing {

struct RouterOptions {
  // A request without a client deadline gets this one (Zeebe's gateway default).
  std::chrono::milliseconds default_request_timeout{15'000};
  std::chrono::milliseconds answer_margin{100};
  std::chrono::milliseconds min_backoff{10};
  std::chrono::milliseconds max_backoff{500};
  // A long poll waiting for jobs polls again after this long even without a wake-up, in case one
  // was missed (a broker subscription being re-established, say).
  std::chrono::milliseconds job_repoll_interval{1'000};
  BrokerTransport broker_transport = BrokerTransport::kCommandStream;
};

class CommandRouter : public std::enable_shared_from_this<CommandRouter> {
 public:
  using Clock = std::chrono::system_clock;
  // The statuses and responses of execute_all_async(), in the order of its requests.
  using Completion = std::function<void(std::vector<grpc::Status> statuses,
                                        std::vector<tern::command::BrokerResponse> responses)>;
  using SingleCompletion =
      std::function<void(grpc::Status status, tern::command::BrokerResponse response)>;

  // With `local`, commands for partitions led by that broker take the in-process path.
  explicit CommandRouter(std::shared_ptr<const TopologySource> topology, RouterOptions options = {},
                         std::shared_ptr<LocalBroker> local = nullptr);
  ~CommandRouter();
  CommandRouter(const CommandRouter&) = delete;
  CommandRouter& operator=(const CommandRouter&) = delete;

  // Sends every request (each with its partition_id set) concurrently, each retried within
  // `deadline`, and calls `done` exactly once when all are settled, on whichever thread settled
  // the last one (possibly this one, before returning). OK only for an accepted command.
  void execute_all_async(std::vector<tern::command::BrokerRequest> requests,
                         Clock::time_point deadline, Completion done);
  // `routed_by`, when given, routes the first attempt (a caller sending several requests at
  // once builds the topology once for all of them); retries read the topology afresh.
  void execute_async(tern::command::BrokerRequest request, Clock::time_point deadline,
                     SingleCompletion done,
                     std::shared_ptr<const ClusterTopology> routed_by = nullptr);

  // Blocking forms of the above: send `request` (its partition_id set) and fill `response`.
  grpc::Status execute(const tern::command::BrokerRequest& request, Clock::time_point deadline,
                       tern::command::BrokerResponse& response);

  // `responses` and the returned statuses are in the order of `requests`.
  std::vector<grpc::Status> execute_all(std::vector<tern::command::BrokerRequest> requests,
                                        Clock::time_point deadline,
                                        std::vector<tern::command::BrokerResponse>& responses);

  // The deadline of a request: the client's, bounded by the default request timeout.
  Clock::time_point deadline_for(const grpc::ServerContextBase& context) const {
    return deadline_for_client(context.deadline());
  }
  Clock::time_point deadline_for_client(Clock::time_point client) const;
  Clock::time_point deadline_after(std::chrono::milliseconds timeout) const {
    return Clock::now() + timeout;
  }

  // The cluster's partition count from the topology; 0 when the topology is not known yet.
  std::int32_t partition_count() const;
  // The topology as it is now (built by the source: merged reports, the own broker's state).
  std::shared_ptr<const ClusterTopology> topology() const;

  const RouterOptions& options() const { return options_; }
  // The partition of each new process instance, in turn.
  RoundRobin& round_robin() { return round_robin_; }
  // The partition a job poll offers its quota first, in turn. Apart from round_robin(): sharing
  // one counter, a steady pattern of polls between creations (two per instance, say, with three
  // partitions) sent every instance to the same partition.
  RoundRobin& poll_rotation() { return poll_rotation_; }
  JobWakeups& wakeups() { return wakeups_; }
  // Back-offs and waits of the requests in flight (also the gateway's long polls).
  TimerQueue& timers() { return timers_; }

  // Ends the job-availability subscriptions and the timers (see the class comment). Idempotent.
  void shutdown();

 private:
  class Flight;  // one execute_all_async() call; command_router.cc
  std::shared_ptr<tern::command::BrokerCommands::Stub> stub(const std::string& address);
  // The in-process broker's wake-ups, as stub() subscribes to a remote broker's: watched from
  // the first in-process call on (a long poll's first poll is one), until shutdown().
  void watch_local_jobs();

  std::shared_ptr<const TopologySource> topology_;
  RouterOptions options_;
  std::shared_ptr<LocalBroker> local_;
  std::string local_address_;  // local_'s address; empty without local_
  RoundRobin round_robin_;
  RoundRobin poll_rotation_;
  JobWakeups wakeups_;
  TimerQueue timers_;
  std::mutex mutex_;
  std::map<std::string, std::shared_ptr<tern::command::BrokerCommands::Stub>>
      stubs_;                                        // by address; guarded by mutex_
  std::optional<LocalBroker::WatchId> local_watch_;  // guarded by mutex_
  bool shut_down_ = false;                           // guarded by mutex_
  // With BrokerTransport::kCommandStream; declared last: it delivers into wakeups_ until it is
  // shut down (by shutdown(), which the destructor runs).
  std::unique_ptr<link::BrokerLinks> links_;
};

}  // namespace tern::gateway::routing
