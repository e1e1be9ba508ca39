#pragma once

// Exporter types by name ("jsonl", "postgresql") and the step from configuration to exporter
// instances. The broker turns its parsed `exporters:` map into ExporterSpecs and asks the
// registry for one configured instance per exporter and partition.

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "exporter/exporter.h"

namespace tern::exporter {

// One entry of the `exporters:` configuration.
struct ExporterSpec {
  std::string type;
  Json args = Json::object();
};

struct ConfiguredExporter {
  std::string name;
  std::string type;
  std::unique_ptr<Exporter> exporter;
};

class ExporterRegistry {
 public:
  using Factory = std::function<std::unique_ptr<Exporter>()>;

  // A registry that knows the built-in types.
  static ExporterRegistry with_builtins();

  void register_type(std::string type, Factory factory);
  std::vector<std::string> types() const;

  // Creates and configures one exporter for `partition`. kUnknownType names the exporter and the
  // types that exist; kInvalidConfig names the exporter and the argument.
  ExporterResult<ConfiguredExporter> create(const std::string& name, const ExporterSpec& spec,
                                            PartitionId partition) const;
  // Every configured exporter for `partition`, in name order; the first error stops.
  ExporterResult<std::vector<ConfiguredExporter>> create_all(
      const std::map<std::string, ExporterSpec>& specs, PartitionId partition) const;

 private:
  std::map<std::string, Factory> factories_;
};

}  // namespace tern::exporter
