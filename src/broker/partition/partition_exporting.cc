#include "broker/partition/partition_exporting.h"

#include <spdlog/spdlog.h>

#include <chrono>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

namespace tern::broker {

using engine::Position;

namespace {

// Director rounds per run() call: each hands at most max_records_per_run records to every
// exporter, so the strand returns to Raft traffic between bursts of a large backlog.
constexpr int kMaxRoundsPerRun = 4;

}  // namespace

// --- ExportingSettings

Result<std::shared_ptr<ExportingSettings>, std::string> ExportingSettings::open(
    std::map<std::string, exporter::ExporterSpec> exporters, std::filesystem::path state_file) {
  std::shared_ptr<ExportingSettings> settings(
      new ExportingSettings(std::move(exporters), std::move(state_file)));
  std::error_code ec;
  if (!std::filesystem::exists(settings->state_file_, ec)) return settings;
  std::ifstream in(settings->state_file_);
  std::stringstream text;
  text << in.rdbuf();
  auto json = nlohmann::json::parse(text.str(), nullptr, false);
  if (json.is_discarded() || !json.is_object()) {
    return unexpected(settings->state_file_.string()
                      + ": not a JSON object (remove it to reset the exporting switches)");
  }
  settings->paused_ = json.value("paused", false);
  for (const auto& name : json.value("disabled", std::vector<std::string>())) {
    settings->disabled_.insert(name);
  }
  if (settings->paused_) {
    spdlog::info("exporting is paused (switched by an operator; {})",
                 settings->state_file_.string());
  }
  for (const auto& name : settings->disabled_) {
    spdlog::info("exporter '{}' is disabled (switched by an operator; {})", name,
                 settings->state_file_.string());
  }
  return settings;
}

bool ExportingSettings::paused() const {
  std::lock_guard lock(mutex_);
  return paused_;
}

std::set<std::string> ExportingSettings::disabled() const {
  std::lock_guard lock(mutex_);
  return disabled_;
}

Result<void, std::string> ExportingSettings::set_paused(bool paused) {
  std::lock_guard lock(mutex_);
  paused_ = paused;
  return write();
}

Result<void, std::string> ExportingSettings::set_disabled(const std::string& name, bool disabled) {
  std::lock_guard lock(mutex_);
  if (disabled) {
    disabled_.insert(name);
  } else {
    disabled_.erase(name);
  }
  return write();
}

Result<void, std::string> ExportingSettings::write() const {
  nlohmann::json json{{"paused", paused_},
                      {"disabled", std::vector<std::string>(disabled_.begin(), disabled_.end())}};
  auto tmp = state_file_;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::trunc);
    out << json.dump() << "\n";
    out.flush();
    if (!out) return unexpected("cannot write " + tmp.string());
  }
  std::error_code ec;
  std::filesystem::rename(tmp, state_file_, ec);
  if (ec) return unexpected("cannot replace " + state_file_.string() + ": " + ec.message());
  return {};
}

// --- PartitionExporting

class PartitionExporting::Clock final : public exporter::DirectorClock {
 public:
  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::steady_clock::now().time_since_epoch())
        .count();
  }
};

PartitionExporting::PartitionExporting(PartitionId partition,
                                       std::shared_ptr<ExportingSettings> settings,
                                       exporter::DirectorOptions options)
    : partition_(partition),
      settings_(std::move(settings)),
      options_(std::move(options)),
      clock_(std::make_unique<Clock>()) {}

PartitionExporting::~PartitionExporting() {
  stop_leading();
}

Result<void, std::string> PartitionExporting::validate() const {
  auto created =
      exporter::ExporterRegistry::with_builtins().create_all(settings_->exporters(), partition_);
  if (!created) return unexpected(created.error().message);
  return {};
}

