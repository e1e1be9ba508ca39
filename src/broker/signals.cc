#include "broker/signals.h"

#include <pthread.h>
#include <signal.h>

#include "common/check.h"

namespace tern::broker {
namespace {

sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  return set;
}

}  // namespace

void block_shutdown_signals() {
  sigset_t set = shutdown_signals();
  TERN_CHECK(pthread_sigmask(SIG_BLOCK, &set, nullptr) == 0, "cannot block shutdown signals");
}

int wait_for_shutdown_signal() {
  sigset_t set = shutdown_signals();
  int received = 0;
  while (sigwait(&set, &received) != 0) {
  }
  return received;
}

const char* signal_name(int signal_number) {
  switch (signal_number) {
    case SIGTERM:
      return "SIGTERM";
    case SIGINT:
      return "SIGINT";
    default:
      return "signal";
  }
}

}  // namespace tern::broker
