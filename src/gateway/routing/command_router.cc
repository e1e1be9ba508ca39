#include "gateway/routing/command_router.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <thread>

#include "gateway/routing/error_mapping.h"

namespace tern::gateway::routing {

namespace tc = tern::command;

CommandRouter::CommandRouter(std::shared_ptr<const TopologySource> topology, RouterOptions options,
                             std::shared_ptr<LocalBroker> local)
    : topology_(std::move(topology)),
      options_(options),
      local_(std::move(local)),
      local_address_(local_ ? local_->address() : std::string()) {}

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

namespace {

// One request's progress through its attempts.
struct Attempt {
  grpc::Status last;                  // why the latest attempt did not settle it
  std::optional<std::string> hinted;  // the leader a broker named, tried next without back-off
  int hints_followed = 0;             // bounded: two brokers naming each other must not spin
  std::optional<grpc::Status> outcome;
};

// One call of a round. `status` and `response` are written by whoever answers the call and read
// by the waiting thread once `finished` is set (both under the Flight's mutex).
struct Call {
  std::size_t index = 0;
  std::string address;
  grpc::ClientContext context;
  grpc::Status status;
  tc::BrokerResponse response;
  bool finished = false;
};

// What execute_all() has in flight. Shared with the calls' callbacks: a call that outlives the
// deadline (an in-process call answers only when its partition does) finishes into it after
// execute_all() returned, so the requests and the call stay alive until then.
struct Flight {
  std::vector<tc::BrokerRequest> requests;
  std::vector<std::unique_ptr<Call>> calls;  // this round's
  std::mutex mutex;
  std::condition_variable answered;
  std::size_t pending = 0;  // guarded by mutex

