#pragma once

// Builders for small BPMN documents in tests: wrap a process body in definitions with the
// namespaces Zeebe models use, and parse expecting success or a rejection.

#include <gtest/gtest.h>

#include <string>
#include <string_view>

#include "engine/bpmn/parser.h"

namespace tern::engine::bpmn::testing {

// `<bpmn:definitions>` holding `definitions_extra` (messages, errors, ...) and one executable
// process with id "proc" and the given body.
inline std::string process_xml(std::string_view body, std::string_view definitions_extra = "") {
  std::string xml =
      R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL"
    xmlns:zeebe="http://camunda.org/schema/zeebe/1.0"
    xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" id="defs">
  <bpmn:process id="proc" name="Test process" isExecutable="true">
)";
  xml += body;
  xml += "\n  </bpmn:process>\n";
  xml += definitions_extra;
  xml += "\n</bpmn:definitions>\n";
  return xml;
}

// A start event "start" -> `middle` elements chained by flows given by the caller -> nothing.
inline constexpr std::string_view kStart = R"(<bpmn:startEvent id="start"/>)";

inline Definitions parse_ok(const std::string& xml) {
  auto result = parse_bpmn(xml, ParseOptions{"test.bpmn"});
  if (!result.ok()) {
    ADD_FAILURE() << "expected the model to deploy, got: " << result.error().message;
    return Definitions{};
  }
  return std::move(result).value();
}

inline BpmnError parse_error(const std::string& xml) {
  auto result = parse_bpmn(xml, ParseOptions{"test.bpmn"});
  if (result.ok()) {
    ADD_FAILURE() << "expected a rejection, but the model deployed";
    return BpmnError{};
  }
  return result.error();
}

// True when some problem names `element_id` and contains `text`.
inline ::testing::AssertionResult has_problem(const BpmnError& error, std::string_view element_id,
                                              std::string_view text) {
  for (const Problem& problem : error.problems) {
    if (problem.element_id == element_id && problem.message.find(text) != std::string::npos) {
      return ::testing::AssertionSuccess();
    }
  }
  return ::testing::AssertionFailure() << "no problem for '" << element_id << "' containing '"
                                       << text << "' in: " << error.message;
}

}  // namespace tern::engine::bpmn::testing
