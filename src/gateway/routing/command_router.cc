#include "gateway/routing/command_router.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <utility>

#include "gateway/routing/error_mapping.h"

namespace tern::gateway::routing {

namespace tc = tern::command;

CommandRouter::CommandRouter(std::shared_ptr<const TopologySource> topology, RouterOptions options,
                             std::shared_ptr<LocalBroker> local)
    : topology_(std::move(topology)),
      options_(options),
      local_(std::move(local)),
      local_address_(local_ ? local_->address() : std::string()) {
  if (options_.broker_transport == BrokerTransport::kCommandStream) {
    // `this` is safe: shutdown() (also run by the destructor) joins the links' thread.
    links_ = std::make_unique<link::BrokerLinks>(
        [this](const std::string& type, std::int32_t partition) {
          wakeups_.notify(type, partition);
        });
  }
}

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

void CommandRouter::watch_local_jobs() {
  {
    std::lock_guard lock(mutex_);
    if (local_watch_ || shut_down_) return;
    local_watch_ = 0;  // claimed: a concurrent first call does not watch twice
  }
  // Weakly held: the broker may call it once more after shutdown() unwatched, or while the last
  // holder of the router lets it go.
  const LocalBroker::WatchId id =
      local_->watch_jobs([weak = weak_from_this()](const std::string& type) {
        if (auto router = weak.lock()) router->wakeups_.notify(type, JobWakeups::kAnyPartition);
      });
  bool stale = false;
  {
    std::lock_guard lock(mutex_);
    stale = shut_down_;
    if (!stale) local_watch_ = id;
  }
  if (stale) local_->unwatch_jobs(id);
}

void CommandRouter::shutdown() {
  std::optional<LocalBroker::WatchId> watch;
  {
    std::lock_guard lock(mutex_);
    shut_down_ = true;
    watch = std::exchange(local_watch_, std::nullopt);
  }
  if (watch && *watch != 0) local_->unwatch_jobs(*watch);
  // First: the requests it fails may still back off on the timers.
  if (links_) links_->shutdown();
  wakeups_.shutdown();
  timers_.shutdown();
}

CommandRouter::Clock::time_point CommandRouter::deadline_for_client(
    Clock::time_point client) const {
  // Leave the answer time to reach the client before the client's own deadline fires, so that
  // it sees why the gateway gave up rather than a bare DEADLINE_EXCEEDED.
  if (client != Clock::time_point::max()) client -= options_.answer_margin;
  return std::min(client, Clock::now() + options_.default_request_timeout);
}

std::int32_t CommandRouter::partition_count() const {
  return topology_->current().partitions_count;
}

std::shared_ptr<const ClusterTopology> CommandRouter::topology() const {
  return std::make_shared<const ClusterTopology>(topology_->current());
}

namespace {

// One request's progress through its attempts.
struct Attempt {
  grpc::Status last;                  // why the latest attempt did not settle it
  std::optional<std::string> hinted;  // the leader a broker named, tried next without back-off
  int hints_followed = 0;             // bounded: two brokers naming each other must not spin
  std::optional<grpc::Status> outcome;
};

// How a call reaches its broker.
enum class Path { kGrpc, kInProcess, kCommandStream };

// One call of a round. `status`, `response` and `finished` are written by whoever answers the
// call and read by the round's end, both under the Flight's mutex.
struct Call {
  std::size_t index = 0;
  std::string address;
  Path path = Path::kGrpc;
  grpc::ClientContext context;
  grpc::Status status;
  tc::BrokerResponse response;
  bool finished = false;
};

}  // namespace

// The state of one execute_all_async() call: rounds of calls, one round at a time. A round ends
// when its last call answered (or, with an in-process call, at the deadline: such a call answers
// only when its partition does), and its end decides the next step: done, straight on to hinted
// leaders, or a back-off timer. Whoever ends a round (the last answer, the launch itself, or the
// deadline timer) is decided under `mutex_`, so exactly one thread runs the round's end; the
// attempts are touched only there and in launch(), which are ordered by that mutex.
//
// Held by shared_ptr by every callback it is waiting for; a call that outlives its round (the
// deadline came first) still finishes into its Call, which stays in `calls_` until the Flight
// goes.
class CommandRouter::Flight : public std::enable_shared_from_this<CommandRouter::Flight> {
 public:
  Flight(std::shared_ptr<CommandRouter> router, std::vector<tc::BrokerRequest> requests,
         Clock::time_point deadline, Completion done,
         std::shared_ptr<const ClusterTopology> routed_by = nullptr)
      : router_(std::move(router)),
        requests_(std::move(requests)),
        deadline_(deadline),
        started_(Clock::now()),
        backoff_(router_->options_.min_backoff),
        done_(std::move(done)),
        topology_(std::move(routed_by)) {
    attempts_.resize(requests_.size());
    responses_.resize(requests_.size());
    for (std::size_t i = 0; i < requests_.size(); ++i)
      attempts_[i].last = no_leader(requests_[i].partition_id());
  }

