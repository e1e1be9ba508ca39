// `tern activate jobs`, `tern complete job`, `tern fail job` (declared in client_commands.h).

#include <ostream>

#include "cli/client_commands.h"
#include "cli/client_support.h"

namespace tern::cli {

namespace gp = gateway_protocol;

namespace {

tern::Result<ParsedArgs, std::string> parse_job_args(const std::vector<std::string>& args,
                                                     const std::string& noun,
                                                     const std::set<std::string>& value_flags) {
  auto parsed = parse_args(args, value_flags, {});
  if (!parsed) return parsed;
  if (parsed->positional.empty() || parsed->positional.front() != noun) {
    return tern::unexpected("expected '" + noun + "' after the command");
  }
  if (parsed->positional.size() != 2) {
    return tern::unexpected("expected exactly one argument after '" + noun + "'");
  }
  return parsed;
}

}  // namespace

std::string ActivateCommand::usage() const {
  return "Usage: tern activate jobs TYPE [--max-jobs N] [--timeout MS] [--worker NAME] "
         "[--request-timeout MS]\n"
         "Activates up to N (default 32) jobs of TYPE for --timeout ms (default 300000) and "
         "prints them.\n"
         "  --request-timeout MS   how long to wait for jobs (default 0: do not wait)\n";
}

int ActivateCommand::run(Context& context, const std::vector<std::string>& args) const {
  auto parsed = parse_job_args(args, "jobs", {"max-jobs", "timeout", "worker", "request-timeout"});
  if (!parsed) return usage_error(context, name(), parsed.error());
  auto max_jobs = parse_int("--max-jobs", parsed->value_or("max-jobs", "32"));
  auto timeout = parse_int("--timeout", parsed->value_or("timeout", "300000"));
  auto wait = parse_int("--request-timeout", parsed->value_or("request-timeout", "0"));
  if (!max_jobs) return usage_error(context, name(), max_jobs.error());
  if (!timeout) return usage_error(context, name(), timeout.error());
  if (!wait) return usage_error(context, name(), wait.error());
  gp::ActivateJobsRequest request;
  request.set_type(parsed->positional[1]);
  request.set_maxjobstoactivate(static_cast<std::int32_t>(*max_jobs));
  request.set_timeout(*timeout);
  request.set_worker(parsed->value_or("worker", "tern"));
  // zbctl does not wait by default: a negative request time-out turns long polling off.
  request.set_requesttimeout(*wait > 0 ? *wait : -1);
  auto call =
      client_context(kCommandTimeout + std::chrono::milliseconds(std::max<std::int64_t>(*wait, 0)));
  auto reader = gateway_stub(context)->ActivateJobs(call.get(), request);
  gp::ActivateJobsResponse all;
  gp::ActivateJobsResponse batch;
  while (reader->Read(&batch)) {
    for (const auto& job : batch.jobs())
      *all.add_jobs() = job;
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) return report_failure(context, name(), status);
  print_json(context.out, all);
  return kExitOk;
}

std::string CompleteCommand::usage() const {
  return "Usage: tern complete job KEY [--variables JSON]\nCompletes the job.\n";
}

int CompleteCommand::run(Context& context, const std::vector<std::string>& args) const {
  auto parsed = parse_job_args(args, "job", {"variables"});
  if (!parsed) return usage_error(context, name(), parsed.error());
  auto key = parse_int("KEY", parsed->positional[1]);
  if (!key) return usage_error(context, name(), key.error());
  gp::CompleteJobRequest request;
  request.set_jobkey(*key);
  request.set_variables(parsed->value_or("variables", ""));
  gp::CompleteJobResponse response;
  auto call = client_context(kCommandTimeout);
  grpc::Status status = gateway_stub(context)->CompleteJob(call.get(), request, &response);
  if (!status.ok()) return report_failure(context, name(), status);
  context.out << "Completed job with key '" << *key << "'\n";
  return kExitOk;
}

std::string FailCommand::usage() const {
  return "Usage: tern fail job KEY --retries N [--error-message TEXT] [--backoff MS] "
         "[--variables JSON]\n"
         "Fails the job; with no retries left it raises an incident.\n";
}

int FailCommand::run(Context& context, const std::vector<std::string>& args) const {
  auto parsed = parse_job_args(args, "job", {"retries", "error-message", "backoff", "variables"});
  if (!parsed) return usage_error(context, name(), parsed.error());
  auto key = parse_int("KEY", parsed->positional[1]);
  if (!key) return usage_error(context, name(), key.error());
  if (!parsed->values.contains("retries")) {
    return usage_error(context, name(), "--retries N is required");
  }
  auto retries = parse_int("--retries", parsed->values["retries"]);
  auto backoff = parse_int("--backoff", parsed->value_or("backoff", "0"));
  if (!retries) return usage_error(context, name(), retries.error());
  if (!backoff) return usage_error(context, name(), backoff.error());
  gp::FailJobRequest request;
  request.set_jobkey(*key);
  request.set_retries(static_cast<std::int32_t>(*retries));
  request.set_errormessage(parsed->value_or("error-message", ""));
  request.set_retrybackoff(*backoff);
  request.set_variables(parsed->value_or("variables", ""));
  gp::FailJobResponse response;
  auto call = client_context(kCommandTimeout);
  grpc::Status status = gateway_stub(context)->FailJob(call.get(), request, &response);
  if (!status.ok()) return report_failure(context, name(), status);
  context.out << "Failed job with key '" << *key << "' and set remaining retries to '" << *retries
              << "'\n";
  return kExitOk;
}

}  // namespace tern::cli
