#pragma once

// Internal to tern_bpmn: builds one ProcessModel from a <process> element. Used by parser.cc.
//
// Four passes, each linear in the document: walk (parse_walk.cc: create elements in document
// order, read attributes and extensions), link (model_link.cc: resolve sourceRef, targetRef,
// attachedToRef, default, link names, compensation associations), validate (model_validate.cc:
// the rules Zeebe checks at deployment), then index (sorted id table). Problems are collected,
// never thrown, so one rejection reports them all.
//
// Lifetime: one builder per process per parse call, on the parsing thread.

#include <memory>
#include <pugixml.hpp>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "engine/bpmn/error.h"
#include "engine/bpmn/model.h"
#include "engine/bpmn/parser.h"

namespace tern::engine::bpmn {

inline constexpr std::string_view kBpmnNamespace = "http://www.omg.org/spec/BPMN/20100524/MODEL";
inline constexpr std::string_view kZeebeNamespace = "http://camunda.org/schema/zeebe/1.0";

// The local name of `node` when it is in namespace `ns` (prefix resolved through the xmlns
// declarations of the node and its ancestors), else empty.
std::string_view local_name_in(pugi::xml_node node, std::string_view ns);
// An attribute by local name, ignoring any prefix (BPMN attributes are unqualified, but some
// tools qualify them).
pugi::xml_attribute attribute(pugi::xml_node node, std::string_view local);
// Text content of a node (all text and CDATA children), trimmed.
std::string text_of(pugi::xml_node node);

// Definitions-level elements referenced from events by id.
struct DefinitionsIndex {
  struct Entry {
    std::string_view name;  // message/signal name, error/escalation code
    bool has_name = false;
    std::string_view correlation_key;  // messages: zeebe:subscription correlationKey
  };
  std::unordered_map<std::string_view, Entry> messages;
  std::unordered_map<std::string_view, Entry> errors;
  std::unordered_map<std::string_view, Entry> escalations;
  std::unordered_map<std::string_view, Entry> signals;
};

class ModelBuilder {
 public:
  ModelBuilder(const DefinitionsIndex& definitions, const ParseOptions& options,
               std::vector<Problem>& problems);

  // Always returns a model; whether it is usable is told by the problems added.
  std::unique_ptr<ProcessModel> build(pugi::xml_node process);

 private:
  struct PendingFlow {
    ElementIndex flow;
    std::string_view source_ref;
    std::string_view target_ref;
  };
  struct PendingRef {
    ElementIndex element;
    std::string_view ref;
  };

  // --- walk (parse_walk.cc)
  void walk_scope(pugi::xml_node scope_node, ElementIndex scope);
  void walk_child(pugi::xml_node child, std::string_view local, ElementIndex scope);
  ElementIndex add_flow_node(pugi::xml_node node, std::string_view local, ElementIndex scope);
  ElementIndex add_element(ElementKind kind, pugi::xml_node node, ElementIndex scope,
                           bool register_id);
  void add_sequence_flow(pugi::xml_node node, ElementIndex scope);
  void read_common(pugi::xml_node node, ElementIndex index);
  void read_process_extensions(pugi::xml_node process);

  // --- extensions and event definitions (parse_extensions.cc)
  void read_extensions(pugi::xml_node extensions, ElementIndex index);
  void read_event_definitions(pugi::xml_node node, ElementIndex index);
  void read_message(pugi::xml_node definition, ElementIndex index);
  void read_timer(pugi::xml_node definition, ElementIndex index);
  void read_error(pugi::xml_node definition, ElementIndex index);
  void read_escalation(pugi::xml_node definition, ElementIndex index);
  void read_signal(pugi::xml_node definition, ElementIndex index);
  void read_loop(pugi::xml_node loop, ElementIndex body);

  // --- link and validate (model_link.cc, model_validate.cc)
  void link();
  void link_flows();
  void link_boundaries();
  void link_defaults();
  void link_links();
  void link_compensation();
  void link_awaited_events();
  void validate();
  void validate_scope(const FlowElement& scope);
  void validate_element(const FlowElement& element);
  void validate_start_event(const FlowElement& element);
  void validate_boundary_triggers(const FlowElement& activity);
  void validate_event_definition(const FlowElement& element);
  void validate_gateway(const FlowElement& element);
  void validate_task(const FlowElement& element);
  void index_ids();

  // --- helpers (parse_walk.cc)
  FlowElement& at(ElementIndex index) { return model_->elements_[static_cast<std::size_t>(index)]; }
  std::string_view intern(std::string_view text) { return model_->strings_->intern(text); }
  // A static-or-expression value; expressions are compiled (when enabled) and a bad one is a
  // problem naming the element and the attribute.
  ValueOrExpression value(std::string_view raw, ElementIndex element, std::string_view attribute);
  void problem(ElementIndex element, std::string message);
  void problem_at(std::string_view element_id, std::string message);
  void unsupported(std::string_view element_id, std::string message);
  std::optional<ElementIndex> lookup(std::string_view id) const;

  // Sub-process nesting is bounded so that a hostile resource cannot exhaust the stack.
  static constexpr int kMaxScopeDepth = 64;

  const DefinitionsIndex& definitions_;
  const ParseOptions& options_;
  std::vector<Problem>& problems_;
  std::unique_ptr<ProcessModel> model_;
  std::unordered_map<std::string_view, ElementIndex> ids_;
  std::vector<PendingFlow> flows_;
  std::vector<PendingRef> defaults_;
  std::vector<PendingRef> attachments_;
  std::vector<PendingRef> activity_refs_;  // compensation activityRef
  std::vector<PendingRef> associations_;   // compensation boundary -> handler (by target id)
  std::vector<std::pair<std::string_view, std::string_view>> raw_associations_;
  int depth_ = 0;
  std::unordered_map<std::string_view, std::shared_ptr<const feel::Expression>> compiled_;
};

}  // namespace tern::engine::bpmn
