// ActivateJobs across several partitions, end to end in one process: the gateway asks the
// partitions concurrently, never activates more jobs than the worker asked for, and a worker
// that asks again gets exactly the jobs left; a poll woken by a partition's wake-up asks that
// partition first, and the others only when it answered short.

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <map>
#include <mutex>
#include <vector>

#include "gateway/job_poll.h"
#include "gateway/routing/command_router.h"
#include "gateway/routing/partition_routing.h"
#include "gateway/routing_fixture.h"
#include "support/eventually.h"

namespace tern::gateway::testing {
namespace {

namespace gp = gateway_protocol;

void create_instances(RoutingCluster& cluster, const std::string& process, int count) {
  for (int i = 0; i < count; ++i) {
    gp::CreateProcessInstanceRequest request;
    request.set_bpmnprocessid(process);
    request.set_version(-1);
    gp::CreateProcessInstanceResponse response;
    auto context = context_for();
    grpc::Status status =
        cluster.gateway().CreateProcessInstance(context.get(), request, &response);
    ASSERT_TRUE(status.ok()) << status.error_message();
  }
}

struct Activated {
  grpc::Status status;
  std::vector<gp::ActivatedJob> jobs;
};

// One ActivateJobs call without long polling, within `deadline_s`.
// Runs one ActivateJobs call to its end: every job of every response, and the status.
Activated run_activation(RoutingCluster& cluster, const gp::ActivateJobsRequest& request,
                         grpc::ClientContext& context) {
  auto reader = cluster.gateway().ActivateJobs(&context, request);
  Activated out;
  gp::ActivateJobsResponse response;
  while (reader->Read(&response)) {
    for (const auto& job : response.jobs())
      out.jobs.push_back(job);
  }
  out.status = reader->Finish();
  return out;
}

Activated activate(RoutingCluster& cluster, const std::string& type, int max_jobs,
                   int deadline_s = 20) {
  auto context = context_for(deadline_s);
  return run_activation(cluster, activation_request(type, max_jobs, -1), *context);
}

std::map<std::int32_t, int> jobs_per_partition(const std::vector<gp::ActivatedJob>& jobs) {
  std::map<std::int32_t, int> out;
  for (const auto& job : jobs)
    ++out[routing::partition_of_key(job.key())];
  return out;
}

// Three partitions with one job each, partition 2's activations stalled, and a worker's
// ActivateJobs call for up to ten jobs without a long poll, bounded by `deadline_s`.
struct PollWithAStalledPartition {
  explicit PollWithAStalledPartition(int deadline_s) : context(context_for(deadline_s)) {
    cluster.deploy(one_task_process("p", "pack"));
    create_instances(cluster, "p", 3);
    cluster.partitions().stall_job_activations(PartitionId(2));
    reader = cluster.gateway().ActivateJobs(context.get(), activation_request("pack", 10, -1));
  }
  // Reads responses until `count` jobs came in all; false when the stream ended first.
  bool read_jobs(std::size_t count) {
    gp::ActivateJobsResponse response;
    while (jobs.size() < count) {
      if (!reader->Read(&response)) return false;
      for (const auto& job : response.jobs())
        jobs.push_back(job);
    }
    return true;
  }

