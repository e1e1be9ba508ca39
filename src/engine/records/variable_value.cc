#include "engine/records/variable_value.h"

#include "engine/records/msgpack.h"

namespace tern::engine {

Json VariableValue::to_json() const {
  return Json{{"name", name},
              {"value", value},
              {"scopeKey", scope_key.value()},
              {"processInstanceKey", process_instance_key.value()},
              {"processDefinitionKey", process_definition_key.value()},
              {"bpmnProcessId", bpmn_process_id},
              {"tenantId", tenant_id}};
}

void VariableValue::to_msgpack(std::string& out) const {
  // The seven names and the map header take 95 bytes, the keys at most 27: one allocation.
  out.reserve(out.size() + 128 + name.size() + value.size() + bpmn_process_id.size()
              + tenant_id.size());
  // In the order a JSON object (a map sorted by key) holds the fields.
  msgpack::put_map_header(out, 7);
  msgpack::put_string(out, "bpmnProcessId");
  msgpack::put_string(out, bpmn_process_id);
  msgpack::put_string(out, "name");
  msgpack::put_string(out, name);
  msgpack::put_string(out, "processDefinitionKey");
  msgpack::put_signed(out, process_definition_key.value());
  msgpack::put_string(out, "processInstanceKey");
  msgpack::put_signed(out, process_instance_key.value());
  msgpack::put_string(out, "scopeKey");
  msgpack::put_signed(out, scope_key.value());
  msgpack::put_string(out, "tenantId");
  msgpack::put_string(out, tenant_id);
  msgpack::put_string(out, "value");
  msgpack::put_string(out, value);
}

}  // namespace tern::engine
