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

#include "engine/records/job_batch_value.h"
#include "engine/records/job_value.h"
#include "engine/records/msgpack.h"
#include "engine/records/process_instance_value.h"
#include "engine/records/record_codec.h"
#include "engine/records/variable_value.h"
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

TEST(TypedRecordsTest, VariableValueWritesTheBytesItsJsonWrites) {
  // Every string field and every key at each form boundary, the others moved along with it.
  const auto& t = texts();
  const auto& n = numbers();
  std::size_t variants = std::max(t.size(), n.size()) * 3;
  for (std::size_t variant = 0; variant < variants; ++variant) {
    VariableValue value{.name = t[variant % t.size()],
                        .value = t[(variant + 1) % t.size()],
                        .scope_key = Key(n[variant % n.size()]),
                        .process_instance_key = Key(n[(variant + 1) % n.size()]),
                        .process_definition_key = Key(n[(variant + 2) % n.size()]),
                        .bpmn_process_id = t[(variant + 2) % t.size()]};
    if (variant % 2 == 1) value.tenant_id = t[(variant + 3) % t.size()];
    ASSERT_EQ(direct(value), through_json(value)) << "variant " << variant;
  }
}

TEST(TypedRecordsTest, VariableValueJsonHasTheExportedFields) {
  VariableValue value{.name = "x",
                      .value = "{\"a\":1}",
                      .scope_key = Key(7),
                      .process_instance_key = Key(5),
                      .process_definition_key = Key(3),
                      .bpmn_process_id = "order"};
  EXPECT_EQ(value.to_json(), (Json{{"name", "x"},
                                   {"value", "{\"a\":1}"},
                                   {"scopeKey", 7},
                                   {"processInstanceKey", 5},
                                   {"processDefinitionKey", 3},
                                   {"bpmnProcessId", "order"},
                                   {"tenantId", "<default>"}}));
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

// The JOB_BATCH ACTIVATED value as the activation processor built it before it was typed: a JSON
// document of the command's fields, the keys and every job's JSON, encoded to MessagePack.
std::string batch_through_json(std::string_view type, std::string_view worker, std::int64_t timeout,
                               std::int64_t max_jobs, const std::vector<std::string>& fetch,
                               const std::vector<Key>& keys, const std::vector<JobValue>& jobs) {
  Json key_array = Json::array();
  Json job_array = Json::array();
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    key_array.push_back(keys[i].value());
    job_array.push_back(jobs[i].to_json());
  }
  Json batch{{"type", type},
             {"worker", worker},
             {"timeout", timeout},
             {"maxJobsToActivate", max_jobs},
             {"fetchVariables", fetch},
             {"jobKeys", std::move(key_array)},
             {"jobs", std::move(job_array)},
             {"truncated", false},
             {"tenantIds", Json::array({"<default>"})}};
  auto library = Json::to_msgpack(batch);
  return std::string(library.begin(), library.end());
}

TEST(TypedRecordsTest, JobBatchValueWritesTheBytesItsJsonWrites) {
  const auto& t = texts();
  const auto& n = numbers();
  // Batches of 0, 1 and several jobs (headers, variables, unicode text, integers at every form
  // boundary, a job with kept unknown fields), with the command's fields moved across the forms.
  for (std::size_t size : {0u, 1u, 2u, 5u, 17u}) {
    for (std::size_t variant = 0; variant < std::max(t.size(), n.size()); ++variant) {
      std::vector<Key> keys;
      std::vector<JobValue> jobs;
      for (std::size_t i = 0; i < size; ++i) {
        keys.push_back(Key(n[(variant + i) % n.size()]));
        jobs.push_back(job(variant + i));
        jobs.back().variables["text"] = t[(variant + i) % t.size()];
      }
      if (size == 5)
        jobs[3] = JobValue::from_json(Json{{"type", "x"}, {"unknown", "\xe2\x82\xac"}});
      std::vector<std::string> fetch;
      for (std::size_t i = 0; i < variant % 4; ++i)
        fetch.push_back(t[(variant + i) % t.size()]);
      std::int64_t timeout = n[variant % n.size()];
      std::int64_t max_jobs = n[(variant + 1) % n.size()];
      JobBatchValue batch{.type = t[variant % t.size()],
                          .worker = t[(variant + 1) % t.size()],
                          .timeout = timeout,
                          .max_jobs_to_activate = max_jobs,
                          .fetch_variables = fetch,
                          .job_keys = keys,
                          .jobs = jobs};
      std::string expected =
          batch_through_json(batch.type, batch.worker, timeout, max_jobs, fetch, keys, jobs);
      ASSERT_EQ(direct(batch), expected) << "size " << size << " variant " << variant;
      ASSERT_EQ(through_json(batch), expected) << "size " << size << " variant " << variant;
    }
  }
}