  RoutingCluster cluster{3};
  std::unique_ptr<grpc::ClientContext> context;
  std::unique_ptr<grpc::ClientReader<gp::ActivateJobsResponse>> reader;
  std::vector<gp::ActivatedJob> jobs;
};

TEST(JobActivation, AsksEveryPartitionAtOnce) {
  RoutingCluster cluster(4);
  cluster.deploy(one_task_process("p", "pack"));
  create_instances(cluster, "p", 8);  // round-robin: two jobs on each partition
  // No partition answers before all four were asked: polling one after another would end at
  // the deadline with nothing.
  cluster.partitions().hold_job_activations_until(4);
  Activated activated = activate(cluster, "pack", 8, 10);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(cluster.partitions().most_activations_held(), 4);
  EXPECT_EQ(activated.jobs.size(), 8u);
  EXPECT_EQ(jobs_per_partition(activated.jobs),
            (std::map<std::int32_t, int>{{1, 2}, {2, 2}, {3, 2}, {4, 2}}));
}

TEST(JobActivation, NeverActivatesMoreThanTheWorkerAskedFor) {
  RoutingCluster cluster(4);
  cluster.deploy(one_task_process("p", "pack"));
  create_instances(cluster, "p", 8);
  // Fewer wanted than partitions, then an uneven number: each answer holds at most the maximum,
  // and what the worker did not take is still there for the next request (a job activated and
  // not handed out would stay locked until its 60 s time-out).
  Activated first = activate(cluster, "pack", 3);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_EQ(first.jobs.size(), 3u);
  Activated second = activate(cluster, "pack", 3);
  ASSERT_TRUE(second.status.ok()) << second.status.error_message();
  EXPECT_EQ(second.jobs.size(), 3u);
  Activated rest = activate(cluster, "pack", 100);
  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  EXPECT_EQ(rest.jobs.size(), 2u);
  EXPECT_TRUE(activate(cluster, "pack", 100).jobs.empty());
}

TEST(JobActivation, AsksAgainThePartitionsThatFilledTheirShare) {
  RoutingCluster cluster(4);
  cluster.deploy(one_task_process("p", "pack"));
  // Every job on partition 1: the others refuse creations for back-pressure meanwhile.
  for (std::int32_t p = 2; p <= 4; ++p) {
    cluster.partitions().refuse(
        PartitionId(p), broker::SubmitError{broker::SubmitErrorCode::kBackPressure, "busy", {}});
  }
  create_instances(cluster, "p", 9);
  for (std::int32_t p = 2; p <= 4; ++p)
    cluster.partitions().refuse(PartitionId(p), std::nullopt);
  // A first round asks each partition for a share of 7; only partition 1 fills its share, so it
  // is asked again for the rest.
  Activated activated = activate(cluster, "pack", 7);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(activated.jobs.size(), 7u);
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{1, 7}}));
  EXPECT_EQ(activate(cluster, "pack", 100).jobs.size(), 2u);
}

TEST(JobActivation, AnInvalidRequestIsRefusedWhateverThePartitions) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "pack"));
  Activated activated = activate(cluster, "", 5);
  EXPECT_EQ(activated.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  activated = activate(cluster, "pack", 0);
  EXPECT_EQ(activated.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
}

TEST(JobActivation, ABusyPartitionIsSkippedAndTheOthersAnswer) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "pack"));
  create_instances(cluster, "p", 3);
  cluster.partitions().refuse(
      PartitionId(2), broker::SubmitError{broker::SubmitErrorCode::kBackPressure, "busy", {}});
  Activated activated = activate(cluster, "pack", 10);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{1, 1}, {3, 1}}));
  // Every partition busy: the worker hears why.
  for (std::int32_t p = 1; p <= 3; ++p) {
    cluster.partitions().refuse(
        PartitionId(p), broker::SubmitError{broker::SubmitErrorCode::kBackPressure, "busy", {}});
  }
  activated = activate(cluster, "pack", 10);
  EXPECT_EQ(activated.status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
}

TEST(JobActivation, JobsActivatedNextToAFailingPartitionStillReachTheWorker) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "pack"));
  create_instances(cluster, "p", 3);  // one job on each partition
  cluster.partitions().refuse(PartitionId(2),
                              broker::SubmitError{broker::SubmitErrorCode::kInvalid, "broken", {}});
  // Partitions 1 and 3 activate theirs in the same round as partition 2 fails: the worker gets
  // them rather than the failure (they would otherwise stay locked for the 60 s time-out).
  Activated activated = activate(cluster, "pack", 10);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{1, 1}, {3, 1}}));
  // With nothing activated anywhere, the failure is the answer.
  activated = activate(cluster, "pack", 10);
  EXPECT_EQ(activated.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  cluster.partitions().refuse(PartitionId(2), std::nullopt);
  activated = activate(cluster, "pack", 10);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{2, 1}}));
}

// A worker's call with one partition slow to activate: the other partitions' jobs reach the
// worker while that partition has still not answered, and its jobs follow on the same stream.
TEST(JobActivation, JobsReachTheWorkerWithoutWaitingForTheSlowestPartition) {
  // The deadline bounds the test should the gateway wait for partition 2 after all.
  PollWithAStalledPartition poll(10);
  ASSERT_TRUE(poll.read_jobs(2))
      << "the stream ended, or its deadline passed, before partitions 1 and 3's jobs came: "
      << poll.reader->Finish().error_message();
  // Written while partition 2's activation is still waiting.
  EXPECT_EQ(poll.cluster.partitions().stalled_activations(PartitionId(2)), 1);
  EXPECT_EQ(jobs_per_partition(poll.jobs), (std::map<std::int32_t, int>{{1, 1}, {3, 1}}));
  poll.cluster.partitions().release_stalled_activations(PartitionId(2));
  EXPECT_FALSE(poll.read_jobs(4));  // reads to the end of the stream
  grpc::Status status = poll.reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(jobs_per_partition(poll.jobs), (std::map<std::int32_t, int>{{1, 1}, {2, 1}, {3, 1}}));
}

