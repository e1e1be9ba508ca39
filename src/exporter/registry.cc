#include "exporter/registry.h"

#include "exporter/jsonl_exporter.h"
#include "exporter/postgresql_exporter.h"

namespace tern::exporter {

ExporterRegistry ExporterRegistry::with_builtins() {
  ExporterRegistry registry;
  registry.register_type("jsonl", [] { return std::make_unique<JsonLinesExporter>(); });
  registry.register_type("postgresql", [] { return std::make_unique<PostgresExporter>(); });
  return registry;
}

void ExporterRegistry::register_type(std::string type, Factory factory) {
  factories_[std::move(type)] = std::move(factory);
}

std::vector<std::string> ExporterRegistry::types() const {
  std::vector<std::string> out;
  for (const auto& [type, factory] : factories_)
    out.push_back(type);
  return out;
}

ExporterResult<ConfiguredExporter> ExporterRegistry::create(const std::string& name,
                                                            const ExporterSpec& spec,
                                                            PartitionId partition) const {
  auto it = factories_.find(spec.type);
  if (it == factories_.end()) {
    std::string known;
    for (const auto& type : types())
      known += (known.empty() ? "" : ", ") + type;
    return unexpected(ExporterError{ExporterErrc::kUnknownType,
                                    "exporters." + name + ".type: unknown exporter type '"
                                        + spec.type + "' (known: " + known + ")"});
  }
  auto exporter = it->second();
  ExporterContext context{name, partition, spec.args};
  if (auto configured = exporter->configure(context); !configured) {
    return unexpected(configured.error());
  }
  return ConfiguredExporter{name, spec.type, std::move(exporter)};
}

ExporterResult<std::vector<ConfiguredExporter>> ExporterRegistry::create_all(
    const std::map<std::string, ExporterSpec>& specs, PartitionId partition) const {
  std::vector<ConfiguredExporter> out;
  for (const auto& [name, spec] : specs) {
    auto created = create(name, spec, partition);
    if (!created) return unexpected(created.error());
    out.push_back(std::move(created.value()));
  }
  return out;
}

}  // namespace tern::exporter
