#pragma once

// Multi-instance activities as Zeebe runs them: a MULTI_INSTANCE_BODY element instance holds one
// inner instance of the activity per item of the input collection, all at once (parallel) or one
// after the other (sequential).
//  * Body activation evaluates `inputCollection` (an incident EXTRACT_VALUE_ERROR when it is not
//    a list), sets `outputCollection` local to the body as a list of nulls of the same size, and
//    activates the inner instances (all, or the first); an empty collection completes the body.
//  * An inner instance, while activating, gets local `inputElement` (the item), `loopCounter`
//    (1-based) and, when `outputElement` names a variable, that variable as null (so that a job's
//    result lands in the inner instance instead of an outer scope).
//  * An inner instance, while completing, writes `outputElement` into `outputCollection` at its
//    position, and evaluates `completionCondition`, which also sees numberOfInstances (inner
//    instances activated so far), numberOfActiveInstances, numberOfCompletedInstances (this one
//    included) and numberOfTerminatedInstances.
//  * When the condition holds, the other inner instances are terminated and the body completes;
//    otherwise a sequential body activates the next item, and a body with nothing left completes.
// The body's counters live on its ElementInstance (loop_counter, completed_inner,
// terminated_inner), maintained by the appliers from the inner instances' lifecycle events.
//
// Thread: the partition's strand; lives for one command.

#include <cstddef>
#include <optional>

#include "engine/bpmn/model.h"
#include "engine/processing/command_processor.h"

namespace tern::engine {

class BpmnBehavior;

class MultiInstanceBehavior {
 public:
  MultiInstanceBehavior(ProcessingContext& context, BpmnBehavior& bpmn)
      : ctx_(context), bpmn_(bpmn) {}

  // True when `element` is the inner activity of a multi-instance body.
  static bool is_inner(const bpmn::ProcessModel& model, const bpmn::FlowElement& element);

  // Body activating: the number of inner instances to run, with the output collection set; or
  // nullopt after raising an incident on the body.
  std::optional<std::size_t> prepare_body(const ElementInstance& body,
                                          const bpmn::FlowElement& body_element);
  // Body activated with `total` items: activates the inner instances (all, or the first).
  void start_inner(const ElementInstance& body, const bpmn::ProcessModel& model,
                   const bpmn::FlowElement& body_element, std::size_t total);

  // Inner activating: sets the loop variables; false after raising an incident on the inner.
  bool on_inner_activating(const ElementInstance& inner, const bpmn::FlowElement& body_element);

  struct Outcome {
    bool condition_met = false;  // completionCondition evaluated to true
    bool more_items = false;     // items whose inner instance was not activated yet
  };
  // Inner completing (before ELEMENT_COMPLETED): output collection and completion condition;
  // nullopt after raising an incident on the inner.
  std::optional<Outcome> on_inner_completing(const ElementInstance& inner,
                                             const bpmn::FlowElement& body_element);
  // After ELEMENT_COMPLETED of an inner instance of `body_key`.
  void on_inner_completed(Key body_key, const bpmn::ProcessModel& model,
                          const bpmn::FlowElement& body_element, const Outcome& outcome);
  // After ELEMENT_TERMINATED of an inner instance of the active body (the completion condition
  // held): the body completes when the last one is gone.
  void on_inner_terminated(const ElementInstance& body);

 private:
  // The input collection evaluated in `scope_key`; an error text when it is not a list.
  Result<Json, std::string> input_collection(const bpmn::FlowElement& body_element, Key scope_key);

  ProcessingContext& ctx_;
  BpmnBehavior& bpmn_;
};

}  // namespace tern::engine