TEST(JobActivation, PartitionsAnsweringApartNeverHandOutMoreThanTheMaximum) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "pack"));
  create_instances(cluster, "p", 12);  // four jobs on each partition
  // Two partitions answer (and are written to the worker) long before the third: each fills
  // its share, and the shares never add up to more than the worker's maximum.
  cluster.partitions().stall_job_activations(PartitionId(1));
  auto request = activation_request("pack", 5, -1);
  auto context = context_for(10);
  auto reader = cluster.gateway().ActivateJobs(context.get(), request);
  std::vector<gp::ActivatedJob> jobs;
  gp::ActivateJobsResponse response;
  int responses = 0;
  bool released = false;
  while (reader->Read(&response)) {
    ++responses;
    for (const auto& job : response.jobs())
      jobs.push_back(job);
    if (!released) {
      // The first answers came from partitions 2 and 3 while partition 1 still waits.
      EXPECT_EQ(cluster.partitions().stalled_activations(PartitionId(1)), 1);
      EXPECT_EQ(jobs_per_partition(jobs).count(1), 0u);
      if (jobs_per_partition(jobs).size() == 2) {
        cluster.partitions().release_stalled_activations(PartitionId(1));
        released = true;
      }
    }
  }
  grpc::Status status = reader->Finish();
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_TRUE(released) << "partitions 2 and 3 did not both answer before partition 1";
  EXPECT_EQ(responses, 3);  // one per partition
  EXPECT_EQ(jobs.size(), 5u);
  EXPECT_EQ(jobs_per_partition(jobs).size(), 3u);
  // What the worker did not take is still there for the next request.
  Activated rest = activate(cluster, "pack", 100);
  ASSERT_TRUE(rest.status.ok()) << rest.status.error_message();
  EXPECT_EQ(rest.jobs.size(), 7u);
}

// A long poll whose partitions answer apart, none with jobs, keeps waiting: it ends with the
// job created afterwards, not with the last empty answer.
TEST(JobActivation, ALongPollWhosePartitionsAnsweredApartWaitsForAJob) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "late"));
  cluster.partitions().stall_job_activations(PartitionId(3));
  auto request = activation_request("late", 5, 20'000);
  auto context = context_for(30);
  auto polled =
      std::async(std::launch::async, [&] { return run_activation(cluster, request, *context); });
  ASSERT_TRUE(tern::test::eventually(
      [&] { return cluster.partitions().stalled_activations(PartitionId(3)) == 1; },
      std::chrono::seconds(10)));
  cluster.partitions().release_stalled_activations(PartitionId(3));
  create_instances(cluster, "p", 1);
  Activated activated = polled.get();
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(activated.jobs.size(), 1u) << "the long poll ended before the job came";
}

