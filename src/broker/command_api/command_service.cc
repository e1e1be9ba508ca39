#include "broker/command_api/command_service.h"

#include <spdlog/spdlog.h>

#include <deque>
#include <utility>
#include <vector>

#include "broker/command_api/command_translator.h"

namespace tern::broker::command_api {

namespace tc = tern::command;

// One gateway's subscription: a bounded queue of wake-ups written one at a time (gRPC allows one
// outstanding write per stream). Lives until gRPC calls OnDone.
class JobAvailabilityStream final : public grpc::ServerWriteReactor<tc::JobAvailability> {
 public:
  explicit JobAvailabilityStream(CommandService* service) : service_(service) {}

  void notify(PartitionId partition, const std::string& type) {
    std::lock_guard lock(mutex_);
    if (finished_ || pending_.size() >= CommandService::kMaxPendingWakeups) return;
    tc::JobAvailability wakeup;
    wakeup.set_partition_id(partition.value());
    wakeup.set_job_type(type);
    pending_.push_back(std::move(wakeup));
    if (!writing_) write_next_locked();
  }

  void end() {
    std::lock_guard lock(mutex_);
    finish_locked();
  }

  void OnWriteDone(bool ok) override {
    std::lock_guard lock(mutex_);
    writing_ = false;
    if (!ok) {
      finish_locked();
      return;
    }
    pending_.pop_front();
    if (!pending_.empty() && !finished_) write_next_locked();
  }

  void OnCancel() override { end(); }

  void OnDone() override {
    service_->remove_stream(this);
    delete this;
  }

 private:
  void write_next_locked() {
    writing_ = true;
    StartWrite(&pending_.front());
  }
  void finish_locked() {
    if (finished_) return;
    finished_ = true;
    Finish(grpc::Status::OK);
  }

  CommandService* service_;
  std::mutex mutex_;
  std::deque<tc::JobAvailability> pending_;  // front is being written while writing_
  bool writing_ = false;
  bool finished_ = false;
};

namespace {

void fail(tc::BrokerResponse& response, tc::ResponseStatus status, std::string message,
          std::int32_t leader_hint = -1) {
  response.set_status(status);
  response.set_message(std::move(message));
  response.set_leader_hint(leader_hint);
}

tc::ResponseStatus status_of(SubmitErrorCode code) {
  switch (code) {
    case SubmitErrorCode::kNotLeader:
      return tc::NOT_LEADER;
    case SubmitErrorCode::kBackPressure:
      return tc::RESOURCE_EXHAUSTED;
    case SubmitErrorCode::kTimeout:
      return tc::TIMEOUT;
    case SubmitErrorCode::kInvalid:
      return tc::INVALID;
    case SubmitErrorCode::kUnavailable:
    case SubmitErrorCode::kShuttingDown:
      break;
  }
  return tc::UNAVAILABLE;
}

}  // namespace

CommandService::CommandService(std::shared_ptr<PartitionService> partitions)
    : partitions_(std::move(partitions)) {
  partitions_->set_job_available_callback(
      [this](PartitionId partition, std::string type) { on_jobs_available(partition, type); });
}

CommandService::~CommandService() {
  partitions_->set_job_available_callback({});
  shutdown();
}

grpc::ServerUnaryReactor* CommandService::Execute(grpc::CallbackServerContext* context,
                                                  const tc::BrokerRequest* request,
                                                  tc::BrokerResponse* response) {
  grpc::ServerUnaryReactor* reactor = context->DefaultReactor();
  execute(*request, response, [reactor] { reactor->Finish(grpc::Status::OK); });
  return reactor;
}

void CommandService::execute(const tc::BrokerRequest& request, tc::BrokerResponse* response,
                             std::function<void()> done) {
  const std::int32_t partition = request.partition_id();
  if (partition < 1 || partition > partitions_->partition_count()) {
    fail(*response, tc::INVALID,
         "Expected a partition id between 1 and " + std::to_string(partitions_->partition_count())
             + ", but got " + std::to_string(partition));
    done();
    return;
  }
  auto translated = to_command(request, PartitionId(partition));
  if (!translated) {
    fail(
        *response,
        translated.error().code == TranslateErrorCode::kUnsupported ? tc::UNSUPPORTED : tc::INVALID,
        translated.error().message);
    done();
    return;
  }
  partitions_->submit(PartitionId(partition), std::move(translated->command),
                      translated->backpressure,
                      [request = &request, response,
                       done = std::move(done)](Result<engine::Response, SubmitError> result) {
                        if (result) {
                          to_response(*request, *result, *response);
                        } else {
                          const SubmitError& error = result.error();
                          fail(*response, status_of(error.code), error.message,
                               error.leader_hint ? error.leader_hint->value() : -1);
                        }
                        done();
                      });
}

grpc::ServerWriteReactor<tc::JobAvailability>* CommandService::SubscribeJobAvailability(
    grpc::CallbackServerContext*, const tc::JobAvailabilitySubscription*) {
  auto* stream = new JobAvailabilityStream(this);
  bool refused = false;
  {
    std::lock_guard lock(mutex_);
    if (stopped_) {
      refused = true;
    } else {
      streams_.insert(stream);
    }
  }
  if (refused) {
    // Registered so that OnDone's removal finds nothing amiss; finishing ends it at once.
    stream->end();
  } else {
    spdlog::debug("command API: a gateway subscribed to job availability");
  }
  return stream;
}

void CommandService::remove_stream(JobAvailabilityStream* stream) {
  std::lock_guard lock(mutex_);
  streams_.erase(stream);
}

std::size_t CommandService::job_subscribers() const {
  std::lock_guard lock(mutex_);
  return streams_.size();
}

std::size_t CommandService::jobs_listeners() const {
  std::lock_guard lock(mutex_);
  return listeners_.size();
}

void CommandService::shutdown() {
  std::lock_guard lock(mutex_);
  stopped_ = true;
  for (auto* stream : streams_)
    stream->end();
}

std::uint64_t CommandService::add_jobs_listener(JobsListener listener) {
  std::lock_guard lock(mutex_);
  const std::uint64_t id = next_listener_++;
  listeners_.emplace(id, std::make_shared<const JobsListener>(std::move(listener)));
  return id;
}

void CommandService::remove_jobs_listener(std::uint64_t id) {
  std::shared_ptr<const JobsListener> removed;  // released outside the lock
  std::lock_guard lock(mutex_);
  auto it = listeners_.find(id);
  if (it == listeners_.end()) return;
  removed = std::move(it->second);
  listeners_.erase(it);
}

void CommandService::on_jobs_available(PartitionId partition, const std::string& type) {
  std::vector<std::shared_ptr<const JobsListener>> listeners;
  {
    std::lock_guard lock(mutex_);
    for (auto* stream : streams_)
      stream->notify(partition, type);
    listeners.reserve(listeners_.size());
    for (const auto& [id, listener] : listeners_)
      listeners.push_back(listener);
  }
  // Outside the lock: an in-process gateway's listener starts its waiting polls from here.
  for (const auto& listener : listeners)
    (*listener)(partition, type);
}

}  // namespace tern::broker::command_api
