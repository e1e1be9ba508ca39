// The zbctl-like client commands of `tern`, run in process (run_cli) against a gateway that
// routes to real partition engines: deploy, create (with and without result), activate, complete,
// fail, set variables, cancel, resolve, publish, and their usage errors.

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <fstream>
#include <future>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/command.h"
#include "gateway/routing_fixture.h"
#include "support/temp_dir.h"

namespace tern::cli {
namespace {

using ::testing::HasSubstr;
using Json = nlohmann::json;

struct CliRun {
  int code;
  std::string out;
  std::string err;
};

class ClientCommands : public ::testing::Test {
 protected:
  CliRun run_tern(std::vector<std::string> args) {
    args.insert(args.begin(),
                {"--address", "127.0.0.1:" + std::to_string(cluster_.gateway_port())});
    std::ostringstream out;
    std::ostringstream err;
    int code = run_cli(args, {}, out, err);
    return CliRun{code, out.str(), err.str()};
  }

  std::string write_model() {
    auto path = dir_.path() / "order.bpmn";
    std::ofstream(path) << gateway::testing::one_task_process("order", "pack");
    return path.string();
  }

  gateway::testing::RoutingCluster cluster_{2};
  tern::test::TempDir dir_;
};

TEST_F(ClientCommands, DeployCreateActivateCompleteWithResult) {
  auto deployed = run_tern({"deploy", write_model()});
  ASSERT_EQ(deployed.code, kExitOk) << deployed.err;
  auto deployment = Json::parse(deployed.out);
  EXPECT_EQ(deployment["deployments"][0]["process"]["bpmnProcessId"], "order");
  EXPECT_EQ(deployment["deployments"][0]["process"]["resourceName"], "order.bpmn");

  auto created = run_tern({"create", "instance", "order", "--variables", R"({"qty": 2})"});
  ASSERT_EQ(created.code, kExitOk) << created.err;
  EXPECT_EQ(Json::parse(created.out)["bpmnProcessId"], "order");

  auto activated = run_tern({"activate", "jobs", "pack", "--max-jobs", "5"});
  ASSERT_EQ(activated.code, kExitOk) << activated.err;
  auto jobs = Json::parse(activated.out)["jobs"];
  ASSERT_EQ(jobs.size(), 1u) << activated.out;
  EXPECT_EQ(Json::parse(jobs[0]["variables"].get<std::string>()), Json({{"qty", 2}}));
  const std::string job_key = jobs[0]["key"].get<std::string>();  // int64 prints as a string

  auto completed = run_tern({"complete", "job", job_key, "--variables", R"({"packed": true})"});
  ASSERT_EQ(completed.code, kExitOk) << completed.err;
  EXPECT_EQ(completed.out, "Completed job with key '" + job_key + "'\n");

  auto with_result = std::async(std::launch::async, [&] {
    return run_tern(
        {"create", "instance", "order", "--with-result", "--variables", R"({"qty": 9})"});
  });
  auto second = run_tern({"activate", "jobs", "pack", "--request-timeout", "20000"});
  ASSERT_EQ(second.code, kExitOk) << second.err;
  auto second_jobs = Json::parse(second.out)["jobs"];
  ASSERT_EQ(second_jobs.size(), 1u) << second.out;
  ASSERT_EQ(run_tern({"complete", "job", second_jobs[0]["key"].get<std::string>()}).code, kExitOk);
  auto result = with_result.get();
  ASSERT_EQ(result.code, kExitOk) << result.err;
  EXPECT_EQ(Json::parse(Json::parse(result.out)["variables"].get<std::string>()),
            Json({{"qty", 9}}));
}

TEST_F(ClientCommands, FailSetVariablesAndCancel) {
  ASSERT_EQ(run_tern({"deploy", write_model()}).code, kExitOk);
  auto created = run_tern({"create", "instance", "order"});
  ASSERT_EQ(created.code, kExitOk) << created.err;
  const std::string instance = Json::parse(created.out)["processInstanceKey"].get<std::string>();

  auto set = run_tern({"set", "variables", instance, "--variables", R"({"note": "rush"})"});
  ASSERT_EQ(set.code, kExitOk) << set.err;
  EXPECT_TRUE(Json::parse(set.out).contains("key"));

  auto jobs = Json::parse(run_tern({"activate", "jobs", "pack"}).out)["jobs"];
  ASSERT_EQ(jobs.size(), 1u);
  const std::string job = jobs[0]["key"].get<std::string>();
  auto failed = run_tern({"fail", "job", job, "--retries", "2", "--error-message", "later"});
  ASSERT_EQ(failed.code, kExitOk) << failed.err;
  EXPECT_EQ(failed.out, "Failed job with key '" + job + "' and set remaining retries to '2'\n");

  auto canceled = run_tern({"cancel", "instance", instance});
  ASSERT_EQ(canceled.code, kExitOk) << canceled.err;
  EXPECT_EQ(canceled.out, "Canceled process instance with key '" + instance + "'\n");
  auto again = run_tern({"cancel", "instance", instance});
  EXPECT_EQ(again.code, kExitFailure);
  EXPECT_THAT(again.err, HasSubstr("NOT_FOUND: Command 'CANCEL' rejected with code 'NOT_FOUND'"));
}

TEST_F(ClientCommands, FailuresAndUsageErrorsSayWhat) {
  auto missing = run_tern({"create", "instance", "nope"});
  EXPECT_EQ(missing.code, kExitFailure);
  EXPECT_THAT(missing.err, HasSubstr("tern create: NOT_FOUND: Command 'CREATE' rejected"));

  auto incident = run_tern({"resolve", "incident", std::to_string((std::int64_t{1} << 51) + 99)});
  EXPECT_EQ(incident.code, kExitFailure);
  EXPECT_THAT(incident.err, HasSubstr("NOT_FOUND"));

  // A message id is unique per message name: publishing it again is refused.
  std::vector<std::string> publish_args = {
      "publish", "message", "paid", "--correlation-key", "order-1", "--message-id", "payment-1"};
  auto publish = run_tern(publish_args);
  EXPECT_EQ(publish.code, kExitOk) << publish.err;
  EXPECT_THAT(publish.out, HasSubstr("\"key\""));
  auto republished = run_tern(publish_args);
  EXPECT_EQ(republished.code, kExitFailure);
  EXPECT_THAT(republished.err, HasSubstr("ALREADY_EXISTS"));

  EXPECT_EQ(run_tern({"publish", "message", "paid"}).code, kExitUsage);
  EXPECT_THAT(run_tern({"publish", "message", "paid"}).err,
              HasSubstr("--correlation-key K is required"));
  EXPECT_EQ(run_tern({"complete", "job", "abc"}).code, kExitUsage);
  EXPECT_THAT(run_tern({"complete", "job", "abc"}).err, HasSubstr("KEY must be a whole number"));
  EXPECT_THAT(run_tern({"create", "process", "x"}).err, HasSubstr("expected 'instance'"));
  EXPECT_THAT(run_tern({"fail", "job", "1"}).err, HasSubstr("--retries N is required"));
  EXPECT_THAT(run_tern({"deploy"}).err, HasSubstr("expected a FILE"));
  EXPECT_THAT(run_tern({"deploy", "/nonexistent/x.bpmn"}).err, HasSubstr("cannot read"));
  EXPECT_THAT(run_tern({"activate", "jobs", "t", "--bogus"}).err,
              HasSubstr("unknown option --bogus"));
}

}  // namespace
}  // namespace tern::cli
