// The exporter director: order, acknowledgement, persistence, retry with back-off from the
// acknowledged position, pause/resume, disable/enable, compaction gating, health and metrics.

#include "exporter/director.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <numeric>

#include "exporter/director_fakes.h"

namespace tern::exporter::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::int64_t> range(std::int64_t first, std::int64_t last) {
  std::vector<std::int64_t> out(static_cast<std::size_t>(last - first + 1));
  std::iota(out.begin(), out.end(), first);
  return out;
}

class DirectorTest : public ::testing::Test {
 protected:
  DirectorOptions options() {
    DirectorOptions o;
    o.max_records_per_run = 100;
    o.retry_initial_backoff_ms = 100;
    o.retry_max_backoff_ms = 1'000;
    o.persist_interval_ms = 500;
    o.lag_warning = 50;
    o.unhealthy_after_failures = 3;
    return o;
  }

  std::unique_ptr<ExporterDirector> make(DirectorOptions o) {
    return std::make_unique<ExporterDirector>(std::move(o), reader_, store_, clock_);
  }

  std::shared_ptr<Journal> add(ExporterDirector& director, const std::string& name) {
    auto journal = std::make_shared<Journal>();
    EXPECT_TRUE(director.add(name, "recording", std::make_unique<RecordingExporter>(journal)));
    return journal;
  }

  const ExporterStatus& status(const DirectorSnapshot& snapshot, const std::string& name) {
    for (const auto& s : snapshot.exporters)
      if (s.name == name) return s;
    ADD_FAILURE() << "no exporter " << name;
    return snapshot.exporters.front();
  }

  VectorReader reader_;
  MemoryStore store_;
  ManualClock clock_;
};

TEST_F(DirectorTest, FeedsRecordsInOrderAndPersistsTheAcknowledgedPosition) {
  auto director = make(options());
  auto journal = add(*director, "a");
  reader_.append_range(1, 5);
  auto result = director->run();
  EXPECT_FALSE(result.more_work);
  EXPECT_THAT(journal->seen, ElementsAre(1, 2, 3, 4, 5));
  EXPECT_EQ(director->lowest_acknowledged_position(), Position(5));
  EXPECT_EQ(store_.positions.at("a"), Position(5));

  reader_.append_range(6, 7);
  clock_.now += 1'000;
  (void)director->run();
  EXPECT_THAT(journal->seen, ElementsAre(1, 2, 3, 4, 5, 6, 7));
  EXPECT_EQ(store_.positions.at("a"), Position(7));
  EXPECT_EQ(journal->opens, 1);
}

TEST_F(DirectorTest, BoundsTheRecordsPerRunAndAsksToBeCalledAgain) {
  auto o = options();
  o.max_records_per_run = 3;
  auto director = make(o);
  auto journal = add(*director, "a");
  reader_.append_range(1, 7);
  EXPECT_TRUE(director->run().more_work);
  EXPECT_THAT(journal->seen, ElementsAre(1, 2, 3));
  EXPECT_TRUE(director->run().more_work);
  EXPECT_FALSE(director->run().more_work);
  EXPECT_EQ(journal->seen, range(1, 7));
  EXPECT_EQ(journal->flushes, 3);
}

