// The PostgreSQL exporter against a real server: record streams produced by the engine harness
// (deploy, create, complete, cancel, fail into an incident, set variables) end up as tables that
// match the engine's outcome exactly; exporting again, a second exporter of the same partition, and
// a server restart mid-export change nothing and duplicate nothing.

#include "exporter/postgresql_exporter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>

#include "engine/harness/engine_harness.h"
#include "exporter/director.h"
#include "exporter/director_fakes.h"
#include "exporter/pg_connection.h"
#include "exporter/postgres_server.h"

namespace tern::exporter::test {
namespace {

using engine::Intent;
using engine::ValueType;
using engine::test::EngineHarness;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

PostgresServer* server = nullptr;

class PostgresEnvironment : public ::testing::Environment {
 public:
  void SetUp() override {
    auto started = PostgresServer::start();
    ASSERT_TRUE(started) << "cannot start PostgreSQL: " << started.error();
    server_ = std::move(started.value());
    server = server_.get();
  }
  void TearDown() override {
    server = nullptr;
    server_.reset();
  }

 private:
  std::unique_ptr<PostgresServer> server_;
};

const auto* const kEnvironment = ::testing::AddGlobalTestEnvironment(new PostgresEnvironment());

bool accepted(const engine::Response& response) {
  return response.record.record_type == engine::RecordType::kEvent;
}

// Runs a mix of process instances through the engine; remembers the keys that tests assert on.
struct Scenario {
  EngineHarness h;
  engine::Key definition;
  engine::Key completed, canceled, failed;
  engine::Key completed_job, canceled_job, failed_job;

  Scenario() {
    definition = h.deploy_process(engine::test::models::one_task("order", "pack"));
    completed = h.create_instance("order", Json{{"n", 1}});
    canceled = h.create_instance("order", Json{{"n", 2}});
    failed = h.create_instance("order", Json{{"n", 3}});
    completed_job = h.activate_one("pack");
    EXPECT_TRUE(accepted(h.complete_job(completed_job, Json{{"packed", true}})));
    canceled_job = h.activate_one("pack");
    EXPECT_TRUE(accepted(h.cancel(canceled)));
    failed_job = h.activate_one("pack");
    EXPECT_TRUE(accepted(h.fail_job(failed_job, 0, "no boxes left")));
    EXPECT_TRUE(accepted(h.set_variables(failed, Json{{"n", 30}, {"note", "retry"}}, false)));
  }
};

class PostgresExporterTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NE(server, nullptr);
    // One schema per test (identifiers are cut at 63 bytes, so not the test's name).
    static int next_schema = 0;
    schema_ = "t_" + std::to_string(++next_schema);
    auto connected = PgConnection::connect(server->url());
    ASSERT_TRUE(connected) << connected.error().message;
    db_ = std::move(connected.value());
    ASSERT_TRUE(db_->exec("DROP SCHEMA IF EXISTS " + schema_ + " CASCADE"));
  }

  std::unique_ptr<ExporterDirector> director(VectorReader& reader, MemoryStore& store) {
    DirectorOptions options;
    options.max_records_per_run = 10'000;
    options.retry_initial_backoff_ms = 100;
    auto d = std::make_unique<ExporterDirector>(options, reader, store, clock_);
    auto exporter = std::make_unique<PostgresExporter>();
    auto configured = exporter->configure(
        {"db", PartitionId(1), Json{{"url", server->url()}, {"schema", schema_}}});
    EXPECT_TRUE(configured) << (configured ? "" : configured.error().message);
    EXPECT_TRUE(d->add("db", "postgresql", std::move(exporter)));
    return d;
  }

  // Rows of `sql` as "a|b|c" strings (NULL as "null").
  std::vector<std::string> rows(const std::string& sql) {
    auto result = db_->query(sql, {});
    EXPECT_TRUE(result) << (result ? "" : result.error().message);
    std::vector<std::string> out;
    if (!result) return out;
    for (const auto& row : *result) {
      std::string line;
      for (const auto& cell : row)
        line += (line.empty() ? "" : "|") + cell.value_or("null");
      out.push_back(line);
    }
    return out;
  }

  std::string one(const std::string& sql) {
    auto r = rows(sql);
    EXPECT_EQ(r.size(), 1u) << sql;
    return r.empty() ? "" : r.front();
  }

