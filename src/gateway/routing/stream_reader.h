#pragma once

// StreamReader: reads one server-streaming call on gRPC's callback API while the thread that
// started it waits on a condition variable of its own until the stream ends.
//
// Why not the synchronous ClientReader: a thread blocked in ClientReader::Read waits inside gRPC's
// poller (gRPC 1.51, epoll1: one epoll set for the whole process), so every such thread becomes
// one more poller that picks up other calls' network events and then has to hand them to the
// thread that runs their callbacks. A standalone gateway holds six of these streams open (topology
// and job wake-ups, one each per broker): they did half of its thread switches and a third of its
// CPU at 500 instances/s (docs/benchmarks.md, "The embedded path's thread hand-offs"). Reading
// through a reactor keeps the streams' reads on gRPC's callback threads, which poll anyway, and
// leaves the subscription threads asleep between re-subscriptions.
//
// Use: construct with the message handler, start the call with the reactor
// (`stub->async()->SubscribeX(&context, &request, &reader)`), then run(), which starts reading
// and returns the call's final status once gRPC is done with the reactor. `on_message` runs on a
// gRPC callback thread, one message at a time; it must not block. It may cancel the call through
// its ClientContext (the stream then ends with CANCELLED). One call per reader.

#include <grpcpp/grpcpp.h>

#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <utility>

namespace tern::gateway::routing {

template <typename Message>
class StreamReader final : public grpc::ClientReadReactor<Message> {
 public:
  using OnMessage = std::function<void(Message& message)>;

  explicit StreamReader(OnMessage on_message)
      : on_message_(std::move(on_message)), end_(std::make_shared<End>()) {}

  // Starts reading and the call; blocks until the call is over (its OnDone ran).
  grpc::Status run() {
    this->StartRead(&message_);
    this->StartCall();
    std::unique_lock lock(end_->mutex);
    end_->done.wait(lock, [this] { return end_->finished; });
    return end_->status;
  }

  // Whether any message arrived; read after run() returned.
  bool received() const { return received_; }

  void OnReadDone(bool ok) override {
    if (!ok) return;  // the stream ended; OnDone follows
    received_ = true;
    on_message_(message_);
    this->StartRead(&message_);
  }

  void OnDone(const grpc::Status& status) override {
    // run() may destroy this reactor as soon as it sees `finished`: only the shared state is
    // touched from here on.
    const std::shared_ptr<End> end = end_;
    std::lock_guard lock(end->mutex);
    end->status = status;
    end->finished = true;
    end->done.notify_all();
  }

 private:
  struct End {
    std::mutex mutex;
    std::condition_variable done;
    bool finished = false;  // guarded by mutex
    grpc::Status status;    // guarded by mutex
  };

  OnMessage on_message_;
  Message message_;        // the read in progress; touched only by gRPC's reads and OnReadDone
  bool received_ = false;  // written by OnReadDone, read after run() returned (ordered by End)
  std::shared_ptr<End> end_;
};

}  // namespace tern::gateway::routing
