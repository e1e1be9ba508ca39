#include "engine/breadth/breadth_support.h"

namespace tern::engine::test::breadth {

std::string flow(const std::string& id, const std::string& from, const std::string& to) {
  return "<bpmn:sequenceFlow id=\"" + id + "\" sourceRef=\"" + from + "\" targetRef=\"" + to
         + "\" />\n";
}

std::string service(const std::string& id, const std::string& type, const std::string& inner) {
  return "<bpmn:serviceTask id=\"" + id + "\"><bpmn:extensionElements><zeebe:taskDefinition type=\""
         + type + "\" /></bpmn:extensionElements>" + inner + "</bpmn:serviceTask>\n";
}

std::string timer(const std::string& kind, const std::string& value) {
  return "<bpmn:timerEventDefinition><bpmn:" + kind + ">" + value + "</bpmn:" + kind
         + "></bpmn:timerEventDefinition>";
}

std::string timer_catch(const std::string& id, const std::string& kind, const std::string& value) {
  return "<bpmn:intermediateCatchEvent id=\"" + id + "\">" + timer(kind, value)
         + "</bpmn:intermediateCatchEvent>\n";
}

std::string boundary(const std::string& id, const std::string& attached_to, bool interrupting,
                     const std::string& definition) {
  return "<bpmn:boundaryEvent id=\"" + id + "\" attachedToRef=\"" + attached_to
         + "\" cancelActivity=\"" + (interrupting ? "true" : "false") + "\">" + definition
         + "</bpmn:boundaryEvent>\n";
}

namespace {

std::string line(const Record& record) {
  std::string out = describe(record);
  if (record.value_type == ValueType::kProcessInstance) return out;
  const auto& v = record.value;
  auto add = [&](const char* field) {
    if (v.contains(field) && v[field].is_string()) out += " " + v[field].get<std::string>();
  };
  switch (record.value_type) {
    case ValueType::kTimer:
    case ValueType::kProcessEvent:
      add("targetElementId");
      break;
    case ValueType::kMessage:
      add("name");
      break;
    case ValueType::kMessageSubscription:
    case ValueType::kProcessMessageSubscription:
    case ValueType::kMessageStartEventSubscription:
      add("messageName");
      break;
    case ValueType::kJob:
      add("type");
      break;
    case ValueType::kIncident:
      add("errorType");
      break;
    case ValueType::kVariable:
      add("name");
      break;
    case ValueType::kSignal:
      add("signalName");
      break;
    case ValueType::kError:
      add("errorCode");
      break;
    case ValueType::kEscalation:
      add("escalationCode");
      break;
    case ValueType::kCompensationSubscription:
      add("compensableActivityId");
      break;
    default:
      break;
  }
  return out;
}

}  // namespace

std::vector<std::string> stream(const EngineHarness& h, Position since) {
  std::vector<std::string> out;
  for (const auto& record : h.records()) {
    if (record.position > since) out.push_back(line(record));
  }
  return out;
}

std::vector<std::string> stream_of(const EngineHarness& h, Position since,
                                   const std::vector<ValueType>& types) {
  std::vector<std::string> out;
  for (const auto& record : h.records()) {
    if (record.position <= since) continue;
    for (auto type : types) {
      if (record.value_type == type) out.push_back(line(record));
    }
  }
  return out;
}

std::size_t fire_due(EngineHarness& h) {
  std::size_t written = h.engine().check_due_dates();
  h.process();
  return written;
}

}  // namespace tern::engine::test::breadth
