// Every model in ../shared/bpmn-corpus either deploys or is rejected with a specific message.
// The expected classification is pinned here, so a change of category fails the test.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>
#include <string>

#include "engine/bpmn/parser.h"
#include "support/paths.h"

namespace tern::engine::bpmn {
namespace {

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// file -> a substring the rejection message must contain.
const std::map<std::string, std::string>& expected_rejections() {
  static const std::map<std::string, std::string> kExpected = {
      {"bpmn-io__bpmn-js-properties-panel__AdHocSubProcessImplementationProps.bpmn",
       "Element 'AdHocSubProcess_1': the element 'adHocSubProcess' is not supported"},
      {"bpmn-io__bpmn-js-properties-panel__ExecutionListenerProps.bpmn",
       "Element 'ComplexGateway': the element 'complexGateway' is not supported"},
      {"bpmn-io__bpmn-js-properties-panel__MessageProps.bpmn",
       "Element 'MessageEvent_empty': must reference a message with a name"},
      {"bpmn-io__bpmn-js-properties-panel__TaskDefinitionProps.bpmn",
       "Element 'ServiceTask_noTaskDefinition': a service task must have a zeebe:taskDefinition"},
      {"bpmn-io__bpmn-js-properties-panel__TaskListenerProps.bpmn",
       "Element 'CompensationBoundaryEvent': is attached to 'SubProcess', which is in a "
       "different scope"},
      {"bpmn-io__bpmn-js-properties-panel__ZeebePropertiesProvider.bpmn",
       "Element 'AdHocBPMN': the element 'adHocSubProcess' is not supported"},
      {"camunda__camunda-modeler__bar.bpmn",
       "Element 'BusinessRuleTask_1': the zeebe:calledDecision must have a resultVariable"},
      {"camunda__camunda-modeler__lint-errors.bpmn",
       "Element 'Activity_084s4zz': the zeebe:taskDefinition must have a type"},
  };
  return kExpected;
}

TEST(BpmnCorpus, EveryFileDeploysOrIsRejectedAsExpected) {
  std::filesystem::path corpus = test::shared_dir() / "bpmn-corpus";
  ASSERT_TRUE(std::filesystem::is_directory(corpus)) << corpus;
  std::vector<std::filesystem::path> files;
  for (const auto& entry : std::filesystem::directory_iterator(corpus)) {
    if (entry.path().extension() == ".bpmn") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  ASSERT_GE(files.size(), 60u);
  int deployed = 0;
  int rejected = 0;
  for (const auto& path : files) {
    std::string name = path.filename().string();
    std::string xml = read_file(path);
    auto result = parse_bpmn(xml, ParseOptions{name});
    auto expected = expected_rejections().find(name);
    if (result.ok()) {
      ++deployed;
      std::cout << name << ": deployed (" << result->processes.size() << " process(es))\n";
      EXPECT_EQ(expected, expected_rejections().end()) << name << " should have been rejected";
      continue;
    }
    ++rejected;
    const BpmnError& error = result.error();
    std::cout << name << ": rejected: ";
    if (error.problems.empty()) {
      std::cout << error.message << "\n";
    } else {
      std::cout << "Element '" << error.problems[0].element_id
                << "': " << error.problems[0].message;
      if (error.problems.size() > 1) std::cout << " (+" << error.problems.size() - 1 << " more)";
      std::cout << "\n";
    }
    EXPECT_NE(result.error().code, BpmnErrorCode::kMalformedXml) << name;
    if (expected == expected_rejections().end()) {
      ADD_FAILURE() << name << " was rejected unexpectedly: " << result.error().message;
    } else {
      EXPECT_NE(result.error().message.find(expected->second), std::string::npos)
          << name << ": " << result.error().message;
    }
  }
  std::cout << "corpus: " << deployed << " deployed, " << rejected << " rejected\n";
}

}  // namespace
}  // namespace tern::engine::bpmn
