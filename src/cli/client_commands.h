#pragma once

// zbctl-like client commands: `tern deploy FILE...`, `tern create instance ID`, `tern cancel
// instance KEY`, `tern set variables KEY`, `tern resolve incident KEY`, `tern publish message
// NAME`, `tern activate jobs TYPE`, `tern complete job KEY`, `tern fail job KEY`. Each prints
// the gateway's response as JSON, or the gRPC error, and exits 0 / 1 / 2 (usage).

#include "cli/command.h"

namespace tern::cli {

class DeployCommand final : public Command {
 public:
  std::string name() const override { return "deploy"; }
  std::string summary() const override { return "deploy BPMN resources"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

class CreateCommand final : public Command {
 public:
  std::string name() const override { return "create"; }
  std::string summary() const override { return "create a process instance"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

class CancelCommand final : public Command {
 public:
  std::string name() const override { return "cancel"; }
  std::string summary() const override { return "cancel a process instance"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

class SetCommand final : public Command {
 public:
  std::string name() const override { return "set"; }
  std::string summary() const override { return "set variables on an element instance"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

class ResolveCommand final : public Command {
 public:
  std::string name() const override { return "resolve"; }
  std::string summary() const override { return "resolve an incident"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

class PublishCommand final : public Command {
 public:
  std::string name() const override { return "publish"; }
  std::string summary() const override { return "publish a message"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

class ActivateCommand final : public Command {
 public:
  std::string name() const override { return "activate"; }
  std::string summary() const override { return "activate jobs of a type"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

class CompleteCommand final : public Command {
 public:
  std::string name() const override { return "complete"; }
  std::string summary() const override { return "complete a job"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

class FailCommand final : public Command {
 public:
  std::string name() const override { return "fail"; }
  std::string summary() const override { return "fail a job"; }
  std::string usage() const override;
  int run(Context& context, const std::vector<std::string>& args) const override;
};

}  // namespace tern::cli
