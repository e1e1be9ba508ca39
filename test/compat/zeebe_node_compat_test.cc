// Client compatibility: the unmodified `zeebe-node` npm package (a Zeebe client) asks Tern for its
// topology. Once against an in-process gateway, once against a real `ternd broker` on free ports.
// The package is installed from the npm registry into a temporary folder (reruns are fast thanks
// to npm's own cache in ~/.npm).

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "gateway/gateway_server.h"
#include "gateway/static_topology.h"
#include "support/free_port.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/temp_dir.h"

extern char** environ;

namespace tern::compat {
namespace {

using namespace std::chrono_literals;

// The last zeebe-node release; pinned so that a new release cannot change the test under us.
constexpr const char* kZeebeNodePackage = "zeebe-node@8.3.2";

// Every ZEEBE_* / CAMUNDA_* variable of the test's environment: the client must see only what the
// script passes it (no OAuth, no TLS, no address from the machine's environment).
std::vector<std::string> client_env_to_clear() {
  std::vector<std::string> names;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    std::string name = text.substr(0, text.find('='));
    if (name.rfind("ZEEBE_", 0) == 0 || name.rfind("CAMUNDA_", 0) == 0) names.push_back(name);
  }
  return names;
}

class ZeebeNodeClient {
 public:
  // Installs the package; the error carries npm's output.
  static tern::Result<std::unique_ptr<ZeebeNodeClient>, std::string> install() {
    auto client = std::unique_ptr<ZeebeNodeClient>(new ZeebeNodeClient());
    auto npm = test::run_process(
        {.executable = "npm",
         .args = {"install", "--prefix", client->dir_.path().string(), "--no-audit", "--no-fund",
                  "--loglevel=error", kZeebeNodePackage}},
        10min);
    if (!npm) return tern::unexpected("npm install did not run: " + npm.error());
    if (npm->exit_code != 0) {
      return tern::unexpected("npm install " + std::string(kZeebeNodePackage) + " failed (exit "
                              + std::to_string(npm->exit_code) + "):\n" + npm->out + npm->err);
    }
    return client;
  }

  // Runs the topology script against host:port; the parsed JSON, or what went wrong.
  tern::Result<nlohmann::json, std::string> topology(const std::string& address) const {
    auto node = test::run_process(
        {.executable = "node",
         .args = {(test::source_dir() / "test" / "compat" / "zeebe_topology.js").string(), address},
         .env = {{"NODE_PATH", (dir_.path() / "node_modules").string()}},
         .unset_env = client_env_to_clear()},
        2min);
    if (!node) return tern::unexpected(node.error());
    if (node->exit_code != 0) {
      return tern::unexpected("zeebe-node topology() failed (exit "
                              + std::to_string(node->exit_code) + "): " + node->err + node->out);
    }
    try {
      return nlohmann::json::parse(node->out);
    } catch (const nlohmann::json::exception& error) {
      return tern::unexpected("the script printed no JSON (" + std::string(error.what())
                              + "): " + node->out);
    }
  }

 private:
  ZeebeNodeClient() = default;
  test::TempDir dir_;
};

class ZeebeNodeCompat : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto installed = ZeebeNodeClient::install();
    if (installed) {
      client_ = std::move(installed.value());
    } else {
      install_error_ = installed.error();
    }
  }
  static void TearDownTestSuite() { client_.reset(); }

  void SetUp() override { ASSERT_NE(client_, nullptr) << install_error_; }

  static std::unique_ptr<ZeebeNodeClient> client_;
  static std::string install_error_;
};

std::unique_ptr<ZeebeNodeClient> ZeebeNodeCompat::client_;
std::string ZeebeNodeCompat::install_error_;

