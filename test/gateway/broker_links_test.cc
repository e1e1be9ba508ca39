// The gateway's command streams (gateway/link/broker_links.h) against a scripted broker: a real
// loopback listener that reads the preamble and frames as a broker's command port would.

#include "gateway/link/broker_links.h"

#include <gtest/gtest.h>

#include <asio.hpp>
#include <condition_variable>
#include <deque>
#include <thread>
#include <vector>

#include "gateway/link/command_frames.h"
#include "gateway/link/frame_socket.h"
#include "support/eventually.h"
#include "support/free_port.h"

namespace tern::gateway::link {
namespace {

namespace tc = tern::command;
using namespace std::chrono_literals;

// A broker's side of command streams, answering nothing on its own: the test answers the
// requests it received, in whatever order it likes.
class ScriptedBroker {
 public:
  struct Request {
    std::shared_ptr<FrameSocket> session;
    std::uint64_t correlation;
    tc::BrokerRequest request;
  };

  ScriptedBroker()
      : work_(asio::make_work_guard(io_)),
        acceptor_(io_, {asio::ip::make_address("127.0.0.1"), 0}) {
    accept();
    thread_ = std::thread([this] { io_.run(); });
  }
  ~ScriptedBroker() {
    asio::post(io_, [this] {
      acceptor_.close();
      for (auto& session : all_sessions())
        session->close("test over");
    });
    work_.reset();
    thread_.join();
  }

  std::string address() const {
    return "127.0.0.1:" + std::to_string(acceptor_.local_endpoint().port());
  }
  // The requests received and not yet taken, waiting up to 10 s for `count` of them.
  std::vector<Request> take(std::size_t count) {
    std::unique_lock lock(mutex_);
    arrived_.wait_for(lock, 10s, [&] { return requests_.size() >= count; });
    std::vector<Request> taken(requests_.begin(), requests_.end());
    requests_.clear();
    return taken;
  }
  static void answer(const Request& request, const std::string& message) {
    tc::BrokerResponse response;
    response.set_status(tc::OK);
    response.set_message(message);
    request.session->send(encode_frame(FrameKind::kResponse, request.correlation, response));
  }
  void push_jobs(const std::string& type, std::int32_t partition) {
    tc::JobAvailability wakeup;
    wakeup.set_job_type(type);
    wakeup.set_partition_id(partition);
    for (auto& session : all_sessions())
      session->send(encode_frame(FrameKind::kJobsAvailable, 0, wakeup));
  }
  void drop_connections() {
    for (auto& session : all_sessions())
      session->close("dropped by the test");
  }
  int accepted() {
    std::lock_guard lock(mutex_);
    return accepted_;
  }
  // Per connection, whether it subscribed before its first request.
  std::vector<bool> subscribed_first() {
    std::lock_guard lock(mutex_);
    return subscribed_first_;
  }

 private:
  std::vector<std::shared_ptr<FrameSocket>> all_sessions() {
    std::lock_guard lock(mutex_);
    return sessions_;
  }

  void accept() {
    acceptor_.async_accept([this](const asio::error_code& error, asio::ip::tcp::socket socket) {
      if (error) return;
      auto preamble = std::make_shared<std::array<char, kPreamble.size()>>();
      auto shared = std::make_shared<asio::ip::tcp::socket>(std::move(socket));
      asio::async_read(*shared, asio::buffer(*preamble),
                       [this, preamble, shared](const asio::error_code& read_error, std::size_t) {
                         if (read_error) return;
                         ASSERT_EQ(std::string_view(preamble->data(), preamble->size()), kPreamble);
                         serve(std::make_shared<FrameSocket>(std::move(*shared)));
                       });
      accept();
    });
  }

