// Hostile or broken input is rejected with a message, never a crash.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

#include "bpmn_test_util.h"
#include "support/paths.h"

namespace tern::engine::bpmn {
namespace {

TEST(BpmnRobustness, EveryPrefixOfARealModelIsHandled) {
  std::ifstream in(test::shared_dir() / "bpmn-corpus" / "camunda__zeebe-chaos__chaosToolkit.bpmn");
  std::stringstream buffer;
  buffer << in.rdbuf();
  std::string xml = buffer.str();
  ASSERT_GT(xml.size(), 1000u);
  ASSERT_TRUE(parse_bpmn(xml).ok());
  int rejected = 0;
  for (std::size_t cut = 0; cut < xml.size() - 20; cut += 37) {
    auto result = parse_bpmn(std::string_view(xml).substr(0, cut));
    ASSERT_FALSE(result.ok()) << "a prefix of " << cut << " bytes deployed";
    EXPECT_FALSE(result.error().message.empty());
    ++rejected;
  }
  EXPECT_GT(rejected, 10);
}

TEST(BpmnRobustness, DeeplyNestedSubProcessesAreRejected) {
  std::string body = R"(<bpmn:startEvent id="start"/>)";
  constexpr int kDepth = 200;
  for (int i = 0; i < kDepth; ++i) {
    body += "<bpmn:subProcess id=\"sub" + std::to_string(i) + "\"><bpmn:startEvent id=\"s"
            + std::to_string(i) + "\"/>";
  }
  for (int i = 0; i < kDepth; ++i)
    body += "</bpmn:subProcess>";
  auto error = testing::parse_error(testing::process_xml(body));
  EXPECT_TRUE(testing::has_problem(error, "sub64", "nested more than 64 levels"));
}

TEST(BpmnRobustness, EmptyAndBinaryInput) {
  auto empty = parse_bpmn("");
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.error().code, BpmnErrorCode::kMalformedXml);
  std::string binary("\x00\xff\xfe\x01garbage", 11);
  auto garbage = parse_bpmn(binary);
  ASSERT_FALSE(garbage.ok());
  EXPECT_FALSE(garbage.error().message.empty());
}

}  // namespace
}  // namespace tern::engine::bpmn
