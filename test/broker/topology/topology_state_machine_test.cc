// The topology state machine: the commands of a change applied as a Raft group would apply them,
// deterministic on every replica, stale reports rejected, commands and snapshots round-tripping.

#include "broker/topology/topology_state_machine.h"

#include <gtest/gtest.h>

namespace tern::broker::topology {
namespace {

ClusterTopology four_brokers_two_regions() {
  std::vector<BrokerInfo> brokers;
  for (std::int32_t id = 0; id < 4; ++id) {
    BrokerInfo broker;
    broker.id = NodeId(id);
    broker.address = "127.0.0.1:" + std::to_string(31000 + id);
    broker.region = std::to_string(id % 2);
    brokers.push_back(broker);
  }
  return initial_topology(brokers, 4, 4);
}

TopologyCommand start(const ClusterTopology& topology, const ChangePlan& plan, std::int64_t time) {
  TopologyCommand command;
  command.kind = TopologyCommandKind::kStartChange;
  command.time_ms = time;
  command.based_on_version = topology.version;
  command.replication_factor = plan.expected.replication_factor;
  command.operations = plan.operations;
  return command;
}

TopologyCommand completed(std::int64_t change, const Operation& operation, std::int64_t time) {
  TopologyCommand command;
  command.kind = TopologyCommandKind::kCompleteOperation;
  command.time_ms = time;
  command.change_id = change;
  command.operation = operation;
  return command;
}

// The failover and failback of region 1 as the sequence of committed commands.
std::vector<TopologyCommand> drill(const ClusterTopology& initial) {
  std::vector<TopologyCommand> log;
  TopologyStateMachine machine(initial);
  auto run = [&](const TopologyCommand& command) {
    EXPECT_TRUE(machine.apply(command).ok());
    log.push_back(command);
  };
  auto failover =
      plan_change(machine.topology(), {{}, {NodeId(1), NodeId(3)}, {}, ChangeMode::kForce});
  EXPECT_TRUE(failover.ok());
  run(start(machine.topology(), *failover, 1000));
  for (const auto& operation : failover->operations)
    run(completed(1, operation, 2000));
  TopologyCommand announce;
  announce.kind = TopologyCommandKind::kAnnounce;
  announce.time_ms = 3000;
  announce.broker = NodeId(1);
  announce.identity = {"127.0.0.1:41001", "1"};
  run(announce);
  auto failback = plan_change(
      machine.topology(), {{NodeId(1), NodeId(3)}, {}, 4, ChangeMode::kSafe}, machine.announced());
  EXPECT_TRUE(failback.ok());
  run(start(machine.topology(), *failback, 4000));
  for (const auto& operation : failback->operations)
    run(completed(2, operation, 5000));
  return log;
}

TEST(TopologyStateMachine, ReplicasApplyingTheSameLogEndEqual) {
  const auto initial = four_brokers_two_regions();
  const auto log = drill(initial);
  TopologyStateMachine a(initial), b(initial);
  for (const auto& command : log) {
    // Through the log's bytes, as a follower receives them.
    auto decoded = decode_command(encode_command(command));
    ASSERT_TRUE(decoded.ok()) << decoded.error().message;
    ASSERT_TRUE(a.apply(*decoded).ok());
    ASSERT_TRUE(b.apply(command).ok());
  }
  EXPECT_EQ(a.topology(), b.topology());
  EXPECT_EQ(a.topology().last_change->id, 2);
  EXPECT_EQ(a.topology().last_change->status, ChangeStatus::kCompleted);
  EXPECT_EQ(a.topology().last_change->completed_at_ms, 5000);
  for (std::int32_t p = 1; p <= 4; ++p)
    EXPECT_EQ(a.topology().replicas_of(PartitionId(p)).size(), 4u);
  EXPECT_EQ(a.topology().brokers.at(NodeId(1)).address, "127.0.0.1:41001");
  EXPECT_TRUE(a.announced().empty());
}

TEST(TopologyStateMachine, StaleAndOutOfOrderCommandsAreRejectedWithoutEffect) {
  TopologyStateMachine machine(four_brokers_two_regions());
  auto plan = plan_change(machine.topology(), {{}, {}, 2, ChangeMode::kSafe});
  ASSERT_TRUE(plan.ok());
  ASSERT_GE(plan->operations.size(), 2u);
  const auto planned_on = machine.topology();
  ASSERT_TRUE(machine.apply(start(planned_on, *plan, 10)).ok());

  auto again = machine.apply(start(planned_on, *plan, 11));
  ASSERT_FALSE(again.ok());
  EXPECT_NE(again.error().message.find("change 1 is in progress"), std::string::npos);

  const auto before = machine.topology();
  auto out_of_order = machine.apply(completed(1, plan->operations[1], 12));
  ASSERT_FALSE(out_of_order.ok());
  EXPECT_NE(out_of_order.error().message.find("is not the next operation"), std::string::npos);
  auto wrong_change = machine.apply(completed(7, plan->operations[0], 12));
  ASSERT_FALSE(wrong_change.ok());
  EXPECT_EQ(machine.topology(), before);

  ASSERT_TRUE(machine.apply(completed(1, plan->operations[0], 13)).ok());
  auto duplicate = machine.apply(completed(1, plan->operations[0], 14));  // a retried report
  EXPECT_FALSE(duplicate.ok());

  TopologyCommand fail;
  fail.kind = TopologyCommandKind::kFailChange;
  fail.time_ms = 15;
  fail.change_id = 1;
  fail.reason = "broker 2 cannot start partition 3";
  ASSERT_TRUE(machine.apply(fail).ok());
  EXPECT_EQ(machine.topology().last_change->status, ChangeStatus::kFailed);
  EXPECT_FALSE(machine.topology().pending_change);

  // Planned on an older version: rejected.
  auto stale = machine.apply(start(planned_on, *plan, 16));
  ASSERT_FALSE(stale.ok());
  EXPECT_NE(stale.error().message.find("planned on version"), std::string::npos);
}

TEST(TopologyStateMachine, AChangeWithoutOperationsCompletesAtOnce) {
  TopologyStateMachine machine(four_brokers_two_regions());
  ChangePlan empty;
  empty.expected = machine.topology();
  ASSERT_TRUE(machine.apply(start(machine.topology(), empty, 5)).ok());
  ASSERT_TRUE(machine.topology().last_change);
  EXPECT_EQ(machine.topology().last_change->status, ChangeStatus::kCompleted);
  EXPECT_FALSE(machine.topology().pending_change);
}

TEST(TopologyStateMachine, SnapshotRestoresTheWholeState) {
  const auto initial = four_brokers_two_regions();
  TopologyStateMachine machine(initial);
  const auto log = drill(initial);
  // Stop half-way through the failback, with a broker announced and a change running.
  for (std::size_t i = 0; i < log.size() - 2; ++i)
    ASSERT_TRUE(machine.apply(log[i]).ok());
  auto restored = TopologyStateMachine::restore(machine.snapshot());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->topology(), machine.topology());
  EXPECT_EQ(restored->announced().size(), machine.announced().size());
  for (std::size_t i = log.size() - 2; i < log.size(); ++i) {
    ASSERT_TRUE(restored->apply(log[i]).ok());
    ASSERT_TRUE(machine.apply(log[i]).ok());
  }
  EXPECT_EQ(restored->topology(), machine.topology());
}

TEST(TopologyStateMachine, AMemberAnnouncingItselfUpdatesItsEntryOnce) {
  TopologyStateMachine machine(four_brokers_two_regions());
  const auto before = machine.topology();
  TopologyCommand announce;
  announce.kind = TopologyCommandKind::kAnnounce;
  announce.time_ms = 7000;
  announce.broker = NodeId(2);
  announce.identity = {"10.0.0.2:26502", "", "10.0.0.2:9600"};
  auto decoded = decode_command(encode_command(announce));
  ASSERT_TRUE(decoded.ok()) << decoded.error().message;
  ASSERT_TRUE(machine.apply(*decoded).ok());
  const auto& broker = machine.topology().brokers.at(NodeId(2));
  EXPECT_EQ(broker.address, "10.0.0.2:26502");
  EXPECT_EQ(broker.monitoring_address, "10.0.0.2:9600");
  EXPECT_EQ(broker.region, "0");  // an empty field keeps what the topology had
  EXPECT_EQ(broker.version, before.brokers.at(NodeId(2)).version + 1);
  EXPECT_EQ(broker.last_updated_ms, 7000);
  EXPECT_EQ(machine.topology().version, before.version + 1);
  EXPECT_TRUE(machine.announced().empty());  // members are not "announced" brokers

  // The same again changes nothing, not even the version.
  const auto once = machine.topology();
  announce.time_ms = 8000;
  ASSERT_TRUE(machine.apply(announce).ok());
  EXPECT_EQ(machine.topology(), once);

  // Snapshots keep it, and an announced non-member's monitoring address.
  TopologyCommand stranger;
  stranger.kind = TopologyCommandKind::kAnnounce;
  stranger.time_ms = 9000;
  stranger.broker = NodeId(9);
  stranger.identity = {"10.0.0.9:26502", "1", "10.0.0.9:9600"};
  ASSERT_TRUE(machine.apply(stranger).ok());
  auto restored = TopologyStateMachine::restore(machine.snapshot());
  ASSERT_TRUE(restored.ok()) << restored.error().message;
  EXPECT_EQ(restored->topology(), machine.topology());
  EXPECT_EQ(restored->announced(), machine.announced());
}

TEST(TopologyStateMachine, BadBytesAreNamed) {
  EXPECT_FALSE(decode_command("not json").ok());
  auto unknown = decode_command(R"({"kind":"REBOOT","time":1})");
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.error().message.find("unknown kind 'REBOOT'"), std::string::npos);
  auto missing = decode_command(R"({"kind":"FAIL_CHANGE","time":1})");
  ASSERT_FALSE(missing.ok());
  EXPECT_NE(missing.error().message.find("FAIL_CHANGE"), std::string::npos);
  EXPECT_FALSE(TopologyStateMachine::restore("{}").ok());
}

}  // namespace
}  // namespace tern::broker::topology
