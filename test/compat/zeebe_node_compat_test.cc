// Client compatibility: the unmodified `zeebe-node` npm package (a Zeebe client) against Tern:
// its topology from an in-process gateway, a real `ternd broker` on free ports and a standalone
// `ternd gateway`; its everyday path (deploy, create, work, create-with-result, a message that
// correlates on another partition) in process and against a real three-broker cluster.
// The package is installed from the npm registry into a temporary folder (reruns are fast thanks
// to npm's own cache in ~/.npm).

#include <google/protobuf/descriptor.h>
#include <google/protobuf/descriptor.pb.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <fstream>
#include <nlohmann/json.hpp>
#include <set>

#include "gateway.pb.h"
#include "gateway/gateway_server.h"
#include "gateway/routing_fixture.h"
#include "gateway/static_topology.h"
#include "integration/support/ternd_cluster.h"
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
    auto node = run_script(address, "topology");
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

  std::string node_path() const { return (dir_.path() / "node_modules").string(); }

  // The protocol definition the package ships and its client is generated from.
  std::filesystem::path proto_dir() const {
    return dir_.path() / "node_modules" / "zeebe-node" / "proto";
  }

  // Runs the script's `operation` against host:port and returns how it ended.
  tern::Result<test::Completed, std::string> run_script(const std::string& address,
                                                        const std::string& operation) const {
    return test::run_process(
        {.executable = "node",
         .args = {(test::source_dir() / "test" / "compat" / "zeebe_client.js").string(), address,
                  operation},
         .env = {{"NODE_PATH", (dir_.path() / "node_modules").string()}},
         .unset_env = client_env_to_clear()},
        2min);
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

// Every message, field and RPC of the protocol as zeebe-node defines it exists in Tern's
// gateway.proto with the same number, type, label and streaming: what makes the two
// wire-compatible. (Tern's file may have more: zeebe-node's copy predates RPCs such as
// MigrateProcessInstance.)
class ProtocolComparison {
 public:
  explicit ProtocolComparison(const google::protobuf::DescriptorPool& ours) : ours_(ours) {}

  void compare_message(const google::protobuf::Descriptor& theirs) {
    const auto* mine = ours_.FindMessageTypeByName(theirs.full_name());
    if (mine == nullptr) {
      problems_.push_back("message " + theirs.full_name() + " is missing");
      return;
    }
    for (int i = 0; i < theirs.field_count(); ++i) {
      const auto& field = *theirs.field(i);
      const auto* own = mine->FindFieldByName(field.name());
      const std::string where = theirs.full_name() + "." + field.name();
      if (own == nullptr) {
        problems_.push_back("field " + where + " is missing");
        continue;
      }
      if (own->number() != field.number())
        problems_.push_back("field " + where + " has another number");
      if (own->type() != field.type()) problems_.push_back("field " + where + " has another type");
      if (own->is_repeated() != field.is_repeated()) {
        problems_.push_back("field " + where + " differs in being repeated");
      }
      if (field.message_type() != nullptr
          && (own->message_type() == nullptr
              || own->message_type()->full_name() != field.message_type()->full_name())) {
        problems_.push_back("field " + where + " has another message type");
      }
      if (field.enum_type() != nullptr) {
        for (int v = 0; v < field.enum_type()->value_count(); ++v) {
          const auto& value = *field.enum_type()->value(v);
          const auto* own_value = own->enum_type() == nullptr
                                      ? nullptr
                                      : own->enum_type()->FindValueByName(value.name());
          if (own_value == nullptr || own_value->number() != value.number()) {
            problems_.push_back("enum value " + value.full_name() + " is missing or renumbered");
          }
        }
      }
    }
    for (int i = 0; i < theirs.nested_type_count(); ++i)
      compare_message(*theirs.nested_type(i));
  }

  void compare_service(const google::protobuf::ServiceDescriptor& theirs) {
    const auto* mine = ours_.FindServiceByName(theirs.full_name());
    if (mine == nullptr) {
      problems_.push_back("service " + theirs.full_name() + " is missing");
      return;
    }
    for (int i = 0; i < theirs.method_count(); ++i) {
      const auto& method = *theirs.method(i);
      const auto* own = mine->FindMethodByName(method.name());
      if (own == nullptr) {
        problems_.push_back("rpc " + method.name() + " is missing");
        continue;
      }
      if (own->input_type()->full_name() != method.input_type()->full_name()
          || own->output_type()->full_name() != method.output_type()->full_name()
          || own->client_streaming() != method.client_streaming()
          || own->server_streaming() != method.server_streaming()) {
        problems_.push_back("rpc " + method.name() + " has another signature");
      }
    }
  }

  const std::vector<std::string>& problems() const { return problems_; }

 private:
  const google::protobuf::DescriptorPool& ours_;
  std::vector<std::string> problems_;
};

TEST_F(ZeebeNodeCompat, GatewayProtoIsASupersetOfTheClientsProtocol) {
  test::TempDir work;
  const auto descriptor_set = work.path() / "zeebe.pb";
  auto protoc = test::run_process(
      {.executable = TERN_TEST_PROTOC,
       .args = {"--proto_path=" + client_->proto_dir().string(),
                "--descriptor_set_out=" + descriptor_set.string(), "zeebe.proto"}},
      2min);
  ASSERT_TRUE(protoc.ok()) << protoc.error();
  ASSERT_EQ(protoc->exit_code, 0) << protoc->err;

  std::ifstream in(descriptor_set, std::ios::binary);
  google::protobuf::FileDescriptorSet files;
  ASSERT_TRUE(files.ParseFromIstream(&in));
  ASSERT_EQ(files.file_size(), 1);
  google::protobuf::DescriptorPool theirs;
  const auto* file = theirs.BuildFile(files.file(0));
  ASSERT_NE(file, nullptr);
  ASSERT_EQ(file->package(), "gateway_protocol");
  ASSERT_EQ(file->service_count(), 1);

  // Make sure Tern's generated descriptors are linked in and registered.
  ASSERT_NE(gateway_protocol::TopologyResponse::descriptor(), nullptr);
  ProtocolComparison comparison(*google::protobuf::DescriptorPool::generated_pool());
  for (int i = 0; i < file->message_type_count(); ++i) {
    comparison.compare_message(*file->message_type(i));
  }
  comparison.compare_service(*file->service(0));
  std::string report;
  for (const auto& problem : comparison.problems())
    report += "\n  " + problem;
  EXPECT_TRUE(comparison.problems().empty())
      << "gateway.proto differs from zeebe-node's:" << report;
  // zeebe-node 8.3.2 defines 19 RPCs; an empty comparison would prove nothing.
  EXPECT_GE(file->service(0)->method_count(), 19);

  // The comparison itself notices a renumbered field: compare a doctored copy of the client's
  // protocol against the original.
  google::protobuf::FileDescriptorProto doctored = files.file(0);
  doctored.set_name("doctored.proto");
  for (auto& message : *doctored.mutable_message_type()) {
    if (message.name() == "TopologyResponse") message.mutable_field(1)->set_number(42);
  }
  google::protobuf::DescriptorPool doctored_pool;
  const auto* doctored_file = doctored_pool.BuildFile(doctored);
  ASSERT_NE(doctored_file, nullptr);
  google::protobuf::FileDescriptorProto original = files.file(0);
  original.set_name("original.proto");
  google::protobuf::DescriptorPool original_pool;
  ASSERT_NE(original_pool.BuildFile(original), nullptr);
  ProtocolComparison check(original_pool);
  const auto* doctored_message = doctored_file->FindMessageTypeByName("TopologyResponse");
  ASSERT_NE(doctored_message, nullptr);
  check.compare_message(*doctored_message);
  ASSERT_EQ(check.problems().size(), 1u);
  EXPECT_EQ(check.problems()[0],
            "field gateway_protocol.TopologyResponse.clusterSize has another number");
}

// An RPC Tern does not implement yet reaches the client as an error naming it, never as a fake
// success.
TEST_F(ZeebeNodeCompat, UnimplementedRpcReachesTheClientAsANamedError) {
  auto source =
      std::make_shared<gateway::testing::StaticTopology>(gateway::testing::sample_topology());
  auto server =
      gateway::GatewayServer::start({.host = "127.0.0.1", .grpc_port = 0, .rest_port = 0}, source);
  ASSERT_TRUE(server.ok()) << server.error();

  auto decision =
      client_->run_script("127.0.0.1:" + std::to_string((*server)->grpc_port()), "decision");
  ASSERT_TRUE(decision.ok()) << decision.error();
  EXPECT_EQ(decision->exit_code, 1) << decision->out << decision->err;
  EXPECT_NE(decision->err.find("UNIMPLEMENTED"), std::string::npos) << decision->err;
  EXPECT_NE(decision->err.find("EvaluateDecision is not implemented yet in Tern"),
            std::string::npos)
      << decision->err;
}

// Runs the client's everyday path (zeebe_client.js "scenario") against `port`: deploy, create
// instances (round-robin over `partitions`), a worker completing jobs (long-polling ActivateJobs),
// create-with-result, and a published message that correlates with an instance on another
// partition; checks what each step returned.
void expect_everyday_path(const ZeebeNodeClient& client, std::uint16_t port,
                          std::int64_t partitions, const std::string& logs_on_failure = "") {
  test::TempDir dir;
  const auto model = dir.path() / "compat.bpmn";
  const auto message_model = dir.path() / "compat-message.bpmn";
  {
    std::ofstream file(model);
    file << gateway::testing::one_task_process("compat", "compat-task");
    std::ofstream message_file(message_model);
    message_file << gateway::testing::message_then_task_process("compat-message", "compat-paid",
                                                                "compat-after-message");
  }
  auto run = test::run_process(
      {.executable = "node",
       .args = {(test::source_dir() / "test" / "compat" / "zeebe_client.js").string(),
                "127.0.0.1:" + std::to_string(port), "scenario", model.string(),
                message_model.string()},
       .env = {{"NODE_PATH", client.node_path()}},
       .unset_env = client_env_to_clear()},
      2min);
  ASSERT_TRUE(run.ok()) << run.error();
  ASSERT_EQ(run->exit_code, 0) << run->err << run->out << logs_on_failure;
  const auto out = nlohmann::json::parse(run->out);
  ASSERT_EQ(out.at("deployed").size(), 1u) << out.dump();
  EXPECT_EQ(out.at("deployed").at(0).at("bpmnProcessId"), "compat");
  EXPECT_EQ(out.at("deployed").at(0).at("version"), 1);
  ASSERT_EQ(out.at("created").size(), 5u);
  std::set<std::int64_t> used;
  for (const auto& created : out.at("created")) {
    // zeebe-node hands 64-bit keys over as strings.
    const std::int64_t key = std::stoll(created.at("key").get<std::string>());
    used.insert(static_cast<std::int64_t>(static_cast<std::uint64_t>(key) >> 51));
  }
  std::set<std::int64_t> all;
  for (std::int64_t p = 1; p <= partitions; ++p)
    all.insert(p);
  EXPECT_EQ(used, all) << "instances go round-robin";
  EXPECT_EQ(out.at("result"), (nlohmann::json{{"done", true}, {"n", 42}})) << out.dump();
  EXPECT_GE(out.at("completed").get<int>(), 6);

  // The message correlated with an instance on another partition than its own.
  const auto& message = out.at("message");
  EXPECT_NE(message.at("instancePartition"), message.at("messagePartition")) << out.dump();
  EXPECT_EQ(message.at("correlatedInstance"), message.at("instance")) << out.dump();
  EXPECT_EQ(message.at("amount"), 42) << out.dump();
  const std::int64_t message_key = std::stoll(message.at("messageKey").get<std::string>());
  EXPECT_EQ(static_cast<std::int64_t>(static_cast<std::uint64_t>(message_key) >> 51),
            message.at("messagePartition").get<std::int64_t>());
  // A message nobody waits for is published all the same (it waits out its time to live).
  ASSERT_TRUE(out.at("publish").contains("ok")) << out.dump();
  EXPECT_FALSE(out.at("publish").at("ok").at("key").get<std::string>().empty()) << out.dump();
}

// In process: a gateway routing to real partition engines (two partitions).
TEST_F(ZeebeNodeCompat, DeployCreateWorkAndResultsThroughRouting) {
  gateway::testing::RoutingCluster cluster(2);
  expect_everyday_path(*client_, cluster.gateway_port(), 2);
}

// The same against a real cluster: three `ternd broker` processes, three partitions,
// replication factor 3, through the gateway embedded in broker 0.
TEST_F(ZeebeNodeCompat, DeployCreateWorkResultsAndMessagesOnARealCluster) {
  test::TempDir dir;
  test::TerndCluster cluster(dir.path(), {});
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_all_leaders(60s)) << cluster.log_of(0);
  expect_everyday_path(*client_, cluster.client_port(), 3, cluster.log_of(0));
}

