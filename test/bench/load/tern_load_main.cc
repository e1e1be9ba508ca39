// tern_load: drives a Tern gateway with one-task process instances at a target rate and job
// workers completing them; prints throughput and latency. See load_options.cc for the usage.

#include <absl/synchronization/mutex.h>

#include <cstdio>
#include <string>
#include <vector>

#include "load_options.h"
#include "load_run.h"

int main(int argc, char** argv) {
  // As ternd does: the distribution's absl checks lock orders on every lock (a debug check) and
  // the load generator's CPU is taken from the brokers it measures.
  absl::SetMutexDeadlockDetectionMode(absl::OnDeadlockCycle::kIgnore);
  std::vector<std::string> args(argv + 1, argv + argc);
  auto options = tern::load::parse_options(args);
  if (!options) {
    std::fprintf(stderr, "%s\n", options.error().message.c_str());
    return 2;
  }
  tern::load::LoadRun run(options.value());
  if (auto deployed = run.deploy(); !deployed) {
    std::fprintf(stderr, "tern_load: %s\n", deployed.error().c_str());
    return 1;
  }
  std::printf("tern_load: deployed %s; %.0f instances/s for %ds (warm-up %ds), %d workers\n",
              options.value().process_id.c_str(), options.value().rate, options.value().duration_s,
              options.value().warmup_s, options.value().workers);
  std::fflush(stdout);
  return run.run();
}
