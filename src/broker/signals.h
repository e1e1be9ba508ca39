#pragma once

// Orderly shutdown on SIGTERM and SIGINT. The daemon blocks both in every thread (by blocking them
// on the main thread before any other thread starts, so that new threads inherit the mask) and the
// main thread later waits for one synchronously. No handler runs in signal context, so shutdown
// code may log, lock and join freely. A signal that arrives during start-up stays pending and ends
// the wait at once.

namespace tern::broker {

// Call first thing in main(), before any thread exists.
void block_shutdown_signals();

// Blocks until SIGTERM or SIGINT arrives; returns its number.
int wait_for_shutdown_signal();

const char* signal_name(int signal_number);

}  // namespace tern::broker
