// Records exported per second through the director: to PostgreSQL (a local server with fsync off,
// so the numbers measure the exporter and the SQL, not the disk) and to JSON-lines files.
// The stream is synthetic but shaped like the engine's: per process instance the element
// lifecycle of a start event, a service task and an end event, a job created/activated/completed
// and two variables, about 25 records of which most become rows.

#include <benchmark/benchmark.h>

#include <memory>

#include "exporter/director.h"
#include "exporter/jsonl_exporter.h"
#include "exporter/postgres_server.h"
#include "exporter/postgresql_exporter.h"
#include "support/temp_dir.h"

namespace tern::exporter::bench {
namespace {

using engine::Intent;
using engine::Key;
using engine::RecordType;
using engine::ValueType;

// An ever-growing log the benchmark appends to and the director reads from.
class GrowingLog final : public RecordReader {
 public:
  ExporterResult<std::vector<Record>> read_after(Position after, std::size_t max) override {
    std::vector<Record> out;
    auto first = static_cast<std::size_t>(after.value());  // positions are 1-based and dense
    for (std::size_t i = first; i < records_.size() && out.size() < max; ++i)
      out.push_back(records_[i]);
    return out;
  }
  Position committed_position() const override {
    return Position(static_cast<std::int64_t>(records_.size()));
  }

  void add(Key key, ValueType type, Intent intent, Json value) {
    Record record;
    record.position = Position(static_cast<std::int64_t>(records_.size()) + 1);
    record.key = key;
    record.timestamp_ms = 1'700'000'000'000 + record.position.value();
    record.record_type = RecordType::kEvent;
    record.value_type = type;
    record.intent = intent;
    record.partition_id = PartitionId(1);
    record.value = std::move(value);
    records_.push_back(std::move(record));
  }

  // Appends one process instance's events; returns how many records that was.
  std::size_t add_instance() {
    std::size_t before = records_.size();
    std::int64_t pi = next_key_;
    next_key_ += 10;
    Json base{{"bpmnProcessId", "order"},
              {"version", 1},
              {"processDefinitionKey", 1},
              {"processInstanceKey", pi},
              {"tenantId", "<default>"}};
    auto element = [&](const char* id, const char* type, std::int64_t scope) {
      Json v = base;
      v["elementId"] = id;
      v["bpmnElementType"] = type;
      v["flowScopeKey"] = scope;
      return v;
    };
    auto lifecycle = [&](std::int64_t key, const Json& v, bool complete) {
      add(Key(key), ValueType::kProcessInstance, Intent::kElementActivating, v);
      add(Key(key), ValueType::kProcessInstance, Intent::kElementActivated, v);
      if (!complete) return;
      add(Key(key), ValueType::kProcessInstance, Intent::kElementCompleting, v);
      add(Key(key), ValueType::kProcessInstance, Intent::kElementCompleted, v);
    };
    lifecycle(pi, element("order", "PROCESS", -1), false);
    add(Key(pi + 1), ValueType::kVariable, Intent::kCreated,
        Json{{"name", "orderId"},
             {"value", "\"A-1\""},
             {"scopeKey", pi},
             {"processInstanceKey", pi}});
    lifecycle(pi + 2, element("start", "START_EVENT", pi), true);
    lifecycle(pi + 3, element("task", "SERVICE_TASK", pi), false);
    Json job = base;
    job.update(Json{{"type", "pack"},
                    {"retries", 3},
                    {"worker", ""},
                    {"deadline", -1},
                    {"elementId", "task"},
                    {"elementInstanceKey", pi + 3},
                    {"customHeaders", Json::object()}});
    add(Key(pi + 4), ValueType::kJob, Intent::kCreated, job);
    job["worker"] = "bench";
    add(Key(pi + 4), ValueType::kJobBatch, Intent::kActivated,
        Json{{"jobKeys", Json::array({pi + 4})}, {"jobs", Json::array({job})}});
    add(Key(pi + 4), ValueType::kJob, Intent::kCompleted, job);
    add(Key(pi + 5), ValueType::kVariable, Intent::kCreated,
        Json{{"name", "packed"}, {"value", "true"}, {"scopeKey", pi}, {"processInstanceKey", pi}});
    add(Key(pi + 3), ValueType::kProcessInstance, Intent::kElementCompleting,
        element("task", "SERVICE_TASK", pi));
    add(Key(pi + 3), ValueType::kProcessInstance, Intent::kElementCompleted,
        element("task", "SERVICE_TASK", pi));
    lifecycle(pi + 6, element("end", "END_EVENT", pi), true);
    add(Key(pi), ValueType::kProcessInstance, Intent::kElementCompleting,
        element("order", "PROCESS", -1));
    add(Key(pi), ValueType::kProcessInstance, Intent::kElementCompleted,
        element("order", "PROCESS", -1));
    return records_.size() - before;
  }

