// ContactPointTopology against in-process CommandApi servers (a fake broker side that pushes what
// the test sets on SubscribeTopology streams).

#include "gateway/contact_point_topology.h"

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "command_api.grpc.pb.h"
#include "gateway/fake_command_api.h"
#include "gateway/static_topology.h"
#include "gateway/topology_codec.h"
#include "support/free_port.h"

namespace tern::gateway {
namespace {

using namespace std::chrono_literals;
using testing::FakeCommandApi;

// Polls `condition` until it holds or `timeout` passes: the subscriptions run on their own
// threads, so the test observes their effect rather than their timing.
template <typename Condition>
bool eventually(Condition condition, std::chrono::milliseconds timeout = 10s) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(5ms);
  }
  return condition();
}

BrokerInfo broker(std::int32_t id, int port, PartitionRole role) {
  return BrokerInfo{.node_id = id,
                    .host = "127.0.0.1",
                    .port = port,
                    .version = "0.1.0",
                    .region = "",
                    .partitions = {{1, role, PartitionHealth::kHealthy}}};
}

TEST(ContactPointTopology, ReportsWhatTheBrokerAnswers) {
  FakeCommandApi fake;
  ClusterTopology expected;
  expected.brokers.push_back(broker(0, fake.port(), PartitionRole::kLeader));
  expected.cluster_size = 1;
  expected.partitions_count = 1;
  expected.replication_factor = 1;
  fake.set(to_topology_info(expected));

  auto source = ContactPointTopology::start({fake.address()}, 20ms);
  ASSERT_TRUE(source.ok()) << source.error();
  ASSERT_TRUE(eventually([&] { return (*source)->current() == expected; }))
      << "topology never arrived; have " << (*source)->current().brokers.size() << " brokers";

  // Later changes are pushed.
  expected.brokers[0].partitions[0].role = PartitionRole::kFollower;
  fake.set(to_topology_info(expected));
  EXPECT_TRUE(eventually([&] { return (*source)->current() == expected; }));
  (*source)->shutdown();
  (*source)->shutdown();
}

TEST(ContactPointTopology, MergesBrokersPreferringEachBrokersOwnAnswer) {
  FakeCommandApi a;
  FakeCommandApi b;
  // Broker 0 (at a) has a stale view of broker 1; broker 1 (at b) knows itself best.
  ClusterTopology from_a;
  from_a.brokers = {broker(0, a.port(), PartitionRole::kLeader),
                    broker(1, b.port(), PartitionRole::kLeader)};
  from_a.cluster_size = 2;
  from_a.partitions_count = 1;
  from_a.replication_factor = 2;
  ClusterTopology from_b = from_a;
  from_b.brokers = {broker(0, a.port(), PartitionRole::kFollower),
                    broker(1, b.port(), PartitionRole::kFollower)};
  from_b.brokers[0].partitions[0].role = PartitionRole::kLeader;
  a.set(to_topology_info(from_a));
  b.set(to_topology_info(from_b));

  ClusterTopology expected = from_a;
  expected.brokers[1].partitions[0].role = PartitionRole::kFollower;

  auto source = ContactPointTopology::start({a.address(), b.address()}, 20ms);
  ASSERT_TRUE(source.ok()) << source.error();
  EXPECT_TRUE(eventually([&] { return (*source)->current() == expected; }));
}

TEST(ContactPointTopology, KeepsServingWhenOneContactPointIsDown) {
  FakeCommandApi alive;
  ClusterTopology expected;
  expected.brokers.push_back(broker(0, alive.port(), PartitionRole::kLeader));
  expected.cluster_size = 1;
  expected.partitions_count = 1;
  expected.replication_factor = 1;
  alive.set(to_topology_info(expected));

  // Port 1 on loopback: nothing listens there, connections are refused at once.
  auto source = ContactPointTopology::start({"127.0.0.1:1", alive.address()}, 20ms);
  ASSERT_TRUE(source.ok()) << source.error();
  EXPECT_TRUE(eventually([&] { return (*source)->current() == expected; }));
}

TEST(ContactPointTopology, FindsABrokerThatStartsAfterTheGateway) {
  const std::uint16_t port = test::free_port();
  auto source = ContactPointTopology::start({"127.0.0.1:" + std::to_string(port)}, 20ms);
  ASSERT_TRUE(source.ok()) << source.error();
  // Nothing listens yet: a few subscriptions fail, and the topology stays empty.
  EXPECT_FALSE(eventually([&] { return !(*source)->current().brokers.empty(); }, 200ms));

  FakeCommandApi late(port);
  ASSERT_EQ(late.port(), port) << "the free port was taken meanwhile";
  ClusterTopology expected;
  expected.brokers.push_back(broker(0, port, PartitionRole::kLeader));
  expected.cluster_size = 1;
  expected.partitions_count = 1;
  expected.replication_factor = 1;
  late.set(to_topology_info(expected));
  // Picked up by a later subscription once the channel reconnects.
  EXPECT_TRUE(eventually([&] { return (*source)->current() == expected; }, 20s));
}

TEST(ContactPointTopology, RejectsBadConfiguration) {
  auto none = ContactPointTopology::start({}, 100ms);
  ASSERT_FALSE(none.ok());
  EXPECT_NE(none.error().find("at least one contact point"), std::string::npos);

  auto no_port = ContactPointTopology::start({"localhost"}, 100ms);
  ASSERT_FALSE(no_port.ok());
  EXPECT_NE(no_port.error().find("'localhost'"), std::string::npos) << no_port.error();

  auto bad_port = ContactPointTopology::start({"localhost:99999"}, 100ms);
  ASSERT_FALSE(bad_port.ok());
  EXPECT_NE(bad_port.error().find("'99999'"), std::string::npos) << bad_port.error();

  auto bad_interval = ContactPointTopology::start({"localhost:26501"}, 0ms);
  ASSERT_FALSE(bad_interval.ok());
  EXPECT_NE(bad_interval.error().find("retry interval"), std::string::npos);
}

