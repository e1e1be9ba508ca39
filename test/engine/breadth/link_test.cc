// Link events: an intermediate link throw event continues at the link catch event of the same
// name in the same scope (no sequence flow is taken), including inside a sub-process; a link
// throw without a matching catch is rejected at deployment.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;

std::string link_throw(const std::string& id, const std::string& name) {
  return "<bpmn:intermediateThrowEvent id=\"" + id + "\"><bpmn:linkEventDefinition name=\"" + name
         + "\" /></bpmn:intermediateThrowEvent>\n";
}

std::string link_catch(const std::string& id, const std::string& name) {
  return "<bpmn:intermediateCatchEvent id=\"" + id + "\"><bpmn:linkEventDefinition name=\"" + name
         + "\" /></bpmn:intermediateCatchEvent>\n";
}

TEST(LinkTest, ALinkThrowContinuesAtItsCatchEvent) {
  EngineHarness h;
  h.deploy_process(
      models::definitions("l", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "go")
                                   + link_throw("go", "next") + link_catch("arrive", "next")
                                   + flow("f2", "arrive", "task") + service("task", "work")
                                   + flow("f3", "task", "end") + "<bpmn:endEvent id=\"end\" />"));
  Position mark = h.mark();
  h.create_instance("l");
  auto lines = stream(h, mark);
  auto from = std::find(lines.begin(), lines.end(), "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING go");
  ASSERT_NE(from, lines.end());
  EXPECT_THAT(
      std::vector<std::string>(from, lines.end()),
      ElementsAre("EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING go",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED go",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING go",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED go",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT arrive",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING arrive",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED arrive",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING arrive",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED arrive",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f2",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT task",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING task", "EVENT JOB CREATED work",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED task"));
  h.complete_job(h.activate_one("work"));
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted)
                .back()
                .value["bpmnElementType"],
            "PROCESS");
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(LinkTest, LinksResolveWithinTheirOwnScope) {
  EngineHarness h;
  // The same link name outside and inside a sub-process: each throw reaches its own scope's catch.
  h.deploy_process(models::definitions(
      "l", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "sub")
               + "<bpmn:subProcess id=\"sub\"><bpmn:startEvent id=\"s_start\" />"
               + flow("s1", "s_start", "s_go") + link_throw("s_go", "next")
               + link_catch("s_arrive", "next") + flow("s2", "s_arrive", "s_end")
               + "<bpmn:endEvent id=\"s_end\" /></bpmn:subProcess>" + flow("f2", "sub", "go")
               + link_throw("go", "next") + link_catch("arrive", "next")
               + flow("f3", "arrive", "end") + "<bpmn:endEvent id=\"end\" />"));
  Position mark = h.mark();
  h.create_instance("l");
  std::vector<std::string> completed;
  for (const auto& record :
       h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark))
    completed.push_back(record.value["elementId"].get<std::string>());
  EXPECT_THAT(completed, ElementsAre("start", "s_start", "s_go", "s_arrive", "s_end", "sub", "go",
                                     "arrive", "end", "l"));
}

TEST(LinkTest, CancellingBeforeTheLinkIsFollowedEndsTheInstance) {
  EngineHarness h;
  h.deploy_process(
      models::definitions("l", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "task")
                                   + service("task", "work") + flow("f2", "task", "go")
                                   + link_throw("go", "next") + link_catch("arrive", "next")
                                   + flow("f3", "arrive", "end") + "<bpmn:endEvent id=\"end\" />"));
  Key instance = h.create_instance("l");
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(h.lifecycle_since(mark),
              ElementsAre("ELEMENT_TERMINATING l", "ELEMENT_TERMINATING task",
                          "ELEMENT_TERMINATED task", "ELEMENT_TERMINATED l"));
  auto response =
      h.deploy("broken.bpmn", models::definitions("b", "<bpmn:startEvent id=\"start\" />"
                                                           + flow("f1", "start", "go")
                                                           + link_throw("go", "nowhere")));
  EXPECT_FALSE(response.record.is_event());
  EXPECT_NE(response.record.rejection_reason.find("no link catch event named 'nowhere'"),
            std::string::npos)
      << response.record.rejection_reason;
}

}  // namespace
}  // namespace tern::engine::test::breadth