 private:
  std::vector<Record> records_;
  std::int64_t next_key_ = 1'000;
};

class NoStore final : public PositionStore {
 public:
  std::optional<Position> load(const std::string&) override { return std::nullopt; }
  void store(const std::string&, Position) override {}
};

class FixedClock final : public DirectorClock {
 public:
  std::int64_t now_ms() const override { return 0; }
};

// Exports `instances_per_iteration` instances per iteration until the benchmark stops.
void export_loop(benchmark::State& state, std::unique_ptr<Exporter> exporter, const char* type) {
  GrowingLog log;
  NoStore store;
  FixedClock clock;
  DirectorOptions options;
  options.max_records_per_run = 1'000;
  ExporterDirector director(options, log, store, clock);
  if (!director.add("bench", type, std::move(exporter))) {
    state.SkipWithError("cannot add the exporter");
    return;
  }
  std::size_t records = 0;
  for (auto _ : state) {
    for (int i = 0; i < state.range(0); ++i)
      records += log.add_instance();
    RunResult result;
    do {
      result = director.run();
    } while (result.more_work);
    auto snapshot = director.snapshot();
    if (!snapshot.exporters.front().last_error.empty()) {
      state.SkipWithError(snapshot.exporters.front().last_error.c_str());
      return;
    }
  }
  state.counters["records_per_second"] =
      benchmark::Counter(static_cast<double>(records), benchmark::Counter::kIsRate);
}

test::PostgresServer* postgres() {
  static std::unique_ptr<test::PostgresServer> server = [] {
    auto started = test::PostgresServer::start();
    if (!started) {
      std::fprintf(stderr, "cannot start PostgreSQL: %s\n", started.error().c_str());
      std::abort();
    }
    return std::move(started.value());
  }();
  return server.get();
}

void BM_PostgresExport(benchmark::State& state) {
  static int run = 0;
  auto exporter = std::make_unique<PostgresExporter>();
  auto configured = exporter->configure(
      {"bench", PartitionId(1),
       Json{{"url", postgres()->url()}, {"schema", "bench_" + std::to_string(++run)}}});
  if (!configured) {
    state.SkipWithError(configured.error().message.c_str());
    return;
  }
  export_loop(state, std::move(exporter), "postgresql");
}
BENCHMARK(BM_PostgresExport)->Arg(40)->Arg(400)->Unit(benchmark::kMillisecond)->UseRealTime();

void BM_JsonLinesExport(benchmark::State& state) {
  tern::test::TempDir dir;
  auto exporter = std::make_unique<JsonLinesExporter>();
  auto configured =
      exporter->configure({"bench", PartitionId(1), Json{{"directory", dir.path().string()}}});
  if (!configured) {
    state.SkipWithError(configured.error().message.c_str());
    return;
  }
  export_loop(state, std::move(exporter), "jsonl");
}
BENCHMARK(BM_JsonLinesExport)->Arg(400)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace
}  // namespace tern::exporter::bench

BENCHMARK_MAIN();
