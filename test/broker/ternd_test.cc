// The real daemon: `ternd broker` and `ternd gateway` as child processes on free loopback ports
// with temporary data directories. Health probes, the command API (gRPC and the command stream),
// the embedded and standalone gateways, SIGTERM, and the start-up errors with their exit codes.

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

extern char** environ;  // NOLINT: POSIX

#include <chrono>
#include <csignal>
#include <fstream>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>
#include <thread>

#include "broker/data_directory.h"
#include "command_api.grpc.pb.h"
#include "common/version.h"
#include "gateway/link/command_frames.h"
#include "support/free_port.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

using ::testing::HasSubstr;
using namespace std::chrono_literals;

constexpr auto kStartTimeout = 30s;

std::string ternd() {
  return (binary_dir() / "ternd").string();
}

// Distinct free ports (free_port() alone may hand out one port twice).
std::vector<std::uint16_t> distinct_ports(std::size_t count) {
  std::set<std::uint16_t> ports;
  while (ports.size() < count)
    ports.insert(free_port());
  return {ports.begin(), ports.end()};
}

struct BrokerPorts {
  std::uint16_t command, cluster, monitoring, gateway, rest;
};

BrokerPorts broker_ports() {
  auto p = distinct_ports(5);
  return {p[0], p[1], p[2], p[3], p[4]};
}

// A config file naming the ports and the data directory; other keys come from `extra`.
std::filesystem::path write_config(const TempDir& dir, const BrokerPorts& ports,
                                   const std::string& extra = "", const std::string& name = "b") {
  auto path = dir.path() / (name + ".yaml");
  std::ofstream out(path);
  out << "network:\n  command-port: " << ports.command << "\n  cluster-port: " << ports.cluster
      << "\n  monitoring-port: " << ports.monitoring << "\ngateway:\n  port: " << ports.gateway
      << "\n  rest-port: " << ports.rest << "\ndata:\n  directory: " << (dir.path() / name).string()
      << "\n"
      << extra;
  return path;
}

// ternd with these arguments and TERN_ variables, and none of the TERN_ variables this test runs
// with (TERN_SOURCE_DIR and the like), which would add a warning to its output.
ProcessOptions ternd_options(std::vector<std::string> args,
                             std::map<std::string, std::string> env = {}) {
  ProcessOptions options{ternd(), std::move(args), std::move(env), {}, {}, {}, {}};
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string_view text(*entry);
    std::string name(text.substr(0, text.find('=')));
    if (name.rfind("TERN_", 0) == 0 && options.env.count(name) == 0) {
      options.unset_env.push_back(name);
    }
  }
  return options;
}

std::unique_ptr<Process> spawn_ternd(std::vector<std::string> args,
                                     std::map<std::string, std::string> env = {}) {
  auto spawned = Process::spawn(ternd_options(std::move(args), std::move(env)));
  EXPECT_TRUE(spawned.ok()) << (spawned.ok() ? "" : spawned.error());
  return spawned.ok() ? std::move(*spawned) : nullptr;
}

struct HttpAnswer {
  int status = 0;
  nlohmann::json body;
};

HttpAnswer http_get(std::uint16_t port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(2s);
  client.set_read_timeout(5s);
  auto response = client.Get(path.c_str());
  if (!response) return {};
  return {response->status, nlohmann::json::parse(response->body, nullptr, false)};
}

// Polls a URL until `accept` holds or the daemon exits or time runs out. Polling is the only way
// to observe another process becoming ready; the bound keeps a broken daemon from hanging the test.
bool wait_until(Process& process, std::uint16_t port, const std::string& path,
                const std::function<bool(const HttpAnswer&)>& accept) {
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!process.running()) return false;
    if (accept(http_get(port, path))) return true;
    std::this_thread::sleep_for(50ms);
  }
  return false;
}

bool wait_ready(Process& process, std::uint16_t monitoring_port) {
  return wait_until(process, monitoring_port, "/actuator/health/readiness",
                    [](const HttpAnswer& answer) { return answer.status == 200; });
}

Result<tern::command::TopologyInfo, std::string> get_topology(std::uint16_t command_port) {
  auto channel = grpc::CreateChannel("127.0.0.1:" + std::to_string(command_port),
                                     grpc::InsecureChannelCredentials());
  auto stub = tern::command::CommandApi::NewStub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + 10s);
  tern::command::TopologyInfo reply;
  auto status = stub->GetTopology(&context, tern::command::GetTopologyRequest(), &reply);
  if (!status.ok()) return tern::unexpected(status.error_message());
  return reply;
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);)
    lines.push_back(line);
  return lines;
}

