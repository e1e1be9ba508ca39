#pragma once

// The JOB record value as a typed struct, like ProcessInstanceValue: jobs are kept in state in a
// compact binary encoding (encode/decode) and processors and appliers read and change their
// fields directly; the JSON record value is built (to_json) only where a record is written.
// from_json keeps a value exactly: which fields were present, and any field that is unknown or of
// an unexpected type rides along in `extra`, so that to_json(from_json(v)) == v.
//
// The encoding starts with the fields a job's secondary indexes are built from (type, deadline,
// retries, recurringTime), so that re-indexing a stored job reads them (decode_index) without
// decoding the rest.
//
// Thread: a plain value, owned by whoever holds it.

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "engine/records/record.h"

namespace tern::engine {

struct JobValue {
  // Bit of each field in `present`; the order is the order of the binary encoding.
  enum Field : std::uint32_t {
    kType = 1u << 0,
    kDeadline = 1u << 1,
    kRetries = 1u << 2,
    kRecurringTime = 1u << 3,
    kWorker = 1u << 4,
    kErrorMessage = 1u << 5,
    kErrorCode = 1u << 6,
    kElementId = 1u << 7,
    kElementInstanceKey = 1u << 8,
    kBpmnProcessId = 1u << 9,
    kProcessDefinitionVersion = 1u << 10,
    kProcessDefinitionKey = 1u << 11,
    kProcessInstanceKey = 1u << 12,
    kRetryBackoff = 1u << 13,
    kTenantId = 1u << 14,
    kCustomHeaders = 1u << 15,
    kVariables = 1u << 16,
  };
  static constexpr std::uint32_t kAllFields = (1u << 17) - 1;

  // Defaults are what a missing field means to the engine (never written by the engine itself).
  std::string type;
  std::int64_t deadline = 0;
  std::int64_t retries = 0;
  std::int64_t recurring_time = -1;
  std::string worker;
  std::string error_message;
  std::string error_code;
  std::string element_id;
  Key element_instance_key = kNoKey;
  std::string bpmn_process_id;
  std::int64_t process_definition_version = -1;
  Key process_definition_key = kNoKey;
  Key process_instance_key = kNoKey;
  std::int64_t retry_backoff = 0;
  std::string tenant_id;
  Json custom_headers = Json::object();
  Json variables = Json::object();

  std::uint32_t present = kAllFields;
  // Fields that are not one of the above, or one of them with an unexpected JSON type; normally
  // null (nothing extra).
  Json extra;

  // Marks `fields` present after the engine set them (a field that was missing or mistyped in the
  // value it came from is now the typed one).
  void set_present(std::uint32_t fields);

  static JobValue from_json(const Json& value);
  Json to_json() const;
  // Appends the MessagePack of to_json(), byte for byte, without building the JSON value.
  void to_msgpack(std::string& out) const;

  void encode(std::string& out) const;
  // Decodes `bytes` (all of them); nullopt when truncated or malformed.
  static std::optional<JobValue> decode(std::string_view bytes);

  // The fields the job indexes are built from, read from the start of an encoded value; `type`
  // points into the decoded bytes.
  struct Index {
    std::string_view type;
    std::int64_t deadline = 0;
    std::int64_t retries = 0;
    std::int64_t recurring_time = -1;
  };
  static std::optional<Index> decode_index(std::string_view bytes);

  bool operator==(const JobValue& other) const = default;
};

}  // namespace tern::engine