// Every partition answers a poll that finds no job from its state, without a log entry. A job
// created right after those empty answers must still reach the worker's long poll, through the
// job's wake-up: the re-poll without a wake-up is a minute here, longer than the poll waits.
void job_after_empty_answers_reaches_the_worker(BrokerPath path) {
  RoutingCluster cluster(3, path, std::chrono::minutes(1));
  cluster.deploy(one_task_process("p", "fresh"));
  auto answered_without_log = [&] {
    std::int64_t answered = 0;
    for (std::int32_t p = 1; p <= 3; ++p)
      answered += cluster.partitions().answered_without_log(PartitionId(p));
    return answered;
  };
  std::vector<std::int64_t> appended;
  for (std::int32_t p = 1; p <= 3; ++p)
    appended.push_back(cluster.partitions().processed(PartitionId(p)));
  auto request = activation_request("fresh", 5, 20'000);
  auto context = context_for(30);
  auto polled =
      std::async(std::launch::async, [&] { return run_activation(cluster, request, *context); });
  ASSERT_TRUE(
      tern::test::eventually([&] { return answered_without_log() == 3; }, std::chrono::seconds(10)))
      << "the partitions did not answer the empty poll without the log";
  for (std::int32_t p = 1; p <= 3; ++p) {
    EXPECT_EQ(cluster.partitions().processed(PartitionId(p)), appended[p - 1])
        << "partition " << p << " appended the empty activation";
  }
  if (path != BrokerPath::kInProcess) {
    // The gateway subscribes to a broker's wake-ups on its first call there; a wake-up sent
    // before the subscription is up would be missed (the re-poll covers that outside tests).
    ASSERT_TRUE(tern::test::eventually([&] { return cluster.job_subscribers() == 1; },
                                       std::chrono::seconds(10)));
  }
  create_instances(cluster, "p", 1);
  Activated activated = polled.get();
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(activated.jobs.size(), 1u) << "the job did not reach the waiting worker";
}

TEST(JobActivation, AJobCreatedAfterEmptyAnswersWakesTheWaitingWorker) {
  job_after_empty_answers_reaches_the_worker(BrokerPath::kCommandStream);
}

TEST(GrpcBroker, AJobCreatedAfterEmptyAnswersWakesTheWaitingWorker) {
  job_after_empty_answers_reaches_the_worker(BrokerPath::kGrpc);
}

TEST(InProcessBroker, AJobCreatedAfterEmptyAnswersWakesTheWaitingWorker) {
  job_after_empty_answers_reaches_the_worker(BrokerPath::kInProcess);
}

// Creates `count` instances of `process` on `partition` alone: the others refuse creations for
// back-pressure meanwhile, so the gateway's round-robin moves past them.
void create_on_partition(RoutingCluster& cluster, std::int32_t partition,
                         const std::string& process, int count, std::int32_t partitions) {
  for (std::int32_t p = 1; p <= partitions; ++p) {
    if (p == partition) continue;
    cluster.partitions().refuse(
        PartitionId(p), broker::SubmitError{broker::SubmitErrorCode::kBackPressure, "busy", {}});
  }
  create_instances(cluster, process, count);
  for (std::int32_t p = 1; p <= partitions; ++p)
    cluster.partitions().refuse(PartitionId(p), std::nullopt);
}

std::vector<std::int64_t> activations_asked(RoutingCluster& cluster, std::int32_t partitions) {
  std::vector<std::int64_t> out;
  for (std::int32_t p = 1; p <= partitions; ++p)
    out.push_back(cluster.partitions().activations_asked(PartitionId(p)));
  return out;
}

std::vector<std::int64_t> asked_since(RoutingCluster& cluster,
                                      const std::vector<std::int64_t>& before) {
  auto now = activations_asked(cluster, static_cast<std::int32_t>(before.size()));
  for (std::size_t i = 0; i < now.size(); ++i)
    now[i] -= before[i];
  return now;
}

// A waiting worker's long poll woken by a job on partition 2 asks partition 2 alone: the job
// is there, and asking partitions 1 and 3 as well would cost each an activation finding nothing.
TEST(JobActivation, AWakeUpFromPartitionTwoAsksPartitionTwoAlone) {
  // The re-poll without a wake-up is a minute: only the wake-up can bring the job.
  RoutingCluster cluster(3, BrokerPath::kCommandStream, std::chrono::minutes(1));
  cluster.deploy(one_task_process("p", "woken"));
  auto request = activation_request("woken", 1, 20'000);
  auto context = context_for(30);
  auto polled =
      std::async(std::launch::async, [&] { return run_activation(cluster, request, *context); });
  // The call's first poll asks every partition (one after another, for a maximum of one).
  ASSERT_TRUE(tern::test::eventually(
      [&] {
        std::int64_t answered = 0;
        for (std::int32_t p = 1; p <= 3; ++p)
          answered += cluster.partitions().answered_without_log(PartitionId(p));
        return answered == 3;
      },
      std::chrono::seconds(10)));
  ASSERT_TRUE(tern::test::eventually([&] { return cluster.job_subscribers() == 1; },
                                     std::chrono::seconds(10)));
  const auto before = activations_asked(cluster, 3);
  create_on_partition(cluster, 2, "p", 1, 3);
  Activated activated = polled.get();
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{2, 1}}));
  EXPECT_EQ(asked_since(cluster, before), (std::vector<std::int64_t>{0, 1, 0}));
}

