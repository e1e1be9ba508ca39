#include "support/paths.h"

#include <unistd.h>

#include <array>
#include <cstdlib>

namespace tern::test {

std::filesystem::path source_dir() {
  return TERN_SOURCE_DIR;
}

std::filesystem::path shared_dir() {
  if (const char* env = std::getenv("TERN_SHARED_DIR"); env != nullptr && *env != '\0') return env;
  return (source_dir() / ".." / "shared").lexically_normal();
}

std::filesystem::path binary_dir() {
  std::array<char, 4096> buffer{};
  ssize_t length = ::readlink("/proc/self/exe", buffer.data(), buffer.size() - 1);
  if (length <= 0) return std::filesystem::current_path();
  return std::filesystem::path(std::string(buffer.data(), static_cast<std::size_t>(length)))
      .parent_path();
}

}  // namespace tern::test
