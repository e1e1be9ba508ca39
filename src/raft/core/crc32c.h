#pragma once

// CRC32C (Castagnoli), used to check snapshot chunks in flight and journal records on disk.
// The x86-64 CRC32 instruction computes it when the CPU has SSE4.2 (decided once, at the first
// call); elsewhere a slicing-by-4 table does. Both give the same value for the same bytes.

#include <cstdint>
#include <string_view>

namespace tern::raft {

// Extends `crc` (0 for a fresh checksum) over `bytes`.
std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view bytes);

// The table implementation alone, whatever the CPU: tests compare it with the instruction's.
std::uint32_t crc32c_extend_portable(std::uint32_t crc, std::string_view bytes);

// Whether crc32c_extend uses the CPU's CRC32 instruction on this machine.
bool crc32c_uses_hardware();

inline std::uint32_t crc32c(std::string_view bytes) {
  return crc32c_extend(0, bytes);
}

}  // namespace tern::raft
