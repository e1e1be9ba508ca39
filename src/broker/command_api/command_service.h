#pragma once

// CommandService: the broker side of command routing (gRPC service tern.command.BrokerCommands,
// served on the command port next to CommandApi). It translates a gateway's typed request into an
// engine command record (command_translator.h), submits it through the PartitionService, and
// answers with the engine's response or a status saying why not (NOT_LEADER with a leader hint,
// RESOURCE_EXHAUSTED, UNAVAILABLE, TIMEOUT, INVALID, UNSUPPORTED). It also streams job
// wake-ups to subscribed gateways so that long-polling ActivateJobs requests re-poll at once.
//
// Wiring (ternd): construct it with the broker's PartitionService and register it on the
// command port's grpc::ServerBuilder (builder.RegisterService(&service)) before BuildAndStart;
// call shutdown() before the server shuts down, destroy it after.
//
// In-process listeners (add_jobs_listener) get the same wake-ups as the streams, by a function
// call: the gateway embedded in this broker sends its commands in process and so never opens a
// stream to its own broker.
//
// Threads: gRPC's callback threads call Execute/SubscribeJobAvailability; PartitionService
// callbacks (partition strands) finish the calls and run the listeners. Never blocks either.
// Thread-safe.

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>

#include "broker/partition/partition_service.h"
#include "command_api.grpc.pb.h"

namespace tern::broker::command_api {

class JobAvailabilityStream;

class CommandService final : public tern::command::BrokerCommands::CallbackService {
 public:
  // Subscriber queues hold at most this many pending wake-ups; more are dropped (a gateway that
  // falls behind re-polls on its own time-out anyway).
  static constexpr std::size_t kMaxPendingWakeups = 1024;

  explicit CommandService(std::shared_ptr<PartitionService> partitions);
  ~CommandService() override;
  CommandService(const CommandService&) = delete;
  CommandService& operator=(const CommandService&) = delete;

  grpc::ServerUnaryReactor* Execute(grpc::CallbackServerContext* context,
                                    const tern::command::BrokerRequest* request,
                                    tern::command::BrokerResponse* response) override;

  // What Execute does, for a caller in this process (the embedded gateway): fills `response`,
  // then calls `done` exactly once, on a partition's strand or, for a request refused at once, on
  // the calling thread before returning. `request` and `response` must outlive `done`.
  void execute(const tern::command::BrokerRequest& request, tern::command::BrokerResponse* response,
               std::function<void()> done);

  grpc::ServerWriteReactor<tern::command::JobAvailability>* SubscribeJobAvailability(
      grpc::CallbackServerContext* context,
      const tern::command::JobAvailabilitySubscription* request) override;

  using JobsListener = std::function<void(PartitionId partition, const std::string& type)>;
  // Calls `listener` on every wake-up a stream would carry, on the partition's strand, without
  // this service's lock held (so a listener may add or remove listeners). After
  // remove_jobs_listener() returns, a call already under way may still finish: a listener owns
  // (or holds weakly) what it touches. Ids are never reused.
  std::uint64_t add_jobs_listener(JobsListener listener);
  void remove_jobs_listener(std::uint64_t id);

  // The gateways' job-availability streams (gRPC) open now.
  std::size_t job_subscribers() const;
  // The in-process listeners registered now (command streams' subscriptions, an embedded
  // gateway's watch).
  std::size_t jobs_listeners() const;

  // Ends every job-availability stream; later subscriptions are refused. Idempotent.
  void shutdown();

  // Called by a stream when it is done (gRPC has released it).
  void remove_stream(JobAvailabilityStream* stream);

 private:
  void on_jobs_available(PartitionId partition, const std::string& type);

  std::shared_ptr<PartitionService> partitions_;
  mutable std::mutex mutex_;
  std::set<JobAvailabilityStream*> streams_;  // guarded by mutex_
  bool stopped_ = false;                      // guarded by mutex_
  // In-process listeners by id; shared so that a wake-up calls them outside the lock.
  std::map<std::uint64_t, std::shared_ptr<const JobsListener>> listeners_;  // guarded by mutex_
  std::uint64_t next_listener_ = 1;                                         // guarded by mutex_
};

}  // namespace tern::broker::command_api
