// The region drills of issue 7 on real `ternd` processes under continuous load, with a ledger of
// acknowledged instances (support/load_ledger.h) checked at the end. Brokers alternate regions
// (region = id mod 2, ids from pod names as in Kubernetes); every partition has a replica in each
// region (replication factor 4).
//
// * CliFailoverAndFailback: kill region 1 (the odd brokers): acknowledgements stop (no partition
//   keeps a quorum). `tern cluster failover --region 1` (the real CLI binary) forces them out;
//   processing resumes with replication factor 2. The odd brokers come back with EMPTY data
//   folders; `tern cluster failback --region 1` adds them: replication factor 4 again, every
//   replica in sync, every acknowledged instance completed, none lost, no key twice.
// * RawPatchRefusalsAndFencing: the same through PATCH /actuator/cluster, with the refusals: a
//   forced removal while the brokers still run (409, naming the split-brain risk), an old broker
//   restarted with its data after its removal (fenced: no replica, REMOVED, never counted), and a
//   second change while the failback runs (409).
//
// * ThreeRegionsLoseOneWithoutAnyManualStep: three brokers in three regions, replication factor 3:
//   losing one region leaves every partition a quorum; processing goes on with no change made.
//
// Shape: 4 brokers and 4 partitions in CI. The 8-broker drill of the issue (8 partitions) runs on
// demand: TERN_DRILL_BROKERS=8 build/release/bin/region_failover_test
// --gtest_filter='*CliFailover*' (several minutes on a small machine).

#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <iostream>
#include <thread>

#include "integration/support/cluster_admin.h"
#include "integration/support/load_ledger.h"
#include "integration/support/ternd_cluster.h"
#include "support/eventually.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr auto kElection = 20s;
constexpr int kReplicationFactor = 4;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

int drill_brokers() {
  const char* value = std::getenv("TERN_DRILL_BROKERS");
  if (value == nullptr || std::string(value).empty()) return 4;
  const int brokers = std::atoi(value);
  return brokers >= 4 && brokers % 2 == 0 ? brokers : 4;
}

std::string describe(const LedgerSnapshot& s) {
  std::string text = std::to_string(s.acknowledged) + " acknowledged, "
                     + std::to_string(s.completed) + " completed, " + std::to_string(s.duplicates)
                     + " duplicate keys; create errors:";
  for (const auto& [code, n] : s.create_errors)
    text += " " + code + "=" + std::to_string(n);
  return text;
}

// The drill's cluster: `brokers` brokers in two regions, as many partitions, replication factor
// 4. With four brokers every broker hosts every partition, so the gateway embedded in broker 0
// (region 0, the one that survives) routes everywhere; larger drills use a standalone gateway
// (an embedded one only knows the leaders of the partitions its broker hosts).
class RegionDrill {
 public:
  explicit RegionDrill(int brokers, int regions = 2, int replication_factor = kReplicationFactor)
      : brokers_(brokers),
        regions_(regions),
        replication_factor_(replication_factor),
        cluster_(dir_.path(), {.brokers = brokers,
                               .partitions = brokers,
                               .replication_factor = replication_factor,
                               .embedded_gateway_on_first = brokers <= replication_factor,
                               .region_count = regions}) {}

  TerndCluster& cluster() { return cluster_; }
  int brokers() const { return brokers_; }
  std::vector<int> region(int index) const {
    std::vector<int> ids;
    for (int id = index; id < brokers_; id += regions_)
      ids.push_back(id);
    return ids;
  }

  // Starts every broker and waits until each partition has a leader and every broker announced
  // its cluster address (the forced removal's reachability check knocks there).
  void start() {
    cluster_.start_all();
    if (brokers_ > replication_factor_) {
      ASSERT_TRUE(cluster_.start_gateway().ok());
    }
    ASSERT_TRUE(cluster_.wait_for_all_leaders(kElection)) << cluster_.log_of(0);
    ASSERT_TRUE(eventually(
        [&] {
          auto topology = cluster_topology(cluster_, 0);
          if (!topology || (*topology)["brokers"].size() != static_cast<std::size_t>(brokers_))
            return false;
          for (const auto& broker : (*topology)["brokers"]) {
            if (broker.value("address", "").empty()) return false;
          }
          return true;
        },
        kElection))
        << cluster_topology(cluster_, 0).value_or(json()).dump();
  }

