// The cluster transport on loopback: two brokers say hello (announcing their command address and
// version), carry a subscription command record from one to the other, and a connection that
// sends a command record for the wrong partition is closed without reaching the handler.
// A heartbeat batch whose lists disagree in length is closed the same way.
// Requests: answered by the peer's service in both directions (on the connection either side
// dialed), an unknown topic is refused, an unanswered request times out, a request to a broker
// without a connection fails at once, and one whose peer goes away fails when the connection
// closes.

#include "broker/transport/cluster_transport.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <future>
#include <mutex>
#include <thread>

#include "cluster.pb.h"
#include "common/version.h"
#include "engine/records/record_codec.h"
#include "support/eventually.h"

namespace tern::broker {
namespace {

using namespace std::chrono_literals;

using tern::test::eventually;

struct Received {
  std::mutex mutex;
  std::vector<std::pair<PartitionId, engine::Record>> commands;
  std::size_t size() {
    std::lock_guard lock(mutex);
    return commands.size();
  }
};

std::unique_ptr<ClusterTransport> start(NodeId self, std::vector<std::string> contact_points,
                                        Received& received, std::string command_address) {
  TransportOptions options;
  options.self = self;
  options.contact_points = std::move(contact_points);
  options.command_address = std::move(command_address);
  auto transport = ClusterTransport::start(
      options, [](NodeId, PartitionId, std::vector<raft::Message>) {},
      [&received](NodeId, PartitionId partition, engine::Record command) {
        std::lock_guard lock(received.mutex);
        received.commands.emplace_back(partition, std::move(command));
      });
  EXPECT_TRUE(transport.ok()) << transport.error();
  return std::move(*transport);
}

engine::Record subscription_command(PartitionId partition) {
  engine::Record command;
  command.record_type = engine::RecordType::kCommand;
  command.value_type = engine::ValueType::kMessageSubscription;
  command.intent = engine::Intent::kCreate;
  command.partition_id = partition;
  command.value = engine::Json{{"messageName", "paid"}, {"correlationKey", "order-1"}};
  return command;
}

TEST(ClusterTransport, HelloAnnouncesCommandAddressAndCommandsTravel) {
  Received at_one, at_two;
  auto one = start(NodeId(1), {}, at_one, "127.0.0.1:26601");
  auto two =
      start(NodeId(2), {"127.0.0.1:" + std::to_string(one->port())}, at_two, "127.0.0.1:26602");
  ASSERT_TRUE(eventually([&] { return two->connected_peers() == std::vector{NodeId(1)}; }, 10s));
  auto peers = two->peer_infos();
  ASSERT_EQ(peers.count(NodeId(1)), 1u);
  EXPECT_EQ(peers[NodeId(1)].command_address, "127.0.0.1:26601");
  EXPECT_EQ(peers[NodeId(1)].version, std::string(kVersion));

  two->send_command(NodeId(1), subscription_command(PartitionId(3)));
  ASSERT_TRUE(eventually([&] { return at_one.size() == 1; }, 10s));
  std::lock_guard lock(at_one.mutex);
  EXPECT_EQ(at_one.commands[0].first, PartitionId(3));
  EXPECT_EQ(at_one.commands[0].second.value_type, engine::ValueType::kMessageSubscription);
  EXPECT_EQ(at_one.commands[0].second.value["correlationKey"], "order-1");
  EXPECT_EQ(at_two.size(), 0u);
}

// Writes one length-prefixed frame on a raw socket.
void write_frame(asio::ip::tcp::socket& socket, const cluster::Frame& frame) {
  std::string body = frame.SerializeAsString();
  std::string out(4, '\0');
  auto size = static_cast<std::uint32_t>(body.size());
  for (int i = 0; i < 4; ++i)
    out[static_cast<std::size_t>(i)] = static_cast<char>((size >> (24 - 8 * i)) & 0xff);
  asio::write(socket, asio::buffer(out + body));
}

// Connects a raw socket to `port` and says hello as node 7.
void connect_as_node_7(asio::ip::tcp::socket& socket, std::uint16_t port) {
  socket.connect({asio::ip::make_address("127.0.0.1"), port});
  cluster::Frame hello;
  hello.mutable_hello()->set_node_id(7);
  hello.mutable_hello()->set_protocol_version(1);
  write_frame(socket, hello);
}

// Reads until the broker closes the connection (after its own hello).
void read_until_closed(asio::ip::tcp::socket& socket) {
  std::error_code ec;
  std::array<char, 256> buffer{};
  while (!ec)
    socket.read_some(asio::buffer(buffer), ec);
}

TEST(ClusterTransport, CommandForAnotherPartitionClosesTheConnection) {
  Received received;
  auto transport = start(NodeId(1), {}, received, "");
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  connect_as_node_7(socket, transport->port());
  cluster::Frame bad;
  auto* item = bad.add_messages();
  item->set_partition_id(2);  // the record says partition 3
  item->set_command(engine::encode_record(subscription_command(PartitionId(3))));
  write_frame(socket, bad);
  read_until_closed(socket);
  EXPECT_EQ(received.size(), 0u);
}

TEST(ClusterTransport, AMalformedHeartbeatBatchClosesTheConnection) {
  std::mutex mutex;
  std::vector<raft::Message> delivered;
  TransportOptions options;
  options.self = NodeId(1);
  auto started =
      ClusterTransport::start(options, [&](NodeId, PartitionId, std::vector<raft::Message> batch) {
        std::lock_guard lock(mutex);
        for (auto& message : batch)
          delivered.push_back(std::move(message));
      });
  ASSERT_TRUE(started.ok()) << started.error();
  auto transport = std::move(*started);
  asio::io_context io;
  asio::ip::tcp::socket socket(io);
  connect_as_node_7(socket, transport->port());
  cluster::Frame bad;
  bad.mutable_heartbeats()->add_partition_ids(1);
  bad.mutable_heartbeats()->add_partition_ids(2);
  bad.mutable_heartbeats()->add_terms(3);  // two partitions, one term
  bad.mutable_heartbeats()->add_commits(0);
  write_frame(socket, bad);
  read_until_closed(socket);
  std::lock_guard lock(mutex);
  EXPECT_TRUE(delivered.empty());
}

// Sends a request and waits for its outcome.
Result<std::string, RequestError> ask(ClusterTransport& transport, NodeId to,
                                      const std::string& topic, const std::string& body,
                                      std::chrono::milliseconds timeout) {
  auto promise = std::make_shared<std::promise<Result<std::string, RequestError>>>();
  auto future = promise->get_future();
  transport.request(to, topic, body, timeout, [promise](Result<std::string, RequestError> result) {
    promise->set_value(std::move(result));
  });
  EXPECT_EQ(future.wait_for(timeout + 10s), std::future_status::ready);
  return future.get();
}

TEST(ClusterTransport, RequestsAreAnsweredByThePeersServiceInBothDirections) {
  Received at_one, at_two;
  auto one = start(NodeId(1), {}, at_one, "");
  auto two = start(NodeId(2), {"127.0.0.1:" + std::to_string(one->port())}, at_two, "");
  ASSERT_TRUE(eventually([&] { return two->connected_peers() == std::vector{NodeId(1)}; }, 10s));
  one->set_request_handler("echo",
                           [](NodeId from, std::string body, ClusterTransport::Respond respond) {
                             respond("broker " + std::to_string(from.value()) + " said " + body);
                           });
  two->set_request_handler(
      "echo", [](NodeId from, std::string body, ClusterTransport::Respond respond) {
        // Answered from another thread, as a replica's strand would.
        std::thread([from, body, respond] {
          respond("two heard " + body + " from " + std::to_string(from.value()));
        }).detach();
      });

  // Two dialed one: its request goes out on its own connection.
  auto from_two = ask(*two, NodeId(1), "echo", "hello", 5s);
  ASSERT_TRUE(from_two.ok()) << from_two.error().message;
  EXPECT_EQ(*from_two, "broker 2 said hello");
  // One never dialed two (no contact point): it answers on the connection two opened.
  ASSERT_TRUE(eventually([&] { return ask(*one, NodeId(2), "echo", "hi", 5s).ok(); }, 10s));
  auto from_one = ask(*one, NodeId(2), "echo", "hi", 5s);
  ASSERT_TRUE(from_one.ok()) << from_one.error().message;
  EXPECT_EQ(*from_one, "two heard hi from 1");

  // A topic nobody serves is refused, naming it.
  auto unknown = ask(*two, NodeId(1), "nobody-serves-this", "", 5s);
  ASSERT_FALSE(unknown.ok());
  EXPECT_EQ(unknown.error().code, RequestErrc::kNoService);
  EXPECT_NE(unknown.error().message.find("nobody-serves-this"), std::string::npos);

  // A service that never answers: the request times out.
  one->set_request_handler("silent", [](NodeId, std::string, ClusterTransport::Respond) {});
  auto silent = ask(*two, NodeId(1), "silent", "", 300ms);
  ASSERT_FALSE(silent.ok());
  EXPECT_EQ(silent.error().code, RequestErrc::kTimeout);

  // No connection with broker 9.
  auto nowhere = ask(*two, NodeId(9), "echo", "", 5s);
  ASSERT_FALSE(nowhere.ok());
  EXPECT_EQ(nowhere.error().code, RequestErrc::kNotConnected);

  // The peer goes away while a request waits: it fails when the connection closes, before its
  // timeout.
  std::promise<void> asked;
  one->set_request_handler(
      "hold", [&asked](NodeId, std::string, ClusterTransport::Respond) { asked.set_value(); });
  auto lost = std::make_shared<std::promise<Result<std::string, RequestError>>>();
  auto lost_future = lost->get_future();
  two->request(NodeId(1), "hold", "", 60s,
               [lost](Result<std::string, RequestError> result) { lost->set_value(result); });
  ASSERT_EQ(asked.get_future().wait_for(10s), std::future_status::ready);
  one->shutdown();
  ASSERT_EQ(lost_future.wait_for(20s), std::future_status::ready);
  auto outcome = lost_future.get();
  ASSERT_FALSE(outcome.ok());
  EXPECT_EQ(outcome.error().code, RequestErrc::kLost);
}

}  // namespace
}  // namespace tern::broker
