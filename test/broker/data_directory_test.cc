// The data directory: created when missing, writability checked, one broker per directory.

#include "broker/data_directory.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "broker/partition.h"
#include "support/temp_dir.h"

namespace tern::broker {
namespace {

using ::testing::HasSubstr;

TEST(DataDirectory, CreatesAMissingDirectoryAndLocksIt) {
  test::TempDir temp;
  auto path = temp.path() / "a" / "b";
  auto data = DataDirectory::open(path);
  ASSERT_TRUE(data.ok()) << data.error().to_string();
  EXPECT_TRUE(std::filesystem::is_directory(path));
  std::ifstream lock(path / DataDirectory::kLockFileName);
  pid_t recorded = 0;
  lock >> recorded;
  EXPECT_EQ(recorded, ::getpid());
}

TEST(DataDirectory, ASecondOpenIsRefusedAndNamesTheHolder) {
  test::TempDir temp;
  auto first = DataDirectory::open(temp.path());
  ASSERT_TRUE(first.ok()) << first.error().to_string();
  auto second = DataDirectory::open(temp.path());
  ASSERT_FALSE(second.ok());
  EXPECT_EQ(second.error().code, ConfigErrc::kDataDirectory);
  EXPECT_EQ(second.error().key, "data.directory");
  EXPECT_THAT(second.error().message, HasSubstr("in use by another Tern broker"));
  EXPECT_THAT(second.error().message, HasSubstr("(pid " + std::to_string(::getpid()) + ")"));
}

TEST(DataDirectory, ReleasingTheLockLetsTheNextOneIn) {
  test::TempDir temp;
  auto first = DataDirectory::open(temp.path());
  ASSERT_TRUE(first.ok());
  (*first)->release();
  (*first)->release();  // idempotent
  auto second = DataDirectory::open(temp.path());
  EXPECT_TRUE(second.ok());
}

TEST(DataDirectory, AFileInTheWayIsReported) {
  test::TempDir temp;
  auto file = temp.path() / "plain-file";
  std::ofstream(file) << "x";
  auto data = DataDirectory::open(file);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().to_string(),
            "data.directory: " + file.string() + " exists and is not a directory");

  auto below = DataDirectory::open(file / "data");
  ASSERT_FALSE(below.ok());
  EXPECT_THAT(below.error().message, HasSubstr("cannot create"));
}

TEST(DataDirectory, AnUnwritableDirectoryIsReported) {
  test::TempDir temp;
  std::filesystem::path target;
  if (::geteuid() == 0) {
    // Permissions do not bind root; /proc is a directory nobody may create files in.
    target = "/proc";
  } else {
    target = temp.path() / "read-only";
    std::filesystem::create_directory(target);
    std::filesystem::permissions(
        target, std::filesystem::perms::owner_read | std::filesystem::perms::owner_exec);
  }
  auto data = DataDirectory::open(target);
  ASSERT_FALSE(data.ok());
  EXPECT_EQ(data.error().code, ConfigErrc::kDataDirectory);
  EXPECT_THAT(data.error().to_string(),
              HasSubstr("data.directory: " + target.string() + " is not writable"));
  if (::geteuid() != 0) std::filesystem::permissions(target, std::filesystem::perms::owner_all);
}

TEST(DataDirectory, PartitionsGetTheirOwnFolders) {
  test::TempDir temp;
  auto data = DataDirectory::open(temp.path());
  ASSERT_TRUE(data.ok());
  auto created = create_partitions(NodeId(1), ClusterShape{3, 3, 2}, **data);
  ASSERT_TRUE(created.ok()) << created.error().to_string();
  // Node 1 of 3 with r = 2 hosts partitions 1 (on 0, 1) and 2 (on 1, 2).
  ASSERT_EQ(created->size(), 2u);
  EXPECT_EQ((*created)[0]->id(), PartitionId(1));
  EXPECT_EQ((*created)[1]->id(), PartitionId(2));
  EXPECT_TRUE(std::filesystem::is_directory(temp.path() / "partition-1"));
  EXPECT_TRUE(std::filesystem::is_directory(temp.path() / "partition-2"));
  EXPECT_FALSE(std::filesystem::exists(temp.path() / "partition-3"));
}

TEST(Partition, StartsOpeningUntilItsReplicaReports) {
  Partition partition(PartitionId(2), {NodeId(1), NodeId(2), NodeId(0)}, "/tmp/unused");
  auto status = partition.status();
  EXPECT_EQ(status.id, PartitionId(2));
  EXPECT_EQ(status.role, PartitionRole::kInactive);
  EXPECT_EQ(status.health, PartitionHealth::kUnhealthy);
  EXPECT_EQ(status.reason, "opening");
}

TEST(Partition, ReportsWhatItsReplicaPublishes) {
  Partition partition(PartitionId(1), {NodeId(0)}, "/tmp/unused");
  PartitionStatus published;
  published.id = PartitionId(99);  // the partition keeps its own id
  published.role = PartitionRole::kLeader;
  published.health = PartitionHealth::kHealthy;
  published.term = 7;
  published.leader = 0;
  partition.set_status(published);
  auto status = partition.status();
  EXPECT_EQ(status.id, PartitionId(1));
  EXPECT_EQ(status.role, PartitionRole::kLeader);
  EXPECT_EQ(status.health, PartitionHealth::kHealthy);
  EXPECT_EQ(status.term, 7u);
  EXPECT_EQ(status.leader, 0);
  EXPECT_TRUE(status.reason.empty());
}

}  // namespace
}  // namespace tern::broker
