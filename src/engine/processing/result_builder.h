#pragma once

// What processing one command produces: follow-up events (applied to state at once, so that the
// rest of the processing reads its own effects), follow-up commands, a rejection, and responses.
// The stream processor appends the records as one batch and commits the state transaction.
//
// Thread: the partition's strand; lives for one command.

#include <cstdint>
#include <string>
#include <vector>

#include "engine/appliers/event_applier.h"
#include "engine/processing/sinks.h"
#include "engine/records/job_batch_value.h"
#include "engine/records/job_value.h"
#include "engine/records/process_instance_value.h"
#include "engine/records/record.h"
#include "engine/records/variable_value.h"
#include "engine/state/engine_state.h"

namespace tern::engine {

class ResultBuilder {
 public:
  ResultBuilder(const Record& command, EngineState& state, EventApplier& applier,
                std::int64_t now_ms)
      : command_(command), state_(state), applier_(applier), now_ms_(now_ms) {
    // Most commands write a handful of records: one allocation instead of the vector's
    // doublings, each of which moves every record written so far.
    records_.reserve(kTypicalRecords);
    applier_.begin_command();
  }
  ~ResultBuilder() { applier_.end_command(); }
  ResultBuilder(const ResultBuilder&) = delete;
  ResultBuilder& operator=(const ResultBuilder&) = delete;

  const Record& command() const { return command_; }
  std::int64_t now_ms() const { return now_ms_; }

  // The element instance with `key` as state holds it now, read through the appliers' cache of
  // the element instances this command touched (decoded once per command). Reads of many
  // instances (a scope's children) go to state directly, so that they do not push the few
  // instances a command keeps using out of the small cache.
  std::optional<ElementInstance> element_instance(Key key) {
    return applier_.load_instance(state_, key);
  }

  // A fresh key of this partition. Every key taken must appear on a written record, so that
  // replay (which raises the key counter from records) reaches the same counter.
  Key next_key();

  // Appends an event and applies it to state.
  // `request` is set only on events that carry a request for a later answer (create with result).
  const Record& event(Key key, ValueType value_type, Intent intent, Json value,
                      RequestRef request = {});
  // A PROCESS_INSTANCE (JOB) event: the record carries the value as MessagePack, encoded here
  // straight from the typed value (no JSON is built), and the applier takes the typed value as
  // it is.
  const Record& event(Key key, ValueType value_type, Intent intent,
                      const ProcessInstanceValue& value, RequestRef request = {});
  const Record& event(Key key, ValueType value_type, Intent intent, const JobValue& value,
                      RequestRef request = {});
  const Record& event(Key key, ValueType value_type, Intent intent, const VariableValue& value,
                      RequestRef request = {});
  const Record& event(Key key, ValueType value_type, Intent intent, const JobBatchValue& value,
                      RequestRef request = {});
  // Appends a follow-up command, processed once committed.
  void command(Key key, ValueType value_type, Intent intent, Json value);
  void command(Key key, ValueType value_type, Intent intent, const ProcessInstanceValue& value);
  // A command for another partition (message subscriptions), sent by the stream processor once
  // this batch is committed; not written to this partition's log.
  void remote_command(PartitionId target, ValueType value_type, Intent intent, Json value) {
    remote_commands_.push_back(
        make(kNoKey, RecordType::kCommand, value_type, intent, std::move(value)));
    remote_commands_.back().partition_id = target;
  }
  std::vector<Record>& remote_commands() { return remote_commands_; }
  // Rejects the command being processed and answers its request with the rejection.
  void reject(RejectionType type, std::string reason);
  // Answers the command being processed with `record` (an event written above); the answer
  // carries the value as JSON.
  void respond(const Record& record);
  // Answers another request (create-with-result) with a record not written to the log.
  void respond_to(RequestRef request, Record record);

  bool rejected() const { return rejected_; }
  std::vector<Record>& records() { return records_; }
  std::vector<Response>& responses() { return responses_; }

 private:
  Record make(Key key, RecordType type, ValueType value_type, Intent intent, Json value) const;
  // The typed event overloads: the record gets the value's MessagePack, the applier the typed
  // value.
  template <typename TypedValue>
  const Record& typed_event(Key key, ValueType value_type, Intent intent, const TypedValue& value,
                            RequestRef request);

  static constexpr std::size_t kTypicalRecords = 8;

  const Record& command_;
  EngineState& state_;
  EventApplier& applier_;
  std::int64_t now_ms_;
  std::vector<Record> records_;
  std::vector<Response> responses_;
  std::vector<Record> remote_commands_;
  bool rejected_ = false;
};

}  // namespace tern::engine
