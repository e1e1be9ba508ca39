#include "load_run.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>
#include <thread>

namespace tern::load {

namespace gp = gateway_protocol;
using namespace std::chrono_literals;

namespace {

std::string one_task_process(const std::string& process_id, const std::string& job_type) {
  return R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0" id="load" targetNamespace="http://tern">
  <bpmn:process id=")"
         + process_id + R"(" isExecutable="true">
    <bpmn:startEvent id="start" />
    <bpmn:sequenceFlow id="to-task" sourceRef="start" targetRef="task" />
    <bpmn:serviceTask id="task">
      <bpmn:extensionElements><zeebe:taskDefinition type=")"
         + job_type + R"(" /></bpmn:extensionElements>
    </bpmn:serviceTask>
    <bpmn:sequenceFlow id="to-end" sourceRef="task" targetRef="end" />
    <bpmn:endEvent id="end" />
  </bpmn:process>
</bpmn:definitions>)";
}

// Each stub gets its own HTTP/2 connection, as separate client processes would have.
std::unique_ptr<gp::Gateway::Stub> new_stub(const std::string& target) {
  grpc::ChannelArguments arguments;
  arguments.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return gp::Gateway::NewStub(
      grpc::CreateCustomChannel(target, grpc::InsecureChannelCredentials(), arguments));
}

// The scheduled start travels with the instance as a variable, so the worker can measure the
// whole path without a shared table (and without racing the create's acknowledgement).
std::int64_t to_ticks(Clock::time_point time) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(time.time_since_epoch()).count();
}

Clock::time_point from_ticks(std::int64_t ticks) {
  return Clock::time_point(
      std::chrono::duration_cast<Clock::duration>(std::chrono::nanoseconds(ticks)));
}

double per_second(std::int64_t count, std::chrono::duration<double> span) {
  return span.count() > 0 ? static_cast<double>(count) / span.count() : 0.0;
}

}  // namespace

// "a,b,c" -> {"a", "b", "c"} (parse_options refused empty entries).
static std::vector<std::string> split_addresses(const std::string& list) {
  std::vector<std::string> out;
  std::size_t from = 0;
  while (from <= list.size()) {
    const auto comma = std::min(list.find(',', from), list.size());
    if (comma > from) out.push_back(list.substr(from, comma - from));
    from = comma + 1;
  }
  return out;
}

LoadRun::LoadRun(LoadOptions options) : options_(std::move(options)) {
  // Several gateways (every broker's embedded one, say) are used as a load-balancing Service
  // would: creations round-robin, each worker on one of them in turn.
  const auto gateways = split_addresses(options_.gateway);
  for (const auto& gateway : gateways)
    starter_stubs_.push_back(new_stub(gateway));
  for (int i = 0; i < options_.workers; ++i) {
    worker_stubs_.push_back(new_stub(gateways[static_cast<std::size_t>(i) % gateways.size()]));
    workers_.push_back(std::make_unique<Worker>());
  }
}

Result<void, std::string> LoadRun::deploy() {
  gp::DeployResourceRequest request;
  auto* resource = request.add_resources();
  resource->set_name(options_.process_id + ".bpmn");
  resource->set_content(one_task_process(options_.process_id, options_.job_type));
  const auto give_up = Clock::now() + 60s;
  grpc::Status status;
  while (Clock::now() < give_up) {
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    gp::DeployResourceResponse response;
    status = starter_stubs_.front()->DeployResource(&context, request, &response);
    if (status.ok()) return {};
    // Not a synchronisation stand-in: a client backing off while brokers elect leaders.
    if (status.error_code() == grpc::StatusCode::INVALID_ARGUMENT) break;
    std::this_thread::sleep_for(250ms);
  }
  return unexpected("deploying " + options_.process_id + " to " + options_.gateway + " failed: "
                    + std::to_string(status.error_code()) + " " + status.error_message());
}

void LoadRun::start_instance(Clock::time_point scheduled) {
  struct Call {
    grpc::ClientContext context;
    gp::CreateProcessInstanceRequest request;
    gp::CreateProcessInstanceResponse response;
  };
  auto call = std::make_unique<Call>();
  call->context.set_deadline(std::chrono::system_clock::now() + 30s);
  call->request.set_bpmnprocessid(options_.process_id);
  call->request.set_version(-1);
  call->request.set_variables("{\"t\":" + std::to_string(to_ticks(scheduled)) + "}");
  in_flight_.fetch_add(1);
  auto* raw = call.release();
  auto& starter = *starter_stubs_[next_starter_.fetch_add(1) % starter_stubs_.size()];
  starter.async()->CreateProcessInstance(
      &raw->context, &raw->request, &raw->response, [this, raw, scheduled](grpc::Status status) {
        std::unique_ptr<Call> owned(raw);
        if (status.ok()) {
          created_.fetch_add(1);
          create_ack_.record(Clock::now() - scheduled, scheduled >= measure_from_);
          return;
        }
        in_flight_.fetch_sub(1);
        if (status.error_code() == grpc::StatusCode::RESOURCE_EXHAUSTED) {
          create_rejected_.fetch_add(1);
        } else {
          create_failed_.fetch_add(1);
          std::lock_guard lock(last_error_mutex_);
          last_error_ =
              "create: " + std::to_string(status.error_code()) + " " + status.error_message();
        }
      });
}

