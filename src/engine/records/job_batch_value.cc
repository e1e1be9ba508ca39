#include "engine/records/job_batch_value.h"

#include "common/check.h"
#include "engine/records/msgpack.h"

namespace tern::engine {

namespace {

// The engine serves the default tenant only; the batch says so as the activation command would.
constexpr std::string_view kDefaultTenant = "<default>";

}  // namespace

Json JobBatchValue::to_json() const {
  TERN_CHECK(job_keys.size() == jobs.size(), "a job batch holds one job per key");
  Json keys = Json::array();
  Json values = Json::array();
  for (std::size_t i = 0; i < jobs.size(); ++i) {
    keys.push_back(job_keys[i].value());
    values.push_back(jobs[i].to_json());
  }
  Json fetch = Json::array();
  for (const std::string& name : fetch_variables)
    fetch.push_back(name);
  return Json{{"type", type},
              {"worker", worker},
              {"timeout", timeout},
              {"maxJobsToActivate", max_jobs_to_activate},
              {"fetchVariables", std::move(fetch)},
              {"jobKeys", std::move(keys)},
              {"jobs", std::move(values)},
              {"truncated", false},
              {"tenantIds", Json::array({kDefaultTenant})}};
}

void JobBatchValue::to_msgpack(std::string& out) const {
  TERN_CHECK(job_keys.size() == jobs.size(), "a job batch holds one job per key");
  // In the order a JSON object (a map sorted by key) holds the fields.
  msgpack::put_map_header(out, 9);
  msgpack::put_string(out, "fetchVariables");
  msgpack::put_array_header(out, fetch_variables.size());
  for (const std::string& name : fetch_variables)
    msgpack::put_string(out, name);
  msgpack::put_string(out, "jobKeys");
  msgpack::put_array_header(out, job_keys.size());
  for (Key key : job_keys)
    msgpack::put_signed(out, key.value());
  msgpack::put_string(out, "jobs");
  msgpack::put_array_header(out, jobs.size());
  for (const JobValue& job : jobs)
    job.to_msgpack(out);
  msgpack::put_string(out, "maxJobsToActivate");
  msgpack::put_signed(out, max_jobs_to_activate);
  msgpack::put_string(out, "tenantIds");
  msgpack::put_array_header(out, 1);
  msgpack::put_string(out, kDefaultTenant);
  msgpack::put_string(out, "timeout");
  msgpack::put_signed(out, timeout);
  msgpack::put_string(out, "truncated");
  msgpack::put_bool(out, false);
  msgpack::put_string(out, "type");
  msgpack::put_string(out, type);
  msgpack::put_string(out, "worker");
  msgpack::put_string(out, worker);
}

}  // namespace tern::engine
