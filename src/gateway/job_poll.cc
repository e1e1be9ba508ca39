#include "gateway/job_poll.h"

#include <algorithm>
#include <mutex>
#include <optional>
#include <utility>
#include <vector>

#include "gateway/routing/error_mapping.h"

namespace tern::gateway {

namespace gp = gateway_protocol;
namespace tc = tern::command;
using routing::CommandRouter;
using Clock = CommandRouter::Clock;

bool is_retryable_poll_failure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED
         || status.error_code() == grpc::StatusCode::UNAVAILABLE
         || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

namespace {

// The state of one poll. Rounds do not overlap: the next one is decided, under `mutex_`, by the
// answer that settled the last request of the current one; so a request's index names its slot
// in the round's `shares_` and `filled_`. Requests are sent outside the lock, since an
// in-process answer may come back before execute_async() returns. Held by shared_ptr by every
// request in flight.
class JobPoll : public std::enable_shared_from_this<JobPoll> {
 public:
  JobPoll(std::shared_ptr<CommandRouter> router, const gp::ActivateJobsRequest& request,
          Clock::time_point deadline, JobPollSink sink, std::int32_t first_asked,
          bool skip_known_empty)
      : router_(std::move(router)),
        request_(request),
        deadline_(deadline),
        sink_(std::move(sink)),
        first_asked_(first_asked),
        skip_known_empty_(skip_known_empty),
        remaining_(request.maxjobstoactivate()) {}

  void start() {
    // One topology for the partition count and the first round's routing: building it is not
    // free (a standalone gateway merges the brokers' reports, an embedded one asks its broker).
    routed_by_ = router_->topology();
    const std::int32_t count = routed_by_->partitions_count;
    if (count < 1) return sink_.done(routing::no_topology(), 0);
    std::vector<tc::BrokerRequest> requests;
    {
      std::lock_guard lock(mutex_);
      // Partitions that may still have jobs, in the order they are offered the quota, starting
      // at a rotating one so that no partition is always last to be served.
      const std::int32_t first = router_->poll_rotation().next(count);
      const bool targeted = first_asked_ >= 1 && first_asked_ <= count;
      // The woken partition leads, alone in the first round; the others follow in rotation.
      if (targeted) candidates_.push_back(first_asked_);
      const auto& wakeups = router_->wakeups();
      const auto max_age = router_->options().job_repoll_interval;
      for (std::int32_t i = 0; i < count; ++i) {
        const std::int32_t partition = (first - 1 + i) % count + 1;
        if (targeted && partition == first_asked_) continue;
        if (skip_known_empty_ && wakeups.known_empty(request_.type(), partition, max_age)) continue;
        candidates_.push_back(partition);
      }
      woken_round_ = targeted;
      requests = next_round(targeted ? 1 : candidates_.size());
    }
    send(std::move(requests));
    finish_if_over();
  }

 private:
  // Under mutex_: the next round's requests, none when the poll is over. Every round asks its
  // partitions at once, for shares of what is left that add up to no more than that: a job
  // activated beyond the worker's maximum could not be handed to it and would sit until its
  // time-out.
  // At most `most` partitions are asked, the first of candidates_.
  std::vector<tc::BrokerRequest> next_round(std::size_t most) {
    if (remaining_ <= 0 || candidates_.empty() || !fatal_.ok()) return {};
    const auto asked = std::min({candidates_.size(), static_cast<std::size_t>(remaining_), most});
    std::vector<tc::BrokerRequest> requests(asked);
    shares_.assign(asked, 0);
    filled_.assign(asked, false);
    asked_at_.assign(asked, 0);
    for (std::size_t i = 0; i < asked; ++i) {
      // Read before the request leaves: a wake-up after this point moves it (note_empty()).
      asked_at_[i] = router_->wakeups().partition_generation(request_.type(), candidates_[i]);
      const int share = remaining_ / static_cast<int>(asked)
                        + (static_cast<int>(i) < remaining_ % static_cast<int>(asked) ? 1 : 0);
      requests[i].set_partition_id(candidates_[i]);
      *requests[i].mutable_activate_jobs() = request_;
      requests[i].mutable_activate_jobs()->set_maxjobstoactivate(share);
      shares_[i] = share;
    }
    pending_ = asked;
    return requests;
  }

  void send(std::vector<tc::BrokerRequest> requests) {
    if (requests.empty()) return;
    // The first round is routed by the topology start() read, a later one by a fresh one.
    auto routed_by = std::exchange(routed_by_, nullptr);
    if (!routed_by) routed_by = router_->topology();
    for (std::size_t i = 0; i < requests.size(); ++i) {
      router_->execute_async(
          std::move(requests[i]), deadline_,
          [self = shared_from_this(), i](grpc::Status status, tc::BrokerResponse response) {
            self->answered(i, std::move(status), std::move(response));
          },
          routed_by);
    }
  }

