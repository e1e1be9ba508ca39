// The TCP reachability probe against a real listening socket and a port nobody listens on.

#include "broker/management/reachability_probe.h"

#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "support/free_port.h"

namespace tern::broker::management {
namespace {

// A listening socket on 127.0.0.1 with a kernel-chosen port; connections complete in the backlog
// without accept().
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(fd_, 8), 0);
    socklen_t length = sizeof(address);
    EXPECT_EQ(::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length), 0);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST(TcpReachabilityProbe, AListeningPortAnswersAndAClosedOneIsSilent) {
  TcpReachabilityProbe probe(std::chrono::milliseconds(500));
  Listener listener;
  EXPECT_EQ(probe.probe("127.0.0.1:" + std::to_string(listener.port())), Reachability::kAnswers);
  EXPECT_EQ(probe.probe("localhost:" + std::to_string(listener.port())), Reachability::kAnswers);
  EXPECT_EQ(probe.probe("127.0.0.1:" + std::to_string(tern::test::free_port())),
            Reachability::kSilent);
}

TEST(TcpReachabilityProbe, MalformedAddressesAreReportedAsSuch) {
  TcpReachabilityProbe probe(std::chrono::milliseconds(100));
  EXPECT_EQ(probe.probe("no-port"), Reachability::kBadAddress);
  EXPECT_EQ(probe.probe("127.0.0.1:"), Reachability::kBadAddress);
  EXPECT_EQ(probe.probe(":26502"), Reachability::kBadAddress);
}

}  // namespace
}  // namespace tern::broker::management
