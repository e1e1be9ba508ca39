#pragma once

// The PostgreSQL exporter's tables and prepared statements. Migrations are numbered; each runs
// once, in order, in a transaction holding an advisory lock, so exporters of several partitions
// (or brokers) opening at once migrate the schema exactly once.

#include <string>
#include <vector>

namespace tern::exporter::pg {

// The latest schema version; `<schema>.schema_version` holds the applied one.
inline constexpr int kSchemaVersion = 1;

// The SQL of each migration, index 0 = version 1, for `schema`.
std::vector<std::string> migrations(const std::string& schema);

struct PreparedSql {
  const char* name;
  std::string sql;
};

// Every statement the exporter prepares on connect.
std::vector<PreparedSql> prepared_statements(const std::string& schema);

// Names of the prepared statements.
inline constexpr const char* kAdvancePosition = "tern_advance_position";
inline constexpr const char* kBegin = "tern_begin";
inline constexpr const char* kCommit = "tern_commit";
inline constexpr const char* kUpsertProcess = "tern_upsert_process";
inline constexpr const char* kUpsertProcessInstance = "tern_upsert_process_instance";
inline constexpr const char* kUpsertElementInstance = "tern_upsert_element_instance";
inline constexpr const char* kUpsertJob = "tern_upsert_job";
inline constexpr const char* kUpsertIncident = "tern_upsert_incident";
inline constexpr const char* kUpsertVariable = "tern_upsert_variable";
inline constexpr const char* kUpsertMessage = "tern_upsert_message";

}  // namespace tern::exporter::pg