// A worker's next long poll right after one that found every partition empty asks none of them:
// it waits for a wake-up, which names the partition to ask.
TEST(JobActivation, ALongPollAfterEmptyAnswersAsksOnlyAWokenPartition) {
  // The re-poll without a wake-up is a minute: only the wake-up can bring the job.
  RoutingCluster cluster(3, BrokerPath::kCommandStream, std::chrono::minutes(1));
  cluster.deploy(one_task_process("p", "idle"));
  // A first call without long polling finds nothing anywhere.
  Activated first = activate(cluster, "idle", 4, 10);
  ASSERT_TRUE(first.status.ok()) << first.status.error_message();
  EXPECT_TRUE(first.jobs.empty());
  ASSERT_TRUE(tern::test::eventually([&] { return cluster.job_subscribers() == 1; },
                                     std::chrono::seconds(10)));
  const auto before = activations_asked(cluster, 3);
  auto request = activation_request("idle", 4, 20'000);
  auto context = context_for(30);
  auto polled =
      std::async(std::launch::async, [&] { return run_activation(cluster, request, *context); });
  create_on_partition(cluster, 2, "p", 1, 3);
  Activated activated = polled.get();
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{2, 1}}));
  // Whether the call's first poll ran before the job (and skipped every partition, then was woken
  // by partition 2) or after it (and asked partition 2 alone, whose wake-up moved it past its
  // empty answer), partitions 1 and 3 were never asked; without the skip each was asked once.
  EXPECT_EQ(asked_since(cluster, before), (std::vector<std::int64_t>{0, 1, 0}));
}

// Without long polling nothing is skipped: a worker asking once must see every partition.
TEST(JobActivation, APollWithoutLongPollingAsksEveryPartitionEvenAfterEmptyAnswers) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "idle"));
  ASSERT_TRUE(activate(cluster, "idle", 4, 10).jobs.empty());
  const auto before = activations_asked(cluster, 3);
  ASSERT_TRUE(activate(cluster, "idle", 4, 10).jobs.empty());
  EXPECT_EQ(asked_since(cluster, before), (std::vector<std::int64_t>{1, 1, 1}));
}

// One poll of the partitions, as a woken long poll makes it: its jobs and status once it is over.
Activated poll_once(RoutingCluster& cluster, const gp::ActivateJobsRequest& request,
                    std::int32_t first_asked) {
  auto router = std::make_shared<routing::CommandRouter>(cluster.topology_source());
  auto outcome = std::make_shared<std::promise<Activated>>();
  auto jobs = std::make_shared<std::vector<gp::ActivatedJob>>();
  auto mutex = std::make_shared<std::mutex>();
  JobPollSink sink;
  sink.batch = [jobs, mutex](gp::ActivateJobsResponse batch, bool) {
    std::lock_guard lock(*mutex);
    for (const auto& job : batch.jobs())
      jobs->push_back(job);
  };
  sink.done = [outcome, jobs, mutex](grpc::Status status, int) {
    std::lock_guard lock(*mutex);
    outcome->set_value(Activated{std::move(status), *jobs});
  };
  poll_jobs_async(router, request, std::chrono::system_clock::now() + std::chrono::seconds(20),
                  std::move(sink), first_asked);
  Activated out = outcome->get_future().get();
  router->shutdown();
  return out;
}

TEST(JobActivation, AWokenPollThatFillsItsMaximumAsksNoOtherPartition) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "pack"));
  create_on_partition(cluster, 2, "p", 3, 3);
  create_on_partition(cluster, 3, "p", 1, 3);
  const auto before = activations_asked(cluster, 3);
  Activated activated = poll_once(cluster, activation_request("pack", 3, -1), 2);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{2, 3}}));
  EXPECT_EQ(asked_since(cluster, before), (std::vector<std::int64_t>{0, 1, 0}));
}

// The woken partition answered with a job, short of the five asked: the poll ends there. The job
// on partition 3 raised its own wake-up; asking partition 3 (and 1) here would cost every woken
// poll an activation per other partition.
TEST(JobActivation, AWokenPollAnsweredWithJobsShortOfItsMaximumAsksNoOtherPartition) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "pack"));
  create_on_partition(cluster, 2, "p", 1, 3);
  create_on_partition(cluster, 3, "p", 1, 3);
  const auto before = activations_asked(cluster, 3);
  Activated activated = poll_once(cluster, activation_request("pack", 5, -1), 2);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{2, 1}}));
  EXPECT_EQ(asked_since(cluster, before), (std::vector<std::int64_t>{0, 1, 0}));
}

