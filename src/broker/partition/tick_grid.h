#pragma once

// The tick grid every Raft group of a broker shares: tick n falls at n * tick_ms on the monotonic
// clock, and RaftNode::tick_at(n) numbers the tick with n. Groups that tick on the grid and
// heartbeat every `heartbeat_ticks` heartbeat on the same ticks, so the transport carries the
// heartbeats of all the groups one broker leads towards a peer together (docs/cluster.md,
// "Heartbeats per pair"). Pure: the caller passes the clock's reading.

#include <algorithm>
#include <chrono>
#include <cstdint>

namespace tern::broker {

struct GridTick {
  std::uint64_t number;                      // for RaftNode::tick_at
  std::chrono::steady_clock::time_point at;  // when it falls (strictly after `now`)
};

inline GridTick next_grid_tick(std::chrono::steady_clock::time_point now, int tick_ms) {
  const auto tick = std::chrono::milliseconds(std::max(tick_ms, 1));
  const auto since_epoch =
      std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch());
  const auto next = since_epoch / tick + 1;
  return GridTick{static_cast<std::uint64_t>(next),
                  std::chrono::steady_clock::time_point(next * tick)};
}

}  // namespace tern::broker
