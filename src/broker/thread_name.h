#pragma once

// Names the calling thread (as `top -H`, `perf` and /proc/<pid>/task/*/comm show it), so that a
// broker's CPU can be told apart per role: the cluster transport's IO thread, the partition pool,
// the journal writers. Linux keeps at most 15 characters; longer names are cut.

#include <pthread.h>

#include <string>

namespace tern::broker {

inline void set_thread_name(const std::string& name) {
  std::string cut = name.substr(0, 15);
  (void)pthread_setname_np(pthread_self(), cut.c_str());
}

}  // namespace tern::broker
