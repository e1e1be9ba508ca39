#include "engine/processing/result_builder.h"

#include "common/check.h"
#include "engine/records/keys.h"
#include "engine/records/msgpack.h"

namespace tern::engine {

Key ResultBuilder::next_key() {
  Key key = encode_key(state_.partition(), state_.key_counter() + 1);
  state_.observe_key(key);
  return key;
}

Record ResultBuilder::make(Key key, RecordType type, ValueType value_type, Intent intent,
                           Json value) const {
  Record record(Record::kValueToFill);
  record.source_position = command_.position;
  record.key = key;
  record.timestamp_ms = now_ms_;
  record.record_type = type;
  record.value_type = value_type;
  record.intent = intent;
  record.partition_id = state_.partition();
  record.value = std::move(value);
  return record;
}

const Record& ResultBuilder::event(Key key, ValueType value_type, Intent intent, Json value,
                                   RequestRef request) {
  records_.push_back(make(key, RecordType::kEvent, value_type, intent, std::move(value)));
  records_.back().request = request;
  applier_.apply(records_.back(), state_);
  return records_.back();
}

template <typename TypedValue>
const Record& ResultBuilder::typed_event(Key key, ValueType value_type, Intent intent,
                                         const TypedValue& value, RequestRef request) {
  Record& record = records_.emplace_back(make(key, RecordType::kEvent, value_type, intent, Json()));
  value.to_msgpack(record.packed_value);
  record.request = request;
  applier_.apply(record, value, state_);
  return record;
}

const Record& ResultBuilder::event(Key key, ValueType value_type, Intent intent,
                                   const ProcessInstanceValue& value, RequestRef request) {
  return typed_event(key, value_type, intent, value, request);
}

const Record& ResultBuilder::event(Key key, ValueType value_type, Intent intent,
                                   const JobValue& value, RequestRef request) {
  return typed_event(key, value_type, intent, value, request);
}

const Record& ResultBuilder::event(Key key, ValueType value_type, Intent intent,
                                   const VariableValue& value, RequestRef request) {
  return typed_event(key, value_type, intent, value, request);
}

const Record& ResultBuilder::event(Key key, ValueType value_type, Intent intent,
                                   const JobBatchValue& value, RequestRef request) {
  return typed_event(key, value_type, intent, value, request);
}

void ResultBuilder::command(Key key, ValueType value_type, Intent intent, Json value) {
  records_.push_back(make(key, RecordType::kCommand, value_type, intent, std::move(value)));
}

void ResultBuilder::command(Key key, ValueType value_type, Intent intent,
                            const ProcessInstanceValue& value) {
  Record& record =
      records_.emplace_back(make(key, RecordType::kCommand, value_type, intent, Json()));
  value.to_msgpack(record.packed_value);
}

void ResultBuilder::reject(RejectionType type, std::string reason) {
  Record record = make(command_.key, RecordType::kCommandRejection, command_.value_type,
                       command_.intent, command_.value);
  record.packed_value = command_.packed_value;
  record.rejection_type = type;
  record.rejection_reason = std::move(reason);
  records_.push_back(record);
  rejected_ = true;
  if (command_.request.present()) {
    materialize_value(record);
    responses_.push_back(Response{command_.request, std::move(record)});
  }
}

// An event written here as JSON hands its JSON to the answer and keeps its MessagePack in
// `packed_value` (the bytes the codec would write from the JSON, so the log is unchanged), instead
// of the answer copying the whole document (a JOB_BATCH with its jobs and their variables).
void ResultBuilder::respond(const Record& record) {
  if (!command_.request.present()) return;
  Record* written = nullptr;
  for (auto it = records_.rbegin(); it != records_.rend() && written == nullptr; ++it) {
    if (&*it == &record) written = &*it;
  }
  if (written == nullptr || written->has_packed_value()) {
    Response& response = responses_.emplace_back(Response{command_.request, record});
    materialize_value(response.record);
    return;
  }
  Json value = std::move(written->value);
  written->value = Json();
  msgpack::put(written->packed_value, value);
  Response& response = responses_.emplace_back(Response{command_.request, *written});
  response.record.packed_value.clear();
  response.record.value = std::move(value);
}

void ResultBuilder::respond_to(RequestRef request, Record record) {
  record.source_position = command_.position;
  record.timestamp_ms = now_ms_;
  record.partition_id = state_.partition();
  materialize_value(record);
  if (request.present()) responses_.push_back(Response{request, std::move(record)});
}

}  // namespace tern::engine
