// A realistic model from the corpus run end to end on the engine harness:
// nitram509__lib-bpmn-engine__ordering-items-workflow.bpmn (service tasks, two event-based
// gateways each racing a timer against a message catch, an exclusive merge, a parallel fork and
// join). A test worker activates and completes the jobs with variables, the payment message is
// published with the order's correlation key, timers fire from the test clock; the instance is
// created with an awaited result, whose variables are the instance's final variables.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "engine/breadth/breadth_support.h"
#include "support/paths.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;

constexpr std::int64_t kMinuteMs = 60'000;

std::string corpus_model() {
  auto path = tern::test::shared_dir() / "bpmn-corpus"
              / "nitram509__lib-bpmn-engine__ordering-items-workflow.bpmn";
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << path;
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

class ScenarioTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto response = h_.deploy("ordering-items-workflow.bpmn", corpus_model());
    ASSERT_TRUE(response.record.is_event()) << response.record.rejection_reason;
  }

  // Creates an instance whose result (its final variables) is awaited.
  std::int64_t start_order(const std::string& order_id) {
    auto request = h_.write(
        ValueType::kProcessInstanceCreation, Intent::kCreateWithAwaitingResult,
        Json{{"bpmnProcessId", "ordering-items-workflow"},
             {"version", -1},
             {"variables", Json{{"orderId", order_id}, {"items", Json::array({"book", "lamp"})}}}});
    h_.process();
    return request.request_id;
  }

  // The worker for `type`: activates the one job of that type, checks what it was given, and
  // completes it with `result`.
  void work(const std::string& type, const Json& expected_variables, const Json& result) {
    auto activated = h_.activate_jobs(type, 10).record.value;
    ASSERT_EQ(activated["jobs"].size(), 1u) << type;
    EXPECT_EQ(activated["jobs"][0]["variables"], expected_variables) << type;
    auto response = h_.complete_job(Key(activated["jobKeys"][0].get<std::int64_t>()), result);
    EXPECT_EQ(response.record.intent, Intent::kCompleted) << type;
  }

  // The awaited result of the creation request, once the instance completed.
  Json result_of(std::int64_t request_id) {
    auto it = h_.responses().find(request_id);
    if (it == h_.responses().end()) {
      ADD_FAILURE() << "the instance has not completed";
      return Json();
    }
    EXPECT_EQ(it->second.record.value_type, ValueType::kProcessInstanceResult);
    return it->second.record.value["variables"];
  }

  // Element ids completed after `since`, in order (sequence flows left out).
  std::vector<std::string> completed_since(Position since) const {
    std::vector<std::string> out;
    for (const auto& record :
         h_.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, since)) {
      out.push_back(record.value["elementId"].get<std::string>());
    }
    return out;
  }

  EngineHarness h_;
};

TEST_F(ScenarioTest, PaymentAfterTheReminderShipsTheOrder) {
  Position mark = h_.mark();
  auto request = start_order("order-1");
  Json given = {{"orderId", "order-1"}, {"items", Json::array({"book", "lamp"})}};
  work("validate-order", given, Json{{"inStock", true}});
  given["inStock"] = true;
  work("send-payment-notification", given, Json{{"billSent", true}});
  given["billSent"] = true;

  // Nobody pays within 5 minutes: the reminder timer wins the first race.
  h_.clock().advance_ms(4 * kMinuteMs);
  EXPECT_EQ(fire_due(h_), 0u);
  h_.clock().advance_ms(1 * kMinuteMs);
  EXPECT_EQ(fire_due(h_), 1u);
  work("send-friendly-reminder", given, Json{{"reminders", 1}});
  given["reminders"] = 1;

  // The payment arrives (for another order first, which does not correlate) within the next 10.
  h_.clock().advance_ms(3 * kMinuteMs);
  EXPECT_EQ(fire_due(h_), 0u);
  h_.command(ValueType::kMessage, Intent::kPublish,
             Json{{"name", "payment-received"},
                  {"correlationKey", "order-2"},
                  {"timeToLive", 0},
                  {"variables", Json{{"amountPaid", 1}}}});
  EXPECT_TRUE(h_.activate_jobs("send-bill").record.value["jobs"].empty());
  h_.command(ValueType::kMessage, Intent::kPublish,
             Json{{"name", "payment-received"},
                  {"correlationKey", "order-1"},
                  {"timeToLive", 0},
                  {"variables", Json{{"amountPaid", 42.5}}}});
  given["amountPaid"] = 42.5;

  // Accounting and delivery run in parallel; the instance ends when both are done.
  work("package-and-deliver", given, Json{{"trackingId", "T-1"}});
  given["trackingId"] = "T-1";
  EXPECT_EQ(h_.responses().count(request), 0u);
  work("send-bill", given, Json{{"accounted", true}});

  EXPECT_EQ(result_of(request), (Json{{"orderId", "order-1"},
                                      {"items", Json::array({"book", "lamp"})},
                                      {"inStock", true},
                                      {"billSent", true},
                                      {"reminders", 1},
                                      {"amountPaid", 42.5},
                                      {"trackingId", "T-1"},
                                      {"accounted", true}}));
  EXPECT_THAT(completed_since(mark),
              ElementsAre("StartEvent_1", "validate-order", "send-bill", "Gateway_1p6s0kg",
                          "wait-5min-timer", "send-friendly-reminder", "Gateway_12peq2t",
                          "payment-received-after-reminder", "Gateway_09cx3x2", "Gateway_0rwjci4",
                          "package-and-deliver", "update-accounting", "Gateway_11r4dfm",
                          "Event_End", "ordering-items-workflow"));
  // The 10-minute timer lost its race to the payment and was cancelled; a replica replaying the
  // log reaches the same state.
  EXPECT_EQ(h_.find_all(ValueType::kTimer, Intent::kCanceled, mark).size(), 1u);
  EXPECT_EQ(h_.digest(), h_.replayed_digest());
}

