// The command stream's frame format (gateway/link/command_frames.h) and FrameSocket's writes from
// many threads, over a real loopback connection.

#include "gateway/link/command_frames.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <map>
#include <thread>
#include <vector>

#include "command_api.pb.h"
#include "gateway/link/frame_socket.h"
#include "support/eventually.h"

namespace tern::gateway::link {
namespace {

namespace tc = tern::command;
using namespace std::chrono_literals;

TEST(CommandFrames, AFrameReadsBackAsWritten) {
  tc::BrokerRequest request;
  request.set_partition_id(3);
  request.mutable_publish_message()->set_name("paid");
  const std::string frame = encode_frame(FrameKind::kRequest, 0x0102030405060708ULL, request);
  ASSERT_EQ(frame.size(), kHeaderBytes + request.ByteSizeLong());
  // The length counts what follows it, big-endian.
  EXPECT_EQ(static_cast<unsigned char>(frame[3]), frame.size() - kLengthBytes);

  const Parsed parsed = parse_frame(frame.data(), frame.size());
  ASSERT_TRUE(parsed.error.empty()) << parsed.error;
  ASSERT_TRUE(parsed.frame);
  EXPECT_EQ(parsed.consumed, frame.size());
  EXPECT_EQ(parsed.frame->kind, FrameKind::kRequest);
  EXPECT_EQ(parsed.frame->correlation, 0x0102030405060708ULL);
  tc::BrokerRequest read;
  ASSERT_TRUE(read.ParseFromArray(parsed.frame->payload.data(),
                                  static_cast<int>(parsed.frame->payload.size())));
  EXPECT_EQ(read.partition_id(), 3);
  EXPECT_EQ(read.publish_message().name(), "paid");
}

TEST(CommandFrames, APartOfAFrameIsNotYetAFrame) {
  const std::string frame = encode_empty_frame(FrameKind::kSubscribeJobs, 0) + "next";
  for (std::size_t size = 0; size < kHeaderBytes; ++size) {
    const Parsed parsed = parse_frame(frame.data(), size);
    EXPECT_FALSE(parsed.frame) << size;
    EXPECT_TRUE(parsed.error.empty()) << size;
  }
  const Parsed whole = parse_frame(frame.data(), frame.size());
  ASSERT_TRUE(whole.frame);
  EXPECT_EQ(whole.consumed, kHeaderBytes);
  EXPECT_TRUE(whole.frame->payload.empty());
}

TEST(CommandFrames, BytesThatCannotBeAFrameAreAnErrorNamingWhy) {
  std::string unknown_kind = encode_empty_frame(FrameKind::kRequest, 1);
  unknown_kind[kLengthBytes] = 9;
  EXPECT_NE(parse_frame(unknown_kind.data(), unknown_kind.size()).error.find("unknown kind 9"),
            std::string::npos);

  const std::string too_short("\0\0\0\3abc", 7);
  EXPECT_NE(parse_frame(too_short.data(), too_short.size()).error.find("shorter than its"),
            std::string::npos);

  const std::string too_long("\x7f\xff\xff\xff", 4);
  EXPECT_NE(parse_frame(too_long.data(), too_long.size()).error.find("exceeds the limit"),
            std::string::npos);
}

// Two connected FrameSockets on one IO thread.
class SocketPair {
 public:
  SocketPair() : work_(asio::make_work_guard(io_)) {
    asio::ip::tcp::acceptor acceptor(io_, {asio::ip::make_address("127.0.0.1"), 0});
    asio::ip::tcp::socket client(io_);
    client.connect(acceptor.local_endpoint());
    asio::ip::tcp::socket server = acceptor.accept();
    sender_ = std::make_shared<FrameSocket>(std::move(client));
    receiver_ = std::make_shared<FrameSocket>(std::move(server));
    thread_ = std::thread([this] { io_.run(); });
  }
  ~SocketPair() {
    sender_->close("test over");
    receiver_->close("test over");
    work_.reset();
    thread_.join();
  }
  void start(FrameSocket::OnFrame on_frame) {
    asio::post(io_, [this, on_frame = std::move(on_frame)] {
      sender_->start([](const FrameView&) {},
                     [this](const std::string& error) {
                       std::lock_guard lock(mutex_);
                       sender_error_ = error;
                     });
      receiver_->start(on_frame, [](const std::string&) {});
    });
  }
  FrameSocket& sender() { return *sender_; }
  FrameSocket& receiver() { return *receiver_; }
  std::string sender_error() {
    std::lock_guard lock(mutex_);
    return sender_error_;
  }

 private:
  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  std::shared_ptr<FrameSocket> sender_;
  std::shared_ptr<FrameSocket> receiver_;
  std::thread thread_;
  std::mutex mutex_;
  std::string sender_error_;
};

TEST(FrameSocket, FramesFromManyThreadsArriveWholeAndInEachSendersOrder) {
  SocketPair pair;
  std::mutex mutex;
  std::map<std::uint64_t, std::vector<std::size_t>> seen;  // sender -> payload sizes in order
  std::size_t frames = 0;
  pair.start([&](const FrameView& frame) {
    std::lock_guard lock(mutex);
    // Every byte of a payload is its sender's number: a torn or interleaved frame shows.
    for (char c : frame.payload)
      ASSERT_EQ(static_cast<std::uint64_t>(c), frame.correlation);
    seen[frame.correlation].push_back(frame.payload.size());
    ++frames;
  });
  constexpr int kSenders = 4;
  constexpr int kFramesEach = 200;
  std::vector<std::thread> senders;
  for (int s = 0; s < kSenders; ++s) {
    senders.emplace_back([&pair, s] {
      for (int i = 0; i < kFramesEach; ++i) {
        // Some frames are far larger than a socket buffer, so the queued path runs too.
        const std::size_t size = i % 50 == 0 ? 3 * 1024 * 1024 : 100 + static_cast<std::size_t>(i);
        std::string frame;
        append_header(frame, FrameKind::kResponse, static_cast<std::uint64_t>(s), size);
        frame.append(size, static_cast<char>(s));
        ASSERT_TRUE(pair.sender().send(std::move(frame)));
      }
    });
  }
  for (auto& sender : senders)
    sender.join();
  ASSERT_TRUE(test::eventually(
      [&] {
        std::lock_guard lock(mutex);
        return frames == kSenders * kFramesEach;
      },
      20s));
  std::lock_guard lock(mutex);
  for (int s = 0; s < kSenders; ++s) {
    const auto& sizes = seen[static_cast<std::uint64_t>(s)];
    ASSERT_EQ(sizes.size(), static_cast<std::size_t>(kFramesEach));
    for (int i = 0; i < kFramesEach; ++i) {
      EXPECT_EQ(sizes[static_cast<std::size_t>(i)],
                i % 50 == 0 ? 3 * 1024 * 1024 : 100 + static_cast<std::size_t>(i));
    }
  }
}

TEST(FrameSocket, AMalformedFrameClosesTheConnectionAndSendingThenFails) {
  SocketPair pair;
  pair.start([](const FrameView&) {});
  std::string bad = encode_empty_frame(FrameKind::kRequest, 1);
  bad[kLengthBytes] = 42;
  ASSERT_TRUE(pair.sender().send(bad));
  // The receiver closes; the sender sees the end of its stream.
  ASSERT_TRUE(test::eventually([&] { return pair.receiver().closed(); }, 5s));
  ASSERT_TRUE(test::eventually([&] { return !pair.sender_error().empty(); }, 5s));
  EXPECT_FALSE(pair.sender().send(encode_empty_frame(FrameKind::kRequest, 2)));
}

}  // namespace
}  // namespace tern::gateway::link
