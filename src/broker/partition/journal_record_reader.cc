#include "broker/partition/journal_record_reader.h"

#include "engine/records/record_codec.h"

namespace tern::broker {

using engine::Position;
using exporter::ExporterErrc;
using exporter::ExporterError;

namespace {

// Bytes of entries read from the journal per step; a step may overshoot by one entry.
constexpr std::size_t kReadBytes = 4u << 20;

}  // namespace

exporter::ExporterResult<std::vector<engine::Record>> JournalRecordReader::read_after(
    Position after, std::size_t max_records) {
  std::vector<engine::Record> out;
  Position committed = stream_.committed_position();
  if (after >= committed || max_records == 0) return out;
  // The entry holding `after` may hold later records too; index 0 is the bootstrap entry.
  raft::LogIndex next = index_of_position(after);
  if (next == raft::LogIndex(0)) next = raft::LogIndex(1);
  if (next < journal_.first_index()) {
    return unexpected(ExporterError{ExporterErrc::kCompacted,
                                    "records after position " + std::to_string(after.value())
                                        + " (entry " + std::to_string(next.value())
                                        + ") were compacted; the log starts at entry "
                                        + std::to_string(journal_.first_index().value())});
  }
  raft::LogIndex end = index_of_position(committed).next();
  if (end > journal_.last_index().next()) end = journal_.last_index().next();
  while (next < end && out.size() < max_records) {
    auto entries = journal_.entries(next, end, kReadBytes);
    if (!entries) {
      ExporterErrc code = entries.error().code == raft::StorageErrorCode::kCompacted
                              ? ExporterErrc::kCompacted
                              : ExporterErrc::kIo;
      return unexpected(ExporterError{code, "reading entries from " + std::to_string(next.value())
                                                + ": " + entries.error().message});
    }
    if (entries->empty()) break;
    for (const auto& entry : *entries) {
      next = entry.index.next();
      if (entry.type != raft::EntryType::kNormal) continue;
      auto records = engine::decode_batch(entry.data);
      if (!records) {
        return unexpected(ExporterError{
            ExporterErrc::kIo, "entry " + std::to_string(entry.index.value())
                                   + " holds no record batch: " + records.error().message});
      }
      for (auto& record : *records) {
        if (record.position <= after || record.position > committed) continue;
        out.push_back(std::move(record));
        if (out.size() >= max_records) return out;
      }
    }
  }
  return out;
}

std::int64_t JournalRecordReader::distance(Position from, Position to) const {
  if (to <= from) return 0;
  return static_cast<std::int64_t>(index_of_position(to).value())
         - static_cast<std::int64_t>(index_of_position(from).value());
}

void ReplicaPositionStore::store(const std::string& exporter_name, Position position) {
  engine::Record command;
  command.record_type = engine::RecordType::kCommand;
  command.value_type = engine::ValueType::kExporter;
  command.intent = engine::Intent::kUpdate;
  command.value = engine::Json{{"exporterId", exporter_name}, {"position", position.value()}};
  append_(std::move(command));
}

}  // namespace tern::broker
