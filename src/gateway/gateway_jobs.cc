// GatewayService: job activation across partitions. ActivateJobs polls the partitions
// (JobPoll, job_poll.h) and writes each partition's jobs to the worker's stream as soon as that
// partition answered; when none has jobs, it long-polls: it waits for a broker's wake-up for the
// job type (JobWakeups) or for the request time-out, and polls again: after a wake-up, the
// partition that raised it first (JobPoll), after a re-poll interval every partition. ActivateJobs
// is a callback-API handler: every step continues from the previous one's completion (a poll's
// answers, a write, a wake-up, a timer), so a long poll holds no thread. StreamActivatedJobs
// does the same without end, pushing each job to the worker, on a synchronous thread.

#include <spdlog/spdlog.h>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <utility>

#include "gateway/gateway_service.h"
#include "gateway/job_poll.h"
#include "gateway/routing/error_mapping.h"

namespace tern::gateway {

namespace gp = gateway_protocol;
using routing::CommandRouter;
using routing::TimerQueue;
using Clock = CommandRouter::Clock;

namespace {

// Zeebe's default long-polling time-out when a request says 0.
constexpr auto kDefaultLongPollTimeout = std::chrono::milliseconds(10'000);
// A poll that no partition answered (all busy or leaderless) is repeated after this long, whatever
// the wake-ups say: a wake-up tells of new jobs, not of a partition taking commands again, and
// re-polling on each one would spin against a back-pressured partition.
constexpr auto kBusyRepollInterval = std::chrono::milliseconds(25);
// Jobs fetched per poll of a StreamActivatedJobs request.
constexpr int kStreamBatch = 32;

// The blocking form of a poll, for StreamActivatedJobs: all its batches once it is over.
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
  JobPollSink sink;
  sink.batch = [outcome](gp::ActivateJobsResponse batch, bool) {
    std::lock_guard lock(outcome->mutex);
    outcome->batches.push_back(std::move(batch));
  };
  sink.done = [outcome](grpc::Status status, int) {
    std::lock_guard lock(outcome->mutex);
    outcome->status = std::move(status);
    outcome->done = true;
    outcome->settled.notify_all();
  };
  poll_jobs_async(std::move(router), request, deadline, std::move(sink));
  std::unique_lock lock(outcome->mutex);
  outcome->settled.wait(lock, [&] { return outcome->done; });
  batches = std::move(outcome->batches);
  return std::move(outcome->status);
}

// One ActivateJobs call: poll, writing each partition's jobs as they come; when the poll found
// jobs, end once they are written; otherwise, when long polling, wait for a wake-up for the type
// or a timer (whichever first; the other is dropped), and poll again. Every step runs on the
// thread that completed the previous one; `mutex_` orders them with the client's cancellation.
// gRPC allows one write at a time: batches that arrive while one is being written queue behind
// it. A cancellation ends the call at once when no write is in flight, else when that write
// completes (it fails). Jobs activated for a call that can no longer write them (cancelled, a
// write failed) are not handed out: they time out on the broker and become activatable again,
// and the gateway logs how many.
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
    // A long poll's first poll skips partitions known to have no job of the type (job_poll.h):
    // it would wait for their wake-ups anyway.
    call->poll(kEveryPartition, call->long_polling_);
  }

  void OnCancel() override {
    TimerQueue::TimerId timer = 0;
    routing::JobWakeups::WaiterId waiter = 0;
    {
      std::lock_guard lock(mutex_);
      if (phase_ == Phase::kFinished) return;
      if (writing_) {
        cancelled_ = true;  // the write in flight fails, and OnWriteDone ends the call
        return;
      }
      phase_ = Phase::kFinished;
      timer = std::exchange(timer_, 0);
      waiter = std::exchange(waiter_, 0);
    }
    drop_wait(timer, waiter);
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
  }

  void OnWriteDone(bool ok) override {
    const gp::ActivateJobsResponse* next = nullptr;
    bool and_finish = false;
    bool finish = false;
    int lost = 0;
    {
      std::lock_guard lock(mutex_);
      queue_.pop_front();
      if (!ok || cancelled_) {
        // The worker went away.
        for (const auto& batch : queue_)
          lost += batch.jobs_size();
        queue_.clear();
        writing_ = false;
        phase_ = Phase::kFinished;
        finish = true;
      } else if (!queue_.empty()) {
        next = &queue_.front();
        and_finish = poll_over_ && queue_.size() == 1;
        if (and_finish) phase_ = Phase::kFinished;
      } else {
        writing_ = false;
        if (poll_over_) {
          phase_ = Phase::kFinished;
          finish = true;
        }
      }
    }
    if (lost > 0) report_lost(lost);
    if (next) {
      write(next, and_finish);
    } else if (finish) {
      Finish(grpc::Status::OK);
    }
  }

  // May destroy this object; nothing may follow.
  void OnDone() override { self_.reset(); }

 private:
  enum class Phase { kPolling, kWaiting, kFinished };

  ActivateJobsCall(std::shared_ptr<CommandRouter> router, const gp::ActivateJobsRequest& request)
      : router_(std::move(router)), request_(request) {}

  // `first_asked`: the partition whose wake-up woke this call, or kEveryPartition.
  // `skip_known_empty`: see poll_jobs_async().
  void poll(std::int32_t first_asked, bool skip_known_empty) {
    const std::uint64_t seen = router_->wakeups().generation(request_.type());
    JobPollSink sink;
    sink.batch = [self = shared_from_this()](gp::ActivateJobsResponse batch, bool last) {
      self->received(std::move(batch), last);
    };
    sink.done = [self = shared_from_this(), seen, first_asked](grpc::Status status, int activated) {
      self->polled(std::move(status), activated, seen, first_asked);
    };
    poll_jobs_async(router_, request_, router_->deadline_for_client(client_deadline_),
                    std::move(sink), first_asked, skip_known_empty);
  }

