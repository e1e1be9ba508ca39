// GatewayService: job activation across partitions. ActivateJobs polls the partitions
// concurrently, splitting the worker's maximum between them (starting at a rotating one, so no
// partition is always last), asks again those that filled their share while the maximum is not
// reached, and, when none has jobs, long-polls: it waits for a broker's wake-up for the job type
// (JobWakeups) or for the request time-out, and polls again. ActivateJobs is a callback-API
// handler: every step continues from the previous one's completion (a poll's answers, a wake-up,
// a timer), so a long poll holds no thread. StreamActivatedJobs does the same without end,
// pushing each job to the worker, on a synchronous thread.

#include <algorithm>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "gateway/gateway_service.h"
#include "gateway/routing/error_mapping.h"

namespace tern::gateway {

namespace gp = gateway_protocol;
namespace tc = tern::command;
using routing::CommandRouter;
using routing::TimerQueue;
using Clock = CommandRouter::Clock;

namespace {

// Zeebe's default long-polling time-out when a request says 0.
constexpr auto kDefaultLongPollTimeout = std::chrono::milliseconds(10'000);
// A waiting request polls again after this long even without a wake-up, in case one was missed
// (a broker subscription being re-established, say).
constexpr auto kRepollInterval = std::chrono::milliseconds(1'000);
// A poll that no partition answered (all busy or leaderless) is repeated after this long, whatever
// the wake-ups say: a wake-up tells of new jobs, not of a partition taking commands again, and
// re-polling on each one would spin against a back-pressured partition.
constexpr auto kBusyRepollInterval = std::chrono::milliseconds(25);
// Jobs fetched per poll of a StreamActivatedJobs request.
constexpr int kStreamBatch = 32;

bool is_retryable_poll_failure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED
         || status.error_code() == grpc::StatusCode::UNAVAILABLE
         || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

using PollCompletion =
    std::function<void(grpc::Status status, std::vector<gp::ActivateJobsResponse> batches)>;

// One poll of every partition for up to the request's maximum of jobs, in rounds, each round
// started from the previous one's completion. Its outcome: the batches, and an error only when no
// partition could be asked or a request was invalid.
class JobPoll : public std::enable_shared_from_this<JobPoll> {
 public:
  JobPoll(std::shared_ptr<CommandRouter> router, const gp::ActivateJobsRequest& request,
          Clock::time_point deadline, PollCompletion done)
      : router_(std::move(router)),
        request_(request),
        deadline_(deadline),
        remaining_(request.maxjobstoactivate()),
        done_(std::move(done)) {}

  void start() {
    const std::int32_t count = router_->partition_count();
    if (count < 1) return done_(routing::no_topology(), {});
    // Partitions that may still have jobs, in the order they are offered the quota, starting at
    // a rotating one so that no partition is always last to be served.
    const std::int32_t first = router_->round_robin().next(count);
    for (std::int32_t i = 0; i < count; ++i)
      candidates_.push_back((first - 1 + i) % count + 1);
    round();
  }

 private:
  void round() {
    if (remaining_ <= 0 || candidates_.empty() || !fatal_.ok()) return finish();
    // Every round asks its partitions at once, for shares of what is left that add up to no
    // more than that: a job activated beyond the worker's maximum could not be handed to it and
    // would sit until its time-out.
    const auto asked =
        std::min<std::size_t>(candidates_.size(), static_cast<std::size_t>(remaining_));
    std::vector<tc::BrokerRequest> requests(asked);
    shares_.assign(asked, 0);
    for (std::size_t i = 0; i < asked; ++i) {
      const int share = remaining_ / static_cast<int>(asked)
                        + (static_cast<int>(i) < remaining_ % static_cast<int>(asked) ? 1 : 0);
      requests[i].set_partition_id(candidates_[i]);
      *requests[i].mutable_activate_jobs() = request_;
      requests[i].mutable_activate_jobs()->set_maxjobstoactivate(share);
      shares_[i] = share;
    }
    router_->execute_all_async(
        std::move(requests), deadline_,
        [self = shared_from_this()](std::vector<grpc::Status> statuses,
                                    std::vector<tc::BrokerResponse> responses) {
          self->answered(std::move(statuses), std::move(responses));
        });
  }

  void answered(std::vector<grpc::Status> statuses, std::vector<tc::BrokerResponse> responses) {
    const std::size_t asked = statuses.size();
    // A partition that filled its share may have more; one that did not, or failed, is done.
    std::vector<std::int32_t> next;
    for (std::size_t i = 0; i < asked; ++i) {
      if (!statuses[i].ok()) {
        // A busy or leaderless partition is skipped; any other failure ends the poll (an
        // invalid request is invalid everywhere), after this round's answers are in.
        if (!is_retryable_poll_failure(statuses[i])) {
          fatal_ = statuses[i];
        } else {
          failure_ = statuses[i];
        }
        continue;
      }
      ++answered_;
      auto& batch = *responses[i].mutable_activate_jobs();
      const int got = batch.jobs_size();
      if (got > 0) {
        remaining_ -= got;
        batches_.push_back(std::move(batch));
      }
      if (got >= shares_[i]) next.push_back(candidates_[i]);
    }
    // The partitions not asked this round (fewer jobs wanted than partitions) come next.
    next.insert(next.end(), candidates_.begin() + static_cast<std::ptrdiff_t>(asked),
                candidates_.end());
    candidates_ = std::move(next);
    round();
  }

  void finish() {
    // Jobs the other partitions activated in the same round go to the worker all the same: left
    // out, they would stay locked until their time-out.
    grpc::Status status = grpc::Status::OK;
    if (!fatal_.ok() && batches_.empty()) {
      status = fatal_;
    } else if (answered_ == 0 && !failure_.ok()) {
      status = failure_;
    }
    PollCompletion done = std::move(done_);
    done(std::move(status), std::move(batches_));
  }

  const std::shared_ptr<CommandRouter> router_;
  const gp::ActivateJobsRequest request_;
  const Clock::time_point deadline_;
  int remaining_;
  PollCompletion done_;
  std::vector<std::int32_t> candidates_;
  std::vector<int> shares_;  // the current round's, in the order of candidates_
  std::vector<gp::ActivateJobsResponse> batches_;
  grpc::Status failure_ = grpc::Status::OK;  // the last retryable one
  grpc::Status fatal_ = grpc::Status::OK;
  int answered_ = 0;
};

void poll_jobs_async(std::shared_ptr<CommandRouter> router, const gp::ActivateJobsRequest& request,
                     Clock::time_point deadline, PollCompletion done) {
  std::make_shared<JobPoll>(std::move(router), request, deadline, std::move(done))->start();
}

// The blocking form, for StreamActivatedJobs.
grpc::Status poll_jobs(std::shared_ptr<CommandRouter> router,
                       const gp::ActivateJobsRequest& request, Clock::time_point deadline,
                       std::vector<gp::ActivateJobsResponse>& batches) {
  struct Outcome {
    std::mutex mutex;
    std::condition_variable settled;
    bool done = false;
    grpc::Status status;
    std::vector<gp::ActivateJobsResponse> batches;
  };
  auto outcome = std::make_shared<Outcome>();
  poll_jobs_async(std::move(router), request, deadline,
                  [outcome](grpc::Status status, std::vector<gp::ActivateJobsResponse> polled) {
                    std::lock_guard lock(outcome->mutex);
                    outcome->status = std::move(status);
                    outcome->batches = std::move(polled);
                    outcome->done = true;
                    outcome->settled.notify_all();
                  });
  std::unique_lock lock(outcome->mutex);
  outcome->settled.wait(lock, [&] { return outcome->done; });
  batches = std::move(outcome->batches);
  return std::move(outcome->status);
}

// One ActivateJobs call: poll; write the batches if any; otherwise, when long polling, wait for
// a wake-up for the type or a timer (whichever first; the other is dropped), and poll again.
// Every step runs on the thread that completed the previous one; `mutex_` orders them with the
// client's cancellation, which ends the call at once (a poll in flight then finishes into
// nothing: its jobs time out on the broker, as they would had the client gone mid-write).
// Lifecycle as UnaryCall: it holds itself until OnDone, and every pending step holds it.
class ActivateJobsCall final : public grpc::ServerWriteReactor<gp::ActivateJobsResponse>,
                               public std::enable_shared_from_this<ActivateJobsCall> {
 public:
  static void start(std::shared_ptr<CommandRouter> router, grpc::CallbackServerContext* context,
                    const gp::ActivateJobsRequest& request,
                    grpc::ServerWriteReactor<gp::ActivateJobsResponse>** reactor) {
    auto call = std::shared_ptr<ActivateJobsCall>(new ActivateJobsCall(std::move(router), request));
    call->self_ = call;
    *reactor = call.get();
    call->long_polling_ = request.requesttimeout() >= 0;
    call->poll_until_ = std::min(
        context->deadline(),
        Clock::now()
            + (request.requesttimeout() > 0 ? std::chrono::milliseconds(request.requesttimeout())
                                            : kDefaultLongPollTimeout));
    call->client_deadline_ = context->deadline();
    call->poll();
  }

  void OnCancel() override {
    TimerQueue::TimerId timer = 0;
    routing::JobWakeups::WaiterId waiter = 0;
    {
      std::lock_guard lock(mutex_);
      if (phase_ == Phase::kWriting || phase_ == Phase::kFinished) return;  // writes fail
      phase_ = Phase::kFinished;
      timer = std::exchange(timer_, 0);
      waiter = std::exchange(waiter_, 0);
    }
    drop_wait(timer, waiter);
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
  }

  void OnWriteDone(bool ok) override {
    const gp::ActivateJobsResponse* next = nullptr;
    {
      std::lock_guard lock(mutex_);
      ++written_;
      if (ok && written_ < batches_.size()) next = &batches_[written_];
      if (!next || written_ + 1 == batches_.size()) phase_ = Phase::kFinished;
    }
    // A failed write: the worker went away; its jobs time out on the broker.
    if (next) {
      write(next);
    } else {
      Finish(grpc::Status::OK);
    }
  }

  // May destroy this object; nothing may follow.
  void OnDone() override { self_.reset(); }

 private:
  enum class Phase { kPolling, kWaiting, kWriting, kFinished };

  ActivateJobsCall(std::shared_ptr<CommandRouter> router, const gp::ActivateJobsRequest& request)
      : router_(std::move(router)), request_(request) {}

  void poll() {
    const std::uint64_t seen = router_->wakeups().generation(request_.type());
    poll_jobs_async(router_, request_, router_->deadline_for_client(client_deadline_),
                    [self = shared_from_this(), seen](
                        grpc::Status status, std::vector<gp::ActivateJobsResponse> batches) {
                      self->polled(std::move(status), std::move(batches), seen);
                    });
  }

  void polled(grpc::Status status, std::vector<gp::ActivateJobsResponse> batches,
              std::uint64_t seen) {
    enum class Next { kNothing, kFinish, kWrite, kWait } next = Next::kNothing;
    std::uint64_t wait = 0;
    bool pass_on = false;
    const bool busy = !status.ok();  // retryable here: no partition could be asked
    {
      std::lock_guard lock(mutex_);
      if (phase_ == Phase::kFinished) return;  // cancelled meanwhile
      const auto now = Clock::now();
      if (!status.ok() && !is_retryable_poll_failure(status)) {
        next = Next::kFinish;
      } else if (!batches.empty()) {
        batches_ = std::move(batches);
        // One batch (one partition had jobs, the usual case) is written with the status.
        phase_ = batches_.size() == 1 ? Phase::kFinished : Phase::kWriting;
        next = Next::kWrite;
        int activated = 0;
        for (const auto& batch : batches_)
          activated += batch.jobs_size();
        // It took a wake-up's jobs and filled its maximum: more may wait, for the next waiter.
        pass_on = activated >= request_.maxjobstoactivate();
      } else if (!long_polling_ || now >= poll_until_) {
        // No jobs: an empty answer, unless no partition could even be asked.
        next = Next::kFinish;
      } else {
        phase_ = Phase::kWaiting;
        wait = ++wait_round_;
        next = Next::kWait;
      }
      if (next == Next::kFinish) phase_ = Phase::kFinished;
    }
    if (pass_on) router_->wakeups().notify(request_.type());
    switch (next) {
      case Next::kFinish:
        Finish(status);
        break;
      case Next::kWrite:
        write(&batches_.front());  // batches_ is not touched again until OnDone
        break;
      case Next::kWait:
        wait_for_jobs(seen, wait, busy);
        break;
      case Next::kNothing:
        break;
    }
  }

  // Writes one batch of the answer; the last one goes out with the call's status in the same
  // operation (StartWriteAndFinish): the worker, which asks again only once the call ended, sees
  // the end at once, and gRPC completes one operation instead of a write and then a finish (one
  // thread hand-off fewer per poll).
  void write(const gp::ActivateJobsResponse* batch) {
    if (batch == &batches_.back()) {
      StartWriteAndFinish(batch, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      StartWrite(batch);
    }
  }

  // `busy`: the poll reached no partition; only the short back-off ends the wait.
  void wait_for_jobs(std::uint64_t seen, std::uint64_t wait, bool busy) {
    auto self = shared_from_this();
    const auto until =
        std::min(poll_until_, Clock::now() + (busy ? kBusyRepollInterval : kRepollInterval));
    const auto timer = router_->timers().schedule(
        until, [self, wait](TimerQueue::Fired fired) { self->woken(wait, fired); });
    const auto waiter = busy ? routing::JobWakeups::WaiterId{0}
                             : router_->wakeups().when_changed(request_.type(), seen, [self, wait] {
                                 self->woken(wait, TimerQueue::Fired::kDue);
                               });
    bool stale = false;  // the wait ended already (one of the two fired before this point)
    {
      std::lock_guard lock(mutex_);
      stale = phase_ != Phase::kWaiting || wait_round_ != wait;
      if (!stale) {
        timer_ = timer;
        waiter_ = waiter;
      }
    }
    if (stale) drop_wait(timer, waiter);
  }

  // The wait `wait` ended (a wake-up or its timer; at shutdown, kCancelled): poll again, or at
  // shutdown end the call with no jobs.
  void woken(std::uint64_t wait, TimerQueue::Fired fired) {
    TimerQueue::TimerId timer = 0;
    routing::JobWakeups::WaiterId waiter = 0;
    {
      std::lock_guard lock(mutex_);
      if (phase_ != Phase::kWaiting || wait_round_ != wait) return;
      phase_ = fired == TimerQueue::Fired::kDue ? Phase::kPolling : Phase::kFinished;
      timer = std::exchange(timer_, 0);
      waiter = std::exchange(waiter_, 0);
    }
    drop_wait(timer, waiter);
    if (fired == TimerQueue::Fired::kDue) {
      poll();
    } else {
      Finish(grpc::Status::OK);
    }
  }

  void drop_wait(TimerQueue::TimerId timer, routing::JobWakeups::WaiterId waiter) {
    if (timer != 0) router_->timers().cancel(timer);
    if (waiter != 0) router_->wakeups().forget(waiter);
  }

  const std::shared_ptr<CommandRouter> router_;
  const gp::ActivateJobsRequest request_;
  bool long_polling_ = false;          // set before the first step
  Clock::time_point poll_until_;       // set before the first step
  Clock::time_point client_deadline_;  // set before the first step
  std::shared_ptr<ActivateJobsCall> self_;

  std::mutex mutex_;
  Phase phase_ = Phase::kPolling;                  // guarded by mutex_
  std::uint64_t wait_round_ = 0;                   // guarded by mutex_
  TimerQueue::TimerId timer_ = 0;                  // the current wait's; guarded by mutex_
  routing::JobWakeups::WaiterId waiter_ = 0;       // the current wait's; guarded by mutex_
  std::vector<gp::ActivateJobsResponse> batches_;  // set once, when writing starts
  std::size_t written_ = 0;                        // guarded by mutex_
};

}  // namespace

grpc::ServerWriteReactor<gp::ActivateJobsResponse>* GatewayService::ActivateJobs(
    grpc::CallbackServerContext* context, const gp::ActivateJobsRequest* request) {
  grpc::Status invalid = grpc::Status::OK;
  if (request->type().empty()) {
    invalid = routing::invalid_argument("type", "to be present, but it was blank");
  } else if (request->maxjobstoactivate() < 1) {
    invalid = routing::invalid_argument(
        "maxJobsToActivate",
        "to be greater than 0, but it was " + std::to_string(request->maxjobstoactivate()));
  }
  if (!invalid.ok()) {
    // A reactor that only refuses: gRPC deletes it after OnDone.
    class Refusal final : public grpc::ServerWriteReactor<gp::ActivateJobsResponse> {
     public:
      explicit Refusal(grpc::Status status) { Finish(std::move(status)); }
      void OnDone() override { delete this; }
    };
    return new Refusal(std::move(invalid));
  }
  grpc::ServerWriteReactor<gp::ActivateJobsResponse>* reactor = nullptr;
  ActivateJobsCall::start(router_, context, *request, &reactor);
  return reactor;
}

grpc::Status GatewayService::StreamActivatedJobs(grpc::ServerContext* context,
                                                 const gp::StreamActivatedJobsRequest* request,
                                                 grpc::ServerWriter<gp::ActivatedJob>* writer) {
  if (request->type().empty()) {
    return routing::invalid_argument("type", "to be present, but it was blank");
  }
  if (request->timeout() < 1) {
    return routing::invalid_argument(
        "timeout", "to be greater than 0, but it was " + std::to_string(request->timeout()));
  }
  gp::ActivateJobsRequest poll;
  poll.set_type(request->type());
  poll.set_worker(request->worker());
  poll.set_timeout(request->timeout());
  poll.set_maxjobstoactivate(kStreamBatch);
  for (const auto& name : request->fetchvariable())
    poll.add_fetchvariable(name);
  auto& wakeups = router_->wakeups();
  while (!context->IsCancelled()) {
    const std::uint64_t seen = wakeups.generation(request->type());
    std::vector<gp::ActivateJobsResponse> batches;
    grpc::Status status = poll_jobs(router_, poll, router_->deadline_for(*context), batches);
    if (!status.ok() && !is_retryable_poll_failure(status)) return status;
    bool any = false;
    for (const auto& batch : batches) {
      for (const auto& job : batch.jobs()) {
        if (!writer->Write(job)) return grpc::Status::OK;  // the worker went away
        any = true;
      }
    }
    if (!any) wakeups.wait(request->type(), seen, Clock::now() + kRepollInterval);
  }
  return grpc::Status::OK;
}

}  // namespace tern::gateway
