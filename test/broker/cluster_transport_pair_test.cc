// One connection per pair of brokers: when both brokers of a pair dial each other, both ends keep
// the connection the lower node id dialed and retire the other without losing a message queued
// or in flight on it; the pair does not flap afterwards; Raft messages and requests travel both
// ways on the one connection; a peer that restarts (the lower or the higher id), comes up late, or
// is known only because it dialed, ends up with exactly one connection again. Heartbeats travel
// as compact batch entries and arrive as the very messages that were sent.

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <future>
#include <mutex>
#include <set>
#include <thread>

#include "broker/transport/cluster_transport.h"
#include "support/eventually.h"
#include "support/free_port.h"

namespace tern::broker {
namespace {

using namespace std::chrono_literals;

using tern::test::eventually;

// Raft messages received by one broker: (sender, term) pairs; the term carries a sequence number.
struct Inbox {
  std::mutex mutex;
  std::multiset<std::pair<int, std::uint64_t>> seen;
  std::vector<raft::Message> messages;  // every message, in arrival order
  std::size_t count(NodeId from) {
    std::lock_guard lock(mutex);
    std::size_t n = 0;
    for (const auto& [sender, term] : seen)
      n += sender == from.value() ? 1 : 0;
    return n;
  }
};

std::string address(std::uint16_t port) {
  return "127.0.0.1:" + std::to_string(port);
}

std::unique_ptr<ClusterTransport> start(NodeId self, std::uint16_t port,
                                        std::vector<std::string> contact_points, Inbox& inbox) {
  TransportOptions options;
  options.self = self;
  options.port = port;
  options.contact_points = std::move(contact_points);
  options.reconnect_min_ms = 20;
  options.reconnect_max_ms = 200;
  options.max_queued_messages = 100000;
  auto transport = ClusterTransport::start(
      options, [&inbox](NodeId from, PartitionId, std::vector<raft::Message> batch) {
        std::lock_guard lock(inbox.mutex);
        for (auto& message : batch) {
          inbox.seen.emplace(from.value(), message.term.value());
          inbox.messages.push_back(std::move(message));
        }
      });
  EXPECT_TRUE(transport.ok()) << transport.error();
  return transport.ok() ? std::move(*transport) : nullptr;
}

raft::Message numbered(NodeId from, NodeId to, std::uint64_t sequence) {
  raft::Message message;
  message.type = raft::MessageType::kAppend;
  message.from = from;
  message.to = to;
  message.term = raft::Term(sequence);
  return message;
}

std::size_t open_with(const ClusterTransport& transport, NodeId peer) {
  auto stats = transport.pair_stats();
  auto it = stats.find(peer);
  return it == stats.end() ? 0 : it->second.open_connections;
}

std::uint64_t opened_with(const ClusterTransport& transport, NodeId peer) {
  auto stats = transport.pair_stats();
  auto it = stats.find(peer);
  return it == stats.end() ? 0 : it->second.opened_connections;
}

// Both ends see exactly one open connection with each other and list each other as connected.
bool one_connection(const ClusterTransport& a, NodeId a_id, const ClusterTransport& b,
                    NodeId b_id) {
  auto has = [](const ClusterTransport& t, NodeId peer) {
    auto peers = t.connected_peers();
    return std::find(peers.begin(), peers.end(), peer) != peers.end();
  };
  return open_with(a, b_id) == 1 && open_with(b, a_id) == 1 && has(a, b_id) && has(b, a_id);
}

Result<std::string, RequestError> ask(ClusterTransport& transport, NodeId to,
                                      const std::string& body) {
  auto promise = std::make_shared<std::promise<Result<std::string, RequestError>>>();
  auto future = promise->get_future();
  transport.request(to, "echo", body, 5s, [promise](Result<std::string, RequestError> result) {
    promise->set_value(std::move(result));
  });
  EXPECT_EQ(future.wait_for(15s), std::future_status::ready);
  return future.get();
}

void serve_echo(ClusterTransport& transport, NodeId self) {
  transport.set_request_handler(
      "echo", [self](NodeId from, std::string body, ClusterTransport::Respond respond) {
        respond(std::to_string(self.value()) + " heard " + body + " from "
                + std::to_string(from.value()));
      });
}

// Sends messages `first..last` from `from` to `to`.
void send_range(ClusterTransport& transport, NodeId from, NodeId to, std::uint64_t first,
                std::uint64_t last) {
  for (std::uint64_t i = first; i <= last; ++i)
    transport.send(to, PartitionId(1), numbered(from, to, i));
}

TEST(ClusterTransportPair, BothDialButThePairKeepsOneConnectionAndLosesNothingInTheHandOver) {
  const std::uint16_t port_one = test::free_port();
  const std::uint16_t port_two = test::free_port();
  Inbox at_one, at_two;
  // Broker 1 (the lower id) comes up first and dials broker 2, which is not there yet: it
  // retries with back-off. Broker 2 comes up and dials broker 1 at once, so the pair starts on
  // the connection broker 2 dialed and then moves to the one broker 1 dials on its retry.
  auto one = start(NodeId(1), port_one, {address(port_two)}, at_one);
  auto two = start(NodeId(2), port_two, {address(port_one)}, at_two);
  ASSERT_TRUE(one && two);
  ASSERT_TRUE(eventually([&] { return two->connected_peers() == std::vector{NodeId(1)}; }, 10s));
  // Keep sending both ways from the first moment until the hand-over is done.
  std::uint64_t sent = 0;
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (std::chrono::steady_clock::now() < deadline) {
    send_range(*two, NodeId(2), NodeId(1), sent + 1, sent + 20);
    if (!one->connected_peers().empty())
      send_range(*one, NodeId(1), NodeId(2), sent + 1, sent + 20);
    sent += 20;
    if (one_connection(*one, NodeId(1), *two, NodeId(2)) && opened_with(*one, NodeId(2)) == 2)
      break;
    std::this_thread::sleep_for(1ms);
  }
  ASSERT_TRUE(one_connection(*one, NodeId(1), *two, NodeId(2)));
  EXPECT_EQ(opened_with(*one, NodeId(2)), 2u) << "both dialed";
  EXPECT_EQ(opened_with(*two, NodeId(1)), 2u);
  send_range(*two, NodeId(2), NodeId(1), sent + 1, sent + 20);
  sent += 20;
  // Every message broker 2 sent arrived exactly once, across the hand-over.
  ASSERT_TRUE(eventually([&] { return at_one.count(NodeId(2)) >= sent; }, 10s))
      << at_one.count(NodeId(2)) << " of " << sent;
  {
    std::lock_guard lock(at_one.mutex);
    for (std::uint64_t i = 1; i <= sent; ++i)
      ASSERT_EQ(at_one.seen.count({2, i}), 1u) << "message " << i;
  }
  EXPECT_GT(at_two.count(NodeId(1)), 0u);

  // No flapping: over many reconnect intervals no further connection is opened.
  const auto opened = opened_with(*one, NodeId(2));
  std::this_thread::sleep_for(400ms);  // 20 reconnect intervals: a flap would show
  EXPECT_EQ(opened_with(*one, NodeId(2)), opened);
  EXPECT_EQ(opened_with(*two, NodeId(1)), opened);
  EXPECT_TRUE(one_connection(*one, NodeId(1), *two, NodeId(2)));

  // Requests in both directions on the one connection.
  serve_echo(*one, NodeId(1));
  serve_echo(*two, NodeId(2));
  auto from_one = ask(*one, NodeId(2), "ping");
  ASSERT_TRUE(from_one.ok()) << from_one.error().message;
  EXPECT_EQ(*from_one, "2 heard ping from 1");
  auto from_two = ask(*two, NodeId(1), "pong");
  ASSERT_TRUE(from_two.ok()) << from_two.error().message;
  EXPECT_EQ(*from_two, "1 heard pong from 2");
}

// Restarts `restarted` (on its port, same contact points) and checks the pair recovers one
// connection carrying messages both ways.
void restart_and_check(std::unique_ptr<ClusterTransport>& restarted, NodeId restarted_id,
                       std::uint16_t port, std::vector<std::string> contact_points, Inbox& inbox,
                       ClusterTransport& other, NodeId other_id, Inbox& other_inbox) {
  restarted->shutdown();
  restarted.reset();
  ASSERT_TRUE(eventually([&] { return other.connected_peers().empty(); }, 10s));
  EXPECT_TRUE(eventually([&] { return open_with(other, restarted_id) == 0; }, 10s));
  // Sent while the peer is away: dropped, never queued forever.
  other.send(restarted_id, PartitionId(1), numbered(other_id, restarted_id, 900));
  restarted = start(restarted_id, port, std::move(contact_points), inbox);
  ASSERT_TRUE(restarted);
  ASSERT_TRUE(
      eventually([&] { return one_connection(*restarted, restarted_id, other, other_id); }, 10s));
  const std::size_t before_here = inbox.count(other_id);
  const std::size_t before_there = other_inbox.count(restarted_id);
  send_range(other, other_id, restarted_id, 1000, 1009);
  send_range(*restarted, restarted_id, other_id, 1000, 1009);
  EXPECT_TRUE(eventually([&] { return inbox.count(other_id) == before_here + 10; }, 10s));
  EXPECT_TRUE(
      eventually([&] { return other_inbox.count(restarted_id) == before_there + 10; }, 10s));
  // A dialer woken while the peer was away may still connect once more; its connection is
  // retired at once (it loses to the lower id's), so the pair settles on one.
  EXPECT_TRUE(
      eventually([&] { return one_connection(*restarted, restarted_id, other, other_id); }, 10s));
}

TEST(ClusterTransportPair, RestartedPeersReconnectToOneConnection) {
  const std::uint16_t port_one = test::free_port();
  const std::uint16_t port_two = test::free_port();
  Inbox at_one, at_two;
  auto one = start(NodeId(1), port_one, {address(port_two)}, at_one);
  auto two = start(NodeId(2), port_two, {address(port_one)}, at_two);
  ASSERT_TRUE(one && two);
  ASSERT_TRUE(eventually([&] { return one_connection(*one, NodeId(1), *two, NodeId(2)); }, 10s));

  // The higher id restarts (its dialer towards 1 was resting), then the lower one.
  restart_and_check(two, NodeId(2), port_two, {address(port_one)}, at_two, *one, NodeId(1), at_one);
  restart_and_check(one, NodeId(1), port_one, {address(port_two)}, at_one, *two, NodeId(2), at_two);
}

TEST(ClusterTransportPair, APeerKnownOnlyFromItsOwnDialingIsReachedOnItsConnection) {
  Inbox at_one, at_two, at_three;
  // Brokers 1 and 2 know nobody; broker 3 knows both. Each pair has the one connection broker 3
  // dialed (the higher id's), and both ends use it.
  auto one = start(NodeId(1), 0, {}, at_one);
  auto two = start(NodeId(2), 0, {}, at_two);
  ASSERT_TRUE(one && two);
  auto three = start(NodeId(3), 0, {address(one->port()), address(two->port())}, at_three);
  ASSERT_TRUE(three);
  ASSERT_TRUE(eventually(
      [&] {
        return one_connection(*one, NodeId(1), *three, NodeId(3))
               && one_connection(*two, NodeId(2), *three, NodeId(3));
      },
      10s));
  send_range(*one, NodeId(1), NodeId(3), 1, 5);
  send_range(*two, NodeId(2), NodeId(3), 1, 5);
  send_range(*three, NodeId(3), NodeId(1), 1, 5);
  EXPECT_TRUE(eventually([&] { return at_three.count(NodeId(1)) == 5; }, 10s));
  EXPECT_TRUE(eventually([&] { return at_three.count(NodeId(2)) == 5; }, 10s));
  EXPECT_TRUE(eventually([&] { return at_one.count(NodeId(3)) == 5; }, 10s));
  serve_echo(*three, NodeId(3));
  auto answer = ask(*one, NodeId(3), "hi");
  ASSERT_TRUE(answer.ok()) << answer.error().message;
  EXPECT_EQ(*answer, "3 heard hi from 1");
  // 1 and 2 know nothing of each other.
  EXPECT_EQ(one->connected_peers(), std::vector{NodeId(3)});
}

TEST(ClusterTransportPair, HeartbeatsArriveAsTheMessagesThatWereSent) {
  Inbox at_one, at_two;
  auto one = start(NodeId(1), 0, {}, at_one);
  ASSERT_TRUE(one);
  auto two = start(NodeId(2), 0, {address(one->port())}, at_two);
  ASSERT_TRUE(two);
  ASSERT_TRUE(eventually([&] { return one_connection(*one, NodeId(1), *two, NodeId(2)); }, 10s));
  std::vector<raft::Message> sent;
  for (std::int32_t partition = 1; partition <= 8; ++partition) {
    raft::Message beat;
    beat.type = raft::MessageType::kHeartbeat;
    beat.from = NodeId(2);
    beat.to = NodeId(1);
    beat.term = raft::Term(40 + static_cast<std::uint64_t>(partition));
    beat.commit = raft::LogIndex(1000 + static_cast<std::uint64_t>(partition));
    sent.push_back(beat);
    raft::Message answer = beat;
    answer.type = raft::MessageType::kHeartbeatResponse;
    answer.commit = raft::LogIndex(0);
    sent.push_back(answer);
  }
  // A heartbeat with more to say (here a conflict hint) travels as a full message.
  raft::Message unusual = sent.front();
  unusual.reject_hint = raft::LogIndex(5);
  sent.push_back(unusual);
  const auto frames_before = two->pair_stats()[NodeId(1)].frames_sent;
  for (std::size_t i = 0; i < sent.size(); ++i)
    two->send(NodeId(1), PartitionId(static_cast<std::int32_t>(i / 2 + 1)), sent[i]);
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(at_one.mutex);
        return at_one.messages.size() == sent.size();
      },
      10s));
  std::lock_guard lock(at_one.mutex);
  for (const auto& message : sent) {
    EXPECT_EQ(std::count(at_one.messages.begin(), at_one.messages.end(), message), 1)
        << raft::message_type_name(message.type) << " term " << message.term.value();
  }
  // Seventeen messages queued together: a frame or two, not seventeen.
  EXPECT_LE(two->pair_stats()[NodeId(1)].frames_sent - frames_before, 3u);
}

}  // namespace
}  // namespace tern::broker
