#pragma once

// The executable BPMN model: what a deployed resource becomes after parsing, and what the engine
// runtime interprets. One ProcessModel per <process>; a Definitions holds all of one resource.
//
// Shape: a process is a flat vector of FlowElement, navigated by integer index (ElementIndex).
// Index 0 is always the PROCESS element itself. Strings (ids, names, expressions) are interned once
// per process in a StringPool the ProcessModel owns, and elements hold std::string_view into it,
// so a deployed process costs one allocation per distinct string plus the element vector.
// Kind-specific data hangs off unique_ptr members that are null when not applicable, so a plain
// task costs little more than its common fields.
//
// Threading: built once by the parser on the deploying thread, then immutable and shared
// (std::shared_ptr<const ProcessModel>) by any number of partition strands without locks.
//
// Invariants (established by the parser, see parser.h):
//  * elements()[i].index == i; elements()[0].kind == ElementKind::PROCESS.
//  * every ElementIndex stored in an element is kNoElement or a valid index of the same process.
//  * a multi-instance activity is two elements sharing one id: the MULTI_INSTANCE_BODY, which sits
//    in the flow (incoming/outgoing, boundary events, lookup by id), and the inner activity whose
//    flow_scope is the body (body.inner_activity). This mirrors the records Zeebe writes.
//  * the string_views stay valid for as long as the ProcessModel lives (moves included).

#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "engine/bpmn/timer.h"

namespace tern::feel {
class Expression;  // engine/feel/feel.h; compiled once per deployment when the value is `=...`.
}

namespace tern::engine::bpmn {

// Position of an element in ProcessModel::elements(); kNoElement when absent.
using ElementIndex = std::int32_t;
inline constexpr ElementIndex kNoElement = -1;

// bpmnElementType as Zeebe writes it in records (to_string gives the exact name).
enum class ElementKind : std::uint8_t {
  PROCESS,
  START_EVENT,
  END_EVENT,
  INTERMEDIATE_CATCH_EVENT,
  INTERMEDIATE_THROW_EVENT,
  BOUNDARY_EVENT,
  SERVICE_TASK,
  USER_TASK,
  SEND_TASK,
  RECEIVE_TASK,
  BUSINESS_RULE_TASK,
  SCRIPT_TASK,
  MANUAL_TASK,
  TASK,
  EXCLUSIVE_GATEWAY,
  PARALLEL_GATEWAY,
  INCLUSIVE_GATEWAY,
  EVENT_BASED_GATEWAY,
  SUB_PROCESS,
  EVENT_SUB_PROCESS,
  CALL_ACTIVITY,
  MULTI_INSTANCE_BODY,
  SEQUENCE_FLOW,
};
inline constexpr std::size_t kElementKindCount = 23;

// bpmnEventType as Zeebe writes it. UNSPECIFIED for elements that are not events.
enum class EventType : std::uint8_t {
  UNSPECIFIED,
  NONE,
  MESSAGE,
  TIMER,
  ERROR,
  ESCALATION,
  SIGNAL,
  LINK,
  COMPENSATION,
  TERMINATE,
  CONDITIONAL,
};
inline constexpr std::size_t kEventTypeCount = 11;

std::string_view to_string(ElementKind kind);  // "SERVICE_TASK", "MULTI_INSTANCE_BODY", ...
std::string_view to_string(EventType type);    // "NONE", "TIMER", ...
std::optional<ElementKind> element_kind_from_string(std::string_view name);
std::optional<EventType> event_type_from_string(std::string_view name);

// An attribute that is either a static value or a FEEL expression (`=` prefix in the XML).
// `text` is the static value, or the expression source without the leading `=`.
// `compiled` is set for expressions once FEEL is available (compiled once per deployment);
// it is null for static values.
struct ValueOrExpression {
  std::string_view text;
  bool is_expression = false;
  std::shared_ptr<const feel::Expression> compiled;

