#include "engine/state/exporter_state.h"

namespace tern::engine {

namespace {

std::string encode_position(Position position) {
  // The order-preserving integer encoding of keys, without the kind byte.
  return DbKey(StateKind::kExporterPosition).i64(position.value()).bytes().substr(1);
}

Position decode_position(std::string_view bytes) {
  return Position(read_key_i64(bytes, 0));
}

}  // namespace

std::optional<Position> ExporterStateView::position(std::string_view exporter_id) const {
  auto bytes = txn_.get(DbKey(StateKind::kExporterPosition).str(exporter_id));
  if (!bytes || bytes->size() != 8) return std::nullopt;
  return decode_position(*bytes);
}

std::map<std::string, Position> ExporterStateView::positions() const {
  std::map<std::string, Position> out;
  DbKey prefix(StateKind::kExporterPosition);
  txn_.scan(prefix, [&](std::string_view key, std::string_view value) {
    if (value.size() != 8 || key.size() < 2) return true;
    // The name sits between the kind byte and its terminating zero byte.
    out.emplace(std::string(key.substr(1, key.size() - 2)), decode_position(value));
    return true;
  });
  return out;
}

void ExporterStateWriter::put_position(std::string_view exporter_id, Position position) {
  txn_.put(DbKey(StateKind::kExporterPosition).str(exporter_id), encode_position(position));
}

}  // namespace tern::engine
