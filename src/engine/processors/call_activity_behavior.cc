#include "engine/processors/call_activity_behavior.h"

#include <string>

#include "common/check.h"
#include "engine/processors/bpmn_behavior.h"

namespace tern::engine {

std::optional<Key> CallActivityBehavior::resolve(const ElementInstance& instance,
                                                 const bpmn::FlowElement& element) {
  if (!element.called_element || element.called_element->process_id.empty()) {
    bpmn_.create_incident(instance, kCalledElementError,
                          "Expected the call activity '" + std::string(element.id)
                              + "' to name the process to call, but it names none");
    return std::nullopt;
  }
  const auto& source = element.called_element->process_id;
  auto value = bpmn_.variables().evaluate(source, instance.key);
  if (!value) {
    bpmn_.create_incident(instance, kExtractValueError, value.error());
    return std::nullopt;
  }
  if (!value->is_string() || value->get<std::string>().empty()) {
    bpmn_.create_incident(instance, kExtractValueError,
                          "Expected result of the expression '" + std::string(source.text)
                              + "' to be a non-empty 'STRING', but was '" + value->dump() + "'");
    return std::nullopt;
  }
  std::string process_id = value->get<std::string>();
  auto key = ctx_.state.latest_process(process_id);
  if (!key) {
    bpmn_.create_incident(instance, kCalledElementError,
                          "Expected process with BPMN process id '" + process_id
                              + "' to be deployed, but not found.");
    return std::nullopt;
  }
  auto model = ctx_.models.get(ctx_.state, *key);
  if (model == nullptr || model->none_start_event() == bpmn::kNoElement) {
    bpmn_.create_incident(instance, kCalledElementError,
                          "Expected process with BPMN process id '" + process_id
                              + "' to have a none start event, but not found.");
    return std::nullopt;
  }
  return key;
}

void CallActivityBehavior::start_child(const ElementInstance& instance,
                                       const bpmn::FlowElement& element, Key definition_key) {
  auto definition = ctx_.state.process(definition_key);
  TERN_CHECK(definition.has_value(), "a resolved called process is deployed");
  Key child_key = ctx_.out.next_key();
  auto child = ProcessInstanceValue::root(definition->bpmn_process_id, definition->version,
                                          definition_key, child_key);
  child.parent_process_instance_key = instance.value.process_instance_key;
  child.parent_element_instance_key = instance.key;
  // Every variable visible from the call activity, or only its own (input mappings).
  Json variables = element.called_element->propagate_all_parent_variables
                       ? bpmn_.variables().collect(instance.key, {})
                       : Json::object();
  if (!element.called_element->propagate_all_parent_variables) {
    for (auto& [name, entry] : ctx_.state.variables(instance.key))
      variables[name] = Json::parse(entry.json_text);
  }
  bpmn_.variables().set_local_document(child_key, variables, child);
  ctx_.out.command(child_key, ValueType::kProcessInstance, Intent::kActivateElement, child);
}

void CallActivityBehavior::on_child_completed(const ElementInstance& child, const Json& variables) {
  Key parent_key = child.value.parent_element_instance_key;
  auto parent = ctx_.out.element_instance(parent_key);
  if (!parent || parent->state != Intent::kElementActivated) return;
  auto model = bpmn_.model_of(parent->value);
  const auto* element = model->find_instance_element(parent->element_id(), parent->element_type());
  TERN_CHECK(element != nullptr && element->called_element != nullptr,
             "a called process instance's parent is a call activity");
  bool has_outputs = element->io_mapping && !element->io_mapping->outputs.empty();
  if (element->called_element->propagate_all_child_variables || has_outputs) {
    // With output mappings the child's variables are local to the call activity and the mappings
    // decide what leaves it, as for a job's variables.
    if (has_outputs) {
      bpmn_.variables().set_local_document(parent->key, variables, parent->value);
    } else {
      bpmn_.variables().propagate_document(parent->key, variables, parent->value);
    }
  }
  ctx_.out.command(parent->key, ValueType::kProcessInstance, Intent::kCompleteElement,
                   parent->value);
}

}  // namespace tern::engine
