#pragma once

// Polling a condition with a deadline: how tests wait for something that happens on another
// thread or in another process, instead of sleeping for a guessed time.

#include <chrono>
#include <functional>

namespace tern::test {

// True as soon as `condition` holds, checked every `poll`; false if it still does not hold after
// `timeout` (checked once more at the deadline).
bool eventually(const std::function<bool()>& condition, std::chrono::milliseconds timeout,
                std::chrono::milliseconds poll = std::chrono::milliseconds(10));

}  // namespace tern::test
