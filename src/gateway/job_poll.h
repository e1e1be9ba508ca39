#pragma once

// JobPoll: one poll of every partition for up to an ActivateJobs request's maximum of jobs, for
// the gateway's ActivateJobs and StreamActivatedJobs (gateway_jobs.cc). It asks the partitions
// concurrently, each for a share of what is left (starting at a rotating one, so no partition is
// always last), in rounds: a round asks again the partitions that filled their share while the
// maximum is not reached. Each partition's jobs go to the sink as soon as that partition
// answered, not when the round is complete: a job ready on one partition does not wait for the
// slowest partition's activation. The shares asked at any time never add up to more than the
// maximum minus the jobs already handed out, so a poll never activates more than the maximum.
//
// A poll woken by a partition's wake-up (`first_asked`) asks that partition alone first, for
// the whole maximum: a wake-up usually means one job on that partition, and asking the others
// too would cost each of them an activation that finds nothing. When that partition answers
// with jobs, short of the maximum, the poll ends there: jobs on the other partitions raised
// wake-ups of their own (taken by other waiters, or moving the generation so that the next call
// asks every partition). Only when it has no job (or cannot be asked) does the poll go on to the
// others, as above; when it fills the maximum it is asked again. A poll without one
// (kEveryPartition) asks every partition from the start.
//
// Threads: the sink's callbacks run on the threads that delivered the answers (gRPC callback
// threads, partition strands), possibly two batches at once from different threads; `done` runs
// exactly once, after every batch was delivered (its callback returned).

#include <cstdint>
#include <functional>
#include <memory>

#include "gateway.pb.h"
#include "gateway/routing/command_router.h"

namespace tern::gateway {

struct JobPollSink {
  // One partition's jobs (never empty). `last`: no other batch follows (`done` still comes).
  std::function<void(gateway_protocol::ActivateJobsResponse batch, bool last)> batch;
  // The poll ended, having handed out `activated` jobs. `status` is an error only when no job
  // was handed out and either no partition could be asked (a retryable status: back-pressure,
  // no leader, time-out) or a request was invalid.
  std::function<void(grpc::Status status, int activated)> done;
};

// Asks every partition in the first round.
inline constexpr std::int32_t kEveryPartition = 0;

// `first_asked`: the partition to ask alone first (see above), or kEveryPartition. A partition
// the topology does not have is treated as kEveryPartition.
// Every answer short of its share is recorded as the partition having no more jobs of the type
// (JobWakeups::note_empty). With `skip_known_empty`, partitions that JobWakeups::known_empty()
// names (an empty answer since their last wake-up, younger than the re-poll interval) are not
// asked: a worker's next ActivateJobs call right after one that emptied every partition then
// costs no activation, and waits for a wake-up (or its re-poll) at once. A poll with nothing to
// ask ends with no jobs and an OK status.
void poll_jobs_async(std::shared_ptr<routing::CommandRouter> router,
                     const gateway_protocol::ActivateJobsRequest& request,
                     routing::CommandRouter::Clock::time_point deadline, JobPollSink sink,
                     std::int32_t first_asked = kEveryPartition, bool skip_known_empty = false);

// Back-pressure, no leader, time-out: a poll that failed so may be repeated.
bool is_retryable_poll_failure(const grpc::Status& status);

}  // namespace tern::gateway
