#pragma once

// Configuration: who votes, who only replicates, and who is fenced forever.
//
// A configuration takes effect on a server as soon as its entry is in the server's log, committed
// or not (Raft dissertation §4.1); a truncated configuration entry reverts to the previous one.
// Changes are either single-server (one voter added or removed at a time, and only after the
// leader has committed an entry of its own term — the fix for the known single-server bug) or a
// joint change (§4.3, C_old,new then C_new) for replacing several voters at once.
//
// Forced reconfiguration bumps `epoch` and moves every member left out into `fenced`: a fenced
// node's messages are dropped and it is never counted again, whatever old data it comes back with.

#include <cstdint>
#include <functional>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "common/result.h"
#include "common/strong_id.h"
#include "raft/core/types.h"

namespace tern::raft {

struct Configuration {
  std::vector<NodeId> voters;           // sorted, unique
  std::vector<NodeId> outgoing_voters;  // sorted; non-empty only while in joint consensus
  std::vector<NodeId> learners;         // sorted; receive the log but never vote or count
  std::vector<NodeId> fenced;           // sorted; removed by a forced reconfiguration, forever
  std::uint64_t epoch = 0;              // number of forced reconfigurations so far

  bool operator==(const Configuration&) const = default;

  bool is_voter(NodeId id) const;  // in the incoming or the outgoing voter set
  bool is_learner(NodeId id) const;
  bool is_fenced(NodeId id) const;
  bool is_member(NodeId id) const { return is_voter(id) || is_learner(id); }
  bool joint() const { return !outgoing_voters.empty(); }
  // Every node the leader replicates to (voters of both sets and learners), sorted.
  std::vector<NodeId> members() const;
};

// Encodes a configuration as the payload of a kConfiguration entry (and inside snapshots).
std::string encode_configuration(const Configuration& configuration);

struct ConfigurationDecodeError {
  std::string message;
};
Result<Configuration, ConfigurationDecodeError> decode_configuration(std::string_view bytes);

// Quorum arithmetic. In joint consensus a decision needs a majority of both voter sets (§4.3).
enum class VoteResult { kPending, kWon, kLost };
VoteResult tally_votes(const Configuration& configuration, const std::map<NodeId, bool>& votes);
bool has_quorum(const Configuration& configuration, const std::function<bool(NodeId)>& yes);
// The highest index a quorum has matched, given each voter's match index.
LogIndex quorum_match_index(const Configuration& configuration,
                            const std::function<LogIndex(NodeId)>& match);

// A requested membership change.
enum class ConfigChangeType : std::uint8_t {
  kAddLearner = 0,      // node joins as a non-voting learner (promoted once caught up)
  kPromoteLearner = 1,  // learner becomes a voter
  kRemoveNode = 2,      // voter or learner leaves
  kReplaceVoters = 3,   // joint consensus towards `voters`
  kLeaveJoint = 4,      // second half of a joint change (appended by the leader itself)
};

struct ConfigChange {
  ConfigChangeType type = ConfigChangeType::kAddLearner;
  NodeId node;
  std::vector<NodeId> voters;  // for kReplaceVoters
};

struct ConfigChangeError {
  std::string message;
};
// The configuration `current` becomes under `change`, or why the change is not allowed.
Result<Configuration, ConfigChangeError> apply_config_change(const Configuration& current,
                                                             const ConfigChange& change);

}  // namespace tern::raft
