// Command routing end to end in one process: a Zeebe-protocol client -> GatewayServer ->
// CommandRouter -> the broker's CommandService -> real partition engines, and back.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <future>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "gateway/routing/job_wakeups.h"
#include "gateway/routing/partition_routing.h"
#include "gateway/routing_fixture.h"
#include "support/eventually.h"

namespace tern::gateway::testing {
namespace {

namespace gp = gateway_protocol;
using ::testing::HasSubstr;
using Json = nlohmann::json;

gp::CreateProcessInstanceResponse create(RoutingCluster& cluster, const std::string& process,
                                         const std::string& variables = "") {
  gp::CreateProcessInstanceRequest request;
  request.set_bpmnprocessid(process);
  request.set_version(-1);
  request.set_variables(variables);
  gp::CreateProcessInstanceResponse response;
  auto context = context_for();
  grpc::Status status = cluster.gateway().CreateProcessInstance(context.get(), request, &response);
  EXPECT_TRUE(status.ok()) << status.error_message();
  return response;
}

std::vector<gp::ActivatedJob> activate(RoutingCluster& cluster, const std::string& type,
                                       std::int64_t request_timeout_ms, int max_jobs = 10) {
  auto request = activation_request(type, max_jobs, request_timeout_ms);
  auto context = context_for(30);
  auto reader = cluster.gateway().ActivateJobs(context.get(), request);
  std::vector<gp::ActivatedJob> jobs;
  gp::ActivateJobsResponse response;
  while (reader->Read(&response)) {
    for (const auto& job : response.jobs())
      jobs.push_back(job);
  }
  grpc::Status status = reader->Finish();
  EXPECT_TRUE(status.ok()) << status.error_message();
  return jobs;
}

grpc::Status complete(RoutingCluster& cluster, std::int64_t job, const std::string& variables) {
  gp::CompleteJobRequest request;
  request.set_jobkey(job);
  request.set_variables(variables);
  gp::CompleteJobResponse response;
  auto context = context_for();
  return cluster.gateway().CompleteJob(context.get(), request, &response);
}

TEST(CommandRouting, DeployCreateActivateAndCompleteAJob) {
  RoutingCluster cluster(1);
  cluster.deploy(one_task_process("order", "pack"));
  EXPECT_TRUE(activate(cluster, "pack", -1).empty()) << "no instance yet, so no job";

  auto created = create(cluster, "order", R"({"orderId": 7})");
  EXPECT_EQ(created.bpmnprocessid(), "order");
  EXPECT_EQ(created.version(), 1);
  EXPECT_EQ(routing::partition_of_key(created.processinstancekey()), 1);

  auto jobs = activate(cluster, "pack", -1);
  ASSERT_EQ(jobs.size(), 1u);
  const auto& job = jobs[0];
  EXPECT_EQ(job.type(), "pack");
  EXPECT_EQ(job.processinstancekey(), created.processinstancekey());
  EXPECT_EQ(job.bpmnprocessid(), "order");
  EXPECT_EQ(job.elementid(), "task");
  EXPECT_EQ(job.worker(), "test");
  EXPECT_EQ(job.retries(), 3);
  EXPECT_EQ(Json::parse(job.variables()), Json({{"orderId", 7}}));
  EXPECT_EQ(Json::parse(job.customheaders()), Json({{"size", "large"}}));

  grpc::Status status = complete(cluster, job.key(), R"({"packed": true})");
  EXPECT_TRUE(status.ok()) << status.error_message();
  // Completing it again is an invalid state: the job no longer exists.
  status = complete(cluster, job.key(), "");
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(),
              HasSubstr("Command 'COMPLETE' rejected with code 'NOT_FOUND'"));
}

TEST(CommandRouting, CreateWithResultReturnsTheVariablesAtCompletion) {
  RoutingCluster cluster(2);
  cluster.deploy(one_task_process("quote", "price"));
  auto result = std::async(std::launch::async, [&] {
    gp::CreateProcessInstanceWithResultRequest request;
    request.mutable_request()->set_bpmnprocessid("quote");
    request.mutable_request()->set_version(-1);
    request.mutable_request()->set_variables(R"({"item": "tea"})");
    gp::CreateProcessInstanceWithResultResponse response;
    auto context = context_for();
    grpc::Status status =
        cluster.gateway().CreateProcessInstanceWithResult(context.get(), request, &response);
    EXPECT_TRUE(status.ok()) << status.error_message();
    return response;
  });
  // A long poll: it returns once the instance above has created its job, whichever comes first.
  auto jobs = activate(cluster, "price", 20'000, 1);
  ASSERT_EQ(jobs.size(), 1u);
  ASSERT_TRUE(complete(cluster, jobs[0].key(), R"({"price": 3.5})").ok());
  auto response = result.get();
  EXPECT_EQ(response.bpmnprocessid(), "quote");
  EXPECT_EQ(response.processinstancekey(), jobs[0].processinstancekey());
  EXPECT_EQ(Json::parse(response.variables()), Json({{"item", "tea"}, {"price", 3.5}}));
}

TEST(CommandRouting, CreatingByDefinitionKeyGoesToThatKeysPartition) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("keyed", "keyed-work"));
  // Definition keys are per partition: each partition deployed the model under its own key.
  std::map<std::int32_t, std::int64_t> definition_by_partition;
  for (int i = 0; i < 6; ++i) {
    auto created = create(cluster, "keyed");
    definition_by_partition[routing::partition_of_key(created.processinstancekey())] =
        created.processdefinitionkey();
  }
  ASSERT_EQ(definition_by_partition.size(), 3u);
  for (const auto& [partition, definition_key] : definition_by_partition) {
    for (int i = 0; i < 2; ++i) {
      gp::CreateProcessInstanceRequest request;
      request.set_processdefinitionkey(definition_key);
      gp::CreateProcessInstanceResponse response;
      auto context = context_for();
      grpc::Status status =
          cluster.gateway().CreateProcessInstance(context.get(), request, &response);
      ASSERT_TRUE(status.ok()) << status.error_message();
      EXPECT_EQ(routing::partition_of_key(response.processinstancekey()), partition);
      EXPECT_EQ(response.processdefinitionkey(), definition_key);
    }
  }
}

