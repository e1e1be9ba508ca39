// The first pass of ModelBuilder: walk a <process> in document order and create its elements.

#include <algorithm>
#include <cstring>
#include <string>

#include "engine/bpmn/model_builder.h"
#include "engine/feel/feel.h"

namespace tern::engine::bpmn {
namespace {

struct KindByName {
  std::string_view local;
  ElementKind kind;
};

constexpr KindByName kFlowNodeKinds[] = {
    {"startEvent", ElementKind::START_EVENT},
    {"endEvent", ElementKind::END_EVENT},
    {"intermediateCatchEvent", ElementKind::INTERMEDIATE_CATCH_EVENT},
    {"intermediateThrowEvent", ElementKind::INTERMEDIATE_THROW_EVENT},
    {"boundaryEvent", ElementKind::BOUNDARY_EVENT},
    {"serviceTask", ElementKind::SERVICE_TASK},
    {"userTask", ElementKind::USER_TASK},
    {"sendTask", ElementKind::SEND_TASK},
    {"receiveTask", ElementKind::RECEIVE_TASK},
    {"businessRuleTask", ElementKind::BUSINESS_RULE_TASK},
    {"scriptTask", ElementKind::SCRIPT_TASK},
    {"manualTask", ElementKind::MANUAL_TASK},
    {"task", ElementKind::TASK},
    {"exclusiveGateway", ElementKind::EXCLUSIVE_GATEWAY},
    {"parallelGateway", ElementKind::PARALLEL_GATEWAY},
    {"inclusiveGateway", ElementKind::INCLUSIVE_GATEWAY},
    {"eventBasedGateway", ElementKind::EVENT_BASED_GATEWAY},
    {"subProcess", ElementKind::SUB_PROCESS},
    {"callActivity", ElementKind::CALL_ACTIVITY},
};

// BPMN elements that carry no execution semantics for Zeebe: documentation, artifacts, data
// references, lanes. They are skipped without complaint.
constexpr std::string_view kIgnored[] = {
    "extensionElements",
    "documentation",
    "incoming",
    "outgoing",
    "laneSet",
    "textAnnotation",
    "dataObject",
    "dataObjectReference",
    "dataStoreReference",
    "property",
    "ioSpecification",
    "dataInputAssociation",
    "dataOutputAssociation",
    "group",
    "category",
    "auditing",
    "monitoring",
    "multiInstanceLoopCharacteristics",
};

bool is_ignored(std::string_view local) {
  return std::find(std::begin(kIgnored), std::end(kIgnored), local) != std::end(kIgnored);
}

std::string_view trim(std::string_view text) {
  const char* kSpace = " \t\r\n";
  auto first = text.find_first_not_of(kSpace);
  if (first == std::string_view::npos) return {};
  auto last = text.find_last_not_of(kSpace);
  return text.substr(first, last - first + 1);
}

bool is_activity_kind(ElementKind kind) {
  FlowElement probe;
  probe.kind = kind;
  return probe.is_activity();
}

}  // namespace

std::string_view local_name_in(pugi::xml_node node, std::string_view ns) {
  std::string_view qualified = node.name();
  std::string_view prefix;
  std::string_view local = qualified;
  if (auto colon = qualified.find(':'); colon != std::string_view::npos) {
    prefix = qualified.substr(0, colon);
    local = qualified.substr(colon + 1);
  }
  std::string declaration = prefix.empty() ? std::string("xmlns") : "xmlns:" + std::string(prefix);
  for (pugi::xml_node at = node; at; at = at.parent()) {
    if (at.type() != pugi::node_element) break;
    if (pugi::xml_attribute decl = at.attribute(declaration.c_str())) {
      return decl.value() == ns ? local : std::string_view{};
    }
  }
  return {};
}

pugi::xml_attribute attribute(pugi::xml_node node, std::string_view local) {
  // The unqualified attribute wins; a qualified one (other:name) is the fallback, except the
  // XML Schema instance and namespace declarations (xsi:type is not a "type").
  pugi::xml_attribute qualified;
  for (pugi::xml_attribute attr : node.attributes()) {
    std::string_view name = attr.name();
    if (name == local) return attr;
    auto colon = name.find(':');
    if (qualified || colon == std::string_view::npos || name.substr(colon + 1) != local) continue;
    std::string_view prefix = name.substr(0, colon);
    if (prefix != "xmlns" && prefix != "xsi") qualified = attr;
  }
  return qualified;
}

std::string text_of(pugi::xml_node node) {
  std::string text;
  for (pugi::xml_node child : node.children()) {
    if (child.type() == pugi::node_pcdata || child.type() == pugi::node_cdata) {
      text += child.value();
    }
  }
  return std::string(trim(text));
}

ModelBuilder::ModelBuilder(const DefinitionsIndex& definitions, const ParseOptions& options,
                           std::vector<Problem>& problems)
    : definitions_(definitions), options_(options), problems_(problems) {}

std::unique_ptr<ProcessModel> ModelBuilder::build(pugi::xml_node process) {
  model_ = std::make_unique<ProcessModel>();
  ElementIndex root = add_element(ElementKind::PROCESS, process, kNoElement, true);
  std::string_view executable = attribute(process, "isExecutable").value();
  model_->is_executable_ = executable.empty() || executable == "true";
  read_process_extensions(process);
  walk_scope(process, root);
  link();
  validate();
  index_ids();
  model_->strings_->seal();
  return std::move(model_);
}

void ModelBuilder::walk_scope(pugi::xml_node scope_node, ElementIndex scope) {
  for (pugi::xml_node child : scope_node.children()) {
    if (child.type() != pugi::node_element) continue;
    std::string_view local = local_name_in(child, kBpmnNamespace);
    if (local.empty()) continue;  // foreign extension content: not ours to judge
    walk_child(child, local, scope);
  }
}

void ModelBuilder::walk_child(pugi::xml_node child, std::string_view local, ElementIndex scope) {
  if (is_ignored(local)) return;
  if (local == "sequenceFlow") {
    add_sequence_flow(child, scope);
    return;
  }
  if (local == "association") {
    raw_associations_.emplace_back(attribute(child, "sourceRef").value(),
                                   attribute(child, "targetRef").value());
    return;
  }
  for (const auto& entry : kFlowNodeKinds) {
    if (entry.local == local) {
      add_flow_node(child, local, scope);
      return;
    }
  }
  std::string id = attribute(child, "id").value();
  if (id.empty()) id = at(scope).id;
  unsupported(id, "the element '" + std::string(local) + "' is not supported");
}

ElementIndex ModelBuilder::add_element(ElementKind kind, pugi::xml_node node, ElementIndex scope,
                                       bool register_id) {
  auto index = static_cast<ElementIndex>(model_->elements_.size());
  FlowElement element;
  element.index = index;
  element.kind = kind;
  element.flow_scope = scope;
  element.id = intern(attribute(node, "id").value());
  element.name = intern(attribute(node, "name").value());
  model_->elements_.push_back(std::move(element));
  std::string_view id = at(index).id;
  if (id.empty()) {
    std::string where = scope == kNoElement ? std::string("process") : std::string(at(scope).id);
    problem_at(where,
               "a <" + std::string(local_name_in(node, kBpmnNamespace)) + "> has no id attribute");
  } else if (register_id && !ids_.emplace(id, index).second) {
    problem(index, "the id is used by more than one element");
  }
  if (scope != kNoElement) at(scope).children.push_back(index);
  return index;
}

ElementIndex ModelBuilder::add_flow_node(pugi::xml_node node, std::string_view local,
                                         ElementIndex scope) {
  ElementKind kind = ElementKind::TASK;
  for (const auto& entry : kFlowNodeKinds) {
    if (entry.local == local) kind = entry.kind;
  }
  if (kind == ElementKind::SUB_PROCESS
      && std::string_view(attribute(node, "triggeredByEvent").value()) == "true") {
    kind = ElementKind::EVENT_SUB_PROCESS;
  }
  pugi::xml_node loop;
  for (pugi::xml_node child : node.children()) {
    std::string_view child_local = local_name_in(child, kBpmnNamespace);
    if (child_local == "multiInstanceLoopCharacteristics") loop = child;
    if (child_local == "standardLoopCharacteristics") {
      unsupported(attribute(node, "id").value(),
                  "standard loop characteristics are not supported; use multi-instance");
    }
  }
  ElementIndex carrier;
  ElementIndex inner;
  if (loop && is_activity_kind(kind) && kind != ElementKind::EVENT_SUB_PROCESS) {
    carrier = add_element(ElementKind::MULTI_INSTANCE_BODY, node, scope, true);
    read_loop(loop, carrier);
    inner = add_element(kind, node, carrier, false);
    at(carrier).inner_activity = inner;
  } else {
    carrier = add_element(kind, node, scope, true);
    inner = carrier;
    if (loop) problem(carrier, "this element cannot be multi-instance");
  }
  read_common(node, inner);
  if (pugi::xml_attribute def = attribute(node, "default")) {
    defaults_.push_back({carrier, def.value()});
  }
  if (std::string_view(attribute(node, "isForCompensation").value()) == "true") {
    at(carrier).is_for_compensation = true;
    at(inner).is_for_compensation = true;
  }
  if (kind == ElementKind::SUB_PROCESS || kind == ElementKind::EVENT_SUB_PROCESS) {
    if (kind == ElementKind::EVENT_SUB_PROCESS) at(scope).event_sub_processes.push_back(inner);
    if (++depth_ > kMaxScopeDepth) {
      problem(inner, "sub-processes are nested more than " + std::to_string(kMaxScopeDepth)
                         + " levels deep");
    } else {
      walk_scope(node, inner);
    }
    --depth_;
  }
  return carrier;
}

void ModelBuilder::read_common(pugi::xml_node node, ElementIndex index) {
  FlowElement& element = at(index);
  if (element.is_event()) element.event_type = EventType::NONE;
  if (element.kind == ElementKind::BOUNDARY_EVENT) {
    attachments_.push_back({index, attribute(node, "attachedToRef").value()});
    element.cancel_activity =
        std::string_view(attribute(node, "cancelActivity").value()) != "false";
  }
  if (element.kind == ElementKind::START_EVENT) {
    element.interrupting = std::string_view(attribute(node, "isInterrupting").value()) != "false";
    at(element.flow_scope).start_events.push_back(index);
  }
  if (element.kind == ElementKind::RECEIVE_TASK) {
    read_message(node, index);
  }
  for (pugi::xml_node child : node.children()) {
    if (local_name_in(child, kBpmnNamespace) == "extensionElements") read_extensions(child, index);
  }
  if (at(index).is_event()) read_event_definitions(node, index);
}

void ModelBuilder::add_sequence_flow(pugi::xml_node node, ElementIndex scope) {
  ElementIndex flow = add_element(ElementKind::SEQUENCE_FLOW, node, scope, true);
  // Flows are not children in the sense of "elements to activate"; keep children to flow nodes.
  at(scope).children.pop_back();
  flows_.push_back(
      {flow, attribute(node, "sourceRef").value(), attribute(node, "targetRef").value()});
  for (pugi::xml_node child : node.children()) {
    if (local_name_in(child, kBpmnNamespace) != "conditionExpression") continue;
    std::string text = text_of(child);
    if (text.empty()) continue;
    ValueOrExpression condition = value(text, flow, "conditionExpression");
    if (!condition.is_expression) {
      problem(flow, "the condition '" + text + "' must be a FEEL expression starting with '='");
    }
    at(flow).condition = std::move(condition);
  }
  for (pugi::xml_node child : node.children()) {
    if (local_name_in(child, kBpmnNamespace) == "extensionElements") read_extensions(child, flow);
  }
}

void ModelBuilder::read_process_extensions(pugi::xml_node process) {
  for (pugi::xml_node ext : process.children()) {
    if (local_name_in(ext, kBpmnNamespace) != "extensionElements") continue;
    for (pugi::xml_node child : ext.children()) {
      std::string_view local = local_name_in(child, kZeebeNamespace);
      if (local == "versionTag") {
        model_->version_tag_ = intern(attribute(child, "value").value());
      } else if (local == "userTaskForm") {
        model_->embedded_forms_.push_back(
            {intern(attribute(child, "id").value()), intern(text_of(child))});
      }
    }
    read_extensions(ext, 0);
  }
}

ValueOrExpression ModelBuilder::value(std::string_view raw, ElementIndex element,
                                      std::string_view attribute_name) {
  ValueOrExpression result;
  std::string_view trimmed = trim(raw);
  if (trimmed.empty() || trimmed.front() != '=') {
    result.text = intern(raw);
    return result;
  }
  result.is_expression = true;
  std::string_view source = trim(trimmed.substr(1));
  result.text = intern(source);
  if (source.empty()) {
    problem(element, "the expression of '" + std::string(attribute_name) + "' is empty");
    return result;
  }
  if (options_.compile_expressions) {
    // The same source text (interned, so equal text is the same view) compiles once per process.
    if (auto cached = compiled_.find(result.text); cached != compiled_.end()) {
      result.compiled = cached->second;
      return result;
    }
    auto compiled = feel::Expression::compile(source);
    if (!compiled.ok()) {
      const feel::Error& cause = compiled.error();
      problem(element, "the expression of '" + std::string(attribute_name) + "' is invalid: '"
                           + std::string(source) + "': " + cause.message + " at position "
                           + std::to_string(cause.position));
    } else {
      result.compiled = std::make_shared<const feel::Expression>(std::move(compiled).value());
      compiled_.emplace(result.text, result.compiled);
    }
  }
  return result;
}

void ModelBuilder::problem(ElementIndex element, std::string message) {
  problem_at(at(element).id, std::move(message));
}

void ModelBuilder::problem_at(std::string_view element_id, std::string message) {
  problems_.push_back({ProblemKind::kInvalid, std::string(element_id), std::move(message)});
}

void ModelBuilder::unsupported(std::string_view element_id, std::string message) {
  problems_.push_back({ProblemKind::kUnsupported, std::string(element_id), std::move(message)});
}

std::optional<ElementIndex> ModelBuilder::lookup(std::string_view id) const {
  auto it = ids_.find(id);
  if (it == ids_.end()) return std::nullopt;
  return it->second;
}

void ModelBuilder::index_ids() {
  auto& by_id = model_->by_id_;
  by_id.reserve(ids_.size());
  for (const auto& [id, index] : ids_)
    by_id.emplace_back(id, index);
  std::sort(by_id.begin(), by_id.end());
}

}  // namespace tern::engine::bpmn
