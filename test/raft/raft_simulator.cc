#include "raft_simulator.h"

#include <algorithm>
#include <deque>
#include <sstream>

#include "raft/core/bytes.h"
#include "raft/journal/journal.h"

namespace tern::raft::sim {

// What a simulated replica persists to: memory, or a real journal in a temporary folder (whose
// process crash keeps what was written and reopens through crash recovery).
class Simulator::Storage {
 public:
  virtual ~Storage() = default;
  virtual const LogStorage& log() const = 0;
  virtual std::optional<std::string> bootstrap(const Configuration& configuration) = 0;
  virtual std::optional<std::string> persist(const Ready& ready) = 0;
  // Pipelined syncs (memory only): write() makes a Ready readable, sync() later makes it durable,
  // in order; a crash (reopen()) keeps only what was synced.
  virtual bool pipelines() const { return false; }
  virtual void write(const Ready& ready) { (void)ready; }
  virtual void sync(const Ready& ready) { (void)ready; }
  // The hard state a crash would keep.
  virtual HardState durable_hard_state() const { return log().hard_state(); }
  virtual std::optional<std::string> snapshot_at(LogIndex index, const Configuration& config,
                                                 std::string data) = 0;
  virtual std::optional<std::string> reopen() = 0;
};

namespace {

// `storage_` is what the node reads (written); `durable_` what survives a crash. A synchronous
// driver keeps them equal; a pipelined one writes first and syncs later, in order.
class MemorySimStorage final : public Simulator::Storage {
 public:
  const LogStorage& log() const override { return storage_; }
  std::optional<std::string> bootstrap(const Configuration& configuration) override {
    storage_.bootstrap(configuration);
    durable_.bootstrap(configuration);
    return std::nullopt;
  }
  std::optional<std::string> persist(const Ready& ready) override {
    apply(storage_, ready);
    apply(durable_, ready);
    return std::nullopt;
  }
  bool pipelines() const override { return true; }
  void write(const Ready& ready) override { apply(storage_, ready); }
  void sync(const Ready& ready) override { apply(durable_, ready); }
  HardState durable_hard_state() const override { return durable_.hard_state(); }
  std::optional<std::string> snapshot_at(LogIndex index, const Configuration& config,
                                         std::string data) override {
    storage_.create_snapshot(index, config, data);
    durable_.create_snapshot(index, config, std::move(data));
    return std::nullopt;
  }
  std::optional<std::string> reopen() override {
    storage_ = durable_;  // the written but unsynced tail is lost
    return std::nullopt;
  }

 private:
  static void apply(MemoryStorage& storage, const Ready& ready) {
    if (ready.snapshot) storage.apply_snapshot(*ready.snapshot);
    storage.append(ready.entries);
    if (ready.hard_state) storage.set_hard_state(*ready.hard_state);
  }

  MemoryStorage storage_;
  MemoryStorage durable_;
};

class JournalSimStorage final : public Simulator::Storage {
 public:
  explicit JournalSimStorage(std::filesystem::path dir) : dir_(std::move(dir)) {}
  const LogStorage& log() const override { return *journal_; }
  std::optional<std::string> bootstrap(const Configuration& configuration) override {
    auto r = journal_->bootstrap(configuration);
    return r.ok() ? std::nullopt : std::optional<std::string>(r.error().message);
  }
  std::optional<std::string> persist(const Ready& ready) override {
    if (ready.snapshot) {
      if (ready.hard_state) journal_->set_hard_state(*ready.hard_state);
      if (auto r = journal_->install_snapshot(*ready.snapshot); !r.ok()) return r.error().message;
    }
    if (auto r = journal_->append(ready.entries); !r.ok()) return r.error().message;
    if (ready.hard_state) journal_->set_hard_state(*ready.hard_state);
    if (auto r = journal_->flush(); !r.ok()) return r.error().message;
    return std::nullopt;
  }
  std::optional<std::string> snapshot_at(LogIndex index, const Configuration& config,
                                         std::string data) override {
    auto r = journal_->create_snapshot(index, config, std::move(data));
    return r.ok() ? std::nullopt : std::optional<std::string>(r.error().message);
  }
  std::optional<std::string> reopen() override {
    journal_.reset();
    journal::JournalOptions options;
    options.segment_size_bytes = 512;  // many segments: rolling, truncation and compaction
    options.index_interval = 3;
    options.tail_cache_bytes = 300;  // reads mix the cached tail and the segments
    options.durability = journal::Durability::kSkip;
    auto opened = journal::Journal::open(dir_, options);
    if (!opened.ok()) return "journal reopen failed: " + opened.error().message;
    journal_ = std::move(*opened);
    return std::nullopt;
  }