void PartitionExporting::start_leading(const raft::journal::Journal& journal,
                                       const RaftLogStream& stream, ReplicaPositionStore::Load load,
                                       ReplicaPositionStore::Append append) {
  stop_leading();
  if (settings_->exporters().empty()) return;
  auto created =
      exporter::ExporterRegistry::with_builtins().create_all(settings_->exporters(), partition_);
  if (!created) {
    // validate() passed at start-up with the same arguments; configure() does no IO.
    spdlog::error("partition {}: exporters cannot be created: {}", partition_.value(),
                  created.error().message);
    return;
  }
  reader_ = std::make_unique<JournalRecordReader>(journal, stream);
  store_ = std::make_unique<ReplicaPositionStore>(std::move(load), std::move(append));
  exporter::DirectorOptions options = options_;
  options.partition = partition_;
  // The partition's own position records are bookkeeping, not history: exporting them would
  // also make every persisted position create more records to export.
  options.skip = [](const engine::Record& record) {
    return record.value_type == engine::ValueType::kExporter;
  };
  director_ = std::make_unique<exporter::ExporterDirector>(options, *reader_, *store_, *clock_);
  for (auto& configured : *created) {
    auto added = director_->add(configured.name, configured.type, std::move(configured.exporter));
    if (!added) {
      spdlog::error("partition {}: {}", partition_.value(), added.error().message);
    }
  }
  apply_switches();
  last_run_committed_ = Position(-1);
  wake_at_ms_.reset();
  more_work_ = true;
  spdlog::info("partition {}: exporting to {} exporter(s){}", partition_.value(), created->size(),
               director_->paused() ? " (paused)" : "");
  publish();
}

void PartitionExporting::stop_leading() {
  if (!director_) return;
  director_->close();
  director_.reset();
  store_.reset();
  reader_.reset();
  std::lock_guard lock(snapshot_mutex_);
  snapshot_.reset();
}

void PartitionExporting::persist_positions() {
  if (director_) director_->persist_positions();
}

void PartitionExporting::run() {
  if (!director_) return;
  Position committed = reader_->committed_position();
  bool due = wake_at_ms_ && clock_->now_ms() >= *wake_at_ms_;
  if (committed == last_run_committed_ && !due && !more_work_) return;
  last_run_committed_ = committed;
  exporter::RunResult result;
  for (int round = 0; round < kMaxRoundsPerRun; ++round) {
    result = director_->run();
    if (!result.more_work) break;
  }
  more_work_ = result.more_work;
  wake_at_ms_ = result.wake_at_ms;
  publish();
}

std::optional<Position> PartitionExporting::compaction_bound(
    const std::map<std::string, Position>& replicated) const {
  if (director_) return director_->lowest_acknowledged_position();
  // A follower knows the positions the leader persisted; an exporter that never acknowledged
  // anything holds the whole log. Disabling is a leader's switch, so followers count every
  // configured exporter.
  std::optional<Position> lowest;
  for (const auto& [name, spec] : settings_->exporters()) {
    auto it = replicated.find(name);
    Position position = it == replicated.end() ? Position(0) : it->second;
    lowest = lowest ? std::min(*lowest, position) : position;
  }
  return lowest;
}

void PartitionExporting::apply_switches() {
  if (!director_) return;
  if (settings_->paused()) {
    director_->pause();
  } else {
    director_->resume();
  }
  auto disabled = settings_->disabled();
  for (const auto& [name, spec] : settings_->exporters()) {
    if (disabled.contains(name)) {
      (void)director_->disable(name);
    } else {
      (void)director_->enable(name);
    }
  }
  more_work_ = true;
  publish();
}

exporter::ExporterResult<void> PartitionExporting::enable(
    const std::string& name, const std::optional<std::string>& initialize_from) {
  if (!director_) return {};
  auto enabled = director_->enable(name, initialize_from);
  more_work_ = true;
  publish();
  return enabled;
}

std::optional<exporter::DirectorSnapshot> PartitionExporting::snapshot() const {
  std::lock_guard lock(snapshot_mutex_);
  return snapshot_;
}

void PartitionExporting::publish() {
  auto snapshot = director_->snapshot();
  std::lock_guard lock(snapshot_mutex_);
  snapshot_ = std::move(snapshot);
}

}  // namespace tern::broker