  void finish(Call* call, grpc::Status status) {
    std::lock_guard lock(mutex);
    call->status = std::move(status);
    call->finished = true;
    if (--pending == 0) answered.notify_all();
  }
};

}  // namespace

grpc::Status CommandRouter::execute(const tc::BrokerRequest& request, Clock::time_point deadline,
                                    tc::BrokerResponse& response) {
  std::vector<tc::BrokerRequest> requests{request};
  std::vector<tc::BrokerResponse> responses;
  grpc::Status status = execute_all(std::move(requests), deadline, responses).front();
  response = std::move(responses.front());
  return status;
}

std::vector<grpc::Status> CommandRouter::execute_all(std::vector<tc::BrokerRequest> requests,
                                                     Clock::time_point deadline,
                                                     std::vector<tc::BrokerResponse>& responses) {
  const auto started = Clock::now();
  const std::size_t count = requests.size();
  auto flight = std::make_shared<Flight>();
  flight->requests = std::move(requests);
  responses.assign(count, tc::BrokerResponse());
  std::vector<Attempt> attempts(count);
  for (std::size_t i = 0; i < count; ++i)
    attempts[i].last = no_leader(flight->requests[i].partition_id());
  auto backoff = options_.min_backoff;
  bool hinted_only = false;  // a round right after NOT_LEADER hints sends only the hinted ones
  while (true) {
    ClusterTopology topology = topology_->current();
    std::vector<std::unique_ptr<Call>> calls;
    for (std::size_t i = 0; i < count; ++i) {
      Attempt& attempt = attempts[i];
      if (attempt.outcome || (hinted_only && !attempt.hinted)) continue;
      const std::int32_t partition = flight->requests[i].partition_id();
      std::optional<std::string> address =
          attempt.hinted ? attempt.hinted : leader_address(topology, partition);
      attempt.hinted.reset();
      if (topology.brokers.empty()) {
        attempt.last = no_topology();
      } else if (!address) {
        attempt.last = no_leader(partition);
      } else {
        auto call = std::make_unique<Call>();
        call->index = i;
        call->address = std::move(*address);
        call->context.set_deadline(deadline);
        calls.push_back(std::move(call));
      }
    }
    // All of this round's calls are in flight at once; the round ends when every one answered
    // (a gRPC call answers by the deadline at the latest).
    {
      std::lock_guard lock(flight->mutex);
      flight->calls = std::move(calls);
      flight->pending = flight->calls.size();
    }
    // A lone remote call is made on this thread: gRPC then completes it here, sparing the
    // hand-off from a callback thread and the wake-up of this one.
    const bool lone_remote =
        flight->calls.size() == 1 && !(local_ && flight->calls.front()->address == local_address_);
    for (auto& call : flight->calls) {
      const tc::BrokerRequest& request = flight->requests[call->index];
      Call* raw = call.get();
      auto broker = stub(call->address);  // also keeps the broker's job wake-ups subscribed
      if (lone_remote) {
        flight->finish(raw, broker->Execute(&raw->context, request, &raw->response));
      } else if (local_ && call->address == local_address_) {
        local_->execute(request, &raw->response,
                        [flight, raw] { flight->finish(raw, grpc::Status::OK); });
      } else {
        broker->async()->Execute(
            &raw->context, &request, &raw->response,
            [flight, raw](grpc::Status status) { flight->finish(raw, std::move(status)); });
      }
    }
    {
      std::unique_lock lock(flight->mutex);
      flight->answered.wait_until(lock, deadline, [&] { return flight->pending == 0; });
    }
    bool any_hinted = false;
    bool expired = false;  // a call still runs: its Call must stay, so no further round
    {
      std::lock_guard lock(flight->mutex);
      for (auto& call : flight->calls) {
        const tc::BrokerRequest& request = flight->requests[call->index];
        Attempt& attempt = attempts[call->index];
        const grpc::Status& status = call->status;
        expired = expired || !call->finished;
        if (!call->finished || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
          attempt.outcome = timed_out(
              request,
              std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started));
          continue;
        }
        tc::BrokerResponse& response = responses[call->index];
        response = std::move(call->response);
        if (!status.ok() && status.error_code() != grpc::StatusCode::UNAVAILABLE) {
          attempt.outcome =
              grpc::Status(status.error_code(), "the broker at " + call->address + " failed "
                                                    + std::string(rpc_name(request)) + ": "
                                                    + status.error_message());
        } else if (!status.ok()) {
          attempt.last =
              grpc::Status(grpc::StatusCode::UNAVAILABLE,
                           "Expected to execute the command on partition "
                               + std::to_string(request.partition_id()) + ", but the broker at "
                               + call->address + " is unreachable: " + status.error_message());
        } else if (response.status() == tc::NOT_LEADER) {
          attempt.last = to_grpc_status(request, response);
          if (response.leader_hint() >= 0) {
            attempt.hinted = broker_address(topology, response.leader_hint());
          }
          if (attempt.hinted == call->address) attempt.hinted.reset();
          if (attempt.hinted && ++attempt.hints_followed > 3) attempt.hinted.reset();
          any_hinted = any_hinted || attempt.hinted.has_value();
        } else if (response.status() == tc::UNAVAILABLE) {
          attempt.last = to_grpc_status(request, response);
        } else {
          attempt.outcome = to_grpc_status(request, response);
        }
      }
    }
    const bool settled = std::all_of(attempts.begin(), attempts.end(),
                                     [](const Attempt& attempt) { return attempt.outcome; });
    if (settled || expired) break;
    hinted_only = any_hinted;
    if (any_hinted) continue;  // straight to the leaders the brokers named
    if (Clock::now() + backoff >= deadline) break;
    std::this_thread::sleep_for(backoff);
    backoff = std::min(backoff * 2, options_.max_backoff);
  }
  std::vector<grpc::Status> statuses;
  statuses.reserve(count);
  for (auto& attempt : attempts)
    statuses.push_back(attempt.outcome ? std::move(*attempt.outcome) : std::move(attempt.last));
  return statuses;
}

}  // namespace tern::gateway::routing
