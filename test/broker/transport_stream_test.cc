// The cluster transport's byte stream and its senders' bursts. A connection reads whatever the
// socket holds at once and cuts frames out of it, so a frame may arrive split at any byte, many
// frames may arrive in one read, and one frame may be larger than the read buffer: every message
// must still be delivered once, in order. A stream that ends inside a frame is a lost connection
// (what came before it is delivered). A frame's messages of one partition reach the handler in
// one call, in order, heartbeats last. Senders hand their messages to the IO thread in batches:
// Raft messages, heartbeats and subscription commands of many partitions, sent from several
// threads at once, arrive complete and in each sender's order.

#include <gtest/gtest.h>

#include <asio.hpp>
#include <map>
#include <mutex>
#include <thread>

#include "broker/transport/cluster_transport.h"
#include "cluster.pb.h"
#include "engine/records/record_codec.h"
#include "raft/codec.h"
#include "support/eventually.h"

namespace tern::broker {
namespace {

using namespace std::chrono_literals;
using tern::test::eventually;

struct Inbox {
  std::mutex mutex;
  std::vector<std::pair<PartitionId, raft::Message>> messages;
  std::vector<std::pair<PartitionId, engine::Record>> commands;
  std::size_t size() {
    std::lock_guard lock(mutex);
    return messages.size();
  }
};

std::unique_ptr<ClusterTransport> start(NodeId self, std::vector<std::string> contact_points,
                                        Inbox& inbox) {
  TransportOptions options;
  options.self = self;
  options.contact_points = std::move(contact_points);
  auto transport = ClusterTransport::start(
      options,
      [&inbox](NodeId, PartitionId partition, std::vector<raft::Message> batch) {
        std::lock_guard lock(inbox.mutex);
        for (auto& message : batch)
          inbox.messages.emplace_back(partition, std::move(message));
      },
      [&inbox](NodeId, PartitionId partition, engine::Record command) {
        std::lock_guard lock(inbox.mutex);
        inbox.commands.emplace_back(partition, std::move(command));
      });
  EXPECT_TRUE(transport.ok()) << transport.error();
  return std::move(*transport);
}

std::string framed(const cluster::Frame& frame) {
  std::string body = frame.SerializeAsString();
  std::string out(4, '\0');
  auto size = static_cast<std::uint32_t>(body.size());
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((size >> (24 - 8 * i)) & 0xff);
  return out + body;
}

std::string hello_from(std::int32_t node) {
  cluster::Frame hello;
  hello.mutable_hello()->set_node_id(node);
  hello.mutable_hello()->set_protocol_version(1);
  return framed(hello);
}

// An append from node 7 to node 1 numbered by its term, carrying `bytes` of entry data.
raft::Message append(std::uint64_t number, std::size_t bytes) {
  raft::Message message;
  message.type = raft::MessageType::kAppend;
  message.from = NodeId(7);
  message.to = NodeId(1);
  message.term = raft::Term(number);
  if (bytes > 0) {
    message.entries.push_back(
        raft::Entry{raft::Term(number), raft::LogIndex(number), raft::EntryType::kNormal,
                    std::string(bytes, static_cast<char>('a' + number % 26))});
  }
  return message;
}

// Most appends are small; some are 100 KiB and some 1 MiB.
std::size_t bytes_of(std::uint64_t number) {
  if (number % 251 == 0) return 1u << 20;
  if (number % 97 == 0) return 100u << 10;
  return 40;
}

std::string frame_of(const std::vector<std::pair<std::int32_t, raft::Message>>& messages) {
  cluster::Frame frame;
  for (const auto& [partition, message] : messages) {
    auto* item = frame.add_messages();
    item->set_partition_id(partition);
    item->set_payload(raft::encode_message(message));
  }
  return framed(frame);
}

void read_until_closed(asio::ip::tcp::socket& socket) {
  std::error_code ec;
  std::array<char, 256> buffer{};
  while (!ec)
    socket.read_some(asio::buffer(buffer), ec);
}

TEST(TransportStream, FramesSplitAtAnyByteManyPerReadAndLargerThanTheBufferArriveInOrder) {
  Inbox inbox;
  auto broker = start(NodeId(1), {}, inbox);
  // The stream: a hello, then 300 frames of one to three messages each (partitions 1..3), among
  // them frames of 100 KiB and 1 MiB, far beyond one read's buffer.
  std::string stream = hello_from(7);
  std::vector<std::pair<std::int32_t, std::uint64_t>> expected;  // partition, number
  std::uint64_t number = 0;
  for (int f = 0; f < 300; ++f) {
    std::vector<std::pair<std::int32_t, raft::Message>> messages;
    for (int m = 0; m <= f % 3; ++m) {
      ++number;
      auto partition = static_cast<std::int32_t>(1 + number % 3);
      messages.emplace_back(partition, append(number, bytes_of(number)));
      expected.emplace_back(partition, number);
    }
    stream += frame_of(messages);
  }
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), broker->port()});
  socket.set_option(asio::ip::tcp::no_delay(true));
  // Writes of 1, 2, 3, 5, 8 ... bytes (cycling up to 64 KiB), so that headers, bodies and
  // frame boundaries are cut everywhere; every few writes waits a little for the broker to read
  // what it has (a read then ends inside a frame).
  std::size_t at = 0;
  std::size_t a = 1, b = 2;
  int writes = 0;
  while (at < stream.size()) {
    std::size_t chunk = std::min(a, stream.size() - at);
    asio::write(socket, asio::buffer(stream.data() + at, chunk));
    at += chunk;
    std::tie(a, b) = std::make_pair(b, a + b);
    if (a > (64u << 10)) std::tie(a, b) = std::make_pair(std::size_t{1}, std::size_t{2});
    if (++writes % 7 == 0) {
      const std::size_t before = inbox.size();
      (void)eventually([&] { return inbox.size() > before; }, 20ms, 1ms);
    }
  }
  ASSERT_TRUE(eventually([&] { return inbox.size() == expected.size(); }, 20s))
      << inbox.size() << " of " << expected.size() << " messages arrived";
  std::lock_guard lock(inbox.mutex);
  for (std::size_t i = 0; i < expected.size(); ++i) {
    const auto& [partition, message] = inbox.messages[i];
    ASSERT_EQ(partition.value(), expected[i].first) << "message " << i;
    ASSERT_EQ(message, append(expected[i].second, bytes_of(expected[i].second))) << "message " << i;
  }
}

