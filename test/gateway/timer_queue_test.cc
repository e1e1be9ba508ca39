// TimerQueue: the router's back-offs and waits. Entries run in due order on the queue's thread;
// a cancelled one never runs; shutdown runs what is pending as cancelled (and later entries at
// once), so that nothing waiting on the queue is left hanging.

#include "gateway/routing/timer_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <vector>

#include "support/eventually.h"

namespace tern::gateway::routing {
namespace {

using namespace std::chrono_literals;
using Fired = TimerQueue::Fired;

// What the callbacks saw, in the order they ran.
struct Log {
  std::mutex mutex;
  std::vector<std::pair<int, Fired>> runs;
  TimerQueue::Callback entry(int tag) {
    return [this, tag](Fired fired) {
      std::lock_guard lock(mutex);
      runs.emplace_back(tag, fired);
    };
  }
  std::size_t size() {
    std::lock_guard lock(mutex);
    return runs.size();
  }
};

TEST(TimerQueue, RunsEntriesInDueOrder) {
  TimerQueue timers;
  Log log;
  const auto now = TimerQueue::Clock::now();
  timers.schedule(now + 60ms, log.entry(3));
  timers.schedule(now + 20ms, log.entry(1));
  timers.schedule(now + 40ms, log.entry(2));
  timers.schedule(now - 1s, log.entry(0));  // already due
  ASSERT_TRUE(tern::test::eventually([&] { return log.size() == 4; }, 5000ms));
  std::lock_guard lock(log.mutex);
  for (int i = 0; i < 4; ++i) {
    EXPECT_EQ(log.runs[static_cast<std::size_t>(i)].first, i);
    EXPECT_EQ(log.runs[static_cast<std::size_t>(i)].second, Fired::kDue);
  }
}

TEST(TimerQueue, ACancelledEntryNeverRuns) {
  Log log;
  {
    TimerQueue timers;
    const auto id = timers.schedule(TimerQueue::Clock::now() + 1h, log.entry(1));
    timers.schedule(TimerQueue::Clock::now(), log.entry(2));
    EXPECT_TRUE(timers.cancel(id));
    EXPECT_FALSE(timers.cancel(id)) << "a second cancel finds nothing";
    ASSERT_TRUE(tern::test::eventually([&] { return log.size() == 1; }, 5000ms));
    EXPECT_FALSE(timers.cancel(12345)) << "an unknown id";
  }  // shutdown: the cancelled entry does not run even now
  std::lock_guard lock(log.mutex);
  ASSERT_EQ(log.runs.size(), 1u);
  EXPECT_EQ(log.runs[0].first, 2);
}

TEST(TimerQueue, ShutdownRunsPendingEntriesAsCancelledAndLaterOnesAtOnce) {
  TimerQueue timers;
  Log log;
  timers.schedule(TimerQueue::Clock::now() + 1h, log.entry(1));
  timers.schedule(TimerQueue::Clock::now() + 2h, log.entry(2));
  timers.shutdown();
  ASSERT_EQ(log.size(), 2u) << "shutdown returns after the pending entries ran";
  // Refused after shutdown: run before schedule() returns, on this thread.
  EXPECT_EQ(timers.schedule(TimerQueue::Clock::now() + 1h, log.entry(3)), 0u);
  timers.shutdown();  // idempotent
  std::lock_guard lock(log.mutex);
  ASSERT_EQ(log.runs.size(), 3u);
  EXPECT_EQ(log.runs[0], std::pair(1, Fired::kCancelled));
  EXPECT_EQ(log.runs[1], std::pair(2, Fired::kCancelled));
  EXPECT_EQ(log.runs[2], std::pair(3, Fired::kCancelled));
}

TEST(TimerQueue, ACallbackMayScheduleCancelAndEvenDestroyTheQueue) {
  auto timers = std::make_shared<TimerQueue>();
  std::atomic<bool> released{false};
  std::atomic<bool> cancelled_ran{false};
  std::atomic<bool> destroyed{false};
  timers->schedule(TimerQueue::Clock::now(), [&, owner = timers](Fired) mutable {
    const auto never =
        owner->schedule(TimerQueue::Clock::now() + 1h, [&](Fired) { cancelled_ran = true; });
    EXPECT_TRUE(owner->cancel(never));
    // Wait until this callback holds the last reference, then drop it: the queue is destroyed
    // on its own thread.
    EXPECT_TRUE(tern::test::eventually([&] { return released.load(); }, 5000ms));
    owner.reset();
    destroyed = true;
  });
  timers.reset();
  released = true;
  ASSERT_TRUE(tern::test::eventually([&] { return destroyed.load(); }, 5000ms));
  EXPECT_FALSE(cancelled_ran.load());
}

}  // namespace
}  // namespace tern::gateway::routing