// A `ternd` process on free ports with a temporary data folder, stopped by the destructor.
struct Daemon {
  std::uint16_t gateway_port = test::free_port();
  std::uint16_t rest_port = test::free_port();
  std::uint16_t command_port = test::free_port();
  std::uint16_t cluster_port = test::free_port();
  std::uint16_t monitoring_port = test::free_port();
  test::TempDir data;
  std::unique_ptr<test::Process> process;

  // Starts `ternd <mode>` and waits for its gRPC gateway port; a failure names what went wrong.
  tern::Result<void, std::string> start(const std::string& mode,
                                        std::map<std::string, std::string> extra_env = {}) {
    const auto ternd = test::binary_dir() / "ternd";
    if (!std::filesystem::exists(ternd))
      return tern::unexpected("ternd not built at " + ternd.string());
    std::map<std::string, std::string> env = {
        {"TERN_GATEWAY_PORT", std::to_string(gateway_port)},
        {"TERN_GATEWAY_REST_PORT", std::to_string(rest_port)},
        {"TERN_NETWORK_COMMAND_PORT", std::to_string(command_port)},
        {"TERN_NETWORK_CLUSTER_PORT", std::to_string(cluster_port)},
        {"TERN_NETWORK_MONITORING_PORT", std::to_string(monitoring_port)},
        {"TERN_DATA_DIRECTORY", (data.path() / "data").string()}};
    for (auto& [name, value] : extra_env)
      env[name] = value;
    auto spawned = test::Process::spawn({.executable = ternd.string(), .args = {mode}, .env = env});
    if (!spawned) return tern::unexpected(spawned.error());
    process = std::move(spawned.value());
    if (!process->wait_for_port(gateway_port, std::chrono::seconds(60))) {
      return tern::unexpected("ternd " + mode + " did not open its gateway port "
                              + std::to_string(gateway_port) + "; stderr:\n"
                              + process->stderr_text() + "\nstdout:\n" + process->stdout_text());
    }
    return {};
  }