TEST(Ternd, BrokerServesHealthAndTopologyAndStopsCleanlyOnSigterm) {
  TempDir dir;
  auto ports = broker_ports();
  auto config = write_config(dir, ports, "logging:\n  format: json\n");
  // The environment overrides the file: two partitions instead of the default one.
  auto broker =
      spawn_ternd({"broker", "--config", config.string()}, {{"TERN_CLUSTER_PARTITIONS", "2"}});
  ASSERT_TRUE(broker);
  ASSERT_TRUE(wait_ready(*broker, ports.monitoring)) << broker->stderr_text();

  for (const char* probe :
       {"/actuator/health/liveness", "/actuator/health/readiness", "/actuator/health/startup"}) {
    auto answer = http_get(ports.monitoring, probe);
    EXPECT_EQ(answer.status, 200) << probe;
    EXPECT_EQ(answer.body, (nlohmann::json{{"status", "UP"}})) << probe;
  }
  auto health = http_get(ports.monitoring, "/actuator/health");
  EXPECT_EQ(health.status, 200);
  EXPECT_EQ(health.body["components"]["partition-2"]["details"]["role"], "leader");
  EXPECT_EQ(health.body["components"]["gateway"]["status"], "UP");
  EXPECT_EQ(http_get(ports.monitoring, "/actuator/info").body["version"], std::string(kVersion));

  auto topology = get_topology(ports.command);
  ASSERT_TRUE(topology.ok()) << topology.error();
  ASSERT_EQ(topology->brokers_size(), 1);
  EXPECT_EQ(topology->brokers(0).node_id(), 0);
  EXPECT_EQ(topology->brokers(0).host(), "127.0.0.1");
  EXPECT_EQ(topology->brokers(0).port(), ports.command);
  EXPECT_EQ(topology->brokers(0).version(), std::string(kVersion));
  ASSERT_EQ(topology->brokers(0).partitions_size(), 2);
  EXPECT_EQ(topology->brokers(0).partitions(1).role(), "leader");
  EXPECT_EQ(topology->partitions_count(), 2);

  // The embedded gateway serves the same broker on its REST port.
  auto rest = http_get(ports.rest, "/v2/topology");
  EXPECT_EQ(rest.status, 200);
  EXPECT_EQ(rest.body["brokers"][0]["port"], ports.command);
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "b" / "partition-1"));
  EXPECT_TRUE(std::filesystem::is_directory(dir.path() / "b" / "partition-2"));

  broker->terminate();
  auto code = broker->wait(20s);
  ASSERT_TRUE(code.has_value()) << "ternd did not stop after SIGTERM";
  EXPECT_EQ(*code, 0) << broker->stderr_text();
  auto log = broker->stderr_text();
  EXPECT_THAT(log, HasSubstr("received SIGTERM; shutting down"));
  EXPECT_THAT(log, HasSubstr("data directory lock released"));
  // logging.format: json -> every line is one JSON object.
  for (const auto& line : lines_of(log)) {
    auto parsed = nlohmann::json::parse(line, nullptr, false);
    EXPECT_TRUE(parsed.is_object() && parsed.contains("message")) << line;
  }
  // The lock went with the process.
  EXPECT_TRUE(broker::DataDirectory::open(dir.path() / "b").ok());
}

// A StatefulSet pod: the node id comes from the pod name (HOSTNAME) and the region settings, and
// the region reaches /actuator/info, the command API's topology and the REST topology.
TEST(Ternd, BrokerDerivesItsIdAndRegionFromThePodName) {
  TempDir dir;
  auto ports = broker_ports();
  auto config =
      write_config(dir, ports, "cluster:\n  size: 4\n  region-count: 2\n  region-index: 1\n");
  auto broker = spawn_ternd({"broker", "--config", config.string()}, {{"HOSTNAME", "tern-1"}});
  ASSERT_TRUE(broker);
  ASSERT_TRUE(wait_ready(*broker, ports.monitoring)) << broker->stderr_text();

  auto info = http_get(ports.monitoring, "/actuator/info").body;
  EXPECT_EQ(info["nodeId"], 3);  // ordinal 1 * 2 regions + region index 1
  EXPECT_EQ(info["region"], "1");
  auto topology = get_topology(ports.command);
  ASSERT_TRUE(topology.ok()) << topology.error();
  ASSERT_EQ(topology->brokers_size(), 1);
  EXPECT_EQ(topology->brokers(0).node_id(), 3);
  EXPECT_EQ(topology->brokers(0).region(), "1");
  auto rest = http_get(ports.rest, "/v2/topology");
  EXPECT_EQ(rest.status, 200);
  EXPECT_EQ(rest.body["brokers"][0]["nodeId"], 3);
  EXPECT_EQ(rest.body["brokers"][0]["region"], "1");
  broker->terminate();
  EXPECT_EQ(broker->wait(20s), std::optional<int>(0)) << broker->stderr_text();
}