TEST(ContactPointTopology, ChangesArePushedNotPolled) {
  FakeCommandApi fake;
  ClusterTopology expected;
  expected.brokers.push_back(broker(0, fake.port(), PartitionRole::kFollower));
  expected.brokers[0].partitions[0].term = 3;
  expected.cluster_size = 1;
  expected.partitions_count = 1;
  expected.replication_factor = 1;
  fake.set(to_topology_info(expected));

  // A retry interval far beyond the test's length: only a push can deliver what follows.
  auto source = ContactPointTopology::start({fake.address()}, std::chrono::minutes(10));
  ASSERT_TRUE(source.ok()) << source.error();
  ASSERT_TRUE(eventually([&] { return (*source)->current() == expected; }));

  for (std::uint64_t term = 4; term < 7; ++term) {
    expected.brokers[0].partitions[0].role =
        term % 2 == 0 ? PartitionRole::kLeader : PartitionRole::kFollower;
    expected.brokers[0].partitions[0].term = term;
    fake.set(to_topology_info(expected));
    ASSERT_TRUE(eventually([&] { return (*source)->current() == expected; }))
        << "term " << term << " was not pushed";
  }
  // Every change came over the one subscription.
  EXPECT_EQ(fake.subscriptions(), 1);
}

TEST(ContactPointTopology, DropsABrokerThatEndsItsSubscription) {
  FakeCommandApi leaving;
  FakeCommandApi staying;
  ClusterTopology from_leaving;
  from_leaving.brokers.push_back(broker(0, leaving.port(), PartitionRole::kLeader));
  from_leaving.cluster_size = 2;
  from_leaving.partitions_count = 1;
  from_leaving.replication_factor = 2;
  ClusterTopology from_staying = from_leaving;
  from_staying.brokers = {broker(1, staying.port(), PartitionRole::kFollower)};
  leaving.set(to_topology_info(from_leaving));
  staying.set(to_topology_info(from_staying));

  auto source = ContactPointTopology::start({leaving.address(), staying.address()}, 50ms);
  ASSERT_TRUE(source.ok()) << source.error();
  ASSERT_TRUE(eventually([&] { return (*source)->current().brokers.size() == 2; }));

  leaving.stop();
  EXPECT_TRUE(eventually([&] { return (*source)->current() == from_staying; }))
      << "the stopped broker is still reported";
}

// Node ids of the brokers the gateway lists, ascending.
// What one broker reports about itself: its entry, the cluster's shape (one partition) and the
// committed membership it knows (version 0: none).
ClusterTopology self_report(BrokerInfo self, std::int32_t cluster_size,
                            std::int64_t membership_version = 0,
                            std::vector<std::int32_t> member_ids = {}) {
  ClusterTopology report;
  report.brokers = {std::move(self)};
  report.cluster_size = cluster_size;
  report.partitions_count = 1;
  report.replication_factor = cluster_size;
  report.membership_version = membership_version;
  report.member_ids = std::move(member_ids);
  return report;
}

std::vector<std::int32_t> listed_ids(const ClusterTopology& topology) {
  std::vector<std::int32_t> ids;
  for (const BrokerInfo& broker : topology.brokers)
    ids.push_back(broker.node_id);
  return ids;
}

TEST(ContactPointTopology, LeavesOutARemovedBrokerThatStillReportsItself) {
  FakeCommandApi kept;
  FakeCommandApi removed;
  // Broker 0 knows the membership after broker 1's removal (version 7); broker 1, removed but
  // still running, reports itself with the membership it knew before (version 5).
  ClusterTopology from_kept =
      self_report(broker(0, kept.port(), PartitionRole::kLeader), 1, 7, {0});
  ClusterTopology from_removed =
      self_report(broker(1, removed.port(), PartitionRole::kInactive), 1, 5, {0, 1});
  kept.set(to_topology_info(from_kept));
  removed.set(to_topology_info(from_removed));

  auto source = ContactPointTopology::start({kept.address(), removed.address()}, 20ms);
  ASSERT_TRUE(source.ok()) << source.error();
  // Both reports merged (the removed broker's subscription is up), broker 1 not listed.
  ASSERT_TRUE(
      eventually([&] { return removed.subscriptions() >= 1 && kept.subscriptions() >= 1; }));
  ASSERT_TRUE(eventually([&] { return (*source)->current().membership_version == 7; }));
  EXPECT_EQ(listed_ids((*source)->current()), std::vector<std::int32_t>{0});

  // Added again (version 9, reported by the broker that learnt it first): listed again.
  from_removed.membership_version = 9;
  removed.set(to_topology_info(from_removed));
  EXPECT_TRUE(eventually([&] {
    return listed_ids((*source)->current()) == std::vector<std::int32_t>{0, 1};
  }));
}

TEST(ContactPointTopology, ListsEveryReportingBrokerWhileNoMembershipIsKnown) {
  FakeCommandApi a;
  FakeCommandApi b;
  a.set(to_topology_info(self_report(broker(0, a.port(), PartitionRole::kLeader), 2)));
  b.set(to_topology_info(self_report(broker(1, b.port(), PartitionRole::kFollower), 2)));

  auto source = ContactPointTopology::start({a.address(), b.address()}, 20ms);
  ASSERT_TRUE(source.ok()) << source.error();
  EXPECT_TRUE(eventually([&] {
    return listed_ids((*source)->current()) == std::vector<std::int32_t>{0, 1};
  }));
}

}  // namespace
}  // namespace tern::gateway