TEST_F(ZeebeNodeCompat, TopologyFromAnInProcessGateway) {
  auto source =
      std::make_shared<gateway::testing::StaticTopology>(gateway::testing::sample_topology());
  auto server =
      gateway::GatewayServer::start({.host = "127.0.0.1", .grpc_port = 0, .rest_port = 0}, source);
  ASSERT_TRUE(server.ok()) << server.error();

  auto topology = client_->topology("127.0.0.1:" + std::to_string((*server)->grpc_port()));
  ASSERT_TRUE(topology.ok()) << topology.error();
  const nlohmann::json& t = *topology;
  EXPECT_EQ(t.at("clusterSize"), 2) << t.dump();
  EXPECT_EQ(t.at("partitionsCount"), 2);
  EXPECT_EQ(t.at("replicationFactor"), 2);
  EXPECT_EQ(t.at("gatewayVersion"), TERN_TEST_PROJECT_VERSION);
  ASSERT_EQ(t.at("brokers").size(), 2u) << t.dump();
  const auto& broker = t.at("brokers").at(1);
  EXPECT_EQ(broker.at("nodeId"), 1);
  EXPECT_EQ(broker.at("host"), "10.0.0.2");
  EXPECT_EQ(broker.at("port"), 26511);
  EXPECT_EQ(broker.at("version"), "0.1.0");
  ASSERT_EQ(broker.at("partitions").size(), 2u);
  EXPECT_EQ(broker.at("partitions").at(0).at("role"), "INACTIVE");
  EXPECT_EQ(broker.at("partitions").at(0).at("health"), "DEAD");
  EXPECT_EQ(broker.at("partitions").at(1).at("partitionId"), 2);
  EXPECT_EQ(broker.at("partitions").at(1).at("role"), "LEADER");
  EXPECT_EQ(broker.at("partitions").at(1).at("health"), "HEALTHY");
}

// The real daemon, as `scripts/dev broker` runs it, on free ports with a temporary data folder.
TEST_F(ZeebeNodeCompat, TopologyFromARealSingleNodeBroker) {
  const auto ternd = test::binary_dir() / "ternd";
  ASSERT_TRUE(std::filesystem::exists(ternd)) << "ternd not built at " << ternd;
  test::TempDir data;
  const std::uint16_t gateway_port = test::free_port();
  const std::uint16_t command_port = test::free_port();
  auto daemon = test::Process::spawn(
      {.executable = ternd.string(),
       .args = {"broker"},
       .env = {{"TERN_GATEWAY_PORT", std::to_string(gateway_port)},
               {"TERN_GATEWAY_REST_PORT", std::to_string(test::free_port())},
               {"TERN_NETWORK_COMMAND_PORT", std::to_string(command_port)},
               {"TERN_NETWORK_CLUSTER_PORT", std::to_string(test::free_port())},
               {"TERN_NETWORK_MONITORING_PORT", std::to_string(test::free_port())},
               {"TERN_DATA_DIRECTORY", (data.path() / "data").string()}}});
  ASSERT_TRUE(daemon.ok()) << daemon.error();
  ASSERT_TRUE((*daemon)->wait_for_port(gateway_port, 60s))
      << "ternd did not open its gateway port " << gateway_port << "; stderr:\n"
      << (*daemon)->stderr_text() << "\nstdout:\n"
      << (*daemon)->stdout_text();

  // The partition elects its leader right after start; ask until it reports one (bounded).
  nlohmann::json t;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    auto topology = client_->topology("127.0.0.1:" + std::to_string(gateway_port));
    ASSERT_TRUE(topology.ok()) << topology.error() << "\nternd stderr:\n"
                               << (*daemon)->stderr_text();
    t = *topology;
    const auto& brokers = t.at("brokers");
    const bool has_leader = brokers.size() == 1 && !brokers[0].at("partitions").empty()
                            && brokers[0].at("partitions")[0].at("role") == "LEADER";
    if (has_leader || std::chrono::steady_clock::now() > deadline) break;
  }
  EXPECT_EQ(t.at("clusterSize"), 1) << t.dump();
  EXPECT_EQ(t.at("partitionsCount"), 1) << t.dump();
  EXPECT_EQ(t.at("replicationFactor"), 1) << t.dump();
  EXPECT_EQ(t.at("gatewayVersion"), TERN_TEST_PROJECT_VERSION);
  ASSERT_EQ(t.at("brokers").size(), 1u) << t.dump();
  const auto& broker = t.at("brokers")[0];
  EXPECT_EQ(broker.at("nodeId"), 0);
  EXPECT_EQ(broker.at("port"), command_port) << t.dump();
  EXPECT_EQ(broker.at("version"), TERN_TEST_PROJECT_VERSION);
  ASSERT_EQ(broker.at("partitions").size(), 1u) << t.dump();
  EXPECT_EQ(broker.at("partitions")[0].at("partitionId"), 1);
  EXPECT_EQ(broker.at("partitions")[0].at("role"), "LEADER");
  EXPECT_EQ(broker.at("partitions")[0].at("health"), "HEALTHY");

  // A clean stop on SIGTERM.
  EXPECT_EQ((*daemon)->stop(30s), 0) << (*daemon)->stderr_text();
}

}  // namespace
}  // namespace tern::compat