TEST(TransportStream, AStreamEndingInsideAFrameIsALostConnectionAfterWhatCameBefore) {
  Inbox inbox;
  auto broker = start(NodeId(1), {}, inbox);
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), broker->port()});
  std::string whole = frame_of({{1, append(1, 40)}});
  std::string cut = frame_of({{1, append(2, 400)}});
  std::string stream = hello_from(7) + whole + cut.substr(0, cut.size() / 2);
  asio::write(socket, asio::buffer(stream));
  socket.shutdown(asio::ip::tcp::socket::shutdown_send);
  read_until_closed(socket);  // the broker closes its end
  ASSERT_TRUE(eventually([&] { return inbox.size() == 1; }, 10s));
  std::lock_guard lock(inbox.mutex);
  EXPECT_EQ(inbox.messages[0].second, append(1, 40));
}

TEST(TransportStream, AFramesMessagesOfOnePartitionAreHandedOverTogetherInOrder) {
  std::mutex mutex;
  std::vector<std::pair<std::int32_t, std::vector<std::uint64_t>>> calls;  // partition, terms
  TransportOptions options;
  options.self = NodeId(1);
  auto started = ClusterTransport::start(
      options, [&](NodeId, PartitionId partition, std::vector<raft::Message> batch) {
        std::vector<std::uint64_t> terms;
        for (const auto& message : batch)
          terms.push_back(message.term.value());
        std::lock_guard lock(mutex);
        calls.emplace_back(partition.value(), std::move(terms));
      });
  ASSERT_TRUE(started.ok()) << started.error();
  auto broker = std::move(*started);
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  socket.connect({asio::ip::make_address("127.0.0.1"), broker->port()});
  // Partitions 1, 2, 1, 1, 2, then a heartbeat for partition 1 (term 6) in the frame's batch.
  cluster::Frame frame;
  const std::int32_t partitions[] = {1, 2, 1, 1, 2};
  for (std::uint64_t i = 1; i <= 5; ++i) {
    auto* item = frame.add_messages();
    item->set_partition_id(partitions[i - 1]);
    item->set_payload(raft::encode_message(append(i, 40)));
  }
  frame.mutable_heartbeats()->add_partition_ids(1);
  frame.mutable_heartbeats()->add_terms(6);
  frame.mutable_heartbeats()->add_commits(0);
  std::string stream = hello_from(7) + framed(frame);
  asio::write(socket, asio::buffer(stream));
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(mutex);
        return calls.size() >= 2;
      },
      10s));
  std::lock_guard lock(mutex);
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_EQ(calls[0].first, 1);
  EXPECT_EQ(calls[0].second, (std::vector<std::uint64_t>{1, 3, 4, 6}));
  EXPECT_EQ(calls[1].first, 2);
  EXPECT_EQ(calls[1].second, (std::vector<std::uint64_t>{2, 5}));
}

