#pragma once

// Latency samples of the load generator, kept per reporting interval and for the whole measured
// run, so that both the periodic lines and the summary give exact percentiles. Thread-safe:
// gRPC's callback threads record, the reporting thread takes.

#include <chrono>
#include <cstdint>
#include <mutex>
#include <vector>

namespace tern::load {

struct Percentiles {
  std::size_t count = 0;
  double p50_ms = 0;
  double p99_ms = 0;
  double p999_ms = 0;
  double max_ms = 0;
};

// Nearest-rank percentiles of `samples_us` (sorted in place).
Percentiles percentiles_of(std::vector<std::uint32_t>& samples_us);

class LatencyRecorder {
 public:
  // `measuring` false while warming up: the sample counts for the interval only.
  void record(std::chrono::nanoseconds latency, bool measuring);

  // The current interval's percentiles; starts a new interval.
  Percentiles take_interval();
  // Percentiles over every sample recorded with `measuring` true.
  Percentiles total();

 private:
  std::mutex mutex_;
  std::vector<std::uint32_t> interval_us_;
  std::vector<std::uint32_t> total_us_;
};

}  // namespace tern::load
