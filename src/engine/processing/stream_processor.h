#pragma once

// The partition's stream processor. On every replica it reads committed records in order; events
// not yet applied are replayed through the appliers. On the leader it also processes each command
// not yet processed: it runs the command's processor, appends the follow-ups as one batch, and
// commits the state changes in one RocksDB transaction. The leader reads its own appended records
// before they commit (ReadScope::kCommittedAndOwn), so a command is processed as soon as it is
// appended and its follow-ups travel right behind it; responses, job wake-ups and commands for
// other partitions are held until the batch that caused them is committed, so nothing of a
// command that may still be lost escapes. A leader that loses leadership while its state holds
// anything beyond the committed log (has_uncommitted_effects) is rebuilt from committed records.
//
// Exactly once: the state records the last processed command position and the last applied
// event position, in the same transaction as the changes they cover. Every processed command
// writes at least one record (an event or a rejection), so a replica learns from the source
// positions of replayed events which commands were processed.
//
// Thread: the partition's strand. Lifecycle: constructed as a follower; become_leader() /
// become_follower() switch roles between calls to poll().

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <set>
#include <vector>

#include "engine/appliers/event_applier.h"
#include "engine/log/log_stream.h"
#include "engine/processing/clock.h"
#include "engine/processing/command_processor.h"
#include "engine/processing/model_cache.h"
#include "engine/processing/sinks.h"
#include "engine/processing/subscription_transport.h"
#include "engine/state/state_db.h"

namespace tern::engine {

enum class Role { kFollower, kLeader };

struct StreamProcessorOptions {
  std::size_t max_records_per_poll = 1024;   // bounds one poll() call
  std::size_t max_due_jobs_per_check = 256;  // bounds one check_due_dates() call
  // Bounds one run(): a leader processing its own follow-up commands before they commit is not
  // held back by the log, so a process that loops without a wait state would otherwise keep
  // the partition's strand forever.
  std::size_t max_polls_per_run = 64;
  std::int32_t partition_count = 1;  // of the cluster (message partition choice)
};

class StreamProcessor {
 public:
  StreamProcessor(PartitionId partition, LogStream& log, StateDb& db, const EngineClock& clock,
                  StreamProcessorOptions options = {});
  ~StreamProcessor();

  void set_response_sink(ResponseSink* sink) { responses_sink_ = sink; }
  void set_job_listener(JobAvailabilityListener* listener) { job_listener_ = listener; }
  void set_subscription_transport(SubscriptionTransport* transport) { transport_ = transport; }

  void become_leader();
  void become_follower();
  Role role() const { return role_; }

  // Handles readable records not yet seen (committed ones; on the leader also its own appended
  // ones), up to the poll bound; returns how many it got past (a command whose follow-ups could
  // not be appended is not counted: it is read again by a later poll).
  std::size_t poll();
  // Polls until no readable record is left or `max_polls_per_run` polls ran; true when it
  // stopped at the bound with records possibly left (the caller runs it again later).
  bool run();
  // Polls until no readable record is left (tests, catch-up).
  std::size_t run_until_idle();
  // Releases responses and wake-ups whose batches are now committed. Call after the log commits.
  void on_committed();

  // Leader only: writes JOB TIME_OUT / RECUR_AFTER_BACKOFF commands for jobs whose deadline or
  // back-off has passed on the clock. Returns the number of commands written.
  std::size_t check_due_dates();

  // True when this processor's state reflects records beyond the committed log: events of
  // batches it wrote, or commands (and its own events) it read as leader before they committed.
  // A new leader may truncate them; the host must then rebuild state from a snapshot and the log.
  bool has_uncommitted_effects() const;
  // The last position the state reflects: what this leader wrote or read, whichever is later.
  // A checkpoint of the state is a valid snapshot once the log has committed up to here.
  Position last_effect_position() const;
  // The last position read (records up to here need not be read again, unless a new leader
  // reads again from its last processed command: become_leader()).
  Position last_read_position() const { return next_read_.prev(); }

  Position last_processed_position() const;
  Position last_applied_position() const;
  ModelCache& models() { return models_; }

 private:
  void handle(const LoggedRecord& logged);
  void process_command(const Record& command);
  void dispatch(ProcessingContext& context);
  void commit_state();

  PartitionId partition_;
  LogStream& log_;
  StateDb& db_;
  const EngineClock& clock_;
  StreamProcessorOptions options_;
  ModelCache models_;
  EventApplier applier_;
  std::map<std::pair<ValueType, Intent>, std::unique_ptr<CommandProcessor>> processors_;

  Role role_ = Role::kFollower;
  Position next_read_{1};
  Position last_written_{0};
  // Responses and wake-ups waiting for their batch (by its last position) to commit.
  std::deque<std::pair<Position, Response>> pending_responses_;
  std::deque<std::pair<Position, std::set<std::string>>> pending_wakeups_;
  // Jobs with a TIME_OUT / RECUR command written but not processed yet, so that the checker does
  // not write them twice.
  std::set<Key> pending_due_jobs_;
  // Commands for other partitions, waiting for their batch to commit.
  std::deque<std::pair<Position, Record>> pending_remote_;
  SubscriptionTransport* transport_ = nullptr;
  ResponseSink* responses_sink_ = nullptr;
  JobAvailabilityListener* job_listener_ = nullptr;
};

}  // namespace tern::engine
