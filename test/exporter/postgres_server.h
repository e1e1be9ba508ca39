#pragma once

// A throw-away PostgreSQL server for tests: initdb into a fresh folder, postgres on 127.0.0.1 and
// a free port, stopped (fast shutdown) and removed on destruction. Uses Debian's binaries under
// /usr/lib/postgresql/<version>/bin. PostgreSQL refuses to run as root, so when the test runs as
// root the folder is handed to the `postgres` system user and the binaries run through runuser.

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>

#include "common/result.h"
#include "support/process.h"

namespace tern::exporter::test {

class PostgresServer {
 public:
  // Creates the cluster and starts it; the error says what is missing or what failed.
  static Result<std::unique_ptr<PostgresServer>, std::string> start();
  ~PostgresServer();
  PostgresServer(const PostgresServer&) = delete;
  PostgresServer& operator=(const PostgresServer&) = delete;

  // A libpq connection string for the superuser `tern` on database `postgres`.
  std::string url() const;
  std::uint16_t port() const { return port_; }

  // Fast shutdown (sessions are disconnected), waits for the server to exit.
  Result<void, std::string> stop();
  // After stop(): starts the server again on the same folder and port, waits until it accepts
  // connections.
  Result<void, std::string> start_again();

 private:
  PostgresServer() = default;
  Result<void, std::string> run_postgres();
  std::vector<std::string> as_server_user(const std::string& program) const;

  std::filesystem::path bin_;
  std::filesystem::path base_;
  std::uint16_t port_ = 0;
  std::unique_ptr<tern::test::Process> server_;
};

}  // namespace tern::exporter::test
