#include "engine/state/compensation_state.h"

#include <algorithm>

namespace tern::engine {

namespace {

std::optional<CompensationSubscriptionEntry> load(const Transaction& txn, Key key) {
  auto bytes = txn.get(DbKey(StateKind::kCompensationSubscription).i64(key.value()));
  if (!bytes) return std::nullopt;
  return CompensationSubscriptionEntry{key, Json::from_msgpack(*bytes)};
}

}  // namespace

std::vector<CompensationSubscriptionEntry> CompensationStateView::subscriptions_of(
    Key process_instance_key) const {
  std::vector<Key> keys;
  txn_.scan(DbKey(StateKind::kCompensationByInstance).i64(process_instance_key.value()).bytes(),
            [&](std::string_view key, std::string_view) {
              keys.emplace_back(read_key_i64(key, key.size() - 8));
              return true;
            });
  std::sort(keys.begin(), keys.end(),
            [](Key left, Key right) { return left.value() < right.value(); });
  std::vector<CompensationSubscriptionEntry> out;
  for (Key key : keys) {
    if (auto entry = load(txn_, key)) out.push_back(std::move(*entry));
  }
  return out;
}

void CompensationStateWriter::put(const CompensationSubscriptionEntry& subscription) {
  auto packed = Json::to_msgpack(subscription.value);
  txn_.put(DbKey(StateKind::kCompensationSubscription).i64(subscription.key.value()),
           std::string_view(reinterpret_cast<const char*>(packed.data()), packed.size()));
  txn_.put(DbKey(StateKind::kCompensationByInstance)
               .i64(subscription.process_instance_key().value())
               .i64(subscription.key.value()),
           "");
}

void CompensationStateWriter::remove(Key key) {
  auto existing = load(txn_, key);
  if (!existing) return;
  txn_.erase(DbKey(StateKind::kCompensationSubscription).i64(key.value()));
  txn_.erase(DbKey(StateKind::kCompensationByInstance)
                 .i64(existing->process_instance_key().value())
                 .i64(key.value()));
}

}  // namespace tern::engine
