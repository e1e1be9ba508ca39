#include "engine/state/signal_state.h"

#include <algorithm>

namespace tern::engine {

namespace {

std::string name_of(const Json& value) {
  return value.value("signalName", std::string());
}

std::optional<SignalSubscriptionEntry> load(const Transaction& txn, Key key) {
  auto bytes = txn.get(DbKey(StateKind::kSignalSubscription).i64(key.value()));
  if (!bytes) return std::nullopt;
  return SignalSubscriptionEntry{key, Json::from_msgpack(*bytes)};
}

std::vector<SignalSubscriptionEntry> load_all(const Transaction& txn, std::string_view prefix) {
  std::vector<Key> keys;
  txn.scan(prefix, [&](std::string_view key, std::string_view) {
    keys.emplace_back(read_key_i64(key, key.size() - 8));
    return true;
  });
  std::sort(keys.begin(), keys.end(),
            [](Key left, Key right) { return left.value() < right.value(); });
  std::vector<SignalSubscriptionEntry> out;
  for (Key key : keys) {
    if (auto entry = load(txn, key)) out.push_back(std::move(*entry));
  }
  return out;
}

}  // namespace

Key SignalSubscriptionEntry::owner() const {
  Key instance = catch_event_instance_key();
  return instance.value() > 0 ? instance
                              : Key(value.value("processDefinitionKey", std::int64_t{-1}));
}

std::vector<SignalSubscriptionEntry> SignalStateView::subscriptions_for(
    std::string_view name) const {
  return load_all(txn_, DbKey(StateKind::kSignalSubByName).str(name).bytes());
}

std::vector<SignalSubscriptionEntry> SignalStateView::subscriptions_of(Key owner) const {
  return load_all(txn_, DbKey(StateKind::kSignalSubByOwner).i64(owner.value()).bytes());
}

std::optional<SignalDistributionEntry> SignalStateView::distribution(Key key) const {
  auto bytes = txn_.get(DbKey(StateKind::kSignalDistribution).i64(key.value()));
  if (!bytes) return std::nullopt;
  return SignalDistributionEntry{key, Json::from_msgpack(*bytes)};
}

std::vector<SignalDistributionEntry> SignalStateView::pending_distributions(std::size_t max) const {
  std::vector<SignalDistributionEntry> out;
  txn_.scan(DbKey(StateKind::kSignalDistribution).bytes(),
            [&](std::string_view key, std::string_view bytes) {
              out.push_back({Key(read_key_i64(key, 1)), Json::from_msgpack(bytes)});
              return out.size() < max;
            });
  return out;
}

bool SignalStateView::distribution_received(Key key) const {
  return txn_.get(DbKey(StateKind::kSignalReceived).i64(key.value())).has_value();
}

void SignalStateWriter::put_distribution(const SignalDistributionEntry& distribution) {
  auto packed = Json::to_msgpack(distribution.value);
  txn_.put(DbKey(StateKind::kSignalDistribution).i64(distribution.key.value()),
           std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()));
}

void SignalStateWriter::remove_distribution(Key key) {
  txn_.erase(DbKey(StateKind::kSignalDistribution).i64(key.value()));
}

void SignalStateWriter::mark_received(Key distribution_key) {
  txn_.put(DbKey(StateKind::kSignalReceived).i64(distribution_key.value()), "");
}

void SignalStateWriter::put(const SignalSubscriptionEntry& subscription) {
  auto packed = Json::to_msgpack(subscription.value);
  txn_.put(DbKey(StateKind::kSignalSubscription).i64(subscription.key.value()),
           std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()));
  txn_.put(DbKey(StateKind::kSignalSubByName)
               .str(name_of(subscription.value))
               .i64(subscription.key.value()),
           "");
  txn_.put(DbKey(StateKind::kSignalSubByOwner)
               .i64(subscription.owner().value())
               .i64(subscription.key.value()),
           "");
}

void SignalStateWriter::remove(Key key) {
  auto existing = load(txn_, key);
  if (!existing) return;
  txn_.erase(DbKey(StateKind::kSignalSubscription).i64(key.value()));
  txn_.erase(DbKey(StateKind::kSignalSubByName).str(name_of(existing->value)).i64(key.value()));
  txn_.erase(DbKey(StateKind::kSignalSubByOwner).i64(existing->owner().value()).i64(key.value()));
}

}  // namespace tern::engine
