#include "raft/core/crc32c.h"

#include <array>
#include <cstring>

namespace tern::raft {
namespace {

constexpr std::uint32_t kPolynomial = 0x82F63B78u;  // reflected Castagnoli polynomial

constexpr std::array<std::array<std::uint32_t, 256>, 4> make_tables() {
  std::array<std::array<std::uint32_t, 256>, 4> tables{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t crc = i;
    for (int bit = 0; bit < 8; ++bit)
      crc = (crc & 1) ? (crc >> 1) ^ kPolynomial : crc >> 1;
    tables[0][i] = crc;
  }
  // Slicing-by-4: tables[k][i] is the CRC of byte i followed by k zero bytes.
  for (std::uint32_t i = 0; i < 256; ++i) {
    for (int k = 1; k < 4; ++k) {
      std::uint32_t prev = tables[k - 1][i];
      tables[k][i] = (prev >> 8) ^ tables[0][prev & 0xff];
    }
  }
  return tables;
}

constexpr auto kTables = make_tables();

#if defined(__x86_64__)
// The instruction works on the reflected polynomial as the table does, so no bit order changes.
// GCC's builtins, not <nmmintrin.h>: the core includes only the standard library.
__attribute__((target("sse4.2"))) std::uint32_t extend_with_instruction(std::uint32_t crc,
                                                                        std::string_view bytes) {
  std::uint64_t value = ~crc;
  const char* p = bytes.data();
  std::size_t n = bytes.size();
  while (n >= 8) {
    std::uint64_t word;
    std::memcpy(&word, p, sizeof word);  // unaligned input; compiles to one load
    value = __builtin_ia32_crc32di(value, word);
    p += 8;
    n -= 8;
  }
  auto narrow = static_cast<std::uint32_t>(value);
  while (n-- > 0)
    narrow = __builtin_ia32_crc32qi(narrow, static_cast<unsigned char>(*p++));
  return ~narrow;
}

bool cpu_has_crc_instruction() {
  static const bool has = __builtin_cpu_supports("sse4.2");
  return has;
}
#endif

}  // namespace

bool crc32c_uses_hardware() {
#if defined(__x86_64__)
  return cpu_has_crc_instruction();
#else
  return false;
#endif
}

std::uint32_t crc32c_extend(std::uint32_t crc, std::string_view bytes) {
#if defined(__x86_64__)
  if (cpu_has_crc_instruction()) return extend_with_instruction(crc, bytes);
#endif
  return crc32c_extend_portable(crc, bytes);
}

std::uint32_t crc32c_extend_portable(std::uint32_t crc, std::string_view bytes) {
  crc = ~crc;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  std::size_t n = bytes.size();
  while (n >= 4) {
    crc ^= static_cast<std::uint32_t>(p[0]) | (static_cast<std::uint32_t>(p[1]) << 8)
           | (static_cast<std::uint32_t>(p[2]) << 16) | (static_cast<std::uint32_t>(p[3]) << 24);
    crc = kTables[3][crc & 0xff] ^ kTables[2][(crc >> 8) & 0xff] ^ kTables[1][(crc >> 16) & 0xff]
          ^ kTables[0][crc >> 24];
    p += 4;
    n -= 4;
  }
  while (n-- > 0)
    crc = (crc >> 8) ^ kTables[0][(crc ^ *p++) & 0xff];
  return ~crc;
}

}  // namespace tern::raft