// The names of a process's threads (/proc/<pid>/task/*/comm).
std::vector<std::string> thread_names(pid_t pid) {
  std::vector<std::string> names;
  for (const auto& task :
       std::filesystem::directory_iterator("/proc/" + std::to_string(pid) + "/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    names.push_back(name);
  }
  return names;
}

// threads.* sizes the broker's own pools: partition threads and journal writers.
TEST(Ternd, ThreadsSettingsSizeTheBrokersPools) {
  TempDir dir;
  auto ports = broker_ports();
  auto config = write_config(dir, ports,
                             "cluster:\n  partitions: 3\n"
                             "threads:\n  partition-threads: 1\n  journal-writer-threads: 3\n");
  auto broker = spawn_ternd({"broker", "--config", config.string()});
  ASSERT_TRUE(broker);
  ASSERT_TRUE(wait_ready(*broker, ports.monitoring)) << broker->stderr_text();
  int partition_threads = 0;
  int writer_threads = 0;
  for (const auto& name : thread_names(broker->pid())) {
    if (name.rfind("tern-part-", 0) == 0) ++partition_threads;
    if (name.rfind("tern-sync-", 0) == 0) ++writer_threads;
  }
  EXPECT_EQ(partition_threads, 1);
  EXPECT_EQ(writer_threads, 3);
  broker->terminate();
  EXPECT_EQ(broker->wait(20s), std::optional<int>(0)) << broker->stderr_text();
}

// One request over a command stream to `command_port`: the preamble and the frame in one write,
// then the answer frame read back (within 20 s).
Result<tern::command::BrokerResponse, std::string> execute_over_stream(
    std::uint16_t command_port, std::uint64_t correlation,
    const tern::command::BrokerRequest& request) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(command_port);
  const timeval timeout{20, 0};
  (void)::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof timeout);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof address) != 0) {
    ::close(fd);
    return tern::unexpected(std::string("cannot connect"));
  }
  const std::string out =
      std::string(gateway::link::kPreamble)
      + gateway::link::encode_frame(gateway::link::FrameKind::kRequest, correlation, request);
  if (::send(fd, out.data(), out.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(out.size())) {
    ::close(fd);
    return tern::unexpected(std::string("cannot send"));
  }
  std::string in;
  while (true) {
    const auto parsed = gateway::link::parse_frame(in.data(), in.size());
    if (!parsed.error.empty() || parsed.frame) {
      ::close(fd);
      if (!parsed.frame) return tern::unexpected(parsed.error);
      if (parsed.frame->kind != gateway::link::FrameKind::kResponse
          || parsed.frame->correlation != correlation) {
        return tern::unexpected(std::string("an answer of another kind or correlation"));
      }
      tern::command::BrokerResponse response;
      if (!response.ParseFromArray(parsed.frame->payload.data(),
                                   static_cast<int>(parsed.frame->payload.size()))) {
        return tern::unexpected(std::string("an answer that is no BrokerResponse"));
      }
      return response;
    }
    char buffer[4096];
    const ssize_t got = ::recv(fd, buffer, sizeof buffer, 0);
    if (got <= 0) {
      ::close(fd);
      return tern::unexpected(std::string("the broker closed the stream or did not answer"));
    }
    in.append(buffer, static_cast<std::size_t>(got));
  }
}

