// JobWakeups: each wake-up goes to one waiting long poll (the longest waiting), not to all of
// them, and tells it the partition that raised it; the generation moves with every wake-up, so
// a poll that registers late is not left out.

#include "gateway/routing/job_wakeups.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <thread>
#include <vector>

namespace tern::gateway::routing {
namespace {

TEST(JobWakeups, AWakeUpGoesToTheLongestWaitingPollOfItsType) {
  JobWakeups wakeups;
  std::vector<int> woken;
  const std::uint64_t seen = wakeups.generation("pack");
  for (int waiter = 1; waiter <= 3; ++waiter)
    EXPECT_NE(wakeups.when_changed("pack", seen,
                                   [&woken, waiter](std::int32_t) { woken.push_back(waiter); }),
              0u);
  wakeups.when_changed("other", wakeups.generation("other"),
                       [&woken](std::int32_t) { woken.push_back(9); });

  wakeups.notify("pack", 1);
  EXPECT_EQ(woken, (std::vector<int>{1}));
  EXPECT_EQ(wakeups.generation("pack"), seen + 1);
  wakeups.notify("pack", 2);
  wakeups.notify("pack", 3);
  EXPECT_EQ(woken, (std::vector<int>{1, 2, 3}));
  // Nobody of that type waits any more: the wake-up only moves the generation.
  wakeups.notify("pack", 1);
  EXPECT_EQ(woken, (std::vector<int>{1, 2, 3}));
  EXPECT_EQ(wakeups.generation("pack"), seen + 4);
  wakeups.shutdown();  // wakes the rest
  EXPECT_EQ(woken, (std::vector<int>{1, 2, 3, 9}));
}

// The waiter hears which partition raised its wake-up, so that it asks that partition first.
TEST(JobWakeups, AWaiterHearsThePartitionOfItsWakeUp) {
  JobWakeups wakeups;
  std::vector<std::int32_t> partitions;
  const std::uint64_t seen = wakeups.generation("pack");
  for (int waiter = 0; waiter < 3; ++waiter) {
    wakeups.when_changed(
        "pack", seen, [&partitions](std::int32_t partition) { partitions.push_back(partition); });
  }
  wakeups.notify("pack", 2);
  wakeups.notify("pack", JobWakeups::kAnyPartition);  // as the embedded broker's wake-ups
  wakeups.notify("pack", 3);
  EXPECT_EQ(partitions, (std::vector<std::int32_t>{2, JobWakeups::kAnyPartition, 3}));
}

TEST(JobWakeups, APollThatSawAnOlderGenerationIsWokenAtOnce) {
  JobWakeups wakeups;
  const std::uint64_t seen = wakeups.generation("pack");
  wakeups.notify("pack", 2);  // between the poll and its wait
  std::int32_t woken_by = -1;
  EXPECT_EQ(wakeups.when_changed("pack", seen,
                                 [&woken_by](std::int32_t partition) { woken_by = partition; }),
            0u);
  // Which partition moved the generation is not kept: the poll must ask every partition.
  EXPECT_EQ(woken_by, JobWakeups::kAnyPartition);
}

TEST(JobWakeups, AForgottenWaiterIsSkipped) {
  JobWakeups wakeups;
  std::vector<int> woken;
  const std::uint64_t seen = wakeups.generation("pack");
  const auto first =
      wakeups.when_changed("pack", seen, [&woken](std::int32_t) { woken.push_back(1); });
  wakeups.when_changed("pack", seen, [&woken](std::int32_t) { woken.push_back(2); });
  EXPECT_TRUE(wakeups.forget(first));
  wakeups.notify("pack", 1);
  EXPECT_EQ(woken, (std::vector<int>{2}));
  EXPECT_FALSE(wakeups.forget(first));
}

TEST(JobWakeups, BlockingWaitersAreAllWoken) {
  JobWakeups wakeups;
  const std::uint64_t seen = wakeups.generation("pack");
  wakeups.notify("pack", 1);
  const auto now = JobWakeups::Clock::now();
  EXPECT_TRUE(wakeups.wait("pack", seen, now + std::chrono::seconds(10)));
  EXPECT_TRUE(wakeups.wait("pack", seen, now + std::chrono::seconds(10)));
  EXPECT_FALSE(wakeups.wait("pack", seen + 1, now));  // nothing new: ends at its time
}

// A partition's empty answer is believed until a wake-up names that partition (or names none),
// and for no longer than its maximum age.
TEST(JobWakeups, AnEmptyAnswerHoldsUntilAWakeUpFromItsPartition) {
  JobWakeups wakeups;
  const auto long_ago = std::chrono::hours(1);
  EXPECT_FALSE(wakeups.known_empty("pack", 1, long_ago));  // never asked
  wakeups.note_empty("pack", 1, wakeups.partition_generation("pack", 1));
  wakeups.note_empty("pack", 2, wakeups.partition_generation("pack", 2));
  EXPECT_TRUE(wakeups.known_empty("pack", 1, long_ago));
  EXPECT_FALSE(wakeups.known_empty("other", 1, long_ago));  // per type

  wakeups.notify("pack", 2);
  EXPECT_TRUE(wakeups.known_empty("pack", 1, long_ago));
  EXPECT_FALSE(wakeups.known_empty("pack", 2, long_ago));

  wakeups.note_empty("pack", 2, wakeups.partition_generation("pack", 2));
  EXPECT_TRUE(wakeups.known_empty("pack", 2, long_ago));
  wakeups.notify("pack", JobWakeups::kAnyPartition);  // which partition is not known: every one
  EXPECT_FALSE(wakeups.known_empty("pack", 1, long_ago));
  EXPECT_FALSE(wakeups.known_empty("pack", 2, long_ago));
}

// A wake-up between the poll reading the generation and its answer arriving may be for a job the
// answer did not see: the empty answer is not recorded.
TEST(JobWakeups, AnEmptyAnswerOlderThanAWakeUpIsNotRecorded) {
  JobWakeups wakeups;
  const std::uint64_t asked_at = wakeups.partition_generation("pack", 3);
  wakeups.notify("pack", 3);
  wakeups.note_empty("pack", 3, asked_at);
  EXPECT_FALSE(wakeups.known_empty("pack", 3, std::chrono::hours(1)));
}

TEST(JobWakeups, AnEmptyAnswerExpires) {
  JobWakeups wakeups;
  wakeups.note_empty("pack", 1, wakeups.partition_generation("pack", 1));
  EXPECT_TRUE(wakeups.known_empty("pack", 1, std::chrono::hours(1)));
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_FALSE(wakeups.known_empty("pack", 1, std::chrono::milliseconds(10)));
}

}  // namespace
}  // namespace tern::gateway::routing
