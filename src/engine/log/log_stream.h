#pragma once

// The engine's only seam to the outside: a partition's log of records. The broker backs it with
// Raft (append = propose one entry holding the batch; committed = quorum-replicated); tests back
// it with InMemoryLogStream.
//
// Thread: called only on the partition's strand.

#include <cstddef>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/records/record.h"

namespace tern::engine {

enum class LogErrorCode { kNotLeader, kBackPressure, kTooLarge, kIo };

struct LogError {
  LogErrorCode code;
  std::string message;
};

class LogStream {
 public:
  virtual ~LogStream() = default;

  // Appends the records as one batch (atomically: all or none). The log assigns consecutive
  // positions, writes them into `batch`, and returns the first one. The batch is not committed
  // yet; committed_position() passes it later.
  virtual Result<Position, LogError> append(std::vector<Record>& batch) = 0;

  // Up to `max_records` committed records with position >= `from`, in order.
  virtual std::vector<Record> read_committed(Position from, std::size_t max_records) const = 0;

  // The highest committed position (0 when nothing is committed).
  virtual Position committed_position() const = 0;
};

}  // namespace tern::engine
