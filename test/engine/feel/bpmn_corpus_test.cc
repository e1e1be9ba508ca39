// Every FEEL expression in the shared corpus of real BPMN models (attributes and element texts
// that start with '=') compiles, and evaluates against empty variables without a hard error:
// missing variables are null, so at worst the result is null.

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <regex>
#include <set>
#include <sstream>

#include "feel_test_util.h"
#include "support/paths.h"

namespace tern::feel {
namespace {

// Decodes the XML entities and character references an attribute value may hold.
std::string xml_unescape(const std::string& s) {
  static const std::pair<std::string_view, char> kNamed[] = {
      {"quot", '"'}, {"apos", '\''}, {"lt", '<'}, {"gt", '>'}, {"amp", '&'}};
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    auto end = s.find(';', i);
    if (s[i] != '&' || end == std::string::npos) {
      out += s[i];
      continue;
    }
    std::string_view name(s.data() + i + 1, end - i - 1);
    bool decoded = false;
    if (!name.empty() && name[0] == '#') {
      bool hex = name.size() > 1 && (name[1] == 'x' || name[1] == 'X');
      unsigned long cp = std::stoul(std::string(name.substr(hex ? 2 : 1)), nullptr, hex ? 16 : 10);
      if (cp < 0x80) {
        out += static_cast<char>(cp);
      } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      } else {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
      }
      decoded = true;
    }
    for (const auto& [entity, c] : kNamed) {
      if (name == entity) {
        out += c;
        decoded = true;
      }
    }
    if (!decoded) {
      out += s[i];
      continue;
    }
    i = end;
  }
  return out;
}

std::set<std::string> corpus_expressions() {
  std::set<std::string> out;
  auto dir = tern::test::shared_dir() / "bpmn-corpus";
  const std::regex attribute("=\"(=[^\"]*)\"");
  const std::regex text(">\\s*(=[^<]*)</");
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (entry.path().extension() != ".bpmn") continue;
    std::ifstream in(entry.path());
    std::stringstream buffer;
    buffer << in.rdbuf();
    std::string xml = buffer.str();
    for (const auto* re : {&attribute, &text}) {
      for (std::sregex_iterator it(xml.begin(), xml.end(), *re), end; it != end; ++it) {
        out.insert(xml_unescape((*it)[1].str()).substr(1));  // without the leading '='
      }
    }
  }
  return out;
}

TEST(FeelBpmnCorpus, EveryExpressionCompilesAndEvaluates) {
  auto expressions = corpus_expressions();
  ASSERT_GE(expressions.size(), 50U) << "the shared BPMN corpus should hold FEEL expressions";
  MapResolver empty;
  for (const auto& source : expressions) {
    auto compiled = Expression::compile(source);
    ASSERT_TRUE(compiled.ok()) << compiled.error().to_string();
    auto value = compiled->evaluate(empty, test::test_clock());
    EXPECT_TRUE(value.ok()) << value.error().to_string();
  }
}

}  // namespace
}  // namespace tern::feel
