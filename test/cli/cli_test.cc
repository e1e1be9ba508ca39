// The `tern` CLI: option parsing, and `tern status` run as a real process against an in-process
// gateway.

#include <gtest/gtest.h>

#include <sstream>

#include "cli/cli_context.h"
#include "cli/command.h"
#include "gateway/gateway_server.h"
#include "gateway/static_topology.h"
#include "support/free_port.h"
#include "support/paths.h"
#include "support/process.h"

namespace tern::cli {
namespace {

using namespace std::chrono_literals;

TEST(ParseInvocation, DefaultsPointAtTheLocalPorts) {
  auto invocation = parse_invocation({"status"}, {});
  ASSERT_TRUE(invocation.ok()) << invocation.error();
  EXPECT_EQ(invocation->command, "status");
  EXPECT_EQ(invocation->endpoints.address, "127.0.0.1:26500");
  EXPECT_EQ(invocation->endpoints.management, "http://127.0.0.1:9600");
  EXPECT_EQ(invocation->endpoints.rest, "http://127.0.0.1:8080");
}

TEST(ParseInvocation, EnvironmentOverridesDefaultsAndFlagsOverrideEnvironment) {
  const EnvLookup env = {{"TERN_ADDRESS", "env-host:1"},
                         {"TERN_MANAGEMENT_ADDRESS", "http://env:2"},
                         {"TERN_REST_ADDRESS", "http://env:3"}};
  auto from_env = parse_invocation({"status"}, env);
  ASSERT_TRUE(from_env.ok()) << from_env.error();
  EXPECT_EQ(from_env->endpoints.address, "env-host:1");
  EXPECT_EQ(from_env->endpoints.management, "http://env:2");
  EXPECT_EQ(from_env->endpoints.rest, "http://env:3");

  auto from_flags = parse_invocation({"--address", "flag-host:4", "status",
                                      "--management=http://flag:5", "--rest", "http://flag:6"},
                                     env);
  ASSERT_TRUE(from_flags.ok()) << from_flags.error();
  EXPECT_EQ(from_flags->endpoints.address, "flag-host:4");
  EXPECT_EQ(from_flags->endpoints.management, "http://flag:5");
  EXPECT_EQ(from_flags->endpoints.rest, "http://flag:6");
  EXPECT_EQ(from_flags->command, "status");
  EXPECT_TRUE(from_flags->command_args.empty());
}

TEST(ParseInvocation, BadOptionsAreNamed) {
  auto missing = parse_invocation({"--address"}, {});
  ASSERT_FALSE(missing.ok());
  EXPECT_EQ(missing.error(), "--address needs a value");

  auto unknown = parse_invocation({"--frobnicate", "status"}, {});
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error(), "unknown option '--frobnicate'");

  auto bad_address = parse_invocation({"--address", "no-port", "status"}, {});
  ASSERT_FALSE(bad_address.ok());
  EXPECT_NE(bad_address.error().find("'no-port'"), std::string::npos);
}

TEST(RunCli, HelpListsCommandsAndGlobalOptions) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_cli({"--help"}, {}, out, err), kExitOk);
  for (const char* needle : {"status", "--address", "TERN_ADDRESS", "--management",
                             "TERN_MANAGEMENT_ADDRESS", "--rest", "TERN_REST_ADDRESS"}) {
    EXPECT_NE(out.str().find(needle), std::string::npos) << needle;
  }
}

TEST(RunCli, HelpCommandShowsGeneralOrCommandHelp) {
  std::ostringstream general;
  std::ostringstream err;
  EXPECT_EQ(run_cli({"help"}, {}, general, err), kExitOk);
  EXPECT_EQ(general.str(), general_help());

  std::ostringstream status;
  EXPECT_EQ(run_cli({"help", "status"}, {}, status, err), kExitOk);
  EXPECT_NE(status.str().find("Usage: tern [global options] status"), std::string::npos)
      << status.str();
  std::ostringstream flag;
  EXPECT_EQ(run_cli({"status", "--help"}, {}, flag, err), kExitOk);
  EXPECT_EQ(flag.str(), status.str());

  std::ostringstream unknown;
  std::ostringstream unknown_err;
  EXPECT_EQ(run_cli({"help", "launch"}, {}, unknown, unknown_err), kExitUsage);
  EXPECT_NE(unknown_err.str().find("unknown command 'launch'"), std::string::npos);
}

