#pragma once

// BPMN models that several test folders deploy, kept in one place so that the tests agree on
// their element ids and job types.

#include <string>

namespace tern::test {

// Process "pay": start -> message catch "wait" (message "paid", correlation key `=orderId`) ->
// service task "task" (job type "ship") -> end.
std::string pay_on_message_bpmn();

// A process "<id>": start -> service task "task" of `job_type` -> end (flows "f1", "f2").
// `task_definition_extras`: more attributes of the task definition (`retries="3"`);
// `more_extensions`: more extension elements of the task (headers, say).
std::string one_task_bpmn(const std::string& id, const std::string& job_type,
                          const std::string& task_definition_extras = "",
                          const std::string& more_extensions = "");

}  // namespace tern::test
