#include "broker/partition/journal_flusher.h"

#include <algorithm>
#include <string>

#include "broker/thread_name.h"

namespace tern::broker {

JournalWriterPool::JournalWriterPool(int threads) {
  for (int i = 0; i < std::max(1, threads); ++i)
    workers_.push_back(std::make_unique<Worker>());
  for (std::size_t i = 0; i < workers_.size(); ++i) {
    Worker* w = workers_[i].get();
    w->thread = std::thread([w, i] {
      set_thread_name("tern-sync-" + std::to_string(i));
      run(*w);
    });
  }
}

JournalWriterPool::~JournalWriterPool() {
  stop();
}

void JournalWriterPool::submit(PartitionId partition, std::function<void()> job) {
  auto slot = static_cast<std::size_t>(partition.value()) % workers_.size();
  Worker& worker = *workers_[slot];
  {
    std::lock_guard lock(worker.mutex);
    if (!worker.stopping) {
      worker.queue.push_back(std::move(job));
      worker.wake.notify_one();
      return;
    }
  }
  job();  // stopped: nobody else would run it, and its replica waits for the answer
}

void JournalWriterPool::run(Worker& worker) {
  std::unique_lock lock(worker.mutex);
  for (;;) {
    worker.wake.wait(lock, [&] { return worker.stopping || !worker.queue.empty(); });
    if (worker.queue.empty()) return;  // stopping, and everything queued ran
    auto job = std::move(worker.queue.front());
    worker.queue.pop_front();
    lock.unlock();
    job();
    lock.lock();
    ++worker.run;
  }
}

void JournalWriterPool::stop() {
  for (auto& worker : workers_) {
    std::lock_guard lock(worker->mutex);
    worker->stopping = true;
    worker->wake.notify_one();
  }
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
}

std::uint64_t JournalWriterPool::jobs_run() const {
  std::uint64_t total = 0;
  for (const auto& worker : workers_) {
    std::lock_guard lock(worker->mutex);
    total += worker->run;
  }
  return total;
}

}  // namespace tern::broker