  // One partition's jobs: written at once, or queued behind the write in flight.
  void received(gp::ActivateJobsResponse batch, bool last) {
    const gp::ActivateJobsResponse* next = nullptr;
    bool and_finish = false;
    int lost = 0;
    {
      std::lock_guard lock(mutex_);
      if (phase_ == Phase::kFinished || cancelled_) {
        lost = batch.jobs_size();
      } else {
        queue_.push_back(std::move(batch));  // a deque: the element being written stays put
        if (last) poll_over_ = true;
        if (!writing_) {
          writing_ = true;
          next = &queue_.front();
          and_finish = poll_over_ && queue_.size() == 1;
          if (and_finish) phase_ = Phase::kFinished;
        }
      }
    }
    if (lost > 0) report_lost(lost);
    if (next) write(next, and_finish);
  }

  // The poll is over; its jobs (`activated` of them) were all given to received() before.
  void polled(grpc::Status status, int activated, std::uint64_t seen, std::int32_t first_asked) {
    enum class Next { kNothing, kFinish, kWait } next = Next::kNothing;
    std::uint64_t wait = 0;
    const bool busy = !status.ok();  // retryable here: no partition could be asked
    // It took a wake-up's jobs and filled its maximum: more may wait, for the next waiter, most
    // likely on the partition that woke this one.
    if (activated >= request_.maxjobstoactivate()) {
      router_->wakeups().notify(request_.type(), first_asked);
    }
    {
      std::lock_guard lock(mutex_);
      if (phase_ == Phase::kFinished) return;  // cancelled, or the last batch ended the call
      const auto now = Clock::now();
      if (activated > 0) {
        poll_over_ = true;
        // Otherwise the write in flight ends the call once the queue is written.
        if (!writing_) next = Next::kFinish;
      } else if (!status.ok() && !is_retryable_poll_failure(status)) {
        next = Next::kFinish;
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
    switch (next) {
      case Next::kFinish:
        Finish(activated > 0 ? grpc::Status::OK : status);
        break;
      case Next::kWait:
        wait_for_jobs(seen, wait, busy);
        break;
      case Next::kNothing:
        break;
    }
  }

  // Writes one batch; the call's last one goes out with its status in the same operation
  // (StartWriteAndFinish): the worker, which asks again only once the call ended, sees the end
  // at once, and gRPC completes one operation instead of a write and then a finish (one thread
  // hand-off fewer per poll). A batch written while other partitions are still being asked goes
  // alone, and the finish follows when the poll is over.
  void write(const gp::ActivateJobsResponse* batch, bool and_finish) {
    if (and_finish) {
      StartWriteAndFinish(batch, grpc::WriteOptions(), grpc::Status::OK);
    } else {
      StartWrite(batch);
    }
  }

  void report_lost(int jobs) const {
    spdlog::warn(
        "ActivateJobs of type '{}' for worker '{}': {} activated job(s) not handed out (the call "
        "ended); they become activatable again when their {} ms time-out passes",
        request_.type(), request_.worker(), jobs, request_.timeout());
  }

  // `busy`: the poll reached no partition; only the short back-off ends the wait.
  void wait_for_jobs(std::uint64_t seen, std::uint64_t wait, bool busy) {
    auto self = shared_from_this();
    const auto until = std::min(
        poll_until_,
        Clock::now() + (busy ? kBusyRepollInterval : router_->options().job_repoll_interval));
    // The timer's poll asks every partition: a job whose wake-up went to another gateway, or
    // was lost with a broker's stream, is found there at the latest.
    const auto timer = router_->timers().schedule(until, [self, wait](TimerQueue::Fired fired) {
      self->woken(wait, fired, kEveryPartition, /*by_timer=*/true);
    });
    const auto waiter = busy ? routing::JobWakeups::WaiterId{0}
                             : router_->wakeups().when_changed(
                                 request_.type(), seen, [self, wait](std::int32_t partition) {
                                   self->woken(wait, TimerQueue::Fired::kDue, partition,
                                               /*by_timer=*/false);
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

  // The wait `wait` ended (a wake-up from `partition`, or its timer; at shutdown, kCancelled):
  // poll again, or at shutdown end the call with no jobs. The timer's poll asks every partition,
  // whatever JobWakeups believes empty; a wake-up's skips the partitions known empty (a wake-up
  // from some partition moved that partition's generation, so it is asked).
  void woken(std::uint64_t wait, TimerQueue::Fired fired, std::int32_t partition, bool by_timer) {
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
      poll(partition == routing::JobWakeups::kAnyPartition ? kEveryPartition : partition,
           !by_timer);
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
  Phase phase_ = Phase::kPolling;             // kFinished once Finish is called or due; guarded
  std::uint64_t wait_round_ = 0;              // guarded by mutex_
  TimerQueue::TimerId timer_ = 0;             // the current wait's; guarded by mutex_
  routing::JobWakeups::WaiterId waiter_ = 0;  // the current wait's; guarded by mutex_
  // Batches to write, the front one being written while `writing_`; guarded by mutex_.
  std::deque<gp::ActivateJobsResponse> queue_;
  bool writing_ = false;    // guarded by mutex_
  bool poll_over_ = false;  // the poll found jobs and is over: end when written; guarded
  bool cancelled_ = false;  // the client cancelled during a write; guarded by mutex_
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
    if (!any) {
      wakeups.wait(request->type(), seen, Clock::now() + router_->options().job_repoll_interval);
    }
  }
  return grpc::Status::OK;
}

}  // namespace tern::gateway
