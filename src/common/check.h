#pragma once

// TERN_CHECK(condition, message): an invariant that stays on in release builds. A broken invariant
// in Raft or storage means the replica can no longer be trusted, so it aborts with a clear line
// instead of carrying on with corrupt state (CONVENTIONS.md, "Errors").

#include <cstdio>
#include <cstdlib>

namespace tern::detail {

[[noreturn]] inline void check_failed(const char* condition, const char* message, const char* file,
                                      int line) {
  std::fprintf(stderr, "invariant violated at %s:%d: %s (%s)\n", file, line, message, condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace tern::detail

#define TERN_CHECK(condition, message)                                         \
  do {                                                                         \
    if (!(condition)) [[unlikely]] {                                           \
      ::tern::detail::check_failed(#condition, (message), __FILE__, __LINE__); \
    }                                                                          \
  } while (false)
