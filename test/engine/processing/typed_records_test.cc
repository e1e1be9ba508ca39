// Records that carry their typed value to the log: ProcessInstanceValue and JobValue write their
// MessagePack directly, and those bytes must be exactly what encoding their JSON value writes —
// for every combination of present fields, every boundary of MessagePack's string and integer
// forms, kept unknown or mistyped fields, and values that are not objects at all — so that the
// log, exporters and clients see the same records as before. A record holding a packed value
// encodes, compares, renders and answers like one holding the JSON.

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "engine/records/job_value.h"
#include "engine/records/msgpack.h"
#include "engine/records/process_instance_value.h"
#include "engine/records/record_codec.h"
#include "msgpack_boundaries.h"

namespace tern::engine {
namespace {

template <typename Value>
std::string direct(const Value& value) {
  std::string out;
  value.to_msgpack(out);
  return out;
}

template <typename Value>
std::string through_json(const Value& value) {
  std::string out;
  encode_value(value.to_json(), out);
  auto library = Json::to_msgpack(value.to_json());
  EXPECT_EQ(out, std::string(library.begin(), library.end()));
  return out;
}

// Strings at the boundaries of fixstr / str8 / str16 / str32.
const std::vector<std::string>& texts() {
  static const std::vector<std::string> kTexts{"",
                                               "task",
                                               std::string(31, 'a'),
                                               std::string(32, 'b'),
                                               std::string(255, 'c'),
                                               std::string(256, 'd'),
                                               std::string(65535, 'e'),
                                               std::string(65536, 'f'),
                                               "\xc3\xa4\xe2\x82\xac ok"};
  return kTexts;
}

const std::vector<std::int64_t>& numbers() {
  return test::msgpack_boundary_integers();
}

ProcessInstanceValue element(std::size_t variant) {
  ProcessInstanceValue value;
  const auto& t = texts();
  const auto& n = numbers();
  value.bpmn_process_id = t[variant % t.size()];
  value.version = static_cast<std::int32_t>(
      std::clamp<std::int64_t>(n[variant % n.size()], std::numeric_limits<std::int32_t>::min(),
                               std::numeric_limits<std::int32_t>::max()));
  value.process_definition_key = Key(n[(variant + 1) % n.size()]);
  value.process_instance_key = Key(n[(variant + 2) % n.size()]);
  value.element_id = t[(variant + 1) % t.size()];
  value.bpmn_element_type = "SERVICE_TASK";
  value.bpmn_event_type = t[(variant + 2) % t.size()];
  value.flow_scope_key = Key(n[(variant + 3) % n.size()]);
  value.parent_process_instance_key = Key(n[(variant + 4) % n.size()]);
  value.parent_element_instance_key = Key(n[(variant + 5) % n.size()]);
  value.tenant_id = "<default>";
  return value;
}

TEST(TypedRecordsTest, ProcessInstanceValueWritesTheBytesItsJsonWrites) {
  // Every subset of the present fields, each with values moved across the form boundaries.
  for (std::uint16_t present = 0; present <= ProcessInstanceValue::kAllFields; ++present) {
    ProcessInstanceValue value = element(present);
    value.present = present;
    ASSERT_EQ(direct(value), through_json(value)) << "present " << present;
  }
  for (std::size_t variant = 0; variant < 64; ++variant) {
    ProcessInstanceValue value = element(variant);
    ASSERT_EQ(direct(value), through_json(value)) << "variant " << variant;
  }
}

TEST(TypedRecordsTest, ProcessInstanceValueWithKeptFieldsWritesTheBytesItsJsonWrites) {
  std::vector<Json> documents{
      // unknown fields before, between and after the known names
      Json{{"aaa", 1}, {"elementId", "task"}, {"middle", Json::array({1, 2})}, {"zzz", nullptr}},
      // a known name with another type (kept as it is) beside typed fields
      Json{{"version", "seven"}, {"bpmnProcessId", "p"}, {"flowScopeKey", 1.5}},
      Json::object(),
      // not an object at all
      Json::array({"x", 1}),
      Json("text"),
      Json(nullptr),
  };
  for (const auto& document : documents) {
    auto value = ProcessInstanceValue::from_json(document);
    EXPECT_EQ(direct(value), through_json(value)) << document.dump();
    if (document.is_null()) continue;  // to_json renders an absent value as {}
    Json back;
    ASSERT_TRUE(msgpack::read(direct(value), back));
    EXPECT_EQ(back, document);
  }
}

JobValue job(std::size_t variant) {
  const auto& t = texts();
  const auto& n = numbers();
  JobValue value;
  value.type = t[variant % t.size()];
  value.deadline = n[variant % n.size()];
  value.retries = n[(variant + 1) % n.size()];
  value.recurring_time = n[(variant + 2) % n.size()];
  value.worker = t[(variant + 1) % t.size()];
  value.error_message = t[(variant + 2) % t.size()];
  value.error_code = t[(variant + 3) % t.size()];
  value.element_id = "task";
  value.element_instance_key = Key(n[(variant + 3) % n.size()]);
  value.bpmn_process_id = "process";
  value.process_definition_version = n[(variant + 4) % n.size()];
  value.process_definition_key = Key(n[(variant + 5) % n.size()]);
  value.process_instance_key = Key(n[(variant + 6) % n.size()]);
  value.retry_backoff = n[(variant + 7) % n.size()];
  value.tenant_id = "<default>";
  switch (variant % 4) {
    case 0:
      break;  // empty headers and variables
    case 1:
      value.custom_headers = Json{{"priority", "high"}, {"weight", 0.25}};
      value.variables = Json{{"amount", 12.5}, {"items", Json::array({1, "two", nullptr})}};
      break;
    case 2:
      value.variables = Json{{"nested", Json{{"deep", Json{{"n", -129}, {"big", 1e300}}}}}};
      break;
    default:
      value.custom_headers = Json{{std::string(40, 'h'), std::string(300, 'v')}};
      break;
  }
  return value;
}

TEST(TypedRecordsTest, JobValueWritesTheBytesItsJsonWrites) {
  // Every field missing alone, every field present alone, and seeded random subsets.
  std::vector<std::uint32_t> subsets{JobValue::kAllFields, 0};
  for (std::uint32_t bit = 1; bit <= JobValue::kAllFields; bit <<= 1) {
    subsets.push_back(JobValue::kAllFields & ~bit);
    subsets.push_back(bit);
  }
  std::mt19937 random(17);
  for (int i = 0; i < 500; ++i)
    subsets.push_back(static_cast<std::uint32_t>(random()) & JobValue::kAllFields);
  for (std::size_t i = 0; i < subsets.size(); ++i) {
    JobValue value = job(i);
    value.present = subsets[i];
    ASSERT_EQ(direct(value), through_json(value)) << "present " << subsets[i];
  }
}

TEST(TypedRecordsTest, JobValueWithKeptFieldsWritesTheBytesItsJsonWrites) {
  std::vector<Json> documents{
      Json{{"type", "work"}, {"retries", "three"}, {"unknownField", Json{{"a", 1}}}},
      Json{{"customHeaders", Json{{"k", "v"}}}, {"deadline", -5}, {"zzz", true}},
      Json::object(),
      Json::array(),
      Json(42),
  };
  for (const auto& document : documents) {
    auto value = JobValue::from_json(document);
    EXPECT_EQ(direct(value), through_json(value)) << document.dump();
    Json back;
    ASSERT_TRUE(msgpack::read(direct(value), back));
    EXPECT_EQ(back, document);
  }
}

Record packed_record() {
  Record record;
  record.position = Position(9);
  record.source_position = Position(7);
  record.key = Key(2251799813685250);
  record.timestamp_ms = 1'700'000'000'000;
  record.record_type = RecordType::kEvent;
  record.value_type = ValueType::kProcessInstance;
  record.intent = Intent::kElementActivated;
  record.partition_id = PartitionId(1);
  record.value = Json();
  element(3).to_msgpack(record.packed_value);
  return record;
}

TEST(TypedRecordsTest, ARecordWithAPackedValueIsTheRecordWithItsJson) {
  Record packed = packed_record();
  Record json = packed;
  json.packed_value.clear();
  json.value = element(3).to_json();

  EXPECT_EQ(encode_record(packed), encode_record(json));
  EXPECT_EQ(packed, json);
  EXPECT_EQ(json, packed);
  EXPECT_EQ(value_json(packed), json.value);
  EXPECT_EQ(to_json(packed), to_json(json));
  EXPECT_EQ(describe(packed), describe(json));

  auto decoded = decode_record(encode_record(packed));
  ASSERT_TRUE(decoded.ok());
  EXPECT_FALSE(decoded->has_packed_value());
  EXPECT_EQ(*decoded, packed);

  Record other = packed;
  other.packed_value.clear();
  element(4).to_msgpack(other.packed_value);
  EXPECT_NE(other, packed);
  EXPECT_NE(other, json);

  materialize_value(packed);
  EXPECT_FALSE(packed.has_packed_value());
  EXPECT_EQ(packed.value, json.value);
}

}  // namespace
}  // namespace tern::engine
