// Core + journal + codec together: three replicas on disk, messages carried as encoded bytes.

#include "raft/driver/raft_driver.h"

#include <gtest/gtest.h>

#include <deque>
#include <map>

#include "raft/codec.h"
#include "raft/core/bytes.h"
#include "support/temp_dir.h"

namespace tern::raft {
namespace {

// A state machine that remembers every normal payload, in order.
class ListStateMachine final : public StateMachine {
 public:
  void apply(const Entry& entry) override {
    if (entry.type == EntryType::kNormal) values.push_back(entry.data);
  }
  void restore(const Snapshot& snapshot) override {
    values.clear();
    ByteReader in(snapshot.data);
    std::uint32_t count = in.get_u32();
    for (std::uint32_t i = 0; i < count && in.ok(); ++i)
      values.push_back(in.get_bytes());
    ASSERT_TRUE(in.ok());
  }
  std::string encode() const {
    ByteWriter out;
    out.put_u32(static_cast<std::uint32_t>(values.size()));
    for (const auto& v : values)
      out.put_bytes(v);
    return out.take();
  }
  std::vector<std::string> values;
};

class Cluster {
 public:
  explicit Cluster(int voters) {
    for (int i = 1; i <= voters; ++i)
      initial_.voters.emplace_back(i);
    for (int i = 1; i <= voters; ++i)
      start(i, true);
  }

  void start(int id, bool founding) {
    RaftOptions options;
    options.id = NodeId(id);
    options.random_seed = static_cast<std::uint64_t>(id);
    options.priority_order = initial_.voters;
    options.snapshot_chunk_bytes = 16;
    auto driver =
        RaftDriver::open(options, dir_.path() / std::to_string(id), journal::JournalOptions{},
                         founding ? std::optional<Configuration>(initial_) : std::nullopt,
                         machines_[id], [this](Message m) { wire_.push_back(encode_message(m)); });
    ASSERT_TRUE(driver.ok()) << driver.error().message;
    drivers_[id] = std::move(*driver);
  }

  void stop(int id) {
    drivers_.erase(id);
    machines_.erase(id);
  }

  // Delivers everything in flight and does all IO until the cluster is quiet.
  void settle() {
    for (int guard = 0; guard < 10000; ++guard) {
      for (auto& [id, driver] : drivers_) {
        auto processed = driver->process();
        ASSERT_TRUE(processed.ok()) << processed.error().message;
      }
      if (wire_.empty()) return;
      std::string bytes = std::move(wire_.front());
      wire_.pop_front();
      auto message = decode_message(bytes);
      ASSERT_TRUE(message.ok()) << message.error().message;
      auto it = drivers_.find(message->to.value());
      if (it != drivers_.end()) it->second->step(std::move(*message));
    }
    FAIL() << "the cluster did not settle";
  }

  RaftDriver* leader() {
    for (auto& [id, driver] : drivers_) {
      if (driver->node().role() == Role::kLeader) return driver.get();
    }
    return nullptr;
  }

  RaftDriver* elect() {
    for (int round = 0; round < 200 && leader() == nullptr; ++round) {
      for (auto& [id, driver] : drivers_)
        driver->tick();
      settle();
    }
    return leader();
  }

  Configuration initial_;
  test::TempDir dir_;
  std::map<int, ListStateMachine> machines_;
  std::map<int, std::unique_ptr<RaftDriver>> drivers_;
  std::deque<std::string> wire_;
};

TEST(RaftDriver, ReplicatesAppliesAndReplaysAfterRestart) {
  Cluster cluster(3);
  RaftDriver* leader = cluster.elect();
  ASSERT_NE(leader, nullptr);
  EXPECT_EQ(leader->node().id(), NodeId(1));  // the preferred replica wins a clean election
  for (int i = 0; i < 50; ++i)
    ASSERT_TRUE(leader->node().propose({"v" + std::to_string(i)}).ok());
  cluster.settle();
  for (int id = 1; id <= 3; ++id) {
    ASSERT_EQ(cluster.machines_[id].values.size(), 50u) << "node " << id;
    EXPECT_EQ(cluster.machines_[id].values[49], "v49");
  }
  cluster.stop(3);
  cluster.start(3, true);  // reopened from its journal: replays what was committed
  for (int round = 0; round < 5; ++round) {
    for (auto& [id, driver] : cluster.drivers_)
      driver->tick();
    cluster.settle();
  }
  EXPECT_EQ(cluster.machines_[3].values, cluster.machines_[1].values);
}

TEST(RaftDriver, NewReplicaCatchesUpFromSnapshotAndIsPromoted) {
  Cluster cluster(3);
  RaftDriver* leader = cluster.elect();
  ASSERT_NE(leader, nullptr);
  for (int i = 0; i < 30; ++i)
    ASSERT_TRUE(leader->node().propose({"v" + std::to_string(i)}).ok());
  cluster.settle();
  ASSERT_TRUE(leader->take_snapshot(cluster.machines_[leader->node().id().value()].encode()).ok());
  EXPECT_GT(leader->journal().snapshot_meta().index, LogIndex(30));

  cluster.start(4, false);  // an empty disk: joins as a learner
  ASSERT_TRUE(
      leader->node().propose_config_change({ConfigChangeType::kAddLearner, NodeId(4), {}}).ok());
  for (int round = 0; round < 20; ++round) {
    for (auto& [id, driver] : cluster.drivers_)
      driver->tick();
    cluster.settle();
  }
  EXPECT_TRUE(leader->node().configuration().is_voter(NodeId(4)));
  ASSERT_TRUE(leader->node().propose({"after"}).ok());
  cluster.settle();
  EXPECT_EQ(cluster.machines_[4].values, cluster.machines_[1].values);
  EXPECT_EQ(cluster.machines_[4].values.back(), "after");
  EXPECT_EQ(cluster.drivers_[4]->journal().snapshot_meta().index,
            leader->journal().snapshot_meta().index);
}

TEST(RaftDriver, TransferHandsLeadershipToTheTarget) {
  Cluster cluster(3);
  RaftDriver* leader = cluster.elect();
  ASSERT_NE(leader, nullptr);
  ASSERT_TRUE(leader->node().propose({"x"}).ok());
  cluster.settle();
  ASSERT_TRUE(leader->node().transfer_leadership(NodeId(2)).ok());
  cluster.settle();
  RaftDriver* now = cluster.leader();
  ASSERT_NE(now, nullptr);
  EXPECT_EQ(now->node().id(), NodeId(2));
}

}  // namespace
}  // namespace tern::raft
