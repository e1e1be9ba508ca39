// Membership changes (dissertation §4): configurations take effect when appended; single-server
// changes wait for the previous one to commit and for an entry of the leader's term to commit
// (the fix for the single-server bug); joint changes leave C_old,new automatically once it commits;
// learners are promoted once caught up; forced reconfiguration fences the lost members.

#include <algorithm>

#include "common/check.h"
#include "raft/core/raft_node.h"

namespace tern::raft {
namespace {

Configuration decode_or_die(const Entry& entry) {
  auto configuration = decode_configuration(entry.data);
  TERN_CHECK(configuration.ok(), "a configuration entry in the log does not decode");
  return std::move(*configuration);
}

}  // namespace

void RaftNode::rebuild_configurations() {
  base_configuration_ = storage_.snapshot_meta().configuration;
  configurations_.clear();
  LogIndex at = storage_.first_index();
  LogIndex end = storage_.last_index().next();
  while (at < end) {
    auto batch = storage_.entries(at, end, 4 << 20);
    TERN_CHECK(batch.ok() && !batch->empty(), "log storage failed to read entries at start-up");
    for (const Entry& entry : *batch) {
      if (entry.type == EntryType::kConfiguration)
        configurations_[entry.index] = decode_or_die(entry);
    }
    at = batch->back().index.next();
  }
}

void RaftNode::track_appended_configurations(LogIndex from, const std::vector<Entry>& entries) {
  std::size_t before = configurations_.size();
  bool changed = configurations_.lower_bound(from) != configurations_.end();
  configurations_.erase(configurations_.lower_bound(from), configurations_.end());
  for (const Entry& entry : entries) {
    if (entry.type != EntryType::kConfiguration) continue;
    configurations_[entry.index] = decode_or_die(entry);
    if (forced_ && configurations_[entry.index].epoch >= forced_->epoch) forced_.reset();
    changed = true;
  }
  if (changed || configurations_.size() != before) on_configuration_changed();
}

void RaftNode::on_configuration_changed() {
  if (role_ != Role::kLeader) return;
  const Configuration& config = configuration();
  std::vector<NodeId> members = config.members();
  for (auto it = progress_.begin(); it != progress_.end();) {
    it = std::binary_search(members.begin(), members.end(), it->first) ? std::next(it)
                                                                       : progress_.erase(it);
  }
  for (NodeId peer : members) {
    if (peer == options_.id || progress_.count(peer) != 0) continue;
    Progress& pr = progress_[peer];
    pr.next = log_.last_index().next();
    pr.recent_active = true;  // a new member gets one check-quorum round to answer
  }
  if (transferee_ && !config.is_voter(*transferee_)) transferee_.reset();
}

bool RaftNode::config_change_allowed(std::string& why) const {
  LogIndex latest = configurations_.empty() ? LogIndex(0) : configurations_.rbegin()->first;
  if (latest > log_.committed()) {
    why = "the previous configuration change is not committed yet";
    return false;
  }
  if (log_.term(log_.committed()) != term_) {
    why = "the leader has not committed an entry of its term yet";
    return false;
  }
  return true;
}

Result<LogIndex, ProposeError> RaftNode::propose_config_change(const ConfigChange& change) {
  if (role_ != Role::kLeader) {
    return unexpected(ProposeError{ProposeErrorCode::kNotLeader, "this replica is not the leader"});
  }
  if (transferee_) {
    return unexpected(
        ProposeError{ProposeErrorCode::kTransferInProgress, "leadership is being transferred"});
  }
  if (change.type == ConfigChangeType::kLeaveJoint) {
    return unexpected(ProposeError{ProposeErrorCode::kInvalidRequest,
                                   "leaving a joint configuration is automatic"});
  }
  std::string why;
  if (!config_change_allowed(why)) {
    return unexpected(ProposeError{ProposeErrorCode::kConfigChangePending, why});
  }
  auto next = apply_config_change(configuration(), change);
  if (!next.ok()) {
    return unexpected(ProposeError{ProposeErrorCode::kInvalidRequest, next.error().message});
  }
  LogIndex index = append_entries(
      {Entry{Term(0), LogIndex(0), EntryType::kConfiguration, encode_configuration(*next)}});
  broadcast_append();
  return index;
}

void RaftNode::after_commit_advanced() {
  if (role_ != Role::kLeader || configurations_.empty()) return;
  LogIndex latest = configurations_.rbegin()->first;
  if (latest > log_.committed()) return;
  const Configuration config = configuration();
  if (config.joint()) {
    // §4.3: once C_old,new is committed, the leader moves on to C_new.
    auto next = apply_config_change(config, ConfigChange{ConfigChangeType::kLeaveJoint, {}, {}});
    TERN_CHECK(next.ok(), "leaving a joint configuration cannot fail");
    append_entries(
        {Entry{Term(0), LogIndex(0), EntryType::kConfiguration, encode_configuration(*next)}});
    return;
  }
  for (NodeId learner : config.learners)
    maybe_promote_learner(learner);
  if (configurations_.rbegin()->first > log_.committed()) return;  // a promotion was appended
  if (!config.is_voter(options_.id)) {
    // §4.2.2: a leader removed from the configuration steps down once the removal commits.
    become_follower(term_, std::nullopt);
  }
}

void RaftNode::maybe_promote_learner(NodeId peer) {
  if (role_ != Role::kLeader || transferee_ || !configuration().is_learner(peer)) return;
  auto it = progress_.find(peer);
  if (it == progress_.end() || it->second.match < log_.committed()) return;
  std::string why;
  if (!config_change_allowed(why)) return;
  auto promoted = propose_config_change(ConfigChange{ConfigChangeType::kPromoteLearner, peer, {}});
  (void)promoted;  // allowed was checked above; a refusal simply waits for the next response
}

Result<void, ProposeError> RaftNode::force_configuration(std::vector<NodeId> voters) {
  std::sort(voters.begin(), voters.end());
  voters.erase(std::unique(voters.begin(), voters.end()), voters.end());
  if (!std::binary_search(voters.begin(), voters.end(), options_.id)) {
    return unexpected(ProposeError{ProposeErrorCode::kInvalidRequest,
                                   "a forced configuration must include the replica forcing it"});
  }
  const Configuration current = configuration();
  Configuration next;
  next.voters = voters;
  next.epoch = current.epoch + 1;
  next.fenced = current.fenced;
  for (NodeId id : voters) {
    if (current.is_fenced(id)) {
      return unexpected(ProposeError{ProposeErrorCode::kInvalidRequest,
                                     "node " + std::to_string(id.value()) + " is fenced"});
    }
  }
  for (NodeId id : current.members()) {
    if (!std::binary_search(voters.begin(), voters.end(), id)) next.fenced.push_back(id);
  }
  std::sort(next.fenced.begin(), next.fenced.end());
  next.fenced.erase(std::unique(next.fenced.begin(), next.fenced.end()), next.fenced.end());
  // Not appended here: a node may only create entries as the leader of a term, or the forced
  // entry could collide with a leader's entry of the same term. It rules this node at once.
  forced_ = next;
  campaign(CampaignKind::kTransfer);
  return {};
}

}  // namespace tern::raft
