#pragma once

// What the health probes report. Components (the partitions, the command API, the gateway's view
// of the cluster, ...) publish their state here; the monitoring endpoints read it. Thread-safe:
// any thread may publish, the HTTP workers read concurrently.
//
// The probes, as Kubernetes uses them:
//   startup   UP once the process has finished starting (every server bound, partitions created).
//   readiness UP while started and not shutting down: traffic may be sent.
//   liveness  DOWN only when a component is dead (cannot recover without a restart).
//   health    UP when started, not shutting down, and every component is UP; lists components.

#include <functional>
#include <map>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace tern::broker {

enum class ComponentStatus { kUp, kDown, kDead };

struct HealthReport {
  bool up = false;
  nlohmann::json body;  // {"status":"UP"|"DOWN", ...details}
};

struct ComponentHealth {
  ComponentStatus status = ComponentStatus::kDown;
  nlohmann::json details = nlohmann::json::object();  // shown under components.<name>.details
};

class HealthRegistry {
 public:
  // Asked on every probe: must be thread-safe, quick and non-blocking.
  using Check = std::function<ComponentHealth()>;

  // Adds or replaces a component whose state is fixed until set again.
  void set_component(const std::string& name, ComponentStatus status,
                     nlohmann::json details = nlohmann::json::object());
  // Adds or replaces a component whose state is computed when a probe asks.
  void set_check(const std::string& name, Check check);
  void remove_component(const std::string& name);

  void mark_started();
  void mark_shutting_down();

  HealthReport health() const;
  HealthReport liveness() const;
  HealthReport readiness() const;
  HealthReport startup() const;

 private:
  mutable std::mutex mutex_;
  std::map<std::string, Check> components_;  // guarded by mutex_; ordered for stable JSON
  bool started_ = false;                     // guarded by mutex_
  bool shutting_down_ = false;               // guarded by mutex_
};

std::string_view to_string(ComponentStatus status);

}  // namespace tern::broker
