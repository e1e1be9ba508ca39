// ModelBuilder, second pass: resolve the references the walk recorded by id.

#include <map>
#include <string>

#include "engine/bpmn/model_builder.h"

namespace tern::engine::bpmn {

void ModelBuilder::link() {
  link_flows();
  link_boundaries();
  link_defaults();
  link_links();
  link_compensation();
  link_awaited_events();
}

void ModelBuilder::link_awaited_events() {
  for (FlowElement& element : model_->elements_) {
    auto& awaited = element.awaited_events;
    if (element.kind == ElementKind::INTERMEDIATE_CATCH_EVENT
        || element.kind == ElementKind::RECEIVE_TASK) {
      awaited.push_back(element.index);
    }
    awaited.insert(awaited.end(), element.boundary_events.begin(), element.boundary_events.end());
    if (element.is_scope()) {
      for (ElementIndex sub_process : element.event_sub_processes) {
        const auto& starts = at(sub_process).start_events;
        awaited.insert(awaited.end(), starts.begin(), starts.end());
      }
    }
    if (element.kind == ElementKind::EVENT_BASED_GATEWAY) {
      awaited.insert(awaited.end(), element.event_targets.begin(), element.event_targets.end());
    }
  }
}

void ModelBuilder::link_flows() {
  for (const PendingFlow& pending : flows_) {
    auto resolve = [&](std::string_view ref, std::string_view which) -> ElementIndex {
      if (ref.empty()) {
        problem(pending.flow, "the sequence flow has no " + std::string(which));
        return kNoElement;
      }
      auto index = lookup(ref);
      if (!index) {
        problem(pending.flow, "the " + std::string(which) + " '" + std::string(ref)
                                  + "' does not reference an existing element");
        return kNoElement;
      }
      if (at(*index).kind == ElementKind::SEQUENCE_FLOW
          || at(*index).kind == ElementKind::PROCESS) {
        problem(pending.flow,
                "the " + std::string(which) + " '" + std::string(ref) + "' is not a flow node");
        return kNoElement;
      }
      if (at(*index).flow_scope != at(pending.flow).flow_scope) {
        problem(pending.flow, "the " + std::string(which) + " '" + std::string(ref)
                                  + "' is in a different scope than the sequence flow");
        return kNoElement;
      }
      return *index;
    };
    ElementIndex source = resolve(pending.source_ref, "sourceRef");
    ElementIndex target = resolve(pending.target_ref, "targetRef");
    if (source == kNoElement || target == kNoElement) continue;
    at(pending.flow).source = source;
    at(pending.flow).target = target;
    at(source).outgoing.push_back(pending.flow);
    at(target).incoming.push_back(pending.flow);
  }
  for (FlowElement& element : model_->elements_) {
    if (element.kind != ElementKind::EVENT_BASED_GATEWAY) continue;
    for (ElementIndex flow : element.outgoing) {
      element.event_targets.push_back(model_->elements_[static_cast<std::size_t>(flow)].target);
    }
  }
}

void ModelBuilder::link_boundaries() {
  for (const PendingRef& pending : attachments_) {
    if (pending.ref.empty()) {
      problem(pending.element, "the boundary event has no attachedToRef");
      continue;
    }
    auto host = lookup(pending.ref);
    if (!host) {
      problem(pending.element, "attachedToRef '" + std::string(pending.ref)
                                   + "' does not reference an existing element");
      continue;
    }
    if (!at(*host).is_activity() || at(*host).kind == ElementKind::EVENT_SUB_PROCESS) {
      problem(pending.element,
              "attachedToRef '" + std::string(pending.ref) + "' must reference an activity");
      continue;
    }
    if (at(*host).flow_scope != at(pending.element).flow_scope) {
      problem(pending.element,
              "is attached to '" + std::string(pending.ref) + "', which is in a different scope");
      continue;
    }
    at(pending.element).attached_to = *host;
    at(*host).boundary_events.push_back(pending.element);
  }
}

void ModelBuilder::link_defaults() {
  for (const PendingRef& pending : defaults_) {
    if (pending.ref.empty()) continue;
    auto flow = lookup(pending.ref);
    if (!flow || at(*flow).kind != ElementKind::SEQUENCE_FLOW) {
      problem(pending.element, "the default flow '" + std::string(pending.ref)
                                   + "' does not reference an existing sequence flow");
      continue;
    }
    if (at(*flow).source != pending.element) {
      problem(pending.element, "the default flow '" + std::string(pending.ref)
                                   + "' must be an outgoing sequence flow of this element");
      continue;
    }
    at(pending.element).default_flow = *flow;
  }
}

void ModelBuilder::link_links() {
  // Link catch events by (scope, name); a throw jumps to the catch of its own scope.
  std::map<std::pair<ElementIndex, std::string_view>, ElementIndex> catches;
  for (const FlowElement& element : model_->elements_) {
    if (element.event_type != EventType::LINK) continue;
    if (element.link_name.empty()) {
      problem(element.index, "a link event must have a name");
      continue;
    }
    if (element.kind != ElementKind::INTERMEDIATE_CATCH_EVENT) continue;
    if (!catches.emplace(std::pair{element.flow_scope, element.link_name}, element.index).second) {
      problem(element.index, "another link catch event in the same scope is named '"
                                 + std::string(element.link_name) + "'");
    }
  }
  for (FlowElement& element : model_->elements_) {
    if (element.event_type != EventType::LINK
        || element.kind != ElementKind::INTERMEDIATE_THROW_EVENT || element.link_name.empty()) {
      continue;
    }
    auto it = catches.find({element.flow_scope, element.link_name});
    if (it == catches.end()) {
      problems_.push_back(
          {ProblemKind::kInvalid, std::string(element.id),
           "no link catch event named '" + std::string(element.link_name) + "' in the same scope"});
      continue;
    }
    element.link_target = it->second;
  }
}

void ModelBuilder::link_compensation() {
  for (const auto& [source_ref, target_ref] : raw_associations_) {
    auto source = lookup(source_ref);
    auto target = lookup(target_ref);
    if (!source || !target) continue;  // associations to annotations are not ours
    if (at(*source).kind != ElementKind::BOUNDARY_EVENT
        || at(*source).event_type != EventType::COMPENSATION) {
      continue;
    }
    if (!at(*target).is_for_compensation) {
      problem(*source, "the compensation handler '" + std::string(target_ref)
                           + "' must be marked isForCompensation");
      continue;
    }
    at(*source).compensation_handler = *target;
    if (ElementIndex host = at(*source).attached_to; host != kNoElement) {
      at(host).compensation_handler = *target;
    }
  }
  for (const PendingRef& pending : activity_refs_) {
    auto activity = lookup(pending.ref);
    if (!activity || !at(*activity).is_activity()) {
      problem(pending.element, "the compensation activityRef '" + std::string(pending.ref)
                                   + "' does not reference an activity");
      continue;
    }
    at(pending.element).compensation->activity = *activity;
  }
}

}  // namespace tern::engine::bpmn
