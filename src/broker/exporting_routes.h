#pragma once

// The operator's side of exporting on the monitoring port, plus its health and metrics:
//
//   POST /actuator/exporting/pause            stop handing records to exporters (204)
//   POST /actuator/exporting/resume           hand them out again (204)
//   POST /actuator/exporters/<name>/disable   one exporter gets nothing, holds no compaction (204)
//   POST /actuator/exporters/<name>/enable    again, from its own position, or with
//        ?initializeFrom=<other> from another exporter's position (204)
//   GET  /actuator/exporters                  every local director's state (JSON)
//
// Switches apply to every partition this broker leads now and are kept in the broker's
// ExportingSettings (a file in the data folder) for leaders it becomes later and across restarts;
// like Zeebe's, they are per broker, so an operator sends them to every broker.
// Health: component "exporting" (DOWN while an exporter is UNHEALTHY; details per partition).
// Metrics: the directors' families are appended to GET /metrics.

#include <memory>

#include "broker/config.h"
#include "broker/data_directory.h"
#include "broker/health.h"
#include "broker/monitoring_server.h"
#include "broker/partition/partition_exporting.h"
#include "broker/partition/partition_manager.h"

namespace tern::broker {

// The configured exporters (`exporters:`) and the switches kept in `<data>/exporting.json`.
Result<std::shared_ptr<ExportingSettings>, std::string> open_exporting_settings(
    const TernConfig& config, const DataDirectory& data);

// Registers the routes, wraps an existing GET /metrics route, and adds the health component.
void add_exporting_endpoints(RouteTable& routes, HealthRegistry& health,
                             std::shared_ptr<PartitionManager> manager,
                             std::shared_ptr<ExportingSettings> settings);

// The JSON of GET /actuator/exporters.
nlohmann::json exporting_json(const std::vector<exporter::DirectorSnapshot>& snapshots,
                              const ExportingSettings& settings);

}  // namespace tern::broker
