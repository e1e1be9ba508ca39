#pragma once

// The JOB_BATCH ACTIVATED value the engine writes, typed: the leader writes its MessagePack
// straight from the activated jobs and hands them to the applier, instead of building a JSON
// document of every job (headers and variables copied), encoding it, and the applier reading each
// job's fields back out of the JSON. The bytes are exactly those msgpack::put(to_json()) writes
// (keys in a JSON object's order), so the log, exporters and replay see the same record; replay
// reads the JSON from the log as before.
//
// The fields borrow: a JobBatchValue lives for the one call that writes its record.

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "engine/records/job_value.h"
#include "engine/records/record.h"

namespace tern::engine {

struct JobBatchValue {
  std::string_view type;
  std::string_view worker;
  std::int64_t timeout = 0;
  std::int64_t max_jobs_to_activate = 0;
  std::span<const std::string> fetch_variables;
  // One job per key, in the same order.
  std::span<const Key> job_keys;
  std::span<const JobValue> jobs;

  Json to_json() const;
  // Appends exactly the bytes msgpack::put(to_json()) appends.
  void to_msgpack(std::string& out) const;
};

}  // namespace tern::engine