TEST_F(DirectorTest, PersistsPositionsAtMostOncePerIntervalAndWakesUpToDoIt) {
  auto director = make(options());
  auto journal = add(*director, "a");
  reader_.append_range(1, 2);
  (void)director->run();
  EXPECT_EQ(store_.stores, 1);
  reader_.append_range(3, 4);
  clock_.now += 100;
  auto result = director->run();
  EXPECT_EQ(store_.stores, 1) << "within the persist interval";
  EXPECT_EQ(store_.positions.at("a"), Position(2));
  ASSERT_TRUE(result.wake_at_ms.has_value());
  EXPECT_EQ(*result.wake_at_ms, 1'000 + 500);
  clock_.now = *result.wake_at_ms;
  (void)director->run();
  EXPECT_EQ(store_.positions.at("a"), Position(4));
  director->persist_positions();
  EXPECT_EQ(store_.stores, 2) << "nothing changed since";
}

TEST_F(DirectorTest, ResumesAfterTheStoredPositionAsANewLeaderWould) {
  store_.positions["a"] = Position(3);
  reader_.append_range(1, 6);
  auto director = make(options());
  auto journal = add(*director, "a");
  (void)director->run();
  EXPECT_THAT(journal->seen, ElementsAre(4, 5, 6));
}

TEST_F(DirectorTest, RetriesAFailedExportWithGrowingBackOffFromTheAcknowledgedPosition) {
  auto director = make(options());
  auto journal = add(*director, "a");
  reader_.append_range(1, 3);
  (void)director->run();  // 1..3 acknowledged
  reader_.append_range(4, 8);
  journal->fail_export_at[6] = 2;

  auto first = director->run();
  ASSERT_TRUE(first.wake_at_ms.has_value());
  EXPECT_EQ(*first.wake_at_ms, clock_.now + 100);
  auto snapshot = director->snapshot();
  EXPECT_EQ(status(snapshot, "a").state, ExporterState::kRetrying);
  EXPECT_EQ(status(snapshot, "a").health, HealthStatus::kDegraded);
  EXPECT_THAT(status(snapshot, "a").last_error, HasSubstr("disk full"));
  EXPECT_EQ(director->lowest_acknowledged_position(), Position(3));

  // Not due yet: nothing happens.
  clock_.now += 50;
  (void)director->run();
  EXPECT_EQ(journal->opens, 1);

  clock_.now += 50;
  auto second = director->run();  // fails again at 6: back-off doubles
  ASSERT_TRUE(second.wake_at_ms.has_value());
  EXPECT_EQ(*second.wake_at_ms, clock_.now + 200);
  EXPECT_EQ(journal->opens, 2);

  clock_.now += 200;
  (void)director->run();
  // Each attempt replays from the acknowledged position 3; nothing is skipped.
  EXPECT_THAT(journal->seen, ElementsAre(1, 2, 3, 4, 5, 4, 5, 4, 5, 6, 7, 8));
  EXPECT_EQ(director->lowest_acknowledged_position(), Position(8));
  snapshot = director->snapshot();
  EXPECT_EQ(status(snapshot, "a").state, ExporterState::kActive);
  EXPECT_EQ(status(snapshot, "a").failures_total, 2u);
  EXPECT_EQ(status(snapshot, "a").consecutive_failures, 0);
  EXPECT_EQ(journal->closes, 2);
}

TEST_F(DirectorTest, AFailingFlushOrOpenIsRetriedAndReportedUnhealthyWhenItPersists) {
  auto director = make(options());
  auto journal = add(*director, "a");
  reader_.append_range(1, 2);
  journal->fail_flushes = 1;
  journal->fail_opens = 4;
  (void)director->run();  // flush fails
  for (int i = 0; i < 4; ++i) {
    clock_.now += 10'000;
    (void)director->run();  // open fails four times
  }
  auto snapshot = director->snapshot();
  EXPECT_EQ(status(snapshot, "a").consecutive_failures, 5);
  EXPECT_EQ(status(snapshot, "a").health, HealthStatus::kUnhealthy);
  EXPECT_EQ(snapshot.health, HealthStatus::kUnhealthy);
  ASSERT_TRUE(status(snapshot, "a").next_retry_ms.has_value());
  EXPECT_EQ(*status(snapshot, "a").next_retry_ms, clock_.now + 1'000) << "capped back-off";
  clock_.now += 1'000;
  (void)director->run();
  EXPECT_EQ(director->lowest_acknowledged_position(), Position(2));
  EXPECT_EQ(director->snapshot().health, HealthStatus::kHealthy);
}

TEST_F(DirectorTest, PauseStopsExportingAndResumeContinuesWhereItStopped) {
  auto director = make(options());
  auto journal = add(*director, "a");
  reader_.append_range(1, 2);
  (void)director->run();
  director->pause();
  director->pause();  // idempotent
  reader_.append_range(3, 4);
  (void)director->run();
  EXPECT_THAT(journal->seen, ElementsAre(1, 2));
  EXPECT_TRUE(director->snapshot().paused);
  EXPECT_EQ(director->lowest_acknowledged_position(), Position(2)) << "paused still gates";
  director->resume();
  (void)director->run();
  EXPECT_THAT(journal->seen, ElementsAre(1, 2, 3, 4));
  EXPECT_FALSE(director->snapshot().paused);
}

TEST_F(DirectorTest, TheSlowestEnabledExporterGatesCompaction) {
  auto director = make(options());
  auto fast = add(*director, "fast");
  auto slow = add(*director, "slow");
  slow->acknowledge_on_flush = false;
  EXPECT_EQ(director->lowest_acknowledged_position(), Position(0));
  reader_.append_range(1, 10);
  (void)director->run();
  EXPECT_EQ(director->lowest_acknowledged_position(), Position(0));
  EXPECT_EQ(status(director->snapshot(), "fast").acknowledged, Position(10));
  EXPECT_EQ(status(director->snapshot(), "slow").lag, 10);
}

TEST_F(DirectorTest, WithoutEnabledExportersNothingGatesCompaction) {
  auto director = make(options());
  EXPECT_FALSE(director->lowest_acknowledged_position().has_value());
  auto journal = add(*director, "a");
  ASSERT_TRUE(director->disable("a"));
  EXPECT_FALSE(director->lowest_acknowledged_position().has_value());
}

TEST_F(DirectorTest, ADisabledExporterGetsNothingAndNoLongerGatesCompaction) {
  auto director = make(options());
  auto a = add(*director, "a");
  auto b = add(*director, "b");
  reader_.append_range(1, 3);
  (void)director->run();
  ASSERT_TRUE(director->disable("b"));
  EXPECT_EQ(b->closes, 1);
  reader_.append_range(4, 6);
  (void)director->run();
  EXPECT_EQ(b->seen, range(1, 3));
  EXPECT_EQ(director->lowest_acknowledged_position(), Position(6));
  EXPECT_EQ(status(director->snapshot(), "b").state, ExporterState::kDisabled);

  ASSERT_TRUE(director->enable("b"));
  (void)director->run();
  EXPECT_EQ(b->seen, range(1, 6)) << "re-enabled, it resumes from its own position";
  EXPECT_FALSE(director->disable("nope"));
  EXPECT_EQ(director->disable("nope").error().code, ExporterErrc::kNotFound);
}

TEST_F(DirectorTest, EnableCanStartFromAnotherExportersPositionWhenItsOwnIsCompacted) {
  auto director = make(options());
  auto a = add(*director, "a");
  auto b = add(*director, "b");
  reader_.append_range(1, 3);
  (void)director->run();
  ASSERT_TRUE(director->disable("b"));
  reader_.append_range(4, 9);
  (void)director->run();
  reader_.compact_through(*director->lowest_acknowledged_position());

  ASSERT_TRUE(director->enable("b"));
  (void)director->run();
  auto failed = status(director->snapshot(), "b");
  EXPECT_EQ(failed.state, ExporterState::kRetrying);
  EXPECT_THAT(failed.last_error, HasSubstr("compacted"));

  ASSERT_TRUE(director->disable("b"));
  ASSERT_TRUE(director->enable("b", std::string("a")));
  reader_.append(make_record(10));
  (void)director->run();
  EXPECT_THAT(b->seen, ElementsAre(1, 2, 3, 10));
  EXPECT_EQ(director->lowest_acknowledged_position(), Position(10));
  EXPECT_FALSE(director->enable("b", std::string("zz")));
}

TEST_F(DirectorTest, SkippedRecordsNeverReachExporters) {
  auto o = options();
  o.skip = [](const Record& record) { return record.position.value() % 2 == 0; };
  auto director = make(o);
  auto journal = add(*director, "a");
  reader_.append_range(1, 5);
  (void)director->run();
  EXPECT_THAT(journal->seen, ElementsAre(1, 3, 5));
}

TEST_F(DirectorTest, LagBeyondTheWarningMakesTheDirectorDegradedLongBeforeTheDiskFills) {
  auto director = make(options());
  auto journal = add(*director, "a");
  journal->acknowledge_on_flush = false;
  reader_.append_range(1, 40);
  (void)director->run();
  EXPECT_EQ(director->snapshot().health, HealthStatus::kHealthy);
  reader_.append_range(41, 60);
  (void)director->run();
  auto snapshot = director->snapshot();
  EXPECT_EQ(snapshot.health, HealthStatus::kDegraded);
  EXPECT_EQ(status(snapshot, "a").lag, 60);
}

TEST_F(DirectorTest, LagIsMeasuredByTheReader) {
  reader_.positions_per_unit = 10;
  auto director = make(options());
  auto journal = add(*director, "a");
  journal->acknowledge_on_flush = false;
  reader_.append_range(1, 60);
  (void)director->run();
  auto snapshot = director->snapshot();
  EXPECT_EQ(status(snapshot, "a").lag, 6);
  EXPECT_EQ(snapshot.health, HealthStatus::kHealthy) << "6 units are below the warning of 50";
}

TEST_F(DirectorTest, AddingTheSameNameTwiceIsAnError) {
  auto director = make(options());
  add(*director, "a");
  auto again = director->add("a", "recording",
                             std::make_unique<RecordingExporter>(std::make_shared<Journal>()));
  ASSERT_FALSE(again);
  EXPECT_THAT(again.error().message, HasSubstr("'a'"));
}

TEST_F(DirectorTest, CloseStoresTheLatestPositionsAndClosesExporters) {
  auto director = make(options());
  auto journal = add(*director, "a");
  reader_.append_range(1, 2);
  (void)director->run();
  reader_.append_range(3, 3);
  clock_.now += 1;
  (void)director->run();
  EXPECT_EQ(store_.positions.at("a"), Position(2));
  director->close();
  EXPECT_EQ(store_.positions.at("a"), Position(3));
  EXPECT_EQ(journal->closes, 1);
}

TEST_F(DirectorTest, MetricsNameEveryExporterOfEveryPartition) {
  auto director = make(options());
  auto journal = add(*director, "audit");
  reader_.append_range(1, 4);
  (void)director->run();
  director->pause();
  auto text = render_metrics({director->snapshot()});
  EXPECT_THAT(text, HasSubstr("tern_exporting_paused{partition=\"1\"} 1\n"));
  EXPECT_THAT(
      text,
      HasSubstr("tern_exporter_acknowledged_position{partition=\"1\",exporter=\"audit\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("tern_exporter_lag{partition=\"1\",exporter=\"audit\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("# TYPE tern_exporter_failures_total counter\n"));
  add(*director, "odd\"name");
  EXPECT_THAT(render_metrics({director->snapshot()}),
              HasSubstr("tern_exporter_enabled{partition=\"1\",exporter=\"odd\\\"name\"} 1\n"));
}

}  // namespace
}  // namespace tern::exporter::test
