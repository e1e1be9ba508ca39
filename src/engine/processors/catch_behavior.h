#pragma once

// Errors and escalations thrown inside a process instance, and event sub-processes.
//
// A thrown error or escalation looks for its catch event outward from the element instance that
// threw it: at each level, the event sub-processes of the scope (when the level is a scope) and
// the boundary events attached to the level's element; within one level a catch event with the
// thrown code wins over a catch-all one (no code); the first level with a match catches. The
// walk ends at the process instance (call activities will continue it in the parent instance).
//
// An event sub-process is triggered on the instance of the scope that contains it:
//  * interrupting: PROCESS_EVENT TRIGGERING is recorded on the scope, every other child of the
//    scope is terminated, and once the last one is gone PROCESS_EVENT TRIGGERED and the event
//    sub-process is activated (it starts at its start event);
//  * non-interrupting: the event sub-process is activated next to the running children, as often
//    as its event occurs.
// While an interrupting event sub-process is pending or running in a scope, no other event
// sub-process of that scope is triggered.
//
// Thread: the partition's strand; lives for one command.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/bpmn/model.h"
#include "engine/processing/command_processor.h"

namespace tern::engine {

class BpmnBehavior;

class CatchBehavior {
 public:
  CatchBehavior(ProcessingContext& context, BpmnBehavior& bpmn) : ctx_(context), bpmn_(bpmn) {}

  struct Catch {
    ElementInstance owner;  // the instance that holds the catch: attached activity or scope
    std::shared_ptr<const bpmn::ProcessModel> model;
    const bpmn::FlowElement* element = nullptr;  // the boundary event or event sub-process start
  };
  struct Search {
    std::optional<Catch> found;
    std::vector<std::string> available;  // ids of the catch events of that type on the way out
  };

  // The catch event of `type` (ERROR or ESCALATION) for `code`, searched outward from `from`.
  Search find(const ElementInstance& from, bpmn::EventType type, std::string_view code) const;

  // Triggers a found catch event with the event's variables.
  void trigger(const Catch& found, const Json& variables);

  // Throws an error with `code` from `from`. When it is caught, triggers the catch event (with
  // the error variables and the catch event's errorCode/errorMessage variables) and returns
  // true; otherwise raises an UNHANDLED_ERROR_EVENT incident on `from` and returns false.
  bool throw_error(const ElementInstance& from, std::string_view code, std::string_view message,
                   const Json& variables, Key job_key = kNoKey);

  // Throws an escalation with `code` from `from` (an intermediate throw or end event): writes
  // ESCALATION ESCALATED and triggers the catch event, or ESCALATION NOT_ESCALATED when nothing
  // catches it (not an incident). Returns whether the throwing element goes on (false when an
  // interrupting catch will terminate it).
  bool throw_escalation(const ElementInstance& from, const bpmn::FlowElement& thrower,
                        std::string_view code);

  // The start event `start` of an event sub-process of `scope` fired.
  void trigger_event_subprocess(const ElementInstance& scope, const bpmn::ProcessModel& model,
                                const bpmn::FlowElement& start, const Json& variables);

  // When the last child of `scope` is gone: activates the interrupting event sub-process that
  // waits for it, if any, and returns whether it did.
  bool activate_pending_event_subprocess(const ElementInstance& scope);

 private:
  // Whether an interrupting event sub-process is pending or running in `scope`.
  bool interrupted_by_event_subprocess(const ElementInstance& scope,
                                       const bpmn::ProcessModel& model) const;
  void activate_event_subprocess(const ElementInstance& scope, const bpmn::ProcessModel& model,
                                 const bpmn::FlowElement& start, const Json& variables);

  ProcessingContext& ctx_;
  BpmnBehavior& bpmn_;
};

// The start event of an event sub-process (its flow scope is an EVENT_SUB_PROCESS).
bool is_event_subprocess_start(const bpmn::ProcessModel& model, const bpmn::FlowElement& element);

}  // namespace tern::engine
