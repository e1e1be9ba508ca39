// Exporting to a real PostgreSQL from three real brokers (three partitions, replication factor 3,
// a standalone gateway), through failures: PostgreSQL is stopped while instances are created and
// started again; then a partition leader is killed (SIGKILL) and jobs are completed and failed
// against the new leaders. Afterwards the tables hold exactly the outcome the client saw: every
// instance, job, incident and variable once, in its final state, and nothing else. (Messages are
// left out: the broker's command API does not translate PublishMessage yet.)

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "exporter/pg_connection.h"
#include "exporter/postgres_server.h"
#include "gateway.grpc.pb.h"
#include "integration/support/ternd_cluster.h"
#include "support/eventually.h"
#include "support/free_port.h"
#include "support/paths.h"
#include "support/process.h"
#include "support/temp_dir.h"

namespace tern::test {
namespace {

using namespace std::chrono_literals;
namespace gp = gateway_protocol;

constexpr auto kElection = 20s;

const char* kOrderModel = R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d1" targetNamespace="http://tern.test">
  <bpmn:process id="order" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="pack"/>
    <bpmn:serviceTask id="pack">
      <bpmn:extensionElements><zeebe:taskDefinition type="pack"/></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="pack" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
</bpmn:definitions>)";

const char* kWaitModel = R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="d2" targetNamespace="http://tern.test">
  <bpmn:process id="wait" isExecutable="true">
    <bpmn:startEvent id="start"/>
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="paid"/>
    <bpmn:intermediateCatchEvent id="paid">
      <bpmn:messageEventDefinition messageRef="msg"/>
    </bpmn:intermediateCatchEvent>
    <bpmn:sequenceFlow id="f2" sourceRef="paid" targetRef="end"/>
    <bpmn:endEvent id="end"/>
  </bpmn:process>
  <bpmn:message id="msg" name="go">
    <bpmn:extensionElements><zeebe:subscription correlationKey="=orderId"/></bpmn:extensionElements>
  </bpmn:message>
</bpmn:definitions>)";

// Whether the gateway's REST topology names a leader for every partition.
bool gateway_knows_leaders(std::uint16_t rest_port, int partitions) {
  httplib::Client client("127.0.0.1", rest_port);
  client.set_connection_timeout(1s);
  client.set_read_timeout(2s);
  auto response = client.Get("/v2/topology");
  if (!response || response->status != 200) return false;
  auto body = nlohmann::json::parse(response->body, nullptr, false);
  if (body.is_discarded()) return false;
  std::set<int> led;
  for (const auto& broker : body["brokers"])
    for (const auto& p : broker["partitions"])
      if (p["role"] == "leader") led.insert(p["partitionId"].get<int>());
  return static_cast<int>(led.size()) == partitions;
}

// A standalone `ternd gateway` that learns the topology from every broker's command port.
struct Gateway {
  std::uint16_t grpc = 0, rest = 0, monitoring = 0;
  std::unique_ptr<Process> process;

  Result<void, std::string> start(const TerndCluster& cluster, const std::filesystem::path& root) {
    auto ports = distinct_free_ports(3);
    grpc = ports[0];
    rest = ports[1];
    monitoring = ports[2];
    auto config = root / "gateway.yaml";
    std::ofstream out(config);
    out << "cluster:\n  contact-points: [";
    for (int node = 0; node < cluster.spec().brokers; ++node)
      out << (node == 0 ? "" : ", ") << "\"127.0.0.1:" << cluster.ports(node).command << "\"";
    out << "]\nnetwork:\n  host: 127.0.0.1\n  monitoring-port: " << monitoring
        << "\ngateway:\n  port: " << grpc << "\n  rest-port: " << rest << "\n";
    out.close();
    ProcessOptions options;
    options.executable = (binary_dir() / "ternd").string();
    options.args = {"gateway", "--config", config.string()};
    for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
      std::string_view text(*entry);
      std::string name(text.substr(0, text.find('=')));
      if (name.rfind("TERN_", 0) == 0) options.unset_env.push_back(name);
    }
    options.stderr_path = root / "gateway.log";
    options.stdout_path = root / "gateway.out";
    auto spawned = Process::spawn(std::move(options));
    if (!spawned) return unexpected(spawned.error());
    process = std::move(*spawned);
    return {};
  }
};

