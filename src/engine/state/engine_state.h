#pragma once

// Typed access to the partition's state, on top of one Transaction. Processors hold it as
// `const EngineState&` (reads only); appliers hold it mutably and are the only code that writes.
// Element instances and jobs are stored in compact binary encodings of their typed values (they
// are read and written several times per command); the rarer entities are MessagePack of small
// JSON documents.
//
// Thread: the partition's strand.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/records/job_value.h"
#include "engine/records/process_instance_value.h"
#include "engine/records/record.h"
#include "engine/state/db_key.h"
#include "engine/state/state_db.h"

namespace tern::engine {

// A deployed process definition (from PROCESS CREATED).
struct ProcessDefinition {
  Key key = kNoKey;
  std::string bpmn_process_id;
  std::int32_t version = 0;
  std::string resource_name;
  std::string checksum;
  std::string resource;  // the BPMN XML
};

// A running element instance: the PROCESS_INSTANCE value of its records (typed) plus runtime
// counters. Stored in a compact binary encoding (engine_state.cc), not as a JSON document: element
// instances are read and written several times per element, and decoding JSON dominated.
struct ElementInstance {
  Key key = kNoKey;
  Intent state = Intent::kElementActivating;
  ProcessInstanceValue value;     // the PROCESS_INSTANCE record value
  std::int32_t child_count = 0;   // existing child element instances
  std::int32_t active_flows = 0;  // taken sequence flows whose target is not yet activated
  Key job_key = kNoKey;
  bool interrupted = false;  // a terminate end event ended this scope; no new children
  // MULTI_INSTANCE_BODY only: inner instances activated so far (the last one's loopCounter), and
  // how many of them completed or were terminated.
  std::int32_t loop_counter = 0;
  std::int32_t completed_inner = 0;
  std::int32_t terminated_inner = 0;

  Key flow_scope_key() const { return value.flow_scope_key; }
  Key process_instance_key() const { return value.process_instance_key; }
  const std::string& element_id() const { return value.element_id; }
  const std::string& element_type() const { return value.bpmn_element_type; }
};

enum class JobState : std::uint8_t { kActivatable, kActivated, kFailed, kErrorThrown };

// A job: its state and the JOB value of its records (typed; stored in a compact binary encoding,
// engine_state.cc).
struct JobEntry {
  Key key = kNoKey;
  JobState state = JobState::kActivatable;
  JobValue value;
};

struct VariableEntry {
  Key key = kNoKey;
  std::string json_text;  // the variable's value, serialized JSON
};

// The request of a create-with-result, waiting for its instance to complete.
struct AwaitedResult {
  RequestRef request;
  std::vector<std::string> fetch_variables;
  Json creation;  // the PROCESS_INSTANCE_CREATION value to answer with
};

class EngineState {
 public:
  EngineState(Transaction& transaction, PartitionId partition)
      : txn_(transaction), partition_(partition) {}

  PartitionId partition() const { return partition_; }
  // The transaction underneath, for state classes of other concerns (state/event_state.h).
  Transaction& transaction() const { return txn_; }

  // --- positions and keys (StateKind::kMeta / kKeyGenerator)
  Position last_processed_position() const;
  void set_last_processed_position(Position position);
  Position last_applied_position() const;
  void set_last_applied_position(Position position);
  std::int64_t key_counter() const;
  // Raises the key counter to `key`'s counter when `key` is this partition's and higher.
  void observe_key(Key key);
  // Whether `key` was generated after the last write of state to RocksDB, so that RocksDB holds
  // nothing keyed by it: every entry keyed by a record's key is written by the applier of that
  // record, which raises the key counter in the same commit (observe_key).
  bool is_new_key(Key key) const;

  // --- processes
  std::optional<ProcessDefinition> process(Key key) const;
  std::optional<Key> latest_process(std::string_view bpmn_process_id) const;
  std::optional<Key> process_by_version(std::string_view bpmn_process_id,
                                        std::int32_t version) const;
  void put_process(const ProcessDefinition& process);

  // --- element instances
  std::optional<ElementInstance> element_instance(Key key) const;
  // A new element instance (ELEMENT_ACTIVATING): the instance and its entry among its flow
  // scope's children.
  void create_element_instance(const ElementInstance& instance);
  // An element instance that exists: its entry among the children is already there.
  void put_element_instance(const ElementInstance& instance);
  void remove_element_instance(const ElementInstance& instance);
  std::vector<Key> children(Key scope_key) const;
  // A process instance started by a call activity is listed among the call activity's children
  // (so that terminating the call activity reaches it) without being in its flow scope.
  void link_called_instance(Key call_activity_key, Key process_instance_key);
  void unlink_called_instance(Key call_activity_key, Key process_instance_key);
  std::int32_t join_count(Key scope_key, std::string_view gateway_id,
                          std::string_view flow_id) const;
  void set_join_count(Key scope_key, std::string_view gateway_id, std::string_view flow_id,
                      std::int32_t count);
  void clear_join_counts(Key scope_key);
  // Every (target element id, flow id, count) of the scope's counted tokens, in key order.
  struct FlowTokens {
    std::string target_id;
    std::string flow_id;
    std::int32_t count = 0;
  };
  std::vector<FlowTokens> join_tokens(Key scope_key) const;

  // --- variables
  std::optional<VariableEntry> variable(Key scope_key, std::string_view name) const;
  // Every variable of one scope, by name.
  std::vector<std::pair<std::string, VariableEntry>> variables(Key scope_key) const;
  void put_variable(Key scope_key, std::string_view name, const VariableEntry& entry);
  void remove_variables(Key scope_key);

  // --- jobs
  std::optional<JobEntry> job(Key key) const;
  bool has_job(Key key) const;
  void put_job(const JobEntry& job);
  void remove_job(Key key);
  std::vector<Key> activatable_jobs(std::string_view type, std::size_t max) const;
  // Jobs whose deadline (or back-off) is at or before `now_ms`, up to `max`.
  std::vector<Key> jobs_past_deadline(std::int64_t now_ms, std::size_t max) const;
  std::vector<Key> jobs_past_backoff(std::int64_t now_ms, std::size_t max) const;

  // --- incidents
  std::optional<Json> incident(Key key) const;
  void put_incident(Key key, const Json& value);
  void remove_incident(Key key);
  std::optional<Key> element_incident(Key element_instance_key) const;
  std::optional<Key> job_incident(Key job_key) const;

  // --- create-with-result requests
  std::optional<AwaitedResult> awaited_result(Key process_instance_key) const;
  void put_awaited_result(Key process_instance_key, const AwaitedResult& awaited);
  void remove_awaited_result(Key process_instance_key);

 private:
  // Scans `prefix`, the entries of one scope; from the pending writes alone when the scope's key
  // is new (is_new_key), as RocksDB then holds none of them.
  void scan_scope(const DbKey& prefix, Key scope_key,
                  const std::function<bool(std::string_view, std::string_view)>& visit) const;
  std::optional<Json> get_doc(std::string_view key) const;
  void put_doc(std::string_view key, const Json& doc);
  enum class IndexChange { kAdd, kAddNew, kRemove };
  void index_job(Key key, JobState state, const JobValue::Index& index, IndexChange change);

  Transaction& txn_;
  PartitionId partition_;
};

std::string_view to_string(JobState state);

}  // namespace tern::engine
