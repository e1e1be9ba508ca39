#pragma once

// The engine's only seam to the outside: a partition's log of records. The broker backs it with
// Raft (append = propose one entry holding the batch; committed = quorum-replicated); tests back
// it with InMemoryLogStream.
//
// Thread: called only on the partition's strand.

#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "common/result.h"
#include "engine/records/record.h"

namespace tern::engine {

// kInvalid: a record of the batch does not encode as the log requires (a value that is not
// well-formed MessagePack); nothing was appended.
enum class LogErrorCode { kNotLeader, kBackPressure, kTooLarge, kIo, kInvalid };

struct LogError {
  LogErrorCode code;
  std::string message;
};

// Which records of a read get their value decoded. Decoding the MessagePack value is most of the
// cost of reading a record, and a reader often needs only some values: a leader's stream
// processor skips the events it wrote and applied itself (two thirds of its log), and a follower
// never processes commands. Decided from a record's metadata alone.
struct ValueSelection {
  static constexpr Position kNone{std::numeric_limits<std::int64_t>::max()};

  // Commands at positions after this one get their value.
  Position commands_after{0};
  // Every other record (events, rejections) at positions after this one gets its value.
  Position others_after{0};

  static constexpr ValueSelection all() { return {}; }
  bool wants(const Record& metadata) const {
    return metadata.position > (metadata.is_command() ? commands_after : others_after);
  }
};

// Which records a read may return. A follower acts on committed records only. A leader also acts
// on the records it appended itself as leader (its own commands, and the follow-ups it wrote)
// before they commit, once everything before the first of them is committed: a command then
// costs one commit of the log instead of two (its own, then its follow-ups'). What it causes is
// held until the follow-ups commit (responses, job wake-ups, commands for other partitions:
// StreamProcessor), and a leader that loses leadership rebuilds its state from committed records
// (StreamProcessor::has_uncommitted_effects), so nothing of an uncommitted command escapes.
enum class ReadScope {
  kCommitted,
  // Committed records, then the records this replica appended as the current leader, provided
  // every record before the first of them is committed. Records someone else wrote (an earlier
  // leader) are returned only once committed, so a leader never acts on its own records before
  // the earlier ones it has not seen committed.
  kCommittedAndOwn,
};

// A record read from the log. When its value was not selected, `has_value` is false and
// `record.value` is null; every other field is set. A selected value is decoded as
// decode_logged_value does it: PROCESS_INSTANCE values stay MessagePack in
// `record.packed_value` (read typed with ProcessInstanceValue::from_record), others are JSON.
struct LoggedRecord {
  Record record{Record::kValueToFill};
  bool has_value = false;
};

class LogStream {
 public:
  virtual ~LogStream() = default;

  // Appends the records as one batch (atomically: all or none). The log assigns consecutive
  // positions, writes them into `batch`, and returns the first one. The batch is not committed
  // yet; committed_position() passes it later.
  virtual Result<Position, LogError> append(std::vector<Record>& batch) = 0;

  // Up to `max_records` records with position >= `from` that `scope` allows, in order; only the
  // values `values` selects are decoded (decode_logged_value).
  virtual std::vector<LoggedRecord> read(Position from, std::size_t max_records,
                                         ValueSelection values, ReadScope scope) const = 0;

  // The highest committed position (0 when nothing is committed). What a leader read beyond it
  // (ReadScope::kCommittedAndOwn) may still be lost with its leadership.
  virtual Position committed_position() const = 0;
};

}  // namespace tern::engine