engine::Record command_numbered(PartitionId partition, int number) {
  engine::Record command;
  command.record_type = engine::RecordType::kCommand;
  command.value_type = engine::ValueType::kMessageSubscription;
  command.intent = engine::Intent::kCreate;
  command.partition_id = partition;
  command.value = engine::Json{{"messageName", "m"}, {"correlationKey", std::to_string(number)}};
  return command;
}

TEST(TransportStream, BurstsFromManySendersArriveCompleteAndInEachSendersOrder) {
  Inbox at_one, at_two;
  auto one = start(NodeId(1), {}, at_one);
  auto two = start(NodeId(2), {"127.0.0.1:" + std::to_string(one->port())}, at_two);
  ASSERT_TRUE(eventually([&] { return two->connected_peers() == std::vector{NodeId(1)}; }, 10s));
  ASSERT_TRUE(eventually([&] { return one->connected_peers() == std::vector{NodeId(2)}; }, 10s));
  // Three senders (as three partitions' strands would), each its own partition: appends
  // numbered 1..n interleaved with subscription commands; heartbeats of each partition too.
  constexpr int kPerSender = 400;
  std::vector<std::thread> senders;
  for (int s = 1; s <= 3; ++s) {
    senders.emplace_back([&two, s] {
      for (int i = 1; i <= kPerSender; ++i) {
        raft::Message message;
        message.type = raft::MessageType::kAppend;
        message.from = NodeId(2);
        message.to = NodeId(1);
        message.term = raft::Term(static_cast<std::uint64_t>(i));
        two->send(NodeId(1), PartitionId(s), message);
        if (i % 10 == 0) two->send_command(NodeId(1), command_numbered(PartitionId(s), i));
        if (i % 50 == 0) {
          raft::Message beat;
          beat.type = raft::MessageType::kHeartbeat;
          beat.from = NodeId(2);
          beat.to = NodeId(1);
          beat.term = raft::Term(1);
          beat.commit = raft::LogIndex(static_cast<std::uint64_t>(i));
          two->send(NodeId(1), PartitionId(s), beat);
        }
      }
    });
  }
  for (auto& sender : senders)
    sender.join();
  const auto appends = [&] {
    std::lock_guard lock(at_one.mutex);
    std::size_t count = 0;
    for (const auto& [partition, message] : at_one.messages)
      count += message.type == raft::MessageType::kAppend ? 1 : 0;
    return count;
  };
  ASSERT_TRUE(eventually([&] { return appends() == 3u * kPerSender; }, 20s)) << appends();
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(at_one.mutex);
        return at_one.commands.size() == 3u * kPerSender / 10;
      },
      10s));
  // The last heartbeat of every partition arrives (an earlier one still waiting may be replaced
  // by a newer one: that is the coalescing's contract).
  ASSERT_TRUE(eventually(
      [&] {
        std::lock_guard lock(at_one.mutex);
        std::map<std::int32_t, std::uint64_t> last_commit;
        for (const auto& [partition, message] : at_one.messages) {
          if (message.type == raft::MessageType::kHeartbeat) {
            last_commit[partition.value()] = message.commit.value();
          }
        }
        return last_commit.size() == 3
               && std::all_of(last_commit.begin(), last_commit.end(), [](const auto& entry) {
                    return entry.second == static_cast<std::uint64_t>(kPerSender);
                  });
      },
      10s));
  std::lock_guard lock(at_one.mutex);
  std::map<std::int32_t, std::uint64_t> next_append;
  for (const auto& [partition, message] : at_one.messages) {
    if (message.type != raft::MessageType::kAppend) continue;
    EXPECT_EQ(message.term.value(), ++next_append[partition.value()])
        << "partition " << partition.value();
  }
  std::map<std::int32_t, int> next_command;
  for (const auto& [partition, command] : at_one.commands) {
    next_command[partition.value()] += 10;
    EXPECT_EQ(command.value["correlationKey"], std::to_string(next_command[partition.value()]))
        << "partition " << partition.value();
  }
}

}  // namespace
}  // namespace tern::broker
