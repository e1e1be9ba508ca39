// Replicas added and removed at runtime, in process with real replicas over the cluster
// transport: a broker starts a replica of a partition it did not host (empty, joining: it waits
// for the leader's appends), the leader adds it as a learner and Raft promotes it once caught up;
// later the leader hands leadership over, the new leader removes the old one, which stops its
// replica and deletes its data. Commands keep being served throughout, and the joined replica
// holds every instance created before it joined.

#include <gtest/gtest.h>

#include <algorithm>

#include "cluster_test_support.h"
#include "support/temp_dir.h"

namespace tern::broker::test {
namespace {

using namespace std::chrono_literals;

bool contains(const std::vector<NodeId>& list, NodeId id) {
  return std::find(list.begin(), list.end(), id) != list.end();
}

GroupMembership membership(TestCluster& cluster, std::int32_t node, PartitionId partition) {
  auto control = cluster.broker(node)->membership_control(partition);
  return control ? control->membership() : GroupMembership{};
}

bool hosts(TestCluster& cluster, std::int32_t node, PartitionId partition) {
  for (const auto& object : cluster.broker(node)->partition_objects())
    if (object->id() == partition) return true;
  return false;
}

TEST(PartitionMembership, AReplicaJoinsAtRuntimeAndTheOldLeaderLeavesAndDeletesItsData) {
  tern::test::TempDir dir;
  // One partition with replication factor 2: brokers 0 and 1 host it, broker 2 does not.
  TestCluster cluster(dir.path(), {3, 1, 2});
  for (std::int32_t node = 0; node < 3; ++node)
    cluster.start(node);
  const PartitionId p(1);
  EXPECT_FALSE(hosts(cluster, 2, p));
  ASSERT_TRUE(cluster.submit_to_leader(p, deploy_command("order", "pack")).ok());
  std::vector<std::int64_t> before;
  for (int i = 0; i < 5; ++i) {
    auto created = cluster.submit_to_leader(p, create_command("order"));
    ASSERT_GT(instance_key(created), 0);
    before.push_back(instance_key(created));
  }

  // Broker 2 starts an empty replica that joins; it has no configuration and never campaigns.
  ASSERT_TRUE(cluster.broker(2)
                  ->start_replica(p, {NodeId(0), NodeId(1), NodeId(2)}, ReplicaStart::kJoin)
                  .ok());
  ASSERT_TRUE(cluster.broker(2)->start_replica(p, {}, ReplicaStart::kJoin).ok());  // idempotent
  EXPECT_TRUE(hosts(cluster, 2, p));
  EXPECT_TRUE(membership(cluster, 2, p).voters.empty());

  auto leader = cluster.wait_for_leader(p, 10s);
  ASSERT_TRUE(leader);
  raft::ConfigChange add{raft::ConfigChangeType::kAddLearner, NodeId(2), {}};
  auto added = cluster.broker(*leader)->membership_control(p)->change_membership(add);
  ASSERT_TRUE(added.ok()) << added.error();
  // Raft promotes the learner once it caught up; the joined replica knows it votes.
  ASSERT_TRUE(wait_until(
      [&] {
        auto view = membership(cluster, 2, p);
        return contains(view.voters, NodeId(2)) && view.known_leader
               && view.applied_index >= membership(cluster, *leader, p).committed_index;
      },
      20s));
  EXPECT_EQ(membership(cluster, *leader, p).voters.size(), 3u);
  // A second add is refused by Raft (already a member): repeating the action is harmless.
  EXPECT_FALSE(cluster.broker(*leader)->membership_control(p)->change_membership(add).ok());

  // The old leader hands leadership over and leaves; broker 2 can be the next leader.
  const std::int32_t old = *leader;
  ASSERT_TRUE(cluster.broker(old)->membership_control(p)->transfer_leadership_away().ok());
  std::optional<std::int32_t> next;
  ASSERT_TRUE(wait_until(
      [&] {
        next = cluster.wait_for_leader(p, 1s);
        return next && *next != old;
      },
      20s));
  raft::ConfigChange remove{raft::ConfigChangeType::kRemoveNode, NodeId(old), {}};
  ASSERT_TRUE(wait_until(
      [&] { return cluster.broker(*next)->membership_control(p)->change_membership(remove).ok(); },
      10s));
  ASSERT_TRUE(wait_until(
      [&] {
        auto view = membership(cluster, *next, p);
        return !contains(view.voters, NodeId(old)) && view.committed_index >= view.last_index;
      },
      20s));
  const auto old_dir = dir.path() / ("node-" + std::to_string(old)) / "partition-1";
  ASSERT_TRUE(std::filesystem::exists(old_dir));
  ASSERT_TRUE(cluster.broker(old)->stop_replica(p, ReplicaData::kDelete).ok());
  ASSERT_TRUE(cluster.broker(old)->stop_replica(p, ReplicaData::kDelete).ok());  // idempotent
  EXPECT_FALSE(std::filesystem::exists(old_dir));
  EXPECT_FALSE(hosts(cluster, old, p));
  EXPECT_FALSE(cluster.broker(old)->membership_control(p));
  auto refused = cluster.submit(old, p, create_command("order"));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, SubmitErrorCode::kNotLeader);

  // The two remaining replicas serve. Broker 2, which joined empty, leads now and holds every
  // instance created before it joined: cancelling an unknown instance would be rejected.
  if (*next != 2) {
    ASSERT_TRUE(cluster.broker(*next)->membership_control(p)->transfer_leadership_away().ok());
    ASSERT_TRUE(wait_until([&] { return cluster.wait_for_leader(p, 1s) == 2; }, 20s));
  }
  auto created = cluster.submit_to_leader(p, create_command("order"));
  ASSERT_GT(instance_key(created), 0);
  for (std::int64_t key : before) {
    auto cancelled =
        cluster.submit(2, p,
                       command(engine::ValueType::kProcessInstance, engine::Intent::kCancel,
                               engine::Json::object(), engine::Key(key)));
    ASSERT_TRUE(cancelled.ok()) << to_string(cancelled.error().code);
    EXPECT_EQ(cancelled->record.record_type, engine::RecordType::kEvent)
        << "instance " << key << ": " << cancelled->record.rejection_reason;
  }
  auto unknown =
      cluster.submit(2, p,
                     command(engine::ValueType::kProcessInstance, engine::Intent::kCancel,
                             engine::Json::object(), engine::Key(before.back() + 1000)));
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->record.record_type, engine::RecordType::kCommandRejection);
}

}  // namespace
}  // namespace tern::broker::test