  // Every table, every column, in key order: two equal dumps mean nothing changed.
  std::vector<std::string> dump_all() {
    std::vector<std::string> out;
    for (const char* table : {"export_position", "process_definition", "process_instance",
                              "element_instance", "job", "incident", "variable", "message"}) {
      for (auto& row : rows("SELECT t::text FROM " + schema_ + "." + table + " t ORDER BY 1"))
        out.push_back(std::string(table) + ": " + row);
    }
    return out;
  }

  // The final state of every element instance and process instance, folded from the engine's
  // events: what the tables must show.
  static std::map<std::int64_t, std::string> element_states(const std::vector<Record>& records,
                                                            bool processes) {
    std::map<std::int64_t, std::string> out;
    for (const auto& record : records) {
      if (!record.is_event() || record.value_type != ValueType::kProcessInstance) continue;
      std::string intent(engine::to_string(record.intent));
      if (intent.rfind("ELEMENT_", 0) != 0) continue;
      bool is_process = record.value["bpmnElementType"] == "PROCESS";
      if (is_process != processes) continue;
      std::string state = intent.substr(8);
      if (processes && state != "COMPLETED" && state != "TERMINATED") state = "ACTIVE";
      out[record.key.value()] = state;
    }
    return out;
  }

  std::map<std::int64_t, std::string> table_states(const std::string& table) {
    std::map<std::int64_t, std::string> out;
    for (const auto& row : rows("SELECT key, state FROM " + schema_ + "." + table)) {
      auto bar = row.find('|');
      out[std::stoll(row.substr(0, bar))] = row.substr(bar + 1);
    }
    return out;
  }

  void expect_tables_match(const Scenario& s) {
    auto records = s.h.records();
    EXPECT_EQ(table_states("process_instance"), element_states(records, true));
    EXPECT_EQ(table_states("element_instance"), element_states(records, false));
    auto k = [](engine::Key key) { return std::to_string(key.value()); };
    EXPECT_THAT(rows("SELECT key, bpmn_process_id, version, resource_name FROM " + schema_
                     + ".process_definition"),
                ElementsAre(k(s.definition) + "|order|1|process.bpmn"));
    EXPECT_THAT(rows("SELECT key, state, end_time IS NOT NULL, process_definition_key FROM "
                     + schema_ + ".process_instance ORDER BY key"),
                ElementsAre(k(s.completed) + "|COMPLETED|t|" + k(s.definition),
                            k(s.canceled) + "|TERMINATED|t|" + k(s.definition),
                            k(s.failed) + "|ACTIVE|f|" + k(s.definition)));
    EXPECT_THAT(rows("SELECT key, state, retries, worker IS NOT NULL, process_instance_key, "
                     "error_message FROM "
                     + schema_ + ".job ORDER BY key"),
                ElementsAre(k(s.completed_job) + "|COMPLETED|3|t|" + k(s.completed) + "|",
                            k(s.canceled_job) + "|CANCELED|3|t|" + k(s.canceled) + "|",
                            k(s.failed_job) + "|FAILED|0|t|" + k(s.failed) + "|no boxes left"));
    EXPECT_THAT(rows("SELECT state, job_key, process_instance_key, element_id, error_type FROM "
                     + schema_ + ".incident"),
                ElementsAre("ACTIVE|" + k(s.failed_job) + "|" + k(s.failed)
                            + "|task|"
                              "JOB_NO_RETRIES"));
    EXPECT_THAT(rows("SELECT scope_key, name, value FROM " + schema_
                     + ".variable ORDER BY scope_key, name"),
                ElementsAre(k(s.completed) + "|n|1", k(s.completed) + "|packed|true",
                            k(s.canceled) + "|n|2", k(s.failed) + "|n|30",
                            k(s.failed) + "|note|\"retry\""));
    EXPECT_EQ(one("SELECT position FROM " + schema_ + ".export_position WHERE partition_id = 1"),
              std::to_string(records.back().position.value()));
  }

  std::string schema_;
  std::unique_ptr<PgConnection> db_;
  ManualClock clock_;
};

