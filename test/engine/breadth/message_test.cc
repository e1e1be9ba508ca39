// Messages on one partition: publish (time-to-live, message id, variables), subscriptions opened
// by intermediate catch events, receive tasks and boundary events, correlation, buffering and
// expiry, message start events, and cancellation while waiting.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::Not;

std::string message_defs(const std::string& process_id, const std::string& body,
                         const std::string& name = "paid", const std::string& key = "=orderId") {
  std::string xml = models::definitions(process_id, body);
  std::string message = "<bpmn:message id=\"msg\" name=\"" + name
                        + "\"><bpmn:extensionElements><zeebe:subscription correlationKey=\"" + key
                        + "\" /></bpmn:extensionElements></bpmn:message>\n";
  return xml.replace(xml.find("</bpmn:definitions>"), 0, message);
}

std::string catch_model() {
  return message_defs(
      "m", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "wait")
               + "<bpmn:intermediateCatchEvent id=\"wait\"><bpmn:messageEventDefinition "
                 "messageRef=\"msg\" /></bpmn:intermediateCatchEvent>"
               + flow("f2", "wait", "end") + "<bpmn:endEvent id=\"end\" />");
}

Response publish(EngineHarness& h, const std::string& name, const std::string& key,
                 std::int64_t ttl_ms = 0, Json variables = Json::object(),
                 const std::string& id = "") {
  return h.command(ValueType::kMessage, Intent::kPublish,
                   Json{{"name", name},
                        {"correlationKey", key},
                        {"timeToLive", ttl_ms},
                        {"messageId", id},
                        {"variables", variables}});
}

const std::vector<ValueType> kMessaging = {ValueType::kMessage, ValueType::kMessageSubscription,
                                           ValueType::kProcessMessageSubscription};

TEST(MessageTest, IntermediateCatchOpensASubscriptionAndAPublishedMessageCompletesIt) {
  EngineHarness h;
  h.deploy_process(catch_model());
  Position mark = h.mark();
  Key instance = h.create_instance("m", Json{{"orderId", "order-1"}});
  EXPECT_THAT(stream_of(h, mark, kMessaging),
              ElementsAre("EVENT PROCESS_MESSAGE_SUBSCRIPTION CREATING paid",
                          "COMMAND MESSAGE_SUBSCRIPTION CREATE paid",
                          "EVENT MESSAGE_SUBSCRIPTION CREATED paid",
                          "COMMAND PROCESS_MESSAGE_SUBSCRIPTION CREATE paid",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION CREATED paid"));
  auto created = h.find(ValueType::kMessageSubscription, Intent::kCreated, mark);
  EXPECT_EQ(created.value["correlationKey"], "order-1");
  EXPECT_EQ(created.value["processInstanceKey"], instance.value());
  EXPECT_EQ(created.value["elementId"], "wait");

  mark = h.mark();
  auto response = publish(h, "paid", "order-1", 0, Json{{"amount", 42}});
  EXPECT_EQ(response.record.intent, Intent::kPublished);
  EXPECT_THAT(
      stream(h, mark),
      ElementsAre("COMMAND MESSAGE PUBLISH paid", "EVENT MESSAGE PUBLISHED paid",
                  "EVENT MESSAGE_SUBSCRIPTION CORRELATING paid",
                  "COMMAND PROCESS_MESSAGE_SUBSCRIPTION CORRELATE paid",
                  "EVENT MESSAGE EXPIRED paid",
                  "EVENT PROCESS_MESSAGE_SUBSCRIPTION CORRELATED paid",
                  "COMMAND MESSAGE_SUBSCRIPTION CORRELATE paid", "EVENT VARIABLE CREATED amount",
                  "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT wait",
                  "EVENT MESSAGE_SUBSCRIPTION CORRELATED paid",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING wait",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED wait",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN f2",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end",
                  "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT m",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING m",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED m"));
  auto variable = h.find(ValueType::kVariable, Intent::kCreated, mark);
  EXPECT_EQ(variable.value["scopeKey"], instance.value());
  EXPECT_EQ(variable.value["value"], "42");
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(MessageTest, AMessageWithAnotherKeyOrNameDoesNotCorrelate) {
  EngineHarness h;
  h.deploy_process(catch_model());
  h.create_instance("m", Json{{"orderId", "order-1"}});
  Position mark = h.mark();
  publish(h, "paid", "order-2");
  publish(h, "shipped", "order-1");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kMessageSubscription}), IsEmpty());
}