  // Load runs until the ledger saw `completed` instances through.
  void start_load(LoadLedger& ledger, std::size_t completed) {
    ASSERT_EQ(ledger.deploy(20s), "") << cluster_.log_of(0);
    ledger.start();
    ASSERT_TRUE(eventually([&] { return ledger.snapshot().completed >= completed; }, 40s))
        << describe(ledger.snapshot());
  }

  void kill_region(int index) {
    for (int id : region(index))
      cluster_.kill(id);
  }

  // No instance is acknowledged for three seconds in a row (checked within `timeout`).
  static bool acknowledgements_stop(const LoadLedger& ledger, std::chrono::milliseconds timeout) {
    auto deadline = Clock::now() + timeout;
    std::size_t seen = ledger.snapshot().acknowledged;
    auto quiet_since = Clock::now();
    while (Clock::now() < deadline) {
      std::this_thread::sleep_for(200ms);
      const std::size_t now = ledger.snapshot().acknowledged;
      if (now != seen) {
        seen = now;
        quiet_since = Clock::now();
      } else if (Clock::now() - quiet_since >= 3s) {
        return true;
      }
    }
    return false;
  }

  // Every partition of the topology broker 0 serves has `count` replicas.
  bool replication_is(int count) {
    auto topology = cluster_topology(cluster_, 0);
    if (!topology) return false;
    auto replicas = replicas_by_partition(*topology);
    for (int p = 1; p <= brokers_; ++p) {
      if (static_cast<int>(replicas[p].size()) != count) return false;
    }
    return true;
  }

  // Broker `node`'s replica of every partition the topology places on it follows its leader and
  // has applied what the leader did.
  bool in_sync(int node) {
    auto topology = cluster_topology(cluster_, 0);
    if (!topology) return false;
    for (const auto& [p, hosts] : replicas_by_partition(*topology)) {
      if (std::find(hosts.begin(), hosts.end(), node) == hosts.end()) continue;
      auto leader = cluster_.wait_for_leader(p, 2s);
      if (!leader) return false;
      auto mine = cluster_.replica(node, p);
      auto theirs = cluster_.replica(*leader, p);
      if (!mine || !theirs || mine->role == "inactive"
          || (node != *leader && mine->leader != *leader)
          || mine->applied_index < theirs->applied_index) {
        return false;
      }
    }
    return true;
  }

  // Brings region `index` back with empty data folders and waits until its brokers answer.
  void restart_region_empty(int index) {
    for (int id : region(index)) {
      cluster_.wipe(id);
      ASSERT_TRUE(cluster_.start(id).ok());
    }
    for (int id : region(index)) {
      ASSERT_TRUE(
          eventually([&] { return health_component(cluster_, id, "cluster-topology").has_value(); },
                     kElection))
          << cluster_.log_of(id);
    }
  }

  // Drains the load and checks the ledger: nothing acknowledged was lost, everything completed.
  void drain_and_check(LoadLedger& ledger, Clock::time_point started) {
    ledger.stop_starting();
    EXPECT_TRUE(eventually([&] { return ledger.not_completed().empty(); }, 60s))
        << ledger.not_completed().size() << " instances not completed; "
        << describe(ledger.snapshot());
    ledger.stop();
    const LedgerSnapshot last = ledger.snapshot();
    std::cout << "ledger: " << describe(last) << "; drill took " << seconds_since(started)
              << " s\n";
    EXPECT_EQ(last.duplicates, 0u);
    EXPECT_TRUE(ledger.never_activated().empty())
        << ledger.never_activated().size() << " acknowledged instances were lost (no job)";
    EXPECT_EQ(last.completed, last.acknowledged);
  }

 private:
  TempDir dir_;
  int brokers_;
  int regions_;
  int replication_factor_;
  TerndCluster cluster_;
};