  void serve(std::shared_ptr<FrameSocket> session) {
    std::size_t index = 0;
    {
      std::lock_guard lock(mutex_);
      ++accepted_;
      sessions_.push_back(session);
      index = subscribed_first_.size();
      subscribed_first_.push_back(false);
    }
    auto requests_seen = std::make_shared<int>(0);
    std::weak_ptr<FrameSocket> weak = session;
    session->start(
        [this, weak, index, requests_seen](const FrameView& frame) {
          std::lock_guard lock(mutex_);
          if (frame.kind == FrameKind::kSubscribeJobs) {
            if (*requests_seen == 0) subscribed_first_[index] = true;
            return;
          }
          ASSERT_EQ(frame.kind, FrameKind::kRequest);
          ++*requests_seen;
          Request request{weak.lock(), frame.correlation, {}};
          ASSERT_TRUE(request.request.ParseFromArray(frame.payload.data(),
                                                     static_cast<int>(frame.payload.size())));
          requests_.push_back(std::move(request));
          arrived_.notify_all();
        },
        [](const std::string&) {});
  }

  asio::io_context io_;
  asio::executor_work_guard<asio::io_context::executor_type> work_;
  asio::ip::tcp::acceptor acceptor_;
  std::thread thread_;
  std::mutex mutex_;
  std::condition_variable arrived_;
  std::deque<Request> requests_;
  std::vector<std::shared_ptr<FrameSocket>> sessions_;
  std::vector<bool> subscribed_first_;
  int accepted_ = 0;
};

// One request's outcome, filled on the links' thread.
struct Outcome {
  std::mutex mutex;
  bool done = false;
  std::string error;
  tc::BrokerResponse response;