  // Starts the next round: every request not settled (only the hinted ones right after
  // NOT_LEADER hints) goes to its leader.
  void launch();

 private:
  // A call of round `round` answered (or the launch of that round is complete: `call` null).
  void arrive(std::uint64_t round, Call* call, grpc::Status status);
  void deadline_passed(std::uint64_t round);
  void end_round();
  void complete();

  const std::shared_ptr<CommandRouter> router_;
  const std::vector<tc::BrokerRequest> requests_;
  const Clock::time_point deadline_;
  const Clock::time_point started_;
  std::chrono::milliseconds backoff_;
  bool hinted_only_ = false;  // a round right after NOT_LEADER hints sends only the hinted ones
  std::vector<Attempt> attempts_;
  std::vector<tc::BrokerResponse> responses_;
  Completion done_;
  // The one the current round was routed by; before the first round, the caller's if any.
  std::shared_ptr<const ClusterTopology> topology_;
  bool launched_ = false;  // touched in launch() only

  std::mutex mutex_;
  std::vector<std::unique_ptr<Call>> calls_;  // the current round's; guarded by mutex_
  std::uint64_t round_ = 0;                   // guarded by mutex_
  bool round_open_ = false;                   // guarded by mutex_
  std::size_t pending_ = 0;  // answers (plus the launch) still due; guarded by mutex_
  TimerQueue::TimerId deadline_timer_ = 0;  // guarded by mutex_
};

void CommandRouter::Flight::launch() {
  if (!topology_ || launched_) {
    topology_ = std::make_shared<const ClusterTopology>(router_->topology_->current());
  }
  launched_ = true;
  std::vector<std::unique_ptr<Call>> calls;
  for (std::size_t i = 0; i < requests_.size(); ++i) {
    Attempt& attempt = attempts_[i];
    if (attempt.outcome || (hinted_only_ && !attempt.hinted)) continue;
    const std::int32_t partition = requests_[i].partition_id();
    std::optional<std::string> address =
        attempt.hinted ? attempt.hinted : leader_address(*topology_, partition);
    attempt.hinted.reset();
    if (topology_->brokers.empty()) {
      attempt.last = no_topology();
    } else if (!address) {
      attempt.last = no_leader(partition);
    } else {
      auto call = std::make_unique<Call>();
      call->index = i;
      call->address = std::move(*address);
      if (router_->local_ && call->address == router_->local_address_) {
        call->path = Path::kInProcess;
      } else if (router_->links_) {
        call->path = Path::kCommandStream;
      } else {
        call->path = Path::kGrpc;
        call->context.set_deadline(deadline_);
      }
      calls.push_back(std::move(call));
    }
  }
  const bool any_direct = std::any_of(calls.begin(), calls.end(),
                                      [](const auto& call) { return call->path != Path::kGrpc; });
  auto self = shared_from_this();
  std::uint64_t round = 0;
  {
    std::lock_guard lock(mutex_);
    calls_ = std::move(calls);
    round = ++round_;
    round_open_ = true;
    pending_ = calls_.size() + 1;  // the launch itself, so no answer ends the round before it
  }
  if (any_direct) {
    // A gRPC call ends by its deadline on its own; an in-process one only when its partition
    // answers, and one on a command stream when the answer or the connection's end comes, so
    // the round's deadline is a timer.
    const auto id = router_->timers_.schedule(
        deadline_, [self, round](TimerQueue::Fired) { self->deadline_passed(round); });
    std::lock_guard lock(mutex_);
    deadline_timer_ = id;
  }
  // calls_ does not change while the round is open (only launch() replaces it, after the end).
  std::vector<Call*> launching;
  {
    std::lock_guard lock(mutex_);
    for (auto& call : calls_)
      launching.push_back(call.get());
  }
  for (Call* call : launching) {
    const tc::BrokerRequest& request = requests_[call->index];
    if (call->path == Path::kInProcess) {
      router_->watch_local_jobs();
      router_->local_->execute(request, &call->response, [self, round, call] {
        self->arrive(round, call, grpc::Status::OK);
      });
    } else if (call->path == Path::kCommandStream) {
      router_->links_->execute(
          call->address, request, &call->response, [self, round, call](std::string error) {
            self->arrive(round, call,
                         error.empty()
                             ? grpc::Status::OK
                             : grpc::Status(grpc::StatusCode::UNAVAILABLE, std::move(error)));
          });
    } else {
      auto broker = router_->stub(call->address);  // also keeps the broker's wake-ups subscribed
      broker->async()->Execute(&call->context, &request, &call->response,
                               [self, round, call](grpc::Status status) {
                                 self->arrive(round, call, std::move(status));
                               });
    }
  }
  arrive(round, nullptr, grpc::Status::OK);
}

void CommandRouter::Flight::arrive(std::uint64_t round, Call* call, grpc::Status status) {
  {
    std::lock_guard lock(mutex_);
    if (call) {
      call->status = std::move(status);
      call->finished = true;
    }
    if (round != round_ || !round_open_) return;  // its round ended at the deadline
    if (--pending_ > 0) return;
    round_open_ = false;
  }
  end_round();
}

void CommandRouter::Flight::deadline_passed(std::uint64_t round) {
  {
    std::lock_guard lock(mutex_);
    if (round != round_ || !round_open_) return;
    round_open_ = false;
    deadline_timer_ = 0;
  }
  end_round();
}

void CommandRouter::Flight::end_round() {
  TimerQueue::TimerId timer = 0;
  bool any_hinted = false;
  bool expired = false;  // a call still runs: its Call must stay, so no further round
  {
    std::lock_guard lock(mutex_);
    timer = std::exchange(deadline_timer_, 0);
    for (auto& call : calls_) {
      const tc::BrokerRequest& request = requests_[call->index];
      Attempt& attempt = attempts_[call->index];
      const grpc::Status& status = call->status;
      expired = expired || !call->finished;
      if (!call->finished || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED) {
        attempt.outcome = timed_out(request, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                 Clock::now() - started_));
        continue;
      }
      tc::BrokerResponse& response = responses_[call->index];
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
          attempt.hinted = broker_address(*topology_, response.leader_hint());
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
  if (timer != 0) router_->timers_.cancel(timer);
  const bool settled = std::all_of(attempts_.begin(), attempts_.end(),
                                   [](const Attempt& attempt) { return attempt.outcome; });
  if (settled || expired) return complete();
  hinted_only_ = any_hinted;
  if (any_hinted) return launch();  // straight to the leaders the brokers named
  const auto now = Clock::now();
  if (now + backoff_ >= deadline_) return complete();
  const auto due = now + backoff_;
  backoff_ = std::min(backoff_ * 2, router_->options_.max_backoff);
  router_->timers_.schedule(due, [self = shared_from_this()](TimerQueue::Fired fired) {
    // At shutdown the request ends with its latest failure rather than at its deadline.
    if (fired == TimerQueue::Fired::kDue) {
      self->launch();
    } else {
      self->complete();
    }
  });
}

void CommandRouter::Flight::complete() {
  std::vector<grpc::Status> statuses;
  statuses.reserve(attempts_.size());
  for (auto& attempt : attempts_)
    statuses.push_back(attempt.outcome ? std::move(*attempt.outcome) : std::move(attempt.last));
  Completion done = std::move(done_);
  done(std::move(statuses), std::move(responses_));
}

void CommandRouter::execute_all_async(std::vector<tc::BrokerRequest> requests,
                                      Clock::time_point deadline, Completion done) {
  std::make_shared<Flight>(shared_from_this(), std::move(requests), deadline, std::move(done))
      ->launch();
}

void CommandRouter::execute_async(tc::BrokerRequest request, Clock::time_point deadline,
                                  SingleCompletion done,
                                  std::shared_ptr<const ClusterTopology> routed_by) {
  std::vector<tc::BrokerRequest> requests;
  requests.push_back(std::move(request));
  std::make_shared<Flight>(
      shared_from_this(), std::move(requests), deadline,
      [done = std::move(done)](std::vector<grpc::Status> statuses,
                               std::vector<tc::BrokerResponse> responses) {
        done(std::move(statuses.front()), std::move(responses.front()));
      },
      std::move(routed_by))
      ->launch();
}

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
  // Every flight completes by its deadline (or at once at shutdown), so this wait is bounded.
  struct Outcome {
    std::mutex mutex;
    std::condition_variable settled;
    bool done = false;
    std::vector<grpc::Status> statuses;
    std::vector<tc::BrokerResponse> responses;
  };
  auto outcome = std::make_shared<Outcome>();
  execute_all_async(
      std::move(requests), deadline,
      [outcome](std::vector<grpc::Status> statuses, std::vector<tc::BrokerResponse> answers) {
        std::lock_guard lock(outcome->mutex);
        outcome->statuses = std::move(statuses);
        outcome->responses = std::move(answers);
        outcome->done = true;
        outcome->settled.notify_all();
      });
  std::unique_lock lock(outcome->mutex);
  outcome->settled.wait(lock, [&] { return outcome->done; });
  responses = std::move(outcome->responses);
  return std::move(outcome->statuses);
}

}  // namespace tern::gateway::routing
