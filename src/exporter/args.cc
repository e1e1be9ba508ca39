#include "exporter/args.h"

namespace tern::exporter {

ArgsReader::ArgsReader(const std::string& exporter_name, const Json& args)
    : name_(exporter_name), args_(args), not_an_object_(!args.is_object() && !args.is_null()) {}

std::string ArgsReader::path(const std::string& key) const {
  return "exporters." + name_ + ".args" + (key.empty() ? "" : "." + key);
}

ExporterError ArgsReader::error(const std::string& key, const std::string& message) const {
  return ExporterError{ExporterErrc::kInvalidConfig, path(key) + ": " + message};
}

const Json* ArgsReader::find(const std::string& key) {
  known_.insert(key);
  if (!args_.is_object()) return nullptr;
  auto it = args_.find(key);
  return it == args_.end() ? nullptr : &*it;
}

ExporterResult<std::string> ArgsReader::required_string(const std::string& key) {
  const Json* value = find(key);
  if (value == nullptr) return unexpected(error(key, "required, but missing"));
  if (!value->is_string() || value->get<std::string>().empty()) {
    return unexpected(error(key, "expected a non-empty string, got " + value->dump()));
  }
  return value->get<std::string>();
}

ExporterResult<std::string> ArgsReader::string_or(const std::string& key, std::string fallback) {
  const Json* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_string() || value->get<std::string>().empty()) {
    return unexpected(error(key, "expected a non-empty string, got " + value->dump()));
  }
  return value->get<std::string>();
}

ExporterResult<std::int64_t> ArgsReader::integer_or(const std::string& key, std::int64_t fallback,
                                                    std::int64_t min, std::int64_t max) {
  const Json* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_number_integer()) {
    return unexpected(error(key, "expected an integer, got " + value->dump()));
  }
  auto number = value->get<std::int64_t>();
  if (number < min || number > max) {
    return unexpected(error(key, "expected an integer from " + std::to_string(min) + " to "
                                     + std::to_string(max) + ", got " + std::to_string(number)));
  }
  return number;
}

ExporterResult<bool> ArgsReader::boolean_or(const std::string& key, bool fallback) {
  const Json* value = find(key);
  if (value == nullptr) return fallback;
  if (!value->is_boolean()) {
    return unexpected(error(key, "expected true or false, got " + value->dump()));
  }
  return value->get<bool>();
}

ExporterResult<void> ArgsReader::reject_unknown() const {
  if (not_an_object_) return unexpected(error("", "expected a map, got " + args_.dump()));
  if (!args_.is_object()) return {};
  for (const auto& [key, value] : args_.items()) {
    if (known_.contains(key)) continue;
    std::string known;
    for (const auto& name : known_)
      known += (known.empty() ? "" : ", ") + name;
    return unexpected(error(key, "unknown argument (known: " + known + ")"));
  }
  return {};
}

}  // namespace tern::exporter
