#pragma once

// The contract between the exporter director and one exporter. An exporter receives every
// committed record of one partition in position order and acknowledges, through its controller,
// the highest position it has made durable in its destination. Everything after the acknowledged
// position may be handed to it again (after a failure, a restart or a failover), so exporters must
// make a repeated record harmless: they are at-least-once consumers.

#include <cstdint>
#include <memory>
#include <string>

#include "common/result.h"
#include "common/strong_id.h"
#include "engine/records/record.h"

namespace tern::exporter {

using engine::Json;
using engine::Position;
using engine::Record;

enum class ExporterErrc {
  kInvalidConfig,  // an argument is missing, of the wrong type or out of range
  kUnknownType,    // no exporter implementation registered under the configured type
  kIo,             // a file could not be written, read or renamed
  kConnection,     // the destination (a database) is unreachable or dropped the connection
  kRejected,       // the destination refused what was written (SQL error, constraint)
  kCompacted,      // the records the exporter needs are no longer in the log
  kNotFound,       // no exporter of that name
};

struct ExporterError {
  ExporterErrc code = ExporterErrc::kIo;
  std::string message;
};

template <typename T>
using ExporterResult = Result<T, ExporterError>;

std::string_view to_string(ExporterErrc code);

// What an exporter learns about where it runs, before it opens.
struct ExporterContext {
  std::string name;  // the operator's name for this exporter (the key under `exporters:`)
  PartitionId partition{0};
  Json args = Json::object();
};

// Handed to an exporter by the director; valid from open() until close() returns.
class ExporterController {
 public:
  virtual ~ExporterController() = default;
  // Everything up to and including `position` is durable in the destination. Positions only grow:
  // a lower value than the last acknowledged one is ignored.
  virtual void acknowledge(Position position) = 0;
  // The last position this exporter acknowledged before it was (re)opened; 0 when none.
  virtual Position last_acknowledged() const = 0;
};

// One exporter instance serves one partition. Lifecycle: configure() once, then open(), any number
// of export_record()/flush() calls, close(); after a failure the director calls close() and later
// open() again, and replays from the last acknowledged position. All calls come from one thread
// (the director's owner), so implementations need no locking.
class Exporter {
 public:
  virtual ~Exporter() = default;

  // Validates the arguments; an error names the offending key. No IO yet.
  virtual ExporterResult<void> configure(const ExporterContext& context) = 0;
  // Connects or opens files. May already acknowledge (e.g. a position found in the destination).
  virtual ExporterResult<void> open(ExporterController& controller) = 0;
  // Takes the next record (positions strictly increase between opens). May buffer it.
  virtual ExporterResult<void> export_record(const Record& record) = 0;
  // Makes what was buffered durable and acknowledges it. Called when the director has no more
  // records to hand over for now, so buffering exporters write in natural batches.
  virtual ExporterResult<void> flush() = 0;
  // Releases connections and files; drops anything not yet flushed. Must be safe after a failure.
  virtual void close() = 0;
};

}  // namespace tern::exporter
