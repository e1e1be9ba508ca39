#include "integration/support/load_ledger.h"

#include <grpcpp/grpcpp.h>

namespace tern::test {

namespace gp = gateway_protocol;
using namespace std::chrono_literals;

namespace {

constexpr int kKeyBits = 51;  // keys carry the partition id above this bit, as Zeebe's do

std::unique_ptr<grpc::ClientContext> context_for(std::chrono::milliseconds timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

std::string code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      return "code " + std::to_string(static_cast<int>(code));
  }
}

}  // namespace

std::int32_t partition_of_key(std::int64_t key) {
  return static_cast<std::int32_t>(static_cast<std::uint64_t>(key) >> kKeyBits);
}

LoadLedger::LoadLedger(std::uint16_t gateway_port, LoadOptions options)
    : options_(std::move(options)),
      channel_(grpc::CreateChannel("127.0.0.1:" + std::to_string(gateway_port),
                                   grpc::InsecureChannelCredentials())),
      stub_(gp::Gateway::NewStub(channel_)) {}

LoadLedger::~LoadLedger() {
  stop();
}

std::string LoadLedger::deploy(std::chrono::milliseconds timeout) {
  gp::DeployResourceRequest request;
  auto* resource = request.add_resources();
  resource->set_name(options_.process_id + ".bpmn");
  resource->set_content(one_task_bpmn(options_.process_id, options_.job_type));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  std::string last;
  while (std::chrono::steady_clock::now() < deadline) {
    gp::DeployResourceResponse response;
    auto context = context_for(10s);
    grpc::Status status = stub_->DeployResource(context.get(), request, &response);
    if (status.ok()) return {};
    last = code_name(status.error_code()) + ": " + status.error_message();
    std::this_thread::sleep_for(200ms);  // pacing of the retries, not synchronisation
  }
  return last.empty() ? "no attempt" : last;
}

void LoadLedger::start() {
  starting_ = true;
  running_ = true;
  starter_ = std::thread([this] { run_starter(); });
  for (int i = 0; i < options_.workers; ++i)
    workers_.emplace_back([this, i] { run_worker(i); });
}

void LoadLedger::stop_starting() {
  starting_ = false;
  if (starter_.joinable()) starter_.join();
}

void LoadLedger::stop() {
  stop_starting();
  running_ = false;
  for (auto& worker : workers_)
    if (worker.joinable()) worker.join();
  workers_.clear();
}

void LoadLedger::run_starter() {
  const auto interval = std::chrono::microseconds(1'000'000 / options_.max_rate_per_second);
  auto next = std::chrono::steady_clock::now();
  while (starting_) {
    next += interval;
    gp::CreateProcessInstanceRequest request;
    request.set_bpmnprocessid(options_.process_id);
    request.set_version(-1);
    request.set_variables(R"({"origin":"load"})");
    gp::CreateProcessInstanceResponse response;
    auto context = context_for(5s);
    grpc::Status status = stub_->CreateProcessInstance(context.get(), request, &response);
    {
      std::lock_guard lock(mutex_);
      if (status.ok()) {
        if (!acknowledged_.insert(response.processinstancekey()).second) ++duplicates_;
        acknowledged_at_[response.processinstancekey()] = std::chrono::steady_clock::now();
        ++per_partition_[partition_of_key(response.processinstancekey())];
      } else {
        ++create_errors_[code_name(status.error_code())];
      }
    }
    // The starter's pace (a rate, as a benchmark starter keeps one); never used to wait for
    // the cluster.
    auto now = std::chrono::steady_clock::now();
    if (next > now) {
      std::this_thread::sleep_until(next);
    } else {
      next = now;
    }
  }
}

void LoadLedger::run_worker(int index) {
  while (running_) {
    gp::ActivateJobsRequest request;
    request.set_type(options_.job_type);
    request.set_worker("ledger-" + std::to_string(index));
    request.set_timeout(10'000);
    request.set_maxjobstoactivate(32);
    request.set_requesttimeout(500);
    auto context = context_for(5s);
    auto reader = stub_->ActivateJobs(context.get(), request);
    std::vector<gp::ActivatedJob> jobs;
    gp::ActivateJobsResponse response;
    while (reader->Read(&response)) {
      for (const auto& job : response.jobs())
        jobs.push_back(job);
    }
    grpc::Status status = reader->Finish();
    {
      std::lock_guard lock(mutex_);
      for (const auto& job : jobs)
        activated_.insert(job.processinstancekey());
    }
    for (const auto& job : jobs)
      complete(job);
    if (!status.ok() && jobs.empty()) std::this_thread::sleep_for(100ms);  // retry pacing
  }
}

void LoadLedger::complete(const gp::ActivatedJob& job) {
  // Retried until definite: OK, or NOT_FOUND. In this process only a completion removes a job
  // (nothing cancels instances, and failing jobs keep theirs), so NOT_FOUND means it was
  // completed: by an earlier attempt whose answer was lost (the gateway itself retries a command
  // whose leader died after committing it), or by another worker after the job timed out.
  auto deadline = std::chrono::steady_clock::now() + 30s;
  while (running_ && std::chrono::steady_clock::now() < deadline) {
    gp::CompleteJobRequest request;
    request.set_jobkey(job.key());
    request.set_variables(R"({"done":true})");
    gp::CompleteJobResponse response;
    auto context = context_for(5s);
    grpc::Status status = stub_->CompleteJob(context.get(), request, &response);
    if (status.ok() || status.error_code() == grpc::StatusCode::NOT_FOUND) {
      std::lock_guard lock(mutex_);
      completed_.insert(job.processinstancekey());
      return;
    }
    std::this_thread::sleep_for(100ms);  // retry pacing
  }
}

LedgerSnapshot LoadLedger::snapshot() const {
  std::lock_guard lock(mutex_);
  std::size_t completed = 0;
  for (auto key : acknowledged_)
    completed += completed_.count(key);
  return {acknowledged_.size(), completed, duplicates_, create_errors_};
}

std::size_t LoadLedger::acknowledged_on(std::int32_t partition) const {
  std::lock_guard lock(mutex_);
  auto it = per_partition_.find(partition);
  return it == per_partition_.end() ? 0 : it->second;
}

std::vector<std::int64_t> LoadLedger::not_completed() const {
  std::lock_guard lock(mutex_);
  std::vector<std::int64_t> out;
  for (auto key : acknowledged_)
    if (!completed_.contains(key)) out.push_back(key);
  return out;
}

std::vector<std::int64_t> LoadLedger::never_activated() const {
  std::lock_guard lock(mutex_);
  std::vector<std::int64_t> out;
  for (auto key : acknowledged_)
    if (!activated_.contains(key)) out.push_back(key);
  return out;
}

std::chrono::steady_clock::time_point LoadLedger::acknowledged_at(std::int64_t key) const {
  std::lock_guard lock(mutex_);
  auto it = acknowledged_at_.find(key);
  return it == acknowledged_at_.end() ? std::chrono::steady_clock::time_point{} : it->second;
}

std::vector<std::int64_t> LoadLedger::acknowledged_keys() const {
  std::lock_guard lock(mutex_);
  return {acknowledged_.begin(), acknowledged_.end()};
}

}  // namespace tern::test
