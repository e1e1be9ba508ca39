#pragma once

// PartitionService: this broker's partition replicas as the command API sees them. The command
// API translates a client request into an engine command record and submits it here; the service
// appends it to the partition's Raft log (only on a leader that has finished replay), and answers
// once the command's follow-up events are committed on a quorum.
//
// Thread-safe: submit() may be called from any thread; it posts to the partition's strand. The
// `done` and job-available callbacks run on the partition's strand and must not block.

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"
#include "common/strong_id.h"
#include "engine/processing/sinks.h"
#include "engine/records/record.h"

namespace tern::broker {

enum class SubmitErrorCode {
  kNotLeader,     // this broker does not lead the partition (or is still replaying); see hint
  kBackPressure,  // too many commands in flight on the partition; retry later
  kUnavailable,   // the partition is not hosted here or cannot serve (e.g. failed to open)
  kTimeout,       // the command was appended but not committed in time (outcome unknown)
  kInvalid,       // the request itself is malformed (unknown partition id, bad record)
  kShuttingDown,  // the broker is stopping
};

std::string_view to_string(SubmitErrorCode code);

struct SubmitError {
  SubmitErrorCode code;
  std::string message;
  std::optional<NodeId> leader_hint;  // the leader this replica knows of, if any
};

using SubmitCallback = std::function<void(Result<engine::Response, SubmitError>)>;

class PartitionService {
 public:
  virtual ~PartitionService() = default;

  // Appends `command` (an engine command record: value type, intent, value; the service sets the
  // request id) to partition `partition`'s log if this broker leads it and it has finished
  // replay. `done` is called exactly once: with the engine's Response once the command's
  // follow-up events are committed on a quorum, or with an error. A command the leader's engine
  // answers from its state alone (a job activation that finds no job) is answered at once,
  // appends nothing and is never back-pressured. `backpressure` = false for job
  // completions and cancellations, which are never rejected for load.
  virtual void submit(PartitionId partition, engine::Record command, bool backpressure,
                      SubmitCallback done) = 0;

  // Called (on any thread) when jobs of a type become activatable on a partition led here.
  virtual void set_job_available_callback(std::function<void(PartitionId, std::string)> cb) = 0;

  // The partitions with a replica on this broker, ascending.
  virtual std::vector<PartitionId> partitions() const = 0;

  // The number of partitions in the cluster.
  virtual std::int32_t partition_count() const = 0;
};

}  // namespace tern::broker