  BrokerLinks::Done callback() {
    return [this](std::string why) {
      std::lock_guard lock(mutex);
      error = std::move(why);
      done = true;
    };
  }
  bool finished() {
    std::lock_guard lock(mutex);
    return done;
  }
};

tc::BrokerRequest request_for(std::int32_t partition) {
  tc::BrokerRequest request;
  request.set_partition_id(partition);
  request.mutable_publish_message()->set_name("order-" + std::to_string(partition));
  return request;
}

TEST(BrokerLinks, AnswersReachTheirRequestsWhateverTheirOrder) {
  ScriptedBroker broker;
  BrokerLinks links([](const std::string&, std::int32_t) {});
  std::vector<std::unique_ptr<Outcome>> outcomes;
  for (std::int32_t p = 1; p <= 3; ++p) {
    outcomes.push_back(std::make_unique<Outcome>());
    links.execute(broker.address(), request_for(p), &outcomes.back()->response,
                  outcomes.back()->callback());
  }
  auto requests = broker.take(3);
  ASSERT_EQ(requests.size(), 3u);
  for (auto it = requests.rbegin(); it != requests.rend(); ++it)
    ScriptedBroker::answer(*it, it->request.publish_message().name());
  for (std::int32_t p = 1; p <= 3; ++p) {
    Outcome& outcome = *outcomes[static_cast<std::size_t>(p - 1)];
    ASSERT_TRUE(test::eventually([&] { return outcome.finished(); }, 10s));
    EXPECT_EQ(outcome.error, "");
    EXPECT_EQ(outcome.response.message(), "order-" + std::to_string(p));
  }
  EXPECT_EQ(broker.accepted(), 1);  // one connection carried all three
  EXPECT_EQ(links.open_connections(), 1u);
}

TEST(BrokerLinks, AConnectionSubscribesToJobWakeupsAndDeliversThem) {
  ScriptedBroker broker;
  std::mutex mutex;
  std::vector<std::pair<std::string, std::int32_t>> wakeups;
  BrokerLinks links([&](const std::string& type, std::int32_t partition) {
    std::lock_guard lock(mutex);
    wakeups.emplace_back(type, partition);
  });
  Outcome outcome;
  links.execute(broker.address(), request_for(1), &outcome.response, outcome.callback());
  auto requests = broker.take(1);
  ASSERT_EQ(requests.size(), 1u);
  EXPECT_EQ(broker.subscribed_first(), std::vector<bool>{true});
  // Answered, so that `outcome` (gone before `links`) is not written at shutdown.
  ScriptedBroker::answer(requests.front(), "seen");
  ASSERT_TRUE(test::eventually([&] { return outcome.finished(); }, 10s));
  broker.push_jobs("ship", 2);
  ASSERT_TRUE(test::eventually(
      [&] {
        std::lock_guard lock(mutex);
        return !wakeups.empty();
      },
      10s));
  std::lock_guard lock(mutex);
  EXPECT_EQ(wakeups.front(), std::make_pair(std::string("ship"), 2));
}

TEST(BrokerLinks, AnUnreachableBrokerFailsTheRequestSayingWhy) {
  BrokerLinks links([](const std::string&, std::int32_t) {});
  Outcome outcome;
  links.execute("127.0.0.1:" + std::to_string(test::free_port()), request_for(1), &outcome.response,
                outcome.callback());
  ASSERT_TRUE(test::eventually([&] { return outcome.finished(); }, 10s));
  EXPECT_NE(outcome.error.find("cannot connect to it"), std::string::npos) << outcome.error;

  Outcome malformed;
  links.execute("no-port-here", request_for(1), &malformed.response, malformed.callback());
  ASSERT_TRUE(test::eventually([&] { return malformed.finished(); }, 10s));
  EXPECT_NE(malformed.error.find("not of the form host:port"), std::string::npos)
      << malformed.error;
}

TEST(BrokerLinks, ALostConnectionFailsItsRequestsAndTheNextRequestReconnects) {
  ScriptedBroker broker;
  BrokerLinks links([](const std::string&, std::int32_t) {});
  Outcome lost;
  links.execute(broker.address(), request_for(1), &lost.response, lost.callback());
  ASSERT_EQ(broker.take(1).size(), 1u);
  broker.drop_connections();
  ASSERT_TRUE(test::eventually([&] { return lost.finished(); }, 10s));
  EXPECT_NE(lost.error.find("the connection was lost"), std::string::npos) << lost.error;

  Outcome next;
  links.execute(broker.address(), request_for(2), &next.response, next.callback());
  auto requests = broker.take(1);
  ASSERT_EQ(requests.size(), 1u);
  ScriptedBroker::answer(requests.front(), "again");
  ASSERT_TRUE(test::eventually([&] { return next.finished(); }, 10s));
  EXPECT_EQ(next.error, "");
  EXPECT_EQ(next.response.message(), "again");
  EXPECT_EQ(broker.accepted(), 2);
}

TEST(BrokerLinks, AnAnswerToNoRequestClosesTheConnectionAndFailsItsRequests) {
  ScriptedBroker broker;
  BrokerLinks links([](const std::string&, std::int32_t) {});
  Outcome waiting;
  links.execute(broker.address(), request_for(1), &waiting.response, waiting.callback());
  auto requests = broker.take(1);
  ASSERT_EQ(requests.size(), 1u);
  requests.front().correlation += 1000;
  ScriptedBroker::answer(requests.front(), "stray");
  ASSERT_TRUE(test::eventually([&] { return waiting.finished(); }, 10s));
  EXPECT_NE(waiting.error.find("which is not waiting"), std::string::npos) << waiting.error;
}

TEST(BrokerLinks, ShutdownFailsTheRequestsInFlightAndRefusesLaterOnes) {
  ScriptedBroker broker;
  BrokerLinks links([](const std::string&, std::int32_t) {});
  Outcome in_flight;
  links.execute(broker.address(), request_for(1), &in_flight.response, in_flight.callback());
  ASSERT_EQ(broker.take(1).size(), 1u);
  links.shutdown();
  ASSERT_TRUE(in_flight.finished());
  EXPECT_NE(in_flight.error.find("shutting down"), std::string::npos) << in_flight.error;

  Outcome later;
  links.execute(broker.address(), request_for(2), &later.response, later.callback());
  ASSERT_TRUE(later.finished());
  EXPECT_NE(later.error.find("shutting down"), std::string::npos) << later.error;
}

}  // namespace
}  // namespace tern::gateway::link