  // Request `index` of the current round settled.
  void answered(std::size_t index, grpc::Status status, tc::BrokerResponse response) {
    std::optional<gp::ActivateJobsResponse> batch;
    std::vector<tc::BrokerRequest> requests;
    bool last = false;
    {
      std::lock_guard lock(mutex_);
      if (!status.ok()) {
        // A busy or leaderless partition is skipped; any other failure ends the poll (an
        // invalid request is invalid everywhere), after this round's answers are in.
        (is_retryable_poll_failure(status) ? failure_ : fatal_) = std::move(status);
      } else {
        ++answered_;
        auto& jobs = *response.mutable_activate_jobs();
        const int got = jobs.jobs_size();
        // A partition that filled its share may have more; one that did not, or failed, is done.
        filled_[index] = got >= shares_[index];
        // Short of its share: it had no more activatable jobs of the type when it answered.
        if (!filled_[index])
          router_->wakeups().note_empty(request_.type(), candidates_[index], asked_at_[index]);
        if (got > 0) {
          remaining_ -= got;
          activated_ += got;
          ++undelivered_;
          batch = std::move(jobs);
        }
      }
      if (--pending_ == 0) {
        std::vector<std::int32_t> next;
        for (std::size_t i = 0; i < filled_.size(); ++i)
          if (filled_[i]) next.push_back(candidates_[i]);
        // The partitions not asked this round (fewer jobs wanted than partitions, or the woken
        // partition had no job) come next. A woken partition that answered with jobs, short of
        // the maximum, ends the poll: its wake-up was for those jobs, and each other partition's
        // jobs raised wake-ups of their own.
        const bool woken_answered_jobs = std::exchange(woken_round_, false) && activated_ > 0;
        if (!woken_answered_jobs)
          next.insert(next.end(), candidates_.begin() + static_cast<std::ptrdiff_t>(filled_.size()),
                      candidates_.end());
        candidates_ = std::move(next);
        requests = next_round(candidates_.size());
      }
      last = batch && pending_ == 0 && undelivered_ == 1;
    }
    if (batch) {
      // Jobs the other partitions activated in the same round as a failure go to the worker all
      // the same: left out, they would stay locked until their time-out.
      sink_.batch(std::move(*batch), last);
      std::lock_guard lock(mutex_);
      --undelivered_;
    }
    send(std::move(requests));
    finish_if_over();
  }

  void finish_if_over() {
    grpc::Status status = grpc::Status::OK;
    {
      std::lock_guard lock(mutex_);
      if (finished_ || pending_ > 0 || undelivered_ > 0) return;
      finished_ = true;
      if (!fatal_.ok() && activated_ == 0) {
        status = fatal_;
      } else if (answered_ == 0 && !failure_.ok()) {
        status = failure_;
      }
    }
    sink_.done(std::move(status), activated_);
  }

  const std::shared_ptr<CommandRouter> router_;
  const gp::ActivateJobsRequest request_;
  const Clock::time_point deadline_;
  const JobPollSink sink_;
  const std::int32_t first_asked_;
  const bool skip_known_empty_;
  // The topology start() read, for the first round's routing; touched by start() and the first
  // send() only, which follows it on the same thread.
  std::shared_ptr<const ClusterTopology> routed_by_;

  std::mutex mutex_;
  int remaining_;                         // the maximum less the jobs handed out; guarded
  int activated_ = 0;                     // guarded by mutex_ (read alone once finished_)
  std::vector<std::int32_t> candidates_;  // guarded by mutex_
  std::vector<int> shares_;               // the current round's, as candidates_; guarded
  std::vector<bool> filled_;              // the current round's, as candidates_; guarded
  // The current round's partition generations, read as it was sent (JobWakeups); guarded.
  std::vector<std::uint64_t> asked_at_;
  std::size_t pending_ = 0;                  // the current round's requests unsettled; guarded
  std::size_t undelivered_ = 0;              // batches counted but not yet given; guarded
  grpc::Status failure_ = grpc::Status::OK;  // the last retryable one; guarded by mutex_
  grpc::Status fatal_ = grpc::Status::OK;    // guarded by mutex_
  int answered_ = 0;                         // guarded by mutex_
  bool woken_round_ = false;  // the current round asks the woken partition alone; guarded
  bool finished_ = false;     // guarded by mutex_
};

}  // namespace

void poll_jobs_async(std::shared_ptr<CommandRouter> router, const gp::ActivateJobsRequest& request,
                     Clock::time_point deadline, JobPollSink sink, std::int32_t first_asked,
                     bool skip_known_empty) {
  std::make_shared<JobPoll>(std::move(router), request, deadline, std::move(sink), first_asked,
                            skip_known_empty)
      ->start();
}

}  // namespace tern::gateway
