#include "exporter/pg_connection.h"

#include <libpq-fe.h>

#include <algorithm>

namespace tern::exporter {
namespace {

// Statements per pipeline sync: each answer is a few dozen bytes, so a chunk's answers fit in a
// loopback socket buffer many times over.
constexpr std::size_t kPipelineChunk = 256;

struct ResultDeleter {
  void operator()(PGresult* result) const { PQclear(result); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

std::vector<const char*> raw_params(const PgParams& params) {
  std::vector<const char*> raw;
  raw.reserve(params.size());
  for (const auto& param : params)
    raw.push_back(param ? param->c_str() : nullptr);
  return raw;
}

// libpq messages span lines ("ERROR: ...\nCONTEXT: ..."); logs take one line per event.
std::string one_line(std::string message) {
  while (!message.empty() && (message.back() == '\n' || message.back() == ' '))
    message.pop_back();
  for (std::size_t at = message.find('\n'); at != std::string::npos; at = message.find('\n', at))
    message.replace(at, 1, "; ");
  return message;
}

// SQLSTATE classes 08 (connection exception) and 57 (operator intervention: shutdown, crash)
// mean the connection is gone or going; anything else is the server refusing a statement.
bool connection_lost(const PGresult* result) {
  const char* state = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  if (state == nullptr) return true;  // no server answer at all
  std::string_view code(state);
  return code.starts_with("08") || code.starts_with("57");
}

bool succeeded(const PGresult* result) {
  auto status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
}

}  // namespace

ExporterResult<std::unique_ptr<PgConnection>> PgConnection::connect(const std::string& conninfo) {
  PGconn* connection = PQconnectdb(conninfo.c_str());
  if (connection == nullptr) {
    return unexpected(ExporterError{ExporterErrc::kConnection, "libpq could not allocate"});
  }
  if (PQstatus(connection) != CONNECTION_OK) {
    std::string message = one_line(PQerrorMessage(connection));
    PQfinish(connection);
    return unexpected(ExporterError{ExporterErrc::kConnection, "cannot connect: " + message});
  }
  // Keep server notices (e.g. "relation already exists, skipping") out of stderr.
  PQsetNoticeProcessor(
      connection, [](void*, const char*) {}, nullptr);
  return std::unique_ptr<PgConnection>(new PgConnection(connection));
}

PgConnection::~PgConnection() {
  PQfinish(connection_);
}

bool PgConnection::healthy() const {
  return PQstatus(connection_) == CONNECTION_OK;
}

ExporterError PgConnection::error(const std::string& what) const {
  auto code = healthy() ? ExporterErrc::kRejected : ExporterErrc::kConnection;
  return ExporterError{code, what + ": " + one_line(PQerrorMessage(connection_))};
}

ExporterResult<void> PgConnection::exec(const std::string& sql) {
  ResultPtr result(PQexec(connection_, sql.c_str()));
  if (!result || !succeeded(result.get())) return unexpected(error("statement failed"));
  return {};
}

ExporterResult<PgRows> PgConnection::query(const std::string& sql, const PgParams& params) {
  auto raw = raw_params(params);
  ResultPtr result(PQexecParams(connection_, sql.c_str(), static_cast<int>(raw.size()), nullptr,
                                raw.data(), nullptr, nullptr, 0));
  if (!result || !succeeded(result.get())) return unexpected(error("query failed"));
  PgRows rows;
  int row_count = PQntuples(result.get());
  int column_count = PQnfields(result.get());
  for (int row = 0; row < row_count; ++row) {
    auto& out = rows.emplace_back();
    for (int column = 0; column < column_count; ++column) {
      if (PQgetisnull(result.get(), row, column)) {
        out.emplace_back();
      } else {
        out.emplace_back(PQgetvalue(result.get(), row, column));
      }
    }
  }
  return rows;
}

ExporterResult<void> PgConnection::prepare(const std::string& name, const std::string& sql) {
  ResultPtr result(PQprepare(connection_, name.c_str(), sql.c_str(), 0, nullptr));
  if (!result || !succeeded(result.get())) return unexpected(error("cannot prepare " + name));
  return {};
}

ExporterResult<void> PgConnection::run_pipelined(const std::vector<PgStatement>& statements) {
  for (std::size_t begin = 0; begin < statements.size(); begin += kPipelineChunk) {
    std::size_t end = std::min(statements.size(), begin + kPipelineChunk);
    if (auto ran = run_chunk(statements.data() + begin, statements.data() + end); !ran) return ran;
  }
  return {};
}

ExporterResult<void> PgConnection::run_chunk(const PgStatement* begin, const PgStatement* end) {
  if (PQenterPipelineMode(connection_) != 1) return unexpected(error("cannot enter pipeline mode"));
  std::optional<ExporterError> first_error;
  for (const PgStatement* statement = begin; statement != end; ++statement) {
    auto raw = raw_params(statement->params);
    if (PQsendQueryPrepared(connection_, statement->prepared_name, static_cast<int>(raw.size()),
                            raw.data(), nullptr, nullptr, 0)
        != 1) {
      auto failure = error(std::string("cannot send ") + statement->prepared_name);
      PQexitPipelineMode(connection_);
      return unexpected(failure);
    }
  }
  if (PQpipelineSync(connection_) != 1) {
    auto failure = error("cannot sync the pipeline");
    PQexitPipelineMode(connection_);
    return unexpected(failure);
  }
  // Each statement answers with one result and then a null; the sync answers last.
  for (const PgStatement* statement = begin; statement != end; ++statement) {
    ResultPtr result(PQgetResult(connection_));
    if (!result) {
      return unexpected(error(std::string("no answer to ") + statement->prepared_name));
    }
    if (!succeeded(result.get()) && !first_error) {
      bool lost = !healthy() || connection_lost(result.get());
      first_error = ExporterError{lost ? ExporterErrc::kConnection : ExporterErrc::kRejected,
                                  std::string(statement->prepared_name) + ": "
                                      + one_line(PQresultErrorMessage(result.get()))};
    }
    ResultPtr terminator(PQgetResult(connection_));
  }
  ResultPtr sync(PQgetResult(connection_));
  if (!sync || PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) {
    if (!first_error) first_error = error("the pipeline did not end with its sync");
  }
  PQexitPipelineMode(connection_);
  if (first_error) return unexpected(*first_error);
  return {};
}

}  // namespace tern::exporter
