#pragma once

// TimerQueue: one thread that runs callbacks at their due time, for the router's retry back-offs
// and round deadlines. A request waiting for its next attempt is an entry in a map, not a thread
// asleep, so a gateway's thread count does not grow with the requests it has in flight.
//
// Threads: schedule()/cancel()/shutdown() from any thread; callbacks run on the queue's own
// thread, one at a time, without the queue's lock held (a callback may schedule or cancel).
// shutdown() runs every pending callback at once with `Fired::kCancelled` (so that whoever waits
// on them ends now rather than at their due time), refuses later entries the same way (run on
// the caller's thread before schedule() returns) and joins the thread, unless called from it.
// The thread's state is shared with it, so the queue may be destroyed from one of its callbacks.

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace tern::gateway::routing {

class TimerQueue {
 public:
  using Clock = std::chrono::system_clock;
  enum class Fired { kDue, kCancelled };
  using Callback = std::function<void(Fired)>;
  using TimerId = std::uint64_t;

  TimerQueue();
  ~TimerQueue();
  TimerQueue(const TimerQueue&) = delete;
  TimerQueue& operator=(const TimerQueue&) = delete;

  // Runs `callback` at `due` (at once if it has passed). The id is for cancel().
  TimerId schedule(Clock::time_point due, Callback callback);
  // Drops the entry without running it; false when it already ran, is running or is unknown.
  bool cancel(TimerId id);
  // Idempotent; see the class comment.
  void shutdown();

 private:
  struct State;
  static void run(const std::shared_ptr<State>& state);

  std::shared_ptr<State> state_;
  std::thread thread_;
};

}  // namespace tern::gateway::routing