 private:
  std::filesystem::path dir_;
  std::unique_ptr<journal::Journal> journal_;
};

}  // namespace

struct Simulator::Node {
  int id = 0;
  bool up = false;
  int incarnation = 0;
  std::unique_ptr<Storage> storage;
  std::unique_ptr<RaftNode> raft;
  std::optional<Ready> pending;  // messages sent, nothing persisted yet: lost on a crash
  LogIndex applied;
  std::uint64_t chain = 0;
  // Applies a Ready's committed entries when it takes the Ready, and commits that arrive during
  // its flush through take_committed(), as the broker does; otherwise after the flush.
  bool eager_apply = false;
  // Pipelined syncs (RaftNode::advance_written / persisted): Readies written, their syncs in
  // flight in order; each one's votes and acknowledgements leave when its sync ends.
  bool pipelined = false;
  std::deque<Ready> writing;
};

namespace {

std::uint64_t chain_hash(std::uint64_t previous, const Entry& entry) {
  std::uint64_t hash = previous ^ 0xcbf29ce484222325ull;
  auto mix = [&hash](std::uint64_t value) {
    for (int i = 0; i < 8; ++i) {
      hash ^= (value >> (8 * i)) & 0xff;
      hash *= 0x100000001b3ull;
    }
  };
  mix(entry.term.value());
  mix(entry.index.value());
  mix(static_cast<std::uint64_t>(entry.type));
  for (char c : entry.data)
    mix(static_cast<unsigned char>(c));
  return hash;
}

std::string encode_state(LogIndex applied, std::uint64_t chain) {
  ByteWriter out;
  out.put_u64(applied.value());
  out.put_u64(chain);
  return out.take();
}

}  // namespace

Simulator::Simulator(SimOptions options)
    : options_(options), random_state_(options.seed * 0x2545f4914f6cdd1dull + 7) {
  Configuration initial;
  for (int i = 0; i < options_.voters; ++i)
    initial.voters.emplace_back(i);
  for (int i = 0; i < options_.voters + options_.spares; ++i) {
    auto node = std::make_unique<Node>();
    node->id = i;
    if (options_.journal_dir.empty()) {
      node->storage = std::make_unique<MemorySimStorage>();
    } else {
      node->storage =
          std::make_unique<JournalSimStorage>(options_.journal_dir / ("node-" + std::to_string(i)));
      if (auto error = node->storage->reopen()) fail(*error);
    }
    if (i < options_.voters) {
      if (auto error = node->storage->bootstrap(initial)) fail(*error);
    }
    nodes_.push_back(std::move(node));
    start_node(*nodes_.back());
  }
}

Simulator::~Simulator() = default;

std::uint64_t Simulator::random() {
  std::uint64_t z = (random_state_ += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

void Simulator::fail(const std::string& what) {
  if (failure_) return;
  std::ostringstream out;
  out << "seed " << options_.seed << " (voters " << options_.voters << ", regions "
      << options_.regions << ") step " << step_ << ": " << what;
  failure_ = out.str();
}

void Simulator::start_node(Node& node) {
  RaftOptions options;
  options.id = NodeId(node.id);
  options.election_ticks = 10;
  options.heartbeat_ticks = 2;
  options.max_inflight_appends = 4;
  options.max_append_bytes = 256;  // small batches, so windows and back-off get exercised
  options.snapshot_chunk_bytes = 7;
  options.random_seed = options_.seed * 1000003 + static_cast<std::uint64_t>(node.id) * 101
                        + static_cast<std::uint64_t>(node.incarnation);
  for (int i = 0; i < options_.voters; ++i)
    options.priority_order.emplace_back(i);
  if (node.incarnation > 0) {
    if (auto error = node.storage->reopen()) {
      fail(*error);
      return;
    }
  }
  node.raft = std::make_unique<RaftNode>(options, node.storage->log());
  node.pending.reset();
  node.writing.clear();
  node.up = true;
  const std::uint64_t mix = options_.seed + static_cast<std::uint64_t>(node.id)
                            + static_cast<std::uint64_t>(node.incarnation);
  node.eager_apply = mix % 2 == 0;
  // Where the storage can model it, every node of a pipelined run syncs that way (and applies
  // eagerly, as the broker does), so that pipelined and synchronous nodes meet in one group.
  node.pipelined = options_.pipelined && node.storage->pipelines() && mix % 4 != 1;
  if (node.pipelined) node.eager_apply = true;
  // The state machine restarts from the snapshot and replays the log.
  auto snapshot = node.storage->log().snapshot();
  node.applied = snapshot->meta.index;
  node.chain = 0;
  if (snapshot->meta.index > LogIndex(0)) {
    ByteReader in(snapshot->data);
    LogIndex index(in.get_u64());
    node.chain = in.get_u64();
    if (!in.ok() || index != snapshot->meta.index) fail("stored snapshot does not decode");
  }
}

void Simulator::crash(Node& node) {
  node.up = false;
  node.pending.reset();  // the unflushed tail is lost
  node.writing.clear();  // and so are the writes whose syncs had not ended
  node.raft.reset();
  ++node.incarnation;
  ++stats_.crashes;
}

void Simulator::send_all(std::vector<Message>& messages) {
  for (Message& message : messages) {
    // Mostly a short delay; now and then a very stale delivery (long after the sender moved on).
    std::uint64_t delay = chance(20) ? 20 + below(300) : below(4);
    network_.push_back(InFlight{std::move(message), step_ + delay});
  }
  if (network_.size() > 4000) network_.erase(network_.begin(), network_.begin() + 1000);
}

void Simulator::io(Node& node) {
  if (!node.up) return;
  if (node.pipelined) {
    io_pipelined(node);
    return;
  }
  if (node.pending) {
    if (node.eager_apply) {
      std::vector<Entry> taken = node.raft->take_committed();
      for (const Entry& entry : taken)
        apply(node, entry);
      if (!taken.empty()) return;  // the flush completes at a later step
    }
    persist(node);
    return;
  }
  if (!node.raft->has_ready()) return;
  node.pending = node.raft->ready();
  send_all(node.pending->messages);
  if (node.eager_apply) {
    for (const Entry& entry : node.pending->committed_entries)
      apply(node, entry);
    node.pending->committed_entries.clear();
  }
}

void Simulator::io_pipelined(Node& node) {
  std::vector<Entry> taken = node.raft->take_committed();
  for (const Entry& entry : taken)
    apply(node, entry);
  const bool can_write = node.raft->has_ready() && node.writing.size() < 4;
  if (!node.writing.empty() && (!can_write || chance(400))) {
    // The oldest sync ends: only now may its votes and acknowledgements leave.
    Ready synced = std::move(node.writing.front());
    node.writing.pop_front();
    node.storage->sync(synced);
    send_all(synced.messages_after_persist);
    if (!synced.entries.empty()) {
      node.raft->persisted(synced.entries.back().index, synced.entries.back().term);
    } else if (synced.snapshot) {
      node.raft->persisted(synced.snapshot->meta.index, synced.snapshot->meta.term);
    }
    return;
  }
  if (!can_write) return;
  Ready ready = node.raft->ready();
  send_all(ready.messages);
  if (ready.snapshot) take_snapshot(node, *ready.snapshot);
  node.storage->write(ready);
  check_log_matching(node, ready.entries);
  for (const Entry& entry : ready.committed_entries)
    apply(node, entry);
  node.raft->advance_written();
  ready.committed_entries.clear();
  ready.messages.clear();
  node.writing.push_back(std::move(ready));
}

void Simulator::take_snapshot(Node& node, const Snapshot& snapshot) {
  ByteReader in(snapshot.data);
  LogIndex index(in.get_u64());
  std::uint64_t chain = in.get_u64();
  if (!in.ok() || index != snapshot.meta.index) fail("received snapshot does not decode");
  if (index.value() > committed_.size() || committed_[index.value() - 1].chain != chain) {
    fail("installed snapshot differs from the committed history at "
         + std::to_string(index.value()));
  }
  node.applied = index;
  node.chain = chain;
  ++stats_.snapshots_installed;
}

void Simulator::check_log_matching(Node& node, const std::vector<Entry>& entries) {
  for (const Entry& entry : entries) {
    // Log matching (§5.3): one (index, term) names one entry, with one predecessor term.
    std::uint64_t prev_term = node.storage->log().term(entry.index.prev())->value();
    auto [it, inserted] = entries_seen_.emplace(
        std::make_pair(entry.index.value(), entry.term.value()),
        std::make_pair(entry.data + char('0' + static_cast<int>(entry.type)), prev_term));
    if (!inserted
        && (it->second.first != entry.data + char('0' + static_cast<int>(entry.type))
            || it->second.second != prev_term)) {
      fail("log matching violated at index " + std::to_string(entry.index.value()) + " term "
           + std::to_string(entry.term.value()) + " on node " + std::to_string(node.id));
    }
  }
}

void Simulator::persist(Node& node) {
  Ready& ready = *node.pending;
  if (ready.snapshot) take_snapshot(node, *ready.snapshot);
  if (auto error = node.storage->persist(ready)) {
    fail("node " + std::to_string(node.id) + ": " + *error);
    return;
  }
  check_log_matching(node, ready.entries);
  send_all(ready.messages_after_persist);
  for (const Entry& entry : ready.committed_entries)
    apply(node, entry);
  node.raft->advance();
  node.pending.reset();
}

void Simulator::apply(Node& node, const Entry& entry) {
  if (entry.index != node.applied.next()) {
    fail("node " + std::to_string(node.id) + " applied " + std::to_string(entry.index.value())
         + " after " + std::to_string(node.applied.value()));
    return;
  }
  std::uint64_t at = entry.index.value();
  if (at == committed_.size() + 1) {
    std::uint64_t previous = committed_.empty() ? 0 : committed_.back().chain;
    committed_.push_back(
        Committed{entry.term, entry.type, entry.data, chain_hash(previous, entry)});
    ++stats_.entries_committed;
  } else if (at > committed_.size()) {
    fail("applied entry beyond the known committed history");
    return;
  }
  const Committed& known = committed_[at - 1];
  if (known.term != entry.term || known.type != entry.type || known.data != entry.data) {
    fail("node " + std::to_string(node.id) + " applied a different entry at " + std::to_string(at));
    return;
  }
  node.chain = chain_hash(node.chain, entry);
  node.applied = entry.index;
  if (node.chain != known.chain) fail("applied prefix differs on node " + std::to_string(node.id));
}

void Simulator::record_committed(Node& node) {
  const RaftLog& log = node.raft->log();
  LogIndex commit = log.committed();
  while (committed_.size() < commit.value()) {
    LogIndex at(committed_.size() + 1);
    if (at < log.first_index()) break;
    auto entries = log.slice(at, at.next(), 1 << 20);
    if (!entries.ok() || entries->empty()) break;
    const Entry& entry = entries->front();
    std::uint64_t previous = committed_.empty() ? 0 : committed_.back().chain;
    committed_.push_back(
        Committed{entry.term, entry.type, entry.data, chain_hash(previous, entry)});
    ++stats_.entries_committed;
  }
  if (commit > LogIndex(0) && commit.value() <= committed_.size()) {
    auto term = log.term(commit);
    if (term && *term != committed_[commit.value() - 1].term) {
      fail("node " + std::to_string(node.id) + " committed a different entry at "
           + std::to_string(commit.value()));
    }
  }
}

void Simulator::check() {
  for (auto& node : nodes_) {
    if (!node->up) continue;
    const RaftNode& raft = *node->raft;
    if (raft.role() == Role::kLeader) {
      auto [it, inserted] = leaders_.emplace(raft.term().value(), raft.id());
      if (inserted) ++stats_.elections_won;
      if (it->second != raft.id()) {
        fail("two leaders in term " + std::to_string(raft.term().value()) + ": "
             + std::to_string(it->second.value()) + " and " + std::to_string(node->id));
      }
      // Leader completeness (§5.4): unless a later term has had a leader (then this one is stale
      // and may lag), the leader holds the newest committed entry of an earlier term.
      bool stale = leaders_.upper_bound(raft.term().value()) != leaders_.end();
      for (std::size_t i = committed_.size(); i > 0 && !stale; --i) {
        if (committed_[i - 1].term >= raft.term()) continue;
        LogIndex index(i);
        auto term = raft.log().term(index);
        if (!term && index > raft.log().last_index()) {
          fail("leader " + std::to_string(node->id) + " lacks committed entry "
               + std::to_string(i));
        } else if (term && *term != committed_[i - 1].term) {
          fail("leader " + std::to_string(node->id) + " holds a different committed entry at "
               + std::to_string(i));
        }
        break;
      }
    }
    record_committed(*node);
  }
  for (auto& node : nodes_) {
    HardState state = node->storage->durable_hard_state();
    if (!state.vote) continue;
    auto [it, inserted] = votes_.emplace(std::make_pair(node->id, state.term.value()), *state.vote);
    if (it->second != *state.vote) {
      fail("node " + std::to_string(node->id) + " voted twice in term "
           + std::to_string(state.term.value()));
    }
  }
}

void Simulator::deliver_one(bool faults) {
  if (network_.empty()) return;
  std::size_t at = below(network_.size());
  if (faults && network_[at].deliver_after > step_) return;  // delayed
  InFlight flight = std::move(network_[at]);
  // Reorder: the last message takes the delivered one's place.
  network_[at] = std::move(network_.back());
  network_.pop_back();
  if (faults && chance(50)) return;                      // dropped
  if (faults && chance(30)) network_.push_back(flight);  // duplicated
  int from = flight.message.from.value();
  int to = flight.message.to.value();
  if (to < 0 || to >= static_cast<int>(nodes_.size())) return;
  Node& node = *nodes_[static_cast<std::size_t>(to)];
  if (!node.up || blocked_.count({from, to}) != 0) return;
  node.raft->step(std::move(flight.message));
}

Simulator::Node* Simulator::leader() {
  Node* best = nullptr;
  for (auto& node : nodes_) {
    if (node->up && node->raft->role() == Role::kLeader
        && (best == nullptr || node->raft->term() > best->raft->term())) {
      best = node.get();
    }
  }
  return best;
}

void Simulator::compact(Node& node) {
  if (!node.up || node.pending || !node.writing.empty()) return;
  if (node.applied <= node.storage->log().snapshot_meta().index) return;
  // An eager node may have applied entries it has not persisted yet (committed on a quorum).
  if (node.applied > node.storage->log().last_index()) return;
  if (auto error =
          node.storage->snapshot_at(node.applied, node.raft->configuration_at(node.applied),
                                    encode_state(node.applied, node.chain))) {
    fail("node " + std::to_string(node.id) + ": " + *error);
  }
}

void Simulator::membership_change(Node& leader_node) {
  RaftNode& raft = *leader_node.raft;
  const Configuration config = raft.configuration();
  std::vector<int> candidates;
  for (auto& node : nodes_) {
    NodeId id(node->id);
    if (!config.is_member(id) && !config.is_fenced(id)) candidates.push_back(node->id);
  }
  ConfigChange change;
  std::uint64_t pick = below(3);
  if (pick == 0 && !candidates.empty()) {
    change.type = ConfigChangeType::kAddLearner;
    change.node = NodeId(candidates[below(candidates.size())]);
  } else if (pick == 1 && config.voters.size() > 3) {
    change.type = ConfigChangeType::kRemoveNode;
    change.node = config.voters[below(config.voters.size())];
  } else if (pick == 2 && !config.learners.empty() && config.voters.size() >= 3) {
    change.type = ConfigChangeType::kReplaceVoters;
    change.voters = config.voters;
    change.voters.erase(change.voters.begin()
                        + static_cast<std::ptrdiff_t>(below(change.voters.size())));
    change.voters.push_back(config.learners[below(config.learners.size())]);
  } else {
    return;
  }
  if (raft.propose_config_change(change).ok()) ++stats_.config_changes;
}

void Simulator::region_loss() {
  for (auto& node : nodes_) {
    if (node->id >= options_.voters) continue;
    if (node->id % options_.regions == 1) {
      if (node->up) crash(*node);
      lost_region_.insert(node->id);
    }
  }
  force_survivors();
}

void Simulator::force_survivors() {
  std::vector<NodeId> survivors;
  for (auto& node : nodes_) {
    if (node->id < options_.voters && node->id % options_.regions != 1) {
      if (!node->up) start_node(*node);
      survivors.emplace_back(node->id);
    }
  }
  // The survivor with the most up-to-date log forces, so that no committed entry is lost.
  Node* best = nullptr;
  auto position = [](const Node& node) {
    return std::make_pair(node.raft->log().last_term(), node.raft->log().last_index());
  };
  for (NodeId id : survivors) {
    Node* node = nodes_[static_cast<std::size_t>(id.value())].get();
    if (best == nullptr || position(*node) > position(*best)) best = node;
  }
  if (best == nullptr) return;
  auto forced = best->raft->force_configuration(survivors);
  if (!forced.ok()) {
    fail("forced reconfiguration refused: " + forced.error().message);
    return;
  }
  ++stats_.forced;
}

void Simulator::fault_step() {
  std::uint64_t action = below(1000);
  if (action < 300) {
    Node& node = *nodes_[below(nodes_.size())];
    if (node.up) node.raft->tick();
  } else if (action < 660) {
    deliver_one(true);
  } else if (action < 890) {
    io(*nodes_[below(nodes_.size())]);
  } else if (action < 955) {
    if (Node* node = leader()) {
      std::vector<std::string> payloads;
      for (std::uint64_t i = 0, n = 1 + below(3); i < n; ++i) {
        payloads.push_back("e" + std::to_string(step_) + "." + std::to_string(i));
      }
      (void)node->raft->propose(std::move(payloads));
    }
  } else if (action < 959) {
    Node& node = *nodes_[below(nodes_.size())];
    if (lost_region_.count(node.id) != 0) return;
    if (node.up) {
      crash(node);
    } else {
      start_node(node);
    }
  } else if (action < 964) {
    int a = static_cast<int>(below(nodes_.size()));
    int b = static_cast<int>(below(nodes_.size()));
    switch (below(6)) {
      case 0:  // isolate a node symmetrically
        for (int other = 0; other < static_cast<int>(nodes_.size()); ++other) {
          blocked_.insert({a, other});
          blocked_.insert({other, a});
        }
        break;
      case 1:  // one-way: a can no longer reach b
        blocked_.insert({a, b});
        break;
      case 2:  // the regions lose each other (with one region, isolates no one)
        for (int x = 0; x < static_cast<int>(nodes_.size()); ++x) {
          for (int y = 0; y < static_cast<int>(nodes_.size()); ++y) {
            if (x % options_.regions != y % options_.regions) blocked_.insert({x, y});
          }
        }
        break;
      default:
        blocked_.clear();
        break;
    }
  } else if (action < 976) {
    compact(*nodes_[below(nodes_.size())]);
  } else if (action < 983) {
    if (Node* node = leader()) {
      auto voters = node->raft->configuration().voters;
      if (!voters.empty() && node->raft->transfer_leadership(voters[below(voters.size())]).ok()) {
        ++stats_.transfers;
      }
    }
  } else if (action < 990) {
    if (Node* node = leader(); node != nullptr && options_.membership_changes) {
      membership_change(*node);
    }
  } else {
    for (auto& node : nodes_) {
      if (node->up) node->raft->tick();
    }
  }
}

void Simulator::retry_force_if_needed() {
  // The operator repeats the forced reconfiguration until a survivor has it committed: a forced
  // configuration that was not yet in the log dies with a crash of the node holding it.
  if (stats_.forced == 0) return;
  for (auto& node : nodes_) {
    if (node->up && node->id < options_.voters && node->id % options_.regions != 1
        && node->raft->configuration_at(node->raft->log().committed()).epoch > 0) {
      return;
    }
  }
  force_survivors();
}

bool Simulator::heal_and_make_progress() {
  blocked_.clear();
  for (auto& node : nodes_) {
    if (!node->up && lost_region_.count(node->id) == 0) start_node(*node);
  }
  std::optional<std::pair<Term, LogIndex>> target;
  for (int round = 0; round < options_.heal_rounds && !failure_; ++round) {
    for (auto& node : nodes_) {
      if (node->up) node->raft->tick();
    }
    for (int pass = 0; pass < 4; ++pass) {
      while (!network_.empty()) {
        ++step_;
        deliver_one(false);
        check();
      }
      for (auto& node : nodes_) {
        ++step_;
        io(*node);
        io(*node);
        check();
      }
    }
    if (options_.forced_region_loss && round % 50 == 49) retry_force_if_needed();
    Node* node = leader();
    if (node == nullptr) continue;
    if (!target || target->first != node->raft->term()) {
      auto proposed = node->raft->propose({"heal-" + std::to_string(round)});
      if (proposed.ok()) target = std::make_pair(node->raft->term(), *proposed);
      continue;
    }
    bool everywhere = true;
    for (NodeId id : node->raft->configuration().members()) {
      Node& member = *nodes_[static_cast<std::size_t>(id.value())];
      if (!member.up || member.applied < target->second) everywhere = false;
    }
    if (everywhere) return true;
  }
  return false;
}

std::optional<std::string> Simulator::run() {
  int loss_at = options_.fault_steps / 3;
  int failback_from = 2 * options_.fault_steps / 3;
  bool failed_back = false;
  for (int i = 0; i < options_.fault_steps && !failure_; ++i) {
    ++step_;
    if (options_.forced_region_loss && i == loss_at) {
      region_loss();
    } else if (options_.forced_region_loss && i >= failback_from && !failed_back
               && stats_.forced > 0) {
      // Failback with old data, once every survivor knows the forced configuration is
      // committed: the returning replicas are fenced and must change nothing.
      bool settled = true;
      for (auto& node : nodes_) {
        if (node->id >= options_.voters || lost_region_.count(node->id) != 0) continue;
        if (!node->up || node->raft->configuration().epoch == 0
            || node->raft->log().committed() < node->raft->log().last_index()) {
          settled = false;
        }
      }
      if (settled) {
        for (int id : lost_region_)
          start_node(*nodes_[static_cast<std::size_t>(id)]);
        lost_region_.clear();
        failed_back = true;
      }
      fault_step();
    } else {
      fault_step();
    }
    if (options_.forced_region_loss && i > loss_at && i % 300 == 0) retry_force_if_needed();
    check();
  }
  if (!failure_ && !heal_and_make_progress()) {
    std::ostringstream state;
    for (auto& node : nodes_) {
      state << "\n  node " << node->id << (node->up ? "" : " (down)");
      if (!node->up) continue;
      const RaftNode& raft = *node->raft;
      const Configuration& config = raft.configuration();
      state << " " << role_name(raft.role()) << " term " << raft.term() << " leader "
            << (raft.leader() ? std::to_string(raft.leader()->value()) : "-") << " commit "
            << raft.log().committed() << " applied " << node->applied << " last "
            << raft.log().last_index() << "/" << raft.log().last_term() << " epoch " << config.epoch
            << " voters";
      for (NodeId id : config.voters)
        state << " " << id;
      state << " fenced";
      for (NodeId id : config.fenced)
        state << " " << id;
    }
    fail("no progress within " + std::to_string(options_.heal_rounds)
         + " rounds after the network healed" + state.str());
  }
  return failure_;
}

}  // namespace tern::raft::sim