TEST_F(ScenarioTest, NoPaymentWithinFifteenMinutesCancelsTheOrder) {
  auto request = start_order("order-7");
  Json given = {{"orderId", "order-7"}, {"items", Json::array({"book", "lamp"})}};
  work("validate-order", given, Json{{"inStock", true}});
  given["inStock"] = true;
  work("send-payment-notification", given, Json::object());
  h_.clock().advance_ms(5 * kMinuteMs);
  EXPECT_EQ(fire_due(h_), 1u);
  work("send-friendly-reminder", given, Json{{"reminders", 1}});
  given["reminders"] = 1;
  h_.clock().advance_ms(10 * kMinuteMs);
  EXPECT_EQ(fire_due(h_), 1u);
  work("send-cancellation", given, Json{{"cancelled", true}});
  // A late payment finds nobody waiting.
  auto late = h_.command(ValueType::kMessage, Intent::kPublish,
                         Json{{"name", "payment-received"},
                              {"correlationKey", "order-7"},
                              {"timeToLive", 0},
                              {"variables", Json::object()}});
  EXPECT_EQ(late.record.intent, Intent::kPublished);
  EXPECT_EQ(result_of(request), (Json{{"orderId", "order-7"},
                                      {"items", Json::array({"book", "lamp"})},
                                      {"inStock", true},
                                      {"reminders", 1},
                                      {"cancelled", true}}));
  EXPECT_TRUE(h_.activate_jobs("package-and-deliver").record.value["jobs"].empty());
  EXPECT_EQ(h_.digest(), h_.replayed_digest());
}

TEST_F(ScenarioTest, PaymentBeforeTheReminderSkipsIt) {
  Position mark = h_.mark();
  auto request = start_order("order-3");
  work("validate-order", Json{{"orderId", "order-3"}, {"items", Json::array({"book", "lamp"})}},
       Json::object());
  work("send-payment-notification",
       Json{{"orderId", "order-3"}, {"items", Json::array({"book", "lamp"})}}, Json::object());
  h_.clock().advance_ms(2 * kMinuteMs);
  h_.command(ValueType::kMessage, Intent::kPublish,
             Json{{"name", "payment-received"},
                  {"correlationKey", "order-3"},
                  {"timeToLive", 0},
                  {"variables", Json{{"amountPaid", 10}}}});
  h_.clock().advance_ms(20 * kMinuteMs);
  EXPECT_EQ(fire_due(h_), 0u);  // the reminder timer was cancelled when the payment won
  Json given = {
      {"orderId", "order-3"}, {"items", Json::array({"book", "lamp"})}, {"amountPaid", 10}};
  work("send-bill", given, Json::object());
  work("package-and-deliver", given, Json{{"trackingId", "T-3"}});
  EXPECT_TRUE(h_.activate_jobs("send-friendly-reminder").record.value["jobs"].empty());
  given["trackingId"] = "T-3";
  EXPECT_EQ(result_of(request), given);
  EXPECT_EQ(h_.find_all(ValueType::kTimer, Intent::kCanceled, mark).size(), 1u);
}

}  // namespace
}  // namespace tern::engine::test::breadth
