#include "support/process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

extern char** environ;

namespace tern::test {
namespace {

// How often waits look at the child again. Waiting on a child or a port has no portable
// notification, so these loops poll; the interval only bounds the extra latency.
constexpr auto kPollInterval = std::chrono::milliseconds(10);

std::filesystem::path unique_temp_file(const std::string& stem) {
  static std::atomic<int> counter{0};
  return std::filesystem::temp_directory_path()
         / ("tern-" + stem + "-" + std::to_string(::getpid()) + "-" + std::to_string(counter++)
            + ".log");
}

std::vector<std::string> child_environment(const ProcessOptions& options) {
  std::map<std::string, std::string> merged;
  for (char** entry = environ; entry != nullptr && *entry != nullptr; ++entry) {
    std::string text(*entry);
    auto equals = text.find('=');
    if (equals == std::string::npos) continue;
    merged[text.substr(0, equals)] = text.substr(equals + 1);
  }
  for (const auto& name : options.unset_env)
    merged.erase(name);
  for (const auto& [name, value] : options.env)
    merged[name] = value;
  std::vector<std::string> result;
  for (const auto& [name, value] : merged)
    result.push_back(name + "=" + value);
  return result;
}

bool port_accepts(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  ::close(fd);
  return ok;
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

tern::Result<std::unique_ptr<Process>, std::string> Process::spawn(ProcessOptions options) {
  if (options.executable.empty()) return tern::unexpected(std::string("no executable given"));
  const bool remove_files = options.stdout_path.empty() && options.stderr_path.empty();
  if (options.stdout_path.empty()) options.stdout_path = unique_temp_file("stdout");
  if (options.stderr_path.empty()) options.stderr_path = unique_temp_file("stderr");

  std::vector<std::string> argv_text{options.executable};
  argv_text.insert(argv_text.end(), options.args.begin(), options.args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text)
    argv.push_back(arg.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_text = child_environment(options);
  std::vector<char*> envp;
  for (auto& entry : env_text)
    envp.push_back(entry.data());
  envp.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, options.stdout_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, options.stderr_path.c_str(),
                                   O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (!options.working_dir.empty()) {
    posix_spawn_file_actions_addchdir_np(&actions, options.working_dir.c_str());
  }
  posix_spawnattr_t attributes;
  posix_spawnattr_init(&attributes);
  posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETPGROUP);
  posix_spawnattr_setpgroup(&attributes, 0);

  pid_t pid = 0;
  const bool search_path = options.executable.find('/') == std::string::npos;
  int error = search_path ? ::posix_spawnp(&pid, options.executable.c_str(), &actions, &attributes,
                                           argv.data(), envp.data())
                          : ::posix_spawn(&pid, options.executable.c_str(), &actions, &attributes,
                                          argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attributes);
  if (error != 0) {
    return tern::unexpected("cannot start " + options.executable + ": " + std::strerror(error));
  }
  return std::unique_ptr<Process>(
      new Process(pid, options.stdout_path, options.stderr_path, remove_files));
}

Process::Process(pid_t pid, std::filesystem::path out, std::filesystem::path err, bool remove_files)
    : pid_(pid),
      stdout_path_(std::move(out)),
      stderr_path_(std::move(err)),
      remove_files_(remove_files) {}

Process::~Process() {
  if (running()) stop(std::chrono::seconds(5));
  if (remove_files_) {
    std::error_code ignored;
    std::filesystem::remove(stdout_path_, ignored);
    std::filesystem::remove(stderr_path_, ignored);
  }
}

bool Process::running() {
  if (exit_code_) return false;
  int status = 0;
  pid_t result = ::waitpid(pid_, &status, WNOHANG);
  if (result == 0) return true;
  if (result == pid_) {
    exit_code_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  } else {
    exit_code_ = -1;  // not our child any more (reaped elsewhere); treat as gone
  }
  return false;
}

std::optional<int> Process::wait(std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (running()) {
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollInterval);
  }
  return exit_code_;
}

bool Process::wait_for_port(std::uint16_t port, std::chrono::milliseconds timeout) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (!running()) return false;
    if (port_accepts(port)) return true;
    std::this_thread::sleep_for(kPollInterval);
  }
  return false;
}

void Process::signal_group(int signal) {
  if (!running()) return;
  // The child leads its own group (spawned with pgid 0), so -pid reaches its children too.
  if (::kill(-pid_, signal) != 0) ::kill(pid_, signal);
}

void Process::terminate() {
  signal_group(SIGTERM);
}

void Process::kill() {
  signal_group(SIGKILL);
}

int Process::stop(std::chrono::milliseconds grace) {
  terminate();
  if (auto code = wait(grace)) return *code;
  kill();
  // SIGKILL cannot be ignored; the wait only covers the kernel reaping it.
  if (auto code = wait(std::chrono::seconds(30))) return *code;
  return -1;
}

std::string Process::stdout_text() const {
  return read_file(stdout_path_);
}

std::string Process::stderr_text() const {
  return read_file(stderr_path_);
}

tern::Result<Completed, std::string> run_process(ProcessOptions options,
                                                 std::chrono::milliseconds timeout) {
  const std::string name = options.executable;
  auto process = Process::spawn(std::move(options));
  if (!process) return tern::unexpected(process.error());
  auto code = (*process)->wait(timeout);
  if (!code) {
    (*process)->kill();
    (*process)->wait(std::chrono::seconds(30));
    return tern::unexpected(name + " did not finish within " + std::to_string(timeout.count())
                            + "ms; stdout:\n" + (*process)->stdout_text() + "\nstderr:\n"
                            + (*process)->stderr_text());
  }
  return Completed{*code, (*process)->stdout_text(), (*process)->stderr_text()};
}

}  // namespace tern::test