TEST(CommandRouting, ADefinitionKeyOfNoPartitionIsNotFoundForBothCreations) {
  RoutingCluster cluster(2);
  cluster.deploy(one_task_process("lost", "lost-work"));
  const std::int64_t key = (std::int64_t{5} << routing::kKeyBits) | 42;
  {
    gp::CreateProcessInstanceRequest request;
    request.set_processdefinitionkey(key);
    gp::CreateProcessInstanceResponse response;
    auto context = context_for();
    grpc::Status status =
        cluster.gateway().CreateProcessInstance(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(status.error_message(), HasSubstr("processDefinitionKey '" + std::to_string(key)));
    EXPECT_THAT(status.error_message(), HasSubstr("partition 5 is not one of"));
  }
  {
    gp::CreateProcessInstanceWithResultRequest request;
    request.mutable_request()->set_processdefinitionkey(key);
    gp::CreateProcessInstanceWithResultResponse response;
    auto context = context_for();
    grpc::Status status =
        cluster.gateway().CreateProcessInstanceWithResult(context.get(), request, &response);
    EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
    EXPECT_THAT(status.error_message(), HasSubstr("processDefinitionKey '" + std::to_string(key)));
    EXPECT_THAT(status.error_message(), HasSubstr("partition 5 is not one of"));
  }
}

TEST(CommandRouting, DeploymentsReachEveryPartitionAndInstancesGoRoundRobin) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("spread", "work"));
  std::set<std::int32_t> partitions;
  for (int i = 0; i < 6; ++i) {
    partitions.insert(routing::partition_of_key(create(cluster, "spread").processinstancekey()));
  }
  EXPECT_EQ(partitions, (std::set<std::int32_t>{1, 2, 3}));
  // Jobs from every partition are activated by one request.
  EXPECT_EQ(activate(cluster, "work", -1, 100).size(), 6u);
}

// Job polls between creations do not steer them: with three partitions and two polls after every
// creation (as workers asking again make them), instances still go to every partition in turn.
TEST(CommandRouting, InstancesGoRoundRobinWhateverThePollsInBetween) {
  RoutingCluster cluster(3);
  cluster.deploy(one_task_process("spread", "work"));
  std::vector<std::int32_t> partitions;
  for (int i = 0; i < 6; ++i) {
    partitions.push_back(routing::partition_of_key(create(cluster, "spread").processinstancekey()));
    for (int poll = 0; poll < 2; ++poll)
      activate(cluster, "nobody-works-here", -1);
  }
  std::map<std::int32_t, int> per_partition;
  for (std::int32_t partition : partitions)
    ++per_partition[partition];
  EXPECT_EQ(per_partition, (std::map<std::int32_t, int>{{1, 2}, {2, 2}, {3, 2}}));
}

