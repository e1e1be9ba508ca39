#include "engine/state/engine_state.h"

#include "common/check.h"
#include "engine/records/binary_io.h"
#include "engine/records/keys.h"

namespace tern::engine {

namespace {

// The keys read or written for every record, pinned in the transaction (Transaction::view_pinned).
enum Pin : std::size_t { kPinLastProcessed, kPinLastApplied, kPinKeyGenerator };

const std::string& last_processed_key() {
  static const std::string key = DbKey(StateKind::kMeta).str("last_processed").bytes();
  return key;
}
const std::string& last_applied_key() {
  static const std::string key = DbKey(StateKind::kMeta).str("last_applied").bytes();
  return key;
}
const std::string& key_generator_key() {
  static const std::string key = DbKey(StateKind::kKeyGenerator).bytes();
  return key;
}

std::string encode_i64(std::int64_t value) {
  std::string out(8, '\0');
  for (int i = 0; i < 8; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((value >> (8 * i)) & 0xff);
  return out;
}

std::int64_t decode_i64(std::string_view bytes) {
  std::uint64_t value = 0;
  for (int i = 7; i >= 0; --i) {
    value = (value << 8) | static_cast<std::uint8_t>(bytes[static_cast<std::size_t>(i)]);
  }
  return static_cast<std::int64_t>(value);
}

// A stored job: a version byte, the job state, then the JobValue encoding (whose first fields are
// the ones the job indexes are built from).
constexpr std::uint8_t kJobEncoding = 1;

std::string encode_job(const JobEntry& job) {
  std::string bytes;
  bytes.reserve(128);
  bytes.push_back(static_cast<char>(kJobEncoding));
  bytes.push_back(static_cast<char>(job.state));
  job.value.encode(bytes);
  return bytes;
}

JobValue::Index index_of(const JobValue& value) {
  JobValue::Index index;
  // Fields the value lacks index as their defaults, exactly as decode_index reads them back.
  if ((value.present & JobValue::kType) != 0) index.type = value.type;
  if ((value.present & JobValue::kDeadline) != 0) index.deadline = value.deadline;
  if ((value.present & JobValue::kRetries) != 0) index.retries = value.retries;
  if ((value.present & JobValue::kRecurringTime) != 0) index.recurring_time = value.recurring_time;
  return index;
}

// The state and index fields of a stored job, without decoding the rest of it.
std::pair<JobState, JobValue::Index> decode_job_index(std::string_view bytes) {
  std::optional<JobValue::Index> index;
  bool ok =
      bytes.size() >= 2 && static_cast<std::uint8_t>(bytes[0]) == kJobEncoding
      && static_cast<std::uint8_t>(bytes[1]) <= static_cast<std::uint8_t>(JobState::kErrorThrown);
  if (ok) index = JobValue::decode_index(bytes.substr(2));
  TERN_CHECK(index.has_value(), "a stored job's index fields decode");
  return {static_cast<JobState>(bytes[1]), *index};
}

}  // namespace

std::string_view to_string(JobState state) {
  switch (state) {
    case JobState::kActivatable:
      return "ACTIVATABLE";
    case JobState::kActivated:
      return "ACTIVATED";
    case JobState::kFailed:
      return "FAILED";
    case JobState::kErrorThrown:
      return "ERROR_THROWN";
  }
  return "UNKNOWN";
}

std::optional<Json> EngineState::get_doc(std::string_view key) const {
  auto bytes = txn_.view(key);
  if (!bytes) return std::nullopt;
  return Json::from_msgpack(*bytes);
}

void EngineState::put_doc(std::string_view key, const Json& doc) {
  auto packed = Json::to_msgpack(doc);
  txn_.put(key, std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()));
}

Position EngineState::last_processed_position() const {
  auto bytes = txn_.view_pinned(kPinLastProcessed, last_processed_key());
  return Position(bytes ? decode_i64(*bytes) : 0);
}
void EngineState::set_last_processed_position(Position position) {
  txn_.put_pinned(kPinLastProcessed, last_processed_key(), encode_i64(position.value()));
}
Position EngineState::last_applied_position() const {
  auto bytes = txn_.view_pinned(kPinLastApplied, last_applied_key());
  return Position(bytes ? decode_i64(*bytes) : 0);
}
void EngineState::set_last_applied_position(Position position) {
  txn_.put_pinned(kPinLastApplied, last_applied_key(), encode_i64(position.value()));
}

std::int64_t EngineState::key_counter() const {
  auto bytes = txn_.view_pinned(kPinKeyGenerator, key_generator_key());
  return bytes ? decode_i64(*bytes) : 0;
}

void EngineState::observe_key(Key key) {
  if (key.value() <= 0 || partition_of(key) != partition_) return;
  auto counter = counter_of(key);
  if (counter > key_counter())
    txn_.put_pinned(kPinKeyGenerator, key_generator_key(), encode_i64(counter));
}

bool EngineState::is_new_key(Key key) const {
  if (key.value() <= 0 || partition_of(key) != partition_) return false;
  auto committed = txn_.committed_view_pinned(kPinKeyGenerator, key_generator_key());
  return counter_of(key) > (committed ? decode_i64(*committed) : 0);
}

// --- processes

std::optional<ProcessDefinition> EngineState::process(Key key) const {
  auto doc = get_doc(DbKey(StateKind::kProcess).i64(key.value()));
  if (!doc) return std::nullopt;
  ProcessDefinition out;
  out.key = key;
  out.bpmn_process_id = (*doc)["bpmnProcessId"].get<std::string>();
  out.version = (*doc)["version"].get<std::int32_t>();
  out.resource_name = (*doc)["resourceName"].get<std::string>();
  out.checksum = (*doc)["checksum"].get<std::string>();
  out.resource = (*doc)["resource"].get<std::string>();
  return out;
}

std::optional<Key> EngineState::latest_process(std::string_view bpmn_process_id) const {
  auto bytes = txn_.get(DbKey(StateKind::kProcessLatest).str(bpmn_process_id));
  if (!bytes) return std::nullopt;
  return Key(decode_i64(*bytes));
}

std::optional<Key> EngineState::process_by_version(std::string_view bpmn_process_id,
                                                   std::int32_t version) const {
  auto bytes = txn_.get(DbKey(StateKind::kProcessVersion).str(bpmn_process_id).i64(version));
  if (!bytes) return std::nullopt;
  return Key(decode_i64(*bytes));
}

void EngineState::put_process(const ProcessDefinition& process) {
  put_doc(DbKey(StateKind::kProcess).i64(process.key.value()),
          Json{{"bpmnProcessId", process.bpmn_process_id},
               {"version", process.version},
               {"resourceName", process.resource_name},
               {"checksum", process.checksum},
               {"resource", process.resource}});
  txn_.put(DbKey(StateKind::kProcessVersion).str(process.bpmn_process_id).i64(process.version),
           encode_i64(process.key.value()));
  auto latest = latest_process(process.bpmn_process_id);
  std::int32_t latest_version = 0;
  if (latest) {
    if (auto current = this->process(*latest)) latest_version = current->version;
  }
  if (process.version >= latest_version) {
    txn_.put(DbKey(StateKind::kProcessLatest).str(process.bpmn_process_id),
             encode_i64(process.key.value()));
  }
}

// --- element instances

// The element instance's encoding: a version byte, the state, the counters and the job key as
// (zig-zag) varints, the interrupted flag, then the value's own encoding
// (ProcessInstanceValue::encode).
namespace {

constexpr std::uint8_t kElementInstanceEncoding = 1;

}  // namespace

std::optional<ElementInstance> EngineState::element_instance(Key key) const {
  auto bytes = txn_.view(DbKey(StateKind::kElementInstance).i64(key.value()));
  if (!bytes) return std::nullopt;
  binary::Reader reader(*bytes);
  ElementInstance out;
  out.key = key;
  std::uint8_t version = 0;
  std::uint8_t state = 0;
  std::uint8_t interrupted = 0;
  std::int64_t job_key = 0;
  bool ok = reader.byte(version) && version == kElementInstanceEncoding && reader.byte(state)
            && reader.signed_as(out.child_count) && reader.signed_as(out.active_flows)
            && reader.signed_varint(job_key) && reader.byte(interrupted)
            && reader.signed_as(out.loop_counter) && reader.signed_as(out.completed_inner)
            && reader.signed_as(out.terminated_inner);
  std::optional<ProcessInstanceValue> value;
  if (ok) value = ProcessInstanceValue::decode(reader.rest());
  TERN_CHECK(value.has_value(), "a stored element instance decodes");
  out.state = static_cast<Intent>(state);
  out.job_key = Key(job_key);
  out.interrupted = interrupted != 0;
  out.value = std::move(*value);
  return out;
}

namespace {

std::string encode_element_instance(const ElementInstance& instance) {
  std::string bytes;
  bytes.reserve(128);
  bytes.push_back(static_cast<char>(kElementInstanceEncoding));
  bytes.push_back(static_cast<char>(instance.state));
  binary::put_signed(bytes, instance.child_count);
  binary::put_signed(bytes, instance.active_flows);
  binary::put_signed(bytes, instance.job_key.value());
  bytes.push_back(instance.interrupted ? '\1' : '\0');
  binary::put_signed(bytes, instance.loop_counter);
  binary::put_signed(bytes, instance.completed_inner);
  binary::put_signed(bytes, instance.terminated_inner);
  instance.value.encode(bytes);
  return bytes;
}

}  // namespace

void EngineState::create_element_instance(const ElementInstance& instance) {
  DbKey key = DbKey(StateKind::kElementInstance).i64(instance.key.value());
  auto scope = instance.flow_scope_key();
  std::optional<DbKey> child;
  if (scope.value() > 0)
    child = DbKey(StateKind::kElementChild).i64(scope.value()).i64(instance.key.value());
  // A new key's entries are known to be absent from committed state, so an element that ends
  // before the next commit (a start or end event, a gateway) leaves no tombstone behind.
  if (is_new_key(instance.key)) {
    txn_.put_absent(key, encode_element_instance(instance));
    if (child) txn_.put_absent(*child, "");
  } else {
    txn_.put(key, encode_element_instance(instance));
    if (child) txn_.put(*child, "");
  }
}

void EngineState::put_element_instance(const ElementInstance& instance) {
  txn_.put(DbKey(StateKind::kElementInstance).i64(instance.key.value()),
           encode_element_instance(instance));
}

void EngineState::remove_element_instance(const ElementInstance& instance) {
  auto scope = instance.flow_scope_key();
  if (scope.value() > 0) {
    txn_.erase(DbKey(StateKind::kElementChild).i64(scope.value()).i64(instance.key.value()));
  }
  txn_.erase(DbKey(StateKind::kElementInstance).i64(instance.key.value()));
}

void EngineState::link_called_instance(Key call_activity_key, Key process_instance_key) {
  txn_.put(DbKey(StateKind::kElementChild)
               .i64(call_activity_key.value())
               .i64(process_instance_key.value()),
           "");
}

void EngineState::unlink_called_instance(Key call_activity_key, Key process_instance_key) {
  txn_.erase(DbKey(StateKind::kElementChild)
                 .i64(call_activity_key.value())
                 .i64(process_instance_key.value()));
}

std::vector<Key> EngineState::children(Key scope_key) const {
  std::vector<Key> out;
  DbKey prefix = DbKey(StateKind::kElementChild).i64(scope_key.value());
  txn_.scan(prefix, [&](std::string_view key, std::string_view) {
    out.emplace_back(read_key_i64(key, 9));
    return true;
  });
  return out;
}

std::int32_t EngineState::join_count(Key scope_key, std::string_view gateway_id,
                                     std::string_view flow_id) const {
  auto bytes =
      txn_.get(DbKey(StateKind::kJoinFlows).i64(scope_key.value()).str(gateway_id).str(flow_id));
  return bytes ? static_cast<std::int32_t>(decode_i64(*bytes)) : 0;
}

void EngineState::set_join_count(Key scope_key, std::string_view gateway_id,
                                 std::string_view flow_id, std::int32_t count) {
  DbKey key = DbKey(StateKind::kJoinFlows).i64(scope_key.value()).str(gateway_id).str(flow_id);
  if (count <= 0) {
    txn_.erase(key);
  } else {
    txn_.put(key, encode_i64(count));
  }
}

void EngineState::clear_join_counts(Key scope_key) {
  std::vector<std::string> keys;
  txn_.scan(DbKey(StateKind::kJoinFlows).i64(scope_key.value()),
            [&](std::string_view key, std::string_view) {
              keys.emplace_back(key);
              return true;
            });
  for (const auto& key : keys)
    txn_.erase(key);
}

std::vector<EngineState::FlowTokens> EngineState::join_tokens(Key scope_key) const {
  std::vector<FlowTokens> out;
  DbKey prefix = DbKey(StateKind::kJoinFlows).i64(scope_key.value());
  txn_.scan(prefix, [&](std::string_view key, std::string_view value) {
    auto rest = key.substr(prefix.size());
    auto end_target = rest.find('\0');
    auto end_flow = rest.find('\0', end_target + 1);
    out.push_back(FlowTokens{std::string(rest.substr(0, end_target)),
                             std::string(rest.substr(end_target + 1, end_flow - end_target - 1)),
                             static_cast<std::int32_t>(decode_i64(value))});
    return true;
  });
  return out;
}

// --- variables

// A scope created since the last write to RocksDB has no variables there (every entry keyed by a
// key is written after the key is generated, and RocksDB's key counter covers every key its
// entries name): its variables are read from the pending writes alone, with no RocksDB lookup
// or seek (the process instance and most element instances are such scopes).
void EngineState::scan_scope(
    const DbKey& prefix, Key scope_key,
    const std::function<bool(std::string_view, std::string_view)>& visit) const {
  if (is_new_key(scope_key)) {
    txn_.scan_pending(prefix, visit);
  } else {
    txn_.scan(prefix, visit);
  }
}

std::optional<VariableEntry> EngineState::variable(Key scope_key, std::string_view name) const {
  DbKey key = DbKey(StateKind::kVariable).i64(scope_key.value()).str(name);
  auto bytes = is_new_key(scope_key) ? txn_.view_new(key) : txn_.view(key);
  if (!bytes) return std::nullopt;
  return VariableEntry{Key(decode_i64(bytes->substr(0, 8))), std::string(bytes->substr(8))};
}

std::vector<std::pair<std::string, VariableEntry>> EngineState::variables(Key scope_key) const {
  std::vector<std::pair<std::string, VariableEntry>> out;
  DbKey prefix = DbKey(StateKind::kVariable).i64(scope_key.value());
  scan_scope(prefix, scope_key, [&](std::string_view key, std::string_view value) {
    std::string name(key.substr(9, key.size() - 10));
    out.emplace_back(std::move(name), VariableEntry{Key(decode_i64(value.substr(0, 8))),
                                                    std::string(value.substr(8))});
    return true;
  });
  return out;
}

void EngineState::put_variable(Key scope_key, std::string_view name, const VariableEntry& entry) {
  txn_.put(DbKey(StateKind::kVariable).i64(scope_key.value()).str(name),
           encode_i64(entry.key.value()) + entry.json_text);
}

void EngineState::remove_variables(Key scope_key) {
  std::vector<std::string> keys;
  scan_scope(DbKey(StateKind::kVariable).i64(scope_key.value()), scope_key,
             [&](std::string_view key, std::string_view) {
               keys.emplace_back(key);
               return true;
             });
  for (const auto& key : keys)
    txn_.erase(key);
}

// --- jobs

std::optional<JobEntry> EngineState::job(Key key) const {
  auto bytes = txn_.view(DbKey(StateKind::kJob).i64(key.value()));
  if (!bytes) return std::nullopt;
  std::optional<JobValue> value;
  bool ok = bytes->size() >= 2 && static_cast<std::uint8_t>((*bytes)[0]) == kJobEncoding
            && static_cast<std::uint8_t>((*bytes)[1])
                   <= static_cast<std::uint8_t>(JobState::kErrorThrown);
  if (ok) value = JobValue::decode(bytes->substr(2));
  TERN_CHECK(value.has_value(), "a stored job decodes");
  return JobEntry{key, static_cast<JobState>((*bytes)[1]), std::move(*value)};
}

bool EngineState::has_job(Key key) const {
  return txn_.view(DbKey(StateKind::kJob).i64(key.value())).has_value();
}

void EngineState::index_job(Key key, JobState state, const JobValue::Index& index,
                            IndexChange change) {
  auto touch = [&](const DbKey& db_key) {
    switch (change) {
      case IndexChange::kAdd:
        txn_.put(db_key, "");
        break;
      case IndexChange::kAddNew:
        txn_.put_absent(db_key, "");
        break;
      case IndexChange::kRemove:
        txn_.erase(db_key);
        break;
    }
  };
  switch (state) {
    case JobState::kActivatable:
      touch(DbKey(StateKind::kActivatableJob).str(index.type).i64(key.value()));
      break;
    case JobState::kActivated:
      touch(DbKey(StateKind::kJobDeadline).i64(index.deadline).i64(key.value()));
      break;
    case JobState::kFailed:
      if (index.retries > 0 && index.recurring_time >= 0) {
        touch(DbKey(StateKind::kJobBackoff).i64(index.recurring_time).i64(key.value()));
      }
      break;
    case JobState::kErrorThrown:
      break;
  }
}

void EngineState::put_job(const JobEntry& job) {
  DbKey db_key = DbKey(StateKind::kJob).i64(job.key.value());
  auto index = index_of(job.value);
  // A job created since the last commit has nothing in committed state (no lookup of the job,
  // and its index entries leave no tombstone if it ends before the commit).
  bool new_key = is_new_key(job.key);
  if (new_key) txn_.note_absent(db_key);
  if (auto old = txn_.view(db_key)) {
    auto [old_state, old_index] = decode_job_index(*old);
    // Unchanged index entries are left alone (a job updated in place keeps its entry).
    if (old_state == job.state && old_index.type == index.type
        && old_index.deadline == index.deadline && old_index.retries == index.retries
        && old_index.recurring_time == index.recurring_time) {
      txn_.put(db_key, encode_job(job));
      return;
    }
    index_job(job.key, old_state, old_index, IndexChange::kRemove);
  }
  txn_.put(db_key, encode_job(job));
  index_job(job.key, job.state, index, new_key ? IndexChange::kAddNew : IndexChange::kAdd);
}

void EngineState::remove_job(Key key) {
  DbKey db_key = DbKey(StateKind::kJob).i64(key.value());
  if (auto old = txn_.view(db_key)) {
    auto [old_state, old_index] = decode_job_index(*old);
    index_job(key, old_state, old_index, IndexChange::kRemove);
  }
  txn_.erase(db_key);
}

std::vector<Key> EngineState::activatable_jobs(std::string_view type, std::size_t max) const {
  std::vector<Key> out;
  if (max == 0) return out;
  DbKey prefix = DbKey(StateKind::kActivatableJob).str(type);
  auto visit = [&](std::string_view key, std::string_view) {
    out.emplace_back(read_key_i64(key, prefix.size()));
    return out.size() < max;
  };
  // Jobs are activated oldest first, so the front of a type's index is the deletes of the jobs
  // activated before: the scan seeks past them from the index's floor. A type holding a zero byte
  // would make its prefix hold another type's, which floors cannot tell apart.
  if (type.find('\0') == std::string_view::npos) {
    txn_.scan_index(prefix, visit);
  } else {
    txn_.scan(prefix, visit);
  }
  return out;
}

namespace {

std::vector<Key> due(const Transaction& txn, StateKind kind, std::int64_t now_ms, std::size_t max) {
  std::vector<Key> out;
  // Due dates only grow, so the front of the index is the deletes of entries handled before:
  // the scan seeks past them from the index's floor (and reads nothing while it is empty).
  txn.scan_index(DbKey(kind), [&](std::string_view key, std::string_view) {
    if (read_key_i64(key, 1) > now_ms || out.size() >= max) return false;
    out.emplace_back(read_key_i64(key, 9));
    return true;
  });
  return out;
}

}  // namespace

std::vector<Key> EngineState::jobs_past_deadline(std::int64_t now_ms, std::size_t max) const {
  return due(txn_, StateKind::kJobDeadline, now_ms, max);
}

std::vector<Key> EngineState::jobs_past_backoff(std::int64_t now_ms, std::size_t max) const {
  return due(txn_, StateKind::kJobBackoff, now_ms, max);
}

// --- incidents

std::optional<Json> EngineState::incident(Key key) const {
  return get_doc(DbKey(StateKind::kIncident).i64(key.value()));
}

void EngineState::put_incident(Key key, const Json& value) {
  put_doc(DbKey(StateKind::kIncident).i64(key.value()), value);
  auto job_key = value.value("jobKey", std::int64_t{-1});
  if (job_key > 0) {
    txn_.put(DbKey(StateKind::kJobIncident).i64(job_key), encode_i64(key.value()));
  } else {
    txn_.put(
        DbKey(StateKind::kElementIncident).i64(value.value("elementInstanceKey", std::int64_t{-1})),
        encode_i64(key.value()));
  }
}

void EngineState::remove_incident(Key key) {
  auto value = incident(key);
  if (!value) return;
  auto job_key = value->value("jobKey", std::int64_t{-1});
  if (job_key > 0) {
    txn_.erase(DbKey(StateKind::kJobIncident).i64(job_key));
  } else {
    txn_.erase(DbKey(StateKind::kElementIncident)
                   .i64(value->value("elementInstanceKey", std::int64_t{-1})));
  }
  txn_.erase(DbKey(StateKind::kIncident).i64(key.value()));
}

std::optional<Key> EngineState::element_incident(Key element_instance_key) const {
  auto bytes = txn_.view(DbKey(StateKind::kElementIncident).i64(element_instance_key.value()));
  if (!bytes) return std::nullopt;
  return Key(decode_i64(*bytes));
}

std::optional<Key> EngineState::job_incident(Key job_key) const {
  auto bytes = txn_.view(DbKey(StateKind::kJobIncident).i64(job_key.value()));
  if (!bytes) return std::nullopt;
  return Key(decode_i64(*bytes));
}

// --- create-with-result

std::optional<AwaitedResult> EngineState::awaited_result(Key process_instance_key) const {
  auto doc = get_doc(DbKey(StateKind::kAwaitResult).i64(process_instance_key.value()));
  if (!doc) return std::nullopt;
  AwaitedResult out;
  out.request.stream_id = (*doc)["stream"].get<std::int32_t>();
  out.request.request_id = (*doc)["request"].get<std::int64_t>();
  out.fetch_variables = (*doc)["fetch"].get<std::vector<std::string>>();
  out.creation = (*doc)["creation"];
  return out;
}

void EngineState::put_awaited_result(Key process_instance_key, const AwaitedResult& awaited) {
  put_doc(DbKey(StateKind::kAwaitResult).i64(process_instance_key.value()),
          Json{{"stream", awaited.request.stream_id},
               {"request", awaited.request.request_id},
               {"fetch", awaited.fetch_variables},
               {"creation", awaited.creation}});
}

void EngineState::remove_awaited_result(Key process_instance_key) {
  txn_.erase(DbKey(StateKind::kAwaitResult).i64(process_instance_key.value()));
}

}  // namespace tern::engine
