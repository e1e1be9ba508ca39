// The cluster under continuous load, with a ledger (support/load_ledger.h): three real brokers,
// three partitions, replication factor 3. A starter creates instances of a one-task process and
// records every acknowledged key; workers complete the jobs. Meanwhile: SIGKILL a partition's
// leader (a new leader serves within seconds), restart it (it catches up), then kill another
// broker, wipe its data folder and restart it (it catches up from a snapshot). At the end no
// acknowledged instance is lost, every one completed, and no key was handed out twice.
//
// Run twice: through the gateway embedded in broker 0 (which is then never the one killed), and
// through a standalone `ternd gateway` (any broker may be killed). Each run ends with a message
// that correlates with an instance on another partition.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "integration/support/load_ledger.h"
#include "integration/support/placement_view.h"
#include "integration/support/ternd_cluster.h"
#include "support/bpmn_models.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

namespace gp = gateway_protocol;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kElection = 20s;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Every replica of broker `node` follows the current leader and has applied what it applied.
bool caught_up(const TerndCluster& cluster, int node, int partition) {
  auto leader = cluster.wait_for_leader(partition, 2s);
  if (!leader) return false;
  auto mine = cluster.replica(node, partition);
  auto theirs = cluster.replica(*leader, partition);
  return mine && theirs && mine->role != "inactive" && (mine->leader == *leader || node == *leader)
         && mine->applied_index >= theirs->applied_index;
}

// Instances acknowledged so far grow by `count` on `partition` within `timeout`.
bool partition_serves(const LoadLedger& ledger, int partition, std::size_t count,
                      std::chrono::milliseconds timeout) {
  std::size_t before = ledger.acknowledged_on(partition);
  return eventually([&] { return ledger.acknowledged_on(partition) >= before + count; }, timeout);
}

std::string describe(const LedgerSnapshot& s) {
  std::string text = std::to_string(s.acknowledged) + " acknowledged, "
                     + std::to_string(s.completed) + " completed, " + std::to_string(s.duplicates)
                     + " duplicate keys; create errors:";
  for (const auto& [code, n] : s.create_errors)
    text += " " + code + "=" + std::to_string(n);
  return text;
}

// Java's String.hashCode over ASCII text, as messages are placed: abs(hash % partitions) + 1.
int message_partition(const std::string& correlation_key, int partitions) {
  std::uint32_t hash = 0;
  for (char c : correlation_key)
    hash = 31 * hash + static_cast<unsigned char>(c);
  return std::abs(static_cast<std::int32_t>(hash) % partitions) + 1;
}

std::unique_ptr<grpc::ClientContext> deadline_in(std::chrono::seconds seconds) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + seconds);
  return context;
}

