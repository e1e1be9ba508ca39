// Deployment: versioning by content, duplicates keep their version, invalid resources are
// rejected naming the resource and the problem.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/harness/engine_harness.h"

namespace tern::engine::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

TEST(DeploymentTest, FirstDeploymentCreatesVersionOne) {
  EngineHarness h;
  auto response = h.deploy("order.bpmn", models::one_task("order", "work"));
  EXPECT_THAT(h.stream_since(Position(0)),
              ElementsAre("COMMAND DEPLOYMENT CREATE", "EVENT PROCESS CREATED",
                          "EVENT DEPLOYMENT CREATED"));
  const Json& meta = response.record.value["processesMetadata"][0];
  EXPECT_EQ(meta["bpmnProcessId"], "order");
  EXPECT_EQ(meta["version"], 1);
  EXPECT_EQ(meta["resourceName"], "order.bpmn");
  EXPECT_EQ(meta["isDuplicate"], false);
  EXPECT_EQ(meta["checksum"].get<std::string>().size(), 64u);
  auto process = h.find(ValueType::kProcess, Intent::kCreated);
  EXPECT_EQ(process.key.value(), meta["processDefinitionKey"].get<std::int64_t>());
}

TEST(DeploymentTest, IdenticalContentKeepsItsVersionAndChangedContentGetsTheNext) {
  EngineHarness h;
  Key first = h.deploy_process(models::one_task("order", "work"));
  Position mark = h.mark();
  auto same = h.deploy("order.bpmn", models::one_task("order", "work"));
  EXPECT_THAT(h.stream_since(mark),
              ElementsAre("COMMAND DEPLOYMENT CREATE", "EVENT DEPLOYMENT CREATED"));
  EXPECT_EQ(same.record.value["processesMetadata"][0]["version"], 1);
  EXPECT_EQ(same.record.value["processesMetadata"][0]["isDuplicate"], true);
  EXPECT_EQ(same.record.value["processesMetadata"][0]["processDefinitionKey"], first.value());

  auto changed = h.deploy("order.bpmn", models::one_task("order", "other"));
  EXPECT_EQ(changed.record.value["processesMetadata"][0]["version"], 2);
  auto instance = h.create("order");
  EXPECT_EQ(instance.record.value["version"], 2);
}

TEST(DeploymentTest, InvalidBpmnIsRejectedNamingTheResource) {
  EngineHarness h;
  auto response = h.deploy("broken.bpmn", "<not-bpmn/>");
  EXPECT_EQ(response.record.record_type, RecordType::kCommandRejection);
  EXPECT_EQ(response.record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_THAT(response.record.rejection_reason,
              HasSubstr("Expected to deploy new resources, but encountered the following errors"));
  EXPECT_THAT(response.record.rejection_reason, HasSubstr("'broken.bpmn'"));
}

TEST(DeploymentTest, MissingTaskDefinitionIsRejectedNamingTheElement) {
  EngineHarness h;
  auto response = h.deploy("p.bpmn", models::definitions("p", R"(
    <bpmn:startEvent id="start"><bpmn:outgoing>f1</bpmn:outgoing></bpmn:startEvent>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="naked" />
    <bpmn:serviceTask id="naked"><bpmn:incoming>f1</bpmn:incoming></bpmn:serviceTask>)"));
  EXPECT_EQ(response.record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_THAT(response.record.rejection_reason, HasSubstr("naked"));
}

TEST(DeploymentTest, EmptyAndNonBpmnDeploymentsAreRejected) {
  EngineHarness h;
  auto empty =
      h.command(ValueType::kDeployment, Intent::kCreate, Json{{"resources", Json::array()}});
  EXPECT_EQ(empty.record.rejection_reason,
            "Expected to deploy at least one resource, but none given");
  auto text = h.deploy("notes.txt", "hello");
  EXPECT_EQ(text.record.rejection_type, RejectionType::kInvalidArgument);
  EXPECT_THAT(text.record.rejection_reason, HasSubstr("'notes.txt'"));
}

}  // namespace
}  // namespace tern::engine::test