TEST(JobActivation, AWokenPollWhosePartitionHasNoJobAsksTheOtherPartitions) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "pack"));
  create_on_partition(cluster, 3, "p", 1, 3);
  // Partition 2 answers late: the others are asked only once it answered without a job.
  cluster.partitions().stall_job_activations(PartitionId(2));
  const auto before = activations_asked(cluster, 3);
  auto polled = std::async(
      std::launch::async, [&] { return poll_once(cluster, activation_request("pack", 5, -1), 2); });
  ASSERT_TRUE(tern::test::eventually(
      [&] { return cluster.partitions().stalled_activations(PartitionId(2)) == 1; },
      std::chrono::seconds(10)));
  EXPECT_EQ(asked_since(cluster, before), (std::vector<std::int64_t>{0, 1, 0}));
  cluster.partitions().release_stalled_activations(PartitionId(2));
  Activated activated = polled.get();
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{3, 1}}));
  // The other two for shares of the five; neither filled its share, so none is asked again.
  EXPECT_EQ(asked_since(cluster, before), (std::vector<std::int64_t>{1, 1, 1}));
}

TEST(JobActivation, AWokenPollWhosePartitionIsBusyAsksTheOthers) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "pack"));
  create_on_partition(cluster, 1, "p", 1, 3);
  cluster.partitions().refuse(
      PartitionId(2), broker::SubmitError{broker::SubmitErrorCode::kBackPressure, "busy", {}});
  const auto before = activations_asked(cluster, 3);
  Activated activated = poll_once(cluster, activation_request("pack", 5, -1), 2);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{1, 1}}));
  EXPECT_EQ(asked_since(cluster, before), (std::vector<std::int64_t>{1, 1, 1}));
}

// Without a wake-up's partition (a fresh call, the re-poll interval), every partition is asked
// at once: no job is stranded on a partition whose wake-up went elsewhere.
TEST(JobActivation, APollWithoutAWakeUpAsksEveryPartition) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("p", "pack"));
  create_on_partition(cluster, 2, "p", 3, 3);
  const auto before = activations_asked(cluster, 3);
  Activated activated = poll_once(cluster, activation_request("pack", 3, -1), kEveryPartition);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(jobs_per_partition(activated.jobs), (std::map<std::int32_t, int>{{2, 3}}));
  // Shares of one each, then partition 2 again for the two left.
  EXPECT_EQ(asked_since(cluster, before), (std::vector<std::int64_t>{1, 2, 1}));
}

// A worker that cancels while a partition is still activating: the call ends at once, not when
// that partition answers. The jobs the partition then activates are not handed to anyone: as
// with Zeebe, they stay locked until their time-out (the request's 60 s here).
TEST(JobActivation, ACancelledCallEndsWithoutWaitingForAStalledPartition) {
  PollWithAStalledPartition poll(20);
  ASSERT_TRUE(poll.read_jobs(2)) << poll.reader->Finish().error_message();
  poll.context->TryCancel();
  EXPECT_FALSE(poll.read_jobs(4));  // reads to the end of the stream
  EXPECT_EQ(poll.reader->Finish().error_code(), grpc::StatusCode::CANCELLED);
  EXPECT_EQ(poll.cluster.partitions().stalled_activations(PartitionId(2)), 1);
  const std::int64_t before = poll.cluster.partitions().processed(PartitionId(2));
  poll.cluster.partitions().release_stalled_activations(PartitionId(2));
  ASSERT_TRUE(tern::test::eventually(
      [&] { return poll.cluster.partitions().processed(PartitionId(2)) > before; },
      std::chrono::seconds(10)));
  // Partition 2's job went to the cancelled call: locked, it is not activated again.
  Activated again = activate(poll.cluster, "pack", 10);
  ASSERT_TRUE(again.status.ok()) << again.status.error_message();
  EXPECT_TRUE(again.jobs.empty());
}

