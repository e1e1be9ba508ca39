// FrameConnection's retirement, step by step on one io_context: the messages still queued on a
// retired connection move to its successor in order, the retiring side says goodbye and stops
// sending, the other side can still write on it (and is heard) until it retires too, and then
// both ends close without an error.

#include "broker/transport/frame_connection.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <chrono>
#include <functional>
#include <optional>
#include <vector>

#include "raft/codec.h"

namespace tern::broker {
namespace {

using asio::ip::tcp;
using namespace std::chrono_literals;

struct End {
  std::shared_ptr<FrameConnection> connection;
  std::vector<std::uint64_t> terms;   // of the Raft messages received, in order
  std::optional<std::string> closed;  // the close error, once closed
};

raft::Message numbered(NodeId from, NodeId to, std::uint64_t sequence) {
  raft::Message message;
  message.type = raft::MessageType::kAppend;
  message.from = from;
  message.to = to;
  message.term = raft::Term(sequence);
  return message;
}

class FrameConnectionRetire : public ::testing::Test {
 protected:
  // A connected pair: `dialer` is broker 2's end, `acceptor` broker 1's.
  void connect(End& dialer, End& accepted) {
    tcp::socket socket(io_);
    socket.connect(acceptor_.local_endpoint());
    tcp::socket peer = acceptor_.accept();
    dialer.connection = std::make_shared<FrameConnection>(std::move(socket), options(NodeId(2)),
                                                          FrameConnection::Origin::kDialed);
    accepted.connection = std::make_shared<FrameConnection>(std::move(peer), options(NodeId(1)),
                                                            FrameConnection::Origin::kAccepted);
    start(dialer);
    start(accepted);
  }

  static FrameConnection::Options options(NodeId self) { return {self, 1u << 20, 1000, 512, ""}; }

  static void start(End& end) {
    FrameConnection::Handlers handlers;
    handlers.messages = [&end](NodeId, PartitionId, std::vector<raft::Message> batch) {
      for (const auto& message : batch)
        end.terms.push_back(message.term.value());
    };
    handlers.close = [&end](NodeId, const std::string& error) { end.closed = error; };
    end.connection->start(std::move(handlers));
  }

  bool run_until(const std::function<bool()>& condition) {
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    while (!condition() && std::chrono::steady_clock::now() < deadline)
      io_.run_one_for(50ms);
    return condition();
  }

  asio::io_context io_;
  tcp::acceptor acceptor_{io_, {asio::ip::make_address("127.0.0.1"), 0}};
};

TEST_F(FrameConnectionRetire, QueuedMessagesMoveToTheSuccessorAndBothEndsCloseCleanly) {
  End old_here, old_there, new_here, new_there;
  connect(old_here, old_there);
  connect(new_here, new_there);
  // Nothing has been written yet (the io_context has not run): everything stays queued on the
  // old connection behind its hello.
  for (std::uint64_t i = 1; i <= 50; ++i)
    old_here.connection->queue(PartitionId(1),
                               raft::encode_message(numbered(NodeId(2), NodeId(1), i)));
  old_here.connection->retire(*new_here.connection);
  EXPECT_TRUE(old_here.connection->retired());
  // Queued after retiring: dropped, never written on the old connection.
  old_here.connection->queue(PartitionId(1),
                             raft::encode_message(numbered(NodeId(2), NodeId(1), 99)));

  ASSERT_TRUE(run_until([&] { return new_there.terms.size() == 50; }));
  std::vector<std::uint64_t> expected;
  for (std::uint64_t i = 1; i <= 50; ++i)
    expected.push_back(i);
  EXPECT_EQ(new_there.terms, expected);

  // The other end heard the goodbye but has not retired: it can still send on the old
  // connection, and the retired end still reads it.
  ASSERT_TRUE(run_until([&] { return !old_there.connection->closed(); }));
  old_there.connection->queue(PartitionId(1),
                              raft::encode_message(numbered(NodeId(1), NodeId(2), 7)));
  ASSERT_TRUE(run_until([&] { return old_here.terms == std::vector<std::uint64_t>{7}; }));
  EXPECT_FALSE(old_here.closed.has_value());
  EXPECT_TRUE(old_there.terms.empty()) << "nothing but the hello and the goodbye came this way";

  // Now the other end retires too: both close, neither with an error.
  old_there.connection->retire(*new_there.connection);
  ASSERT_TRUE(run_until([&] { return old_here.closed && old_there.closed; }));
  EXPECT_EQ(*old_here.closed, "");
  EXPECT_EQ(*old_there.closed, "");
  EXPECT_FALSE(new_here.closed.has_value());
  EXPECT_FALSE(new_there.closed.has_value());
  EXPECT_EQ(old_here.connection->dropped_messages(), 1u);
}

TEST_F(FrameConnectionRetire, EndOfStreamWithoutAGoodbyeIsALostConnection) {
  End here, there;
  connect(here, there);
  ASSERT_TRUE(run_until([&] { return here.connection->peer().has_value(); }));
  there.connection->close();
  ASSERT_TRUE(run_until([&] { return here.closed.has_value(); }));
  EXPECT_FALSE(here.connection->retired());
}

}  // namespace
}  // namespace tern::broker
