// Prometheus text for exporter directors: one gauge family per quantity, labelled by partition
// and exporter, so that an operator can alert on lag (the disk fills while an exporter holds
// compaction back) and on failures long before the disk is full.

#include <fmt/format.h>

#include "exporter/director.h"

namespace tern::exporter {
namespace {

struct Family {
  const char* name;
  const char* type;
  const char* help;
  std::int64_t (*value)(const ExporterStatus&);
};

const Family kFamilies[] = {
    {"tern_exporter_acknowledged_position", "gauge",
     "Highest position the exporter acknowledged as durable",
     [](const ExporterStatus& s) { return s.acknowledged.value(); }},
    {"tern_exporter_lag", "gauge",
     "How far the acknowledged position is behind the committed one (records; Raft entries in "
     "the broker); the journal is kept from the acknowledged position on",
     [](const ExporterStatus& s) { return s.lag; }},
    {"tern_exporter_exported_records_total", "counter",
     "Records handed to the exporter (replays after failures count again)",
     [](const ExporterStatus& s) { return static_cast<std::int64_t>(s.exported_records_total); }},
    {"tern_exporter_failures_total", "counter", "Failed export, flush or open attempts",
     [](const ExporterStatus& s) { return static_cast<std::int64_t>(s.failures_total); }},
    {"tern_exporter_consecutive_failures", "gauge",
     "Failures since the exporter last succeeded; above zero it is being retried",
     [](const ExporterStatus& s) { return std::int64_t{s.consecutive_failures}; }},
    {"tern_exporter_enabled", "gauge", "1 when the exporter is enabled, 0 when disabled",
     [](const ExporterStatus& s) {
       return std::int64_t{s.state == ExporterState::kDisabled ? 0 : 1};
     }},
};

// Label values escape backslash, quote and newline (exporter names are operator-chosen).
std::string label(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '\\' || c == '"') out.push_back('\\');
    if (c == '\n') {
      out += "\\n";
      continue;
    }
    out.push_back(c);
  }
  return out;
}

}  // namespace

std::string render_metrics(const std::vector<DirectorSnapshot>& snapshots) {
  std::string out;
  out += "# HELP tern_exporting_paused 1 when exporting is paused on the partition\n";
  out += "# TYPE tern_exporting_paused gauge\n";
  for (const auto& snapshot : snapshots) {
    out += fmt::format("tern_exporting_paused{{partition=\"{}\"}} {}\n", snapshot.partition.value(),
                       snapshot.paused ? 1 : 0);
  }
  for (const auto& family : kFamilies) {
    out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", family.name, family.help, family.name,
                       family.type);
    for (const auto& snapshot : snapshots) {
      for (const auto& status : snapshot.exporters) {
        out += fmt::format("{}{{partition=\"{}\",exporter=\"{}\"}} {}\n", family.name,
                           snapshot.partition.value(), label(status.name), family.value(status));
      }
    }
  }
  return out;
}

}  // namespace tern::exporter