  bool empty() const { return text.empty() && !is_expression; }
};

struct Header {  // zeebe:header, kept in document order
  std::string_view key;
  std::string_view value;
};

struct Property {  // zeebe:property
  std::string_view name;
  std::string_view value;
};

// zeebe:taskDefinition: the job a service-like element creates.
struct JobDefinition {
  ValueOrExpression type;
  ValueOrExpression retries;  // "3" when the attribute is absent, as Zeebe defaults
};

struct Mapping {  // zeebe:input / zeebe:output
  ValueOrExpression source;
  std::string_view target;  // a variable name or dotted path
};

struct IoMapping {
  std::vector<Mapping> inputs;
  std::vector<Mapping> outputs;
};

struct ScriptDefinition {  // zeebe:script (FEEL script task)
  ValueOrExpression expression;
  std::string_view result_variable;
};

struct CalledElement {  // zeebe:calledElement
  ValueOrExpression process_id;
  bool propagate_all_child_variables = true;
  bool propagate_all_parent_variables = true;
  std::string_view binding_type;  // "latest" unless given
};

struct CalledDecision {  // zeebe:calledDecision
  ValueOrExpression decision_id;
  std::string_view result_variable;
  std::string_view binding_type;
};

// User task data: zeebe:userTask marks a Zeebe-native user task; without it the user task is a
// job of type "io.camunda.zeebe:userTask" with the data in job headers (Zeebe's legacy form).
struct UserTaskDefinition {
  bool native = false;  // zeebe:userTask present
  ValueOrExpression assignee;
  ValueOrExpression candidate_groups;
  ValueOrExpression candidate_users;
  ValueOrExpression due_date;        // zeebe:taskSchedule
  ValueOrExpression follow_up_date;  // zeebe:taskSchedule
  ValueOrExpression priority;        // zeebe:priorityDefinition
  std::string_view form_key;         // zeebe:formDefinition formKey (or legacy userTaskForm ref)
  ValueOrExpression form_id;         // zeebe:formDefinition formId
  ValueOrExpression external_reference;
};

enum class ExecutionListenerEvent : std::uint8_t { START, END };

struct ExecutionListener {  // zeebe:executionListener, in document order
  ExecutionListenerEvent event = ExecutionListenerEvent::START;
  ValueOrExpression type;
  ValueOrExpression retries;
};

struct TaskListener {  // zeebe:taskListener; event as written ("assignment", "complete", ...)
  std::string_view event;
  ValueOrExpression type;
  ValueOrExpression retries;
};

// Event definitions. Definitions-level references (messageRef, errorRef, ...) are resolved at
// parse time and copied in, so the runtime never looks them up.
struct MessageDefinition {
  std::string_view message_id;        // the bpmn:message id
  ValueOrExpression name;             // message name
  ValueOrExpression correlation_key;  // zeebe:subscription; empty on start events
};

struct TimerDefinition {
  TimerKind kind = TimerKind::DURATION;
  ValueOrExpression value;
  // Parsed at deployment for static values; absent for expressions (evaluated at runtime and then
  // parsed with parse_timer_value from timer.h).
  std::optional<TimerValue> static_value;
};

struct ErrorDefinition {
  std::string_view error_id;                // empty: a catch-all error catch event
  ValueOrExpression error_code;             // empty on catch-all
  std::string_view error_code_variable;     // zeebe:errorEventDefinition (catch side)
  std::string_view error_message_variable;  // zeebe:errorEventDefinition (catch side)
};

struct EscalationDefinition {
  std::string_view escalation_id;  // empty: catch-all
  ValueOrExpression escalation_code;
};

struct SignalDefinition {
  std::string_view signal_id;
  ValueOrExpression name;
};

struct CompensationDefinition {
  ElementIndex activity = kNoElement;  // activityRef on throw; kNoElement: compensate the scope
  bool wait_for_completion = true;
};

struct LoopCharacteristics {  // multi-instance (zeebe:loopCharacteristics)
  bool is_sequential = false;
  ValueOrExpression input_collection;  // an expression
  std::string_view input_element;      // variable name, may be empty
  std::string_view output_collection;  // variable name, may be empty
  ValueOrExpression output_element;    // expression, may be empty
  ValueOrExpression completion_condition;
};

// One node or edge of the graph. Fields that do not apply to the kind keep their defaults.
struct FlowElement {
  ElementIndex index = kNoElement;
  std::string_view id;
  std::string_view name;
  ElementKind kind = ElementKind::TASK;
  EventType event_type = EventType::UNSPECIFIED;

