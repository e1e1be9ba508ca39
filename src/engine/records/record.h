#pragma once

// The unit of the partition's log: a command, an event or a command rejection, with Zeebe's export
// model of value types and intents so that exported records look familiar. A record value is a
// JSON document (nlohmann::json) holding exactly the fields Zeebe exports for that value type.

#include <cstdint>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "common/strong_id.h"

namespace tern::engine {

using Json = nlohmann::json;

// A record's place in the partition's log; positions only grow. 0 means "none".
using Position = StrongId<struct PositionTag, std::int64_t>;
// An entity's key; carries the partition id in its upper 13 bits (see keys.h). -1 means "none".
using Key = StrongId<struct KeyTag, std::int64_t>;

inline constexpr Key kNoKey{-1};
inline constexpr Position kNoPosition{-1};

enum class RecordType : std::uint8_t { kCommand = 0, kEvent = 1, kCommandRejection = 2 };

enum class ValueType : std::uint8_t {
  kDeployment = 0,
  kProcess = 1,
  kProcessInstance = 2,
  kProcessInstanceCreation = 3,
  kProcessInstanceResult = 4,
  kJob = 5,
  kJobBatch = 6,
  kVariable = 7,
  kVariableDocument = 8,
  kIncident = 9,
  kError = 10,
  kTimer = 11,
  kMessage = 12,
  kMessageSubscription = 13,
  kProcessMessageSubscription = 14,
  kProcessEvent = 15,
  kSignal = 16,
  kEscalation = 17,
  kMessageStartEventSubscription = 18,
  kExporter = 19,  // an exporter's acknowledged position (UPDATE / UPDATED), see exporter_state.h
  kSignalSubscription = 20,
  kCompensationSubscription = 21,  // CREATED / TRIGGERED / COMPLETED / DELETED, see
                                   // processors/compensation_behavior.h
  kCount_,  // not a value type: the number of value types, for decoding checks
};

// One enum for every value type's intents: Zeebe renders intents by name only, and the same name
// (CREATED, COMPLETED, ...) means the analogous transition for every value type.
enum class Intent : std::uint8_t {
  // commands
  kCreate = 0,
  kCreateWithAwaitingResult,
  kActivateElement,
  kCompleteElement,
  kTerminateElement,
  kCancel,
  kActivate,
  kComplete,
  kFail,
  kThrowError,
  kUpdateRetries,
  kUpdateTimeout,
  kTimeOut,
  kRecurAfterBackoff,
  kResolve,
  kUpdate,
  // events
  kCreated,
  kElementActivating,
  kElementActivated,
  kElementCompleting,
  kElementCompleted,
  kElementTerminating,
  kElementTerminated,
  kSequenceFlowTaken,
  kActivated,
  kCompleted,
  kFailed,
  kErrorThrown,
  kRetriesUpdated,
  kTimeoutUpdated,
  kTimedOut,
  kRecurredAfterBackoff,
  kCanceled,
  kResolved,
  kUpdated,
  // timers, messages, signals, escalations, process events (engine breadth)
  kTrigger,
  kTriggering,
  kTriggered,
  kPublish,
  kPublished,
  kExpire,
  kExpired,
  kCorrelate,
  kCorrelating,
  kCorrelated,
  kDelete,
  kDeleted,
  kCreating,
  kDeleting,
  kBroadcast,
  kBroadcasted,
  kEscalated,
  kNotEscalated,
  kReject,
  kRejected,
  // signals thrown to other partitions until each acknowledges (signal_behavior.h)
  kDistributing,
  kAcknowledge,
  kAcknowledged,
  kCount_,  // not an intent: the number of intents, for decoding checks
};

// Zeebe's rejection types.
enum class RejectionType : std::uint8_t {
  kNullVal = 0,
  kInvalidArgument,
  kNotFound,
  kAlreadyExists,
  kInvalidState,
  kProcessingError,
  kExceededBatchRecordSize,
};

std::string_view to_string(RecordType type);
std::string_view to_string(ValueType type);
std::string_view to_string(Intent intent);
std::string_view to_string(RejectionType type);

// Where a command came from, so that its response can be routed back; -1 when nobody waits.
struct RequestRef {
  std::int32_t stream_id = -1;
  std::int64_t request_id = -1;

  bool present() const { return stream_id >= 0 && request_id >= 0; }
  bool operator==(const RequestRef&) const = default;
};

struct Record {
  // Marks a record whose value the caller fills in at once (reading a log, writing a follow-up):
  // it starts null instead of allocating the empty object that is then thrown away.
  struct ValueToFill {};
  static constexpr ValueToFill kValueToFill{};

  // A record whose value is the empty object.
  Record() = default;
  explicit Record(ValueToFill) : value() {}

  Position position{0};
  Position source_position = kNoPosition;
  Key key = kNoKey;
  std::int64_t timestamp_ms = 0;
  RecordType record_type = RecordType::kCommand;
  ValueType value_type = ValueType::kDeployment;
  Intent intent = Intent::kCreate;
  RejectionType rejection_type = RejectionType::kNullVal;
  std::string rejection_reason;
  PartitionId partition_id{0};
  RequestRef request;
  Json value = Json::object();
  // The value as MessagePack, when the record was written from a typed value (PROCESS_INSTANCE,
  // JOB; see ResultBuilder) straight to the bytes the log holds: `value` is then null, and JSON is
  // built only where something asks for it (value_json, materialize_value). Empty otherwise — a
  // MessagePack value is never empty. Records read from a log always carry `value`.
  std::string packed_value;

  bool is_command() const { return record_type == RecordType::kCommand; }
  bool is_event() const { return record_type == RecordType::kEvent; }
  bool has_packed_value() const { return !packed_value.empty(); }

  // Equal metadata and equal values, whichever form each value is held in.
  bool operator==(const Record& other) const;
};

// The record's value as JSON: `value`, or `packed_value` decoded.
Json value_json(const Record& record);
// Turns a packed value into `value` (nothing to do for a record that holds JSON), for a record
// that leaves the engine where its JSON is read (responses).
void materialize_value(Record& record);

// The exported-record JSON shape ("partitionId", "position", "sourceRecordPosition", "key",
// "timestamp", "recordType", "valueType", "intent", "rejectionType", "rejectionReason",
// "brokerVersion", "value").
Json to_json(const Record& record);

// One line for logs and test failure messages: "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED key=..".
std::string describe(const Record& record);

inline constexpr std::string_view kBrokerVersion = "8.5.0";

}  // namespace tern::engine
