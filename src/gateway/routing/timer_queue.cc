#include "gateway/routing/timer_queue.h"

#include <utility>
#include <vector>

namespace tern::gateway::routing {

struct TimerQueue::State {
  std::mutex mutex;
  std::condition_variable changed;
  // Pending entries in due order (the id breaks ties); due_of finds an entry by id for cancel().
  std::map<std::pair<Clock::time_point, TimerId>, Callback> entries;  // guarded by mutex
  std::map<TimerId, Clock::time_point> due_of;                        // guarded by mutex
  TimerId next_id = 1;                                                // guarded by mutex
  bool stopped = false;                                               // guarded by mutex
};

TimerQueue::TimerQueue() : state_(std::make_shared<State>()) {
  thread_ = std::thread([state = state_] { run(state); });
}

TimerQueue::~TimerQueue() {
  shutdown();
}

TimerQueue::TimerId TimerQueue::schedule(Clock::time_point due, Callback callback) {
  {
    std::lock_guard lock(state_->mutex);
    if (!state_->stopped) {
      const TimerId id = state_->next_id++;
      const bool earliest =
          state_->entries.empty() || std::pair(due, id) < state_->entries.begin()->first;
      state_->entries.emplace(std::pair(due, id), std::move(callback));
      state_->due_of.emplace(id, due);
      if (earliest) state_->changed.notify_one();
      return id;
    }
  }
  callback(Fired::kCancelled);
  return 0;
}

bool TimerQueue::cancel(TimerId id) {
  Callback dropped;  // destroyed outside the lock: it may own what it would have resumed
  std::lock_guard lock(state_->mutex);
  auto it = state_->due_of.find(id);
  if (it == state_->due_of.end()) return false;
  auto entry = state_->entries.find(std::pair(it->second, id));
  dropped = std::move(entry->second);
  state_->entries.erase(entry);
  state_->due_of.erase(it);
  return true;
}

void TimerQueue::shutdown() {
  {
    std::lock_guard lock(state_->mutex);
    if (state_->stopped) return;
    state_->stopped = true;
  }
  state_->changed.notify_one();
  if (!thread_.joinable()) return;
  if (thread_.get_id() == std::this_thread::get_id()) {
    thread_.detach();  // the thread owns its state and ends after this callback
  } else {
    thread_.join();
  }
}

void TimerQueue::run(const std::shared_ptr<State>& state) {
  std::unique_lock lock(state->mutex);
  while (true) {
    if (state->stopped) break;
    if (state->entries.empty()) {
      state->changed.wait(lock);
      continue;
    }
    const auto due = state->entries.begin()->first.first;
    if (Clock::now() < due) {
      state->changed.wait_until(lock, due);
      continue;
    }
    auto node = state->entries.extract(state->entries.begin());
    state->due_of.erase(node.key().second);
    lock.unlock();
    node.mapped()(Fired::kDue);
    node = {};
    lock.lock();
  }
  // Stopped: whoever waits on a pending entry hears now that it will not come.
  auto pending = std::move(state->entries);
  state->entries.clear();
  state->due_of.clear();
  lock.unlock();
  for (auto& [key, callback] : pending)
    callback(Fired::kCancelled);
}

}  // namespace tern::gateway::routing
