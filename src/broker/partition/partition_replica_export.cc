// PartitionReplica: exporting (the strand's side of partition_exporting.h). The director exists
// while the replica serves as leader; positions it persists are EXPORTER commands on this log.

#include <spdlog/spdlog.h>

#include <future>

#include "broker/partition/partition_replica.h"

namespace tern::broker {

using engine::Position;
using raft::LogIndex;

bool PartitionReplica::with_exporting(std::function<void(PartitionExporting*)> fn) {
  // Shared with the strand: after a time-out (a stopped strand) the handler may still run later.
  auto done = std::make_shared<std::promise<void>>();
  auto finished = done->get_future();
  asio::post(strand_, [this, fn = std::move(fn), done] {
    bool live = !stopped_ && !failed_;
    fn(live ? exporting_.get() : nullptr);
    if (live) process();  // a resumed or enabled exporter starts at once
    done->set_value();
  });
  return finished.wait_for(std::chrono::seconds(10)) == std::future_status::ready;
}

std::optional<exporter::DirectorSnapshot> PartitionReplica::exporting_snapshot() const {
  if (!exporting_) return std::nullopt;
  return exporting_->snapshot();
}

void PartitionReplica::start_exporting() {
  if (!exporting_) return;
  exporting_->start_leading(
      *journal_, log_stream_,
      [this](const std::string& name) -> std::optional<Position> {
        return engine_ ? engine_->exporter_position(name) : std::nullopt;
      },
      [this](engine::Record command) {
        if (!serving_ || stopped_ || failed_) return;  // a follower's store is the next leader's
        command.timestamp_ms = clock_.now_ms();
        std::vector<engine::Record> batch{std::move(command)};
        if (auto appended = log_stream_.append(batch); !appended) {
          spdlog::warn("partition {}: cannot record an exporter position: {}", id().value(),
                       appended.error().message);
        }
      });
}

void PartitionReplica::run_exporting() {
  if (!exporting_ || !serving_) return;
  exporting_->run();
}

std::optional<LogIndex> PartitionReplica::exporter_compaction_limit() const {
  if (!exporting_ || !engine_) return std::nullopt;
  std::optional<Position> bound = exporting_->compaction_bound(
      exporting_->leading() ? std::map<std::string, Position>{} : engine_->exporter_positions());
  if (!bound) return std::nullopt;
  // The reader resumes at the entry holding the acknowledged position (it may hold later
  // records), so that entry stays; index 0 is the bootstrap entry.
  LogIndex holding = index_of_position(*bound);
  if (holding <= LogIndex(1)) return LogIndex(0);
  return holding.prev();
}

}  // namespace tern::broker