TEST(TypedRecordsTest, JobBatchValueJsonHasTheExportedFields) {
  std::vector<std::string> fetch{"a", "b"};
  std::vector<Key> keys{Key(11)};
  std::vector<JobValue> jobs{JobValue::from_json(Json{{"type", "pay"}, {"retries", 3}})};
  JobBatchValue batch{.type = "pay",
                      .worker = "w",
                      .timeout = 1000,
                      .max_jobs_to_activate = 4,
                      .fetch_variables = fetch,
                      .job_keys = keys,
                      .jobs = jobs};
  EXPECT_EQ(batch.to_json(), (Json{{"type", "pay"},
                                   {"worker", "w"},
                                   {"timeout", 1000},
                                   {"maxJobsToActivate", 4},
                                   {"fetchVariables", Json::array({"a", "b"})},
                                   {"jobKeys", Json::array({11})},
                                   {"jobs", Json::array({Json{{"type", "pay"}, {"retries", 3}}})},
                                   {"truncated", false},
                                   {"tenantIds", Json::array({"<default>"})}}));
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

// from_msgpack must give exactly what from_json of the decoded JSON gives, whether it reads the
// fields directly (the engine's own bytes) or falls back to the JSON way (anything else).
void expect_reads_as_json(const std::string& bytes, const std::string& what) {
  Json json;
  ASSERT_TRUE(msgpack::read(bytes, json)) << what;
  auto typed = ProcessInstanceValue::from_msgpack(bytes);
  ASSERT_TRUE(typed.has_value()) << what;
  EXPECT_EQ(*typed, ProcessInstanceValue::from_json(json)) << what;
  if (!json.is_null()) {  // null renders as {}
    EXPECT_EQ(typed->to_json(), json) << what;
  }
}

std::string library_msgpack(const Json& value) {
  auto bytes = Json::to_msgpack(value);
  return std::string(bytes.begin(), bytes.end());
}

TEST(TypedRecordsTest, ProcessInstanceValueReadsItsOwnMessagePackBack) {
  for (std::uint16_t present = 0; present <= ProcessInstanceValue::kAllFields; ++present) {
    ProcessInstanceValue value = element(present);
    value.present = present;
    auto back = ProcessInstanceValue::from_msgpack(direct(value));
    ASSERT_TRUE(back.has_value()) << "present " << present;
    // Absent fields read as their defaults, as from_json leaves them.
    ASSERT_EQ(*back, ProcessInstanceValue::from_json(value.to_json())) << "present " << present;
    ASSERT_EQ(back->present, present);
  }
  for (std::size_t variant = 0; variant < 64; ++variant) {
    ProcessInstanceValue value = element(variant);
    auto back = ProcessInstanceValue::from_msgpack(direct(value));
    ASSERT_TRUE(back.has_value()) << "variant " << variant;
    ASSERT_EQ(*back, value) << "variant " << variant;
    expect_reads_as_json(direct(value), "variant " + std::to_string(variant));
  }
}

TEST(TypedRecordsTest, ProcessInstanceValueReadsOtherMessagePackAsItsJson) {
  std::vector<Json> documents{
      Json{{"aaa", 1}, {"elementId", "task"}, {"middle", Json::array({1, 2})}, {"zzz", nullptr}},
      Json{{"version", "seven"}, {"bpmnProcessId", "p"}, {"flowScopeKey", 1.5}},
      Json{{"version", std::int64_t{1} << 40}, {"elementId", "task"}},    // beyond an int32
      Json{{"flowScopeKey", std::numeric_limits<std::uint64_t>::max()}},  // beyond an int64
      Json{{"elementId", 7}, {"tenantId", Json::object()}},
      Json::object(),
      Json::array({"x", 1}),
      Json("text"),
      Json(nullptr),
      Json(42),
  };
  for (const auto& document : documents) {
    expect_reads_as_json(library_msgpack(document), document.dump());
  }

  // Fields in another order than a JSON object keeps them in.
  std::string reordered;
  msgpack::put_map_header(reordered, 3);
  msgpack::put_string(reordered, "tenantId");
  msgpack::put_string(reordered, "<default>");
  msgpack::put_string(reordered, "elementId");
  msgpack::put_string(reordered, "task");
  msgpack::put_string(reordered, "bpmnProcessId");
  msgpack::put_string(reordered, "process");
  expect_reads_as_json(reordered, "reordered");
  auto typed = ProcessInstanceValue::from_msgpack(reordered);
  ASSERT_TRUE(typed.has_value());
  EXPECT_EQ(typed->element_id, "task");
  EXPECT_TRUE(typed->extra.is_null());

  // A duplicate key: the last one wins, as in the JSON value; once with the same type, once with
  // a string replaced by a number (which then is kept in `extra`).
  for (bool same_type : {true, false}) {
    std::string duplicate;
    msgpack::put_map_header(duplicate, 2);
    msgpack::put_string(duplicate, "elementId");
    msgpack::put_string(duplicate, "first");
    msgpack::put_string(duplicate, "elementId");
    if (same_type) {
      msgpack::put_string(duplicate, "second");
    } else {
      msgpack::put_signed(duplicate, 5);
    }
    expect_reads_as_json(duplicate, same_type ? "duplicate" : "duplicate of another type");
  }

  // Integers in wider forms than needed (another writer's choice) read as the same numbers.
  std::string wide;
  msgpack::put_map_header(wide, 2);
  msgpack::put_string(wide, "version");
  wide.append("\xd3\x00\x00\x00\x00\x00\x00\x00\x07", 9);  // int64 holding 7
  msgpack::put_string(wide, "flowScopeKey");
  wide.append("\xd0\xff", 2);  // int8 holding -1
  expect_reads_as_json(wide, "wide integers");
}

TEST(TypedRecordsTest, ProcessInstanceValueRefusesMalformedMessagePack) {
  std::string bytes = direct(element(5));
  EXPECT_FALSE(ProcessInstanceValue::from_msgpack(""));
  EXPECT_FALSE(ProcessInstanceValue::from_msgpack(bytes.substr(0, bytes.size() - 1)));
  EXPECT_FALSE(ProcessInstanceValue::from_msgpack(bytes + '\x01'));  // trailing bytes
  std::string numeric_key;
  msgpack::put_map_header(numeric_key, 1);
  msgpack::put_signed(numeric_key, 1);
  msgpack::put_string(numeric_key, "x");
  EXPECT_FALSE(ProcessInstanceValue::from_msgpack(numeric_key));
  EXPECT_FALSE(ProcessInstanceValue::from_msgpack(std::string("\xc1", 1)));
}

TEST(TypedRecordsTest, ALoggedProcessInstanceValueStaysPackedAndOthersBecomeJson) {
  Record metadata = packed_record();
  std::string packed = direct(element(6));

  Record logged = metadata;
  logged.packed_value.clear();
  ASSERT_TRUE(decode_logged_value(packed, logged).ok());
  EXPECT_EQ(logged.packed_value, packed);
  EXPECT_TRUE(logged.value.is_null());
  EXPECT_EQ(ProcessInstanceValue::from_record(logged), element(6));

  Record job_record = metadata;
  job_record.value_type = ValueType::kJob;
  job_record.packed_value.clear();
  ASSERT_TRUE(decode_logged_value(packed, job_record).ok());
  EXPECT_FALSE(job_record.has_packed_value());
  EXPECT_EQ(job_record.value, element(6).to_json());

  Record broken = metadata;
  auto refused = decode_logged_value(packed.substr(0, packed.size() - 2), broken);
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.error().code, CodecErrorCode::kBadValue);

  Record json_record = metadata;
  json_record.packed_value.clear();
  json_record.value = element(7).to_json();
  EXPECT_EQ(ProcessInstanceValue::from_record(json_record), element(7));
}

}  // namespace
}  // namespace tern::engine
