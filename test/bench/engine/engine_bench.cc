// Prints (1) one-task process instances per second processed by one partition with no
// replication: create, activate the job, complete it, the instance completes; and (2) the bytes
// of RocksDB state per running instance (instances waiting on their job).
//
// Usage: tern_engine_bench [instances=5000] [running=5000] [max_pending_write_bytes=default]
// (the last is StateDbOptions' bound on the window of state writes kept across polls)

#include <spdlog/spdlog.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <vector>

#include "engine/log/in_memory_log_stream.h"
#include "engine/partition_engine.h"
#include "support/temp_dir.h"

namespace {

using namespace tern::engine;

const char* kProcess = R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="defs" targetNamespace="http://tern">
  <bpmn:process id="bench" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="f1" sourceRef="start" targetRef="task" />
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements><zeebe:taskDefinition type="work" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="f2" sourceRef="task" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>)";

// Keeps the job keys of the last JOB_BATCH response (a worker needs only those); copying whole
// response records would put the benchmark's own copies into what it measures.
class Counter : public ResponseSink {
 public:
  void on_response(const Response& response) override {
    ++count;
    if (response.record.value_type != ValueType::kJobBatch) return;
    job_keys.clear();
    for (const auto& key : response.record.value.at("jobKeys"))
      job_keys.push_back(key.get<std::int64_t>());
  }
  std::vector<std::int64_t> job_keys;
  std::size_t count = 0;
};

struct Bench {
  tern::test::TempDir dir;
  ControlledClock clock;
  InMemoryLogStream log;
  std::unique_ptr<PartitionEngine> engine;
  Counter responses;
  std::int64_t next_request = 1;

  explicit Bench(const EngineOptions& options) {
    auto opened =
        PartitionEngine::open(dir.path() / "state", tern::PartitionId(1), log, clock, options);
    if (!opened) {
      std::fprintf(stderr, "cannot open engine: %s\n", opened.error().message.c_str());
      std::exit(1);
    }
    engine = std::move(opened.value());
    engine->set_response_sink(&responses);
    engine->become_leader();
    write(ValueType::kDeployment, Intent::kCreate,
          Json{{"resources",
                Json::array({Json{{"resourceName", "bench.bpmn"}, {"resource", kProcess}}})}});
    process();
  }

  // Processes everything written, then drops it from the in-memory log, as a broker's log is
  // compacted below its snapshots: a log that only grows would make the benchmark measure page
  // faults of fresh memory for records nobody reads again.
  void process() {
    while (engine->on_committed()) {
    }
    log.compact_before(log.committed_position().next());
  }

  void write(ValueType type, Intent intent, Json value, Key key = kNoKey) {
    Record record;
    record.key = key;
    record.value_type = type;
    record.intent = intent;
    record.request = RequestRef{1, next_request++};
    record.value = std::move(value);
    std::vector<Record> batch{std::move(record)};
    if (!log.append(batch)) std::exit(1);
  }

  void create(int count) {
    for (int i = 0; i < count; ++i) {
      write(ValueType::kProcessInstanceCreation, Intent::kCreate,
            Json{{"bpmnProcessId", "bench"}, {"variables", Json{{"i", i}}}});
    }
    process();
  }

  // Activates and completes every waiting job, in batches of 100 as a worker would.
  std::size_t work_all() {
    std::size_t done = 0;
    while (true) {
      write(ValueType::kJobBatch, Intent::kActivate,
            Json{{"type", "work"},
                 {"worker", "bench"},
                 {"timeout", 60000},
                 {"maxJobsToActivate", 100}});
      process();
      std::vector<std::int64_t> keys = std::move(responses.job_keys);
      responses.job_keys.clear();
      if (keys.empty()) return done;
      for (auto key : keys)
        write(ValueType::kJob, Intent::kComplete, Json{{"variables", Json{{"ok", true}}}},
              Key(key));
      process();
      done += keys.size();
    }
  }
};

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);
  int instances = argc > 1 ? std::atoi(argv[1]) : 5000;
  int running = argc > 2 ? std::atoi(argv[2]) : 5000;
  EngineOptions options;
  if (argc > 3) options.db.max_pending_write_bytes = std::strtoull(argv[3], nullptr, 10);

  {
    Bench bench(options);
    auto start = std::chrono::steady_clock::now();
    // CPU time as well as wall time: the machine is shared, and a loaded run's wall time says
    // more about the neighbours than about the engine.
    std::clock_t cpu_start = std::clock();
    constexpr int kChunk = 500;
    std::size_t completed = 0;
    for (int created = 0; created < instances; created += kChunk) {
      bench.create(std::min(kChunk, instances - created));
      completed += bench.work_all();
    }
    auto seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpu_seconds = static_cast<double>(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    std::printf("one-task instances completed: %zu in %.3f s = %.0f instances/s (%lld records)\n",
                completed, seconds, static_cast<double>(completed) / seconds,
                static_cast<long long>(bench.log.last_position().value()));
    std::printf("CPU: %.3f s = %.1f us per instance = %.0f instances per CPU second\n", cpu_seconds,
                cpu_seconds * 1e6 / static_cast<double>(completed),
                static_cast<double>(completed) / cpu_seconds);
  }
  {
    Bench bench(options);
    (void)bench.engine->db().flush();
    auto before = bench.engine->db().approximate_size_bytes();
    bench.create(running);
    (void)bench.engine->db().flush();
    auto after = bench.engine->db().approximate_size_bytes();
    std::printf(
        "state per running instance (waiting on its job): %.0f bytes (%d instances, "
        "%llu bytes of SST)\n",
        static_cast<double>(after - before) / running, running,
        static_cast<unsigned long long>(after));
  }
  return 0;
}
