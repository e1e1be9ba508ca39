// The gateway's callback-API RPCs: a call waiting for the broker holds no thread, and the
// lifetimes around it hold: a client that cancels, a long poll that waits, a server that shuts
// down with calls in flight (run these under the asan preset too).

#include <dirent.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "gateway/gateway_service.h"
#include "gateway/routing/command_router.h"
#include "gateway/routing/partition_routing.h"
#include "gateway/routing_fixture.h"
#include "support/eventually.h"

namespace tern::gateway::testing {
namespace {

namespace gp = gateway_protocol;
using namespace std::chrono_literals;

// This process's threads, from /proc.
int thread_count() {
  int count = 0;
  DIR* dir = opendir("/proc/self/task");
  if (!dir) return -1;
  while (dirent* entry = readdir(dir)) {
    if (entry->d_name[0] != '.') ++count;
  }
  closedir(dir);
  return count;
}

// One unary call through the client's callback API, its status delivered to a future.
struct PendingCreate {
  grpc::ClientContext context;
  gp::CreateProcessInstanceRequest request;
  gp::CreateProcessInstanceResponse response;
  std::promise<grpc::Status> promise;

  std::future<grpc::Status> start(gp::Gateway::Stub& gateway, std::chrono::seconds deadline) {
    context.set_deadline(std::chrono::system_clock::now() + deadline);
    request.set_bpmnprocessid("p");
    auto future = promise.get_future();
    gateway.async()->CreateProcessInstance(
        &context, &request, &response,
        [this](grpc::Status status) { promise.set_value(std::move(status)); });
    return future;
  }
};

TEST(AsyncCalls, ACancelledCallEndsAtOnceAndTheGatewayGoesOn) {
  RoutingCluster cluster(1);
  cluster.deploy(one_task_process("p", "t"));
  // No leader: the creation retries with back-off (a timer) until its 30 s deadline.
  cluster.topology().set(cluster.cluster(false));
  PendingCreate pending;
  auto status = pending.start(cluster.gateway(), 30s);
  pending.context.TryCancel();
  ASSERT_EQ(status.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(status.get().error_code(), grpc::StatusCode::CANCELLED);

  // The gateway is unaffected: with a leader the next creation succeeds.
  cluster.topology().set(cluster.cluster(true));
  PendingCreate next;
  grpc::Status created = next.start(cluster.gateway(), 20s).get();
  EXPECT_TRUE(created.ok()) << created.error_message();
  EXPECT_EQ(routing::partition_of_key(next.response.processinstancekey()), 1);
}

TEST(AsyncCalls, ShutdownEndsCallsWaitingForTheirPartitions) {
  RoutingCluster cluster(2, BrokerPath::kInProcess);
  cluster.deploy(one_task_process("p", "pack"));
  // Activations are held until three partitions asked: with two, never. Every call below waits
  // for answers that come only when the cluster stops, after the gateway is gone.
  cluster.partitions().hold_job_activations_until(3);
  constexpr int kCalls = 6;
  const std::int64_t before = cluster.in_process_commands();
  std::vector<std::future<grpc::Status>> statuses;
  for (int i = 0; i < kCalls; ++i) {
    statuses.push_back(std::async(std::launch::async, [&] {
      auto request = activation_request("pack", 2, -1);
      auto context = context_for(60);
      auto reader = cluster.gateway().ActivateJobs(context.get(), request);
      gp::ActivateJobsResponse response;
      while (reader->Read(&response)) {
      }
      return reader->Finish();
    }));
  }
  ASSERT_TRUE(tern::test::eventually(
      [&] { return cluster.in_process_commands() == before + 2 * kCalls; }, 20s))
      << "every call asked both partitions";
  cluster.shutdown_gateway();
  // Every call ends long before its 60 s deadline: the server cancels it after its grace period
  // (the client sees the server going away).
  for (auto& status : statuses) {
    ASSERT_EQ(status.wait_for(30s), std::future_status::ready);
    const auto code = status.get().error_code();
    EXPECT_TRUE(code == grpc::StatusCode::CANCELLED || code == grpc::StatusCode::UNAVAILABLE)
        << "code " << code;
  }
}

TEST(AsyncCalls, LongPollsWaitWithoutHoldingThreads) {
  RoutingCluster cluster(2);
  constexpr int kPolls = 64;
  const int before = thread_count();
  ASSERT_GT(before, 0);
  // Each poll waits 1.5 s for jobs of a type no instance has. A synchronous handler would hold
  // one of gRPC's threads per waiting poll; a callback one holds none.
  std::atomic<int> most{before};
  std::atomic<bool> sampling{true};
  auto sampler = std::async(std::launch::async, [&] {
    while (sampling) {
      most = std::max(most.load(), thread_count());
      std::this_thread::sleep_for(10ms);  // a sampling period, not a wait for an event
    }
  });
  grpc::CompletionQueue queue;
  // The readers live in their calls' arenas: they go before their contexts.
  std::vector<std::unique_ptr<grpc::ClientContext>> contexts;
  std::vector<std::unique_ptr<grpc::ClientAsyncReader<gp::ActivateJobsResponse>>> readers;
  std::vector<gp::ActivateJobsResponse> responses(kPolls);
  std::vector<grpc::Status> statuses(kPolls);
  auto request = activation_request("nobody-makes-these", 5, 1'500);
  // Tags: 2i = started, 2i+1 = finished.
  for (int i = 0; i < kPolls; ++i) {
    contexts.push_back(context_for(30));
    readers.push_back(cluster.gateway().AsyncActivateJobs(
        contexts.back().get(), request, &queue, reinterpret_cast<void*>(std::intptr_t{2} * i)));
  }
  int finished = 0;
  void* tag = nullptr;
  bool ok = false;
  while (finished < kPolls && queue.Next(&tag, &ok)) {
    const auto value = reinterpret_cast<std::intptr_t>(tag);
    const auto i = static_cast<std::size_t>(value / 2);
    if (value % 2 == 0) {
      // Started: no job exists, so the stream ends without a message; collect its status.
      readers[i]->Finish(&statuses[i], reinterpret_cast<void*>(value + 1));
    } else {
      ++finished;
    }
  }
  sampling = false;
  sampler.get();
  queue.Shutdown();
  while (queue.Next(&tag, &ok)) {
  }
  for (const auto& status : statuses)
    EXPECT_TRUE(status.ok()) << status.error_message();
  EXPECT_LT(most.load() - before, kPolls / 4)
      << "threads grew from " << before << " to " << most.load() << " for " << kPolls
      << " waiting polls";
}

TEST(AsyncCalls, ALongPollIsAnsweredWhenAJobAppears) {
  RoutingCluster cluster(2, BrokerPath::kInProcess);
  cluster.deploy(one_task_process("p", "late"));
  auto request = activation_request("late", 5, 20'000);
  auto context = context_for(30);
  auto polled = std::async(std::launch::async, [&] {
    auto reader = cluster.gateway().ActivateJobs(context.get(), request);
    std::vector<gp::ActivatedJob> jobs;
    gp::ActivateJobsResponse response;
    while (reader->Read(&response)) {
      for (const auto& job : response.jobs())
        jobs.push_back(job);
    }
    EXPECT_TRUE(reader->Finish().ok());
    return jobs;
  });
  PendingCreate create;
  ASSERT_TRUE(create.start(cluster.gateway(), 20s).get().ok());
  // Answered by the broker's wake-up (or a re-poll), well within the poll's 20 s.
  auto jobs = polled.get();
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].processinstancekey(), create.response.processinstancekey());
}

// A long poll whose partition refuses for back-pressure polls again after a short back-off, not
// on every wake-up: new jobs keep being announced while a partition is overloaded, and re-polling
// on each would spin against it.
TEST(AsyncCalls, ABusyPartitionIsPolledAgainAfterABackOffNotOnEveryWakeUp) {
  RoutingCluster cluster(1, BrokerPath::kInProcess);
  cluster.deploy(one_task_process("p", "busy"));
  // A gateway of the test's own over the in-process broker, so that the test can announce jobs.
  auto router = std::make_shared<routing::CommandRouter>(
      cluster.topology_source(), routing::RouterOptions{}, cluster.local_broker());
  GatewayService service(cluster.topology_source(), router);
  int port = 0;
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(&service);
  auto server = builder.BuildAndStart();
  ASSERT_TRUE(server && port != 0);
  auto gateway = gp::Gateway::NewStub(
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials()));

  cluster.partitions().refuse(
      PartitionId(1),
      broker::SubmitError{broker::SubmitErrorCode::kBackPressure,
                          "partition 1 has too many commands in flight", std::nullopt});
  std::atomic<bool> polling{true};
  std::thread announcer([&] {
    // Load, not synchronisation: a wake-up about every millisecond while the poll runs.
    while (polling.load()) {
      router->wakeups().notify("busy", 1);
      std::this_thread::sleep_for(1ms);
    }
  });
  auto request = activation_request("busy", 5, 1'000);
  auto context = context_for(20);
  auto reader = gateway->ActivateJobs(context.get(), request);
  gp::ActivateJobsResponse response;
  while (reader->Read(&response)) {
  }
  const grpc::Status status = reader->Finish();
  polling = false;
  announcer.join();
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED) << status.error_message();
  const std::int64_t polls = cluster.partitions().refused(PartitionId(1));
  EXPECT_GE(polls, 2) << "the poll was not repeated within its second";
  // One poll, then one every 25 ms for the second: about 41; hundreds if each wake-up re-polled.
  EXPECT_LE(polls, 60);
  server->Shutdown(std::chrono::system_clock::now() + 1s);
  router->shutdown();
}

}  // namespace
}  // namespace tern::gateway::testing
