// Inclusive gateway: the fork takes every outgoing flow whose condition holds (the default flow
// when none does; a CONDITION_ERROR incident when none does and there is no default, resolved by
// evaluating again); the join merges the tokens that arrived once no other token of its scope
// can still reach an incoming flow that has none. Cancellation while tokens wait at the join.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

std::string conditional(const std::string& id, const std::string& from, const std::string& to,
                        const std::string& condition) {
  return "<bpmn:sequenceFlow id=\"" + id + "\" sourceRef=\"" + from + "\" targetRef=\"" + to
         + "\"><bpmn:conditionExpression>=" + condition
         + "</bpmn:conditionExpression></bpmn:sequenceFlow>\n";
}

// start -> fork -(a)-> A, -(b)-> B, -(c)-> C -> join -> end; fork's default flow `fd` (when
// given) leads to D -> join as well.
std::string fork_join_model(bool with_default) {
  std::string fork = with_default ? "<bpmn:inclusiveGateway id=\"fork\" default=\"fd\" />"
                                  : "<bpmn:inclusiveGateway id=\"fork\" />";
  std::string body = "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "fork") + fork
                     + conditional("fa", "fork", "A", "a") + conditional("fb", "fork", "B", "b")
                     + conditional("fc", "fork", "C", "c") + service("A", "a") + service("B", "b")
                     + service("C", "c") + flow("ja", "A", "join") + flow("jb", "B", "join")
                     + flow("jc", "C", "join") + "<bpmn:inclusiveGateway id=\"join\" />"
                     + flow("fe", "join", "end") + "<bpmn:endEvent id=\"end\" />";
  if (with_default) body += flow("fd", "fork", "D") + service("D", "d") + flow("jd", "D", "join");
  return models::definitions("or", body);
}

Json choice(bool a, bool b, bool c) {
  return Json{{"a", a}, {"b", b}, {"c", c}};
}

const std::vector<std::string> kForkPrefix = {"COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT fork",
                                              "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING fork",
                                              "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED fork",
                                              "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING fork",
                                              "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED fork"};

// The records from the fork's activation on, up to (not including) the first job's activation.
std::vector<std::string> fork_stream(const EngineHarness& h, Position since) {
  auto all = stream_of(h, since, {ValueType::kProcessInstance});
  auto at = std::find(all.begin(), all.end(), kForkPrefix.front());
  return {at, all.end()};
}

