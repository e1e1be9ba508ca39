#include "cli/client_commands.h"

#include <fstream>
#include <ostream>
#include <sstream>

#include "cli/client_support.h"

namespace tern::cli {

namespace gp = gateway_protocol;

namespace {

// `tern <verb> <noun> <ARG> [flags]`: checks the noun and that exactly one argument follows.
tern::Result<ParsedArgs, std::string> parse_verb_noun(const std::vector<std::string>& args,
                                                      const std::string& noun,
                                                      const std::string& arg_name,
                                                      const std::set<std::string>& value_flags,
                                                      const std::set<std::string>& switches) {
  auto parsed = parse_args(args, value_flags, switches);
  if (!parsed) return parsed;
  if (parsed->positional.empty() || parsed->positional.front() != noun) {
    return tern::unexpected("expected '" + noun + "' after the command");
  }
  if (parsed->positional.size() != 2) {
    return tern::unexpected("expected exactly one " + arg_name + " after '" + noun + "'");
  }
  return parsed;
}

tern::Result<std::int64_t, std::string> key_arg(const ParsedArgs& args, const std::string& name) {
  return parse_int(name, args.positional[1]);
}

}  // namespace

std::string DeployCommand::usage() const {
  return "Usage: tern deploy FILE...\n"
         "Deploys the BPMN files (to every partition) and prints the deployment.\n";
}

int DeployCommand::run(Context& context, const std::vector<std::string>& args) const {
  auto parsed = parse_args(args, {}, {});
  if (!parsed) return usage_error(context, name(), parsed.error());
  if (parsed->positional.empty()) return usage_error(context, name(), "expected a FILE to deploy");
  gp::DeployResourceRequest request;
  for (const auto& path : parsed->positional) {
    std::ifstream file(path, std::ios::binary);
    if (!file) {
      context.err << "tern deploy: cannot read '" << path << "'\n";
      return kExitFailure;
    }
    std::ostringstream content;
    content << file.rdbuf();
    auto* resource = request.add_resources();
    auto slash = path.find_last_of('/');
    resource->set_name(slash == std::string::npos ? path : path.substr(slash + 1));
    resource->set_content(content.str());
  }
  gp::DeployResourceResponse response;
  auto call = client_context(kCommandTimeout);
  grpc::Status status = gateway_stub(context)->DeployResource(call.get(), request, &response);
  if (!status.ok()) return report_failure(context, name(), status);
  print_json(context.out, response);
  return kExitOk;
}

std::string CreateCommand::usage() const {
  return "Usage: tern create instance PROCESS_ID [--variables JSON] [--version N] "
         "[--with-result]\n"
         "Creates an instance of the latest (or the given) version of the process.\n"
         "  --with-result   wait for the instance to complete and print its variables\n";
}

int CreateCommand::run(Context& context, const std::vector<std::string>& args) const {
  auto parsed =
      parse_verb_noun(args, "instance", "PROCESS_ID", {"variables", "version"}, {"with-result"});
  if (!parsed) return usage_error(context, name(), parsed.error());
  gp::CreateProcessInstanceRequest request;
  request.set_bpmnprocessid(parsed->positional[1]);
  request.set_version(-1);
  if (parsed->values.contains("version")) {
    auto version = parse_int("--version", parsed->values["version"]);
    if (!version) return usage_error(context, name(), version.error());
    request.set_version(static_cast<std::int32_t>(*version));
  }
  request.set_variables(parsed->value_or("variables", ""));
  auto stub = gateway_stub(context);
  auto call = client_context(kCommandTimeout);
  if (parsed->has("with-result")) {
    gp::CreateProcessInstanceWithResultRequest with_result;
    *with_result.mutable_request() = request;
    gp::CreateProcessInstanceWithResultResponse response;
    grpc::Status status = stub->CreateProcessInstanceWithResult(call.get(), with_result, &response);
    if (!status.ok()) return report_failure(context, name(), status);
    print_json(context.out, response);
    return kExitOk;
  }
  gp::CreateProcessInstanceResponse response;
  grpc::Status status = stub->CreateProcessInstance(call.get(), request, &response);
  if (!status.ok()) return report_failure(context, name(), status);
  print_json(context.out, response);
  return kExitOk;
}

std::string CancelCommand::usage() const {
  return "Usage: tern cancel instance KEY\nCancels the process instance.\n";
}

int CancelCommand::run(Context& context, const std::vector<std::string>& args) const {
  auto parsed = parse_verb_noun(args, "instance", "KEY", {}, {});
  if (!parsed) return usage_error(context, name(), parsed.error());
  auto key = key_arg(*parsed, "KEY");
  if (!key) return usage_error(context, name(), key.error());
  gp::CancelProcessInstanceRequest request;
  request.set_processinstancekey(*key);
  gp::CancelProcessInstanceResponse response;
  auto call = client_context(kCommandTimeout);
  grpc::Status status =
      gateway_stub(context)->CancelProcessInstance(call.get(), request, &response);
  if (!status.ok()) return report_failure(context, name(), status);
  context.out << "Canceled process instance with key '" << *key << "'\n";
  return kExitOk;
}

std::string SetCommand::usage() const {
  return "Usage: tern set variables KEY --variables JSON [--local]\n"
         "Sets variables on the element instance (or process instance) KEY.\n"
         "  --local   set them on that scope only instead of where each is defined\n";
}

int SetCommand::run(Context& context, const std::vector<std::string>& args) const {
  auto parsed = parse_verb_noun(args, "variables", "KEY", {"variables"}, {"local"});
  if (!parsed) return usage_error(context, name(), parsed.error());
  auto key = key_arg(*parsed, "KEY");
  if (!key) return usage_error(context, name(), key.error());
  if (!parsed->values.contains("variables")) {
    return usage_error(context, name(), "--variables JSON is required");
  }
  gp::SetVariablesRequest request;
  request.set_elementinstancekey(*key);
  request.set_variables(parsed->values["variables"]);
  request.set_local(parsed->has("local"));
  gp::SetVariablesResponse response;
  auto call = client_context(kCommandTimeout);
  grpc::Status status = gateway_stub(context)->SetVariables(call.get(), request, &response);
  if (!status.ok()) return report_failure(context, name(), status);
  print_json(context.out, response);
  return kExitOk;
}

std::string ResolveCommand::usage() const {
  return "Usage: tern resolve incident KEY\nResolves the incident.\n";
}

int ResolveCommand::run(Context& context, const std::vector<std::string>& args) const {
  auto parsed = parse_verb_noun(args, "incident", "KEY", {}, {});
  if (!parsed) return usage_error(context, name(), parsed.error());
  auto key = key_arg(*parsed, "KEY");
  if (!key) return usage_error(context, name(), key.error());
  gp::ResolveIncidentRequest request;
  request.set_incidentkey(*key);
  gp::ResolveIncidentResponse response;
  auto call = client_context(kCommandTimeout);
  grpc::Status status = gateway_stub(context)->ResolveIncident(call.get(), request, &response);
  if (!status.ok()) return report_failure(context, name(), status);
  context.out << "Resolved incident with key '" << *key << "'\n";
  return kExitOk;
}

std::string PublishCommand::usage() const {
  return "Usage: tern publish message NAME --correlation-key K [--variables JSON] [--ttl MS] "
         "[--message-id ID]\n"
         "Publishes a message; it goes to the partition chosen by its correlation key.\n";
}

int PublishCommand::run(Context& context, const std::vector<std::string>& args) const {
  auto parsed = parse_verb_noun(args, "message", "NAME",
                                {"correlation-key", "variables", "ttl", "message-id"}, {});
  if (!parsed) return usage_error(context, name(), parsed.error());
  if (!parsed->values.contains("correlation-key")) {
    return usage_error(context, name(), "--correlation-key K is required");
  }
  gp::PublishMessageRequest request;
  request.set_name(parsed->positional[1]);
  request.set_correlationkey(parsed->values["correlation-key"]);
  request.set_variables(parsed->value_or("variables", ""));
  request.set_messageid(parsed->value_or("message-id", ""));
  auto ttl = parse_int("--ttl", parsed->value_or("ttl", "3600000"));
  if (!ttl) return usage_error(context, name(), ttl.error());
  request.set_timetolive(*ttl);
  gp::PublishMessageResponse response;
  auto call = client_context(kCommandTimeout);
  grpc::Status status = gateway_stub(context)->PublishMessage(call.get(), request, &response);
  if (!status.ok()) return report_failure(context, name(), status);
  print_json(context.out, response);
  return kExitOk;
}

}  // namespace tern::cli
