#include "raft/core/configuration.h"

#include <algorithm>

#include "raft/core/bytes.h"

namespace tern::raft {
namespace {

bool contains(const std::vector<NodeId>& set, NodeId id) {
  return std::binary_search(set.begin(), set.end(), id);
}

void insert_sorted(std::vector<NodeId>& set, NodeId id) {
  auto it = std::lower_bound(set.begin(), set.end(), id);
  if (it == set.end() || *it != id) set.insert(it, id);
}

void erase_sorted(std::vector<NodeId>& set, NodeId id) {
  auto it = std::lower_bound(set.begin(), set.end(), id);
  if (it != set.end() && *it == id) set.erase(it);
}

void put_set(ByteWriter& out, const std::vector<NodeId>& set) {
  out.put_u32(static_cast<std::uint32_t>(set.size()));
  for (NodeId id : set)
    out.put_i32(id.value());
}

std::vector<NodeId> get_set(ByteReader& in) {
  std::uint32_t count = in.get_count(4);
  std::vector<NodeId> set;
  set.reserve(count);
  for (std::uint32_t i = 0; i < count && in.ok(); ++i)
    set.emplace_back(in.get_i32());
  return set;
}

bool sorted_unique(const std::vector<NodeId>& set) {
  return std::adjacent_find(set.begin(), set.end(), std::greater_equal<>()) == set.end();
}

VoteResult tally_set(const std::vector<NodeId>& set, const std::map<NodeId, bool>& votes) {
  if (set.empty()) return VoteResult::kWon;
  std::size_t yes = 0;
  std::size_t missing = 0;
  for (NodeId id : set) {
    auto it = votes.find(id);
    if (it == votes.end()) {
      ++missing;
    } else if (it->second) {
      ++yes;
    }
  }
  std::size_t quorum = set.size() / 2 + 1;
  if (yes >= quorum) return VoteResult::kWon;
  if (yes + missing >= quorum) return VoteResult::kPending;
  return VoteResult::kLost;
}

LogIndex quorum_index_of(const std::vector<NodeId>& set,
                         const std::function<LogIndex(NodeId)>& match) {
  if (set.empty()) return LogIndex(UINT64_MAX);  // an empty set never limits the joint result
  std::vector<LogIndex> indexes;
  indexes.reserve(set.size());
  for (NodeId id : set)
    indexes.push_back(match(id));
  std::sort(indexes.begin(), indexes.end(), std::greater<>());
  return indexes[set.size() / 2];
}

}  // namespace

bool Configuration::is_voter(NodeId id) const {
  return contains(voters, id) || contains(outgoing_voters, id);
}
bool Configuration::is_learner(NodeId id) const {
  return contains(learners, id);
}
bool Configuration::is_fenced(NodeId id) const {
  return contains(fenced, id);
}

std::vector<NodeId> Configuration::members() const {
  std::vector<NodeId> all = voters;
  for (NodeId id : outgoing_voters)
    insert_sorted(all, id);
  for (NodeId id : learners)
    insert_sorted(all, id);
  return all;
}

std::string encode_configuration(const Configuration& configuration) {
  ByteWriter out;
  out.put_u8(1);  // format version
  out.put_u64(configuration.epoch);
  put_set(out, configuration.voters);
  put_set(out, configuration.outgoing_voters);
  put_set(out, configuration.learners);
  put_set(out, configuration.fenced);
  return out.take();
}

Result<Configuration, ConfigurationDecodeError> decode_configuration(std::string_view bytes) {
  ByteReader in(bytes);
  std::uint8_t version = in.get_u8();
  if (in.ok() && version != 1) {
    return unexpected(ConfigurationDecodeError{"unknown configuration format version "
                                               + std::to_string(version)});
  }
  Configuration configuration;
  configuration.epoch = in.get_u64();
  configuration.voters = get_set(in);
  configuration.outgoing_voters = get_set(in);
  configuration.learners = get_set(in);
  configuration.fenced = get_set(in);
  if (!in.ok()) return unexpected(ConfigurationDecodeError{"configuration payload is truncated"});
  if (!in.at_end()) {
    return unexpected(ConfigurationDecodeError{"configuration payload has trailing bytes"});
  }
  for (const auto* set : {&configuration.voters, &configuration.outgoing_voters,
                          &configuration.learners, &configuration.fenced}) {
    if (!sorted_unique(*set)) {
      return unexpected(ConfigurationDecodeError{"configuration node set is not sorted/unique"});
    }
  }
  return configuration;
}

VoteResult tally_votes(const Configuration& configuration, const std::map<NodeId, bool>& votes) {
  VoteResult incoming = tally_set(configuration.voters, votes);
  VoteResult outgoing = tally_set(configuration.outgoing_voters, votes);
  if (incoming == VoteResult::kLost || outgoing == VoteResult::kLost) return VoteResult::kLost;
  if (incoming == VoteResult::kWon && outgoing == VoteResult::kWon) return VoteResult::kWon;
  return VoteResult::kPending;
}

bool has_quorum(const Configuration& configuration, const std::function<bool(NodeId)>& yes) {
  std::map<NodeId, bool> votes;
  for (NodeId id : configuration.members())
    votes[id] = yes(id);
  return tally_votes(configuration, votes) == VoteResult::kWon;
}

LogIndex quorum_match_index(const Configuration& configuration,
                            const std::function<LogIndex(NodeId)>& match) {
  if (configuration.voters.empty() && configuration.outgoing_voters.empty()) return LogIndex(0);
  return std::min(quorum_index_of(configuration.voters, match),
                  quorum_index_of(configuration.outgoing_voters, match));
}

Result<Configuration, ConfigChangeError> apply_config_change(const Configuration& current,
                                                             const ConfigChange& change) {
  Configuration next = current;
  auto fail = [](std::string message) { return unexpected(ConfigChangeError{std::move(message)}); };
  std::string node = std::to_string(change.node.value());
  // A fenced id comes back only as a new learner: the operator's failback of a broker with an
  // empty disk (the broker refuses to start on the data it had when it was removed). Adding it
  // lifts the fence; as a learner it votes only once the leader replicated the log to it and
  // promoted it, so nothing it may have held before counts again.
  if (change.type != ConfigChangeType::kLeaveJoint
      && change.type != ConfigChangeType::kReplaceVoters
      && change.type != ConfigChangeType::kAddLearner && current.is_fenced(change.node)) {
    return fail("node " + node + " was fenced by a forced reconfiguration");
  }
  if (current.joint() && change.type != ConfigChangeType::kLeaveJoint) {
    return fail("a joint configuration change is still in progress");
  }
  switch (change.type) {
    case ConfigChangeType::kAddLearner:
      if (current.is_member(change.node)) return fail("node " + node + " is already a member");
      erase_sorted(next.fenced, change.node);
      insert_sorted(next.learners, change.node);
      return next;
    case ConfigChangeType::kPromoteLearner:
      if (!current.is_learner(change.node)) return fail("node " + node + " is not a learner");
      erase_sorted(next.learners, change.node);
      insert_sorted(next.voters, change.node);
      return next;
    case ConfigChangeType::kRemoveNode:
      if (!current.is_member(change.node)) return fail("node " + node + " is not a member");
      if (current.voters.size() == 1 && current.is_voter(change.node)) {
        return fail("cannot remove the last voter " + node);
      }
      erase_sorted(next.learners, change.node);
      erase_sorted(next.voters, change.node);
      return next;
    case ConfigChangeType::kReplaceVoters: {
      std::vector<NodeId> voters = change.voters;
      std::sort(voters.begin(), voters.end());
      voters.erase(std::unique(voters.begin(), voters.end()), voters.end());
      if (voters.empty()) return fail("the new voter set is empty");
      for (NodeId id : voters) {
        if (current.is_fenced(id)) {
          return fail("node " + std::to_string(id.value()) + " was fenced");
        }
      }
      next.outgoing_voters = current.voters;
      next.voters = voters;
      for (NodeId id : voters)
        erase_sorted(next.learners, id);
      return next;
    }
    case ConfigChangeType::kLeaveJoint:
      if (!current.joint()) return fail("not in a joint configuration");
      next.outgoing_voters.clear();
      return next;
  }
  return fail("unknown configuration change type");
}

}  // namespace tern::raft
