#include "engine/records/record.h"

#include <array>

#include "common/check.h"
#include "engine/records/msgpack.h"

namespace tern::engine {

std::string_view to_string(RecordType type) {
  switch (type) {
    case RecordType::kCommand:
      return "COMMAND";
    case RecordType::kEvent:
      return "EVENT";
    case RecordType::kCommandRejection:
      return "COMMAND_REJECTION";
  }
  return "UNKNOWN";
}

std::string_view to_string(ValueType type) {
  switch (type) {
    case ValueType::kDeployment:
      return "DEPLOYMENT";
    case ValueType::kProcess:
      return "PROCESS";
    case ValueType::kProcessInstance:
      return "PROCESS_INSTANCE";
    case ValueType::kProcessInstanceCreation:
      return "PROCESS_INSTANCE_CREATION";
    case ValueType::kProcessInstanceResult:
      return "PROCESS_INSTANCE_RESULT";
    case ValueType::kJob:
      return "JOB";
    case ValueType::kJobBatch:
      return "JOB_BATCH";
    case ValueType::kVariable:
      return "VARIABLE";
    case ValueType::kVariableDocument:
      return "VARIABLE_DOCUMENT";
    case ValueType::kIncident:
      return "INCIDENT";
    case ValueType::kError:
      return "ERROR";
    case ValueType::kTimer:
      return "TIMER";
    case ValueType::kMessage:
      return "MESSAGE";
    case ValueType::kMessageSubscription:
      return "MESSAGE_SUBSCRIPTION";
    case ValueType::kProcessMessageSubscription:
      return "PROCESS_MESSAGE_SUBSCRIPTION";
    case ValueType::kProcessEvent:
      return "PROCESS_EVENT";
    case ValueType::kSignal:
      return "SIGNAL";
    case ValueType::kEscalation:
      return "ESCALATION";
    case ValueType::kMessageStartEventSubscription:
      return "MESSAGE_START_EVENT_SUBSCRIPTION";
    case ValueType::kExporter:
      return "EXPORTER";
    case ValueType::kSignalSubscription:
      return "SIGNAL_SUBSCRIPTION";
    case ValueType::kCompensationSubscription:
      return "COMPENSATION_SUBSCRIPTION";
    case ValueType::kCount_:
      break;
  }
  return "UNKNOWN";
}

namespace {

// Indexed by Intent; kept in declaration order (a static_assert below guards the length).
constexpr std::array kIntentNames = {
    "CREATE",
    "CREATE_WITH_AWAITING_RESULT",
    "ACTIVATE_ELEMENT",
    "COMPLETE_ELEMENT",
    "TERMINATE_ELEMENT",
    "CANCEL",
    "ACTIVATE",
    "COMPLETE",
    "FAIL",
    "THROW_ERROR",
    "UPDATE_RETRIES",
    "UPDATE_TIMEOUT",
    "TIME_OUT",
    "RECUR_AFTER_BACKOFF",
    "RESOLVE",
    "UPDATE",
    "CREATED",
    "ELEMENT_ACTIVATING",
    "ELEMENT_ACTIVATED",
    "ELEMENT_COMPLETING",
    "ELEMENT_COMPLETED",
    "ELEMENT_TERMINATING",
    "ELEMENT_TERMINATED",
    "SEQUENCE_FLOW_TAKEN",
    "ACTIVATED",
    "COMPLETED",
    "FAILED",
    "ERROR_THROWN",
    "RETRIES_UPDATED",
    "TIMEOUT_UPDATED",
    "TIMED_OUT",
    "RECURRED_AFTER_BACKOFF",
    "CANCELED",
    "RESOLVED",
    "UPDATED",
    "TRIGGER",
    "TRIGGERING",
    "TRIGGERED",
    "PUBLISH",
    "PUBLISHED",
    "EXPIRE",
    "EXPIRED",
    "CORRELATE",
    "CORRELATING",
    "CORRELATED",
    "DELETE",
    "DELETED",
    "CREATING",
    "DELETING",
    "BROADCAST",
    "BROADCASTED",
    "ESCALATED",
    "NOT_ESCALATED",
    "REJECT",
    "REJECTED",
    "DISTRIBUTING",
    "ACKNOWLEDGE",
    "ACKNOWLEDGED",
};
static_assert(kIntentNames.size() == static_cast<std::size_t>(Intent::kCount_));

}  // namespace

std::string_view to_string(Intent intent) {
  auto index = static_cast<std::size_t>(intent);
  TERN_CHECK(index < kIntentNames.size(), "intent out of range");
  return kIntentNames[index];
}

std::string_view to_string(RejectionType type) {
  switch (type) {
    case RejectionType::kNullVal:
      return "NULL_VAL";
    case RejectionType::kInvalidArgument:
      return "INVALID_ARGUMENT";
    case RejectionType::kNotFound:
      return "NOT_FOUND";
    case RejectionType::kAlreadyExists:
      return "ALREADY_EXISTS";
    case RejectionType::kInvalidState:
      return "INVALID_STATE";
    case RejectionType::kProcessingError:
      return "PROCESSING_ERROR";
    case RejectionType::kExceededBatchRecordSize:
      return "EXCEEDED_BATCH_RECORD_SIZE";
  }
  return "UNKNOWN";
}

Json value_json(const Record& record) {
  if (!record.has_packed_value()) return record.value;
  Json value;
  // Packed values are written by the engine's own encoders; one that does not read back is a
  // programming error, not input to handle.
  TERN_CHECK(msgpack::read(record.packed_value, value), "a packed record value reads back");
  return value;
}

void materialize_value(Record& record) {
  if (!record.has_packed_value()) return;
  record.value = value_json(record);
  record.packed_value.clear();
}

bool Record::operator==(const Record& other) const {
  if (position != other.position || source_position != other.source_position || key != other.key
      || timestamp_ms != other.timestamp_ms || record_type != other.record_type
      || value_type != other.value_type || intent != other.intent
      || rejection_type != other.rejection_type || rejection_reason != other.rejection_reason
      || partition_id != other.partition_id || request != other.request) {
    return false;
  }
  if (has_packed_value() && other.has_packed_value()) return packed_value == other.packed_value;
  if (!has_packed_value() && !other.has_packed_value()) return value == other.value;
  return value_json(*this) == value_json(other);
}

Json to_json(const Record& record) {
  Json out = Json::object();
  out["partitionId"] = record.partition_id.value();
  out["position"] = record.position.value();
  out["sourceRecordPosition"] = record.source_position.value();
  out["key"] = record.key.value();
  out["timestamp"] = record.timestamp_ms;
  out["recordType"] = to_string(record.record_type);
  out["valueType"] = to_string(record.value_type);
  out["intent"] = to_string(record.intent);
  out["rejectionType"] = to_string(record.rejection_type);
  out["rejectionReason"] = record.rejection_reason;
  out["brokerVersion"] = kBrokerVersion;
  out["value"] = value_json(record);
  return out;
}

std::string describe(const Record& record) {
  std::string out;
  out.append(to_string(record.record_type));
  out.push_back(' ');
  out.append(to_string(record.value_type));
  out.push_back(' ');
  out.append(to_string(record.intent));
  if (record.value_type == ValueType::kProcessInstance) {
    Json value = value_json(record);
    if (value.contains("elementId") && value["elementId"].is_string()) {
      out.append(" ").append(value["elementId"].get<std::string>());
    }
  }
  if (record.record_type == RecordType::kCommandRejection) {
    out.append(" ").append(to_string(record.rejection_type)).append(": ");
    out.append(record.rejection_reason);
  }
  return out;
}

}  // namespace tern::engine
