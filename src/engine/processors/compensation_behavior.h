#pragma once

// Compensation as Zeebe (8.5+) runs it:
//  * When an activity with a compensation boundary event completes, a COMPENSATION_SUBSCRIPTION
//    is CREATED for that completion (between ELEMENT_COMPLETING and ELEMENT_COMPLETED). A
//    completed sub-process or multi-instance body that holds subscriptions gets one too, without
//    a handler, so that compensation thrown outside reaches the activities inside it. Active or
//    terminated activities have no subscription, hence are never compensated.
//  * A compensation intermediate throw or end event is ACTIVATED, then triggers every
//    subscription of its flow scope that is not triggered yet (only those of its activityRef,
//    when it names one), and of the completed sub-processes below them: for each handler the
//    compensation boundary event is activated and completed, the handler is activated in the
//    throw event's flow scope (bpmnEventType COMPENSATION), and the subscription is TRIGGERED
//    with the throw event and the handler instance. The throw event waits; with nothing to
//    compensate it completes at once.
//  * When a handler completes, its subscription is COMPLETED, then the flow-scope
//    subscriptions whose activities are all compensated; when none of the throw event's
//    subscriptions is left, the throw event is completed (COMPLETE_ELEMENT).
//  * Subscriptions are DELETED when their process instance completes or is terminated, and
//    those inside a sub-process or multi-instance body when it is terminated.
//
// Thread: the partition's strand; lives for one command.

#include <vector>

#include "engine/bpmn/model.h"
#include "engine/processing/command_processor.h"
#include "engine/state/compensation_state.h"

namespace tern::engine {

class BpmnBehavior;

class CompensationBehavior {
 public:
  CompensationBehavior(ProcessingContext& context, BpmnBehavior& bpmn)
      : ctx_(context), bpmn_(bpmn) {}

  static bool is_compensation_throw(const bpmn::FlowElement& element);

  // An element is about to be ELEMENT_COMPLETED: creates its subscription when it is
  // compensable; a process instance deletes what is left of its subscriptions.
  void before_completed(const ElementInstance& instance, const bpmn::ProcessModel& model,
                        const bpmn::FlowElement& element);
  // An element has been ELEMENT_COMPLETED: a compensation handler completes its subscription
  // and, with the last one, the throw event that invoked it.
  void after_completed(const ElementInstance& instance, const bpmn::FlowElement& element);
  // An element is about to be ELEMENT_TERMINATED: a scope deletes the subscriptions inside it.
  void before_terminated(const ElementInstance& instance);

  // The ACTIVATED throw event triggers compensation; false when there was nothing to
  // compensate (the throw event then completes at once).
  bool throw_compensation(const ElementInstance& throw_event, const bpmn::ProcessModel& model,
                          const bpmn::FlowElement& element);

 private:
  // Triggers `subscription` (activating its handler, if it has one) and, below it, the
  // subscriptions of the activities it contained; returns the number of handlers activated.
  int trigger(const CompensationSubscriptionEntry& subscription,
              const std::vector<CompensationSubscriptionEntry>& untriggered,
              const ElementInstance& throw_event, const bpmn::ProcessModel& model);
  // Completes the handler-less subscription of the flow scope `scope_key` once nothing inside
  // it is left to compensate, and so on upwards.
  void complete_flow_scope(Key process_instance_key, Key scope_key);
  // Deletes the subscriptions inside the scope instance `scope_key`, and those below them.
  void delete_within(const std::vector<CompensationSubscriptionEntry>& subscriptions,
                     Key scope_key);

  ProcessingContext& ctx_;
  BpmnBehavior& bpmn_;
};

}  // namespace tern::engine
