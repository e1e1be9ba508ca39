#include "engine/records/process_instance_value.h"

#include <array>
#include <bit>
#include <limits>
#include <type_traits>

#include "common/check.h"
#include "engine/records/binary_io.h"
#include "engine/records/msgpack.h"
#include "engine/records/typed_value_json.h"

namespace tern::engine {

namespace {

enum class FieldKind : std::uint8_t { kString, kInt32, kKey };

struct Field {
  std::string_view name;  // not a C string: writing and matching it never measures it again
  FieldKind kind;
};

// The order is the bit order of `present` and the order of the binary encoding: never reorder.
constexpr std::array<Field, 11> kFields{{
    {"bpmnProcessId", FieldKind::kString},
    {"version", FieldKind::kInt32},
    {"processDefinitionKey", FieldKind::kKey},
    {"processInstanceKey", FieldKind::kKey},
    {"elementId", FieldKind::kString},
    {"bpmnElementType", FieldKind::kString},
    {"bpmnEventType", FieldKind::kString},
    {"flowScopeKey", FieldKind::kKey},
    {"parentProcessInstanceKey", FieldKind::kKey},
    {"parentElementInstanceKey", FieldKind::kKey},
    {"tenantId", FieldKind::kString},
}};

constexpr std::uint8_t kEncodingVersion = 1;

// Field indexes in the order of their JSON names: the order a JSON object (a sorted map) keeps
// its keys in, hence the order to_msgpack(to_json()) writes them.
constexpr auto kJsonOrder =
    typed_json::sorted_order(kFields, [](const Field& f) { return f.name; });

// The member behind field `index`, whichever of the three kinds it is (const or not).
template <typename Value>
struct FieldRef {
  using Text = std::conditional_t<std::is_const_v<Value>, const std::string, std::string>;
  using Int32 = std::conditional_t<std::is_const_v<Value>, const std::int32_t, std::int32_t>;
  using KeyT = std::conditional_t<std::is_const_v<Value>, const Key, Key>;
  Text* text = nullptr;
  Int32* int32 = nullptr;
  KeyT* key = nullptr;
};

template <typename Value>
FieldRef<Value> field_ref(Value& value, std::size_t index) {
  switch (index) {
    case 0:
      return {&value.bpmn_process_id, nullptr, nullptr};
    case 1:
      return {nullptr, &value.version, nullptr};
    case 2:
      return {nullptr, nullptr, &value.process_definition_key};
    case 3:
      return {nullptr, nullptr, &value.process_instance_key};
    case 4:
      return {&value.element_id, nullptr, nullptr};
    case 5:
      return {&value.bpmn_element_type, nullptr, nullptr};
    case 6:
      return {&value.bpmn_event_type, nullptr, nullptr};
    case 7:
      return {nullptr, nullptr, &value.flow_scope_key};
    case 8:
      return {nullptr, nullptr, &value.parent_process_instance_key};
    case 9:
      return {nullptr, nullptr, &value.parent_element_instance_key};
    default:
      return {&value.tenant_id, nullptr, nullptr};
  }
}

std::optional<std::size_t> field_index(std::string_view name) {
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (name == kFields[i].name) return i;
  }
  return std::nullopt;
}

// Stores `json` into the typed field; false when its JSON type does not fit the field.
bool assign(FieldRef<ProcessInstanceValue> ref, const Json& json) {
  if (ref.text != nullptr) {
    if (!json.is_string()) return false;
    *ref.text = json.get_ref<const std::string&>();
    return true;
  }
  if (!json.is_number_integer()) return false;
  if (json.is_number_unsigned()
      && json.get<std::uint64_t>()
             > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return false;
  }
  auto wide = json.get<std::int64_t>();
  if (ref.int32 != nullptr) {
    if (wide < std::numeric_limits<std::int32_t>::min()
        || wide > std::numeric_limits<std::int32_t>::max()) {
      return false;
    }
    *ref.int32 = static_cast<std::int32_t>(wide);
    return true;
  }
  *ref.key = Key(wide);
  return true;
}

// Reads MessagePack holding only known fields, each once and of its field's type, into `out`;
// false for anything else (the caller then goes the JSON way, which keeps the rest in `extra`).
bool read_known_fields(std::string_view bytes, ProcessInstanceValue& out) {
  std::size_t offset = 0;
  std::size_t count = 0;
  if (!msgpack::read_map_header(bytes, offset, count) || count > kFields.size()) return false;
  std::uint16_t present = 0;
  std::size_t expected = 0;  // the engine writes the fields in kJsonOrder: try the next one first
  for (std::size_t i = 0; i < count; ++i) {
    std::string_view name;
    if (!msgpack::read_string(bytes, offset, name)) return false;
    std::optional<std::size_t> index;
    while (expected < kJsonOrder.size() && (present & (1u << kJsonOrder[expected])) != 0)
      ++expected;
    if (expected < kJsonOrder.size() && name == kFields[kJsonOrder[expected]].name) {
      index = kJsonOrder[expected];
    } else {
      index = field_index(name);
    }
    if (!index || (present & (1u << *index)) != 0) return false;
    auto ref = field_ref(out, *index);
    if (ref.text != nullptr) {
      std::string_view text;
      if (!msgpack::read_string(bytes, offset, text)) return false;
      ref.text->assign(text);
    } else {
      std::int64_t wide = 0;
      if (!msgpack::read_int64(bytes, offset, wide)) return false;
      if (ref.int32 != nullptr) {
        if (wide < std::numeric_limits<std::int32_t>::min()
            || wide > std::numeric_limits<std::int32_t>::max()) {
          return false;
        }
        *ref.int32 = static_cast<std::int32_t>(wide);
      } else {
        *ref.key = Key(wide);
      }
    }
    present = static_cast<std::uint16_t>(present | (1u << *index));
  }
  if (offset != bytes.size()) return false;
  out.present = present;
  return true;
}

}  // namespace

