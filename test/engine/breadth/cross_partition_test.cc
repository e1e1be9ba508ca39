// The message subscription protocol between two partitions: the instance on partition 1 waits
// for a message whose correlation key hashes to partition 2. Two engines on two in-memory logs,
// joined by transports the test delivers by hand (or loses); the sender retries what is pending.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <deque>
#include <memory>

#include "engine/breadth/breadth_support.h"
#include "engine/log/in_memory_log_stream.h"
#include "engine/partition_engine.h"
#include "engine/processing/subscription_sender.h"
#include "engine/processors/message_behavior.h"
#include "support/temp_dir.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;

TEST(CrossPartitionTest, MessagePartitionFollowsJavaStringHashCode) {
  // Java: "order-1".hashCode() == -1207111310; abs(-1207111310 % 3) + 1 == 3.
  EXPECT_EQ(message_partition("order-1", 3), PartitionId(3));
  EXPECT_EQ(message_partition("order-1", 2), PartitionId(1));
  EXPECT_EQ(message_partition("a", 4), PartitionId(2));  // 97 % 4 + 1
  EXPECT_EQ(message_partition("", 5), PartitionId(1));
  // U+1F600 hashes as its UTF-16 surrogates: 0xD83D * 31 + 0xDE00 == 1772899; % 7 == 2.
  EXPECT_EQ(message_partition("\xF0\x9F\x98\x80", 7), PartitionId(3));
  // "ü-key" hashes to 234173966; % 7 == 5.
  EXPECT_EQ(message_partition("\xC3\xBC-key", 7), PartitionId(6));
}