  // The element whose instance contains this one: the process, a (event) sub-process, or the
  // multi-instance body for its inner activity. kNoElement for the PROCESS element.
  ElementIndex flow_scope = kNoElement;

  // Flow nodes: sequence flows in and out, in document order.
  std::vector<ElementIndex> incoming;
  std::vector<ElementIndex> outgoing;
  ElementIndex default_flow = kNoElement;  // gateways (and activities with `default`)

  // SEQUENCE_FLOW
  ElementIndex source = kNoElement;
  ElementIndex target = kNoElement;
  std::optional<ValueOrExpression> condition;

  // Scopes (PROCESS, SUB_PROCESS, EVENT_SUB_PROCESS): direct child flow nodes (not sequence flows)
  // and their start events. A MULTI_INSTANCE_BODY's only child is its inner activity.
  std::vector<ElementIndex> children;
  ElementIndex none_start_event = kNoElement;  // the none start event, if any
  std::vector<ElementIndex> start_events;      // every start event directly in the scope
  std::vector<ElementIndex> event_sub_processes;

  // Activities: attached boundary events (on the MI body when multi-instance).
  std::vector<ElementIndex> boundary_events;
  bool is_for_compensation = false;
  ElementIndex compensation_handler = kNoElement;  // via compensation boundary + association

  // BOUNDARY_EVENT
  ElementIndex attached_to = kNoElement;
  bool cancel_activity = true;

  // START_EVENT of an EVENT_SUB_PROCESS
  bool interrupting = true;

  // MULTI_INSTANCE_BODY: the wrapped activity and the loop.
  ElementIndex inner_activity = kNoElement;
  std::unique_ptr<LoopCharacteristics> loop;

  // EVENT_BASED_GATEWAY: the intermediate catch events its outgoing flows lead to, in flow order.
  std::vector<ElementIndex> event_targets;

  // The catch events an instance of this element waits for while it is active, and so the only
  // ones it can hold subscriptions (timers, messages, signals) for: its own event (intermediate
  // catch event, receive task), its boundary events, the start events of its event sub-processes
  // (a scope), and the events an event-based gateway waits for, in that order. Empty for most
  // elements, which then need not look for subscriptions at all. Computed once per model.
  std::vector<ElementIndex> awaited_events;

  // LINK throw events: the catch event with the same link name in the same scope.
  std::string_view link_name;
  ElementIndex link_target = kNoElement;

  std::unique_ptr<JobDefinition> job;                // service-like tasks, job-based events
  std::vector<Header> task_headers;                  // zeebe:taskHeaders
  std::unique_ptr<IoMapping> io_mapping;             // zeebe:ioMapping
  std::unique_ptr<ScriptDefinition> script;          // zeebe:script
  std::unique_ptr<CalledElement> called_element;     // CALL_ACTIVITY
  std::unique_ptr<CalledDecision> called_decision;   // BUSINESS_RULE_TASK (DMN)
  std::unique_ptr<UserTaskDefinition> user_task;     // USER_TASK
  std::unique_ptr<MessageDefinition> message;        // event_type MESSAGE, RECEIVE_TASK
  std::unique_ptr<TimerDefinition> timer;            // event_type TIMER
  std::unique_ptr<ErrorDefinition> error;            // event_type ERROR
  std::unique_ptr<EscalationDefinition> escalation;  // event_type ESCALATION
  std::unique_ptr<SignalDefinition> signal;          // event_type SIGNAL
  std::unique_ptr<CompensationDefinition>
      compensation;  // event_type COMPENSATION (activityRef: throw)
  std::vector<ExecutionListener> execution_listeners;
  std::vector<TaskListener> task_listeners;
  std::vector<Property> properties;

