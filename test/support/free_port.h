#pragma once

#include <cstdint>

namespace tern::test {

// A TCP port on 127.0.0.1 that nothing listens on right now. The kernel picks it (bind to port 0);
// the socket is closed before returning, so a test should bind it soon after.
std::uint16_t free_port();

}  // namespace tern::test