void feed(VectorReader& reader, const std::vector<Record>& records, std::size_t from,
          std::size_t to) {
  for (std::size_t i = from; i < to && i < records.size(); ++i)
    reader.append(records[i]);
}

TEST_F(PostgresExporterTest, TablesMatchTheEnginesOutcome) {
  Scenario s;
  VectorReader reader;
  MemoryStore store;
  feed(reader, s.h.records(), 0, s.h.records().size());
  auto d = director(reader, store);
  (void)d->run();
  ASSERT_EQ(d->snapshot().exporters.at(0).last_error, "");
  EXPECT_EQ(d->lowest_acknowledged_position(), s.h.records().back().position);
  expect_tables_match(s);
  EXPECT_EQ(one("SELECT count(*) FROM " + schema_ + ".schema_version"), "1");
}

TEST_F(PostgresExporterTest, ExportingEverythingAgainChangesNothing) {
  Scenario s;
  VectorReader reader;
  MemoryStore store;
  feed(reader, s.h.records(), 0, s.h.records().size());
  (void)director(reader, store)->run();
  auto before = dump_all();
  ASSERT_FALSE(before.empty());

  // A new leader whose replicated position lags (here: knows nothing): everything comes again.
  MemoryStore lagging;
  auto again = director(reader, lagging);
  (void)again->run();
  EXPECT_EQ(dump_all(), before);
  EXPECT_EQ(again->lowest_acknowledged_position(), s.h.records().back().position)
      << "the position stored in the database is acknowledged on open";
}

TEST_F(PostgresExporterTest, TwoLeadersExportingTheSamePartitionAtOnceWriteEachRecordOnce) {
  Scenario s;
  auto records = s.h.records();
  VectorReader old_reader, new_reader;
  MemoryStore old_store, new_store;
  auto old_leader = director(old_reader, old_store);
  auto new_leader = director(new_reader, new_store);
  feed(new_reader, records, 0, 0);
  (void)new_leader->run();  // opens with the stored position 0
  feed(old_reader, records, 0, records.size() / 2);
  (void)old_leader->run();  // writes the first half
  feed(new_reader, records, 0, records.size());
  (void)new_leader->run();  // believes the stored position is 0: its transaction is refused
  auto status = new_leader->snapshot().exporters.at(0);
  EXPECT_EQ(status.state, ExporterState::kRetrying);
  EXPECT_THAT(status.last_error, HasSubstr("no longer 0"));
  clock_.now += 1'000;
  (void)new_leader->run();  // reopens, resumes after the first half
  EXPECT_EQ(new_leader->snapshot().exporters.at(0).state, ExporterState::kActive);
  expect_tables_match(s);
}

TEST_F(PostgresExporterTest,
       AServerRestartMidExportIsRetriedAndResumesFromTheAcknowledgedPosition) {
  Scenario s;
  auto records = s.h.records();
  VectorReader reader;
  MemoryStore store;
  auto d = director(reader, store);
  feed(reader, records, 0, records.size() / 3);
  (void)d->run();
  auto acknowledged = *d->lowest_acknowledged_position();
  EXPECT_EQ(acknowledged, records[records.size() / 3 - 1].position);

  ASSERT_TRUE(server->stop());
  feed(reader, records, records.size() / 3, records.size());
  auto failed = d->run();
  auto status = d->snapshot().exporters.at(0);
  EXPECT_EQ(status.state, ExporterState::kRetrying);
  EXPECT_EQ(status.health, HealthStatus::kDegraded);
  EXPECT_THAT(status.last_error, HasSubstr("connection error"));
  EXPECT_EQ(d->lowest_acknowledged_position(), acknowledged);
  ASSERT_TRUE(failed.wake_at_ms.has_value());
  clock_.now = *failed.wake_at_ms;
  auto still_down = d->run();  // reconnecting fails while the server is down
  EXPECT_THAT(d->snapshot().exporters.at(0).last_error, HasSubstr("cannot connect"));
  EXPECT_EQ(d->snapshot().exporters.at(0).consecutive_failures, 2);

  auto started = server->start_again();
  ASSERT_TRUE(started) << started.error();
  ASSERT_TRUE(still_down.wake_at_ms.has_value());
  clock_.now = *still_down.wake_at_ms;
  (void)d->run();
  EXPECT_EQ(d->snapshot().exporters.at(0).state, ExporterState::kActive);
  EXPECT_EQ(d->lowest_acknowledged_position(), records.back().position);
  auto reconnected = PgConnection::connect(server->url());
  ASSERT_TRUE(reconnected);
  db_ = std::move(reconnected.value());
  expect_tables_match(s);
}

