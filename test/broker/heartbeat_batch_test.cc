// Heartbeats coalesced per pair of brokers: three in-process brokers host 8 partitions with
// replication factor 3 (every broker replicates every partition and leads about a third). Idle,
// the heartbeats of all the partitions a broker leads travel towards each peer as one frame per
// heartbeat interval (and the peer's answers as one more), instead of a frame per partition.

#include <gtest/gtest.h>

#include <chrono>
#include <cstdio>
#include <map>
#include <thread>

#include "cluster_test_support.h"
#include "support/temp_dir.h"

namespace tern::broker::test {
namespace {

using namespace std::chrono_literals;

TEST(HeartbeatBatch, AnIdlePairExchangesAboutOneFramePerHeartbeatIntervalEachWay) {
  constexpr int kTickMs = 50;
  constexpr int kHeartbeatTicks = 2;
  tern::test::TempDir root;
  TestClusterSpec spec;
  spec.brokers = 3;
  spec.partitions = 8;
  spec.replication_factor = 3;
  spec.configure_replica = [](std::int32_t, ReplicaOptions& replica) {
    replica.tick_ms = kTickMs;
    replica.heartbeat_ticks = kHeartbeatTicks;
    replica.idle_append_ms = 3600 * 1000;  // only heartbeats while idle
  };
  TestCluster cluster(root.path(), spec);
  for (std::int32_t node = 0; node < 3; ++node)
    cluster.start(node);
  for (std::int32_t p = 1; p <= 8; ++p)
    ASSERT_TRUE(cluster.wait_for_leader(PartitionId(p), 30s)) << "partition " << p;
  // Every follower caught up with its leader's entries: nothing but heartbeats is left.
  ASSERT_TRUE(wait_until(
      [&] {
        for (std::int32_t p = 1; p <= 8; ++p) {
          std::optional<std::uint64_t> applied;
          for (std::int32_t node = 0; node < 3; ++node) {
            auto status = cluster.status(node, PartitionId(p));
            if (!status) return false;
            if (applied && *applied != status->applied_index) return false;
            applied = status->applied_index;
          }
        }
        return true;
      },
      30s));

  // Which brokers lead something (where elections went depends on start order and load): a pair
  // exchanges heartbeats only when one of its brokers leads a partition.
  std::map<std::int32_t, int> leads;
  for (std::int32_t p = 1; p <= 8; ++p) {
    for (std::int32_t node = 0; node < 3; ++node) {
      auto status = cluster.status(node, PartitionId(p));
      if (status && status->leader == node) ++leads[node];
    }
  }

  // The measurement: a window of 20 heartbeat intervals.
  constexpr int kIntervals = 20;
  std::map<std::int32_t, std::map<NodeId, PairStats>> before;
  for (std::int32_t node = 0; node < 3; ++node)
    before[node] = cluster.broker(node)->transport_stats();
  std::this_thread::sleep_for(std::chrono::milliseconds(kIntervals * kTickMs * kHeartbeatTicks));
  for (std::int32_t node = 0; node < 3; ++node) {
    auto after = cluster.broker(node)->transport_stats();
    for (std::int32_t peer = 0; peer < 3; ++peer) {
      if (peer == node) continue;
      const PairStats& a = after[NodeId(peer)];
      const PairStats& b = before[node][NodeId(peer)];
      const auto frames = a.frames_sent - b.frames_sent;
      const auto bytes = a.bytes_sent - b.bytes_sent;
      std::printf("heartbeat_batch: broker %d -> %d: %.2f frames and %.0f bytes per interval\n",
                  node, peer, static_cast<double>(frames) / kIntervals,
                  static_cast<double>(bytes) / kIntervals);
      // One frame with this broker's heartbeats and one with its answers to the peer's, per
      // interval; a frame per partition would be about 8 (2-3 heartbeats, 5-6 answers).
      if (leads[node] + leads[peer] > 0) {
        EXPECT_GE(frames, kIntervals / 2u) << node << " -> " << peer << ": heartbeats must flow";
      }
      EXPECT_LE(frames, kIntervals * 5u / 2u) << node << " -> " << peer;
      EXPECT_EQ(a.open_connections, 1u);
    }
  }
}

}  // namespace
}  // namespace tern::broker::test
