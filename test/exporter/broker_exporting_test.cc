// Exporting inside the broker, in process (PartitionManagers on loopback, as ternd runs them):
// the leader's director exports every committed record in order through the journal reader, the
// partition's own EXPORTER records are not exported, positions are replicated so that a new leader
// resumes where the old one persisted, pause and disable hold and release compaction, and the
// exporting settings outlive a restart.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <set>

#include "broker/cluster_test_support.h"
#include "broker/partition/partition_exporting.h"
#include "broker/partition/raft_log_stream.h"
#include "support/temp_dir.h"

namespace tern::broker::test {
namespace {

using namespace std::chrono_literals;
using engine::Json;
using engine::Position;

struct Line {
  std::int64_t position = 0;
  std::string record_type, value_type, intent;
  std::int64_t key = -1;
};

std::vector<Line> read_lines(const std::filesystem::path& file) {
  std::vector<Line> out;
  std::ifstream in(file);
  std::string text;
  while (std::getline(in, text)) {
    auto json = Json::parse(text, nullptr, false);
    if (json.is_discarded()) continue;  // a line being written
    out.push_back(Line{json["position"].get<std::int64_t>(), json["recordType"].get<std::string>(),
                       json["valueType"].get<std::string>(), json["intent"].get<std::string>(),
                       json["key"].get<std::int64_t>()});
  }
  return out;
}

std::set<std::int64_t> created_instances(const std::vector<Line>& lines) {
  std::set<std::int64_t> keys;
  for (const auto& line : lines)
    if (line.value_type == "PROCESS_INSTANCE_CREATION" && line.intent == "CREATED")
      keys.insert(line.key);
  return keys;
}

std::shared_ptr<ExportingSettings> jsonl_settings(
    const std::filesystem::path& root, const std::vector<std::string>& names,
    const std::string& state_file = "exporting.json") {
  std::map<std::string, exporter::ExporterSpec> specs;
  for (const auto& name : names)
    specs[name] = exporter::ExporterSpec{"jsonl", Json{{"directory", (root / name).string()}}};
  auto settings = ExportingSettings::open(std::move(specs), root / state_file);
  EXPECT_TRUE(settings.ok()) << settings.error();
  return *settings;
}

std::optional<exporter::ExporterStatus> status_of(PartitionManager& broker,
                                                  const std::string& name) {
  for (const auto& snapshot : broker.exporting_snapshots())
    for (const auto& status : snapshot.exporters)
      if (status.name == name) return status;
  return std::nullopt;
}

Position create_and_wait(TestCluster& cluster, int count) {
  Position last{0};
  for (int i = 0; i < count; ++i) {
    auto created = cluster.submit_to_leader(PartitionId(1), create_command("order"));
    EXPECT_TRUE(created.ok() && created->record.is_event());
    if (created.ok()) last = created->record.position;
  }
  return last;
}

void apply(PartitionManager& broker) {
  broker.for_each_exporting([](PartitionId, PartitionExporting* exporting) {
    if (exporting) exporting->apply_switches();
  });
}

TEST(BrokerExporting, LeaderExportsEveryCommittedRecordInOrderAndPersistsItsPosition) {
  tern::test::TempDir dir;
  auto settings = jsonl_settings(dir.path(), {"audit"});
  TestCluster cluster(dir.path() / "cluster",
                      {.brokers = 1,
                       .partitions = 1,
                       .replication_factor = 1,
                       // The position records that trail the last exported record are one
                       // per persist while the tail was being exported: a persist every 20 ms
                       // left four of them on a slow (sanitizer) build; a few hundred keep them
                       // to the one or two the assertion below allows.
                       .configure_replica = [&](std::int32_t, ReplicaOptions& options) {
                         options.exporting = settings;
                         options.exporter_director.persist_interval_ms = 300;
                       }});
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  ASSERT_TRUE(cluster.submit_to_leader(PartitionId(1), deploy_command("order", "pack")).ok());
  Position last = create_and_wait(cluster, 10);

  auto file = dir.path() / "audit" / "partition-1.jsonl";
  ASSERT_TRUE(wait_until([&] { return created_instances(read_lines(file)).size() == 10; }, 10s));
  auto lines = read_lines(file);
  for (std::size_t i = 1; i < lines.size(); ++i)
    ASSERT_LT(lines[i - 1].position, lines[i].position) << "line " << i << " is out of order";
  EXPECT_EQ(lines.front().value_type, "DEPLOYMENT");
  EXPECT_EQ(lines.front().record_type, "COMMAND");
  for (const auto& line : lines)
    EXPECT_NE(line.value_type, "EXPORTER") << "position records are not exported";

  // The acknowledged position reaches the last record, and is handed to the position store.
  ASSERT_TRUE(wait_until(
      [&] {
        auto status = status_of(*cluster.broker(0), "audit");
        return status && status->acknowledged >= last && status->persisted >= last;
      },
      10s));
  auto status = status_of(*cluster.broker(0), "audit");
  EXPECT_EQ(status->state, exporter::ExporterState::kActive);
  EXPECT_EQ(status->health, exporter::HealthStatus::kHealthy);
  EXPECT_EQ(status->failures_total, 0u);
  EXPECT_LE(status->lag, 3) << "only the position records themselves may trail";
}

TEST(BrokerExporting, PauseAndDisableHoldAndReleaseCompaction) {
  tern::test::TempDir dir;
  auto settings = jsonl_settings(dir.path(), {"audit", "mirror"});
  TestCluster cluster(dir.path() / "cluster",
                      {.brokers = 1,
                       .partitions = 1,
                       .replication_factor = 1,
                       .snapshot_log_entries = 5,
                       .configure_replica = [&](std::int32_t, ReplicaOptions& options) {
                         options.exporting = settings;
                         options.exporter_director.persist_interval_ms = 20;
                       }});
  cluster.start(0);
  ASSERT_TRUE(cluster.wait_for_leader(PartitionId(1), 10s));
  ASSERT_TRUE(cluster.submit_to_leader(PartitionId(1), deploy_command("order", "pack")).ok());
  Position first = create_and_wait(cluster, 1);
  ASSERT_TRUE(wait_until(
      [&] {
        auto audit = status_of(*cluster.broker(0), "audit");
        auto mirror = status_of(*cluster.broker(0), "mirror");
        return audit && mirror && audit->acknowledged >= first && mirror->acknowledged >= first;
      },
      10s));

  ASSERT_TRUE(settings->set_paused(true).ok());
  apply(*cluster.broker(0));
  Position held = std::min(status_of(*cluster.broker(0), "audit")->acknowledged,
                           status_of(*cluster.broker(0), "mirror")->acknowledged);
  auto exported_before = read_lines(dir.path() / "audit" / "partition-1.jsonl").size();
  Position last = create_and_wait(cluster, 30);
  // Snapshots are due (5-entry threshold, a check every tick), but none covers an entry the
  // paused exporters still need.
  // The snapshot goes as far as the entry before the one holding the held position, no further.
  ASSERT_TRUE(wait_until(
      [&] {
        return cluster.status(0, PartitionId(1))->snapshot_index + 1
               >= index_of_position(held).value();
      },
      10s));
  auto status = cluster.status(0, PartitionId(1));
  EXPECT_GT(status->applied_index, index_of_position(held).value() + 20);
  EXPECT_LT(status->snapshot_index, index_of_position(held).value())
      << "a snapshot compacted records a paused exporter has not acknowledged";
  EXPECT_EQ(read_lines(dir.path() / "audit" / "partition-1.jsonl").size(), exported_before)
      << "nothing is exported while paused";
  EXPECT_TRUE(cluster.broker(0)->exporting_snapshots().front().paused);

  // Disabling one exporter leaves the other's position as the bound.
  ASSERT_TRUE(settings->set_disabled("mirror", true).ok());
  ASSERT_TRUE(settings->set_paused(false).ok());
  apply(*cluster.broker(0));
  ASSERT_TRUE(wait_until(
      [&] {
        auto audit = status_of(*cluster.broker(0), "audit");
        return audit && audit->acknowledged >= last;
      },
      10s));
  ASSERT_TRUE(wait_until(
      [&] {
        return cluster.status(0, PartitionId(1))->snapshot_index > index_of_position(held).value();
      },
      10s))
      << "compaction moves on once the enabled exporters acknowledged";
  EXPECT_EQ(created_instances(read_lines(dir.path() / "audit" / "partition-1.jsonl")).size(), 31u);
  EXPECT_EQ(status_of(*cluster.broker(0), "mirror")->state, exporter::ExporterState::kDisabled);
  EXPECT_LE(status_of(*cluster.broker(0), "mirror")->acknowledged, held);

  // Its records are compacted now: re-enabled from the other exporter's position, it goes on.
  std::optional<exporter::ExporterResult<void>> enabled;
  ASSERT_TRUE(settings->set_disabled("mirror", false).ok());
  cluster.broker(0)->for_each_exporting([&](PartitionId, PartitionExporting* exporting) {
    enabled = exporting->enable("mirror", std::string("audit"));
  });
  ASSERT_TRUE(enabled && enabled->ok()) << (enabled ? enabled->error().message : "not run");
  Position more = create_and_wait(cluster, 1);
  ASSERT_TRUE(wait_until(
      [&] {
        auto mirror = status_of(*cluster.broker(0), "mirror");
        return mirror && mirror->acknowledged >= more;
      },
      10s));
  EXPECT_EQ(status_of(*cluster.broker(0), "mirror")->failures_total, 0u);

  // The switches outlive a restart of the broker.
  ASSERT_TRUE(settings->set_paused(true).ok());
  auto reopened = jsonl_settings(dir.path(), {"audit", "mirror"});
  EXPECT_TRUE(reopened->paused());
  EXPECT_TRUE(reopened->disabled().empty());
}

TEST(BrokerExporting, NewLeaderResumesFromTheReplicatedPosition) {
  tern::test::TempDir dir;
  std::vector<std::shared_ptr<ExportingSettings>> settings;
  for (int node = 0; node < 3; ++node)
    settings.push_back(jsonl_settings(dir.path() / ("node-" + std::to_string(node)), {"audit"}));
  TestCluster cluster(dir.path() / "cluster",
                      {.brokers = 3,
                       .partitions = 1,
                       .replication_factor = 3,
                       .configure_replica = [&](std::int32_t node, ReplicaOptions& options) {
                         options.exporting = settings.at(static_cast<std::size_t>(node));
                         options.exporter_director.persist_interval_ms = 20;
                       }});
  for (int node = 0; node < 3; ++node)
    cluster.start(node);
  auto leader = cluster.wait_for_leader(PartitionId(1), 15s);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(cluster.submit_to_leader(PartitionId(1), deploy_command("order", "pack")).ok());
  Position last = create_and_wait(cluster, 10);
  leader = cluster.wait_for_leader(PartitionId(1), 5s);
  ASSERT_TRUE(leader);
  ASSERT_TRUE(wait_until(
      [&] {
        auto status = status_of(*cluster.broker(*leader), "audit");
        return status && status->persisted >= last;
      },
      10s));
  Position persisted = status_of(*cluster.broker(*leader), "audit")->persisted;
  // One more committed command: the position record before it is committed too.
  create_and_wait(cluster, 1);
  auto old_file = dir.path() / ("node-" + std::to_string(*leader)) / "audit" / "partition-1.jsonl";
  int old_leader = *leader;
  cluster.stop(old_leader);

  auto next = cluster.wait_for_leader(PartitionId(1), 15s);
  ASSERT_TRUE(next);
  ASSERT_NE(*next, old_leader);
  create_and_wait(cluster, 5);
  auto new_file = dir.path() / ("node-" + std::to_string(*next)) / "audit" / "partition-1.jsonl";
  ASSERT_TRUE(wait_until(
      [&] {
        auto keys = created_instances(read_lines(old_file));
        auto more = created_instances(read_lines(new_file));
        keys.insert(more.begin(), more.end());
        return keys.size() == 16;
      },
      15s))
      << "every instance is exported by one leader or the other";
  auto fresh = read_lines(new_file);
  ASSERT_FALSE(fresh.empty());
  EXPECT_GT(fresh.front().position, persisted.value())
      << "the new leader resumes after the replicated position instead of starting over";
  for (std::size_t i = 1; i < fresh.size(); ++i)
    ASSERT_LT(fresh[i - 1].position, fresh[i].position);
}

TEST(BrokerExporting, BadExporterArgumentsStopTheBrokerWithTheKey) {
  tern::test::TempDir dir;
  std::map<std::string, exporter::ExporterSpec> specs{
      {"audit", exporter::ExporterSpec{"jsonl", Json{{"directory", 5}}}}};
  auto settings = ExportingSettings::open(std::move(specs), dir.path() / "exporting.json");
  ASSERT_TRUE(settings.ok());
  TestCluster cluster(dir.path() / "cluster",
                      {.configure_replica = [&](std::int32_t, ReplicaOptions& options) {
                        options.exporting = *settings;
                      }});
  try {
    cluster.start(0);
    FAIL() << "the broker started with a bad exporter argument";
  } catch (const std::runtime_error& error) {
    EXPECT_THAT(error.what(), ::testing::HasSubstr("exporters.audit.args.directory"));
  }
}

TEST(BrokerExporting, SettingsFileThatIsNotJsonIsAnError) {
  tern::test::TempDir dir;
  std::ofstream(dir.path() / "exporting.json") << "paused: yes";
  auto settings = ExportingSettings::open({}, dir.path() / "exporting.json");
  ASSERT_FALSE(settings.ok());
  EXPECT_THAT(settings.error(), ::testing::HasSubstr("exporting.json"));
}

}  // namespace
}  // namespace tern::broker::test