class Client {
 public:
  explicit Client(std::uint16_t port)
      : stub_(gp::Gateway::NewStub(grpc::CreateChannel("127.0.0.1:" + std::to_string(port),
                                                       grpc::InsecureChannelCredentials()))) {}

  // Calls `rpc` until it succeeds or `timeout` passes; only for calls that are safe to repeat
  // after a failure that left nothing behind (UNAVAILABLE: no leader reachable).
  template <typename Call>
  grpc::Status retry(Call call, std::chrono::milliseconds timeout = 20s) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    grpc::Status status;
    while (true) {
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + 10s);
      status = call(context);
      if (status.ok() || status.error_code() != grpc::StatusCode::UNAVAILABLE
          || std::chrono::steady_clock::now() >= deadline) {
        return status;
      }
      std::this_thread::sleep_for(100ms);
    }
  }

  void deploy(const std::string& name, const std::string& xml) {
    gp::DeployResourceRequest request;
    auto* resource = request.add_resources();
    resource->set_name(name);
    resource->set_content(xml);
    gp::DeployResourceResponse response;
    auto status = retry(
        [&](grpc::ClientContext& c) { return stub_->DeployResource(&c, request, &response); });
    ASSERT_TRUE(status.ok()) << status.error_message();
  }

  std::int64_t create(const std::string& process, const nlohmann::json& variables) {
    gp::CreateProcessInstanceRequest request;
    request.set_bpmnprocessid(process);
    request.set_version(-1);
    request.set_variables(variables.dump());
    gp::CreateProcessInstanceResponse response;
    auto status = retry([&](grpc::ClientContext& c) {
      return stub_->CreateProcessInstance(&c, request, &response);
    });
    EXPECT_TRUE(status.ok()) << status.error_message();
    return status.ok() ? response.processinstancekey() : -1;
  }

  std::vector<gp::ActivatedJob> activate(const std::string& type, int max) {
    std::vector<gp::ActivatedJob> jobs;
    auto deadline = std::chrono::steady_clock::now() + 30s;
    while (static_cast<int>(jobs.size()) < max && std::chrono::steady_clock::now() < deadline) {
      gp::ActivateJobsRequest request;
      request.set_type(type);
      request.set_worker("it-worker");
      request.set_timeout(600'000);
      request.set_maxjobstoactivate(max - static_cast<int>(jobs.size()));
      request.set_requesttimeout(1000);
      grpc::ClientContext context;
      context.set_deadline(std::chrono::system_clock::now() + 10s);
      auto reader = stub_->ActivateJobs(&context, request);
      gp::ActivateJobsResponse response;
      while (reader->Read(&response))
        for (const auto& job : response.jobs())
          jobs.push_back(job);
      (void)reader->Finish();
    }
    return jobs;
  }

  grpc::Status complete(std::int64_t job, const nlohmann::json& variables) {
    gp::CompleteJobRequest request;
    request.set_jobkey(job);
    request.set_variables(variables.dump());
    gp::CompleteJobResponse response;
    return retry(
        [&](grpc::ClientContext& c) { return stub_->CompleteJob(&c, request, &response); });
  }

  grpc::Status fail(std::int64_t job, const std::string& message) {
    gp::FailJobRequest request;
    request.set_jobkey(job);
    request.set_retries(0);
    request.set_errormessage(message);
    gp::FailJobResponse response;
    return retry([&](grpc::ClientContext& c) { return stub_->FailJob(&c, request, &response); });
  }

 private:
  std::unique_ptr<gp::Gateway::Stub> stub_;
};

class Tables {
 public:
  explicit Tables(const std::string& url) : url_(url) {}

  // Rows of `sql` as "a|b|c" strings, ordered as the query orders them; nullopt when PostgreSQL
  // does not answer (yet) or the schema does not exist yet.
  std::optional<std::vector<std::string>> rows(const std::string& sql) {
    if (!db_) {
      auto connected = exporter::PgConnection::connect(url_);
      if (!connected) return std::nullopt;
      db_ = std::move(connected.value());
    }
    auto result = db_->query(sql, {});
    if (!result) {
      db_.reset();
      return std::nullopt;
    }
    std::vector<std::string> out;
    for (const auto& row : *result) {
      std::string line;
      for (const auto& cell : row)
        line += (line.empty() ? "" : "|") + cell.value_or("null");
      out.push_back(line);
    }
    return out;
  }