void LoadRun::starter_loop() {
  const double interval_ns = 1e9 / options_.rate;
  std::int64_t index = 0;
  while (true) {
    const auto next = start_
                      + std::chrono::nanoseconds(
                          static_cast<std::int64_t>(static_cast<double>(index) * interval_ns));
    if (next >= measure_until_) break;
    if (next > Clock::now()) {
      std::this_thread::sleep_until(next);  // pacing the open-loop schedule
      continue;
    }
    scheduled_.fetch_add(1);
    if (in_flight_.load() >= options_.max_in_flight) {
      skipped_.fetch_add(1);
    } else {
      start_instance(next);
    }
    ++index;
  }
  starter_done_.store(true);
}

void LoadRun::finish_instance(Worker& worker) {
  in_flight_.fetch_sub(1);
  std::lock_guard lock(worker.mutex);
  --worker.outstanding;
  worker.changed.notify_all();
}

void LoadRun::complete_job(int index, std::int64_t job_key, Clock::time_point scheduled) {
  struct Call {
    grpc::ClientContext context;
    gp::CompleteJobRequest request;
    gp::CompleteJobResponse response;
  };
  auto call = std::make_unique<Call>();
  call->context.set_deadline(std::chrono::system_clock::now() + 30s);
  call->request.set_jobkey(job_key);
  auto* raw = call.release();
  auto& worker = *workers_[static_cast<std::size_t>(index)];
  const auto sent = Clock::now();
  worker_stubs_[static_cast<std::size_t>(index)]->async()->CompleteJob(
      &raw->context, &raw->request, &raw->response,
      [this, raw, scheduled, sent, &worker](grpc::Status status) {
        std::unique_ptr<Call> owned(raw);
        const auto now = Clock::now();
        if (status.ok()) {
          completed_.fetch_add(1);
          if (now >= measure_from_ && now < measure_until_) completed_measured_.fetch_add(1);
          end_to_end_.record(now - scheduled, scheduled >= measure_from_);
          complete_ack_.record(now - sent, scheduled >= measure_from_);
        } else {
          complete_failed_.fetch_add(1);
          std::lock_guard lock(last_error_mutex_);
          last_error_ =
              "complete: " + std::to_string(status.error_code()) + " " + status.error_message();
        }
        finish_instance(worker);
      });
}

