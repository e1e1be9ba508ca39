#pragma once

// The load generator's command line.

#include <string>
#include <vector>

#include "common/result.h"

namespace tern::load {

struct LoadOptions {
  // The gateway's gRPC address, or several, comma-separated (used round-robin).
  std::string gateway = "127.0.0.1:26500";
  double rate = 500;         // process instances started per second (open loop)
  int duration_s = 60;       // how long the starter runs
  int warmup_s = 10;         // first seconds left out of the summary
  int report_s = 5;          // seconds between progress lines
  int max_in_flight = 2000;  // started but not yet completed instances, at most
  int workers = 4;           // job worker threads
  int batch = 32;            // jobs per ActivateJobs request
  int drain_s = 30;          // how long to wait for in-flight instances at the end
  std::string job_type = "bench-task";
  std::string process_id = "bench-one-task";
};

struct OptionsError {
  std::string message;  // names the argument and the problem
};

// Parses `--name value` pairs; `--help` yields an error whose message is the usage text.
Result<LoadOptions, OptionsError> parse_options(const std::vector<std::string>& args);

std::string usage();

}  // namespace tern::load
