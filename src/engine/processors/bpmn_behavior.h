#pragma once

// The BPMN element lifecycle as Zeebe records it: ACTIVATE_ELEMENT -> ELEMENT_ACTIVATING ->
// ELEMENT_ACTIVATED -> (wait: job, children) -> COMPLETE_ELEMENT -> ELEMENT_COMPLETING ->
// ELEMENT_COMPLETED -> SEQUENCE_FLOW_TAKEN -> ACTIVATE_ELEMENT of the next element; and
// TERMINATE_ELEMENT -> ELEMENT_TERMINATING -> (children terminated) -> ELEMENT_TERMINATED.
// Elements that do not wait (start/end events, gateways, scripts, manual tasks) pass through all
// steps while one command is processed. A step that fails on user data (an expression, a
// mapping, no matching flow) raises an incident and stops where it is; resolving the incident
// runs the step again.
//
// Thread: the partition's strand; lives for one command.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "engine/bpmn/model.h"
#include "engine/processing/command_processor.h"
#include "engine/processors/variable_behavior.h"

namespace tern::engine {

// The incident error types Zeebe uses.
inline constexpr std::string_view kJobNoRetries = "JOB_NO_RETRIES";
inline constexpr std::string_view kConditionError = "CONDITION_ERROR";
inline constexpr std::string_view kExtractValueError = "EXTRACT_VALUE_ERROR";
inline constexpr std::string_view kIoMappingError = "IO_MAPPING_ERROR";
inline constexpr std::string_view kUnhandledErrorEvent = "UNHANDLED_ERROR_EVENT";
inline constexpr std::string_view kCalledElementError = "CALLED_ELEMENT_ERROR";
inline constexpr std::string_view kUnknownError = "UNKNOWN";

// The outgoing flows a completion takes: every one (nullopt), or only those listed (a gateway's
// choice; an empty list takes none).
using FlowChoice = std::optional<std::vector<bpmn::ElementIndex>>;

class BpmnBehavior {
 public:
  explicit BpmnBehavior(ProcessingContext& context) : ctx_(context), variables_(context) {}

  VariableBehavior& variables() { return variables_; }

  // The PROCESS_INSTANCE value of `element` as a child of the scope whose value is given.
  static ProcessInstanceValue child_value(const ProcessInstanceValue& scope_value, Key scope_key,
                                          const bpmn::FlowElement& element);

  // ACTIVATE_ELEMENT: writes ELEMENT_ACTIVATING and runs the element's activation.
  void activate(Key key, ProcessInstanceValue value);
  // The activation after ELEMENT_ACTIVATING (also when an incident of this step is resolved).
  void continue_activation(ElementInstance instance);
  // COMPLETE_ELEMENT: ELEMENT_COMPLETING and the completion.
  void complete(ElementInstance instance);
  // The completion after ELEMENT_COMPLETING (also when an incident of this step is resolved).
  // `only_flows` restricts the outgoing flows taken (an exclusive or inclusive gateway's choice).
  void continue_completion(ElementInstance instance, FlowChoice only_flows = std::nullopt);
  // TERMINATE_ELEMENT: ELEMENT_TERMINATING, cancels the element's job and incidents, terminates
  // children; ELEMENT_TERMINATED once none is left.
  void terminate(ElementInstance instance);

  void create_incident(const ElementInstance& instance, std::string_view error_type,
                       std::string message, Key job_key = kNoKey);

  std::shared_ptr<const bpmn::ProcessModel> model_of(const ProcessInstanceValue& value) const;

  // The instance whose child `instance` is: its flow scope, or for a process instance started by
  // a call activity, that call activity; kNoKey for a root process instance.
  static Key parent_of(const ElementInstance& instance);

 private:
  void transition(ElementInstance& instance, Intent intent);
  void complete_now(ElementInstance& instance, FlowChoice only_flows = std::nullopt);
  // Error and escalation end/intermediate throw events (catch_behavior.h).
  void throw_event(ElementInstance& instance, const bpmn::FlowElement& element);
  bool create_job(ElementInstance& instance, const bpmn::FlowElement& element);
  bool run_script(ElementInstance& instance, const bpmn::FlowElement& element);
  // An exclusive gateway's first flow whose condition holds, an inclusive gateway's every such
  // flow; else the default flow; else an incident (nullopt).
  FlowChoice choose_flows(ElementInstance& instance, const bpmn::ProcessModel& model,
                          const bpmn::FlowElement& gateway);
  void take_flows(const ElementInstance& instance, const bpmn::ProcessModel& model,
                  const bpmn::FlowElement& element, const FlowChoice& only_flows);
  void on_path_completed(Key scope_key);
  void on_child_terminated(Key scope_key);
  void answer_awaited_result(const ElementInstance& process_instance);
  // A terminated instance answers its create-with-result request with a rejection.
  void reject_awaited_result(const ElementInstance& process_instance);

  ProcessingContext& ctx_;
  VariableBehavior variables_;
};

}  // namespace tern::engine
