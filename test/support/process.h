#pragma once

// Child processes for tests that drive real binaries (ternd, tern, node): spawn with arguments and
// environment, capture stdout/stderr to files, wait for a TCP port, stop with SIGTERM/SIGKILL.

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "common/result.h"

namespace tern::test {

struct ProcessOptions {
  // A path, or a bare name looked up in PATH (e.g. "node").
  std::string executable;
  std::vector<std::string> args;
  // Added to (or replacing entries of) the test's own environment.
  std::map<std::string, std::string> env;
  // Removed from the inherited environment (e.g. ZEEBE_ADDRESS, so a client sees no defaults).
  std::vector<std::string> unset_env;
  // Where stdout and stderr go; empty means a file in the system temp folder chosen by spawn().
  std::filesystem::path stdout_path;
  std::filesystem::path stderr_path;
  // Working directory of the child; empty means the test's own.
  std::filesystem::path working_dir;
};

// Owns one child process, which leads its own process group so that stopping it also stops what it
// started (npm runs node, for instance). Not thread-safe; use from the test's thread. The
// destructor stops a child still running (SIGTERM, then SIGKILL after a grace period) and reaps it.
class Process {
 public:
  static tern::Result<std::unique_ptr<Process>, std::string> spawn(ProcessOptions options);

  Process(const Process&) = delete;
  Process& operator=(const Process&) = delete;
  ~Process();

  pid_t pid() const { return pid_; }

  // True once something accepts TCP connections on 127.0.0.1:port; false on timeout or if the
  // child exited first (a daemon that failed to start should fail the test fast).
  bool wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout);

  // The exit code once the child has exited (128 + signal number if a signal ended it), or nullopt
  // if it is still running after the timeout.
  std::optional<int> wait(std::chrono::milliseconds timeout);
  bool running();

  // Signals the whole process group.
  void terminate();  // SIGTERM
  void kill();       // SIGKILL

  // SIGTERM, wait up to `grace`, then SIGKILL; returns the exit code.
  int stop(std::chrono::milliseconds grace = std::chrono::seconds(10));

  std::string stdout_text() const;
  std::string stderr_text() const;
  const std::filesystem::path& stdout_path() const { return stdout_path_; }
  const std::filesystem::path& stderr_path() const { return stderr_path_; }

 private:
  Process(pid_t pid, std::filesystem::path out, std::filesystem::path err, bool remove_files);
  void signal_group(int signal);

  pid_t pid_;
  std::optional<int> exit_code_;
  std::filesystem::path stdout_path_;
  std::filesystem::path stderr_path_;
  bool remove_files_;
};

struct Completed {
  int exit_code = 0;
  std::string out;
  std::string err;
};

// Runs a command to completion. Fails if it cannot start or does not finish within the timeout
// (it is killed then, and the error carries what it printed so far).
tern::Result<Completed, std::string> run_process(ProcessOptions options,
                                                 std::chrono::milliseconds timeout);

}  // namespace tern::test
