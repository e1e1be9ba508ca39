// The cluster under continuous load, with a ledger (support/load_ledger.h): three real brokers,
// three partitions, replication factor 3. A starter creates instances of a one-task process and
// records every acknowledged key; workers complete the jobs. Meanwhile: SIGKILL a partition's
// leader (a new leader serves within seconds), restart it (it catches up), then kill another
// broker, wipe its data folder and restart it (it catches up from a snapshot). At the end no
// acknowledged instance is lost, every one completed, and no key was handed out twice.
//
// Run twice: through the gateway embedded in broker 0 (which is then never the one killed), and
// through a standalone `ternd gateway` (any broker may be killed).

#include <gtest/gtest.h>

#include <algorithm>
#include <iostream>
#include <thread>

#include "integration/support/load_ledger.h"
#include "integration/support/placement_view.h"
#include "integration/support/ternd_cluster.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

namespace gp = gateway_protocol;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

constexpr auto kElection = 20s;

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = Clock::now() + timeout;
  while (Clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(50ms);
  }
  return condition();
}

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