TEST(JobActivation, ALongPollWithoutJobsEndsAtItsTimeoutNotBefore) {
  RoutingCluster cluster(3);
  const auto started = std::chrono::steady_clock::now();
  Activated activated;
  {
    auto request = activation_request("nobody-makes-these", 5, 1'000);
    auto context = context_for(20);
    auto reader = cluster.gateway().ActivateJobs(context.get(), request);
    gp::ActivateJobsResponse response;
    while (reader->Read(&response)) {
      for (const auto& job : response.jobs())
        activated.jobs.push_back(job);
    }
    activated.status = reader->Finish();
  }
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_TRUE(activated.jobs.empty());
  EXPECT_GE(std::chrono::steady_clock::now() - started, std::chrono::milliseconds(1'000));
}

TEST(InProcessBroker, CommandsForPartitionsLedHereSkipTheNetwork) {
  RoutingCluster cluster(2, BrokerPath::kInProcess);
  cluster.deploy(one_task_process("p", "pack"));
  create_instances(cluster, "p", 4);
  Activated activated = activate(cluster, "pack", 10);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  ASSERT_EQ(activated.jobs.size(), 4u);
  for (const auto& job : activated.jobs) {
    gp::CompleteJobRequest request;
    request.set_jobkey(job.key());
    gp::CompleteJobResponse response;
    auto context = context_for();
    grpc::Status status = cluster.gateway().CompleteJob(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
  }
  // A deployment on each partition, four creations, an activation per partition, four
  // completions: all in process.
  EXPECT_GE(cluster.in_process_commands(), 2 + 4 + 2 + 4);
  // Rejections still map to Zeebe's codes.
  gp::CompleteJobRequest again;
  again.set_jobkey(activated.jobs.front().key());
  gp::CompleteJobResponse response;
  auto context = context_for();
  EXPECT_EQ(cluster.gateway().CompleteJob(context.get(), again, &response).error_code(),
            grpc::StatusCode::NOT_FOUND);
}

TEST(InProcessBroker, APartitionThatDoesNotAnswerEndsAtTheDeadline) {
  RoutingCluster cluster(2, BrokerPath::kInProcess);
  cluster.deploy(one_task_process("p", "pack"));
  // Activations are held until three partitions asked: with two, never. The request must end
  // at its deadline (the answers arrive later, when the cluster stops, into nothing).
  cluster.partitions().hold_job_activations_until(3);
  Activated activated = activate(cluster, "pack", 10, 2);
  EXPECT_EQ(activated.status.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED)
      << activated.status.error_message();
  EXPECT_EQ(cluster.partitions().most_activations_held(), 2);
}

// The embedded gateway reaches its own broker in process and so opens no job-availability stream
// to it; its long polls must hear of new jobs all the same (else they see them only at their
// re-poll interval, a second later).
TEST(InProcessBroker, JobWakeUpsReachTheRouterWithoutAStream) {
  RoutingCluster cluster(1, BrokerPath::kInProcess);
  cluster.deploy(one_task_process("p", "nudge"));
  auto router = std::make_shared<routing::CommandRouter>(
      cluster.topology_source(), routing::RouterOptions{}, cluster.local_broker());
  // A first in-process call (a worker's poll finding nothing) starts the watch.
  tern::command::BrokerRequest poll;
  poll.set_partition_id(1);
  poll.mutable_activate_jobs()->set_type("nudge");
  poll.mutable_activate_jobs()->set_worker("w");
  poll.mutable_activate_jobs()->set_timeout(10'000);
  poll.mutable_activate_jobs()->set_maxjobstoactivate(1);
  tern::command::BrokerResponse polled;
  ASSERT_TRUE(
      router->execute(poll, std::chrono::system_clock::now() + std::chrono::seconds(20), polled)
          .ok());
  ASSERT_EQ(polled.activate_jobs().jobs_size(), 0);
  EXPECT_EQ(router->wakeups().generation("nudge"), 0u);

  create_instances(cluster, "p", 1);
  EXPECT_TRUE(tern::test::eventually([&] { return router->wakeups().generation("nudge") > 0; },
                                     std::chrono::seconds(10)))
      << "no wake-up for the new job reached the router";

  // After shutdown the broker no longer calls it.
  router->shutdown();
  const std::uint64_t seen = router->wakeups().generation("nudge");
  create_instances(cluster, "p", 1);
  Activated activated = activate(cluster, "nudge", 5);
  ASSERT_TRUE(activated.status.ok()) << activated.status.error_message();
  EXPECT_EQ(activated.jobs.size(), 2u);  // the second job committed, its wake-up sent
  EXPECT_EQ(router->wakeups().generation("nudge"), seen);
}

}  // namespace
}  // namespace tern::gateway::testing