void LoadRun::worker_loop(int index) {
  auto& worker = *workers_[static_cast<std::size_t>(index)];
  auto& stub = *worker_stubs_[static_cast<std::size_t>(index)];
  gp::ActivateJobsRequest request;
  request.set_type(options_.job_type);
  request.set_worker("tern-load-" + std::to_string(index));
  request.set_timeout(60'000);
  request.set_requesttimeout(1'000);  // long polling, short enough to notice the end of the run
  request.add_fetchvariable("t");
  while (!stop_workers_.load()) {
    {
      // Full batches (an activation is a round trip through the log, so small ones would cap
      // the rate), with at most two batches of completions outstanding per worker.
      std::unique_lock lock(worker.mutex);
      if (!worker.changed.wait_for(lock, 100ms,
                                   [&] { return worker.outstanding <= options_.batch; }))
        continue;
    }
    request.set_maxjobstoactivate(options_.batch);
    grpc::ClientContext context;
    context.set_deadline(std::chrono::system_clock::now() + 10s);
    auto reader = stub.ActivateJobs(&context, request);
    gp::ActivateJobsResponse response;
    while (reader->Read(&response)) {
      for (const auto& job : response.jobs()) {
        auto variables = nlohmann::json::parse(job.variables(), nullptr, false);
        std::int64_t ticks = 0;
        if (variables.is_object() && variables.contains("t") && variables["t"].is_number_integer())
          ticks = variables["t"].get<std::int64_t>();
        {
          std::lock_guard lock(worker.mutex);
          ++worker.outstanding;
        }
        const auto received = Clock::now();
        const auto scheduled = ticks > 0 ? from_ticks(ticks) : received;
        job_received_.record(received - scheduled, scheduled >= measure_from_);
        complete_job(index, job.key(), scheduled);
      }
    }
    grpc::Status status = reader->Finish();
    if (!status.ok() && !stop_workers_.load()) {
      activate_failed_.fetch_add(1);
      {
        std::lock_guard lock(last_error_mutex_);
        last_error_ =
            "activate: " + std::to_string(status.error_code()) + " " + status.error_message();
      }
      std::this_thread::sleep_for(100ms);  // a client's back-off before asking again
    }
  }
  // Let the last completions answer before the stubs go away.
  std::unique_lock lock(worker.mutex);
  worker.changed.wait_for(lock, 30s, [&] { return worker.outstanding == 0; });
}

void LoadRun::report(std::chrono::duration<double> elapsed,
                     std::chrono::duration<double> interval) {
  const auto created = created_.load();
  const auto completed = completed_.load();
  const auto skipped = skipped_.load();
  const auto rejected = create_rejected_.load();
  const auto latency = end_to_end_.take_interval();
  const auto ack = create_ack_.take_interval();
  // The stages are in the summary only; their interval samples are dropped here.
  (void)job_received_.take_interval();
  (void)complete_ack_.take_interval();
  std::printf(
      "t=%5.1fs created/s=%7.1f completed/s=%7.1f in-flight=%5lld skipped=%lld rejected=%lld "
      "| e2e ms p50=%.2f p99=%.2f p999=%.2f max=%.2f | create-ack ms p50=%.2f p99=%.2f\n",
      elapsed.count(), per_second(created - reported_created_, interval),
      per_second(completed - reported_completed_, interval),
      static_cast<long long>(in_flight_.load()),
      static_cast<long long>(skipped - reported_skipped_),
      static_cast<long long>(rejected - reported_rejected_), latency.p50_ms, latency.p99_ms,
      latency.p999_ms, latency.max_ms, ack.p50_ms, ack.p99_ms);
  std::fflush(stdout);
  reported_created_ = created;
  reported_completed_ = completed;
  reported_skipped_ = skipped;
  reported_rejected_ = rejected;
}

void LoadRun::summary(std::chrono::duration<double> measured) {
  const auto latency = end_to_end_.total();
  const auto ack = create_ack_.total();
  std::printf(
      "summary: target=%.0f/s measured=%.0fs completed/s=%.1f | scheduled=%lld skipped=%lld "
      "created=%lld rejected=%lld create-failed=%lld completed=%lld complete-failed=%lld "
      "activate-failed=%lld unfinished=%lld\n",
      options_.rate, measured.count(), per_second(completed_measured_.load(), measured),
      static_cast<long long>(scheduled_.load()), static_cast<long long>(skipped_.load()),
      static_cast<long long>(created_.load()), static_cast<long long>(create_rejected_.load()),
      static_cast<long long>(create_failed_.load()), static_cast<long long>(completed_.load()),
      static_cast<long long>(complete_failed_.load()),
      static_cast<long long>(activate_failed_.load()), static_cast<long long>(in_flight_.load()));
  std::printf(
      "summary: e2e ms (scheduled start -> job completion acknowledged, %zu samples) p50=%.2f "
      "p99=%.2f p999=%.2f max=%.2f | create-ack ms p50=%.2f p99=%.2f p999=%.2f\n",
      latency.count, latency.p50_ms, latency.p99_ms, latency.p999_ms, latency.max_ms, ack.p50_ms,
      ack.p99_ms, ack.p999_ms);
  // The instance's stages as a client sees them: the create's answer, its job reaching a worker
  // (the job's creation committed, a wake-up, an activation through the log), the completion's
  // round trip.
  const auto received = job_received_.total();
  const auto complete = complete_ack_.total();
  std::printf(
      "summary: stages ms p50/p99/p999 | create-ack %.2f/%.2f/%.2f | job received %.2f/%.2f/%.2f "
      "| complete round trip %.2f/%.2f/%.2f\n",
      ack.p50_ms, ack.p99_ms, ack.p999_ms, received.p50_ms, received.p99_ms, received.p999_ms,
      complete.p50_ms, complete.p99_ms, complete.p999_ms);
  std::lock_guard lock(last_error_mutex_);
  if (!last_error_.empty()) std::printf("summary: last error: %s\n", last_error_.c_str());
  std::fflush(stdout);
}

int LoadRun::run() {
  start_ = Clock::now();
  measure_from_ = start_ + std::chrono::seconds(options_.warmup_s);
  measure_until_ = start_ + std::chrono::seconds(options_.duration_s);
  std::vector<std::thread> threads;
  for (int i = 0; i < options_.workers; ++i)
    threads.emplace_back([this, i] { worker_loop(i); });
  std::thread starter([this] { starter_loop(); });

  const auto drain_until = measure_until_ + std::chrono::seconds(options_.drain_s);
  auto last_report = start_;
  while (true) {
    const auto next_report = last_report + std::chrono::seconds(options_.report_s);
    std::this_thread::sleep_until(next_report);  // the reporting period itself
    const auto now = Clock::now();
    report(now - start_, now - last_report);
    last_report = now;
    if (starter_done_.load() && (in_flight_.load() == 0 || now >= drain_until)) break;
  }
  starter.join();
  stop_workers_.store(true);
  for (auto& thread : threads)
    thread.join();
  summary(measure_until_ - measure_from_);
  return in_flight_.load() == 0 ? 0 : 3;
}

}  // namespace tern::load