// One partition of a two-partition cluster: its log, engine and subscription sender.
class Partition final : public SubscriptionTransport {
 public:
  Partition(PartitionId id, ControlledClock& clock) : id_(id), clock_(clock) {
    EngineOptions options;
    options.processing.partition_count = 2;
    auto engine = PartitionEngine::open(dir_.path() / "state", id, log_, clock, options);
    if (!engine) throw std::runtime_error(engine.error().message);
    engine_ = std::move(engine.value());
    engine_->set_subscription_transport(this);
    engine_->become_leader();
    sender_ = std::make_unique<SubscriptionCommandSender>(*engine_, id, *this,
                                                          SubscriptionSenderOptions{1'000, 64});
  }

  void send(const Record& command) override { outbox.push_back(command); }

  void write(ValueType type, Intent intent, Json value, Key key = kNoKey) {
    Record record;
    record.key = key;
    record.record_type = RecordType::kCommand;
    record.value_type = type;
    record.intent = intent;
    record.partition_id = id_;
    record.value = std::move(value);
    receive(record);
  }
  void receive(Record command) {
    command.timestamp_ms = clock_.now_ms();
    std::vector<Record> batch{command};
    EXPECT_TRUE(log_.append(batch).ok());
    engine_->on_committed();
  }
  std::size_t send_pending() { return sender_->send_pending(clock_.now_ms()); }

  // Messaging records after `since`, as "EVENT MESSAGE_SUBSCRIPTION CREATED".
  std::vector<std::string> messaging_since(Position since) const {
    std::vector<std::string> out;
    for (const auto& record : log_.all()) {
      if (record.position <= since) continue;
      if (record.value_type == ValueType::kMessage
          || record.value_type == ValueType::kMessageSubscription
          || record.value_type == ValueType::kProcessMessageSubscription) {
        out.push_back(describe(record).substr(0, describe(record).find(':')));
      }
    }
    return out;
  }
  // Records of one value type after `since`, as "EVENT SIGNAL BROADCASTED".
  std::vector<std::string> of_type_since(Position since, ValueType type) const {
    std::vector<std::string> out;
    for (const auto& record : log_.all()) {
      if (record.position > since && record.value_type == type) {
        out.push_back(describe(record).substr(0, describe(record).find(':')));
      }
    }
    return out;
  }
  std::vector<std::string> lifecycle_since(Position since) const {
    std::vector<std::string> out;
    for (const auto& record : log_.all()) {
      if (record.position > since && record.is_event()
          && record.value_type == ValueType::kProcessInstance) {
        out.push_back(std::string(to_string(record.intent)) + " "
                      + record.value["elementId"].get<std::string>());
      }
    }
    return out;
  }
  Position mark() const { return log_.last_position(); }
  std::vector<Record> records() const { return log_.all(); }
  std::string digest() const { return engine_->state_digest(); }

  std::deque<Record> outbox;

 private:
  PartitionId id_;
  ControlledClock& clock_;
  tern::test::TempDir dir_;
  InMemoryLogStream log_;
  std::unique_ptr<PartitionEngine> engine_;
  std::unique_ptr<SubscriptionCommandSender> sender_;
};

struct Cluster {
  Cluster() : one(PartitionId(1), clock), two(PartitionId(2), clock) {}
  Partition& of(PartitionId id) { return id == PartitionId(1) ? one : two; }
  // Delivers what both outboxes hold, and what that causes, until both are empty.
  void deliver_all() {
    while (!one.outbox.empty() || !two.outbox.empty()) {
      for (auto* from : {&one, &two}) {
        while (!from->outbox.empty()) {
          auto command = from->outbox.front();
          from->outbox.pop_front();
          of(command.partition_id).receive(command);
        }
      }
    }
  }
  void lose_all() {
    one.outbox.clear();
    two.outbox.clear();
  }

  ControlledClock clock;
  Partition one;
  Partition two;
};

std::string catch_model() {
  std::string xml = models::definitions(
      "m", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "wait")
               + "<bpmn:intermediateCatchEvent id=\"wait\"><bpmn:messageEventDefinition "
                 "messageRef=\"msg\" /></bpmn:intermediateCatchEvent>"
               + flow("f2", "wait", "end") + "<bpmn:endEvent id=\"end\" />");
  return xml.replace(xml.find("</bpmn:definitions>"), 0,
                     "<bpmn:message id=\"msg\" name=\"paid\"><bpmn:extensionElements>"
                     "<zeebe:subscription correlationKey=\"=orderId\" />"
                     "</bpmn:extensionElements></bpmn:message>\n");
}

constexpr const char* kRemoteKey = "a";  // 97 % 2 + 1 == partition 2

void deploy_and_create(Cluster& c) {
  c.one.write(ValueType::kDeployment, Intent::kCreate,
              Json{{"resources",
                    Json::array({Json{{"resourceName", "m.bpmn"}, {"resource", catch_model()}}})}});
  c.one.write(
      ValueType::kProcessInstanceCreation, Intent::kCreate,
      Json{{"bpmnProcessId", "m"}, {"version", -1}, {"variables", {{"orderId", kRemoteKey}}}});
}

TEST(CrossPartitionTest, OpenCorrelateAndAcknowledgeBetweenTwoPartitions) {
  ASSERT_EQ(message_partition(kRemoteKey, 2), PartitionId(2));
  Cluster c;
  Position one_mark = c.one.mark();
  Position two_mark = c.two.mark();
  deploy_and_create(c);
  EXPECT_THAT(c.one.messaging_since(one_mark),
              ElementsAre("EVENT PROCESS_MESSAGE_SUBSCRIPTION CREATING"));
  ASSERT_EQ(c.one.outbox.size(), 1u);
  EXPECT_EQ(c.one.outbox.front().partition_id, PartitionId(2));
  c.deliver_all();
  EXPECT_THAT(c.two.messaging_since(two_mark), ElementsAre("COMMAND MESSAGE_SUBSCRIPTION CREATE",
                                                           "EVENT MESSAGE_SUBSCRIPTION CREATED"));
  EXPECT_THAT(c.one.messaging_since(one_mark),
              ElementsAre("EVENT PROCESS_MESSAGE_SUBSCRIPTION CREATING",
                          "COMMAND PROCESS_MESSAGE_SUBSCRIPTION CREATE",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION CREATED"));
  // Nothing is pending any more.
  c.clock.advance_ms(5'000);
  EXPECT_EQ(c.one.send_pending() + c.two.send_pending(), 0u);

  // The message is published on its partition and correlates to the instance on the other.
  one_mark = c.one.mark();
  two_mark = c.two.mark();
  c.two.write(ValueType::kMessage, Intent::kPublish,
              Json{{"name", "paid"},
                   {"correlationKey", kRemoteKey},
                   {"timeToLive", 0},
                   {"variables", {{"paid", true}}}});
  c.deliver_all();
  EXPECT_THAT(c.two.messaging_since(two_mark),
              ElementsAre("COMMAND MESSAGE PUBLISH", "EVENT MESSAGE PUBLISHED",
                          "EVENT MESSAGE_SUBSCRIPTION CORRELATING", "EVENT MESSAGE EXPIRED",
                          "COMMAND MESSAGE_SUBSCRIPTION CORRELATE",
                          "EVENT MESSAGE_SUBSCRIPTION CORRELATED"));
  EXPECT_THAT(c.one.messaging_since(one_mark),
              ElementsAre("COMMAND PROCESS_MESSAGE_SUBSCRIPTION CORRELATE",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION CORRELATED"));
  EXPECT_THAT(c.one.lifecycle_since(one_mark), Contains("ELEMENT_COMPLETED m"));
}

TEST(CrossPartitionTest, LostCommandsAreSentAgainUntilAcknowledgedAndDuplicatesAreHarmless) {
  Cluster c;
  deploy_and_create(c);
  c.lose_all();                         // the open never arrives
  EXPECT_EQ(c.one.send_pending(), 1u);  // first retry at once (never sent by the sender)
  c.lose_all();
  EXPECT_EQ(c.one.send_pending(), 0u);  // within the retry interval
  c.clock.advance_ms(1'000);
  EXPECT_EQ(c.one.send_pending(), 1u);
  Position two_mark = c.two.mark();
  c.deliver_all();
  EXPECT_THAT(c.two.messaging_since(two_mark), Contains("EVENT MESSAGE_SUBSCRIPTION CREATED"));

  // A correlation whose acknowledgement is lost: the message partition keeps CORRELATING and
  // sends again; the instance side, which already correlated, rejects and the stale
  // subscription is removed on the message side. The instance completed exactly once.
  Position one_mark = c.one.mark();
  c.two.write(ValueType::kMessage, Intent::kPublish,
              Json{{"name", "paid"}, {"correlationKey", kRemoteKey}, {"timeToLive", 0}});
  ASSERT_EQ(c.two.outbox.size(), 1u);  // PROCESS_MESSAGE_SUBSCRIPTION CORRELATE
  auto correlate = c.two.outbox.front();
  c.two.outbox.clear();
  c.one.receive(correlate);
  c.lose_all();  // the MESSAGE_SUBSCRIPTION CORRELATE acknowledgement is lost
  c.clock.advance_ms(1'000);
  two_mark = c.two.mark();
  EXPECT_EQ(c.two.send_pending(), 1u);
  c.deliver_all();
  EXPECT_THAT(c.one.messaging_since(one_mark),
              ElementsAre("COMMAND PROCESS_MESSAGE_SUBSCRIPTION CORRELATE",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION CORRELATED",
                          "COMMAND PROCESS_MESSAGE_SUBSCRIPTION CORRELATE",
                          "COMMAND_REJECTION PROCESS_MESSAGE_SUBSCRIPTION CORRELATE NOT_FOUND"));
  EXPECT_THAT(c.two.messaging_since(two_mark), ElementsAre("COMMAND MESSAGE_SUBSCRIPTION REJECT",
                                                           "EVENT MESSAGE_SUBSCRIPTION REJECTED",
                                                           "EVENT MESSAGE_SUBSCRIPTION DELETED"));
  auto lines = c.one.lifecycle_since(one_mark);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "ELEMENT_COMPLETED m"), 1);
  c.clock.advance_ms(5'000);
  EXPECT_EQ(c.one.send_pending() + c.two.send_pending(), 0u);
}

TEST(CrossPartitionTest, CancellingClosesTheRemoteSubscription) {
  Cluster c;
  deploy_and_create(c);
  c.deliver_all();
  Key instance = kNoKey;
  for (const auto& record : c.one.records()) {
    if (record.value_type == ValueType::kProcessInstanceCreation && record.is_event()) {
      instance = record.key;
    }
  }
  ASSERT_NE(instance, kNoKey);
  Position one_mark = c.one.mark();
  Position two_mark = c.two.mark();
  c.one.write(ValueType::kProcessInstance, Intent::kCancel, Json::object(), instance);
  EXPECT_THAT(c.one.messaging_since(one_mark),
              ElementsAre("EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETING"));
  c.deliver_all();
  EXPECT_THAT(c.two.messaging_since(two_mark), ElementsAre("COMMAND MESSAGE_SUBSCRIPTION DELETE",
                                                           "EVENT MESSAGE_SUBSCRIPTION DELETED"));
  EXPECT_THAT(c.one.messaging_since(one_mark),
              ElementsAre("EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETING",
                          "COMMAND PROCESS_MESSAGE_SUBSCRIPTION DELETE",
                          "EVENT PROCESS_MESSAGE_SUBSCRIPTION DELETED"));
  // A message published now finds no subscription.
  two_mark = c.two.mark();
  c.two.write(ValueType::kMessage, Intent::kPublish,
              Json{{"name", "paid"}, {"correlationKey", kRemoteKey}, {"timeToLive", 0}});
  EXPECT_THAT(
      c.two.messaging_since(two_mark),
      ElementsAre("COMMAND MESSAGE PUBLISH", "EVENT MESSAGE PUBLISHED", "EVENT MESSAGE EXPIRED"));
  EXPECT_TRUE(c.one.outbox.empty() && c.two.outbox.empty());
}

std::string with_alarm_signal(const std::string& process_id, const std::string& body) {
  std::string xml = models::definitions(process_id, body);
  return xml.replace(xml.find("</bpmn:definitions>"), 0,
                     "<bpmn:signal id=\"sig\" name=\"alarm\" />\n");
}

// Partition 2 runs an instance waiting for the signal; partition 1 runs one that throws it.
void deploy_signal_models(Cluster& c) {
  const std::string definition = "<bpmn:signalEventDefinition signalRef=\"sig\" />";
  std::string waiting =
      with_alarm_signal("s", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "wait")
                                 + "<bpmn:intermediateCatchEvent id=\"wait\">" + definition
                                 + "</bpmn:intermediateCatchEvent>" + flow("f2", "wait", "end")
                                 + "<bpmn:endEvent id=\"end\" />");
  std::string throwing =
      with_alarm_signal("t", "<bpmn:startEvent id=\"start\" />" + flow("f1", "start", "throw")
                                 + "<bpmn:intermediateThrowEvent id=\"throw\">" + definition
                                 + "</bpmn:intermediateThrowEvent>" + flow("f2", "throw", "end")
                                 + "<bpmn:endEvent id=\"end\" />");
  for (auto* partition : {&c.one, &c.two}) {
    for (const auto& [name, xml] : {std::pair{"s.bpmn", waiting}, std::pair{"t.bpmn", throwing}}) {
      partition->write(
          ValueType::kDeployment, Intent::kCreate,
          Json{{"resources", Json::array({Json{{"resourceName", name}, {"resource", xml}}})}});
    }
  }
  c.two.write(ValueType::kProcessInstanceCreation, Intent::kCreate,
              Json{{"bpmnProcessId", "s"}, {"version", -1}});
}

TEST(CrossPartitionTest, AThrownSignalIsSentAgainUntilAcknowledgedAndBroadcastOnlyOnce) {
  Cluster c;
  deploy_signal_models(c);
  Position one_mark = c.one.mark();
  Position two_mark = c.two.mark();
  c.one.write(ValueType::kProcessInstanceCreation, Intent::kCreate,
              Json{{"bpmnProcessId", "t"}, {"version", -1}});
  EXPECT_THAT(c.one.of_type_since(one_mark, ValueType::kSignal),
              ElementsAre("COMMAND SIGNAL BROADCAST", "EVENT SIGNAL DISTRIBUTING",
                          "EVENT SIGNAL BROADCASTED"));
  ASSERT_EQ(c.one.outbox.size(), 1u);
  EXPECT_EQ(c.one.outbox.front().partition_id, PartitionId(2));
  c.lose_all();  // the first attempt never arrives: the waiting instance is not triggered
  EXPECT_TRUE(c.two.of_type_since(two_mark, ValueType::kSignal).empty());

  EXPECT_EQ(c.one.send_pending(), 1u);  // pending: sent again
  Record copy = c.one.outbox.front();
  c.deliver_all();
  EXPECT_THAT(c.two.of_type_since(two_mark, ValueType::kSignal),
              ElementsAre("COMMAND SIGNAL BROADCAST", "EVENT SIGNAL BROADCASTED"));
  EXPECT_THAT(c.two.lifecycle_since(two_mark), Contains("ELEMENT_COMPLETED s"));
  EXPECT_THAT(c.one.of_type_since(one_mark, ValueType::kSignal),
              ElementsAre("COMMAND SIGNAL BROADCAST", "EVENT SIGNAL DISTRIBUTING",
                          "EVENT SIGNAL BROADCASTED", "COMMAND SIGNAL ACKNOWLEDGE",
                          "EVENT SIGNAL ACKNOWLEDGED"));
  c.clock.advance_ms(5'000);
  EXPECT_EQ(c.one.send_pending() + c.two.send_pending(), 0u);  // acknowledged: nothing pending

  // A late copy (a retry that crossed the acknowledgement) is acknowledged again but not
  // broadcast again; the second acknowledgement finds nothing pending.
  Position one_again = c.one.mark();
  Position two_again = c.two.mark();
  c.two.receive(copy);
  c.deliver_all();
  EXPECT_THAT(
      c.two.of_type_since(two_again, ValueType::kSignal),
      ElementsAre("COMMAND SIGNAL BROADCAST", "COMMAND_REJECTION SIGNAL BROADCAST ALREADY_EXISTS"));
  EXPECT_THAT(
      c.one.of_type_since(one_again, ValueType::kSignal),
      ElementsAre("COMMAND SIGNAL ACKNOWLEDGE", "COMMAND_REJECTION SIGNAL ACKNOWLEDGE NOT_FOUND"));
  auto lines = c.two.lifecycle_since(two_mark);
  EXPECT_EQ(std::count(lines.begin(), lines.end(), "ELEMENT_COMPLETED s"), 1);
}

}  // namespace
}  // namespace tern::engine::test::breadth
