#pragma once

// One run of the load generator against a gateway: deploy the one-task process, start instances
// at the target rate, complete their jobs with worker threads, report.
//
// Threads: run() owns the calling thread (it reports), one starter thread, `workers` worker
// threads, and gRPC's callback threads, which finish creates and completions. Counters are
// atomics; latency samples go through LatencyRecorder's mutex.

#include <grpcpp/grpcpp.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "common/result.h"
#include "gateway.grpc.pb.h"
#include "latency_recorder.h"
#include "load_options.h"

namespace tern::load {

using Clock = std::chrono::steady_clock;

class LoadRun {
 public:
  explicit LoadRun(LoadOptions options);

  // Deploys the one-task process, retrying while the cluster comes up (no leader, no topology)
  // for up to a minute. The error names the last gRPC failure.
  Result<void, std::string> deploy();

  // Runs the load and prints progress and the summary. Returns the process exit code: 0, or 3
  // when instances were still unfinished after the drain time.
  int run();

 private:
  struct Worker {
    std::mutex mutex;
    std::condition_variable changed;
    int outstanding = 0;  // completions sent, not yet answered
  };

  void starter_loop();
  void start_instance(Clock::time_point scheduled);
  void worker_loop(int index);
  void complete_job(int index, std::int64_t job_key, Clock::time_point scheduled);
  void finish_instance(Worker& worker);
  void report(std::chrono::duration<double> elapsed, std::chrono::duration<double> interval);
  void summary(std::chrono::duration<double> measured);

  LoadOptions options_;
  // One per gateway (--gateway a,b,...): instances are created round-robin over them.
  std::vector<std::unique_ptr<gateway_protocol::Gateway::Stub>> starter_stubs_;
  std::atomic<std::uint64_t> next_starter_{0};
  std::vector<std::unique_ptr<gateway_protocol::Gateway::Stub>> worker_stubs_;
  std::vector<std::unique_ptr<Worker>> workers_;

  Clock::time_point start_;
  Clock::time_point measure_from_;   // start_ + warm-up
  Clock::time_point measure_until_;  // start_ + duration
  std::atomic<bool> starter_done_{false};
  std::atomic<bool> stop_workers_{false};

  std::atomic<std::int64_t> in_flight_{0};
  std::atomic<std::int64_t> scheduled_{0};
  std::atomic<std::int64_t> skipped_{0};
  std::atomic<std::int64_t> created_{0};
  std::atomic<std::int64_t> create_rejected_{0};  // RESOURCE_EXHAUSTED: back-pressure
  std::atomic<std::int64_t> create_failed_{0};    // any other error
  std::atomic<std::int64_t> completed_{0};
  std::atomic<std::int64_t> completed_measured_{0};  // completed inside the measured window
  std::atomic<std::int64_t> complete_failed_{0};
  std::atomic<std::int64_t> activate_failed_{0};
  std::mutex last_error_mutex_;
  std::string last_error_;

  LatencyRecorder end_to_end_;    // scheduled start -> job completion acknowledged
  LatencyRecorder create_ack_;    // scheduled start -> create acknowledged
  LatencyRecorder job_received_;  // scheduled start -> its job in a worker's hands
  LatencyRecorder complete_ack_;  // CompleteJob sent -> acknowledged

  // Interval bookkeeping for report().
  std::int64_t reported_created_ = 0;
  std::int64_t reported_completed_ = 0;
  std::int64_t reported_skipped_ = 0;
  std::int64_t reported_rejected_ = 0;
};

}  // namespace tern::load
