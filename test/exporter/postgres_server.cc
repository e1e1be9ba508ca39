#include "exporter/postgres_server.h"

#include <libpq-fe.h>
#include <pwd.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "support/free_port.h"

namespace tern::exporter::test {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;

// The newest installed server version's binaries.
fs::path find_bin() {
  fs::path best;
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator("/usr/lib/postgresql", ec)) {
    fs::path bin = entry.path() / "bin";
    if (fs::exists(bin / "postgres") && fs::exists(bin / "initdb") && bin > best) best = bin;
  }
  return best;
}

Result<void, std::string> run_to_end(std::vector<std::string> command) {
  tern::test::ProcessOptions options;
  options.executable = command.front();
  options.args.assign(command.begin() + 1, command.end());
  auto process = tern::test::Process::spawn(options);
  if (!process) return unexpected(process.error());
  auto code = (*process)->wait(120s);
  if (!code) return unexpected(command.front() + " did not finish within 120 s");
  if (*code != 0) {
    return unexpected(command.front() + " failed with status " + std::to_string(*code) + ": "
                      + (*process)->stderr_text() + (*process)->stdout_text());
  }
  return {};
}

}  // namespace

std::vector<std::string> PostgresServer::as_server_user(const std::string& program) const {
  std::string path = (bin_ / program).string();
  if (::geteuid() == 0) return {"runuser", "-u", "postgres", "--", path};
  return {path};
}

Result<std::unique_ptr<PostgresServer>, std::string> PostgresServer::start() {
  std::unique_ptr<PostgresServer> server(new PostgresServer());
  server->bin_ = find_bin();
  if (server->bin_.empty()) {
    return unexpected(std::string(
        "no PostgreSQL server under /usr/lib/postgresql/*/bin: run scripts/install-deps.sh"));
  }
  std::string pattern = (fs::temp_directory_path() / "tern-pg-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) return unexpected("cannot create " + pattern);
  server->base_ = pattern;
  if (::geteuid() == 0) {
    struct passwd* user = ::getpwnam("postgres");
    if (user == nullptr) {
      return unexpected(std::string("running as root needs the 'postgres' system user"));
    }
    if (::chown(server->base_.c_str(), user->pw_uid, user->pw_gid) != 0) {
      return unexpected("cannot hand " + server->base_.string() + " to the postgres user");
    }
  }
  auto initdb = server->as_server_user("initdb");
  initdb.insert(initdb.end(), {"-D", (server->base_ / "data").string(), "-U", "tern",
                               "--auth=trust", "-E", "UTF8", "--no-sync", "--no-instructions"});
  if (auto made = run_to_end(initdb); !made) return unexpected("initdb: " + made.error());
  server->port_ = tern::test::free_port();
  if (auto started = server->run_postgres(); !started) return unexpected(started.error());
  return server;
}

Result<void, std::string> PostgresServer::run_postgres() {
  auto command = as_server_user("postgres");
  tern::test::ProcessOptions options;
  options.executable = command.front();
  options.args.assign(command.begin() + 1, command.end());
  for (std::string arg :
       {std::string("-D"), (base_ / "data").string(), std::string("-p"), std::to_string(port_),
        std::string("-h"), std::string("127.0.0.1"), std::string("-k"), base_.string(),
        std::string("-c"), std::string("fsync=off"), std::string("-c"),
        std::string("synchronous_commit=off"), std::string("-c"),
        std::string("shared_buffers=16MB"), std::string("-c"), std::string("max_connections=40")})
    options.args.push_back(std::move(arg));
  auto process = tern::test::Process::spawn(options);
  if (!process) return unexpected("postgres: " + process.error());
  server_ = std::move(process.value());
  if (!server_->wait_for_port(port_, 60s)) {
    return unexpected("postgres did not listen on port " + std::to_string(port_) + ": "
                      + server_->stderr_text());
  }
  // Listening comes before accepting: wait until start-up (or crash recovery) has finished.
  auto deadline = std::chrono::steady_clock::now() + 60s;
  while (PQping(url().c_str()) != PQPING_OK) {
    if (std::chrono::steady_clock::now() > deadline || !server_->running()) {
      return unexpected("postgres does not accept connections: " + server_->stderr_text());
    }
    std::this_thread::sleep_for(20ms);
  }
  return {};
}

std::string PostgresServer::url() const {
  return "host=127.0.0.1 port=" + std::to_string(port_)
         + " user=tern dbname=postgres connect_timeout=5";
}

Result<void, std::string> PostgresServer::stop() {
  if (!server_) return {};
  ::kill(-server_->pid(), SIGINT);  // fast shutdown: disconnect sessions, checkpoint, exit
  auto code = server_->wait(60s);
  if (!code) {
    server_->kill();
    server_->wait(10s);
  }
  server_.reset();
  if (!code) return unexpected(std::string("postgres did not stop within 60 s; killed"));
  return {};
}

Result<void, std::string> PostgresServer::start_again() {
  if (server_) return unexpected(std::string("postgres is still running"));
  return run_postgres();
}

PostgresServer::~PostgresServer() {
  (void)stop();
  std::error_code ignored;
  if (!base_.empty()) fs::remove_all(base_, ignored);
}

}  // namespace tern::exporter::test
