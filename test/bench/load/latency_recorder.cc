#include "latency_recorder.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace tern::load {

namespace {

double at_rank(const std::vector<std::uint32_t>& sorted, double quantile) {
  // Nearest rank: the smallest sample with at least `quantile` of all samples at or below it.
  auto rank = static_cast<std::size_t>(std::ceil(quantile * static_cast<double>(sorted.size())));
  rank = std::clamp<std::size_t>(rank, 1, sorted.size());
  return static_cast<double>(sorted[rank - 1]) / 1000.0;
}

}  // namespace

Percentiles percentiles_of(std::vector<std::uint32_t>& samples_us) {
  Percentiles result;
  result.count = samples_us.size();
  if (samples_us.empty()) return result;
  std::sort(samples_us.begin(), samples_us.end());
  result.p50_ms = at_rank(samples_us, 0.50);
  result.p99_ms = at_rank(samples_us, 0.99);
  result.p999_ms = at_rank(samples_us, 0.999);
  result.max_ms = static_cast<double>(samples_us.back()) / 1000.0;
  return result;
}

void LatencyRecorder::record(std::chrono::nanoseconds latency, bool measuring) {
  const auto us = std::chrono::duration_cast<std::chrono::microseconds>(latency).count();
  const auto clamped = static_cast<std::uint32_t>(
      std::clamp<std::int64_t>(us, 0, std::numeric_limits<std::uint32_t>::max()));
  std::lock_guard lock(mutex_);
  interval_us_.push_back(clamped);
  if (measuring) total_us_.push_back(clamped);
}

Percentiles LatencyRecorder::take_interval() {
  std::vector<std::uint32_t> samples;
  {
    std::lock_guard lock(mutex_);
    samples.swap(interval_us_);
  }
  return percentiles_of(samples);
}

Percentiles LatencyRecorder::total() {
  std::vector<std::uint32_t> samples;
  {
    std::lock_guard lock(mutex_);
    samples = total_us_;
  }
  return percentiles_of(samples);
}

}  // namespace tern::load