// The lifecycle of a task that takes a token from its flow to its job.
std::vector<std::string> task_started(const std::string& flow_id, const std::string& task) {
  return {"EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN " + flow_id,
          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT " + task,
          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING " + task,
          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED " + task};
}

std::vector<std::string> concat(std::initializer_list<std::vector<std::string>> parts) {
  std::vector<std::string> out;
  for (const auto& part : parts)
    out.insert(out.end(), part.begin(), part.end());
  return out;
}

// The stream of completing the job of `task` (whose flow to the join is `flow_id`) when the join
// then waits: the token is on its flow and nothing is activated.
std::vector<std::string> arrives_and_waits(const std::string& task, const std::string& job_type,
                                           const std::string& flow_id) {
  return {"COMMAND JOB COMPLETE",
          "EVENT JOB COMPLETED " + job_type,
          "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT " + task,
          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING " + task,
          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED " + task,
          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN " + flow_id};
}

// The stream of completing the job of `task` when the join then merges and the instance ends.
std::vector<std::string> arrives_and_merges(const std::string& task, const std::string& job_type,
                                            const std::string& flow_id) {
  return concat({arrives_and_waits(task, job_type, flow_id),
                 {"COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT join",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING join",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED join",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING join",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED join",
                  "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN fe",
                  "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING end",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED end",
                  "COMMAND PROCESS_INSTANCE COMPLETE_ELEMENT or",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING or",
                  "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED or"}});
}

const std::vector<ValueType> kFlowAndJobs = {ValueType::kProcessInstance, ValueType::kJob};

std::vector<std::string> complete(EngineHarness& h, const std::string& job_type) {
  Key job = h.activate_one(job_type);
  Position mark = h.mark();
  h.complete_job(job);
  return stream_of(h, mark, kFlowAndJobs);
}

TEST(InclusiveGatewayTest, ForkTakesTheOneFlowWhoseConditionHoldsAndTheJoinMergesAtOnce) {
  EngineHarness h;
  h.deploy_process(fork_join_model(false));
  Position mark = h.mark();
  h.create_instance("or", choice(false, true, false));
  EXPECT_EQ(fork_stream(h, mark), concat({kForkPrefix, task_started("fb", "B")}));
  // Nothing else can reach the join: the one token merges alone.
  EXPECT_EQ(complete(h, "b"), arrives_and_merges("B", "b", "jb"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(InclusiveGatewayTest, ForkTakesTwoFlowsAndTheJoinWaitsForTheSecond) {
  EngineHarness h;
  h.deploy_process(fork_join_model(false));
  Position mark = h.mark();
  h.create_instance("or", choice(true, false, true));
  EXPECT_EQ(fork_stream(h, mark), concat({kForkPrefix,
                                          {"EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN fa",
                                           "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT A",
                                           "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN fc",
                                           "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT C",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING A",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED A",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING C",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED C"}}));
  // C is still active and can reach the join on `jc`: the join waits; then merges both.
  EXPECT_EQ(complete(h, "a"), arrives_and_waits("A", "a", "ja"));
  EXPECT_EQ(complete(h, "c"), arrives_and_merges("C", "c", "jc"));
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark).size(),
            7u);  // fork, A, C, join (once), end, the process, start
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(InclusiveGatewayTest, ForkTakesEveryFlowWhenAllConditionsHold) {
  EngineHarness h;
  h.deploy_process(fork_join_model(false));
  h.create_instance("or", choice(true, true, true));
  EXPECT_EQ(complete(h, "c"), arrives_and_waits("C", "c", "jc"));
  EXPECT_EQ(complete(h, "a"), arrives_and_waits("A", "a", "ja"));
  EXPECT_EQ(complete(h, "b"), arrives_and_merges("B", "b", "jb"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(InclusiveGatewayTest, ForkTakesTheDefaultFlowWhenNoConditionHolds) {
  EngineHarness h;
  h.deploy_process(fork_join_model(true));
  Position mark = h.mark();
  h.create_instance("or", choice(false, false, false));
  EXPECT_EQ(fork_stream(h, mark), concat({kForkPrefix, task_started("fd", "D")}));
  EXPECT_EQ(complete(h, "d"), arrives_and_merges("D", "d", "jd"));
  // With a condition holding, the default flow is not taken.
  mark = h.mark();
  h.create_instance("or", choice(true, false, false));
  EXPECT_EQ(fork_stream(h, mark), concat({kForkPrefix, task_started("fa", "A")}));
}

TEST(InclusiveGatewayTest,
     NoConditionHoldingAndNoDefaultRaisesAnIncidentResolvedByEvaluatingAgain) {
  EngineHarness h;
  h.deploy_process(fork_join_model(false));
  Position mark = h.mark();
  Key instance = h.create_instance("or", choice(false, false, false));
  auto all = stream(h, mark);
  std::vector<std::string> tail(all.end() - 3, all.end());
  EXPECT_THAT(tail, ElementsAre("COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT fork",
                                "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING fork",
                                "EVENT INCIDENT CREATED CONDITION_ERROR"));
  auto incident = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(incident.value["elementId"], "fork");
  EXPECT_EQ(incident.value["errorMessage"],
            "Expected at least one condition to evaluate to true, or to have a default flow");
  // A condition that is not boolean is an incident too (after a resolution that changes nothing).
  h.set_variables(instance, Json{{"b", "yes"}}, false);
  mark = h.mark();
  h.resolve(incident.key);
  EXPECT_THAT(stream(h, mark),
              ElementsAre("COMMAND INCIDENT RESOLVE", "EVENT INCIDENT RESOLVED CONDITION_ERROR",
                          "EVENT INCIDENT CREATED CONDITION_ERROR"));
  auto second = h.find(ValueType::kIncident, Intent::kCreated, mark);
  EXPECT_EQ(second.value["errorMessage"],
            "Expected result of the expression 'b' to be 'BOOLEAN', but was 'STRING'");
  h.set_variables(instance, Json{{"b", true}, {"c", true}}, false);
  mark = h.mark();
  h.resolve(second.key);
  EXPECT_THAT(stream(h, mark),
              ElementsAre("COMMAND INCIDENT RESOLVE", "EVENT INCIDENT RESOLVED CONDITION_ERROR",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED fork",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETING fork",
                          "EVENT PROCESS_INSTANCE ELEMENT_COMPLETED fork",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN fb",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT B",
                          "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN fc",
                          "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT C",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING B", "EVENT JOB CREATED b",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED B",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING C", "EVENT JOB CREATED c",
                          "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED C"));
  EXPECT_EQ(complete(h, "b"), arrives_and_waits("B", "b", "jb"));
  EXPECT_EQ(complete(h, "c"), arrives_and_merges("C", "c", "jc"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

// A token that goes straight from the fork to the join waits for the branch taken beside it,
// even though that branch's task is not activated yet when the join is reached.
TEST(InclusiveGatewayTest, AFlowStraightToTheJoinWaitsForTheTokenOnItsWayToTheOtherBranch) {
  EngineHarness h;
  h.deploy_process(models::definitions(
      "or", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "fork")
                + "<bpmn:inclusiveGateway id=\"fork\" />" + conditional("fs", "fork", "join", "a")
                + conditional("fb", "fork", "B", "b") + service("B", "b") + flow("jb", "B", "join")
                + "<bpmn:inclusiveGateway id=\"join\" />" + flow("fe", "join", "end")
                + "<bpmn:endEvent id=\"end\" />"));
  Position mark = h.mark();
  h.create_instance("or", Json{{"a", true}, {"b", true}});
  EXPECT_EQ(fork_stream(h, mark), concat({kForkPrefix,
                                          {"EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN fs",
                                           "EVENT PROCESS_INSTANCE SEQUENCE_FLOW_TAKEN fb",
                                           "COMMAND PROCESS_INSTANCE ACTIVATE_ELEMENT B",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATING B",
                                           "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED B"}}));
  EXPECT_EQ(complete(h, "b"), arrives_and_merges("B", "b", "jb"));
  // Only `a`: the join merges the one token at once.
  mark = h.mark();
  h.create_instance("or", Json{{"a", true}, {"b", false}});
  EXPECT_EQ(h.find_all(ValueType::kProcessInstance, Intent::kElementCompleted, mark).size(), 5u);
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

TEST(InclusiveGatewayTest, CancellingWhileATokenWaitsAtTheJoinTerminatesTheRestAndClearsTheJoin) {
  EngineHarness h;
  h.deploy_process(fork_join_model(false));
  Key instance = h.create_instance("or", choice(true, true, false));
  EXPECT_EQ(complete(h, "a"), arrives_and_waits("A", "a", "ja"));
  Position mark = h.mark();
  h.cancel(instance);
  EXPECT_THAT(stream_of(h, mark, kFlowAndJobs),
              ElementsAre("COMMAND PROCESS_INSTANCE CANCEL",
                          "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING or",
                          "COMMAND PROCESS_INSTANCE TERMINATE_ELEMENT B",
                          "EVENT PROCESS_INSTANCE ELEMENT_TERMINATING B", "EVENT JOB CANCELED b",
                          "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED B",
                          "EVENT PROCESS_INSTANCE ELEMENT_TERMINATED or"));
  EXPECT_TRUE(h.activate_jobs("b").record.value["jobKeys"].empty());
  // The waiting token went with its scope: a fresh instance leaves the same state behind as one
  // that never waited (the digest equals a replay, and a new instance merges normally).
  EXPECT_EQ(h.digest(), h.replayed_digest());
  h.create_instance("or", choice(true, false, false));
  EXPECT_EQ(complete(h, "a"), arrives_and_merges("A", "a", "ja"));
}

// The join inside a sub-process counts tokens of that scope only.
TEST(InclusiveGatewayTest, AJoinInASubProcessMergesTheTokensOfItsScope) {
  EngineHarness h;
  h.deploy_process(models::definitions(
      "or", "<bpmn:startEvent id=\"start\" />" + flow("f0", "start", "sub")
                + "<bpmn:subProcess id=\"sub\"><bpmn:startEvent id=\"inner\" />"
                + flow("f1", "inner", "fork") + "<bpmn:inclusiveGateway id=\"fork\" />"
                + conditional("fa", "fork", "A", "a") + conditional("fb", "fork", "B", "b")
                + service("A", "a") + service("B", "b") + flow("ja", "A", "join")
                + flow("jb", "B", "join") + "<bpmn:inclusiveGateway id=\"join\" />"
                + flow("fe", "join", "innerEnd") + "<bpmn:endEvent id=\"innerEnd\" />"
                + "</bpmn:subProcess>" + flow("f9", "sub", "end")
                + "<bpmn:endEvent id=\"end\" />"));
  h.create_instance("or", Json{{"a", true}, {"b", true}});
  Position mark = h.mark();
  h.complete_job(h.activate_one("a"));
  EXPECT_THAT(h.lifecycle_since(mark),
              ElementsAre("ELEMENT_COMPLETING A", "ELEMENT_COMPLETED A", "SEQUENCE_FLOW_TAKEN ja"));
  mark = h.mark();
  h.complete_job(h.activate_one("b"));
  EXPECT_THAT(
      h.lifecycle_since(mark),
      ElementsAre("ELEMENT_COMPLETING B", "ELEMENT_COMPLETED B", "SEQUENCE_FLOW_TAKEN jb",
                  "ELEMENT_ACTIVATING join", "ELEMENT_ACTIVATED join", "ELEMENT_COMPLETING join",
                  "ELEMENT_COMPLETED join", "SEQUENCE_FLOW_TAKEN fe", "ELEMENT_ACTIVATING innerEnd",
                  "ELEMENT_ACTIVATED innerEnd", "ELEMENT_COMPLETING innerEnd",
                  "ELEMENT_COMPLETED innerEnd", "ELEMENT_COMPLETING sub", "ELEMENT_COMPLETED sub",
                  "SEQUENCE_FLOW_TAKEN f9", "ELEMENT_ACTIVATING end", "ELEMENT_ACTIVATED end",
                  "ELEMENT_COMPLETING end", "ELEMENT_COMPLETED end", "ELEMENT_COMPLETING or",
                  "ELEMENT_COMPLETED or"));
  EXPECT_EQ(h.digest(), h.replayed_digest());
}

}  // namespace
}  // namespace tern::engine::test::breadth
