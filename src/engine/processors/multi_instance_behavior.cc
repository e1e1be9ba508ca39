#include "engine/processors/multi_instance_behavior.h"

#include <cctype>
#include <string>

#include "common/check.h"
#include "engine/processors/bpmn_behavior.h"

namespace tern::engine {

namespace {

constexpr std::string_view kLoopCounter = "loopCounter";

std::string type_name(const Json& value) {
  if (value.is_string()) return "STRING";
  if (value.is_number()) return "NUMBER";
  if (value.is_boolean()) return "BOOLEAN";
  if (value.is_null()) return "NULL";
  if (value.is_array()) return "ARRAY";
  return "OBJECT";
}

// The variable an `outputElement` expression reads when it is just a name (or a path into one):
// that variable is created as a local null of the inner instance.
std::string_view output_variable(const bpmn::ValueOrExpression& output_element) {
  if (!output_element.is_expression) return {};
  std::string_view text = output_element.text;
  while (!text.empty() && text.front() == ' ')
    text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ')
    text.remove_suffix(1);
  std::string_view head = text.substr(0, text.find('.'));
  if (head.empty()) return {};
  auto is_start = [](char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; };
  auto is_part = [&](char c) { return is_start(c) || std::isdigit(static_cast<unsigned char>(c)); };
  if (!is_start(head.front())) return {};
  for (char c : head) {
    if (!is_part(c)) return {};
  }
  for (char c : text) {
    if (!is_part(c) && c != '.') return {};
  }
  return head;
}

}  // namespace

bool MultiInstanceBehavior::is_inner(const bpmn::ProcessModel& model,
                                     const bpmn::FlowElement& element) {
  return element.flow_scope != bpmn::kNoElement
         && model.element(element.flow_scope).kind == bpmn::ElementKind::MULTI_INSTANCE_BODY;
}

Result<Json, std::string> MultiInstanceBehavior::input_collection(
    const bpmn::FlowElement& body_element, Key scope_key) {
  const auto& expression = body_element.loop->input_collection;
  auto result = bpmn_.variables().evaluate(expression, scope_key);
  if (!result) return result;
  if (!result->is_array()) {
    return unexpected("Expected result of the expression '" + std::string(expression.text)
                      + "' to be 'ARRAY', but was '" + type_name(*result) + "'");
  }
  return result;
}

std::optional<std::size_t> MultiInstanceBehavior::prepare_body(
    const ElementInstance& body, const bpmn::FlowElement& body_element) {
  auto collection = input_collection(body_element, body.key);
  if (!collection) {
    bpmn_.create_incident(body, kExtractValueError, collection.error());
    return std::nullopt;
  }
  const auto& loop = *body_element.loop;
  if (!loop.output_collection.empty()) {
    Json outputs = Json::array();
    for (std::size_t i = 0; i < collection->size(); ++i)
      outputs.push_back(nullptr);
    bpmn_.variables().set_local(body.key, loop.output_collection, outputs, body.value);
  }
  return collection->size();
}

void MultiInstanceBehavior::start_inner(const ElementInstance& body,
                                        const bpmn::ProcessModel& model,
                                        const bpmn::FlowElement& body_element, std::size_t total) {
  std::size_t count = body_element.loop->is_sequential ? 1 : total;
  const auto& inner = model.element(body_element.inner_activity);
  for (std::size_t i = 0; i < count; ++i) {
    ctx_.out.command(ctx_.out.next_key(), ValueType::kProcessInstance, Intent::kActivateElement,
                     BpmnBehavior::child_value(body.value, body.key, inner));
  }
}

bool MultiInstanceBehavior::on_inner_activating(const ElementInstance& inner,
                                                const bpmn::FlowElement& body_element) {
  // Activation runs again when an incident of a later step is resolved: the variables are set.
  if (ctx_.state.variable(inner.key, kLoopCounter)) return true;
  Key body_key = inner.flow_scope_key();
  auto body = ctx_.out.element_instance(body_key);
  TERN_CHECK(body.has_value(), "an inner instance activates inside its live body");
  auto collection = input_collection(body_element, body_key);
  if (!collection) {
    bpmn_.create_incident(inner, kExtractValueError, collection.error());
    return false;
  }
  // The applier counted this instance on the body when it became ACTIVATING.
  std::int32_t counter = body->loop_counter;
  if (counter < 1 || static_cast<std::size_t>(counter) > collection->size()) {
    bpmn_.create_incident(inner, kExtractValueError,
                          "Expected the input collection '"
                              + std::string(body_element.loop->input_collection.text)
                              + "' to have an item at position " + std::to_string(counter)
                              + ", but its size is " + std::to_string(collection->size()));
    return false;
  }
  const auto& loop = *body_element.loop;
  auto& variables = bpmn_.variables();
  if (!loop.input_element.empty()) {
    variables.set_local(inner.key, loop.input_element, (*collection)[counter - 1], inner.value);
  }
  if (auto name = output_variable(loop.output_element); !name.empty()) {
    variables.set_local(inner.key, name, nullptr, inner.value);
  }
  variables.set_local(inner.key, kLoopCounter, counter, inner.value);
  return true;
}

std::optional<MultiInstanceBehavior::Outcome> MultiInstanceBehavior::on_inner_completing(
    const ElementInstance& inner, const bpmn::FlowElement& body_element) {
  Key body_key = inner.flow_scope_key();
  auto body = ctx_.out.element_instance(body_key);
  TERN_CHECK(body.has_value(), "an inner instance completes inside its live body");
  const auto& loop = *body_element.loop;
  auto& variables = bpmn_.variables();
  auto counter_value = ctx_.state.variable(inner.key, kLoopCounter);
  TERN_CHECK(counter_value.has_value(), "an inner instance has its loopCounter");
  auto counter = Json::parse(counter_value->json_text).get<std::int64_t>();
  if (!loop.output_collection.empty()) {
    auto element = loop.output_element.empty() ? Result<Json, std::string>(Json(nullptr))
                                               : variables.evaluate(loop.output_element, inner.key);
    if (!element) {
      bpmn_.create_incident(inner, kExtractValueError, element.error());
      return std::nullopt;
    }
    auto outputs_entry = ctx_.state.variable(body_key, loop.output_collection);
    Json outputs = outputs_entry ? Json::parse(outputs_entry->json_text) : Json();
    if (!outputs.is_array() || counter < 1 || static_cast<std::size_t>(counter) > outputs.size()) {
      bpmn_.create_incident(
          inner, kExtractValueError,
          "Unable to update an item in the output collection '"
              + std::string(loop.output_collection) + "' at position " + std::to_string(counter)
              + (outputs.is_array()
                     ? ", because the size of the collection is " + std::to_string(outputs.size())
                     : ", because it is not a list but '" + type_name(outputs) + "'"));
      return std::nullopt;
    }
    outputs[counter - 1] = std::move(element.value());
    variables.set_local(body_key, loop.output_collection, outputs, body->value);
  }
  Outcome outcome;
  if (!loop.completion_condition.empty()) {
    Json counts{{"numberOfInstances", body->loop_counter},
                {"numberOfActiveInstances", body->child_count - 1},
                {"numberOfCompletedInstances", body->completed_inner + 1},
                {"numberOfTerminatedInstances", body->terminated_inner}};
    auto met = variables.evaluate(loop.completion_condition, inner.key, &counts);
    if (met && !met->is_boolean()) {
      met = unexpected("Expected result of the expression '"
                       + std::string(loop.completion_condition.text)
                       + "' to be 'BOOLEAN', but was '" + type_name(*met) + "'");
    }
    if (!met) {
      bpmn_.create_incident(inner, kExtractValueError, met.error());
      return std::nullopt;
    }
    outcome.condition_met = met->get<bool>();
  }
  if (!outcome.condition_met) {
    auto collection = input_collection(body_element, body_key);
    if (!collection) {
      bpmn_.create_incident(inner, kExtractValueError, collection.error());
      return std::nullopt;
    }
    outcome.more_items = static_cast<std::size_t>(body->loop_counter) < collection->size();
  }
  return outcome;
}

void MultiInstanceBehavior::on_inner_completed(Key body_key, const bpmn::ProcessModel& model,
                                               const bpmn::FlowElement& body_element,
                                               const Outcome& outcome) {
  auto body = ctx_.out.element_instance(body_key);
  if (!body || body->state != Intent::kElementActivated) return;
  if (outcome.condition_met) {
    bool waiting = false;
    for (Key child : ctx_.state.children(body_key)) {
      auto sibling = ctx_.state.element_instance(child);
      if (!sibling) continue;
      waiting = true;
      if (sibling->state == Intent::kElementTerminating) continue;
      ctx_.out.command(child, ValueType::kProcessInstance, Intent::kTerminateElement,
                       sibling->value);
    }
    if (!waiting) {
      ctx_.out.command(body_key, ValueType::kProcessInstance, Intent::kCompleteElement,
                       body->value);
    }
    return;
  }
  if (outcome.more_items && body_element.loop->is_sequential) {
    start_inner(*body, model, body_element, 1);
    return;
  }
  // Parallel items not activated yet are on their way (their commands are in the log).
  if (body->child_count == 0 && !outcome.more_items) {
    ctx_.out.command(body_key, ValueType::kProcessInstance, Intent::kCompleteElement, body->value);
  }
}

void MultiInstanceBehavior::on_inner_terminated(const ElementInstance& body) {
  if (body.state != Intent::kElementActivated || body.child_count > 0) return;
  ctx_.out.command(body.key, ValueType::kProcessInstance, Intent::kCompleteElement, body.value);
}

}  // namespace tern::engine
