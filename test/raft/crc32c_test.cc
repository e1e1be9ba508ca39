#include "raft/core/crc32c.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <random>
#include <string>

namespace tern::raft {
namespace {

// Check values of CRC32C (iSCSI, RFC 3720 appendix B.4).
TEST(Crc32c, MatchesThePublishedCheckValues) {
  EXPECT_EQ(crc32c("123456789"), 0xE3069283u);
  EXPECT_EQ(crc32c(std::string(32, '\0')), 0x8A9136AAu);
  EXPECT_EQ(crc32c(std::string(32, '\xff')), 0x62A8AB43u);
  EXPECT_EQ(crc32c(""), 0u);
  EXPECT_EQ(crc32c_extend_portable(0, "123456789"), 0xE3069283u);
}

TEST(Crc32c, TheInstructionAndTheTableAgreeOnEveryLengthAndAlignment) {
  std::mt19937_64 random(20261122);
  std::string buffer(4096 + 16, '\0');
  for (auto& c : buffer)
    c = static_cast<char>(random());
  for (std::size_t offset = 0; offset < 16; ++offset) {
    for (std::size_t length : {0u, 1u, 7u, 8u, 9u, 15u, 16u, 63u, 64u, 65u, 1000u, 4096u}) {
      std::string_view bytes(buffer.data() + offset, length);
      EXPECT_EQ(crc32c(bytes), crc32c_extend_portable(0, bytes))
          << "offset " << offset << " length " << length;
    }
  }
}

TEST(Crc32c, ExtendingInPiecesEqualsOneGo) {
  const std::string text = "the quick brown fox jumps over the lazy dog, twice over";
  for (std::size_t split = 0; split <= text.size(); ++split) {
    std::string_view all(text);
    EXPECT_EQ(crc32c_extend(crc32c(all.substr(0, split)), all.substr(split)), crc32c(all));
  }
}

TEST(Crc32c, ReportsWhetherTheCpuInstructionIsUsed) {
#if defined(__x86_64__)
  EXPECT_EQ(crc32c_uses_hardware(), static_cast<bool>(__builtin_cpu_supports("sse4.2")));
#else
  EXPECT_FALSE(crc32c_uses_hardware());
#endif
}

}  // namespace
}  // namespace tern::raft
