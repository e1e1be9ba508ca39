// Typed record values kept in state (ProcessInstanceValue, JobValue): JSON -> typed -> JSON gives
// the same value, including fields that are missing, unknown or of an unexpected type; the binary
// encoding round-trips and refuses damaged input.

#include <gtest/gtest.h>

#include "engine/records/job_value.h"
#include "engine/records/process_instance_value.h"

namespace tern::engine {
namespace {

Json full_value() {
  return Json{{"bpmnProcessId", "order"},
              {"version", 3},
              {"processDefinitionKey", 2251799813685249},
              {"processInstanceKey", 2251799813685251},
              {"elementId", "ship"},
              {"bpmnElementType", "MULTI_INSTANCE_BODY"},
              {"bpmnEventType", "UNSPECIFIED"},
              {"flowScopeKey", 2251799813685251},
              {"parentProcessInstanceKey", -1},
              {"parentElementInstanceKey", -1},
              {"tenantId", "<default>"}};
}

TEST(TypedValuesTest, ProcessInstanceValueReadsEveryField) {
  auto value = ProcessInstanceValue::from_json(full_value());
  EXPECT_EQ(value.bpmn_process_id, "order");
  EXPECT_EQ(value.version, 3);
  EXPECT_EQ(value.process_definition_key, Key(2251799813685249));
  EXPECT_EQ(value.process_instance_key, Key(2251799813685251));
  EXPECT_EQ(value.element_id, "ship");
  EXPECT_EQ(value.bpmn_element_type, "MULTI_INSTANCE_BODY");
  EXPECT_EQ(value.bpmn_event_type, "UNSPECIFIED");
  EXPECT_EQ(value.flow_scope_key, Key(2251799813685251));
  EXPECT_EQ(value.parent_process_instance_key, kNoKey);
  EXPECT_EQ(value.parent_element_instance_key, kNoKey);
  EXPECT_EQ(value.tenant_id, "<default>");
  EXPECT_EQ(value.present, ProcessInstanceValue::kAllFields);
  EXPECT_TRUE(value.extra.is_null());
  EXPECT_EQ(value.to_json(), full_value());
}

TEST(TypedValuesTest, ProcessInstanceValueKeepsMissingUnknownAndMistypedFields) {
  Json json = full_value();
  json.erase("tenantId");
  json.erase("flowScopeKey");
  json["version"] = "three";                          // not an integer: kept as given
  json["elementInstancePath"] = Json::array({1, 2});  // unknown: kept as given
  json["processInstanceKey"] = 1.5;                   // not an integer key
  auto value = ProcessInstanceValue::from_json(json);
  EXPECT_EQ(value.present & (1u << 10), 0u);  // tenantId
  EXPECT_EQ(value.extra["version"], "three");
  EXPECT_EQ(value.to_json(), json);
  EXPECT_FALSE(value.to_json().contains("tenantId"));

  std::string bytes;
  value.encode(bytes);
  auto decoded = ProcessInstanceValue::decode(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, value);
  EXPECT_EQ(decoded->to_json(), json);
}

TEST(TypedValuesTest, ProcessInstanceValueOfAnotherShapeStaysAsItIs) {
  Json json = Json::array({1, "x"});
  EXPECT_EQ(ProcessInstanceValue::from_json(json).to_json(), json);
  Json empty = Json::object();
  EXPECT_EQ(ProcessInstanceValue::from_json(empty).to_json(), empty);
}

TEST(TypedValuesTest, ProcessInstanceValueEncodingRoundTripsAndRefusesDamage) {
  auto value = ProcessInstanceValue::root("order", 7, Key(11), Key(13));
  value.parent_element_instance_key = Key(17);
  std::string bytes;
  value.encode(bytes);
  auto decoded = ProcessInstanceValue::decode(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, value);
  EXPECT_EQ(decoded->to_json()["parentElementInstanceKey"], 17);
  EXPECT_EQ(decoded->to_json()["bpmnElementType"], "PROCESS");
  EXPECT_EQ(decoded->to_json()["elementId"], "order");
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(ProcessInstanceValue::decode(std::string_view(bytes).substr(0, size)))
        << "truncated to " << size << " bytes";
  }
  EXPECT_FALSE(ProcessInstanceValue::decode(bytes + "x")) << "trailing bytes";
  std::string wrong_version = bytes;
  wrong_version[0] = 9;
  EXPECT_FALSE(ProcessInstanceValue::decode(wrong_version));
}

Json full_job() {
  return Json{{"type", "payment"},
              {"retries", 3},
              {"customHeaders", Json{{"region", "eu"}, {"priority", 2}}},
              {"worker", "w1"},
              {"deadline", 1700000060000},
              {"errorMessage", ""},
              {"errorCode", ""},
              {"variables", Json::object()},
              {"elementId", "pay"},
              {"elementInstanceKey", 2251799813685260},
              {"bpmnProcessId", "order"},
              {"processDefinitionVersion", 2},
              {"processDefinitionKey", 2251799813685249},
              {"processInstanceKey", 2251799813685251},
              {"retryBackoff", 0},
              {"recurringTime", -1},
              {"tenantId", "<default>"}};
}

TEST(TypedValuesTest, JobValueReadsEveryField) {
  auto value = JobValue::from_json(full_job());
  EXPECT_EQ(value.type, "payment");
  EXPECT_EQ(value.retries, 3);
  EXPECT_EQ(value.custom_headers["region"], "eu");
  EXPECT_EQ(value.worker, "w1");
  EXPECT_EQ(value.deadline, 1700000060000);
  EXPECT_EQ(value.element_id, "pay");
  EXPECT_EQ(value.element_instance_key, Key(2251799813685260));
  EXPECT_EQ(value.bpmn_process_id, "order");
  EXPECT_EQ(value.process_definition_version, 2);
  EXPECT_EQ(value.process_definition_key, Key(2251799813685249));
  EXPECT_EQ(value.process_instance_key, Key(2251799813685251));
  EXPECT_EQ(value.retry_backoff, 0);
  EXPECT_EQ(value.recurring_time, -1);
  EXPECT_EQ(value.tenant_id, "<default>");
  EXPECT_EQ(value.present, JobValue::kAllFields);
  EXPECT_TRUE(value.extra.is_null());
  EXPECT_EQ(value.to_json(), full_job());
}

TEST(TypedValuesTest, JobValueKeepsMissingUnknownAndMistypedFields) {
  Json json = full_job();
  json.erase("worker");
  json.erase("customHeaders");
  json["retries"] = "three";                             // not an integer: kept as given
  json["changedAttributes"] = Json::array({"retries"});  // unknown: kept as given
  json["deadline"] = 1.5;                                // not an integer
  json["variables"] = Json{{"x", Json::array({1, 2})}};
  auto value = JobValue::from_json(json);
  EXPECT_EQ(value.present & JobValue::kWorker, 0u);
  EXPECT_EQ(value.present & JobValue::kRetries, 0u);
  EXPECT_EQ(value.extra["retries"], "three");
  EXPECT_EQ(value.to_json(), json);
  EXPECT_FALSE(value.to_json().contains("worker"));

  std::string bytes;
  value.encode(bytes);
  auto decoded = JobValue::decode(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, value);
  EXPECT_EQ(decoded->to_json(), json);

  // Setting a mistyped field makes the typed one win, in JSON and after encoding.
  decoded->retries = 5;
  decoded->set_present(JobValue::kRetries);
  EXPECT_EQ(decoded->to_json()["retries"], 5);
  EXPECT_FALSE(decoded->extra.contains("retries"));
}

TEST(TypedValuesTest, JobValueOfAnotherShapeStaysAsItIs) {
  Json json = Json::array({1, "x"});
  EXPECT_EQ(JobValue::from_json(json).to_json(), json);
  Json empty = Json::object();
  EXPECT_EQ(JobValue::from_json(empty).to_json(), empty);
  std::string bytes;
  JobValue::from_json(json).encode(bytes);
  auto decoded = JobValue::decode(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(decoded->to_json(), json);
}

TEST(TypedValuesTest, JobValueIndexFieldsDecodeAlone) {
  auto value = JobValue::from_json(full_job());
  std::string bytes;
  value.encode(bytes);
  auto index = JobValue::decode_index(bytes);
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(index->type, "payment");
  EXPECT_EQ(index->deadline, 1700000060000);
  EXPECT_EQ(index->retries, 3);
  EXPECT_EQ(index->recurring_time, -1);

  // Missing index fields read as the defaults the typed value holds for them.
  Json partial = full_job();
  partial.erase("type");
  partial.erase("recurringTime");
  bytes.clear();
  JobValue::from_json(partial).encode(bytes);
  index = JobValue::decode_index(bytes);
  ASSERT_TRUE(index.has_value());
  EXPECT_EQ(index->type, "");
  EXPECT_EQ(index->recurring_time, JobValue().recurring_time);
  EXPECT_EQ(index->retries, 3);
}

TEST(TypedValuesTest, JobValueEncodingRoundTripsAndRefusesDamage) {
  auto value = JobValue::from_json(full_job());
  value.variables = Json{{"amount", 12.5}};
  std::string bytes;
  value.encode(bytes);
  auto decoded = JobValue::decode(bytes);
  ASSERT_TRUE(decoded.has_value());
  EXPECT_EQ(*decoded, value);
  EXPECT_EQ(decoded->to_json()["variables"]["amount"], 12.5);
  EXPECT_EQ(decoded->to_json()["customHeaders"]["priority"], 2);
  for (std::size_t size = 0; size < bytes.size(); ++size) {
    EXPECT_FALSE(JobValue::decode(std::string_view(bytes).substr(0, size)))
        << "truncated to " << size << " bytes";
  }
  EXPECT_FALSE(JobValue::decode(bytes + "x")) << "trailing bytes";
  std::string wrong_version = bytes;
  wrong_version[0] = 9;
  EXPECT_FALSE(JobValue::decode(wrong_version));
  EXPECT_FALSE(JobValue::decode_index(wrong_version));
}

}  // namespace
}  // namespace tern::engine
