#include "engine/processing/stream_processor.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <exception>

#include "common/check.h"
#include "engine/processors/processors.h"

namespace tern::engine {

StreamProcessor::StreamProcessor(PartitionId partition, LogStream& log, StateDb& db,
                                 const EngineClock& clock, StreamProcessorOptions options)
    : partition_(partition),
      log_(log),
      db_(db),
      clock_(clock),
      options_(options),
      applier_(models_),
      processors_(make_processors()) {
  EngineState state(db_.transaction(), partition_);
  // Resume after what state already covers: the older of the two positions, so that both
  // unapplied events and unprocessed commands after it are seen.
  next_read_ = std::min(state.last_processed_position(), state.last_applied_position()).next();
  last_written_ = state.last_applied_position();
}

StreamProcessor::~StreamProcessor() = default;

void StreamProcessor::become_leader() {
  role_ = Role::kLeader;
  pending_due_jobs_.clear();
  // As a follower this processor read past commands without processing them. Those the previous
  // leader never processed (written just before it lost leadership: a client's command, or a
  // follow-up of its own) are this leader's to process, so reading starts again after the last
  // processed command; what is already processed or applied is skipped on the way.
  EngineState state(db_.transaction(), partition_);
  next_read_ = std::min(
      next_read_, std::min(state.last_processed_position(), state.last_applied_position()).next());
  spdlog::info("partition {}: stream processor is leader, last processed {}, last applied {}",
               partition_.value(), last_processed_position().value(),
               last_applied_position().value());
}

void StreamProcessor::become_follower() {
  role_ = Role::kFollower;
  pending_responses_.clear();
  pending_wakeups_.clear();
  pending_remote_.clear();
  pending_due_jobs_.clear();
  applier_.take_activatable_types();
  spdlog::info("partition {}: stream processor is follower", partition_.value());
}

Position StreamProcessor::last_processed_position() const {
  return EngineState(const_cast<StateDb&>(db_).transaction(), partition_).last_processed_position();
}

Position StreamProcessor::last_applied_position() const {
  return EngineState(const_cast<StateDb&>(db_).transaction(), partition_).last_applied_position();
}

Position StreamProcessor::last_effect_position() const {
  return std::max(last_written_, next_read_.prev());
}

bool StreamProcessor::has_uncommitted_effects() const {
  return last_effect_position() > log_.committed_position();
}

std::size_t StreamProcessor::poll() {
  // Only the values this poll will use are decoded: commands not yet processed (on the leader)
  // and events not yet applied. The positions state holds only grow while the poll runs, so a
  // record skipped here is skipped by handle() too.
  ValueSelection values;
  {
    EngineState state(db_.transaction(), partition_);
    values.commands_after =
        role_ == Role::kLeader ? state.last_processed_position() : ValueSelection::kNone;
    values.others_after = state.last_applied_position();
  }
  // A leader acts on what it appended itself before that commits; a follower on committed
  // records only (log_stream.h, ReadScope).
  const ReadScope scope =
      role_ == Role::kLeader ? ReadScope::kCommittedAndOwn : ReadScope::kCommitted;
  auto records = log_.read(next_read_, options_.max_records_per_poll, values, scope);
  std::size_t handled = 0;
  for (const auto& logged : records) {
    const Record& record = logged.record;
    next_read_ = record.position.next();
    handle(logged);
    // Between records state is whole (positions included): write it back if the window is full.
    commit_state();
    // A command whose follow-ups could not be appended stays unprocessed: read it again later.
    if (next_read_ <= record.position) break;
    ++handled;
  }
  // State is written to RocksDB only when the window of pending writes is full (StateDb), with
  // the positions that cover exactly what it holds, so a crash before it only replays more of
  // the log.
  commit_state();
  if (role_ == Role::kLeader) on_committed();
  return handled;
}

bool StreamProcessor::run() {
  for (std::size_t polls = 0; polls < options_.max_polls_per_run; ++polls) {
    if (poll() == 0) return false;
  }
  return true;
}

std::size_t StreamProcessor::run_until_idle() {
  std::size_t total = 0;
  while (std::size_t handled = poll())
    total += handled;
  return total;
}

void StreamProcessor::handle(const LoggedRecord& logged) {
  const Record& record = logged.record;
  EngineState state(db_.transaction(), partition_);
  if (record.is_command()) {
    state.observe_key(record.key);
    if (record.position <= state.last_processed_position()) return;
    if (role_ == Role::kLeader) {
      TERN_CHECK(logged.has_value, "a command to process was read with its value");
      process_command(record);
    }
    return;
  }
  if (record.position <= state.last_applied_position()) return;
  TERN_CHECK(logged.has_value, "an event to apply was read with its value");
  applier_.apply(record, state);
  state.set_last_applied_position(record.position);
  if (record.source_position > state.last_processed_position()) {
    state.set_last_processed_position(record.source_position);
  }
  if (role_ == Role::kFollower) applier_.take_activatable_types();
}

void StreamProcessor::process_command(const Record& command) {
  EngineState state(db_.transaction(), partition_);
  std::int64_t now_ms = clock_.now_ms();
  std::vector<Record> records;
  std::vector<Response> responses;
  std::vector<Record> remote;
  // The state of earlier commands of this poll is still pending: a failure below undoes only
  // this command's writes.
  db_.transaction().set_savepoint();
  {
    ResultBuilder out(command, state, applier_, now_ms);
    ProcessingContext context{command, state, out, models_, options_.partition_count};
    try {
      dispatch(context);
      records = std::move(out.records());
      responses = std::move(out.responses());
      remote = std::move(out.remote_commands());
    } catch (const std::exception& error) {
      // A processor met input it did not expect (e.g. a value of the wrong JSON type). Its
      // partial effects are dropped and the command is rejected with the cause.
      spdlog::warn("partition {}: processing {} at {} failed: {}", partition_.value(),
                   describe(command), command.position.value(), error.what());
      db_.transaction().rollback_to_savepoint();
      applier_.take_activatable_types();
      ResultBuilder retry(command, state, applier_, now_ms);
      retry.reject(RejectionType::kProcessingError,
                   std::string("Expected to process the command, but it failed: ") + error.what());
      records = std::move(retry.records());
      responses = std::move(retry.responses());
    }
  }
  TERN_CHECK(!records.empty(), "every processed command writes at least one record");
  auto first = log_.append(records);
  if (!first && first.error().code == LogErrorCode::kInvalid) {
    spdlog::critical("partition {}: the follow-ups of {} do not encode: {}", partition_.value(),
                     describe(command), first.error().message);
    TERN_CHECK(false, "the engine writes records the log accepts");
  }
  if (!first) {
    // Not leader any more, or back-pressure: the command stays unprocessed for whoever leads.
    spdlog::warn("partition {}: cannot append follow-ups of {}: {}", partition_.value(),
                 describe(command), first.error().message);
    db_.transaction().rollback_to_savepoint();
    db_.transaction().release_savepoint();
    applier_.take_activatable_types();
    next_read_ = command.position;
    return;
  }
  Position last = records.back().position;
  state.set_last_processed_position(command.position);
  state.set_last_applied_position(last);
  last_written_ = last;
  db_.transaction().release_savepoint();
  for (auto& response : responses)
    pending_responses_.emplace_back(last, std::move(response));
  for (auto& remote_command : remote)
    pending_remote_.emplace_back(last, std::move(remote_command));
  auto types = applier_.take_activatable_types();
  if (!types.empty()) pending_wakeups_.emplace_back(last, std::move(types));
  for (const auto& record : records) {
    if (record.value_type == ValueType::kJob
        && (record.intent == Intent::kTimedOut || record.intent == Intent::kRecurredAfterBackoff)) {
      pending_due_jobs_.erase(record.key);
    }
  }
  if ((command.value_type == ValueType::kJob
       && (command.intent == Intent::kTimeOut || command.intent == Intent::kRecurAfterBackoff))
      || (command.value_type == ValueType::kTimer && command.intent == Intent::kTrigger)
      || (command.value_type == ValueType::kMessage && command.intent == Intent::kExpire)) {
    pending_due_jobs_.erase(command.key);
  }
}

void StreamProcessor::dispatch(ProcessingContext& context) {
  auto it = processors_.find({context.command.value_type, context.command.intent});
  if (it == processors_.end()) {
    context.out.reject(
        RejectionType::kInvalidArgument,
        "Expected a command the engine processes, but got " + describe(context.command));
    return;
  }
  it->second->process(context);
}

void StreamProcessor::commit_state() {
  auto result = db_.commit_when_full();
  if (!result) {
    spdlog::critical("partition {}: {}", partition_.value(), result.error().message);
    TERN_CHECK(false, "state commit failed; the replica cannot continue");
  }
}

void StreamProcessor::on_committed() {
  Position committed = log_.committed_position();
  while (!pending_responses_.empty() && pending_responses_.front().first <= committed) {
    if (responses_sink_) responses_sink_->on_response(pending_responses_.front().second);
    pending_responses_.pop_front();
  }
  while (!pending_remote_.empty() && pending_remote_.front().first <= committed) {
    // Best effort: a lost command is sent again by the SubscriptionCommandSender.
    if (transport_) transport_->send(pending_remote_.front().second);
    pending_remote_.pop_front();
  }
  while (!pending_wakeups_.empty() && pending_wakeups_.front().first <= committed) {
    if (job_listener_) {
      for (const auto& type : pending_wakeups_.front().second)
        job_listener_->on_jobs_available(type);
    }
    pending_wakeups_.pop_front();
  }
}

std::size_t StreamProcessor::check_due_dates() {
  if (role_ != Role::kLeader) return 0;
  EngineState state(db_.transaction(), partition_);
  std::int64_t now_ms = clock_.now_ms();
  std::vector<Record> commands;
  auto add = [&](Key key, Intent intent) {
    if (!pending_due_jobs_.insert(key).second) return;
    auto job = state.job(key);
    if (!job) return;
    Record command;
    command.key = key;
    command.timestamp_ms = now_ms;
    command.record_type = RecordType::kCommand;
    command.value_type = ValueType::kJob;
    command.intent = intent;
    command.partition_id = partition_;
    command.value = job->value.to_json();
    commands.push_back(std::move(command));
  };
  for (Key key : state.jobs_past_deadline(now_ms, options_.max_due_jobs_per_check)) {
    add(key, Intent::kTimeOut);
  }
  for (Key key : state.jobs_past_backoff(now_ms, options_.max_due_jobs_per_check)) {
    add(key, Intent::kRecurAfterBackoff);
  }
  // Timers and message time-to-live share the job bound and the pending set (keys are unique).
  for (auto& command :
       due_timer_commands(state, now_ms, options_.max_due_jobs_per_check, pending_due_jobs_)) {
    commands.push_back(std::move(command));
  }
  for (auto& command : expired_message_commands(state, now_ms, options_.max_due_jobs_per_check,
                                                pending_due_jobs_)) {
    commands.push_back(std::move(command));
  }
  if (commands.empty()) return 0;
  auto appended = log_.append(commands);
  if (!appended) {
    for (const auto& command : commands)
      pending_due_jobs_.erase(command.key);
    spdlog::warn("partition {}: cannot append due-date commands: {}", partition_.value(),
                 appended.error().message);
    return 0;
  }
  return commands.size();
}

}  // namespace tern::engine