  bool is_flow_node() const { return kind != ElementKind::SEQUENCE_FLOW; }
  bool is_activity() const;
  bool is_gateway() const;
  bool is_event() const;
  bool is_scope() const;  // PROCESS, SUB_PROCESS, EVENT_SUB_PROCESS, MULTI_INSTANCE_BODY
};

// Interns strings once per process; views stay valid while the pool lives (deque never moves
// its elements on push_back).
class StringPool {
 public:
  std::string_view intern(std::string_view text);
  std::size_t size() const { return strings_.size(); }
  void seal() { index_ = {}; }  // drop the lookup table once building is done

 private:
  std::deque<std::string> strings_;
  std::unordered_set<std::string_view> index_;
};

// A legacy embedded form (zeebe:userTaskForm) referenced as "camunda-forms:bpmn:<id>".
struct EmbeddedForm {
  std::string_view id;
  std::string_view json;
};

// One executable process. Immutable after the parser has built it.
class ProcessModel {
 public:
  ProcessModel();
  ProcessModel(ProcessModel&&) noexcept = default;
  ProcessModel& operator=(ProcessModel&&) noexcept = default;
  ProcessModel(const ProcessModel&) = delete;
  ProcessModel& operator=(const ProcessModel&) = delete;

  std::string_view bpmn_process_id() const { return process().id; }
  std::string_view name() const { return process().name; }
  std::string_view version_tag() const { return version_tag_; }
  bool is_executable() const { return is_executable_; }

  const FlowElement& process() const { return elements_[0]; }
  std::span<const FlowElement> elements() const { return elements_; }
  std::size_t size() const { return elements_.size(); }
  const FlowElement& element(ElementIndex index) const;

  // Lookup by BPMN id; for a multi-instance activity this is the body. O(log n).
  std::optional<ElementIndex> index_of(std::string_view id) const;
  const FlowElement* find(std::string_view id) const;
  // The element an element-instance record is about, from its elementId and bpmnElementType:
  // the id alone names a multi-instance body, whose inner activity's records carry the inner
  // kind (records of the body say MULTI_INSTANCE_BODY).
  const FlowElement* find_instance_element(std::string_view id,
                                           std::string_view bpmn_element_type) const;

  // Top-level start events by trigger (all in document order).
  ElementIndex none_start_event() const { return process().none_start_event; }
  const std::vector<ElementIndex>& start_events() const { return process().start_events; }
  std::vector<ElementIndex> start_events_of(EventType type) const;
  const std::vector<ElementIndex>& event_sub_processes() const {
    return process().event_sub_processes;
  }

  const std::vector<EmbeddedForm>& embedded_forms() const { return embedded_forms_; }

 private:
  friend class ModelBuilder;  // the parser's builder fills the fields below

  std::unique_ptr<StringPool> strings_;
  std::vector<FlowElement> elements_;
  std::vector<std::pair<std::string_view, ElementIndex>> by_id_;  // sorted by id
  std::string_view version_tag_;
  bool is_executable_ = true;
  std::vector<EmbeddedForm> embedded_forms_;
};

// Definitions-level elements, kept for reference (events already carry the resolved values).
struct NamedDefinition {
  std::string id;
  std::string name;  // message/signal name, error/escalation code
};

// Everything one deployed resource holds.
struct Definitions {
  std::vector<std::shared_ptr<const ProcessModel>> processes;
  std::vector<NamedDefinition> messages;
  std::vector<NamedDefinition> errors;
  std::vector<NamedDefinition> escalations;
  std::vector<NamedDefinition> signals;

  const ProcessModel* find_process(std::string_view bpmn_process_id) const;
};

}  // namespace tern::engine::bpmn