 private:
  std::string url_;
  std::unique_ptr<exporter::PgConnection> db_;
};

std::vector<std::string> sorted(std::vector<std::string> lines) {
  std::sort(lines.begin(), lines.end());
  return lines;
}

TEST(ExporterPostgres, TablesMatchTheFinalStateAfterALeaderKillAndADatabaseRestart) {
  auto server = exporter::test::PostgresServer::start();
  ASSERT_TRUE(server.ok()) << server.error();
  auto& pg = **server;
  TempDir dir;
  TerndClusterSpec spec;
  spec.extra_config = "exporters:\n  reporting:\n    type: postgresql\n    args:\n      url: \""
                      + pg.url() + "\"\n      schema: tern\n";
  spec.embedded_gateway_on_first = false;
  TerndCluster cluster(dir.path(), spec);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_all_leaders(kElection)) << cluster.log_of(0);
  Gateway gateway;
  ASSERT_TRUE(gateway.start(cluster, dir.path()).ok());
  ASSERT_TRUE(eventually([&] { return gateway_knows_leaders(gateway.rest, 3); }, kElection));
  Client client(gateway.grpc);
  Tables tables(pg.url());

  // Phase 1: everything up.
  client.deploy("order.bpmn", kOrderModel);
  client.deploy("wait.bpmn", kWaitModel);
  std::map<std::int64_t, int> orders;  // instance key -> n
  for (int n = 0; n < 6; ++n)
    orders[client.create("order", {{"n", n}})] = n;
  std::vector<std::int64_t> waits;
  for (int i = 0; i < 2; ++i)
    waits.push_back(client.create("wait", {{"orderId", "o-" + std::to_string(i)}}));

  // Phase 2: PostgreSQL goes away while work goes on, and comes back.
  ASSERT_TRUE(pg.stop().ok());
  for (int n = 6; n < 12; ++n)
    orders[client.create("order", {{"n", n}})] = n;
  ASSERT_TRUE(pg.start_again().ok());

  // Phase 3: a partition leader dies mid-export.
  auto victim = cluster.wait_for_leader(2, 5s);
  ASSERT_TRUE(victim);
  cluster.kill(*victim);
  ASSERT_TRUE(cluster.wait_for_all_leaders(kElection)) << cluster.log_of(0);
  ASSERT_TRUE(eventually(
      [&] {
        if (!gateway_knows_leaders(gateway.rest, 3)) return false;
        for (int partition = 1; partition <= 3; ++partition) {
          auto leader = cluster.wait_for_leader(partition, 1s);
          if (!leader || *leader == *victim) return false;
        }
        return true;
      },
      kElection));

  auto jobs = client.activate("pack", 12);
  ASSERT_EQ(jobs.size(), 12u);
  std::map<std::int64_t, std::int64_t> job_instance;
  for (const auto& job : jobs)
    job_instance[job.key()] = job.processinstancekey();
  std::set<std::int64_t> completed_jobs, failed_jobs, open_jobs;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    std::int64_t key = jobs[i].key();
    if (i < 8) {
      auto completed = client.complete(key, {{"packed", static_cast<int>(i)}});
      ASSERT_TRUE(completed.ok()) << completed.error_message();
      completed_jobs.insert(key);
    } else if (i < 10) {
      auto failed = client.fail(key, "no boxes left");
      ASSERT_TRUE(failed.ok()) << failed.error_message();
      failed_jobs.insert(key);
    } else {
      open_jobs.insert(key);
    }
  }

  // What the tables must hold once exporting caught up.
  std::vector<std::string> expected_instances;
  for (const auto& [key, n] : orders) {
    bool done = false;
    for (auto job : completed_jobs)
      done = done || job_instance[job] == key;
    expected_instances.push_back(std::to_string(key) + "|order|"
                                 + (done ? "COMPLETED|t" : "ACTIVE|f"));
  }
  for (auto key : waits)
    expected_instances.push_back(std::to_string(key) + "|wait|ACTIVE|f");
  std::vector<std::string> expected_jobs;
  for (auto key : completed_jobs)
    expected_jobs.push_back(std::to_string(key) + "|COMPLETED|"
                            + std::to_string(job_instance[key]));
  for (auto key : failed_jobs)
    expected_jobs.push_back(std::to_string(key) + "|FAILED|" + std::to_string(job_instance[key]));
  for (auto key : open_jobs)
    expected_jobs.push_back(std::to_string(key) + "|ACTIVATED|"
                            + std::to_string(job_instance[key]));
  std::vector<std::string> expected_incidents;
  for (auto key : failed_jobs)
    expected_incidents.push_back("ACTIVE|" + std::to_string(key) + "|"
                                 + std::to_string(job_instance[key]) + "|no boxes left");
  std::vector<std::string> expected_variables;
  for (const auto& [key, n] : orders)
    expected_variables.push_back(std::to_string(key) + "|" + std::to_string(n));

  const std::string instances_sql =
      "SELECT key, bpmn_process_id, state, end_time IS NOT NULL FROM tern.process_instance";
  auto converged = [&] {
    auto instances = tables.rows(instances_sql);
    auto job_rows = tables.rows("SELECT key, state, process_instance_key FROM tern.job");
    return instances && job_rows && sorted(*instances) == sorted(expected_instances)
           && sorted(*job_rows) == sorted(expected_jobs);
  };
  EXPECT_TRUE(eventually(converged, 40s))
      << "instances: " << tables.rows(instances_sql).value_or(std::vector<std::string>{}).size()
      << "\n"
      << cluster.log_of(0);

  EXPECT_EQ(sorted(tables.rows(instances_sql).value_or(std::vector<std::string>{})),
            sorted(expected_instances));
  EXPECT_EQ(sorted(tables.rows("SELECT key, state, process_instance_key FROM tern.job")
                       .value_or(std::vector<std::string>{})),
            sorted(expected_jobs));
  EXPECT_TRUE(eventually(
      [&] {
        return sorted(tables
                          .rows("SELECT state, job_key, process_instance_key, error_message "
                                "FROM tern.incident")
                          .value_or(std::vector<std::string>{}))
               == sorted(expected_incidents);
      },
      10s));
  EXPECT_EQ(sorted(tables.rows("SELECT scope_key, value FROM tern.variable WHERE name = 'n'")
                       .value_or(std::vector<std::string>{})),
            sorted(expected_variables));
  // Every completed order instance went through its start event, task and end event once.
  for (auto job : completed_jobs) {
    EXPECT_EQ(tables
                  .rows("SELECT element_id, state FROM tern.element_instance WHERE "
                        "process_instance_key = "
                        + std::to_string(job_instance[job]) + " ORDER BY key")
                  .value_or(std::vector<std::string>{}),
              (std::vector<std::string>{"start|COMPLETED", "pack|COMPLETED", "end|COMPLETED"}));
  }
  EXPECT_EQ(
      tables.rows("SELECT count(*) FROM tern.export_position").value_or(std::vector<std::string>{}),
      std::vector<std::string>{"3"});

  // The leaders report their exporters through the actuator and the metrics.
  int reporting = 0;
  for (int node = 0; node < 3; ++node) {
    if (node == *victim) continue;
    httplib::Client http("127.0.0.1", cluster.ports(node).monitoring);
    auto response = http.Get("/actuator/exporters");
    ASSERT_TRUE(response && response->status == 200);
    auto body = nlohmann::json::parse(response->body);
    for (const auto& partition : body["partitions"]) {
      ++reporting;
      EXPECT_EQ(partition["exporters"][0]["name"], "reporting");
      EXPECT_EQ(partition["exporters"][0]["state"], "ACTIVE") << partition.dump();
    }
    auto metrics = http.Get("/metrics");
    ASSERT_TRUE(metrics && metrics->status == 200);
    if (!body["partitions"].empty()) {
      EXPECT_NE(metrics->body.find("tern_exporter_acknowledged_position{partition="),
                std::string::npos);
    }
  }
  EXPECT_EQ(reporting, 3) << "each partition has one leader exporting";
}

}  // namespace
}  // namespace tern::test
