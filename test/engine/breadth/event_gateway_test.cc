// Event-based gateway: the gateway waits for the catch events its flows lead to (timer and message
// branches); the first event wins, the other branches are closed, and only the winner's flow is
// taken. Cancellation while the gateway waits closes every branch.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string gateway_model() {
  std::string xml = models::definitions(
      "g", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "gw")
               + "<bpmn:eventBasedGateway id=\"gw\" />" + flow("f2", "gw", "paid")
               + flow("f3", "gw", "timeout")
               + "<bpmn:intermediateCatchEvent id=\"paid\"><bpmn:messageEventDefinition "
                 "messageRef=\"msg\" /></bpmn:intermediateCatchEvent>"
               + timer_catch("timeout", "timeDuration", "PT1H") + flow("f4", "paid", "shipped")
               + flow("f5", "timeout", "cancelled") + "<bpmn:endEvent id=\"shipped\" />"
               + "<bpmn:endEvent id=\"cancelled\" />");
  std::string message =
      "<bpmn:message id=\"msg\" name=\"paid\"><bpmn:extensionElements><zeebe:subscription "
      "correlationKey=\"=orderId\" /></bpmn:extensionElements></bpmn:message>\n";
  return xml.replace(xml.find("</bpmn:definitions>"), 0, message);
}

const std::vector<ValueType> kLifecycleAndEvents = {
    ValueType::kProcessInstance, ValueType::kTimer, ValueType::kProcessEvent,
    ValueType::kProcessMessageSubscription, ValueType::kVariable};

TEST(EventGatewayTest, TheGatewayOpensEveryBranchAndTheTimerWinsWhenItFiresFirst) {
  EngineHarness h;
  h.deploy_process(gateway_model());
  Position mark = h.mark();
  h.create_instance("g", Json{{"orderId", "o-1"}});
  auto opened = stream_of(h, mark, {ValueType::kTimer, ValueType::kProcessMessageSubscription});
  EXPECT_THAT(opened, ElementsAre("EVENT TIMER CREATED timeout",
                                  "EVENT PROCESS_MESSAGE_SUBSCRIPTION CREATING paid",
                                  "COMMAND PROCESS_MESSAGE_SUBSCRIPTION CREATE paid",
                                  "EVENT PROCESS_MESSAGE_SUBSCRIPTION CREATED paid"));
  auto gateway = h.find_all(ValueType::kProcessInstance, Intent::kElementActivated, mark).back();
  EXPECT_EQ(gateway.value["elementId"], "gw");
  EXPECT_EQ(gateway.value["bpmnElementType"], "EVENT_BASED_GATEWAY");
  EXPECT_EQ(h.find(ValueType::kTimer, Intent::kCreated, mark).value["elementInstanceKey"],
            gateway.key.value());

  h.clock().advance_ms(3'600'000);
  mark = h.mark();
  fire_due(h);
  EXPECT_THAT(stream_of(h, mark, kLifecycleAndEvents),
              ElementsAre("COMMAND TIMER TRIGGER timeout", "EVENT TIMER TRIGGERED timeout",
                          "EVENT PROCESS_EVENT TRIGGERING timeout",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT gw",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING gw",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETING paid",
                          "EVENT PROCESS_EVENT TRIGGERED timeout",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED gw",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f3",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT timeout",
                          // the message partition's acknowledgement of the closed branch
                          "COMMAND PROCESS_MESSAGE_SUBSCRIPTION DELETE paid",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING timeout",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED timeout",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING timeout",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED timeout",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f5",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT cancelled",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETED paid",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING cancelled",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED cancelled",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING cancelled",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED cancelled",
                          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT g",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING g",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED g"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(EventGatewayTest, AMessageThatArrivesFirstWinsAndItsVariablesReachTheInstance) {
  EngineHarness h;
  h.deploy_process(gateway_model());
  Key instance = h.create_instance("g", Json{{"orderId", "o-1"}});
  Position mark = h.mark();
  h.command(ValueType::kMessage, Intent::kPublish,
            Json{{"name", "paid"},
                 {"correlationKey", "o-1"},
                 {"timeToLive", 0},
                 {"messageId", ""},
                 {"variables", Json{{"amount", 42}}}});
  auto lines = h.lifecycle_since(mark);
  EXPECT_THAT(
      lines,
      ElementsAre("ELEMENT_COMPLETING gw", "ELEMENT_COMPLETED gw", "SEQUENCE_FLOW_TAKEN f2",
                  "ELEMENT_ACTIVATING paid", "ELEMENT_ACTIVATED paid", "ELEMENT_COMPLETING paid",
                  "ELEMENT_COMPLETED paid", "SEQUENCE_FLOW_TAKEN f4", "ELEMENT_ACTIVATING shipped",
                  "ELEMENT_ACTIVATED shipped", "ELEMENT_COMPLETING shipped",
                  "ELEMENT_COMPLETED shipped", "ELEMENT_COMPLETING g", "ELEMENT_COMPLETED g"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kTimer}), ElementsAre("EVENT TIMER CANCELED timeout"));
  auto amount = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(amount.value["name"], "amount");
  EXPECT_EQ(amount.value["scopeKey"], instance.value());
  // The timer of the losing branch never fires.
  h.clock().advance_ms(7'200'000);
  EXPECT_EQ(fire_due(h), 0u);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(EventGatewayTest, CancellingWhileTheGatewayWaitsClosesEveryBranch) {
  EngineHarness h;
  h.deploy_process(gateway_model());
  Key instance = h.create_instance("g", Json{{"orderId", "o-1"}});
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(
      stream_of(h, mark, kLifecycleAndEvents),
      ElementsAre("COMMAND PROCESS_INSTANCE CANCEL", "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING g",
                  "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT gw",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING gw", "EVENT TIMER CANCELED timeout",
                  "EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETING paid",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED gw",
                  "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED g",
                  "COMMAND PROCESS_MESSAGE_SUBSCRIPTION DELETE paid",
                  "EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETED paid"));
  h.clock().advance_ms(7'200'000);
  EXPECT_EQ(fire_due(h), 0u);
  EXPECT_THAT(h.find_all(ValueType::kProcessEvent, Intent::kTriggering, mark), IsEmpty());
}

}  // namespace
}  // namespace tern::engine::test::breadth
