#include "support/free_port.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <mutex>
#include <random>
#include <stdexcept>

namespace tern::test {
namespace {

// Below this the ports of well-known services cluster; above it, up to the ephemeral range,
// nothing allocates ports on its own.
constexpr std::uint32_t kLowestPort = 12'000;

// The first port of the ephemeral range (Linux's default when the file cannot be read).
std::uint32_t ephemeral_start() {
  std::ifstream range("/proc/sys/net/ipv4/ip_local_port_range");
  std::uint32_t low = 0;
  if (range >> low && low > 0) return low;
  return 32'768;
}

// Whether nothing is bound to `port` on 127.0.0.1 (without SO_REUSEADDR, so a port still in
// TIME_WAIT counts as taken too).
bool bindable(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("free_port: socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  const bool bound = ::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return bound;
}

// A port the kernel picks (from the ephemeral range): the fallback where no range is left below.
std::uint16_t kernel_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("free_port: socket() failed");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0
      || ::getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    ::close(fd);
    throw std::runtime_error("free_port: bind() failed");
  }
  ::close(fd);
  return ntohs(address.sin_port);
}

}  // namespace

std::uint16_t free_port() {
  static std::mutex mutex;
  static const std::uint32_t end = ephemeral_start();
  static std::uint32_t next = 0;
  if (end <= kLowestPort + 1'000) return kernel_port();
  std::lock_guard lock(mutex);
  if (next == 0) next = kLowestPort + std::random_device{}() % (end - kLowestPort);
  for (std::uint32_t tried = 0; tried < end - kLowestPort; ++tried) {
    const auto port = static_cast<std::uint16_t>(next);
    next = next + 1 < end ? next + 1 : kLowestPort;
    if (bindable(port)) return port;
  }
  throw std::runtime_error("free_port: no free port below the ephemeral range");
}

}  // namespace tern::test
