#pragma once

#include <cstdint>

namespace tern::test {

// A TCP port on 127.0.0.1 that nothing is bound to right now, for a process a test starts later
// (a broker started, killed and restarted binds the same ports again, possibly much later).
//
// Ports come from below the kernel's ephemeral range (/proc/sys/net/ipv4/ip_local_port_range):
// every outgoing connection takes a port from that range, so a port picked there could be taken
// by some connection before its broker binds it. Within a process, ports are handed out in turn
// from a random start and never twice (until the range wraps), so that test processes running in
// parallel rarely pick the same one; a port something is bound to is skipped.
std::uint16_t free_port();

}  // namespace tern::test
