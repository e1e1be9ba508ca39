// The seeded simulation sweep. Each TEST is its own ctest entry, so `ctest -j2` spreads the sweep.
//
//   TERN_RAFT_SIM_SEED=<seed>    replay one seed (every shape), e.g. after a failure report
//   TERN_RAFT_SIM_SEEDS=<count>  soak: run that many seeds per sweep entry instead of the default

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>

#include "raft_simulator.h"
#include "support/temp_dir.h"

namespace tern::raft::sim {
namespace {

struct Sweep {
  std::uint64_t first_seed;
  std::uint64_t count;
};

Sweep sweep(std::uint64_t first_seed, std::uint64_t default_count) {
  if (const char* seed = std::getenv("TERN_RAFT_SIM_SEED")) {
    return Sweep{std::stoull(seed), 1};
  }
  if (const char* count = std::getenv("TERN_RAFT_SIM_SEEDS")) {
    return Sweep{first_seed, std::stoull(count)};
  }
  return Sweep{first_seed, default_count};
}

void run_sweep(SimOptions base, std::uint64_t first_seed, std::uint64_t default_count) {
  spdlog::set_level(spdlog::level::warn);  // journal reopenings are routine here
  Sweep range = sweep(first_seed, default_count);
  Simulator::Stats total;
  for (std::uint64_t seed = range.first_seed; seed < range.first_seed + range.count; ++seed) {
    SimOptions options = base;
    options.seed = seed;
    std::optional<test::TempDir> dir;
    if (!base.journal_dir.empty()) {
      dir.emplace();
      options.journal_dir = dir->path();
    }
    Simulator simulator(options);
    auto failure = simulator.run();
    ASSERT_FALSE(failure.has_value()) << *failure << "\nreplay: TERN_RAFT_SIM_SEED=" << seed;
    const auto& stats = simulator.stats();
    if (std::getenv("TERN_RAFT_SIM_VERBOSE") != nullptr) {
      std::printf(
          "seed %llu: elections %d committed %d snapshots %d crashes %d transfers %d "
          "config changes %d forced %d\n",
          static_cast<unsigned long long>(seed), stats.elections_won, stats.entries_committed,
          stats.snapshots_installed, stats.crashes, stats.transfers, stats.config_changes,
          stats.forced);
    }
    total.elections_won += stats.elections_won;
    total.entries_committed += stats.entries_committed;
    total.snapshots_installed += stats.snapshots_installed;
    total.crashes += stats.crashes;
    total.transfers += stats.transfers;
    total.config_changes += stats.config_changes;
    total.forced += stats.forced;
  }
  // The sweep must actually exercise what it claims to.
  EXPECT_GT(total.elections_won, 0);
  EXPECT_GT(total.entries_committed, 0);
  EXPECT_GT(total.crashes, 0);
  if (range.count >= 20) {
    EXPECT_GT(total.snapshots_installed, 0);
    EXPECT_GT(total.transfers, 0);
    if (base.membership_changes) {
      EXPECT_GT(total.config_changes, 0);
    }
  }
  if (base.forced_region_loss) {
    EXPECT_GT(total.forced, 0);
  }
}

TEST(RaftSimulation, ThreeNodes) {
  SimOptions options;
  options.voters = 3;
  run_sweep(options, 10000, 1500);
}

TEST(RaftSimulation, FiveNodes) {
  SimOptions options;
  options.voters = 5;
  run_sweep(options, 20000, 1000);
}

TEST(RaftSimulation, FourNodesDualRegion) {
  SimOptions options;
  options.voters = 4;
  options.regions = 2;
  run_sweep(options, 30000, 1000);
}

TEST(RaftSimulation, RegionLossForcedReconfiguration) {
  SimOptions options;
  options.voters = 4;
  options.regions = 2;
  options.spares = 0;
  options.membership_changes = false;
  options.forced_region_loss = true;
  run_sweep(options, 40000, 600);
}

TEST(RaftSimulation, RegionLossFiveNodes) {
  SimOptions options;
  options.voters = 5;
  options.regions = 2;
  options.spares = 0;
  options.membership_changes = false;
  options.forced_region_loss = true;
  run_sweep(options, 50000, 400);
}

// Pipelined syncs: most nodes write a Ready, take the next while its sync runs, and report the
// syncs' ends in order (RaftNode::advance_written / persisted); a crash loses every write whose
// sync had not ended. A leader that counted an unsynced entry, or a follower that acknowledged
// one, loses committed entries here.
TEST(RaftSimulation, PipelinedThreeNodes) {
  SimOptions options;
  options.voters = 3;
  options.pipelined = true;
  run_sweep(options, 80000, 1200);
}

TEST(RaftSimulation, PipelinedFiveNodes) {
  SimOptions options;
  options.voters = 5;
  options.pipelined = true;
  run_sweep(options, 90000, 600);
}

TEST(RaftSimulation, PipelinedRegionLoss) {
  SimOptions options;
  options.voters = 4;
  options.regions = 2;
  options.spares = 0;
  options.membership_changes = false;
  options.forced_region_loss = true;
  options.pipelined = true;
  run_sweep(options, 100000, 400);
}

// The same runs over real journals (without fsync): every crash reopens the replica's folder
// through the journal's recovery, so truncation, segment rolling and compaction meet the core.
TEST(RaftSimulation, JournalBackedThreeNodes) {
  SimOptions options;
  options.voters = 3;
  options.journal_dir = "journal";  // replaced by a fresh temporary folder per seed
  run_sweep(options, 60000, 40);
}

TEST(RaftSimulation, JournalBackedRegionLoss) {
  SimOptions options;
  options.voters = 4;
  options.regions = 2;
  options.spares = 0;
  options.membership_changes = false;
  options.forced_region_loss = true;
  options.journal_dir = "journal";
  run_sweep(options, 70000, 20);
}

}  // namespace
}  // namespace tern::raft::sim