// The command port serves gRPC and the gateways' command stream on one listener, read by its own
// IO thread.
TEST(Ternd, CommandPortServesGrpcAndTheCommandStream) {
  TempDir dir;
  auto ports = broker_ports();
  auto broker = spawn_ternd({"broker", "--config", write_config(dir, ports).string()});
  ASSERT_TRUE(broker);
  ASSERT_TRUE(wait_ready(*broker, ports.monitoring)) << broker->stderr_text();
  EXPECT_TRUE(get_topology(ports.command).ok());
  tern::command::BrokerRequest request;
  request.set_partition_id(1);
  request.mutable_activate_jobs()->set_type("nothing-yet");
  request.mutable_activate_jobs()->set_worker("w");
  request.mutable_activate_jobs()->set_timeout(10'000);
  request.mutable_activate_jobs()->set_maxjobstoactivate(1);
  auto answer = execute_over_stream(ports.command, 77, request);
  ASSERT_TRUE(answer.ok()) << answer.error() << "\n" << broker->stderr_text();
  EXPECT_EQ(answer->status(), tern::command::OK) << answer->message();
  EXPECT_EQ(answer->activate_jobs().jobs_size(), 0);
  int io_threads = 0;
  for (const auto& name : thread_names(broker->pid()))
    io_threads += name == "tern-cmd-io" ? 1 : 0;
  EXPECT_EQ(io_threads, 1);
  broker->terminate();
  EXPECT_EQ(broker->wait(20s), std::optional<int>(0)) << broker->stderr_text();
  EXPECT_THAT(broker->stderr_text(), HasSubstr("opened a command stream"));
}

TEST(Ternd, APortInUseStopsStartupNamingTheKey) {
  TempDir dir;
  auto ports = broker_ports();
  int taken = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(ports.command);
  ASSERT_EQ(::bind(taken, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
  ASSERT_EQ(::listen(taken, 1), 0);

  auto result = run_process(
      ternd_options({"broker", "--config", write_config(dir, ports).string()}), kStartTimeout);
  ::close(taken);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_EQ(result->err, "ternd: configuration error: network.command-port: 127.0.0.1:"
                             + std::to_string(ports.command) + " is already in use\n");
  EXPECT_FALSE(std::filesystem::exists(dir.path() / "b")) << "nothing may start before the check";
}

TEST(Ternd, TwoBrokersNeverShareADataDirectory) {
  TempDir dir;
  auto first_ports = broker_ports();
  auto first = spawn_ternd({"broker", "--config", write_config(dir, first_ports).string()});
  ASSERT_TRUE(first);
  ASSERT_TRUE(wait_ready(*first, first_ports.monitoring)) << first->stderr_text();

  // Other ports (the kernel hands out none the first broker holds), the same data directory.
  auto second_config = write_config(dir, broker_ports(), "", "second");
  auto result = run_process(ternd_options({"broker", "--config", second_config.string()},
                                          {{"TERN_DATA_DIRECTORY", (dir.path() / "b").string()},
                                           {"TERN_GATEWAY_ENABLED", "false"}}),
                            kStartTimeout);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->exit_code, 1) << result->err;
  EXPECT_THAT(result->err, HasSubstr("ternd: configuration error: data.directory: "));
  EXPECT_THAT(result->err,
              HasSubstr("is in use by another Tern broker (pid " + std::to_string(first->pid())));
  // SIGINT (Ctrl-C) shuts down as orderly as SIGTERM.
  ASSERT_EQ(::kill(first->pid(), SIGINT), 0);
  auto code = first->wait(20s);
  ASSERT_TRUE(code.has_value()) << "ternd did not stop after SIGINT";
  EXPECT_EQ(*code, 0) << first->stderr_text();
  EXPECT_THAT(first->stderr_text(), HasSubstr("received SIGINT; shutting down"));
}

TEST(Ternd, ASigkilledBrokerLeavesNoStaleLock) {
  TempDir dir;
  auto ports = broker_ports();
  auto broker = spawn_ternd({"broker", "--config", write_config(dir, ports).string()},
                            {{"TERN_GATEWAY_ENABLED", "false"}});
  ASSERT_TRUE(broker);
  ASSERT_TRUE(wait_ready(*broker, ports.monitoring)) << broker->stderr_text();
  EXPECT_FALSE(broker::DataDirectory::open(dir.path() / "b").ok());
  broker->kill();
  ASSERT_TRUE(broker->wait(20s).has_value());
  // The kernel dropped the flock with the process: a restarted broker gets the directory back.
  auto restarted = spawn_ternd({"broker", "--config", write_config(dir, ports).string()},
                               {{"TERN_GATEWAY_ENABLED", "false"}});
  ASSERT_TRUE(restarted);
  ASSERT_TRUE(wait_ready(*restarted, ports.monitoring)) << restarted->stderr_text();
  EXPECT_EQ(restarted->stop(), 0) << restarted->stderr_text();
}

TEST(Ternd, ConfigurationErrorsExitWithOneClearLine) {
  TempDir dir;
  auto ports = broker_ports();
  auto config = write_config(dir, ports, "cluster:\n  size: 2\n  replication-factor: 3\n");
  auto result = run_process(ternd_options({"broker", "--config", config.string()}), kStartTimeout);
  ASSERT_TRUE(result.ok()) << result.error();
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_EQ(result->err,
            "ternd: configuration error: cluster.replication-factor: 3 is greater than "
            "cluster.size (2)\n");

  auto env = run_process(
      ternd_options({"broker", "--config", config.string()},
                    {{"TERN_CLUSTER_REPLICATION_FACTOR", "1"}, {"TERN_CLUSTER_NODE_ID", "x"}}),
      kStartTimeout);
  ASSERT_TRUE(env.ok()) << env.error();
  EXPECT_EQ(env->exit_code, 1);
  EXPECT_EQ(env->err,
            "ternd: configuration error: cluster.node-id (TERN_CLUSTER_NODE_ID): expected an "
            "integer, got 'x'\n");

  auto missing =
      run_process(ternd_options({"broker", "--config", "/nonexistent/tern.yaml"}), kStartTimeout);
  ASSERT_TRUE(missing.ok());
  EXPECT_EQ(missing->exit_code, 1);
  EXPECT_EQ(missing->err,
            "ternd: configuration error: /nonexistent/tern.yaml: cannot read the configuration "
            "file\n");
}

TEST(Ternd, UsageVersionAndHelp) {
  auto version = run_process(ternd_options({"--version"}), kStartTimeout);
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->exit_code, 0);
  EXPECT_EQ(version->out, "ternd " + std::string(kVersion) + "\n");

  auto help = run_process(ternd_options({"broker", "--help"}), kStartTimeout);
  ASSERT_TRUE(help.ok());
  EXPECT_EQ(help->exit_code, 0);
  EXPECT_THAT(help->out, HasSubstr("Usage: ternd broker [--config FILE]"));

  auto unknown = run_process(ternd_options({"broker", "--frobnicate"}), kStartTimeout);
  ASSERT_TRUE(unknown.ok());
  EXPECT_EQ(unknown->exit_code, 2);
  EXPECT_THAT(unknown->err, HasSubstr("ternd: unknown option '--frobnicate' for 'ternd broker'"));
  EXPECT_THAT(unknown->err, HasSubstr("Usage: ternd broker"));

  auto nothing = run_process(ternd_options({}), kStartTimeout);
  ASSERT_TRUE(nothing.ok());
  EXPECT_EQ(nothing->exit_code, 2);
}

TEST(Ternd, StandaloneGatewayLearnsTheBrokerThroughItsContactPoint) {
  TempDir dir;
  auto ports = broker_ports();
  auto broker = spawn_ternd({"broker", "--config", write_config(dir, ports).string()},
                            {{"TERN_GATEWAY_ENABLED", "false"}});
  ASSERT_TRUE(broker);
  ASSERT_TRUE(wait_ready(*broker, ports.monitoring)) << broker->stderr_text();

  auto gateway_ports = distinct_ports(8);
  std::erase_if(gateway_ports, [&](std::uint16_t port) {
    return port == ports.command || port == ports.cluster || port == ports.monitoring
           || port == ports.gateway || port == ports.rest;
  });
  ASSERT_GE(gateway_ports.size(), 3u);
  auto gateway = spawn_ternd(
      {"gateway"}, {{"TERN_CLUSTER_CONTACT_POINTS", "127.0.0.1:" + std::to_string(ports.command)},
                    {"TERN_NETWORK_MONITORING_PORT", std::to_string(gateway_ports[0])},
                    {"TERN_GATEWAY_PORT", std::to_string(gateway_ports[1])},
                    {"TERN_GATEWAY_REST_PORT", std::to_string(gateway_ports[2])}});
  ASSERT_TRUE(gateway);
  ASSERT_TRUE(wait_ready(*gateway, gateway_ports[0])) << gateway->stderr_text();
  // Health turns UP once the broker has answered a poll.
  ASSERT_TRUE(wait_until(*gateway, gateway_ports[0], "/actuator/health",
                         [](const HttpAnswer& answer) { return answer.status == 200; }))
      << gateway->stderr_text();
  auto rest = http_get(gateway_ports[2], "/v2/topology");
  EXPECT_EQ(rest.status, 200);
  ASSERT_EQ(rest.body["brokers"].size(), 1u) << rest.body.dump();
  EXPECT_EQ(rest.body["brokers"][0]["port"], ports.command);

  EXPECT_EQ(gateway->stop(), 0) << gateway->stderr_text();
  EXPECT_THAT(gateway->stderr_text(), HasSubstr("gateway stopped"));
  EXPECT_EQ(broker->stop(), 0) << broker->stderr_text();
}

TEST(Ternd, StandaloneGatewayWithoutContactPointsIsAConfigurationError) {
  auto result =
      run_process(ternd_options({"gateway"}, {{"TERN_CLUSTER_CONTACT_POINTS", ""}}), kStartTimeout);
  ASSERT_TRUE(result.ok());
  EXPECT_EQ(result->exit_code, 1);
  EXPECT_THAT(result->err, HasSubstr("ternd: configuration error: cluster.contact-points: "));
}

}  // namespace
}  // namespace tern::test
