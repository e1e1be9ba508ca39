#pragma once

// UnaryCall: the server side of one unary RPC on gRPC's callback API, answered later, from
// whichever thread settles it (a router completion on a gRPC callback thread or a partition
// strand), so that no gRPC thread waits for the broker's round trip.
//
// Lifecycle: start() makes it and returns the reactor for the handler to hand to gRPC; it keeps
// itself alive until gRPC's OnDone, and every completion that may still answer it holds a
// shared_ptr, so an answer arriving after the call ended (the client cancelled, the server shut
// down) finds a live object that ignores it. The first of answer() and the client's
// cancellation finishes the call; gRPC's `response` is written only by that first answer,
// before Finish, while gRPC guarantees it is alive.

#include <grpcpp/grpcpp.h>

#include <memory>
#include <mutex>
#include <utility>

namespace tern::gateway {

template <typename Response>
class UnaryCall final : public grpc::ServerUnaryReactor {
 public:
  static std::shared_ptr<UnaryCall> start(Response* response) {
    std::shared_ptr<UnaryCall> call(new UnaryCall(response));
    call->self_ = call;
    return call;
  }

  // Finishes the call with `status`; on OK, `fill(*response)` first. Ignored after the first.
  template <typename Fill>
  void answer(grpc::Status status, Fill&& fill) {
    {
      std::lock_guard lock(mutex_);
      if (answered_) return;
      answered_ = true;
      if (status.ok()) std::forward<Fill>(fill)(*response_);
    }
    Finish(std::move(status));
  }
  void answer(grpc::Status status) {
    answer(std::move(status), [](Response&) {});
  }

  void OnCancel() override {
    {
      std::lock_guard lock(mutex_);
      if (answered_) return;
      answered_ = true;
    }
    Finish(grpc::Status(grpc::StatusCode::CANCELLED, "the call was cancelled"));
  }
  // May destroy this object (when no completion holds it any more); nothing may follow.
  void OnDone() override { self_.reset(); }

  // gRPC 1.51 runs the OnDone (and OnCancel) of a reactor that is not inlineable on its default
  // executor: one more thread woken per call, after the answer left (about 2,000 wake-ups a
  // second at 1,500 instances/s, docs/benchmarks.md). Both reactions here are trivial and never
  // block (a short lock and Finish; dropping a reference), so they may run on the gRPC thread
  // that completed the call. gRPC marks the hook "internal" (its own DefaultReactor uses it): if
  // a later gRPC drops it, `override` fails the build rather than silently changing behaviour.
  bool InternalInlineable() override { return true; }

 private:
  explicit UnaryCall(Response* response) : response_(response) {}

  std::mutex mutex_;
  bool answered_ = false;  // guarded by mutex_
  Response* response_;     // gRPC's; valid until OnDone
  std::shared_ptr<UnaryCall> self_;
};

}  // namespace tern::gateway
