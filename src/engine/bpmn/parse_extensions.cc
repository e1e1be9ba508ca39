// ModelBuilder: Zeebe extension elements, event definitions and multi-instance loops.

#include <string>

#include "engine/bpmn/model_builder.h"

namespace tern::engine::bpmn {
namespace {

std::string_view attr(pugi::xml_node node, std::string_view local) {
  return attribute(node, local).value();
}

bool flag(pugi::xml_node node, std::string_view local, bool fallback) {
  pugi::xml_attribute a = attribute(node, local);
  if (!a) return fallback;
  return std::string_view(a.value()) == "true";
}

}  // namespace

void ModelBuilder::read_extensions(pugi::xml_node extensions, ElementIndex index) {
  for (pugi::xml_node child : extensions.children()) {
    if (child.type() != pugi::node_element) continue;
    std::string_view local = local_name_in(child, kZeebeNamespace);
    if (local.empty()) continue;
    if (local == "taskDefinition") {
      if (at(index).job) problem(index, "has more than one zeebe:taskDefinition");
      auto job = std::make_unique<JobDefinition>();
      job->type = value(attr(child, "type"), index, "type");
      pugi::xml_attribute retries = attribute(child, "retries");
      job->retries = value(retries ? retries.value() : "3", index, "retries");
      at(index).job = std::move(job);
    } else if (local == "taskHeaders") {
      for (pugi::xml_node header : child.children()) {
        if (local_name_in(header, kZeebeNamespace) != "header") continue;
        at(index).task_headers.push_back(
            {intern(attr(header, "key")), intern(attr(header, "value"))});
      }
    } else if (local == "ioMapping") {
      auto io = std::make_unique<IoMapping>();
      for (pugi::xml_node mapping : child.children()) {
        std::string_view which = local_name_in(mapping, kZeebeNamespace);
        if (which != "input" && which != "output") continue;
        Mapping m{value(attr(mapping, "source"), index, std::string(which) + " source"),
                  intern(attr(mapping, "target"))};
        if (m.target.empty()) {
          problem(index, "a zeebe:" + std::string(which) + " mapping has no target");
        }
        (which == "input" ? io->inputs : io->outputs).push_back(std::move(m));
      }
      at(index).io_mapping = std::move(io);
    } else if (local == "script") {
      auto script = std::make_unique<ScriptDefinition>();
      script->expression = value(attr(child, "expression"), index, "expression");
      script->result_variable = intern(attr(child, "resultVariable"));
      at(index).script = std::move(script);
    } else if (local == "calledElement") {
      auto called = std::make_unique<CalledElement>();
      called->process_id = value(attr(child, "processId"), index, "processId");
      called->propagate_all_child_variables = flag(child, "propagateAllChildVariables", true);
      called->propagate_all_parent_variables = flag(child, "propagateAllParentVariables", true);
      std::string_view binding = attr(child, "bindingType");
      called->binding_type = intern(binding.empty() ? "latest" : binding);
      at(index).called_element = std::move(called);
    } else if (local == "calledDecision") {
      auto decision = std::make_unique<CalledDecision>();
      decision->decision_id = value(attr(child, "decisionId"), index, "decisionId");
      decision->result_variable = intern(attr(child, "resultVariable"));
      std::string_view binding = attr(child, "bindingType");
      decision->binding_type = intern(binding.empty() ? "latest" : binding);
      at(index).called_decision = std::move(decision);
    } else if (local == "executionListeners") {
      for (pugi::xml_node listener : child.children()) {
        if (local_name_in(listener, kZeebeNamespace) != "executionListener") continue;
        ExecutionListener entry;
        std::string_view event = attr(listener, "eventType");
        if (event == "end") {
          entry.event = ExecutionListenerEvent::END;
        } else if (event != "start") {
          problem(index, "an execution listener has the unknown eventType '" + std::string(event)
                             + "' (expected 'start' or 'end')");
        }
        entry.type = value(attr(listener, "type"), index, "execution listener type");
        pugi::xml_attribute retries = attribute(listener, "retries");
        entry.retries = value(retries ? retries.value() : "3", index, "execution listener retries");
        if (entry.type.empty()) problem(index, "an execution listener has no job type");
        at(index).execution_listeners.push_back(std::move(entry));
      }
    } else if (local == "taskListeners") {
      for (pugi::xml_node listener : child.children()) {
        if (local_name_in(listener, kZeebeNamespace) != "taskListener") continue;
        TaskListener entry;
        entry.event = intern(attr(listener, "eventType"));
        entry.type = value(attr(listener, "type"), index, "task listener type");
        pugi::xml_attribute retries = attribute(listener, "retries");
        entry.retries = value(retries ? retries.value() : "3", index, "task listener retries");
        if (entry.type.empty()) problem(index, "a task listener has no job type");
        at(index).task_listeners.push_back(std::move(entry));
      }
    } else if (local == "properties") {
      for (pugi::xml_node property : child.children()) {
        if (local_name_in(property, kZeebeNamespace) != "property") continue;
        at(index).properties.push_back(
            {intern(attr(property, "name")), intern(attr(property, "value"))});
      }
    } else if (at(index).kind == ElementKind::USER_TASK) {
      if (!at(index).user_task) at(index).user_task = std::make_unique<UserTaskDefinition>();
      UserTaskDefinition& task = *at(index).user_task;
      if (local == "userTask") {
        task.native = true;
      } else if (local == "assignmentDefinition") {
        task.assignee = value(attr(child, "assignee"), index, "assignee");
        task.candidate_groups = value(attr(child, "candidateGroups"), index, "candidateGroups");
        task.candidate_users = value(attr(child, "candidateUsers"), index, "candidateUsers");
      } else if (local == "formDefinition") {
        task.form_key = intern(attr(child, "formKey"));
        task.form_id = value(attr(child, "formId"), index, "formId");
        task.external_reference =
            value(attr(child, "externalReference"), index, "externalReference");
      } else if (local == "priorityDefinition") {
        task.priority = value(attr(child, "priority"), index, "priority");
      } else if (local == "taskSchedule") {
        task.due_date = value(attr(child, "dueDate"), index, "dueDate");
        task.follow_up_date = value(attr(child, "followUpDate"), index, "followUpDate");
      }
    }
  }
  if (at(index).kind == ElementKind::USER_TASK && !at(index).user_task) {
    at(index).user_task = std::make_unique<UserTaskDefinition>();
  }
}

void ModelBuilder::read_event_definitions(pugi::xml_node node, ElementIndex index) {
  int count = 0;
  for (pugi::xml_node child : node.children()) {
    std::string_view local = local_name_in(child, kBpmnNamespace);
    if (local.size() < 15 || local.substr(local.size() - 15) != "EventDefinition") {
      if (local == "eventDefinitionRef") {
        unsupported(at(index).id, "event definitions by reference are not supported");
      }
      continue;
    }
    if (++count > 1) {
      problem(index, "has more than one event definition, which is not supported");
      return;
    }
    FlowElement& element = at(index);
    if (local == "messageEventDefinition") {
      element.event_type = EventType::MESSAGE;
      read_message(child, index);
    } else if (local == "timerEventDefinition") {
      element.event_type = EventType::TIMER;
      read_timer(child, index);
    } else if (local == "errorEventDefinition") {
      element.event_type = EventType::ERROR;
      read_error(child, index);
    } else if (local == "escalationEventDefinition") {
      element.event_type = EventType::ESCALATION;
      read_escalation(child, index);
    } else if (local == "signalEventDefinition") {
      element.event_type = EventType::SIGNAL;
      read_signal(child, index);
    } else if (local == "linkEventDefinition") {
      element.event_type = EventType::LINK;
      element.link_name = intern(attr(child, "name"));
    } else if (local == "terminateEventDefinition") {
      element.event_type = EventType::TERMINATE;
    } else if (local == "compensateEventDefinition") {
      element.event_type = EventType::COMPENSATION;
      auto compensation = std::make_unique<CompensationDefinition>();
      compensation->wait_for_completion = flag(child, "waitForCompletion", true);
      if (std::string_view ref = attr(child, "activityRef"); !ref.empty()) {
        activity_refs_.push_back({index, ref});
      }
      element.compensation = std::move(compensation);
    } else if (local == "conditionalEventDefinition") {
      element.event_type = EventType::CONDITIONAL;
      unsupported(element.id, "conditional events are not supported");
    } else {
      unsupported(element.id, "the event definition '" + std::string(local) + "' is not supported");
    }
  }
}

void ModelBuilder::read_message(pugi::xml_node definition, ElementIndex index) {
  auto message = std::make_unique<MessageDefinition>();
  std::string_view ref = attr(definition, "messageRef");
  if (!ref.empty()) {
    auto it = definitions_.messages.find(ref);
    if (it == definitions_.messages.end()) {
      problem(index, "references the message '" + std::string(ref) + "', which is not defined");
    } else {
      message->message_id = intern(ref);
      message->name = value(it->second.name, index, "message name");
      message->correlation_key = value(it->second.correlation_key, index, "correlationKey");
    }
  }
  at(index).message = std::move(message);
}

void ModelBuilder::read_timer(pugi::xml_node definition, ElementIndex index) {
  int count = 0;
  for (pugi::xml_node child : definition.children()) {
    std::string_view local = local_name_in(child, kBpmnNamespace);
    TimerKind kind;
    if (local == "timeDate") {
      kind = TimerKind::DATE;
    } else if (local == "timeDuration") {
      kind = TimerKind::DURATION;
    } else if (local == "timeCycle") {
      kind = TimerKind::CYCLE;
    } else {
      continue;
    }
    ++count;
    auto timer = std::make_unique<TimerDefinition>();
    timer->kind = kind;
    std::string text = text_of(child);
    timer->value = value(text, index, local);
    if (text.empty()) {
      problem(index, "the timer's " + std::string(local) + " is empty");
    } else if (!timer->value.is_expression) {
      auto parsed = parse_timer_value(kind, text);
      if (parsed.ok()) {
        timer->static_value = std::move(parsed).value();
      } else {
        problem(index, "invalid " + std::string(local) + ": " + parsed.error().message);
      }
    }
    at(index).timer = std::move(timer);
  }
  if (count != 1) {
    problem(index, "a timer must have exactly one of timeDate, timeDuration or timeCycle (found "
                       + std::to_string(count) + ")");
  }
}

void ModelBuilder::read_error(pugi::xml_node definition, ElementIndex index) {
  auto error = std::make_unique<ErrorDefinition>();
  std::string_view ref = attr(definition, "errorRef");
  if (!ref.empty()) {
    auto it = definitions_.errors.find(ref);
    if (it == definitions_.errors.end()) {
      problem(index, "references the error '" + std::string(ref) + "', which is not defined");
    } else {
      error->error_id = intern(ref);
      error->error_code = value(it->second.name, index, "errorCode");
    }
  }
  error->error_code_variable = intern(attr(definition, "errorCodeVariable"));
  error->error_message_variable = intern(attr(definition, "errorMessageVariable"));
  at(index).error = std::move(error);
}

void ModelBuilder::read_escalation(pugi::xml_node definition, ElementIndex index) {
  auto escalation = std::make_unique<EscalationDefinition>();
  std::string_view ref = attr(definition, "escalationRef");
  if (!ref.empty()) {
    auto it = definitions_.escalations.find(ref);
    if (it == definitions_.escalations.end()) {
      problem(index, "references the escalation '" + std::string(ref) + "', which is not defined");
    } else {
      escalation->escalation_id = intern(ref);
      escalation->escalation_code = value(it->second.name, index, "escalationCode");
    }
  }
  at(index).escalation = std::move(escalation);
}

void ModelBuilder::read_signal(pugi::xml_node definition, ElementIndex index) {
  auto signal = std::make_unique<SignalDefinition>();
  std::string_view ref = attr(definition, "signalRef");
  if (!ref.empty()) {
    auto it = definitions_.signals.find(ref);
    if (it == definitions_.signals.end()) {
      problem(index, "references the signal '" + std::string(ref) + "', which is not defined");
    } else {
      signal->signal_id = intern(ref);
      signal->name = value(it->second.name, index, "signal name");
    }
  }
  at(index).signal = std::move(signal);
}

void ModelBuilder::read_loop(pugi::xml_node loop, ElementIndex body) {
  auto characteristics = std::make_unique<LoopCharacteristics>();
  characteristics->is_sequential = flag(loop, "isSequential", false);
  bool found = false;
  for (pugi::xml_node child : loop.children()) {
    std::string_view local = local_name_in(child, kBpmnNamespace);
    if (local == "completionCondition") {
      std::string text = text_of(child);
      characteristics->completion_condition = value(text, body, "completionCondition");
      if (!text.empty() && !characteristics->completion_condition.is_expression) {
        problem(body, "the completionCondition must be a FEEL expression starting with '='");
      }
    } else if (local == "loopCardinality") {
      unsupported(at(body).id,
                  "multi-instance loopCardinality is not supported; use "
                  "zeebe:loopCharacteristics inputCollection");
    } else if (local == "extensionElements") {
      for (pugi::xml_node ext : child.children()) {
        if (local_name_in(ext, kZeebeNamespace) != "loopCharacteristics") continue;
        found = true;
        characteristics->input_collection =
            value(attr(ext, "inputCollection"), body, "inputCollection");
        characteristics->input_element = intern(attr(ext, "inputElement"));
        characteristics->output_collection = intern(attr(ext, "outputCollection"));
        characteristics->output_element = value(attr(ext, "outputElement"), body, "outputElement");
      }
    }
  }
  if (!found || characteristics->input_collection.empty()) {
    problem(body,
            "a multi-instance activity must have zeebe:loopCharacteristics with an "
            "inputCollection");
  } else if (!characteristics->input_collection.is_expression) {
    problem(body, "the inputCollection must be a FEEL expression starting with '='");
  }
  if (!characteristics->output_collection.empty() && characteristics->output_element.empty()) {
    problem(body, "outputCollection is set but outputElement is missing");
  }
  at(body).loop = std::move(characteristics);
}

}  // namespace tern::engine::bpmn
