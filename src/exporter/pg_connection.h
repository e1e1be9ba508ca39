#pragma once

// A thin RAII adapter over one libpq connection: plain statements, parameterised queries and
// pipelined batches of prepared statements. Errors come back as ExporterError: kConnection when
// the connection is gone (the caller reconnects), kRejected when the server refused a statement.
//
// Owning thread: whoever owns the exporter (the director's); libpq connections are not shared.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "exporter/exporter.h"

struct pg_conn;

namespace tern::exporter {

using PgParams = std::vector<std::optional<std::string>>;  // nullopt is SQL NULL

struct PgStatement {
  const char* prepared_name;
  PgParams params;
};

// Result rows as text; nullopt for NULL.
using PgRows = std::vector<std::vector<std::optional<std::string>>>;

class PgConnection {
 public:
  static ExporterResult<std::unique_ptr<PgConnection>> connect(const std::string& conninfo);
  ~PgConnection();
  PgConnection(const PgConnection&) = delete;
  PgConnection& operator=(const PgConnection&) = delete;

  // One or more statements without parameters (schema changes, BEGIN/COMMIT).
  ExporterResult<void> exec(const std::string& sql);
  ExporterResult<PgRows> query(const std::string& sql, const PgParams& params);
  ExporterResult<void> prepare(const std::string& name, const std::string& sql);
  // Sends every statement without waiting for each answer (libpq pipeline mode), then reads the
  // answers; the first failure is returned. Statements are sent in chunks so that neither side's
  // socket buffer can fill while the other waits.
  ExporterResult<void> run_pipelined(const std::vector<PgStatement>& statements);

  bool healthy() const;

 private:
  explicit PgConnection(pg_conn* connection) : connection_(connection) {}
  ExporterError error(const std::string& what) const;
  ExporterResult<void> run_chunk(const PgStatement* begin, const PgStatement* end);

  pg_conn* connection_;
};

}  // namespace tern::exporter
