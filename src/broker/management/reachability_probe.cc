#include "broker/management/reachability_probe.h"

#include <fcntl.h>
#include <netdb.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <memory>

namespace tern::broker::management {
namespace {

// Owns an addrinfo list or a socket so every return path releases it.
struct AddrInfoFree {
  void operator()(addrinfo* info) const { freeaddrinfo(info); }
};

class Socket {
 public:
  explicit Socket(int fd) : fd_(fd) {}
  Socket(const Socket&) = delete;
  Socket& operator=(const Socket&) = delete;
  ~Socket() {
    if (fd_ >= 0) ::close(fd_);
  }
  int fd() const { return fd_; }

 private:
  int fd_;
};

bool connects(const addrinfo& address, std::chrono::milliseconds timeout) {
  Socket socket(::socket(address.ai_family, address.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                         address.ai_protocol));
  if (socket.fd() < 0) return false;
  if (::connect(socket.fd(), address.ai_addr, address.ai_addrlen) == 0) return true;
  if (errno != EINPROGRESS) return false;
  pollfd waiting{socket.fd(), POLLOUT, 0};
  if (::poll(&waiting, 1, static_cast<int>(timeout.count())) != 1) return false;
  int error = 0;
  socklen_t length = sizeof(error);
  if (::getsockopt(socket.fd(), SOL_SOCKET, SO_ERROR, &error, &length) != 0) return false;
  return error == 0;
}

}  // namespace

std::string to_string(Reachability reachability) {
  switch (reachability) {
    case Reachability::kAnswers:
      return "answers";
    case Reachability::kSilent:
      return "silent";
    case Reachability::kBadAddress:
      return "bad address";
  }
  return "unknown";
}

Reachability TcpReachabilityProbe::probe(const std::string& address) const {
  const auto colon = address.rfind(':');
  if (colon == std::string::npos || colon == 0 || colon + 1 == address.size()) {
    return Reachability::kBadAddress;
  }
  std::string host = address.substr(0, colon);
  if (host.size() > 2 && host.front() == '[' && host.back() == ']') {
    host = host.substr(1, host.size() - 2);
  }
  const std::string port = address.substr(colon + 1);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  addrinfo* found = nullptr;
  if (::getaddrinfo(host.c_str(), port.c_str(), &hints, &found) != 0) {
    return Reachability::kBadAddress;
  }
  std::unique_ptr<addrinfo, AddrInfoFree> list(found);
  for (const addrinfo* entry = list.get(); entry != nullptr; entry = entry->ai_next) {
    if (connects(*entry, timeout_)) return Reachability::kAnswers;
  }
  return Reachability::kSilent;
}

}  // namespace tern::broker::management
