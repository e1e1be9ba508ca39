#pragma once

// Runs one partition's engine on an in-memory log with a real RocksDB in a temporary folder, with
// a controllable clock, for given/when/then tests:
//
//   EngineHarness h;
//   auto process = h.deploy_process(bpmn::one_task("p", "work"));         // given
//   auto instance = h.create_instance("p");                               // when
//   EXPECT_THAT(h.stream_since(mark), ElementsAre("EVENT ...", ...));     // then
//
// Commands are written like a gateway would (with a request id) and processed to quiescence;
// responses are captured by request id.

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "engine/log/in_memory_log_stream.h"
#include "engine/partition_engine.h"
#include "engine/processing/clock.h"
#include "support/temp_dir.h"

namespace tern::engine::test {

class EngineHarness : public ResponseSink, public JobAvailabilityListener {
 public:
  explicit EngineHarness(PartitionId partition = PartitionId(1));
  // With other state options (the write-back bound); put_absent claims are always verified.
  EngineHarness(PartitionId partition, const StateDbOptions& db);
  ~EngineHarness() override;

  // --- when: write a command as a client would and process everything that follows.
  // Returns the response to it (the accepted event or the rejection).
  Response command(ValueType type, Intent intent, Json value, Key key = kNoKey);
  // Writes a command without processing (for tests that stop before processing).
  RequestRef write(ValueType type, Intent intent, Json value, Key key = kNoKey);
  void process();

  // --- conveniences for common commands
  Response deploy(const std::string& resource_name, const std::string& xml);
  Key deploy_process(const std::string& xml);  // asserts acceptance; the process definition key
  Response create(const std::string& process_id, Json variables = Json::object());
  Key create_instance(const std::string& process_id, Json variables = Json::object());
  Response activate_jobs(const std::string& type, int max_jobs = 10,
                         std::int64_t timeout_ms = 60'000, std::vector<std::string> fetch = {});
  // Activates exactly one job of `type` and returns its key (asserts there is one).
  Key activate_one(const std::string& type);
  Response complete_job(Key job, Json variables = Json::object());
  Response fail_job(Key job, int retries, std::string message = "", std::int64_t backoff_ms = 0);
  Response resolve(Key incident);
  Response set_variables(Key scope, Json variables, bool local);
  Response cancel(Key instance);

  // --- then
  std::vector<Record> records() const { return log_.all(); }
  Position mark() const { return log_.last_position(); }
  // "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED task" lines of the records after `since`.
  std::vector<std::string> stream_since(Position since) const;
  // Only process-instance lifecycle lines ("ELEMENT_ACTIVATED task"), after `since`.
  std::vector<std::string> lifecycle_since(Position since) const;
  // The first record after `since` matching type and intent (asserts there is one).
  Record find(ValueType type, Intent intent, Position since = Position(0)) const;
  std::vector<Record> find_all(ValueType type, Intent intent, Position since = Position(0)) const;
  // Responses answered to requests, by request id, in the order they were sent.
  const std::map<std::int64_t, Response>& responses() const { return responses_; }
  const std::vector<std::string>& wakeups() const { return wakeups_; }

  // --- lifecycle
  ControlledClock& clock() { return clock_; }
  InMemoryLogStream& log() { return log_; }
  PartitionEngine& engine() { return *engine_; }
  std::string digest() const { return engine_->state_digest(); }
  // Closes the engine and opens it again on the same folder (a process restart).
  void restart();
  // A fresh follower replaying this log from the start into a new folder; its digest.
  std::string replayed_digest() const;

  void on_response(const Response& response) override;
  void on_jobs_available(std::string_view type) override;

 private:
  void open();

  PartitionId partition_;
  StateDbOptions db_options_;
  tern::test::TempDir dir_;
  ControlledClock clock_;
  InMemoryLogStream log_;
  std::unique_ptr<PartitionEngine> engine_;
  std::int64_t next_request_ = 1;
  std::map<std::int64_t, Response> responses_;
  std::vector<std::string> wakeups_;
};

// Small BPMN documents for tests.
namespace models {
std::string definitions(const std::string& process_id, const std::string& body);
std::string one_task(const std::string& process_id, const std::string& job_type,
                     const std::string& task_extras = "");
}  // namespace models

}  // namespace tern::engine::test
