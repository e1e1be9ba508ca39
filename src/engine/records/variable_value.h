#pragma once

// The VARIABLE record value the engine writes (CREATED / UPDATED), typed: the leader writes its
// MessagePack straight from these fields and hands the fields to the applier, instead of building
// a JSON object of seven keys, encoding it, parsing it back and destroying it for every variable
// set. The bytes are exactly those encoding to_json() writes (keys in a JSON object's order), so
// the log, exporters and replay see the same record. Replay reads the JSON from the log as before.
//
// The text fields borrow: a VariableValue lives for the one call that writes its record.

#include <string>
#include <string_view>

#include "engine/records/record.h"

namespace tern::engine {

struct VariableValue {
  std::string_view name;
  std::string_view value;  // the variable's value as serialized JSON
  Key scope_key = kNoKey;
  Key process_instance_key = kNoKey;
  Key process_definition_key = kNoKey;
  std::string_view bpmn_process_id;
  std::string_view tenant_id = "<default>";

  Json to_json() const;
  // Appends exactly the bytes msgpack::put(to_json()) appends.
  void to_msgpack(std::string& out) const;
};

}  // namespace tern::engine
