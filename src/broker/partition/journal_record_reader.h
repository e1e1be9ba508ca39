#pragma once

// The broker's seams for the exporter director of one partition:
//  * JournalRecordReader reads committed records from the replica's journal (not from the
//    RaftLogStream's buffer, which forgets what the engine consumed), decoding the record batches
//    of committed entries. Positions are `index * kPositionsPerEntry + offset`, so the entry that
//    holds a position is found without a scan, and lag is measured in entries.
//  * ReplicaPositionStore loads positions from the replicated engine state and stores them by
//    appending EXPORTER UPDATE commands on the leader (see engine/state/exporter_state.h).
//
// Thread: the partition's strand, like the replica that owns them.

#include <functional>
#include <optional>
#include <string>

#include "broker/partition/raft_log_stream.h"
#include "exporter/director.h"
#include "raft/journal/journal.h"

namespace tern::broker {

class JournalRecordReader final : public exporter::RecordReader {
 public:
  JournalRecordReader(const raft::journal::Journal& journal, const RaftLogStream& stream)
      : journal_(journal), stream_(stream) {}

  exporter::ExporterResult<std::vector<engine::Record>> read_after(
      engine::Position after, std::size_t max_records) override;
  engine::Position committed_position() const override { return stream_.committed_position(); }
  // Raft entries between the two positions: a broker's positions jump by 2^16 per entry.
  std::int64_t distance(engine::Position from, engine::Position to) const override;

 private:
  const raft::journal::Journal& journal_;
  const RaftLogStream& stream_;
};

// Where the replica's positions come from and go to; both callbacks run on the strand.
class ReplicaPositionStore final : public exporter::PositionStore {
 public:
  using Load = std::function<std::optional<engine::Position>(const std::string&)>;
  using Append = std::function<void(engine::Record command)>;

  ReplicaPositionStore(Load load, Append append)
      : load_(std::move(load)), append_(std::move(append)) {}

  std::optional<engine::Position> load(const std::string& exporter_name) override {
    return load_(exporter_name);
  }
  void store(const std::string& exporter_name, engine::Position position) override;

 private:
  Load load_;
  Append append_;
};

}  // namespace tern::broker
