// GatewayService: job activation across partitions. ActivateJobs polls the partitions
// concurrently, splitting the worker's maximum between them (starting at a rotating one, so no
// partition is always last), asks again those that filled their share while the maximum is not
// reached, and, when none has jobs, long-polls: it
// waits for a broker's wake-up for the job type (JobWakeups) or for the request time-out, and
// polls again. StreamActivatedJobs does the same without end, pushing each job to the worker.

#include <algorithm>
#include <string>

#include "gateway/gateway_service.h"
#include "gateway/routing/error_mapping.h"

namespace tern::gateway {

namespace gp = gateway_protocol;
namespace tc = tern::command;
using Clock = routing::CommandRouter::Clock;

namespace {

// Zeebe's default long-polling time-out when a request says 0.
constexpr auto kDefaultLongPollTimeout = std::chrono::milliseconds(10'000);
// A waiting request polls again after this long even without a wake-up, in case one was missed
// (a broker subscription being re-established, say).
constexpr auto kRepollInterval = std::chrono::milliseconds(1'000);
// Jobs fetched per poll of a StreamActivatedJobs request.
constexpr int kStreamBatch = 32;

bool is_retryable_poll_failure(const grpc::Status& status) {
  return status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED
         || status.error_code() == grpc::StatusCode::UNAVAILABLE
         || status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED;
}

}  // namespace

grpc::Status GatewayService::poll_jobs(const gp::ActivateJobsRequest& request,
                                       Clock::time_point deadline,
                                       std::vector<gp::ActivateJobsResponse>& batches) {
  const std::int32_t count = router_->partition_count();
  if (count < 1) return routing::no_topology();
  // Partitions that may still have jobs, in the order they are offered the quota, starting at a
  // rotating one so that no partition is always last to be served.
  std::vector<std::int32_t> candidates;
  const std::int32_t first = router_->round_robin().next(count);
  for (std::int32_t i = 0; i < count; ++i)
    candidates.push_back((first - 1 + i) % count + 1);
  int remaining = request.maxjobstoactivate();
  grpc::Status failure = grpc::Status::OK;  // the last retryable one
  grpc::Status fatal = grpc::Status::OK;
  int answered = 0;
  while (remaining > 0 && !candidates.empty()) {
    // Every round asks its partitions at once, for shares of what is left that add up to no more
    // than that: a job activated beyond the worker's maximum could not be handed to it and would
    // sit until its time-out.
    const auto asked =
        std::min<std::size_t>(candidates.size(), static_cast<std::size_t>(remaining));
    std::vector<tc::BrokerRequest> requests(asked);
    std::vector<int> shares(asked);
    for (std::size_t i = 0; i < asked; ++i) {
      const int share = remaining / static_cast<int>(asked)
                        + (static_cast<int>(i) < remaining % static_cast<int>(asked) ? 1 : 0);
      requests[i].set_partition_id(candidates[i]);
      *requests[i].mutable_activate_jobs() = request;
      requests[i].mutable_activate_jobs()->set_maxjobstoactivate(share);
      shares[i] = share;
    }
    std::vector<tc::BrokerResponse> responses;
    std::vector<grpc::Status> statuses =
        router_->execute_all(std::move(requests), deadline, responses);
    // A partition that filled its share may have more; one that did not, or failed, is done.
    std::vector<std::int32_t> next;
    for (std::size_t i = 0; i < asked; ++i) {
      if (!statuses[i].ok()) {
        // A busy or leaderless partition is skipped; any other failure ends the poll (an invalid
        // request is invalid everywhere), after this round's answers are in.
        if (!is_retryable_poll_failure(statuses[i])) {
          fatal = statuses[i];
        } else {
          failure = statuses[i];
        }
        continue;
      }
      ++answered;
      auto& batch = *responses[i].mutable_activate_jobs();
      const int got = batch.jobs_size();
      if (got > 0) {
        remaining -= got;
        batches.push_back(std::move(batch));
      }
      if (got >= shares[i]) next.push_back(candidates[i]);
    }
    // The partitions not asked this round (fewer jobs wanted than partitions) come next.
    next.insert(next.end(), candidates.begin() + static_cast<std::ptrdiff_t>(asked),
                candidates.end());
    candidates = std::move(next);
    if (!fatal.ok()) break;
  }
  // Jobs the other partitions activated in the same round go to the worker all the same: left
  // out, they would stay locked until their time-out.
  if (!fatal.ok() && batches.empty()) return fatal;
  if (answered == 0 && !failure.ok()) return failure;
  return grpc::Status::OK;
}

grpc::Status GatewayService::ActivateJobs(grpc::ServerContext* context,
                                          const gp::ActivateJobsRequest* request,
                                          grpc::ServerWriter<gp::ActivateJobsResponse>* writer) {
  if (request->type().empty()) {
    return routing::invalid_argument("type", "to be present, but it was blank");
  }
  if (request->maxjobstoactivate() < 1) {
    return routing::invalid_argument(
        "maxJobsToActivate",
        "to be greater than 0, but it was " + std::to_string(request->maxjobstoactivate()));
  }
  const bool long_polling = request->requesttimeout() >= 0;
  const auto poll_until = std::min(
      context->deadline(),
      Clock::now()
          + (request->requesttimeout() > 0 ? std::chrono::milliseconds(request->requesttimeout())
                                           : kDefaultLongPollTimeout));
  auto& wakeups = router_->wakeups();
  while (true) {
    const std::uint64_t seen = wakeups.generation(request->type());
    std::vector<gp::ActivateJobsResponse> batches;
    grpc::Status status = poll_jobs(*request, router_->deadline_for(*context), batches);
    if (!status.ok() && !is_retryable_poll_failure(status)) return status;
    if (!batches.empty()) {
      for (const auto& batch : batches)
        writer->Write(batch);
      return grpc::Status::OK;
    }
    const auto now = Clock::now();
    if (!long_polling || now >= poll_until || context->IsCancelled()) {
      // No jobs: an empty answer, unless no partition could even be asked.
      return status.ok() ? grpc::Status::OK : status;
    }
    wakeups.wait(request->type(), seen, std::min(poll_until, now + kRepollInterval));
  }
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
    grpc::Status status = poll_jobs(poll, router_->deadline_for(*context), batches);
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
