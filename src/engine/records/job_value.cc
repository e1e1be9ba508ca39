#include "engine/records/job_value.h"

#include <array>
#include <bit>
#include <limits>
#include <type_traits>

#include "engine/records/binary_io.h"
#include "engine/records/msgpack.h"
#include "engine/records/typed_value_json.h"

namespace tern::engine {

namespace {

// JSON names in the order of the `JobValue::Field` bits: never reorder (it is the encoding).
// string_view: writing and matching a name never measures it again.
constexpr std::array<std::string_view, 17> kNames{"type",
                                                  "deadline",
                                                  "retries",
                                                  "recurringTime",
                                                  "worker",
                                                  "errorMessage",
                                                  "errorCode",
                                                  "elementId",
                                                  "elementInstanceKey",
                                                  "bpmnProcessId",
                                                  "processDefinitionVersion",
                                                  "processDefinitionKey",
                                                  "processInstanceKey",
                                                  "retryBackoff",
                                                  "tenantId",
                                                  "customHeaders",
                                                  "variables"};

constexpr std::uint8_t kEncodingVersion = 1;

// Field indexes in the order of their JSON names: the order a JSON object (a sorted map) keeps
// its keys in, hence the order to_msgpack(to_json()) writes them.
constexpr auto kJsonOrder =
    typed_json::sorted_order(kNames, [](std::string_view name) { return name; });

// Calls `fn` with the member behind field `index` (std::string, std::int64_t, Key or Json; const
// when `value` is).
template <typename Value, typename Fn>
decltype(auto) with_field(Value& value, std::size_t index, Fn&& fn) {
  switch (index) {
    case 0:
      return fn(value.type);
    case 1:
      return fn(value.deadline);
    case 2:
      return fn(value.retries);
    case 3:
      return fn(value.recurring_time);
    case 4:
      return fn(value.worker);
    case 5:
      return fn(value.error_message);
    case 6:
      return fn(value.error_code);
    case 7:
      return fn(value.element_id);
    case 8:
      return fn(value.element_instance_key);
    case 9:
      return fn(value.bpmn_process_id);
    case 10:
      return fn(value.process_definition_version);
    case 11:
      return fn(value.process_definition_key);
    case 12:
      return fn(value.process_instance_key);
    case 13:
      return fn(value.retry_backoff);
    case 14:
      return fn(value.tenant_id);
    case 15:
      return fn(value.custom_headers);
    default:
      return fn(value.variables);
  }
}

template <typename T>
using Plain = std::remove_cvref_t<T>;

std::optional<std::size_t> field_index(std::string_view name) {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (name == kNames[i]) return i;
  }
  return std::nullopt;
}

// A JSON integer that fits std::int64_t.
std::optional<std::int64_t> as_int64(const Json& json) {
  if (!json.is_number_integer()) return std::nullopt;
  if (json.is_number_unsigned()
      && json.get<std::uint64_t>()
             > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
    return std::nullopt;
  }
  return json.get<std::int64_t>();
}

// Stores `json` into the typed field; false when its JSON type does not fit the field.
bool assign(JobValue& value, std::size_t index, const Json& json) {
  return with_field(value, index, [&](auto& field) {
    using T = Plain<decltype(field)>;
    if constexpr (std::is_same_v<T, std::string>) {
      if (!json.is_string()) return false;
      field = json.get_ref<const std::string&>();
      return true;
    } else if constexpr (std::is_same_v<T, Json>) {
      field = json;
      return true;
    } else {
      auto wide = as_int64(json);
      if (!wide) return false;
      field = T(*wide);
      return true;
    }
  });
}

// Empty objects (the usual headers and variables) are encoded as zero bytes, without MessagePack.
void encode_json(std::string& out, const Json& json) {
  if (json.is_object() && json.empty()) {
    binary::put_varint(out, 0);
    return;
  }
  auto packed = Json::to_msgpack(json);
  binary::put_bytes(out,
                    std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()));
}

bool decode_json(binary::Reader& reader, Json& json) {
  std::string_view packed;
  if (!reader.bytes(packed)) return false;
  if (packed.empty()) {
    json = Json::object();
    return true;
  }
  json = Json::from_msgpack(packed, true, false);
  return !json.is_discarded();
}

bool decode_header(binary::Reader& reader, std::uint32_t& present) {
  std::uint8_t version = 0;
  std::uint64_t bits = 0;
  if (!reader.byte(version) || version != kEncodingVersion || !reader.varint(bits)
      || bits > JobValue::kAllFields) {
    return false;
  }
  present = static_cast<std::uint32_t>(bits);
  return true;
}

}  // namespace