TEST(RunCli, UnknownCommandIsAUsageError) {
  std::ostringstream out;
  std::ostringstream err;
  EXPECT_EQ(run_cli({"launch"}, {}, out, err), kExitUsage);
  EXPECT_NE(err.str().find("unknown command 'launch'"), std::string::npos) << err.str();
}

// `tern status` as a user runs it: the real binary, a real gateway.
class TernStatusTest : public ::testing::Test {
 protected:
  void SetUp() override {
    gateway::ClusterTopology topology;
    topology.brokers.push_back(gateway::BrokerInfo{
        .node_id = 0,
        .host = "127.0.0.1",
        .port = 26501,
        .version = "0.1.0",
        .region = "",
        .partitions = {{1, gateway::PartitionRole::kLeader, gateway::PartitionHealth::kHealthy}}});
    topology.cluster_size = 1;
    topology.partitions_count = 1;
    topology.replication_factor = 1;
    topology.gateway_version = "0.1.0";
    auto server =
        gateway::GatewayServer::start({.host = "127.0.0.1", .grpc_port = 0, .rest_port = 0},
                                      std::make_shared<gateway::testing::StaticTopology>(topology));
    ASSERT_TRUE(server.ok()) << server.error();
    server_ = std::move(server.value());
    address_ = "127.0.0.1:" + std::to_string(server_->grpc_port());
  }

  tern::Result<test::Completed, std::string> tern(std::vector<std::string> args,
                                                  std::map<std::string, std::string> env = {}) {
    return test::run_process(
        {.executable = (test::binary_dir() / "tern").string(),
         .args = std::move(args),
         .env = std::move(env),
         .unset_env = {"TERN_ADDRESS", "TERN_MANAGEMENT_ADDRESS", "TERN_REST_ADDRESS"}},
        60s);
  }

  std::unique_ptr<gateway::GatewayServer> server_;
  std::string address_;
};

constexpr const char* kExpectedStatus =
    "Cluster size: 1\n"
    "Partitions count: 1\n"
    "Replication factor: 1\n"
    "Gateway version: 0.1.0\n"
    "Brokers:\n"
    "  Broker 0 - 127.0.0.1:26501\n"
    "    Version: 0.1.0\n"
    "    Partition 1 : Leader, Healthy\n";

TEST_F(TernStatusTest, PrintsTheTopologyFromTheAddressFlag) {
  auto result = tern({"status", "--address", address_});
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_EQ(result->out, kExpectedStatus);
}

TEST_F(TernStatusTest, FindsTheGatewayThroughTernAddress) {
  auto result = tern({"status"}, {{"TERN_ADDRESS", address_}});
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->exit_code, 0) << result->err;
  EXPECT_EQ(result->out, kExpectedStatus);
}

TEST_F(TernStatusTest, UnreachableGatewayExitsOneNamingTheAddress) {
  const std::string nowhere = "127.0.0.1:" + std::to_string(test::free_port());
  auto result = tern({"--address", nowhere, "status"});
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_TRUE(result->out.empty()) << result->out;
  EXPECT_NE(result->err.find("cannot reach the gateway at " + nowhere), std::string::npos)
      << result->err;
}

TEST_F(TernStatusTest, HelpExitsZero) {
  auto result = tern({"--help"});
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->exit_code, 0);
  EXPECT_NE(result->out.find("Usage:"), std::string::npos) << result->out;
  EXPECT_NE(result->out.find("status"), std::string::npos) << result->out;
}

}  // namespace
}  // namespace tern::cli
