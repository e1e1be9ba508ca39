#pragma once

// The rules a configuration must satisfy beyond its types: the cluster's shape (node id below
// size, replication factor at most size), the contact points' form, and which ports a process
// will listen on (which must differ from each other).

#include <cstdint>
#include <string>
#include <vector>

#include "broker/config.h"
#include "common/result.h"

namespace tern::broker {

// Checks every rule that does not need the machine (ports and directories are checked later, at
// start-up). Returns the first violation.
Result<void, ConfigError> validate_config(const TernConfig& config);

struct HostPort {
  std::string host;
  std::uint16_t port = 0;
};

// "host:port" (host may be a name, IPv4, or [IPv6]); the error text says what is wrong.
Result<HostPort, std::string> parse_host_port(const std::string& text);

enum class ProcessKind { kBroker, kGateway };

// A port this process will listen on and the key that configures it.
struct ListenPort {
  std::string key;  // "network.command-port"
  std::string host;
  std::uint16_t port = 0;
};

// Every port `ternd broker` (with or without the embedded gateway) or `ternd gateway` will listen
// on. The broker's cluster port is included although nothing listens on it yet: it is reserved
// for the replication transport, and catching a clash now spares a surprise later.
std::vector<ListenPort> listen_ports(const TernConfig& config, ProcessKind kind);

// Two keys configured with the same port: an error naming both.
Result<void, ConfigError> check_distinct_ports(const std::vector<ListenPort>& ports);

}  // namespace tern::broker