// After the faults: a message published through the gateway correlates with an instance waiting
// on another partition (led by another broker, as placement spreads leaders).
void expect_message_across_partitions(gp::Gateway::Stub& gateway) {
  gp::DeployResourceRequest deploy;
  auto* resource = deploy.add_resources();
  resource->set_name("pay.bpmn");
  resource->set_content(tern::test::pay_on_message_bpmn());
  gp::DeployResourceResponse deployed;
  grpc::Status status = gateway.DeployResource(deadline_in(20s).get(), deploy, &deployed);
  ASSERT_TRUE(status.ok()) << status.error_message();

  std::string order;
  std::int64_t instance = -1;
  for (int i = 0; instance < 0; ++i) {
    ASSERT_LT(i, 20) << "no instance landed away from its message partition";
    gp::CreateProcessInstanceRequest create;
    create.set_bpmnprocessid("pay");
    create.set_version(-1);
    create.set_variables("{\"orderId\":\"order-" + std::to_string(i) + "\"}");
    gp::CreateProcessInstanceResponse created;
    status = gateway.CreateProcessInstance(deadline_in(10s).get(), create, &created);
    ASSERT_TRUE(status.ok()) << status.error_message();
    if (partition_of_key(created.processinstancekey())
        != message_partition("order-" + std::to_string(i), 3)) {
      order = "order-" + std::to_string(i);
      instance = created.processinstancekey();
    }
  }
  gp::PublishMessageRequest publish;
  publish.set_name("paid");
  publish.set_correlationkey(order);
  publish.set_timetolive(60'000);
  publish.set_variables(R"({"amount":42})");
  gp::PublishMessageResponse published;
  status = gateway.PublishMessage(deadline_in(10s).get(), publish, &published);
  ASSERT_TRUE(status.ok()) << status.error_message();
  EXPECT_EQ(partition_of_key(published.key()), message_partition(order, 3));

  // The instance moves on to its task once the correlation came back to its partition.
  bool reached = eventually(
      [&] {
        gp::ActivateJobsRequest activate;
        activate.set_type("ship");
        activate.set_worker("message-check");
        activate.set_timeout(60'000);
        activate.set_maxjobstoactivate(10);
        activate.set_requesttimeout(1'000);
        auto context = deadline_in(5s);
        auto reader = gateway.ActivateJobs(context.get(), activate);
        gp::ActivateJobsResponse response;
        bool found = false;
        while (reader->Read(&response)) {
          for (const auto& job : response.jobs())
            found = found
                    || (job.processinstancekey() == instance
                        && job.variables().find("42") != std::string::npos);
        }
        (void)reader->Finish();
        return found;
      },
      20s);
  EXPECT_TRUE(reached) << "instance " << instance << " on partition " << partition_of_key(instance)
                       << " never reached its task after the message on partition "
                       << message_partition(order, 3);
}

void run_scenario(bool standalone_gateway) {
  auto started = Clock::now();
  TempDir dir;
  TerndCluster cluster(dir.path(), {.embedded_gateway_on_first = !standalone_gateway});
  cluster.start_all();
  if (standalone_gateway) {
    ASSERT_TRUE(cluster.start_gateway().ok());
  }
  ASSERT_TRUE(cluster.wait_for_all_leaders(kElection)) << cluster.log_of(0);

  LoadLedger ledger(cluster.client_port(), {});
  std::string deploy_error = ledger.deploy(20s);
  ASSERT_EQ(deploy_error, "") << (standalone_gateway ? cluster.gateway_log() : cluster.log_of(0));
  ledger.start();
  ASSERT_TRUE(eventually([&] { return ledger.snapshot().completed >= 100; }, 30s))
      << describe(ledger.snapshot());

  // SIGKILL the leader of a partition (never the broker hosting the embedded gateway).
  int gateway_host = standalone_gateway ? -1 : 0;
  std::optional<int> victim;
  int partition = 0;
  for (int p = 1; p <= 3 && !victim; ++p) {
    auto leader = cluster.wait_for_leader(p, 5s);
    if (leader && *leader != gateway_host) {
      victim = leader;
      partition = p;
    }
  }
  ASSERT_TRUE(victim) << "every partition is led by the gateway's broker";
  auto killed_at = Clock::now();
  cluster.kill(*victim);
  auto successor = cluster.wait_for_leader(partition, kElection, *victim);
  ASSERT_TRUE(successor) << cluster.log_of((*victim + 1) % 3);
  double elected_s = seconds_since(killed_at);
  // The new leader serves: creations land on its partition again.
  EXPECT_TRUE(partition_serves(ledger, partition, 10, 15s)) << describe(ledger.snapshot());
  double serving_s = seconds_since(killed_at);
  EXPECT_LT(elected_s, 10.0) << "a new leader took too long to be elected";
  std::cout << "partition " << partition << ": broker " << *victim
            << " killed; new leader elected after " << elected_s << " s, serving after "
            << serving_s << " s\n";

  // The killed broker restarts from its folder and catches up on every partition.
  ASSERT_TRUE(cluster.start(*victim).ok());
  for (int p = 1; p <= 3; ++p) {
    EXPECT_TRUE(eventually([&] { return caught_up(cluster, *victim, p); }, kElection))
        << "partition " << p << "\n"
        << cluster.log_of(*victim);
  }

  // Another broker (not the gateway's) dies, loses its disk, and restarts empty: it catches up
  // from the leaders' snapshots (the load makes them take one).
  int wiped = (*victim + 1) % 3 == gateway_host ? (*victim + 2) % 3 : (*victim + 1) % 3;
  ASSERT_TRUE(eventually(
      [&] {
        for (int p = 1; p <= 3; ++p) {
          auto leader = cluster.wait_for_leader(p, 2s);
          if (!leader || *leader == wiped) continue;  // its replica is the one to be wiped
          auto view = cluster.replica(*leader, p);
          if (!view || view->snapshot_index == 0) return false;
        }
        return true;
      },
      60s))
      << "no snapshot under load; " << describe(ledger.snapshot());
  auto wiped_at = Clock::now();
  cluster.kill(wiped);
  cluster.wipe(wiped);
  ASSERT_TRUE(cluster.start(wiped).ok());
  for (int p = 1; p <= 3; ++p) {
    EXPECT_TRUE(eventually([&] { return caught_up(cluster, wiped, p); }, kElection))
        << "partition " << p << "\n"
        << cluster.log_of(wiped);
  }
  std::uint64_t restored = 0;
  for (int p = 1; p <= 3; ++p) {
    if (auto view = cluster.replica(wiped, p)) restored += view->snapshot_index > 0 ? 1 : 0;
  }
  EXPECT_GT(restored, 0u) << "the wiped broker restored no partition from a snapshot";

  // Drain: every acknowledged instance's job is activated and completed.
  ledger.stop_starting();
  EXPECT_TRUE(eventually([&] { return ledger.not_completed().empty(); }, 40s))
      << ledger.not_completed().size() << " instances not completed; "
      << describe(ledger.snapshot());
  ledger.stop();
  LedgerSnapshot final_state = ledger.snapshot();
  std::cout << "ledger: " << describe(final_state) << "; scenario took " << seconds_since(started)
            << " s\n";
  EXPECT_EQ(final_state.duplicates, 0u);
  EXPECT_TRUE(ledger.never_activated().empty())
      << ledger.never_activated().size() << " acknowledged instances were lost (no job)";
  auto never = ledger.never_activated();
  for (auto key : ledger.not_completed()) {
    ADD_FAILURE() << "instance " << key << " (partition " << partition_of_key(key)
                  << ") acknowledged "
                  << std::chrono::duration<double>(ledger.acknowledged_at(key) - killed_at).count()
                  << " s after the kill and "
                  << std::chrono::duration<double>(ledger.acknowledged_at(key) - wiped_at).count()
                  << " s after the wiped broker's kill; its job was "
                  << (std::find(never.begin(), never.end(), key) == never.end() ? "" : "never ")
                  << "activated";
  }
  EXPECT_EQ(final_state.completed, final_state.acknowledged);
  EXPECT_GT(final_state.acknowledged, 200u);

  expect_message_across_partitions(ledger.stub());

  // The cluster agrees: no acknowledged instance is still active (cancelling a finished instance
  // is NOT_FOUND; nothing else in this test cancels or fails instances).
  std::size_t still_active = 0;
  for (auto key : ledger.acknowledged_keys()) {
    gp::CancelProcessInstanceRequest request;
    request.set_processinstancekey(key);
    gp::CancelProcessInstanceResponse response;
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    grpc::Status status = ledger.stub().CancelProcessInstance(&context, request, &response);
    if (status.error_code() != grpc::StatusCode::NOT_FOUND) {
      ++still_active;
      ADD_FAILURE() << "instance " << key << ": " << status.error_code() << " "
                    << status.error_message();
      if (still_active > 5) break;
    }
  }
}

TEST(ClusterLoad, EmbeddedGatewayLosesNoAcknowledgedInstance) {
  run_scenario(false);
}

TEST(ClusterLoad, StandaloneGatewayLosesNoAcknowledgedInstance) {
  run_scenario(true);
}

}  // namespace
}  // namespace tern::test
