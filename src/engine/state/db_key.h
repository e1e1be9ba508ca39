#pragma once

// Keys of the partition's RocksDB: one leading byte names the kind of state (a key prefix per
// kind, so that a kind can be scanned in order), followed by order-preserving parts: integers
// big-endian with the sign bit flipped, strings terminated by a zero byte.

#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace tern::engine {

enum class StateKind : std::uint8_t {
  kMeta = 1,              // positions and the key generator (not part of the digest)
  kKeyGenerator = 2,      // the next key counter
  kProcess = 10,          // process definition key -> process definition
  kProcessLatest = 11,    // bpmnProcessId -> latest process definition key
  kProcessVersion = 12,   // bpmnProcessId, version -> process definition key
  kElementInstance = 20,  // element instance key -> element instance
  kElementChild = 21,     // flow scope key, child key -> ""
  kJoinFlows = 22,        // flow scope key, target id, flow id -> tokens taken there (joins;
                          // every target in a scope with an inclusive join)
  kVariable = 30,         // scope key, name -> variable (key + JSON text)
  kJob = 40,              // job key -> job
  kActivatableJob = 41,   // type, job key -> ""
  kJobDeadline = 42,      // deadline, job key -> ""
  kJobBackoff = 43,       // recur time, job key -> ""
  kIncident = 50,         // incident key -> incident record value
  kElementIncident = 51,  // element instance key -> incident key
  kJobIncident = 52,      // job key -> incident key
  kAwaitResult = 60,      // process instance key -> the request waiting for the result
  // engine breadth (state/event_state.h)
  kTimer = 70,                // timer key -> TIMER record value
  kTimerDue = 71,             // due date, timer key -> ""
  kTimerByElement = 72,       // element instance key (or process definition key), timer key -> ""
  kEventTrigger = 73,         // element instance key -> pending trigger (element id, variables)
  kMessage = 80,              // message key -> MESSAGE record value
  kMessageByName = 81,        // name, correlation key, message key -> ""
  kMessageById = 82,          // name, message id -> message key
  kMessageDeadline = 83,      // deadline, message key -> ""
  kMessageCorrelated = 84,    // message key, bpmn process id -> process instance key
  kMessageSubscription = 85,  // subscription key -> MESSAGE_SUBSCRIPTION value
  kMessageSubByName = 86,     // name, correlation key, subscription key -> ""
  kMessageSubByElement = 87,  // element instance key, subscription key -> ""
  kMessageStartSub = 88,      // message name, process definition key -> start event id
  kActiveByCorrelation = 89,  // bpmn process id, correlation key -> process instance key
  kProcessMessageSub = 90,    // element instance key, message name -> PROCESS_MESSAGE_SUBSCRIPTION
  kExporterPosition = 100,    // exporter name -> acknowledged position (state/exporter_state.h)
  // signals (state/signal_state.h)
  kSignalSubscription = 91,  // subscription key -> SIGNAL_SUBSCRIPTION value
  kSignalSubByName = 92,     // signal name, subscription key -> ""
  kSignalSubByOwner = 93,    // element instance key (or process definition key), sub. key -> ""
  // compensation (state/compensation_state.h)
  kCompensationSubscription = 94,  // subscription key -> COMPENSATION_SUBSCRIPTION value
  kCompensationByInstance = 95,    // process instance key, subscription key -> ""
  // signals thrown to other partitions (state/signal_state.h)
  kSignalDistribution = 96,  // distribution key -> SIGNAL DISTRIBUTING value, until acknowledged
  kSignalReceived = 97,      // distribution key -> "": a distributed broadcast processed here
};

// Built on the stack: most keys are a kind and one or two integers (9-17 bytes), and every state
// access builds one, so the bytes live in an inline buffer (a heap string only past it) and an
// integer is stored as one 8-byte big-endian word rather than byte by byte.
class DbKey {
 public:
  explicit DbKey(StateKind kind) {
    inline_[0] = static_cast<char>(kind);
    size_ = 1;
  }
  DbKey(const DbKey& other) { assign(other); }
  DbKey& operator=(const DbKey& other) {
    if (this != &other) assign(other);
    return *this;
  }

  DbKey& i64(std::int64_t value) {
    std::uint64_t raw = static_cast<std::uint64_t>(value) ^ (std::uint64_t{1} << 63);
    if constexpr (std::endian::native == std::endian::little) raw = __builtin_bswap64(raw);
    std::memcpy(extend(8), &raw, 8);
    return *this;
  }
  DbKey& str(std::string_view value) {
    char* out = extend(value.size() + 1);
    if (!value.empty()) std::memcpy(out, value.data(), value.size());
    out[value.size()] = '\0';
    return *this;
  }

  std::string_view view() const { return std::string_view(data(), size_); }
  std::size_t size() const { return size_; }
  std::string bytes() const { return std::string(view()); }
  operator std::string_view() const { return view(); }  // NOLINT: keys are passed as views

 private:
  static constexpr std::size_t kInlineBytes = 40;

  const char* data() const { return size_ <= kInlineBytes ? inline_ : heap_.data(); }

  // Room for `more` bytes at the end; returns where they go.
  char* extend(std::size_t more) {
    std::size_t old_size = size_;
    size_ += more;
    if (size_ <= kInlineBytes) return inline_ + old_size;
    if (old_size <= kInlineBytes) heap_.assign(inline_, old_size);
    heap_.resize(size_);
    return heap_.data() + old_size;
  }

  void assign(const DbKey& other) {
    size_ = other.size_;
    if (size_ <= kInlineBytes) {
      std::memcpy(inline_, other.inline_, size_);
    } else {
      heap_ = other.heap_;
    }
  }

  char inline_[kInlineBytes];
  std::size_t size_ = 0;
  std::string heap_;  // the bytes, once past the inline buffer
};

// Reads the big-endian integer DbKey::i64 wrote at `offset` of `key`.
inline std::int64_t read_key_i64(std::string_view key, std::size_t offset) {
  std::uint64_t raw = 0;
  for (std::size_t i = 0; i < 8; ++i) {
    raw = (raw << 8) | static_cast<std::uint8_t>(key[offset + i]);
  }
  return static_cast<std::int64_t>(raw ^ (std::uint64_t{1} << 63));
}

}  // namespace tern::engine
