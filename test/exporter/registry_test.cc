// The registry: configuration to exporter instances, with errors naming the exporter and the key.

#include "exporter/registry.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

namespace tern::exporter::test {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

ExporterError create_error(const std::string& name, const ExporterSpec& spec) {
  auto created = ExporterRegistry::with_builtins().create(name, spec, PartitionId(1));
  EXPECT_FALSE(created) << "expected a configuration error";
  return created ? ExporterError{} : created.error();
}

TEST(ExporterRegistry, KnowsTheBuiltInTypes) {
  EXPECT_THAT(ExporterRegistry::with_builtins().types(), ElementsAre("jsonl", "postgresql"));
}

TEST(ExporterRegistry, CreatesConfiguredExportersInNameOrder) {
  std::map<std::string, ExporterSpec> specs{
      {"zeta", {"jsonl", Json{{"directory", "/tmp/x"}}}},
      {"audit", {"postgresql", Json{{"url", "postgresql://127.0.0.1/db"}, {"schema", "audit"}}}}};
  auto created = ExporterRegistry::with_builtins().create_all(specs, PartitionId(2));
  ASSERT_TRUE(created) << created.error().message;
  ASSERT_EQ(created->size(), 2u);
  EXPECT_EQ(created->at(0).name, "audit");
  EXPECT_EQ(created->at(0).type, "postgresql");
  EXPECT_EQ(created->at(1).name, "zeta");
  ASSERT_NE(created->at(1).exporter, nullptr);
}

TEST(ExporterRegistry, AnUnknownTypeNamesTheExporterAndTheKnownTypes) {
  auto error = create_error("audit", {"kafka", Json::object()});
  EXPECT_EQ(error.code, ExporterErrc::kUnknownType);
  EXPECT_EQ(error.message,
            "exporters.audit.type: unknown exporter type 'kafka' (known: jsonl, postgresql)");
}

TEST(ExporterRegistry, AMissingRequiredArgumentIsNamed) {
  auto error = create_error("files", {"jsonl", Json::object()});
  EXPECT_EQ(error.code, ExporterErrc::kInvalidConfig);
  EXPECT_EQ(error.message, "exporters.files.args.directory: required, but missing");
  EXPECT_EQ(create_error("db", {"postgresql", Json::object()}).message,
            "exporters.db.args.url: required, but missing");
}

TEST(ExporterRegistry, AWrongTypeOrRangeIsNamedWithTheValue) {
  EXPECT_EQ(create_error("files",
                         {"jsonl", Json{{"directory", "/tmp/x"}, {"max-file-size-bytes", "big"}}})
                .message,
            "exporters.files.args.max-file-size-bytes: expected an integer, got \"big\"");
  EXPECT_EQ(
      create_error("files", {"jsonl", Json{{"directory", "/tmp/x"}, {"max-file-size-bytes", 10}}})
          .message,
      "exporters.files.args.max-file-size-bytes: expected an integer from 1024 to 1099511627776, "
      "got 10");
  EXPECT_EQ(create_error("files", {"jsonl", Json{{"directory", 7}}}).message,
            "exporters.files.args.directory: expected a non-empty string, got 7");
  EXPECT_EQ(create_error("files", {"jsonl", Json{{"directory", "/x"}, {"sync", "yes"}}}).message,
            "exporters.files.args.sync: expected true or false, got \"yes\"");
  EXPECT_THAT(
      create_error("db", {"postgresql", Json{{"url", "x"}, {"schema", "Bad-Name"}}}).message,
      HasSubstr("exporters.db.args.schema: expected a lower-case SQL identifier"));
}

TEST(ExporterRegistry, AnUnknownArgumentIsRejectedListingTheKnownOnes) {
  auto error = create_error("files", {"jsonl", Json{{"directory", "/tmp/x"}, {"path", "/y"}}});
  EXPECT_EQ(error.message,
            "exporters.files.args.path: unknown argument (known: directory, max-file-size-bytes, "
            "max-rotated-files, sync)");
}

TEST(ExporterRegistry, ArgsMustBeAMap) {
  EXPECT_EQ(create_error("files", {"jsonl", Json::array({1})}).message,
            "exporters.files.args.directory: required, but missing");
}

}  // namespace
}  // namespace tern::exporter::test