  std::string logs() const {
    return process ? process->stderr_text() + process->stdout_text() : "";
  }
};

// Asks through zeebe-node until a single broker reports partition 1 as leader, or 60 s pass (the
// partition elects its leader right after start; a standalone gateway learns it on its next
// poll). Returns the last answer either way: the caller's assertions say what was wrong.
nlohmann::json topology_with_leader(const ZeebeNodeClient& client, std::uint16_t port,
                                    const Daemon& daemon) {
  nlohmann::json t;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  for (;;) {
    auto topology = client.topology("127.0.0.1:" + std::to_string(port));
    EXPECT_TRUE(topology.ok()) << topology.error() << "\nternd output:\n" << daemon.logs();
    if (!topology.ok()) return t;
    t = *topology;
    const auto& brokers = t.at("brokers");
    const bool has_leader = brokers.size() == 1 && !brokers[0].at("partitions").empty()
                            && brokers[0].at("partitions")[0].at("role") == "LEADER";
    if (has_leader || std::chrono::steady_clock::now() > deadline) return t;
  }
}

// What a fresh single-node broker with the default configuration must report.
void expect_single_node_cluster(const nlohmann::json& t, std::uint16_t command_port) {
  EXPECT_EQ(t.at("clusterSize"), 1) << t.dump();
  EXPECT_EQ(t.at("partitionsCount"), 1) << t.dump();
  EXPECT_EQ(t.at("replicationFactor"), 1) << t.dump();
  EXPECT_EQ(t.at("gatewayVersion"), TERN_TEST_PROJECT_VERSION);
  ASSERT_EQ(t.at("brokers").size(), 1u) << t.dump();
  const auto& broker = t.at("brokers")[0];
  EXPECT_EQ(broker.at("nodeId"), 0);
  EXPECT_EQ(broker.at("host"), "127.0.0.1");
  EXPECT_EQ(broker.at("port"), command_port) << t.dump();
  EXPECT_EQ(broker.at("version"), TERN_TEST_PROJECT_VERSION);
  ASSERT_EQ(broker.at("partitions").size(), 1u) << t.dump();
  EXPECT_EQ(broker.at("partitions")[0].at("partitionId"), 1);
  EXPECT_EQ(broker.at("partitions")[0].at("role"), "LEADER");
  EXPECT_EQ(broker.at("partitions")[0].at("health"), "HEALTHY");
}