TEST_F(PostgresExporterTest, AResolvedIncidentAndARetriedJob) {
  EngineHarness h;
  h.deploy_process(engine::test::models::one_task("order", "pack"));
  auto instance = h.create_instance("order");
  auto job = h.activate_one("pack");
  ASSERT_TRUE(accepted(h.fail_job(job, 0, "printer jammed")));
  auto incident = h.find(ValueType::kIncident, Intent::kCreated).key;
  ASSERT_TRUE(
      accepted(h.command(ValueType::kJob, Intent::kUpdateRetries, Json{{"retries", 2}}, job)));
  ASSERT_TRUE(accepted(h.resolve(incident)));
  EXPECT_EQ(h.activate_one("pack"), job);
  ASSERT_TRUE(accepted(h.complete_job(job)));

  VectorReader reader;
  MemoryStore store;
  for (const auto& record : h.records())
    reader.append(record);
  (void)director(reader, store)->run();
  auto k = [](engine::Key key) { return std::to_string(key.value()); };
  EXPECT_THAT(rows("SELECT key, state, resolve_time >= creation_time, error_message FROM " + schema_
                   + ".incident"),
              ElementsAre(k(incident) + "|RESOLVED|t|printer jammed"));
  EXPECT_THAT(rows("SELECT key, state, retries FROM " + schema_ + ".job"),
              ElementsAre(k(job) + "|COMPLETED|2"));
  EXPECT_THAT(rows("SELECT key, state FROM " + schema_ + ".process_instance"),
              ElementsAre(k(instance) + "|COMPLETED"));
  EXPECT_EQ(table_states("element_instance"), element_states(h.records(), false));
}

TEST_F(PostgresExporterTest, MessagesArePublishedAndExpire) {
  VectorReader reader;
  MemoryStore store;
  auto message = [](std::int64_t position, std::int64_t key, Intent intent, const char* name) {
    Record record = make_record(position);
    record.key = engine::Key(key);
    record.value_type = ValueType::kMessage;
    record.intent = intent;
    record.value = Json{{"name", name},
                        {"correlationKey", "order-7"},
                        {"messageId", "m-" + std::to_string(key)},
                        {"timeToLive", 60'000},
                        {"variables", Json{{"paid", true}}},
                        {"tenantId", "<default>"}};
    return record;
  };
  reader.append(message(1, 101, Intent::kPublished, "payment"));
  reader.append(message(2, 102, Intent::kPublished, "shipping"));
  reader.append(message(3, 101, Intent::kExpired, "payment"));
  (void)director(reader, store)->run();
  EXPECT_THAT(rows("SELECT key, name, correlation_key, message_id, time_to_live_ms, variables, "
                   "state, update_time > publish_time, position FROM "
                   + schema_ + ".message ORDER BY key"),
              ElementsAre("101|payment|order-7|m-101|60000|{\"paid\": true}|EXPIRED|t|3",
                          "102|shipping|order-7|m-102|60000|{\"paid\": true}|PUBLISHED|f|2"));
}

TEST_F(PostgresExporterTest, AnUnreachableServerIsAConnectionErrorNamingTheExporter) {
  PostgresExporter exporter;
  ASSERT_TRUE(exporter.configure(
      {"db", PartitionId(1),
       Json{{"url", "host=127.0.0.1 port=1 user=tern dbname=postgres connect_timeout=2"}}}));
  VectorReader reader;
  MemoryStore store;
  ExporterDirector d({}, reader, store, clock_);
  struct NullController final : ExporterController {
    void acknowledge(Position) override {}
    Position last_acknowledged() const override { return Position(0); }
  } controller;
  auto opened = exporter.open(controller);
  ASSERT_FALSE(opened);
  EXPECT_EQ(opened.error().code, ExporterErrc::kConnection);
  EXPECT_THAT(opened.error().message, HasSubstr("exporter 'db': cannot connect"));
}

}  // namespace
}  // namespace tern::exporter::test
