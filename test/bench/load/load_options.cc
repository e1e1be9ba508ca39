#include "load_options.h"

#include <charconv>
#include <functional>
#include <map>

namespace tern::load {

namespace {

template <typename Number>
bool parse_number(const std::string& text, Number& out) {
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), out);
  return error == std::errc() && end == text.data() + text.size();
}

}  // namespace

std::string usage() {
  return "usage: tern_load [--gateway host:port[,host:port...]] [--rate instances/s]\n"
         "                 [--duration-s s] [--warmup-s s] [--report-s s] [--max-in-flight n]\n"
         "                 [--workers n]\n"
         "                 [--batch n] [--drain-s s] [--job-type type] [--process-id id]\n"
         "Deploys a one-task process, starts instances at --rate (open loop: an instance that\n"
         "would exceed --max-in-flight is skipped and counted), and --workers threads activate\n"
         "(long polling) and complete the jobs. Prints completed instances per second and the\n"
         "latency from an instance's scheduled start to its job's completion being acknowledged\n"
         "(p50/p99/p999) every --report-s seconds, then a summary without the warm-up.\n";
}

Result<LoadOptions, OptionsError> parse_options(const std::vector<std::string>& args) {
  LoadOptions options;
  auto positive_int = [](int& field) {
    return [&field](const std::string& text) { return parse_number(text, field) && field > 0; };
  };
  auto non_negative_int = [](int& field) {
    return [&field](const std::string& text) { return parse_number(text, field) && field >= 0; };
  };
  auto non_empty = [](std::string& field) {
    return [&field](const std::string& text) {
      field = text;
      return !text.empty();
    };
  };
  const std::map<std::string, std::function<bool(const std::string&)>> setters = {
      {"--gateway",
       [&](const std::string& text) {
         // A list (several gateways, used round-robin): no entry may be empty.
         options.gateway = text;
         return !text.empty() && text.front() != ',' && text.back() != ','
                && text.find(",,") == std::string::npos;
       }},
      {"--rate",
       [&](const std::string& text) {
         return parse_number(text, options.rate) && options.rate > 0;
       }},
      {"--duration-s", positive_int(options.duration_s)},
      {"--warmup-s", non_negative_int(options.warmup_s)},
      {"--report-s", positive_int(options.report_s)},
      {"--max-in-flight", positive_int(options.max_in_flight)},
      {"--workers", positive_int(options.workers)},
      {"--batch", positive_int(options.batch)},
      {"--drain-s", non_negative_int(options.drain_s)},
      {"--job-type", non_empty(options.job_type)},
      {"--process-id", non_empty(options.process_id)},
  };
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--help" || args[i] == "-h") return unexpected(OptionsError{usage()});
    auto setter = setters.find(args[i]);
    if (setter == setters.end()) {
      return unexpected(OptionsError{"unknown argument '" + args[i] + "'\n" + usage()});
    }
    if (i + 1 >= args.size()) {
      return unexpected(OptionsError{args[i] + " needs a value"});
    }
    if (!setter->second(args[i + 1])) {
      return unexpected(OptionsError{args[i] + ": invalid value '" + args[i + 1] + "'"});
    }
    ++i;
  }
  if (options.warmup_s >= options.duration_s) {
    return unexpected(OptionsError{"--warmup-s (" + std::to_string(options.warmup_s)
                                   + ") must be shorter than --duration-s ("
                                   + std::to_string(options.duration_s) + ")"});
  }
  return options;
}

}  // namespace tern::load
