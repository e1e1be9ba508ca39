#pragma once

// How the engine talks back to its host (the broker) without knowing it: responses to requests,
// and wake-ups for job workers waiting on a job type. Both are called on the partition's strand,
// only on the leader, and only once what they report is committed.

#include <string_view>

#include "engine/records/record.h"

namespace tern::engine {

// The answer to one request: the accepted event or the rejection, whose value holds what the
// gateway needs (e.g. processInstanceKey for a creation, the jobs of a JOB_BATCH, the variables
// of a create-with-result).
struct Response {
  RequestRef request;
  Record record;
};

class ResponseSink {
 public:
  virtual ~ResponseSink() = default;
  virtual void on_response(const Response& response) = 0;
};

class JobAvailabilityListener {
 public:
  virtual ~JobAvailabilityListener() = default;
  // Jobs of `type` became activatable (created, timed out, failed with retries left, ...).
  virtual void on_jobs_available(std::string_view type) = 0;
};

}  // namespace tern::engine
