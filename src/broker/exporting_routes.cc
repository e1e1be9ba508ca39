#include "broker/exporting_routes.h"

#include <spdlog/spdlog.h>

namespace tern::broker {

namespace {

HttpResponse no_content() {
  return HttpResponse{204, "application/json", ""};
}

HttpResponse problem(int status, const std::string& detail) {
  return HttpResponse{status, "application/json",
                      nlohmann::json{{"status", status}, {"detail", detail}}.dump()};
}

// Partitions whose strand did not answer, as an error for the operator; nullopt when all did.
std::optional<HttpResponse> silent_error(const std::vector<PartitionId>& silent) {
  if (silent.empty()) return std::nullopt;
  std::string list;
  for (auto id : silent)
    list += (list.empty() ? "" : ", ") + std::to_string(id.value());
  return problem(503, "partition(s) " + list + " did not answer (stopping?)");
}

HttpResponse switch_paused(PartitionManager& manager, ExportingSettings& settings, bool paused) {
  if (auto written = settings.set_paused(paused); !written) return problem(500, written.error());
  spdlog::info("exporting {} by an operator", paused ? "paused" : "resumed");
  auto silent = manager.for_each_exporting([](PartitionId, PartitionExporting* exporting) {
    if (exporting) exporting->apply_switches();
  });
  return silent_error(silent).value_or(no_content());
}

HttpResponse switch_disabled(PartitionManager& manager, ExportingSettings& settings,
                             const std::string& name, bool disabled,
                             std::optional<std::string> initialize_from) {
  if (initialize_from && !settings.has(*initialize_from)) {
    return problem(400, "initializeFrom: no exporter named '" + *initialize_from + "'");
  }
  if (initialize_from && *initialize_from == name) {
    return problem(400, "initializeFrom: an exporter cannot be initialized from itself");
  }
  if (auto written = settings.set_disabled(name, disabled); !written) {
    return problem(500, written.error());
  }
  spdlog::info("exporter '{}' {} by an operator{}", name, disabled ? "disabled" : "enabled",
               initialize_from ? " (initialized from '" + *initialize_from + "')" : "");
  auto errors = std::make_shared<std::vector<std::string>>();
  auto errors_mutex = std::make_shared<std::mutex>();
  auto silent = manager.for_each_exporting([=](PartitionId id, PartitionExporting* exporting) {
    if (!exporting) return;
    if (disabled) {
      exporting->apply_switches();
      return;
    }
    if (auto enabled = exporting->enable(name, initialize_from); !enabled) {
      std::lock_guard lock(*errors_mutex);
      errors->push_back("partition " + std::to_string(id.value()) + ": " + enabled.error().message);
    }
  });
  if (auto error = silent_error(silent)) return *error;
  std::lock_guard lock(*errors_mutex);
  if (!errors->empty()) {
    std::string detail;
    for (const auto& e : *errors)
      detail += (detail.empty() ? "" : "; ") + e;
    return problem(409, detail);
  }
  return no_content();
}

std::optional<std::string> query_value(const HttpRequest& request, const std::string& key) {
  auto it = request.query.find(key);
  if (it == request.query.end() || it->second.empty()) return std::nullopt;
  return it->second;
}

}  // namespace

Result<std::shared_ptr<ExportingSettings>, std::string> open_exporting_settings(
    const TernConfig& config, const DataDirectory& data) {
  std::map<std::string, exporter::ExporterSpec> specs;
  for (const auto& [name, exporter] : config.exporters)
    specs.emplace(name, exporter::ExporterSpec{exporter.type, exporter.args});
  return ExportingSettings::open(std::move(specs), data.path() / "exporting.json");
}

nlohmann::json exporting_json(const std::vector<exporter::DirectorSnapshot>& snapshots,
                              const ExportingSettings& settings) {
  nlohmann::json partitions = nlohmann::json::array();
  for (const auto& snapshot : snapshots) {
    nlohmann::json exporters = nlohmann::json::array();
    for (const auto& status : snapshot.exporters) {
      nlohmann::json entry{{"name", status.name},
                           {"type", status.type},
                           {"state", exporter::to_string(status.state)},
                           {"health", exporter::to_string(status.health)},
                           {"acknowledgedPosition", status.acknowledged.value()},
                           {"exportedPosition", status.exported.value()},
                           {"lag", status.lag},
                           {"exportedRecords", status.exported_records_total},
                           {"failures", status.failures_total},
                           {"consecutiveFailures", status.consecutive_failures}};
      if (!status.last_error.empty()) entry["lastError"] = status.last_error;
      exporters.push_back(std::move(entry));
    }
    nlohmann::json partition{{"partitionId", snapshot.partition.value()},
                             {"paused", snapshot.paused},
                             {"health", exporter::to_string(snapshot.health)},
                             {"committedPosition", snapshot.committed.value()},
                             {"exporters", std::move(exporters)}};
    if (snapshot.lowest_acknowledged) {
      partition["lowestAcknowledgedPosition"] = snapshot.lowest_acknowledged->value();
    }
    partitions.push_back(std::move(partition));
  }
  auto disabled = settings.disabled();
  return nlohmann::json{{"paused", settings.paused()},
                        {"disabled", std::vector<std::string>(disabled.begin(), disabled.end())},
                        {"partitions", std::move(partitions)}};
}

void add_exporting_endpoints(RouteTable& routes, HealthRegistry& health,
                             std::shared_ptr<PartitionManager> manager,
                             std::shared_ptr<ExportingSettings> settings) {
  routes.add(
      HttpMethod::kPost, "/actuator/exporting/pause",
      [manager, settings](const HttpRequest&) { return switch_paused(*manager, *settings, true); });
  routes.add(HttpMethod::kPost, "/actuator/exporting/resume",
             [manager, settings](const HttpRequest&) {
               return switch_paused(*manager, *settings, false);
             });
  // Routes are exact paths; the configured exporters are fixed for the process's life.
  for (const auto& [name, spec] : settings->exporters()) {
    std::string base = "/actuator/exporters/" + name;
    routes.add(HttpMethod::kPost, base + "/disable",
               [manager, settings, name = name](const HttpRequest&) {
                 return switch_disabled(*manager, *settings, name, true, std::nullopt);
               });
    routes.add(HttpMethod::kPost, base + "/enable",
               [manager, settings, name = name](const HttpRequest& request) {
                 return switch_disabled(*manager, *settings, name, false,
                                        query_value(request, "initializeFrom"));
               });
  }
  routes.add(HttpMethod::kGet, "/actuator/exporters", [manager, settings](const HttpRequest&) {
    return HttpResponse{200, "application/json",
                        exporting_json(manager->exporting_snapshots(), *settings).dump()};
  });

  bool known = false;
  if (auto metrics = routes.find(HttpMethod::kGet, "/metrics", known)) {
    routes.add(HttpMethod::kGet, "/metrics", [metrics, manager](const HttpRequest& request) {
      HttpResponse response = metrics(request);
      response.body += exporter::render_metrics(manager->exporting_snapshots());
      return response;
    });
  }

  if (settings->exporters().empty()) return;
  health.set_check("exporting", [manager] {
    nlohmann::json details = nlohmann::json::object();
    ComponentStatus status = ComponentStatus::kUp;
    for (const auto& snapshot : manager->exporting_snapshots()) {
      nlohmann::json partition{{"health", exporter::to_string(snapshot.health)},
                               {"paused", snapshot.paused}};
      for (const auto& exporter : snapshot.exporters) {
        if (!exporter.last_error.empty() && exporter.consecutive_failures > 0) {
          partition["lastError"] = exporter.name + ": " + exporter.last_error;
        }
      }
      details["partition-" + std::to_string(snapshot.partition.value())] = std::move(partition);
      if (snapshot.health == exporter::HealthStatus::kUnhealthy) status = ComponentStatus::kDown;
    }
    return ComponentHealth{status, std::move(details)};
  });
}

}  // namespace tern::broker