TEST(CommandRouting, RejectionsMapToZeebeStatusCodes) {
  RoutingCluster cluster(1);
  gp::CreateProcessInstanceRequest request;
  request.set_bpmnprocessid("missing");
  request.set_version(-1);
  gp::CreateProcessInstanceResponse response;
  auto context = context_for();
  grpc::Status status = cluster.gateway().CreateProcessInstance(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_EQ(status.error_message(),
            "Command 'CREATE' rejected with code 'NOT_FOUND': Expected to find process definition "
            "with process ID 'missing', but none found");

  request.set_bpmnprocessid("any");
  request.set_variables("[1, 2");
  context = context_for();
  status = cluster.gateway().CreateProcessInstance(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("Property 'variables' is invalid"));

  gp::DeployResourceRequest deploy;
  auto* resource = deploy.add_resources();
  resource->set_name("broken.bpmn");
  resource->set_content("<definitions");
  gp::DeployResourceResponse deployed;
  context = context_for();
  status = cluster.gateway().DeployResource(context.get(), deploy, &deployed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("'broken.bpmn'"));

  // A key whose partition bits name no partition of the cluster.
  gp::CancelProcessInstanceRequest cancel;
  cancel.set_processinstancekey((std::int64_t{5} << routing::kKeyBits) + 1);
  gp::CancelProcessInstanceResponse canceled;
  context = context_for();
  status = cluster.gateway().CancelProcessInstance(context.get(), cancel, &canceled);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::NOT_FOUND);
  EXPECT_THAT(status.error_message(), HasSubstr("partition 5"));
}

TEST(CommandRouting, FailingAJobTwiceIsAFailedPrecondition) {
  RoutingCluster cluster(1);
  cluster.deploy(one_task_process("p", "t"));
  create(cluster, "p");
  auto jobs = activate(cluster, "t", -1);
  ASSERT_EQ(jobs.size(), 1u);
  gp::FailJobRequest fail;
  fail.set_jobkey(jobs[0].key());
  fail.set_retries(2);
  fail.set_errormessage("boom");
  gp::FailJobResponse failed;
  auto context = context_for();
  ASSERT_TRUE(cluster.gateway().FailJob(context.get(), fail, &failed).ok());
  context = context_for();
  grpc::Status status = cluster.gateway().FailJob(context.get(), fail, &failed);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::FAILED_PRECONDITION);
  EXPECT_THAT(status.error_message(), HasSubstr("rejected with code 'INVALID_STATE'"));
}

TEST(CommandRouting, BackPressureOnOnePartitionMovesCreationsToTheNext) {
  RoutingCluster cluster(2);
  cluster.deploy(one_task_process("p", "t"));
  cluster.partitions().refuse(
      PartitionId(1), broker::SubmitError{broker::SubmitErrorCode::kBackPressure, "busy", {}});
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(routing::partition_of_key(create(cluster, "p").processinstancekey()), 2);
  }
  cluster.partitions().refuse(
      PartitionId(2), broker::SubmitError{broker::SubmitErrorCode::kBackPressure, "busy", {}});
  gp::CreateProcessInstanceRequest request;
  request.set_bpmnprocessid("p");
  gp::CreateProcessInstanceResponse response;
  auto context = context_for();
  grpc::Status status = cluster.gateway().CreateProcessInstance(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::RESOURCE_EXHAUSTED);
  EXPECT_THAT(status.error_message(), HasSubstr("no more partitions available to retry"));
}

TEST(CommandRouting, WaitsForALeaderWithinTheDeadline) {
  RoutingCluster cluster(1);
  cluster.deploy(one_task_process("p", "t"));
  cluster.topology().set(cluster.cluster(false));
  auto pending = std::async(std::launch::async, [&] {
    gp::CreateProcessInstanceRequest request;
    request.set_bpmnprocessid("p");
    gp::CreateProcessInstanceResponse response;
    auto context = context_for();
    return cluster.gateway().CreateProcessInstance(context.get(), request, &response);
  });
  // Whether the request is already retrying or not yet sent, it must succeed once a leader is
  // known, well before its 20 s deadline.
  cluster.topology().set(cluster.cluster(true));
  grpc::Status status = pending.get();
  EXPECT_TRUE(status.ok()) << status.error_message();
}

