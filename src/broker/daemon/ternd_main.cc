// ternd: the Tern daemon. `ternd broker` runs a broker, `ternd gateway` a standalone gateway.
// Exit status: 0 after an orderly shutdown (or --help / --version), 1 when the configuration or
// the machine stops start-up, 2 for a usage error.

#include <absl/synchronization/mutex.h>

#include <cstdio>
#include <string>
#include <string_view>
#include <vector>

#include "broker/command_line.h"
#include "broker/daemon/daemon.h"
#include "broker/signals.h"
#include "common/version.h"

namespace tern::broker {

int report_config_error(const ConfigError& error) {
  std::fprintf(stderr, "ternd: configuration error: %s\n", error.to_string().c_str());
  return 1;
}

int report_start_failure(const std::string& key, const std::string& message) {
  std::fprintf(stderr, "ternd: %s: %s\n", key.c_str(), message.c_str());
  return 1;
}

}  // namespace tern::broker

int main(int argc, char** argv) {
  using namespace tern::broker;
  // Before any thread exists, so that every thread inherits the mask (signals.h).
  block_shutdown_signals();
  // gRPC's mutexes are absl's; the distribution's absl is built with its deadlock detection on,
  // which records every lock order in a graph (with stack traces) on every lock: a few percent of
  // the daemon's CPU under load, for a check meant for debug builds.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);

  std::vector<std::string_view> args(argv + 1, argv + argc);
  auto parsed = parse_command_line(args);
  if (!parsed) {
    std::fprintf(stderr, "ternd: %s\n\n%s", parsed.error().message.c_str(),
                 usage_text(parsed.error().topic).c_str());
    return 2;
  }
  switch (parsed->command) {
    case Command::kHelp:
      std::fputs(usage_text(parsed->help_topic).c_str(), stdout);
      return 0;
    case Command::kVersion:
      std::printf("ternd %.*s\n", static_cast<int>(tern::kVersion.size()), tern::kVersion.data());
      return 0;
    case Command::kBroker:
      return run_broker(*parsed);
    case Command::kGateway:
      return run_gateway(*parsed);
  }
  return 2;
}
