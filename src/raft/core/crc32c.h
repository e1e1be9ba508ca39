#pragma once

// CRC32C (Castagnoli), used to check snapshot chunks in flight and journal records on disk.
// Software table implementation: portable and deterministic; fast enough for the journal's
// group-committed writes.

#include <cstdint>
#include <string_view>

namespace tern::raft {

// Extends `crc` (0 for a fresh checksum) over `bytes`.
std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view bytes);

inline std::uint32_t crc32c(std::string_view bytes) {
  return crc32c_extend(0, bytes);
}

}  // namespace tern::raft
