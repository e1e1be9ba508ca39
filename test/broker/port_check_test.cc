// Start-up port checks: a port in use or configured twice is named by its key.

#include "broker/port_check.h"

#include <arpa/inet.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include "broker/config.h"
#include "broker/config_validation.h"
#include "support/free_port.h"

namespace tern::broker {
namespace {

using ::testing::HasSubstr;

// A socket listening on 127.0.0.1 at a kernel-chosen port, closed on destruction.
class Listener {
 public:
  Listener() {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&address), sizeof(address)), 0);
    EXPECT_EQ(::listen(fd_, 1), 0);
    socklen_t length = sizeof(address);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
  }
  ~Listener() { ::close(fd_); }
  std::uint16_t port() const { return port_; }

 private:
  int fd_ = -1;
  std::uint16_t port_ = 0;
};

TEST(PortCheck, FreePortsPass) {
  std::vector<ListenPort> ports = {{"network.command-port", "127.0.0.1", test::free_port()},
                                   {"network.monitoring-port", "127.0.0.1", test::free_port()}};
  while (ports[1].port == ports[0].port)
    ports[1].port = test::free_port();
  auto result = check_ports_available(ports);
  EXPECT_TRUE(result.ok()) << result.error().to_string();
}

TEST(PortCheck, APortInUseIsNamedByItsKey) {
  Listener taken;
  std::vector<ListenPort> ports = {{"network.monitoring-port", "127.0.0.1", test::free_port()},
                                   {"network.command-port", "127.0.0.1", taken.port()}};
  auto result = check_ports_available(ports);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().code, ConfigErrc::kPortInUse);
  EXPECT_EQ(result.error().to_string(), "network.command-port: 127.0.0.1:"
                                            + std::to_string(taken.port()) + " is already in use");
}

TEST(PortCheck, APortConfiguredTwiceIsRejected) {
  std::vector<ListenPort> ports = {{"network.command-port", "127.0.0.1", 30000},
                                   {"gateway.port", "127.0.0.1", 30000}};
  auto result = check_ports_available(ports);
  ASSERT_FALSE(result.ok());
  EXPECT_EQ(result.error().to_string(),
            "gateway.port: port 30000 is also configured as network.command-port");
}

TEST(PortCheck, AnUnresolvableHostIsReported) {
  std::vector<ListenPort> ports = {{"network.command-port", "no-such-host.invalid", 30001}};
  auto result = check_ports_available(ports);
  ASSERT_FALSE(result.ok());
  EXPECT_THAT(result.error().message, HasSubstr("cannot resolve network.host"));
}

TEST(PortCheck, TheBrokerListensOnItsPortsAndTheGatewaysWhenEmbedded) {
  TernConfig config;
  auto keys = [](const std::vector<ListenPort>& ports) {
    std::vector<std::string> out;
    for (const auto& port : ports)
      out.push_back(port.key);
    return out;
  };
  EXPECT_EQ(
      keys(listen_ports(config, ProcessKind::kBroker)),
      (std::vector<std::string>{"network.command-port", "network.cluster-port",
                                "network.monitoring-port", "gateway.port", "gateway.rest-port"}));
  config.gateway.enabled = false;
  EXPECT_EQ(keys(listen_ports(config, ProcessKind::kBroker)),
            (std::vector<std::string>{"network.command-port", "network.cluster-port",
                                      "network.monitoring-port"}));
  EXPECT_EQ(
      keys(listen_ports(config, ProcessKind::kGateway)),
      (std::vector<std::string>{"network.monitoring-port", "gateway.port", "gateway.rest-port"}));
}

TEST(PortCheck, DefaultPortsAreDistinct) {
  TernConfig config;
  EXPECT_TRUE(check_distinct_ports(listen_ports(config, ProcessKind::kBroker)).ok());
}

}  // namespace
}  // namespace tern::broker
