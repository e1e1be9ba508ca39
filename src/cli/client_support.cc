#include "cli/client_support.h"

#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <optional>
#include <ostream>

namespace tern::cli {

tern::Result<ParsedArgs, std::string> parse_args(const std::vector<std::string>& args,
                                                 const std::set<std::string>& value_flags,
                                                 const std::set<std::string>& switch_flags) {
  ParsedArgs parsed;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (!arg.starts_with("--")) {
      parsed.positional.push_back(arg);
      continue;
    }
    std::string name = arg.substr(2);
    std::optional<std::string> inline_value;
    if (auto eq = name.find('='); eq != std::string::npos) {
      inline_value = name.substr(eq + 1);
      name = name.substr(0, eq);
    }
    if (switch_flags.contains(name) && !inline_value) {
      parsed.switches.insert(name);
    } else if (value_flags.contains(name)) {
      if (inline_value) {
        parsed.values[name] = *inline_value;
      } else if (i + 1 < args.size()) {
        parsed.values[name] = args[++i];
      } else {
        return tern::unexpected("option --" + name + " needs a value");
      }
    } else {
      return tern::unexpected("unknown option --" + name);
    }
  }
  return parsed;
}

tern::Result<std::int64_t, std::string> parse_int(const std::string& name,
                                                  const std::string& text) {
  std::int64_t value = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size()) {
    return tern::unexpected(name + " must be a whole number, but got '" + text + "'");
  }
  return value;
}

std::unique_ptr<gateway_protocol::Gateway::Stub> gateway_stub(const Context& context) {
  return gateway_protocol::Gateway::NewStub(
      grpc::CreateChannel(context.endpoints.address, grpc::InsecureChannelCredentials()));
}

std::unique_ptr<grpc::ClientContext> client_context(std::chrono::milliseconds timeout) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + timeout);
  return context;
}

void print_json(std::ostream& out, const google::protobuf::Message& message) {
  google::protobuf::util::JsonPrintOptions options;
  options.add_whitespace = true;
  options.always_print_primitive_fields = true;
  options.preserve_proto_field_names = true;
  std::string text;
  auto status = google::protobuf::util::MessageToJsonString(message, &text, options);
  if (!status.ok()) {
    out << message.DebugString() << "\n";
    return;
  }
  out << text;
  if (!text.ends_with("\n")) out << "\n";
}

namespace {
std::string code_name(grpc::StatusCode code) {
  switch (code) {
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::ALREADY_EXISTS:
      return "ALREADY_EXISTS";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::INTERNAL:
      return "INTERNAL";
    default:
      break;
  }
  return "code " + std::to_string(static_cast<int>(code));
}
}  // namespace

int report_failure(const Context& context, const std::string& what, const grpc::Status& status) {
  context.err << "tern " << what << ": " << code_name(status.error_code()) << ": "
              << status.error_message() << "\n";
  return kExitFailure;
}

int usage_error(const Context& context, const std::string& command, const std::string& problem) {
  context.err << "tern " << command << ": " << problem << "\nRun 'tern " << command
              << " --help' for usage.\n";
  return kExitUsage;
}

}  // namespace tern::cli
