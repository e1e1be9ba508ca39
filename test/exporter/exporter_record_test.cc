// The engine's EXPORTER record: an UPDATE command moves an exporter's replicated position
// forward (UPDATED event), never backward (rejected), and the position survives a restart and a
// replay, so every replica and snapshot holds it.

#include <gtest/gtest.h>

#include "engine/harness/engine_harness.h"
#include "engine/state/exporter_state.h"

namespace tern::engine::test {
namespace {

Response update(EngineHarness& h, const std::string& id, std::int64_t position) {
  return h.command(ValueType::kExporter, Intent::kUpdate,
                   Json{{"exporterId", id}, {"position", position}});
}

TEST(ExporterRecord, UpdateStoresThePositionAndMovesOnlyForward) {
  EngineHarness h;
  EXPECT_EQ(h.engine().exporter_position("pg"), std::nullopt);

  auto first = update(h, "pg", 131072);
  ASSERT_EQ(first.record.record_type, RecordType::kEvent);
  EXPECT_EQ(first.record.value_type, ValueType::kExporter);
  EXPECT_EQ(first.record.intent, Intent::kUpdated);
  EXPECT_EQ(first.record.value, (Json{{"exporterId", "pg"}, {"position", 131072}}));
  EXPECT_EQ(h.engine().exporter_position("pg"), Position(131072));

  // The same position again is accepted (a new leader re-stores what it loaded).
  EXPECT_EQ(update(h, "pg", 131072).record.record_type, RecordType::kEvent);

  auto back = update(h, "pg", 65536);
  EXPECT_EQ(back.record.record_type, RecordType::kCommandRejection);
  EXPECT_EQ(back.record.rejection_type, RejectionType::kInvalidState);
  EXPECT_NE(back.record.rejection_reason.find("forward"), std::string::npos)
      << back.record.rejection_reason;
  EXPECT_EQ(h.engine().exporter_position("pg"), Position(131072));

  update(h, "audit", 7);
  update(h, "pg", 200000);
  std::map<std::string, Position> expected{{"audit", Position(7)}, {"pg", Position(200000)}};
  EXPECT_EQ(h.engine().exporter_positions(), expected);
}

TEST(ExporterRecord, InvalidUpdatesAreRejectedWithTheReason) {
  EngineHarness h;
  auto no_id = h.command(ValueType::kExporter, Intent::kUpdate, Json{{"position", 5}});
  EXPECT_EQ(no_id.record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_NE(no_id.record.rejection_reason.find("exporterId"), std::string::npos);
  auto negative = update(h, "pg", -3);
  EXPECT_EQ(negative.record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_NE(negative.record.rejection_reason.find("position"), std::string::npos);
  auto text = h.command(ValueType::kExporter, Intent::kUpdate,
                        Json{{"exporterId", "pg"}, {"position", "12"}});
  EXPECT_EQ(text.record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_TRUE(h.engine().exporter_positions().empty());
}

TEST(ExporterRecord, PositionsSurviveRestartAndReplay) {
  EngineHarness h;
  update(h, "pg", 42);
  update(h, "jsonl", 99);
  std::string digest = h.digest();
  EXPECT_EQ(h.replayed_digest(), digest) << "a replica replaying the log holds the same positions";
  h.restart();
  EXPECT_EQ(h.engine().exporter_position("pg"), Position(42));
  EXPECT_EQ(h.engine().exporter_position("jsonl"), Position(99));
}

TEST(ExporterRecord, ValueTypeHasItsExportedName) {
  EXPECT_EQ(to_string(ValueType::kExporter), "EXPORTER");
}

}  // namespace
}  // namespace tern::engine::test
