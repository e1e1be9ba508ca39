// The shared tick grid (partition/tick_grid.h) that partition replicas and the topology group
// tick on: the next tick lies strictly after now, on a multiple of tick_ms, numbered by it.

#include "broker/partition/tick_grid.h"

#include <gtest/gtest.h>

namespace tern::broker {
namespace {

using namespace std::chrono_literals;
using TimePoint = std::chrono::steady_clock::time_point;

TEST(TickGrid, TheNextTickIsTheNextMultipleOfTheTick) {
  auto tick = next_grid_tick(TimePoint(1'234'567ms), 50);
  EXPECT_EQ(tick.number, 24'692u);
  EXPECT_EQ(tick.at, TimePoint(1'234'600ms));
  // Exactly on a grid point: the next one, never now.
  auto on_point = next_grid_tick(TimePoint(1'234'600ms), 50);
  EXPECT_EQ(on_point.number, 24'693u);
  EXPECT_EQ(on_point.at, TimePoint(1'234'650ms));
}

TEST(TickGrid, GroupsTickingAtDifferentMomentsShareTickNumbers) {
  // Two groups (a partition and the topology group) whose timers fire at different moments within
  // one tick get the same tick number, so RaftNode::tick_at() makes them heartbeat together.
  auto early = next_grid_tick(TimePoint(10'051ms), 50);
  auto late = next_grid_tick(TimePoint(10'099ms), 50);
  EXPECT_EQ(early.number, late.number);
  EXPECT_EQ(early.at, late.at);
  EXPECT_EQ(early.number % 2, 0u);  // both heartbeat on this tick with heartbeat_ticks = 2
}

TEST(TickGrid, ANonPositiveTickCountsAsOneMillisecond) {
  auto tick = next_grid_tick(TimePoint(7ms), 0);
  EXPECT_EQ(tick.number, 8u);
  EXPECT_EQ(tick.at, TimePoint(8ms));
}

}  // namespace
}  // namespace tern::broker
