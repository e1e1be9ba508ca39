#pragma once

// Keeps queryable PostgreSQL tables of one partition's process definitions, process instances,
// element instances, jobs, incidents, variables (latest value per scope) and messages.
//
// Records are buffered and written in one transaction per flush() with libpq's pipeline mode.
// Idempotent by position: the table `export_position` holds, per partition, the last position
// written, advanced in the same transaction as the rows; records at or below it are skipped, and
// a transaction whose starting position does not match the stored one (another broker exported
// the partition meanwhile) is rolled back, so a replay after a failover or a reconnect changes
// nothing. The schema is created and migrated on open (see postgresql_schema.h).
//
// Connection loss fails export/flush with kConnection; the director closes the exporter, backs
// off, opens it again (reconnect) and replays from the last acknowledged position.
//
// Owning thread: the director's. Arguments: see docs/exporters.md.

#include <memory>
#include <string>
#include <vector>

#include "exporter/exporter.h"
#include "exporter/pg_connection.h"

namespace tern::exporter {

class PostgresExporter final : public Exporter {
 public:
  ~PostgresExporter() override;

  ExporterResult<void> configure(const ExporterContext& context) override;
  ExporterResult<void> open(ExporterController& controller) override;
  ExporterResult<void> export_record(const Record& record) override;
  ExporterResult<void> flush() override;
  void close() override;

  const std::string& schema() const { return schema_; }

 private:
  // Appends the statements that apply `record` to the tables (none for records not kept).
  void translate(const Record& record);

  std::string name_;
  PartitionId partition_{0};
  std::string conninfo_;
  std::string schema_;
  std::size_t max_batch_records_ = 0;

  ExporterController* controller_ = nullptr;
  std::unique_ptr<PgConnection> connection_;
  Position stored_{0};    // export_position in the database, as of the last commit
  Position buffered_{0};  // highest position buffered since
  std::size_t buffered_records_ = 0;
  std::vector<PgStatement> statements_;
};

}  // namespace tern::exporter
