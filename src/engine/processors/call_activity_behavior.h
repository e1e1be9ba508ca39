#pragma once

// Call activities: a call activity starts an instance of another process (the latest version of
// `zeebe:calledElement processId`, static or a FEEL expression) and waits for it.
//  * The child is a new process instance on the same partition whose records carry
//    parentProcessInstanceKey and parentElementInstanceKey; with propagateAllParentVariables
//    (the default) it starts with every variable visible from the call activity, else only with
//    the call activity's local variables (its input mappings).
//  * The child's completion completes the call activity: its variables are propagated from the
//    call activity (propagateAllChildVariables, the default), or kept local to it for the output
//    mappings to pick from.
//  * The state lists the child among the call activity's children, so terminating the call
//    activity (cancel, an interrupting event) terminates the child first.
//  * Incidents inside the child are the child's; errors and escalations the child does not catch
//    continue their search at the call activity (catch_behavior.h).
//  * A process id that does not resolve to a deployed process with a none start event raises a
//    CALLED_ELEMENT_ERROR incident on the call activity.
//
// Thread: the partition's strand; lives for one command.

#include <optional>

#include "engine/bpmn/model.h"
#include "engine/processing/command_processor.h"

namespace tern::engine {

class BpmnBehavior;

class CallActivityBehavior {
 public:
  CallActivityBehavior(ProcessingContext& context, BpmnBehavior& bpmn)
      : ctx_(context), bpmn_(bpmn) {}

  // The process definition `element` calls, or nullopt after raising an incident.
  std::optional<Key> resolve(const ElementInstance& instance, const bpmn::FlowElement& element);
  // After the call activity's ELEMENT_ACTIVATED: creates the child instance.
  void start_child(const ElementInstance& instance, const bpmn::FlowElement& element,
                   Key definition_key);
  // After the child process instance's ELEMENT_COMPLETED: hands its variables (collected before
  // they were removed with it) to the call activity and completes it.
  void on_child_completed(const ElementInstance& child, const Json& variables);

 private:
  ProcessingContext& ctx_;
  BpmnBehavior& bpmn_;
};

}  // namespace tern::engine