TEST(RegionFailover, CliFailoverAndFailbackLoseNoAcknowledgedInstance) {
  const auto started = Clock::now();
  RegionDrill drill(drill_brokers());
  drill.start();
  if (HasFatalFailure()) return;
  auto& cluster = drill.cluster();
  LoadLedger ledger(cluster.client_port(), {});
  drill.start_load(ledger, 50);
  if (HasFatalFailure()) return;

  // Region 1 is lost: no partition keeps a quorum of its four replicas.
  drill.kill_region(1);
  const auto lost_at = Clock::now();
  ASSERT_TRUE(RegionDrill::acknowledgements_stop(ledger, 30s)) << describe(ledger.snapshot());

  auto failover =
      run_cluster_cli(cluster, 0, {"failover", "--region", "1", "--timeout", "120"}, 150s);
  ASSERT_EQ(failover.exit_code, 0) << failover.out << failover.err << cluster.log_of(0);
  EXPECT_NE(failover.out.find("Region 1: removing brokers " + json(drill.region(1)).dump()),
            std::string::npos)
      << failover.out;
  EXPECT_NE(failover.out.find("COMPLETED"), std::string::npos) << failover.out;

  // Processing resumes on the survivors, with two replicas per partition.
  const std::size_t before = ledger.snapshot().acknowledged;
  EXPECT_TRUE(eventually([&] { return ledger.snapshot().acknowledged >= before + 20; }, 60s))
      << describe(ledger.snapshot());
  std::cout << "region 1 lost; processing resumed " << seconds_since(lost_at)
            << " s after the loss\n";
  EXPECT_TRUE(drill.replication_is(2));
  {
    auto topology = cluster_topology(cluster, 0);
    ASSERT_TRUE(topology);
    std::vector<int> removed;
    for (const auto& broker : (*topology)["removedBrokers"])
      removed.push_back(broker["id"].get<int>());
    EXPECT_EQ(removed, drill.region(1)) << topology->dump();
  }

  // Region 1 is rebuilt with empty disks and added back.
  drill.restart_region_empty(1);
  if (HasFatalFailure()) return;
  auto failback =
      run_cluster_cli(cluster, 0, {"failback", "--region", "1", "--timeout", "180"}, 210s);
  ASSERT_EQ(failback.exit_code, 0)
      << failback.out << failback.err << cluster.log_of(0) << cluster.log_of(1);
  EXPECT_TRUE(drill.replication_is(kReplicationFactor))
      << cluster_topology(cluster, 0).value_or(json()).dump();
  for (int id : drill.region(1)) {
    EXPECT_TRUE(eventually([&] { return drill.in_sync(id); }, 60s)) << cluster.log_of(id);
  }
  auto status = run_cluster_cli(cluster, 0, {"status"}, 20s);
  EXPECT_EQ(status.exit_code, 0) << status.err;
  EXPECT_EQ(status.out.find("UNDER-REPLICATED"), std::string::npos) << status.out;

  drill.drain_and_check(ledger, started);
}

