// Exporting to a real PostgreSQL from three real brokers (three partitions, replication factor 3,
// the gateway embedded in broker 0), through failures: PostgreSQL is stopped while instances are
// created and started again; then a partition leader is killed (SIGKILL) and jobs are completed
// and failed, messages published, against the new leaders. Afterwards the tables hold exactly the
// outcome the client saw: every instance, job, incident, variable and message once, in its final
// state, and nothing else.

#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "exporter/pg_connection.h"
#include "exporter/postgres_server.h"
#include "gateway.grpc.pb.h"
#include "integration/support/ternd_cluster.h"
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

bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (condition()) return true;
    std::this_thread::sleep_for(100ms);
  }
  return condition();
}

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

  grpc::Status publish(const std::string& name, const std::string& key, std::int64_t ttl_ms,
                       const std::string& id) {
    gp::PublishMessageRequest request;
    request.set_name(name);
    request.set_correlationkey(key);
    request.set_timetolive(ttl_ms);
    request.set_messageid(id);
    request.set_variables(R"({"paid":true})");
    gp::PublishMessageResponse response;
    return retry(
        [&](grpc::ClientContext& c) { return stub_->PublishMessage(&c, request, &response); });
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
  TerndCluster cluster(dir.path(), spec);
  cluster.start_all();
  ASSERT_TRUE(cluster.wait_for_all_leaders(kElection)) << cluster.log_of(0);
  Client client(cluster.ports(0).gateway);
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
  ASSERT_TRUE(client.publish("go", "o-0", 60'000, "pay-0").ok());
  ASSERT_TRUE(pg.start_again().ok());

  // Phase 3: a partition leader (not broker 0, which hosts the gateway) dies mid-export.
  std::optional<int> victim;
  for (int partition = 1; partition <= 3 && !victim; ++partition) {
    auto leader = cluster.wait_for_leader(partition, 5s);
    if (leader && *leader != 0) victim = *leader;
  }
  ASSERT_TRUE(victim) << "broker 0 leads every partition";
  cluster.kill(*victim);
  ASSERT_TRUE(cluster.wait_for_all_leaders(kElection)) << cluster.log_of(0);

  auto jobs = client.activate("pack", 12);
  ASSERT_EQ(jobs.size(), 12u);
  std::map<std::int64_t, std::int64_t> job_instance;
  for (const auto& job : jobs)
    job_instance[job.key()] = job.processinstancekey();
  std::set<std::int64_t> completed_jobs, failed_jobs, open_jobs;
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    std::int64_t key = jobs[i].key();
    if (i < 8) {
      ASSERT_TRUE(client.complete(key, {{"packed", static_cast<int>(i)}}).ok());
      completed_jobs.insert(key);
    } else if (i < 10) {
      ASSERT_TRUE(client.fail(key, "no boxes left").ok());
      failed_jobs.insert(key);
    } else {
      open_jobs.insert(key);
    }
  }
  ASSERT_TRUE(client.publish("stray", "nobody", 3'600'000, "stray-1").ok());

  // What the tables must hold once exporting caught up.
  std::vector<std::string> expected_instances;
  for (const auto& [key, n] : orders) {
    bool done = false;
    for (auto job : completed_jobs)
      done = done || job_instance[job] == key;
    expected_instances.push_back(std::to_string(key) + "|order|"
                                 + (done ? "COMPLETED|t" : "ACTIVE|f"));
  }
  expected_instances.push_back(std::to_string(waits[0]) + "|wait|COMPLETED|t");
  expected_instances.push_back(std::to_string(waits[1]) + "|wait|ACTIVE|f");
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
  EXPECT_EQ(sorted(tables.rows("SELECT name, correlation_key, message_id FROM tern.message")
                       .value_or(std::vector<std::string>{})),
            (std::vector<std::string>{"go|o-0|pay-0", "stray|nobody|stray-1"}));
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
