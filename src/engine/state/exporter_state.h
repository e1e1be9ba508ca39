#pragma once

// The acknowledged positions of the partition's exporters, by exporter name. Written only by the
// EXPORTER UPDATED applier, so every replica (and every snapshot) holds the same positions; the
// broker reads them to resume exporting after a failover and to bound compaction on followers.
//
// Thread: the partition's strand.

#include <map>
#include <optional>
#include <string>
#include <string_view>

#include "engine/state/engine_state.h"

namespace tern::engine {

class ExporterStateView {
 public:
  explicit ExporterStateView(const Transaction& transaction) : txn_(transaction) {}

  std::optional<Position> position(std::string_view exporter_id) const;
  // Every exporter's position, by name.
  std::map<std::string, Position> positions() const;

 private:
  const Transaction& txn_;
};

class ExporterStateWriter {
 public:
  explicit ExporterStateWriter(Transaction& transaction) : txn_(transaction) {}

  void put_position(std::string_view exporter_id, Position position);

 private:
  Transaction& txn_;
};

}  // namespace tern::engine