TEST(CommandRouting, NoLeaderUntilTheDeadlineIsUnavailable) {
  RoutingCluster cluster(1);
  cluster.topology().set(cluster.cluster(false));
  gp::CancelProcessInstanceRequest cancel;
  cancel.set_processinstancekey((std::int64_t{1} << routing::kKeyBits) + 1);
  gp::CancelProcessInstanceResponse canceled;
  auto context = std::make_unique<grpc::ClientContext>();
  // The gateway stops retrying before the client's own deadline expires.
  context->set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(2));
  grpc::Status status = cluster.gateway().CancelProcessInstance(context.get(), cancel, &canceled);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE) << status.error_message();
  EXPECT_THAT(status.error_message(), HasSubstr("partition 1"));
}

TEST(CommandRouting, NoTopologyIsUnavailable) {
  RoutingCluster cluster(1);
  cluster.topology().set(ClusterTopology{});
  gp::CreateProcessInstanceRequest request;
  request.set_bpmnprocessid("p");
  gp::CreateProcessInstanceResponse response;
  auto context = context_for();
  grpc::Status status = cluster.gateway().CreateProcessInstance(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::UNAVAILABLE);
  EXPECT_THAT(status.error_message(), HasSubstr("topology"));
}

TEST(CommandRouting, PublishedMessageCorrelatesToAnInstanceOnAnotherPartition) {
  RoutingCluster cluster(2);
  cluster.deploy(message_then_task_process("pay", "paid", "ship"));
  // Instances go round-robin; find one whose correlation key hashes to the other partition.
  std::string order;
  gp::CreateProcessInstanceResponse instance;
  for (int i = 0;; ++i) {
    ASSERT_LT(i, 20) << "no instance landed away from its message partition";
    order = "order-" + std::to_string(i);
    instance = create(cluster, "pay", Json{{"orderId", order}}.dump());
    if (routing::partition_for_correlation_key(order, 2)
        != routing::partition_of_key(instance.processinstancekey()))
      break;
  }

  gp::PublishMessageRequest request;
  request.set_name("paid");
  request.set_correlationkey(order);
  request.set_timetolive(60'000);
  request.set_variables(R"({"amount": 42})");
  gp::PublishMessageResponse response;
  auto context = context_for();
  grpc::Status status = cluster.gateway().PublishMessage(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(routing::partition_of_key(response.key()),
            routing::partition_for_correlation_key(order, 2));
  EXPECT_EQ(response.tenantid(), "<default>");

  // The instance on the other partition moves on to its task, with the message's variables.
  auto jobs = activate(cluster, "ship", 10'000);
  ASSERT_EQ(jobs.size(), 1u);
  EXPECT_EQ(jobs[0].processinstancekey(), instance.processinstancekey());
  EXPECT_EQ(Json::parse(jobs[0].variables()).value("amount", 0), 42);
}

TEST(CommandRouting, PublishMessageWithoutANameIsInvalid) {
  RoutingCluster cluster(2);
  gp::PublishMessageRequest request;
  request.set_correlationkey("order-123");
  gp::PublishMessageResponse response;
  auto context = context_for();
  grpc::Status status = cluster.gateway().PublishMessage(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("name"));
}

TEST(CommandRouting, BroadcastSignalReachesWaitingInstancesOnEveryPartition) {
  RoutingCluster cluster(2);
  cluster.deploy(signal_then_task_process("wait-for-go", "go", "after-signal"));
  // Round-robin creation puts one instance on each partition.
  std::set<std::int64_t> instances;
  std::set<std::int32_t> partitions;
  for (int i = 0; i < 2; ++i) {
    auto created = create(cluster, "wait-for-go");
    instances.insert(created.processinstancekey());
    partitions.insert(routing::partition_of_key(created.processinstancekey()));
  }
  ASSERT_EQ(partitions.size(), 2u);

  gp::BroadcastSignalRequest request;
  request.set_signalname("go");
  request.set_variables(R"({"reason": "launch"})");
  gp::BroadcastSignalResponse response;
  auto context = context_for();
  grpc::Status status = cluster.gateway().BroadcastSignal(context.get(), request, &response);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(routing::partition_of_key(response.key()), 1);
  EXPECT_EQ(response.tenantid(), "<default>");

  // Both instances move on to their task, with the signal's variables.
  std::set<std::int64_t> moved_on;
  for (int attempt = 0; attempt < 5 && moved_on.size() < 2; ++attempt) {
    for (const auto& job : activate(cluster, "after-signal", 5'000)) {
      moved_on.insert(job.processinstancekey());
      EXPECT_EQ(Json::parse(job.variables()).value("reason", ""), "launch");
    }
  }
  EXPECT_EQ(moved_on, instances);
}

TEST(CommandRouting, BroadcastSignalWithoutANameIsInvalid) {
  RoutingCluster cluster(2);
  gp::BroadcastSignalRequest request;
  gp::BroadcastSignalResponse response;
  auto context = context_for();
  grpc::Status status = cluster.gateway().BroadcastSignal(context.get(), request, &response);
  EXPECT_EQ(status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_THAT(status.error_message(), HasSubstr("signalName"));
}

TEST(CommandRouting, BrokersPushJobAvailabilityToSubscribers) {
  RoutingCluster cluster(1);
  cluster.deploy(one_task_process("p", "wake"));
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(20));
  auto reader = cluster.broker().SubscribeJobAvailability(&context, {});
  // The subscription is registered when the call starts on the server; create instances until
  // a wake-up arrives (the first one may race the registration).
  std::atomic<bool> received{false};
  std::thread creator([&] {
    for (int i = 0; i < 200 && !received.load(); ++i)
      create(cluster, "p");
  });
  tern::command::JobAvailability wakeup;
  ASSERT_TRUE(reader->Read(&wakeup));
  received = true;
  creator.join();
  EXPECT_EQ(wakeup.partition_id(), 1);
  EXPECT_EQ(wakeup.job_type(), "wake");
  context.TryCancel();
  while (reader->Read(&wakeup)) {
  }
  reader->Finish();
}

TEST(CommandRouting, AGatewayHearsABrokersJobWakeUpsOverItsStream) {
  RoutingCluster cluster(1);
  cluster.deploy(one_task_process("p", "wake"));
  // What a gateway's router does for a remote broker: its JobWakeups follow the broker's
  // SubscribeJobAvailability stream (read on gRPC's callback threads) and wake a waiting poll.
  routing::JobWakeups wakeups;
  wakeups.watch(cluster.broker_address(),
                tern::command::BrokerCommands::NewStub(grpc::CreateChannel(
                    cluster.broker_address(), grpc::InsecureChannelCredentials())));
  std::atomic<bool> woken{false};
  std::atomic<std::int32_t> woken_by{-1};
  wakeups.when_changed("wake", wakeups.generation("wake"), [&](std::int32_t partition) {
    woken_by = partition;
    woken = true;
  });
  // The stream is registered when its call starts on the broker (a connection away): create an
  // instance per check until the wake-up arrives (the first ones may race the registration).
  EXPECT_TRUE(test::eventually(
      [&] {
        if (woken.load()) return true;
        create(cluster, "p");
        return false;
      },
      std::chrono::seconds(20)))
      << "no wake-up reached the gateway";
  EXPECT_GT(wakeups.generation("wake"), 0u);
  // The wake-up names the partition whose job it announces: the woken poll asks it first.
  EXPECT_EQ(woken_by.load(), 1);
  // With the stream still open, shutdown cancels it and its thread ends.
  wakeups.shutdown();
  EXPECT_EQ(wakeups.generation("other"), 0u);
}

TEST(PartitionRouting, CorrelationKeysHashLikeJavaStrings) {
  EXPECT_EQ(routing::java_string_hash(""), 0);
  EXPECT_EQ(routing::java_string_hash("a"), 97);
  EXPECT_EQ(routing::java_string_hash("hello"), 99162322);
  EXPECT_EQ(routing::java_string_hash("Hello World"), -862545276);
  EXPECT_EQ(routing::java_string_hash("order-123"), -392797389);
  EXPECT_EQ(routing::java_string_hash("\xF0\x9F\x98\x80"), 1772899);  // a surrogate pair
  EXPECT_EQ(routing::partition_for_correlation_key("order-123", 2), 2);
  EXPECT_EQ(routing::partition_for_correlation_key("order-123", 3), 1);
  EXPECT_EQ(routing::partition_for_correlation_key("hello", 4), 3);
  EXPECT_EQ(routing::partition_for_correlation_key("key-1", 4), 4);
}

TEST(PartitionRouting, KeysCarryTheirPartitionInTheUpperThirteenBits) {
  EXPECT_EQ(routing::partition_of_key((std::int64_t{1} << 51) + 42), 1);
  EXPECT_EQ(routing::partition_of_key((std::int64_t{3} << 51) + 7), 3);
  EXPECT_EQ(routing::partition_of_key(static_cast<std::int64_t>(std::uint64_t{4096} << 51)), 4096);
}

}  // namespace
}  // namespace tern::gateway::testing
