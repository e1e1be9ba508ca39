#pragma once

// LoadLedger: continuous load against a real gateway through the generated gRPC stubs of Zeebe's
// gateway protocol, with a ledger of what the cluster acknowledged. A starter creates instances
// of a one-task process and records every acknowledged instance key; workers activate the jobs
// and complete them, recording which instances' jobs they saw and completed. The ledger is what
// a test checks after faults: no acknowledged instance lost, every one completed, keys unique.
//
// Threads: start() spawns one starter and `workers` worker threads; stop_starting() and stop()
// join them. The ledger's accessors are thread-safe (one mutex; the load's pace is modest).

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "gateway.grpc.pb.h"
#include "support/bpmn_models.h"

namespace tern::test {

struct LoadOptions {
  std::string process_id = "load";
  std::string job_type = "load-task";
  int max_rate_per_second = 100;  // the starter's pace at most (it is also bounded by latency)
  int workers = 2;
};

struct LedgerSnapshot {
  std::size_t acknowledged = 0;
  std::size_t completed = 0;
  std::size_t duplicates = 0;  // acknowledged keys that had been acknowledged before
  std::map<std::string, std::size_t> create_errors;  // by gRPC status code name
};

class LoadLedger {
 public:
  LoadLedger(std::uint16_t gateway_port, LoadOptions options);
  ~LoadLedger();

  // Deploys the process through the gateway, retrying until `timeout`; the error text on failure.
  std::string deploy(std::chrono::milliseconds timeout);
  void start();
  void stop_starting();  // joins the starter; workers go on
  void stop();           // joins everything

  LedgerSnapshot snapshot() const;
  // Instances acknowledged on `partition` (from the key's partition bits).
  std::size_t acknowledged_on(std::int32_t partition) const;
  // Acknowledged instances whose job was not yet seen completed, ascending.
  std::vector<std::int64_t> not_completed() const;
  // Acknowledged instances whose job no worker ever activated, ascending.
  std::vector<std::int64_t> never_activated() const;
  std::vector<std::int64_t> acknowledged_keys() const;
  // When `key` was acknowledged (the starter's clock); epoch if it was not.
  std::chrono::steady_clock::time_point acknowledged_at(std::int64_t key) const;

  gateway_protocol::Gateway::Stub& stub() { return *stub_; }

 private:
  void run_starter();
  void run_worker(int index);
  void complete(const gateway_protocol::ActivatedJob& job);

  LoadOptions options_;
  std::shared_ptr<grpc::Channel> channel_;
  std::unique_ptr<gateway_protocol::Gateway::Stub> stub_;
  std::atomic<bool> starting_{false};
  std::atomic<bool> running_{false};
  std::thread starter_;
  std::vector<std::thread> workers_;

  mutable std::mutex mutex_;
  std::set<std::int64_t> acknowledged_;  // guarded by mutex_
  std::map<std::int64_t, std::chrono::steady_clock::time_point> acknowledged_at_;  // mutex_
  std::set<std::int64_t> activated_;                   // guarded by mutex_
  std::set<std::int64_t> completed_;                   // guarded by mutex_
  std::size_t duplicates_ = 0;                         // guarded by mutex_
  std::map<std::string, std::size_t> create_errors_;   // guarded by mutex_
  std::map<std::int32_t, std::size_t> per_partition_;  // guarded by mutex_
};

// The partition a Zeebe-style key belongs to (its upper 13 bits).
std::int32_t partition_of_key(std::int64_t key);

}  // namespace tern::test
