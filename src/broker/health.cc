#include "broker/health.h"

namespace tern::broker {
namespace {

nlohmann::json status_body(bool up) {
  return {{"status", up ? "UP" : "DOWN"}};
}

}  // namespace

std::string_view to_string(ComponentStatus status) {
  switch (status) {
    case ComponentStatus::kUp:
      return "UP";
    case ComponentStatus::kDown:
      return "DOWN";
    case ComponentStatus::kDead:
      return "DEAD";
  }
  return "DOWN";
}

void HealthRegistry::set_component(const std::string& name, ComponentStatus status,
                                   nlohmann::json details) {
  ComponentHealth fixed{status, std::move(details)};
  set_check(name, [fixed] { return fixed; });
}

void HealthRegistry::set_check(const std::string& name, Check check) {
  std::lock_guard lock(mutex_);
  components_[name] = std::move(check);
}

void HealthRegistry::remove_component(const std::string& name) {
  std::lock_guard lock(mutex_);
  components_.erase(name);
}

void HealthRegistry::mark_started() {
  std::lock_guard lock(mutex_);
  started_ = true;
}

void HealthRegistry::mark_shutting_down() {
  std::lock_guard lock(mutex_);
  shutting_down_ = true;
}

HealthReport HealthRegistry::health() const {
  std::lock_guard lock(mutex_);
  bool all_up = true;
  auto components = nlohmann::json::object();
  for (const auto& [name, check] : components_) {
    ComponentHealth component = check();
    all_up = all_up && component.status == ComponentStatus::kUp;
    nlohmann::json entry = {{"status", to_string(component.status)}};
    if (!component.details.empty()) entry["details"] = component.details;
    components[name] = std::move(entry);
  }
  bool up = started_ && !shutting_down_ && all_up;
  auto body = status_body(up);
  body["components"] = std::move(components);
  if (!started_) body["details"] = {{"reason", "starting"}};
  if (shutting_down_) body["details"] = {{"reason", "shutting down"}};
  return {up, std::move(body)};
}

HealthReport HealthRegistry::liveness() const {
  std::lock_guard lock(mutex_);
  auto dead = nlohmann::json::array();
  for (const auto& [name, check] : components_) {
    if (check().status == ComponentStatus::kDead) dead.push_back(name);
  }
  bool up = dead.empty();
  auto body = status_body(up);
  if (!up) body["details"] = {{"dead", std::move(dead)}};
  return {up, std::move(body)};
}

HealthReport HealthRegistry::readiness() const {
  std::lock_guard lock(mutex_);
  bool up = started_ && !shutting_down_;
  auto body = status_body(up);
  if (!started_) body["details"] = {{"reason", "starting"}};
  if (shutting_down_) body["details"] = {{"reason", "shutting down"}};
  return {up, std::move(body)};
}

HealthReport HealthRegistry::startup() const {
  std::lock_guard lock(mutex_);
  return {started_, status_body(started_)};
}

}  // namespace tern::broker
