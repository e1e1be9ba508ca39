// The JSON-lines exporter: one exported-record line per record, acknowledged on flush, rotated by
// size, and idempotent by position across a torn write and a reopen.

#include "exporter/jsonl_exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>

#include "exporter/director.h"
#include "exporter/director_fakes.h"
#include "support/temp_dir.h"

namespace tern::exporter::test {
namespace {

namespace fs = std::filesystem;
using ::testing::ElementsAre;

std::vector<Json> read_lines(const fs::path& path) {
  std::vector<Json> out;
  std::ifstream in(path);
  std::string line;
  while (std::getline(in, line))
    out.push_back(Json::parse(line));
  return out;
}

std::vector<std::int64_t> positions_in(const std::vector<fs::path>& files) {
  std::vector<std::int64_t> out;
  for (const auto& file : files)
    for (const auto& line : read_lines(file))
      out.push_back(line["position"].get<std::int64_t>());
  return out;
}

class JsonLinesTest : public ::testing::Test {
 protected:
  std::unique_ptr<JsonLinesExporter> make(Json args) {
    auto exporter = std::make_unique<JsonLinesExporter>();
    args["directory"] = (dir_.path() / "out").string();
    auto configured = exporter->configure({"files", PartitionId(3), args});
    EXPECT_TRUE(configured) << (configured ? "" : configured.error().message);
    return exporter;
  }

  fs::path file(const std::string& name) { return dir_.path() / "out" / name; }

  tern::test::TempDir dir_;
  VectorReader reader_;
  MemoryStore store_;
  ManualClock clock_;
};

TEST_F(JsonLinesTest, WritesOneExportedRecordPerLineAndAcknowledgesOnFlush) {
  ExporterDirector director({}, reader_, store_, clock_);
  ASSERT_TRUE(director.add("files", "jsonl", make(Json::object())));
  auto record = make_record(1);
  record.value = Json{{"name", "total"}, {"value", "42"}, {"scopeKey", 7}};
  reader_.append(record);
  reader_.append(make_record(2));
  (void)director.run();
  EXPECT_EQ(director.lowest_acknowledged_position(), Position(2));
  auto lines = read_lines(file("partition-3.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(lines[0], engine::to_json(record));
  EXPECT_EQ(lines[0]["valueType"], "VARIABLE");
  EXPECT_EQ(lines[0]["intent"], "CREATED");
  EXPECT_EQ(lines[0]["value"]["name"], "total");
  EXPECT_EQ(lines[1]["position"], 2);
}

TEST_F(JsonLinesTest, RotatesBySizeAndKeepsOnlyTheNewestRotatedFiles) {
  ExporterDirector director({}, reader_, store_, clock_);
  ASSERT_TRUE(director.add("files", "jsonl",
                           make(Json{{"max-file-size-bytes", 1024}, {"max-rotated-files", 2}})));
  reader_.append_range(1, 40);  // about 280 bytes a line: 3 lines per file
  (void)director.run();
  EXPECT_FALSE(fs::exists(file("partition-3-000001.jsonl")));
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(dir_.path() / "out"))
    files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  ASSERT_EQ(files.size(), 3u);  // two rotated + the active one
  EXPECT_EQ(files.back().filename(), "partition-3.jsonl");
  for (const auto& f : files)
    EXPECT_LE(fs::file_size(f), 1024u) << f;
  auto kept = positions_in(files);
  ASSERT_FALSE(kept.empty());
  EXPECT_EQ(kept.back(), 40);
  for (std::size_t i = 1; i < kept.size(); ++i)
    EXPECT_EQ(kept[i], kept[i - 1] + 1) << "no gaps or repeats in what is kept";
}

TEST_F(JsonLinesTest, AReplayAfterATornWriteWritesEveryRecordExactlyOnce) {
  {
    ExporterDirector director({}, reader_, store_, clock_);
    ASSERT_TRUE(director.add("files", "jsonl", make(Json::object())));
    reader_.append_range(1, 5);
    (void)director.run();
  }
  // A crash in the middle of a line, and the position store lagging behind (a failover).
  {
    std::ofstream torn(file("partition-3.jsonl"), std::ios::app);
    torn << "{\"partitionId\":3,\"posi";
  }
  store_.positions["files"] = Position(2);
  reader_.append_range(6, 8);
  ExporterDirector director({}, reader_, store_, clock_);
  ASSERT_TRUE(director.add("files", "jsonl", make(Json::object())));
  (void)director.run();
  EXPECT_THAT(positions_in({file("partition-3.jsonl")}), ElementsAre(1, 2, 3, 4, 5, 6, 7, 8));
  EXPECT_EQ(director.lowest_acknowledged_position(), Position(8));
}

TEST_F(JsonLinesTest, AnUnwritableDirectoryIsAnIoErrorThatTheDirectorRetries) {
  {
    std::ofstream blocker(dir_.path() / "out");  // a file where the folder should be
  }
  ExporterDirector director({}, reader_, store_, clock_);
  ASSERT_TRUE(director.add("files", "jsonl", make(Json::object())));
  reader_.append_range(1, 2);
  auto result = director.run();
  auto status = director.snapshot().exporters.at(0);
  EXPECT_EQ(status.state, ExporterState::kRetrying);
  EXPECT_THAT(status.last_error, ::testing::HasSubstr("cannot create"));
  EXPECT_TRUE(result.wake_at_ms.has_value());

  fs::remove(dir_.path() / "out");
  clock_.now = *result.wake_at_ms;
  (void)director.run();
  EXPECT_THAT(positions_in({file("partition-3.jsonl")}), ElementsAre(1, 2));
}

}  // namespace
}  // namespace tern::exporter::test
