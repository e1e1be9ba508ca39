#include "engine/processors/variable_behavior.h"

#include <chrono>
#include <set>

namespace tern::engine {

namespace {

void merge_path(Json& document, std::string_view path, Json value) {
  Json* node = &document;
  while (true) {
    auto dot = path.find('.');
    std::string head(path.substr(0, dot));
    if (dot == std::string_view::npos) {
      (*node)[head] = std::move(value);
      return;
    }
    Json& child = (*node)[head];
    if (!child.is_object()) child = Json::object();
    node = &child;
    path = path.substr(dot + 1);
  }
}

}  // namespace

std::optional<feel::Value> ScopeVariableResolver::lookup(std::string_view name) const {
  if (overlay_ != nullptr && overlay_->is_object()) {
    auto it = overlay_->find(std::string(name));
    if (it != overlay_->end()) return feel::from_json(*it);
  }
  Key scope = scope_key_;
  while (scope.value() > 0) {
    if (auto entry = state_.variable(scope, name)) {
      return feel::from_json(Json::parse(entry->json_text));
    }
    auto instance = state_.element_instance(scope);
    if (!instance) break;
    scope = instance->flow_scope_key();
  }
  return std::nullopt;
}

Key VariableBehavior::parent_scope(Key scope_key) const {
  auto instance = ctx_.out.element_instance(scope_key);
  return instance ? instance->flow_scope_key() : kNoKey;
}

std::optional<Json> VariableBehavior::get(Key scope_key, std::string_view name) const {
  for (Key scope = scope_key; scope.value() > 0; scope = parent_scope(scope)) {
    if (auto entry = ctx_.state.variable(scope, name)) return Json::parse(entry->json_text);
  }
  return std::nullopt;
}

Json VariableBehavior::collect(Key scope_key, const std::vector<std::string>& names) const {
  Json out = Json::object();
  if (!names.empty()) {
    for (const auto& name : names) {
      if (auto value = get(scope_key, name)) out[name] = std::move(*value);
    }
    return out;
  }
  for (Key scope = scope_key; scope.value() > 0; scope = parent_scope(scope)) {
    for (auto& [name, entry] : ctx_.state.variables(scope)) {
      if (!out.contains(name)) out[name] = Json::parse(entry.json_text);
    }
  }
  return out;
}

void VariableBehavior::set_local(Key scope_key, std::string_view name, const Json& value,
                                 const ProcessInstanceValue& process) {
  std::string text = value.dump();
  auto existing = ctx_.state.variable(scope_key, name);
  if (existing && existing->json_text == text) return;  // unchanged: no record, as Zeebe
  VariableValue record{.name = name,
                       .value = text,
                       .scope_key = scope_key,
                       .process_instance_key = process.process_instance_key,
                       .process_definition_key = process.process_definition_key,
                       .bpmn_process_id = process.bpmn_process_id};
  if (existing) {
    ctx_.out.event(existing->key, ValueType::kVariable, Intent::kUpdated, record);
  } else {
    ctx_.out.event(ctx_.out.next_key(), ValueType::kVariable, Intent::kCreated, record);
  }
}

void VariableBehavior::set_local_document(Key scope_key, const Json& document,
                                          const ProcessInstanceValue& process) {
  if (!document.is_object()) return;
  for (auto it = document.begin(); it != document.end(); ++it) {
    set_local(scope_key, it.key(), it.value(), process);
  }
}

void VariableBehavior::propagate_document(Key start_scope_key, const Json& document,
                                          const ProcessInstanceValue& process) {
  if (!document.is_object()) return;
  Key root = process.process_instance_key;
  for (auto it = document.begin(); it != document.end(); ++it) {
    Key target = root;
    for (Key scope = start_scope_key; scope.value() > 0; scope = parent_scope(scope)) {
      if (ctx_.state.variable(scope, it.key())) {
        target = scope;
        break;
      }
    }
    set_local(target, it.key(), it.value(), process);
  }
}

Result<Json, std::string> VariableBehavior::evaluate(const bpmn::ValueOrExpression& value,
                                                     Key scope_key, const Json* overlay) const {
  if (!value.is_expression) return Json(std::string(value.text));
  std::optional<feel::Expression> compiled;
  if (value.compiled) {
    compiled = *value.compiled;
  } else {
    auto fresh = feel::Expression::compile(value.text);
    if (!fresh) return unexpected(fresh.error().to_string());
    compiled = std::move(fresh.value());
  }
  ScopeVariableResolver resolver(ctx_.state, scope_key, overlay);
  feel::FixedClock clock(
      std::chrono::system_clock::time_point(std::chrono::milliseconds(ctx_.out.now_ms())));
  auto result = compiled->evaluate(resolver, clock);
  if (!result) return unexpected(result.error().to_string());
  return feel::to_json(result.value());
}

Result<Json, std::string> VariableBehavior::map(const std::vector<bpmn::Mapping>& mappings,
                                                Key scope_key, const Json* overlay) const {
  Json document = Json::object();
  for (const auto& mapping : mappings) {
    // Later mappings see earlier results, as Zeebe's mapping context does.
    Json context = overlay != nullptr && overlay->is_object() ? *overlay : Json::object();
    for (auto it = document.begin(); it != document.end(); ++it)
      context[it.key()] = it.value();
    auto value = evaluate(mapping.source, scope_key, &context);
    if (!value) {
      return unexpected("Failed to evaluate the mapping to '" + std::string(mapping.target)
                        + "': " + value.error());
    }
    merge_path(document, mapping.target, std::move(value.value()));
  }
  return document;
}

}  // namespace tern::engine
