#pragma once

// The Tern version, in one place. Brokers report it in the topology, gateways report it to clients,
// and `ternd --version` prints it. src/broker/CMakeLists.txt fails the configure step when this
// constant and the project's VERSION in the top-level CMakeLists.txt disagree, so the two cannot
// drift apart.

#include <string_view>

namespace tern {

inline constexpr std::string_view kVersion = "0.1.0";

}  // namespace tern