ProcessInstanceValue ProcessInstanceValue::root(std::string bpmn_process_id, std::int32_t version,
                                                Key process_definition_key,
                                                Key process_instance_key) {
  ProcessInstanceValue value;
  value.element_id = bpmn_process_id;
  value.bpmn_process_id = std::move(bpmn_process_id);
  value.version = version;
  value.process_definition_key = process_definition_key;
  value.process_instance_key = process_instance_key;
  value.bpmn_element_type = "PROCESS";
  value.bpmn_event_type = "UNSPECIFIED";
  value.tenant_id = "<default>";
  return value;
}

ProcessInstanceValue ProcessInstanceValue::from_json(const Json& value) {
  ProcessInstanceValue out;
  out.present = static_cast<std::uint16_t>(typed_json::read_fields(
      value, out.extra, field_index, [&out](std::size_t index, const Json& field) {
        return assign(field_ref(out, index), field);
      }));
  return out;
}

std::optional<ProcessInstanceValue> ProcessInstanceValue::from_msgpack(std::string_view bytes) {
  {
    ProcessInstanceValue out;
    if (read_known_fields(bytes, out)) return out;
  }
  Json json;
  if (!msgpack::read(bytes, json)) return std::nullopt;
  return from_json(json);
}

ProcessInstanceValue ProcessInstanceValue::from_record(const Record& record) {
  if (!record.has_packed_value()) return from_json(record.value);
  auto value = from_msgpack(record.packed_value);
  // A packed value was written by the engine's encoder or checked by the log's codec when read.
  TERN_CHECK(value.has_value(), "a packed PROCESS_INSTANCE value reads back");
  return std::move(*value);
}

Json ProcessInstanceValue::to_json() const {
  if (!extra.is_null() && !extra.is_object()) return extra;
  Json out = Json::object();
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if ((present & (1u << i)) == 0) continue;
    auto ref = field_ref(*this, i);
    if (ref.text != nullptr) {
      out[kFields[i].name] = *ref.text;
    } else if (ref.int32 != nullptr) {
      out[kFields[i].name] = *ref.int32;
    } else {
      out[kFields[i].name] = ref.key->value();
    }
  }
  typed_json::add_extra(out, extra);
  return out;
}

void ProcessInstanceValue::to_msgpack(std::string& out) const {
  if (!extra.is_null()) {
    // Kept fields merge with the known ones in key order: rare (never written by the engine
    // itself), so the JSON path does it.
    msgpack::put(out, to_json());
    return;
  }
  // One allocation: the names and headers take under 256 bytes, the texts their size.
  out.reserve(out.size() + 256 + bpmn_process_id.size() + element_id.size()
              + bpmn_element_type.size() + bpmn_event_type.size() + tenant_id.size());
  msgpack::put_map_header(out, static_cast<std::size_t>(std::popcount(present)));
  for (std::size_t i : kJsonOrder) {
    if ((present & (1u << i)) == 0) continue;
    msgpack::put_string(out, kFields[i].name);
    auto ref = field_ref(*this, i);
    if (ref.text != nullptr) {
      msgpack::put_string(out, *ref.text);
    } else if (ref.int32 != nullptr) {
      msgpack::put_signed(out, *ref.int32);
    } else {
      msgpack::put_signed(out, ref.key->value());
    }
  }
}

void ProcessInstanceValue::encode(std::string& out) const {
  out.push_back(static_cast<char>(kEncodingVersion));
  binary::put_varint(out, present);
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if ((present & (1u << i)) == 0) continue;
    auto ref = field_ref(*this, i);
    if (ref.text != nullptr) {
      binary::put_bytes(out, *ref.text);
    } else if (ref.int32 != nullptr) {
      binary::put_signed(out, *ref.int32);
    } else {
      binary::put_signed(out, ref.key->value());
    }
  }
  if (extra.is_null()) {
    out.push_back('\0');
  } else {
    out.push_back('\1');
    auto packed = Json::to_msgpack(extra);
    binary::put_bytes(
        out, std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()));
  }
}

std::optional<ProcessInstanceValue> ProcessInstanceValue::decode(std::string_view bytes) {
  binary::Reader reader(bytes);
  std::uint8_t version = 0;
  std::uint64_t present = 0;
  if (!reader.byte(version) || version != kEncodingVersion || !reader.varint(present)
      || present > kAllFields) {
    return std::nullopt;
  }
  ProcessInstanceValue out;
  out.present = static_cast<std::uint16_t>(present);
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if ((present & (1u << i)) == 0) continue;
    auto ref = field_ref(out, i);
    bool ok = false;
    if (ref.text != nullptr) {
      ok = reader.string(*ref.text);
    } else if (ref.int32 != nullptr) {
      ok = reader.signed_as(*ref.int32);
    } else {
      std::int64_t key = 0;
      ok = reader.signed_varint(key);
      *ref.key = Key(key);
    }
    if (!ok) return std::nullopt;
  }
  std::uint8_t has_extra = 0;
  if (!reader.byte(has_extra)) return std::nullopt;
  if (has_extra != 0) {
    std::string_view packed;
    if (!reader.bytes(packed)) return std::nullopt;
    auto parsed = Json::from_msgpack(packed, true, false);
    if (parsed.is_discarded()) return std::nullopt;
    out.extra = std::move(parsed);
  }
  if (!reader.at_end()) return std::nullopt;
  return out;
}

}  // namespace tern::engine
