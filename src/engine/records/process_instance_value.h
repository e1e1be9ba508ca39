#pragma once

// The PROCESS_INSTANCE record value as a typed struct. Element instances keep it in state in a
// compact binary encoding (encode/decode) and processors read its fields directly; the JSON
// record value is built (to_json) only where a record is written. from_json keeps a value
// exactly: which fields were present, and any field that is unknown or of an unexpected type
// (never produced by the engine itself, but a log may hold it) rides along in `extra`, so that
// to_json(from_json(v)) == v.
//
// Thread: a plain value, owned by whoever holds it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/records/record.h"

namespace tern::engine {

struct ProcessInstanceValue {
  std::string bpmn_process_id;
  std::int32_t version = -1;
  Key process_definition_key = kNoKey;
  Key process_instance_key = kNoKey;
  std::string element_id;
  std::string bpmn_element_type;
  std::string bpmn_event_type;
  Key flow_scope_key = kNoKey;
  Key parent_process_instance_key = kNoKey;
  Key parent_element_instance_key = kNoKey;
  std::string tenant_id;

  // Bit i set: field i (in the order above) is part of the value. The engine always writes all
  // of them (kAllFields); a value read from a log might lack some.
  std::uint16_t present = kAllFields;
  // Fields that are not one of the above, or one of them with an unexpected JSON type; normally
  // null (nothing extra).
  Json extra;

  static constexpr std::uint16_t kAllFields = (1u << 11) - 1;

  // The value of a root process instance (bpmnElementType PROCESS, no flow scope).
  static ProcessInstanceValue root(std::string bpmn_process_id, std::int32_t version,
                                   Key process_definition_key, Key process_instance_key);

  static ProcessInstanceValue from_json(const Json& value);
  // The value of MessagePack `bytes`, exactly as from_json of the JSON they decode to, read
  // straight into the fields when they hold only known fields of the expected types (as the
  // engine writes them); nullopt when the bytes are not one well-formed value.
  static std::optional<ProcessInstanceValue> from_msgpack(std::string_view bytes);
  // The value of a PROCESS_INSTANCE record, whichever form it holds it in (packed_value when
  // written by the engine or read from a log, else the JSON value).
  static ProcessInstanceValue from_record(const Record& record);
  Json to_json() const;
  // Appends the MessagePack of to_json(), byte for byte, without building the JSON value (the
  // record a processor writes carries these bytes to the log).
  void to_msgpack(std::string& out) const;

  void encode(std::string& out) const;
  // Decodes `bytes` (all of them); nullopt when truncated or malformed.
  static std::optional<ProcessInstanceValue> decode(std::string_view bytes);

  bool operator==(const ProcessInstanceValue& other) const = default;
};

}  // namespace tern::engine
