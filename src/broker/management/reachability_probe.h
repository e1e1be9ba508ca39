#pragma once

// Whether a broker still answers on its cluster port. A forced removal takes the removed brokers
// for dead; if one of them still answers, the "lost" region may only be cut off from us, and
// forcing the survivors into a configuration of their own would let both sides elect leaders
// (a split brain). The management API refuses that unless the operator overrides.

#include <chrono>
#include <string>

namespace tern::broker::management {

enum class Reachability {
  kAnswers,     // a TCP connection was accepted
  kSilent,      // refused, unreachable or timed out
  kBadAddress,  // not host:port, or the host does not resolve
};

std::string to_string(Reachability reachability);

class ReachabilityProbe {
 public:
  virtual ~ReachabilityProbe() = default;
  // `address` is host:port. Blocks for at most the probe's timeout.
  virtual Reachability probe(const std::string& address) const = 0;
};

// Connects with TCP and a short timeout, then closes.
class TcpReachabilityProbe final : public ReachabilityProbe {
 public:
  explicit TcpReachabilityProbe(std::chrono::milliseconds timeout) : timeout_(timeout) {}
  Reachability probe(const std::string& address) const override;

 private:
  std::chrono::milliseconds timeout_;
};

}  // namespace tern::broker::management
