#include "cli/cluster_client.h"

#include <httplib.h>

#include <ostream>
#include <thread>

namespace tern::cli {
namespace {

using nlohmann::json;

// How often progress is polled: often enough to feel live, rare enough to be no load.
constexpr auto kPollInterval = std::chrono::milliseconds(250);

httplib::Client make_client(const std::string& base_url) {
  httplib::Client client(base_url);
  client.set_connection_timeout(5, 0);
  client.set_read_timeout(30, 0);
  return client;
}

Result<ManagementAnswer, std::string> to_answer(const httplib::Result& result,
                                                const std::string& url) {
  if (!result)
    return tern::unexpected("cannot reach " + url + ": " + httplib::to_string(result.error()));
  ManagementAnswer answer;
  answer.status = result->status;
  answer.body = json::parse(result->body, nullptr, /*allow_exceptions=*/false);
  if (answer.body.is_discarded()) answer.body = json();
  if (answer.body.is_null() && !result->body.empty()) answer.body = json{{"detail", result->body}};
  return answer;
}

}  // namespace

Result<ManagementAnswer, std::string> ManagementClient::get(const std::string& path) const {
  auto client = make_client(base_url_);
  return to_answer(client.Get(path), base_url_ + path);
}

Result<ManagementAnswer, std::string> ManagementClient::patch(const std::string& path_and_query,
                                                              const json& body) const {
  auto client = make_client(base_url_);
  return to_answer(client.Patch(path_and_query, body.dump(), "application/json"),
                   base_url_ + path_and_query);
}

std::string problem_detail(const ManagementAnswer& answer) {
  if (answer.body.is_object() && answer.body.contains("detail")) {
    return answer.body["detail"].is_string() ? answer.body["detail"].get<std::string>()
                                             : answer.body["detail"].dump();
  }
  return answer.body.dump();
}

std::string describe_operation(const json& operation) {
  std::string text = operation.value("operation", "?") + " broker "
                     + std::to_string(operation.value("brokerId", -1));
  if (operation.contains("partitionId")) {
    text += " partition " + std::to_string(operation["partitionId"].get<int>());
  }
  if (operation.contains("priority")) {
    text += " priority " + std::to_string(operation["priority"].get<int>());
  }
  if (operation.contains("brokers")) text += " members " + operation["brokers"].dump();
  return text;
}

bool wait_for_change(const ManagementClient& client, std::int64_t change_id,
                     std::chrono::seconds timeout, std::ostream& out, std::ostream& err) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::int64_t reported = -1;
  std::string where = "no progress reported yet";
  while (true) {
    auto answer = client.get("/actuator/cluster");
    if (!answer) {
      // A broker restarting under us is normal during a change; keep trying until the deadline.
      where = answer.error();
    } else if (answer->status != 200) {
      where = "GET /actuator/cluster answered " + std::to_string(answer->status) + ": "
              + problem_detail(*answer);
    } else {
      const json& cluster = answer->body;
      if (cluster.contains("lastChange") && cluster["lastChange"].value("id", 0) >= change_id) {
        const json& last = cluster["lastChange"];
        if (last.value("id", 0) > change_id) {
          out << "change " << change_id << " finished; change " << last["id"] << " has run since\n";
          return true;
        }
        const std::string status = last.value("status", "?");
        if (status == "COMPLETED") {
          out << "change " << change_id << " completed\n";
          return true;
        }
        err << "tern: change " << change_id << " ended " << status << "\n";
        return false;
      }
      if (cluster.contains("pendingChange")
          && cluster["pendingChange"].value("id", 0) == change_id) {
        const json& pending = cluster["pendingChange"];
        const auto done =
            static_cast<std::int64_t>(pending.value("completed", json::array()).size());
        const auto left = pending.value("pending", json::array());
        const auto total = done + static_cast<std::int64_t>(left.size());
        where = std::to_string(done) + "/" + std::to_string(total) + " operations done";
        if (done != reported) {
          out << "change " << change_id << ": " << where;
          if (!left.empty()) out << "; next: " << describe_operation(left.front());
          out << "\n";
          reported = done;
        }
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) {
      err << "tern: gave up waiting for change " << change_id << " after " << timeout.count()
          << "s (" << where << "); it may still complete: see 'tern cluster status'\n";
      return false;
    }
    std::this_thread::sleep_for(kPollInterval);
  }
}

}  // namespace tern::cli
