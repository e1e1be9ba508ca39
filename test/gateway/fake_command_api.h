#pragma once

// A fake broker command port for topology tests: answers GetTopology with a settable
// TopologyInfo and pushes it on every SubscribeTopology stream when it is set, and once a second
// unchanged (a heartbeat), as a broker does.

#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <string>

#include "command_api.grpc.pb.h"

namespace tern::gateway::testing {

class FakeCommandApi final : public tern::command::CommandApi::Service {
 public:
  // Port 0 lets the kernel choose.
  explicit FakeCommandApi(int port = 0) {
    grpc::ServerBuilder builder;
    builder.AddListeningPort("127.0.0.1:" + std::to_string(port), grpc::InsecureServerCredentials(),
                             &port_);
    builder.RegisterService(this);
    server_ = builder.BuildAndStart();
  }
  ~FakeCommandApi() override { stop(); }

  // Ends the streams and stops serving, as a broker that shuts down.
  void stop() {
    {
      std::lock_guard lock(mutex_);
      if (stopped_) return;
      stopped_ = true;
    }
    changed_.notify_all();
    server_->Shutdown(std::chrono::system_clock::now());
  }

  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }
  int port() const { return port_; }

  void set(tern::command::TopologyInfo info) {
    {
      std::lock_guard lock(mutex_);
      info_ = std::move(info);
      ++generation_;
    }
    changed_.notify_all();
  }

  int subscriptions() const {
    std::lock_guard lock(mutex_);
    return subscriptions_;
  }

  grpc::Status SubscribeTopology(grpc::ServerContext* context,
                                 const tern::command::GetTopologyRequest*,
                                 grpc::ServerWriter<tern::command::TopologyInfo>* writer) override {
    std::unique_lock lock(mutex_);
    ++subscriptions_;
    std::uint64_t sent = generation_;
    tern::command::TopologyInfo info = info_;
    while (true) {
      lock.unlock();
      if (!writer->Write(info)) return grpc::Status::OK;
      lock.lock();
      // Changes wake this at once; the bounded wait re-checks for a cancelled call, and after a
      // second the unchanged topology goes out again as the broker's heartbeat does.
      const auto heartbeat = std::chrono::steady_clock::now() + std::chrono::seconds(1);
      while (generation_ == sent && !stopped_ && !context->IsCancelled()
             && std::chrono::steady_clock::now() < heartbeat)
        changed_.wait_for(lock, std::chrono::milliseconds(50));
      if (stopped_ || context->IsCancelled()) return grpc::Status::OK;
      sent = generation_;
      info = info_;
    }
  }

  grpc::Status GetTopology(grpc::ServerContext*, const tern::command::GetTopologyRequest*,
                           tern::command::TopologyInfo* response) override {
    std::lock_guard lock(mutex_);
    *response = info_;
    return grpc::Status::OK;
  }

 private:
  int port_ = 0;
  std::unique_ptr<grpc::Server> server_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  tern::command::TopologyInfo info_;
  std::uint64_t generation_ = 0;
  int subscriptions_ = 0;
  bool stopped_ = false;
};

}  // namespace tern::gateway::testing
