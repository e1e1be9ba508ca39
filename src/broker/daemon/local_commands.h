#pragma once

// The embedded gateway's in-process path to its own broker's command API: the gateway's
// routing::LocalBroker over the broker's CommandService, so that commands for partitions led here
// skip gRPC over loopback. The address is the one this broker's topology report names it by.
// Thread-safe (CommandService is).

#include <memory>
#include <string>
#include <utility>

#include "broker/command_api/command_service.h"
#include "gateway/routing/local_broker.h"

namespace tern::broker {

class LocalCommands final : public gateway::routing::LocalBroker {
 public:
  LocalCommands(std::shared_ptr<command_api::CommandService> commands, std::string address)
      : commands_(std::move(commands)), address_(std::move(address)) {}

  std::string address() const override { return address_; }

  void execute(const tern::command::BrokerRequest& request, tern::command::BrokerResponse* response,
               std::function<void()> done) override {
    commands_->execute(request, response, std::move(done));
  }

  WatchId watch_jobs(JobsAvailable available) override {
    return commands_->add_jobs_listener(
        [available = std::move(available)](PartitionId, const std::string& type) {
          available(type);
        });
  }
  void unwatch_jobs(WatchId id) override { commands_->remove_jobs_listener(id); }

 private:
  std::shared_ptr<command_api::CommandService> commands_;
  std::string address_;
};

}  // namespace tern::broker