TEST(MessageTest, ABufferedMessageCorrelatesToASubscriptionOpenedWithinItsTimeToLive) {
  EngineHarness h;
  h.deploy_process(catch_model());
  Position mark = h.mark();
  publish(h, "paid", "order-1", 60'000, Json{{"early", true}});
  EXPECT_THAT(stream(h, mark),
              ElementsAre("COMMAND MESSAGE PUBLISH paid", "EVENT MESSAGE PUBLISHED paid"));
  h.clock().advance_ms(30'000);
  mark = h.mark();
  h.create_instance("m", Json{{"orderId", "order-1"}});
  EXPECT_THAT(stream_of(h, mark, kMessaging),
              ElementsAre("EVENT PROCESS_MESSAGE_SUBSCRIPTION CREATING paid",
                          "COMMAND MESSAGE_SUBSCRIPTION CREATE paid",
                          "EVENT MESSAGE_SUBSCRIPTION CREATED paid",
                          "COMMAND PROCESS_MESSAGE_SUBSCRIPTION CREATE paid",
                          "EVENT MESSAGE_SUBSCRIPTION CORRELATING paid",
                          "COMMAND PROCESS_MESSAGE_SUBSCRIPTION CORRELATE paid",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION CREATED paid",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION CORRELATED paid",
                          "COMMAND MESSAGE_SUBSCRIPTION CORRELATE paid",
                          "EVENT MESSAGE_SUBSCRIPTION CORRELATED paid"));
  EXPECT_THAT(h.lifecycle_since(mark), Contains("ELEMENT_COMPLETED m"));
  // Correlated once per process: a second instance does not get the same message.
  mark = h.mark();
  h.create_instance("m", Json{{"orderId", "order-1"}});
  EXPECT_THAT(stream_of(h, mark, {ValueType::kMessageSubscription}),
              Not(Contains("EVENT MESSAGE_SUBSCRIPTION CORRELATING paid")));
}

TEST(MessageTest, AMessageExpiresAfterItsTimeToLiveAndThenNoLongerCorrelates) {
  EngineHarness h;
  h.deploy_process(catch_model());
  publish(h, "paid", "order-1", 10'000);
  h.clock().advance_ms(10'000);
  Position mark = h.mark();
  EXPECT_EQ(fire_due(h), 1u);
  EXPECT_THAT(stream(h, mark),
              ElementsAre("COMMAND MESSAGE EXPIRE paid", "EVENT MESSAGE EXPIRED paid"));
  mark = h.mark();
  h.create_instance("m", Json{{"orderId", "order-1"}});
  EXPECT_THAT(stream_of(h, mark, {ValueType::kMessageSubscription}),
              ElementsAre("COMMAND MESSAGE_SUBSCRIPTION CREATE paid",
                          "EVENT MESSAGE_SUBSCRIPTION CREATED paid"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(MessageTest, ASecondPublishWithTheSameIdIsRejectedWhileTheFirstIsBuffered) {
  EngineHarness h;
  EXPECT_EQ(publish(h, "paid", "k", 10'000, Json::object(), "id-1").record.intent,
            Intent::kPublished);
  auto second = publish(h, "paid", "k", 10'000, Json::object(), "id-1");
  EXPECT_EQ(second.record.record_type, RecordType::kCommandRejection);
  EXPECT_EQ(second.record.rejection_type, RejectionType::kAlreadyExists);
  EXPECT_THAT(second.record.rejection_reason, ::testing::HasSubstr("id-1"));
  // Another name with the same id is a different message.
  EXPECT_EQ(publish(h, "other", "k", 10'000, Json::object(), "id-1").record.intent,
            Intent::kPublished);
  h.clock().advance_ms(10'000);
  fire_due(h);
  EXPECT_EQ(publish(h, "paid", "k", 10'000, Json::object(), "id-1").record.intent,
            Intent::kPublished);
}

TEST(MessageTest, PublishRejectsAMissingNameAndVariablesThatAreNotAnObject) {
  EngineHarness h;
  auto nameless = publish(h, "", "k");
  EXPECT_EQ(nameless.record.rejection_type, RejectionType::kInvalidArgument);
  auto bad = h.command(ValueType::kMessage, Intent::kPublish,
                       Json{{"name", "x"}, {"correlationKey", "k"}, {"variables", Json::array()}});
  EXPECT_EQ(bad.record.rejection_type, RejectionType::kInvalidArgument);
}

TEST(MessageTest, CancellingWhileWaitingClosesTheSubscriptionOnBothSides) {
  EngineHarness h;
  h.deploy_process(catch_model());
  Key instance = h.create_instance("m", Json{{"orderId", "order-1"}});
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(stream(h, mark), ElementsAre("COMMAND PROCESS_INSTANCE CANCEL",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING m",
                                           "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT wait",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING wait",
                                           "EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETING paid",
                                           "COMMAND MESSAGE_SUBSCRIPTION DELETE paid",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED wait",
                                           "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED m",
                                           "EVENT MESSAGE_SUBSCRIPTION DELETED paid",
                                           "COMMAND PROCESS_MESSAGE_SUBSCRIPTION DELETE paid",
                                           "EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETED paid"));
  mark = h.mark();
  publish(h, "paid", "order-1");
  EXPECT_THAT(stream_of(h, mark, {ValueType::kMessageSubscription}), IsEmpty());
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(MessageTest, ACorrelationKeyThatIsNotAStringOrNumberRaisesAnIncident) {
  EngineHarness h;
  h.deploy_process(catch_model());
  Position mark = h.mark();
  h.create_instance("m", Json{{"orderId", Json::array({1})}});
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["errorType"], "EXTRACT_VALUE_ERROR");
  EXPECT_THAT(incident.value["errorMessage"].get<std::string>(),
              ::testing::HasSubstr("correlation key"));
  // A number is a valid key, written without a fraction.
  mark = h.mark();
  h.create_instance("m", Json{{"orderId", 17}});
  EXPECT_EQ(h.find(ValueType::kMessageSubscription, Intent::kCreated, mark).value["correlationKey"],
            "17");
}

TEST(MessageTest, ReceiveTaskWaitsForItsMessage) {
  EngineHarness h;
  h.deploy_process(
      message_defs("r", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "receive")
                            + "<bpmn:receiveTask id=\"receive\" messageRef=\"msg\" />"
                            + flow("f2", "receive", "end") + "<bpmn:endEvent id=\"end\" />"));
  h.create_instance("r", Json{{"orderId", "o"}});
  Position mark = h.mark();
  publish(h, "paid", "o", 0, Json{{"ok", true}});
  EXPECT_THAT(h.lifecycle_since(mark),
              ElementsAre("ELEMENT_COMPLETING receive", "ELEMENT_COMPLETED receive",
                          "SEQUENCE_FLOW_TAKEN f2", "ELEMENT_ACTIVATING end",
                          "ELEMENT_ACTIVATED end", "ELEMENT_COMPLETING end",
                          "ELEMENT_COMPLETED end", "ELEMENT_COMPLETING r", "ELEMENT_COMPLETED r"));
}

std::string message_boundary_model(bool interrupting) {
  return message_defs("b", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "task")
                               + service("task", "work") + flow("f2", "task", "end")
                               + "<bpmn:endEvent id=\"end\" />"
                               + boundary("cancelled", "task", interrupting,
                                          "<bpmn:messageEventDefinition messageRef=\"msg\" />")
                               + flow("f3", "cancelled", "undo") + service("undo", "undo"));
}

TEST(MessageTest, InterruptingMessageBoundaryTerminatesTheTask) {
  EngineHarness h;
  h.deploy_process(message_boundary_model(true));
  h.create_instance("b", Json{{"orderId", "o"}});
  Position mark = h.mark();
  publish(h, "paid", "o", 0, Json{{"reason", "customer"}});
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_TERMINATING task", "ELEMENT_TERMINATED task",
                  "ELEMENT_ACTIVATING cancelled", "ELEMENT_ACTIVATED cancelled",
                  "ELEMENT_COMPLETING cancelled", "ELEMENT_COMPLETED cancelled",
                  "SEQUENCE_FLOW_TAKEN f3", "ELEMENT_ACTIVATING undo", "ELEMENT_ACTIVATED undo"));
  EXPECT_THAT(stream_of(h, mark, {ValueType::kJob, ValueType::kProcessEvent}),
              ElementsAre("EVENT PROCESS_EVENT TRIGGERING cancelled", "EVENT JOB CANCELED work",
                          "EVENT PROCESS_EVENT TRIGGERED cancelled", "EVENT JOB CREATED undo"));
  Key job = h.activate_one("undo");
  auto batch = h.find(ValueType::kJobBatch, Intent::kActivated, mark);
  EXPECT_EQ(batch.value["jobs"][0]["variables"]["reason"], "customer");
  h.complete_job(job);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(MessageTest, NonInterruptingMessageBoundaryKeepsTheTaskAndListening) {
  EngineHarness h;
  h.deploy_process(message_boundary_model(false));
  h.create_instance("b", Json{{"orderId", "o"}});
  Position mark = h.mark();
  publish(h, "paid", "o");
  publish(h, "paid", "o");
  EXPECT_EQ(h.find_all(ValueType::kJob, Intent::kCreated, mark).size(), 2u);  // undo twice
  EXPECT_THAT(h.lifecycle_since(mark), Not(Contains("ELEMENT_TERMINATING task")));
  Key job = h.activate_one("work");
  mark = h.mark();
  h.complete_job(job);
  EXPECT_THAT(stream_of(h, mark, {ValueType::kMessageSubscription}),
              ElementsAre("COMMAND MESSAGE_SUBSCRIPTION DELETE paid",
                          "EVENT MESSAGE_SUBSCRIPTION DELETED paid"));
}

std::string message_start_model() {
  std::string xml = models::definitions(
      "s",
      "<bpmn:startEvent id=\"start\"><bpmn:messageEventDefinition messageRef=\"go\" />"
      "</bpmn:startEvent>"
          + flow("f1", "start", "task") + service("task", "started"));
  return xml.replace(xml.find("</bpmn:definitions>"), 0,
                     "<bpmn:message id=\"go\" name=\"start-it\" />\n");
}

TEST(MessageTest, MessageStartEventCreatesOneActiveInstancePerCorrelationKey) {
  EngineHarness h;
  Position mark = h.mark();
  h.deploy_process(message_start_model());
  EXPECT_THAT(stream_of(h, mark, {ValueType::kMessageStartEventSubscription}),
              ElementsAre("EVENT MESSAGE_START_EVENT_SUBSCRIPTION CREATED start-it"));
  mark = h.mark();
  publish(h, "start-it", "key-1", 0, Json{{"who", "first"}});
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_ACTIVATING s", "ELEMENT_ACTIVATED s", "ELEMENT_ACTIVATING start",
                  "ELEMENT_ACTIVATED start", "ELEMENT_COMPLETING start", "ELEMENT_COMPLETED start",
                  "SEQUENCE_FLOW_TAKEN f1", "ELEMENT_ACTIVATING task", "ELEMENT_ACTIVATED task"));
  // The same key while that instance is active: no second instance. Another key: one more.
  publish(h, "start-it", "key-1");
  publish(h, "start-it", "key-2");
  EXPECT_EQ(h.find_all(ValueType::kJob, Intent::kCreated, mark).size(), 2u);
  auto jobs = h.activate_jobs("started", 10, 60'000);
  ASSERT_EQ(jobs.record.value["jobKeys"].size(), 2u);
  EXPECT_EQ(jobs.record.value["jobs"][0]["variables"]["who"], "first");
  // Once the first instance is done, the key may start a new one.
  h.complete_job(Key(jobs.record.value["jobKeys"][0].get<std::int64_t>()));
  mark = h.mark();
  publish(h, "start-it", "key-1");
  EXPECT_EQ(h.find_all(ValueType::kJob, Intent::kCreated, mark).size(), 1u);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

}  // namespace
}  // namespace tern::engine::test::breadth
