#pragma once

// Catch events of the element lifecycle: the subscriptions an element opens when it is activated
// (its own timer or message catch, and those of its boundary events), closing them when it
// leaves, and what happens when one of them is triggered:
//  * an intermediate catch event (or receive task) completes;
//  * an interrupting boundary event records the trigger (PROCESS_EVENT TRIGGERING), terminates
//    the activity and, once it is terminated, activates the boundary event (TRIGGERED);
//  * a non-interrupting boundary event is activated next to the running activity;
//  * a start event creates a process instance that begins at that event.
// Timers fire from the leader's clock only: the stream processor's due-date checker writes TIMER
// TRIGGER commands; nothing here reads a clock (times come from the command being processed).
//
// Thread: the partition's strand; lives for one command.

#include <optional>

#include "engine/bpmn/model.h"
#include "engine/processing/command_processor.h"
#include "engine/processors/variable_behavior.h"
#include "engine/state/event_state.h"

namespace tern::engine {

class BpmnBehavior;

class EventBehavior {
 public:
  EventBehavior(ProcessingContext& context, BpmnBehavior& bpmn);

  // Opens the subscriptions of `element` (own catch definition, boundary events) for `instance`.
  // Evaluates every expression first; on failure raises an incident, writes nothing else and
  // returns false.
  bool subscribe(const ElementInstance& instance, const bpmn::ProcessModel& model,
                 const bpmn::FlowElement& element);
  // Cancels every timer, message and signal subscription `instance` holds; looks for them only
  // when its element waits for events (FlowElement::awaited_events).
  void unsubscribe(const ElementInstance& instance);
  // Cancels every timer, message and signal subscription `instance_key` holds.
  void unsubscribe(Key instance_key);
  // After ELEMENT_TERMINATED of `instance`: activates the interrupting boundary event that
  // terminated it, if any.
  void on_terminated(const ElementInstance& instance);
  // An event-based gateway completing: consumes the event that won (PROCESS_EVENT TRIGGERED),
  // hands its variables to the flow scope and returns the flow to take to that event.
  std::optional<bpmn::ElementIndex> take_gateway_trigger(const ElementInstance& gateway,
                                                         const bpmn::ProcessModel& model,
                                                         const bpmn::FlowElement& element);
  // A catch event after an event-based gateway: its event already happened (the gateway waited
  // for it), so it opens nothing and passes.
  static bool entered_by_event_gateway(const bpmn::ProcessModel& model,
                                       const bpmn::FlowElement& element);
  // When a PROCESS (or sub-process) instance starts: the start event chosen by a trigger (timer
  // or message start), consuming it; nullopt when it starts at its none start event.
  std::optional<bpmn::ElementIndex> take_start_trigger(const ElementInstance& instance,
                                                       const bpmn::ProcessModel& model);

  // The catch event `catch_element` held by `owner` fired with `variables`.
  void trigger(const ElementInstance& owner, const bpmn::ProcessModel& model,
               const bpmn::FlowElement& catch_element, const Json& variables);
  // A start event of the process fired: creates an instance beginning at it.
  // Returns the new process instance key.
  Key start_instance(Key definition_key, const bpmn::FlowElement& start_event,
                     const Json& variables);

  // Deployment: schedules the timer start events of a new process version and cancels those of
  // the version it replaces.
  void on_process_deployed(Key definition_key, const bpmn::ProcessModel& model,
                           std::optional<Key> previous_key);

  // TIMER TRIGGER of a cycle: writes the next timer when repetitions remain.
  void reschedule(const TimerEntry& fired, const bpmn::ProcessModel& model);

 private:
  struct PlannedTimer {
    const bpmn::FlowElement* element;
    bpmn::TimerValue value;
    std::int64_t due_ms;
  };
  // Evaluates a catch event's timer for `scope_key`; an error text on failure.
  Result<PlannedTimer, std::string> plan_timer(const bpmn::FlowElement& element, Key scope_key);
  void create_timer(const PlannedTimer& plan, Key instance_key, Key process_instance_key,
                    Key definition_key);

  ProcessingContext& ctx_;
  BpmnBehavior& bpmn_;
};

}  // namespace tern::engine
