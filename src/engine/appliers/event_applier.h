#pragma once

// The only code that changes state: one applier per (value type, intent) of an event. Appliers are
// deterministic (no IO, no clock, no randomness: keys and times come from the record), so that
// replaying the log's events rebuilds exactly the state the leader had.
//
// Versioning: every applier below is version 1. A released applier is never edited; a changed
// behaviour gets a new function registered for a new record version.
//
// Thread: the partition's strand.

#include <optional>
#include <set>
#include <string>
#include <vector>

#include "engine/processing/model_cache.h"
#include "engine/records/job_batch_value.h"
#include "engine/records/job_value.h"
#include "engine/records/process_instance_value.h"
#include "engine/records/record.h"
#include "engine/records/variable_value.h"
#include "engine/state/engine_state.h"

namespace tern::engine {

class EventApplier {
 public:
  explicit EventApplier(ModelCache& models) : models_(models) {}

  // Applies one event (or notes a rejection/command's key). Aborts on an event the state cannot
  // accept: that is a broken log, not a user error.
  void apply(const Record& record, EngineState& state);
  // The same for an event the leader has just written, with its value still typed: the value is
  // not parsed back from the record's JSON.
  void apply(const Record& record, const ProcessInstanceValue& value, EngineState& state);
  void apply(const Record& record, const JobValue& value, EngineState& state);
  void apply(const Record& record, const VariableValue& value, EngineState& state);
  void apply(const Record& record, const JobBatchValue& value, EngineState& state);

  // Job types that became activatable since the last call (for wake-ups on the leader).
  std::set<std::string> take_activatable_types() { return std::exchange(activatable_types_, {}); }

  // While one command is processed (ResultBuilder's lifetime), the element instances these
  // appliers read and write are kept decoded, so that the several events of one element in one
  // command (ACTIVATING, ACTIVATED, ...; its scope for each child) decode it once. Every write of
  // an element instance is in this file and goes through the cache, so it always holds what state
  // holds; both calls drop it, so that nothing outlives a rollback. Outside a command (replay) it
  // is not used.
  void begin_command() { start_caching(true); }
  void end_command() { start_caching(false); }

  // An element instance through the command's cache (state alone outside a command). Processors
  // read through it too (ResultBuilder::element_instance): the element and scope a command
  // reads are mostly those its events just wrote, already decoded here.
  std::optional<ElementInstance> load_instance(const EngineState& state, Key key);

 private:
  void apply_process_instance(const Record& record, const ProcessInstanceValue& value,
                              EngineState& state);
  void apply_job(const Record& record, const JobValue& value, EngineState& state);
  void apply_job_batch(const Record& record, EngineState& state);
  void activate_job(Key key, std::int64_t deadline, const std::string& worker, EngineState& state);
  void apply_incident(const Record& record, EngineState& state);
  void on_element_activating(const Record& record, const ProcessInstanceValue& value,
                             EngineState& state);
  void on_element_finished(const Record& record, const ProcessInstanceValue& value,
                           EngineState& state);
  void on_sequence_flow_taken(const ProcessInstanceValue& value, EngineState& state);
  void make_activatable(JobEntry& job, EngineState& state);

  // Element instance writes, through the command's cache.
  void create_instance(EngineState& state, const ElementInstance& instance);
  void store_instance(EngineState& state, const ElementInstance& instance);
  void remove_instance(EngineState& state, const ElementInstance& instance);
  ElementInstance* cached(Key key);
  void remember(const ElementInstance& instance);
  void start_caching(bool on) {
    instances_.clear();
    caching_ = on;
  }

  ModelCache& models_;
  std::set<std::string> activatable_types_;
  // A command touches few element instances (the element, its scope, a called process): a short
  // vector searched from the back, bounded so that a command touching many stays cheap.
  static constexpr std::size_t kMaxCachedInstances = 8;
  std::vector<ElementInstance> instances_;
  bool caching_ = false;
};

}  // namespace tern::engine
