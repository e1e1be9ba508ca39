#pragma once

// The list of configuration keys: every leaf of the configuration (except the free-form exporter
// entries), its kind, and the TERN_* environment variable that overrides it. The parser, the
// unknown-key checks and docs/configuration.md all follow this one table.

#include <span>
#include <string>
#include <string_view>

namespace tern::broker {

enum class KeyKind { kInteger, kPort, kBoolean, kString, kStringList };

struct KeySpec {
  std::string_view path;  // "cluster.node-id"
  KeyKind kind;
};

// Every fixed key, in documentation order.
std::span<const KeySpec> config_keys();

// The top-level sections ("cluster", "network", "gateway", "data", "exporters", "logging").
std::span<const std::string_view> config_sections();

// The key with this path, or nullptr.
const KeySpec* find_config_key(std::string_view path);

// "TERN_" + the path upper-cased with '.' and '-' as '_': cluster.node-id -> TERN_CLUSTER_NODE_ID.
std::string env_name_for(std::string_view path);

std::string_view to_string(KeyKind kind);

}  // namespace tern::broker
