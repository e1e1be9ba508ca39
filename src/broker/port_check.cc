#include "broker/port_check.h"

#include <netdb.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

namespace tern::broker {
namespace {

ConfigError port_error(const ListenPort& port, std::string message) {
  return ConfigError{ConfigErrc::kPortInUse, port.key, std::move(message)};
}

std::string address_of(const ListenPort& port) {
  bool v6 = port.host.find(':') != std::string::npos;
  return (v6 ? "[" + port.host + "]" : port.host) + ":" + std::to_string(port.port);
}

Result<void, ConfigError> probe(const ListenPort& port) {
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE;
  addrinfo* found = nullptr;
  std::string service = std::to_string(port.port);
  int rc = ::getaddrinfo(port.host.c_str(), service.c_str(), &hints, &found);
  if (rc != 0) {
    ConfigError error =
        port_error(port, "cannot resolve network.host '" + port.host + "': " + ::gai_strerror(rc));
    error.code = ConfigErrc::kInvalidValue;
    return tern::unexpected(std::move(error));
  }
  Result<void, ConfigError> result;
  for (addrinfo* ai = found; ai != nullptr; ai = ai->ai_next) {
    int fd = ::socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) continue;
    int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    int bound = ::bind(fd, ai->ai_addr, ai->ai_addrlen);
    int bind_errno = errno;
    ::close(fd);
    if (bound == 0) continue;
    if (bind_errno == EADDRINUSE) {
      result = tern::unexpected(port_error(port, address_of(port) + " is already in use"));
    } else {
      result = tern::unexpected(port_error(
          port, "cannot listen on " + address_of(port) + ": " + std::strerror(bind_errno)));
    }
    break;
  }
  ::freeaddrinfo(found);
  return result;
}

}  // namespace

Result<void, ConfigError> check_ports_available(const std::vector<ListenPort>& ports) {
  if (auto distinct = check_distinct_ports(ports); !distinct) return distinct;
  for (const auto& port : ports) {
    if (auto free = probe(port); !free) return free;
  }
  return {};
}

}  // namespace tern::broker