void JobValue::set_present(std::uint32_t fields) {
  present |= fields;
  if (!extra.is_object()) return;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if ((fields & (1u << i)) != 0) extra.erase(kNames[i]);
  }
  if (extra.empty()) extra = Json();
}

JobValue JobValue::from_json(const Json& value) {
  JobValue out;
  out.present = typed_json::read_fields(
      value, out.extra, field_index,
      [&out](std::size_t index, const Json& field) { return assign(out, index, field); });
  return out;
}

Json JobValue::to_json() const {
  if (!extra.is_null() && !extra.is_object()) return extra;
  Json out = Json::object();
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if ((present & (1u << i)) == 0) continue;
    with_field(*this, i, [&](const auto& field) {
      using T = Plain<decltype(field)>;
      if constexpr (std::is_same_v<T, Key>) {
        out[kNames[i]] = field.value();
      } else {
        out[kNames[i]] = field;
      }
    });
  }
  typed_json::add_extra(out, extra);
  return out;
}

void JobValue::to_msgpack(std::string& out) const {
  if (!extra.is_null()) {
    // Kept fields merge with the known ones in key order: rare, so the JSON path does it.
    msgpack::put(out, to_json());
    return;
  }
  // Mostly one allocation: the names and headers take under 320 bytes, the texts their size
  // (custom headers and variables may grow it further).
  out.reserve(out.size() + 320 + type.size() + worker.size() + error_message.size()
              + error_code.size() + element_id.size() + bpmn_process_id.size() + tenant_id.size());
  msgpack::put_map_header(out, static_cast<std::size_t>(std::popcount(present)));
  for (std::size_t i : kJsonOrder) {
    if ((present & (1u << i)) == 0) continue;
    msgpack::put_string(out, kNames[i]);
    with_field(*this, i, [&](const auto& field) {
      using T = Plain<decltype(field)>;
      if constexpr (std::is_same_v<T, std::string>) {
        msgpack::put_string(out, field);
      } else if constexpr (std::is_same_v<T, Json>) {
        msgpack::put(out, field);
      } else if constexpr (std::is_same_v<T, Key>) {
        msgpack::put_signed(out, field.value());
      } else {
        msgpack::put_signed(out, field);
      }
    });
  }
}

void JobValue::encode(std::string& out) const {
  out.push_back(static_cast<char>(kEncodingVersion));
  binary::put_varint(out, present);
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if ((present & (1u << i)) == 0) continue;
    with_field(*this, i, [&](const auto& field) {
      using T = Plain<decltype(field)>;
      if constexpr (std::is_same_v<T, std::string>) {
        binary::put_bytes(out, field);
      } else if constexpr (std::is_same_v<T, Json>) {
        encode_json(out, field);
      } else if constexpr (std::is_same_v<T, Key>) {
        binary::put_signed(out, field.value());
      } else {
        binary::put_signed(out, field);
      }
    });
  }
  if (extra.is_null()) {
    out.push_back('\0');
  } else {
    out.push_back('\1');
    encode_json(out, extra);
  }
}

std::optional<JobValue> JobValue::decode(std::string_view bytes) {
  binary::Reader reader(bytes);
  JobValue out;
  if (!decode_header(reader, out.present)) return std::nullopt;
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if ((out.present & (1u << i)) == 0) continue;
    bool ok = with_field(out, i, [&](auto& field) {
      using T = Plain<decltype(field)>;
      if constexpr (std::is_same_v<T, std::string>) {
        return reader.string(field);
      } else if constexpr (std::is_same_v<T, Json>) {
        return decode_json(reader, field);
      } else {
        std::int64_t wide = 0;
        if (!reader.signed_varint(wide)) return false;
        field = T(wide);
        return true;
      }
    });
    if (!ok) return std::nullopt;
  }
  std::uint8_t has_extra = 0;
  if (!reader.byte(has_extra) || has_extra > 1) return std::nullopt;
  if (has_extra != 0 && !decode_json(reader, out.extra)) return std::nullopt;
  if (!reader.at_end()) return std::nullopt;
  return out;
}

std::optional<JobValue::Index> JobValue::decode_index(std::string_view bytes) {
  binary::Reader reader(bytes);
  std::uint32_t present = 0;
  if (!decode_header(reader, present)) return std::nullopt;
  Index index;
  if ((present & kType) != 0 && !reader.bytes(index.type)) return std::nullopt;
  if ((present & kDeadline) != 0 && !reader.signed_varint(index.deadline)) return std::nullopt;
  if ((present & kRetries) != 0 && !reader.signed_varint(index.retries)) return std::nullopt;
  if ((present & kRecurringTime) != 0 && !reader.signed_varint(index.recurring_time)) {
    return std::nullopt;
  }
  return index;
}

}  // namespace tern::engine
