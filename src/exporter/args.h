#pragma once

// Typed access to an exporter's `args` with errors that name the exporter and the key
// ("exporters.audit.args.max-file-size-bytes: expected a positive integer, got \"big\""), and a
// final check that rejects keys nobody asked for (usually typos).

#include <cstdint>
#include <optional>
#include <set>
#include <string>

#include "exporter/exporter.h"

namespace tern::exporter {

class ArgsReader {
 public:
  ArgsReader(const std::string& exporter_name, const Json& args);

  ExporterResult<std::string> required_string(const std::string& key);
  ExporterResult<std::string> string_or(const std::string& key, std::string fallback);
  // An integer within [min, max].
  ExporterResult<std::int64_t> integer_or(const std::string& key, std::int64_t fallback,
                                          std::int64_t min, std::int64_t max);
  ExporterResult<bool> boolean_or(const std::string& key, bool fallback);
  // Fails naming the first key that no getter asked for.
  ExporterResult<void> reject_unknown() const;

  // "exporters.<name>.args.<key>"
  std::string path(const std::string& key) const;
  ExporterError error(const std::string& key, const std::string& message) const;

 private:
  const Json* find(const std::string& key);

  std::string name_;
  const Json& args_;
  std::set<std::string> known_;
  bool not_an_object_ = false;
};

}  // namespace tern::exporter