TEST(RegionFailover, RawPatchRefusalsAndFencing) {
  const auto started = Clock::now();
  RegionDrill drill(4);
  drill.start();
  if (HasFatalFailure()) return;
  auto& cluster = drill.cluster();
  LoadLedger ledger(cluster.client_port(), {});
  drill.start_load(ledger, 50);
  if (HasFatalFailure()) return;
  const json remove_region_1 = {{"brokers", {{"remove", {1, 3}}}}};

  // Forcing out brokers that still run is refused: it could split the cluster in two.
  auto alive = patch_cluster(cluster, 0, "?force=true", remove_region_1);
  ASSERT_TRUE(alive);
  EXPECT_EQ(alive->status, 409) << alive->text;
  EXPECT_NE(alive->text.find("still answers"), std::string::npos) << alive->text;

  drill.kill_region(1);
  ASSERT_TRUE(RegionDrill::acknowledgements_stop(ledger, 30s)) << describe(ledger.snapshot());
  auto forced = patch_cluster(cluster, 0, "?force=true", remove_region_1);
  ASSERT_TRUE(forced);
  ASSERT_EQ(forced->status, 202) << forced->text;
  const auto failover_id = forced->body["changeId"].get<std::int64_t>();
  EXPECT_FALSE(forced->body["plannedChanges"].empty()) << forced->text;
  EXPECT_EQ(wait_for_change(cluster, 0, failover_id, 90s), "COMPLETED") << cluster.log_of(0);
  const std::size_t before = ledger.snapshot().acknowledged;
  EXPECT_TRUE(eventually([&] { return ledger.snapshot().acknowledged >= before + 20; }, 60s))
      << describe(ledger.snapshot());

  // Broker 3 comes back with its old data: it is fenced, hosts nothing and says why.
  ASSERT_TRUE(cluster.start(3).ok());
  ASSERT_TRUE(
      eventually([&] { return health_component(cluster, 3, "membership").has_value(); }, kElection))
      << cluster.log_of(3);
  auto membership = health_component(cluster, 3, "membership");
  EXPECT_EQ((*membership)["status"], "DOWN") << membership->dump();
  EXPECT_EQ((*membership)["details"]["state"], "REMOVED") << membership->dump();
  EXPECT_NE(cluster.log_of(3).find("is fenced and starts no replica"), std::string::npos)
      << cluster.log_of(3);
  auto seen_by_3 = cluster_topology(cluster, 3);
  ASSERT_TRUE(seen_by_3);
  EXPECT_EQ((*seen_by_3)["fenced"]["state"], "REMOVED") << seen_by_3->dump();
  for (int p = 1; p <= 4; ++p)
    EXPECT_FALSE(cluster.replica(3, p)) << "fenced broker 3 hosts partition " << p;
  EXPECT_TRUE(drill.replication_is(2));
  cluster.stop(3);

  // Failback with fresh disks; a second change meanwhile is refused.
  drill.restart_region_empty(1);
  if (HasFatalFailure()) return;
  const json failback_body = {{"brokers", {{"add", {1, 3}}}},
                              {"partitions", {{"replicationFactor", kReplicationFactor}}}};
  auto failback = patch_cluster(cluster, 0, "", failback_body);
  ASSERT_TRUE(failback);
  ASSERT_EQ(failback->status, 202) << failback->text;
  const auto failback_id = failback->body["changeId"].get<std::int64_t>();
  auto second = patch_cluster(cluster, 0, "", {{"partitions", {{"replicationFactor", 3}}}});
  ASSERT_TRUE(second);
  EXPECT_EQ(second->status, 409) << second->text;
  EXPECT_NE(second->text.find("in progress"), std::string::npos) << second->text;
  EXPECT_EQ(wait_for_change(cluster, 0, failback_id, 120s), "COMPLETED")
      << cluster.log_of(0) << cluster.log_of(1);
  EXPECT_TRUE(drill.replication_is(kReplicationFactor));
  for (int id : drill.region(1)) {
    EXPECT_TRUE(eventually([&] { return drill.in_sync(id); }, 60s)) << cluster.log_of(id);
  }

  drill.drain_and_check(ledger, started);
}

TEST(RegionFailover, ThreeRegionsLoseOneWithoutAnyManualStep) {
  const auto started = Clock::now();
  RegionDrill drill(3, 3, 3);
  drill.start();
  if (HasFatalFailure()) return;
  auto& cluster = drill.cluster();
  LoadLedger ledger(cluster.client_port(), {});
  drill.start_load(ledger, 50);
  if (HasFatalFailure()) return;

  // Region 2 (broker 2) is lost: every partition keeps 2 of 3 voters and goes on by itself.
  drill.kill_region(2);
  const auto lost_at = Clock::now();
  // Every partition (a third of them were led by broker 2) serves new instances.
  std::map<int, std::size_t> before;
  for (int p = 1; p <= 3; ++p)
    before[p] = ledger.acknowledged_on(p);
  EXPECT_TRUE(eventually(
      [&] {
        for (int p = 1; p <= 3; ++p) {
          if (ledger.acknowledged_on(p) < before[p] + 20) return false;
        }
        return true;
      },
      60s))
      << describe(ledger.snapshot());
  std::cout << "region 2 lost; every partition acknowledged 20 more instances within "
            << seconds_since(lost_at) << " s\n";
  auto topology = cluster_topology(cluster, 0);
  ASSERT_TRUE(topology);
  EXPECT_FALSE(topology->contains("lastChange")) << "no change was made: " << topology->dump();
  EXPECT_TRUE(drill.replication_is(3));

  // It comes back from its folder and catches up.
  ASSERT_TRUE(cluster.start(2).ok());
  EXPECT_TRUE(eventually([&] { return drill.in_sync(2); }, 60s)) << cluster.log_of(2);
  drill.drain_and_check(ledger, started);
}

}  // namespace
}  // namespace tern::test
