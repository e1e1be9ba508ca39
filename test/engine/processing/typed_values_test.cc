// Typed record values kept in state (ProcessInstanceValue): JSON -> typed -> JSON gives the same
// value, including fields that are missing, unknown or of an unexpected type; the binary encoding
// round-trips and refuses damaged input.

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace tern::engine
