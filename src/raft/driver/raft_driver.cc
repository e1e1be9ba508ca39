#include "raft/driver/raft_driver.h"

namespace tern::raft {

journal::JournalResult<std::unique_ptr<RaftDriver>> RaftDriver::open(
    RaftOptions options, const std::filesystem::path& dir, journal::JournalOptions journal_options,
    std::optional<Configuration> initial, StateMachine& state_machine, Send send) {
  auto opened = journal::Journal::open(dir, journal_options);
  if (!opened.ok()) return unexpected(opened.error());
  std::unique_ptr<journal::Journal> journal = std::move(*opened);
  bool fresh = journal->snapshot_meta().index == LogIndex(0) && journal->last_index() == LogIndex(0)
               && journal->snapshot_meta().configuration == Configuration{};
  if (fresh && initial) {
    if (auto r = journal->bootstrap(*initial); !r.ok()) return unexpected(r.error());
  }
  std::unique_ptr<RaftDriver> driver(
      new RaftDriver(std::move(journal), state_machine, std::move(send)));
  auto snapshot = driver->journal_->snapshot();
  if (snapshot.ok() && snapshot->meta.index > LogIndex(0)) state_machine.restore(*snapshot);
  driver->node_ = std::make_unique<RaftNode>(std::move(options), *driver->journal_);
  return driver;
}

journal::JournalResult<int> RaftDriver::process() {
  int handled = 0;
  while (node_->has_ready()) {
    Ready ready = node_->ready();
    for (Message& message : ready.messages)
      send_(std::move(message));
    if (ready.snapshot) {
      if (ready.hard_state) journal_->set_hard_state(*ready.hard_state);
      if (auto r = journal_->install_snapshot(*ready.snapshot); !r.ok())
        return unexpected(r.error());
      state_machine_.restore(*ready.snapshot);
    }
    if (auto r = journal_->append(ready.entries); !r.ok()) return unexpected(r.error());
    if (ready.hard_state) journal_->set_hard_state(*ready.hard_state);
    if (auto r = journal_->flush(); !r.ok()) return unexpected(r.error());
    for (Message& message : ready.messages_after_persist)
      send_(std::move(message));
    for (const Entry& entry : ready.committed_entries)
      state_machine_.apply(entry);
    node_->advance();
    ++handled;
  }
  return handled;
}

journal::JournalResult<void> RaftDriver::take_snapshot(std::string data) {
  LogIndex applied = node_->log().applied();
  return journal_->create_snapshot(applied, node_->configuration_at(applied), std::move(data));
}

}  // namespace tern::raft