// The real daemon, as `scripts/dev broker` runs it: zeebe-node, `tern status` and the REST port
// all see the same single-node cluster.
TEST_F(ZeebeNodeCompat, TopologyFromARealSingleNodeBroker) {
  Daemon broker;
  auto started = broker.start("broker");
  ASSERT_TRUE(started.ok()) << started.error();

  const nlohmann::json t = topology_with_leader(*client_, broker.gateway_port, broker);
  expect_single_node_cluster(t, broker.command_port);

  auto status = test::run_process(
      {.executable = (test::binary_dir() / "tern").string(),
       .args = {"--address", "127.0.0.1:" + std::to_string(broker.gateway_port), "status"}},
      60s);
  ASSERT_TRUE(status.ok()) << status.error();
  EXPECT_EQ(status->exit_code, 0) << status->err;
  const std::string version = TERN_TEST_PROJECT_VERSION;
  EXPECT_EQ(status->out, "Cluster size: 1\n"
                         "Partitions count: 1\n"
                         "Replication factor: 1\n"
                         "Gateway version: " + version + "\n"
                         "Brokers:\n"
                         "  Broker 0 - 127.0.0.1:" + std::to_string(broker.command_port) + "\n"
                         "    Version: " + version + "\n"
                         "    Partition 1 : Leader, Healthy\n");

  httplib::Client rest("127.0.0.1", broker.rest_port);
  rest.set_read_timeout(30, 0);
  auto response = rest.Get("/v2/topology");
  ASSERT_TRUE(response) << httplib::to_string(response.error());
  ASSERT_EQ(response->status, 200) << response->body;
  const auto json = nlohmann::json::parse(response->body);
  EXPECT_EQ(json.at("clusterSize"), 1);
  EXPECT_EQ(json.at("brokers").at(0).at("partitions").at(0),
            (nlohmann::json{{"partitionId", 1}, {"role", "leader"}, {"health", "healthy"}}))
      << json.dump();

  // A clean stop on SIGTERM.
  EXPECT_EQ(broker.process->stop(30s), 0) << broker.logs();
}

// A standalone `ternd gateway` learns the cluster from the broker's command port (contact point)
// and reports it to an unmodified client.
TEST_F(ZeebeNodeCompat, TopologyThroughAStandaloneGateway) {
  Daemon broker;
  auto broker_started = broker.start("broker");
  ASSERT_TRUE(broker_started.ok()) << broker_started.error();
  Daemon gateway;
  auto gateway_started = gateway.start(
      "gateway",
      {{"TERN_CLUSTER_CONTACT_POINTS", "127.0.0.1:" + std::to_string(broker.command_port)}});
  ASSERT_TRUE(gateway_started.ok()) << gateway_started.error();

  const nlohmann::json t = topology_with_leader(*client_, gateway.gateway_port, gateway);
  expect_single_node_cluster(t, broker.command_port);

  EXPECT_EQ(gateway.process->stop(30s), 0) << gateway.logs();
  EXPECT_EQ(broker.process->stop(30s), 0) << broker.logs();
}

}  // namespace
}  // namespace tern::compat
