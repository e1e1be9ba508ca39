#pragma once

// Helpers shared by the engine breadth tests: small BPMN builders and a record-stream rendering
// that names what each record is about (element, timer target, message name), so that tests can
// assert the exact stream in one ElementsAre.

#include <string>
#include <vector>

#include "engine/harness/engine_harness.h"

namespace tern::engine::test::breadth {

std::string flow(const std::string& id, const std::string& from, const std::string& to);
std::string service(const std::string& id, const std::string& type, const std::string& inner = "");
// A timer definition: kind is "timeDuration", "timeDate" or "timeCycle".
std::string timer(const std::string& kind, const std::string& value);
std::string timer_catch(const std::string& id, const std::string& kind, const std::string& value);
std::string boundary(const std::string& id, const std::string& attached_to, bool interrupting,
                     const std::string& definition);

// "COMMAND TIMER TRIGGER wait", "EVENT PROCESS_INSTANCE ELEMENT_ACTIVATED task",
// "EVENT MESSAGE PUBLISHED order", ... for every record after `since`.
std::vector<std::string> stream(const EngineHarness& h, Position since);
// The same, restricted to records of the given value types.
std::vector<std::string> stream_of(const EngineHarness& h, Position since,
                                   const std::vector<ValueType>& types);

// Lets the leader's due-date checker write what is due at the clock's time and processes it;
// returns the number of commands the checker wrote.
std::size_t fire_due(EngineHarness& h);

}  // namespace tern::engine::test::breadth
