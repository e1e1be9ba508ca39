#pragma once

// The time the stream processor stamps on records. Injected so that tests drive it; state code
// never reads a clock (appliers take time from the record).

#include <chrono>
#include <cstdint>

namespace tern::engine {

class EngineClock {
 public:
  virtual ~EngineClock() = default;
  virtual std::int64_t now_ms() const = 0;
};

class SystemEngineClock final : public EngineClock {
 public:
  std::int64_t now_ms() const override {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  }
};

// A clock that moves only when told (tests, replay tools).
class ControlledClock final : public EngineClock {
 public:
  explicit ControlledClock(std::int64_t start_ms = 1'700'000'000'000) : now_ms_(start_ms) {}
  std::int64_t now_ms() const override { return now_ms_; }
  void advance_ms(std::int64_t delta_ms) { now_ms_ += delta_ms; }
  void set_ms(std::int64_t now_ms) { now_ms_ = now_ms; }

 private:
  std::int64_t now_ms_;
};

}  // namespace tern::engine
