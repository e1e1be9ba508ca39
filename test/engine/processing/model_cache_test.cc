// The model cache: a model parsed once per deployed process, with the process's identity
// (bpmnProcessId, version) kept beside it so that creating an instance does not read the stored
// definition. A model put by a deployment whose state is not there (rolled back) has no identity.

#include "engine/processing/model_cache.h"

#include <gtest/gtest.h>

#include "engine/bpmn/parser.h"
#include "engine/records/keys.h"
#include "engine/state/engine_state.h"
#include "engine/state/state_db.h"
#include "support/temp_dir.h"

namespace tern::engine {
namespace {

constexpr const char* kXml = R"(<?xml version="1.0" encoding="UTF-8"?>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d"
    targetNamespace="http://tern">
  <bpmn:process id="cached" isExecutable="true">
    <bpmn:startEvent id="start" />
  </bpmn:process>
</bpmn:definitions>)";

class ModelCacheTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto opened = StateDb::open(dir_.path() / "state", StateDbOptions{});
    ASSERT_TRUE(opened) << opened.error().message;
    db_ = std::move(opened.value());
  }

  ProcessDefinition definition(Key key, std::int32_t version) {
    return ProcessDefinition{key, "cached", version, "cached.bpmn", "sum", kXml};
  }

  test::TempDir dir_;
  std::unique_ptr<StateDb> db_;
};

TEST_F(ModelCacheTest, KeepsTheIdentityOfAStoredProcessWithItsModel) {
  EngineState state(db_->transaction(), PartitionId(1));
  Key key = encode_key(PartitionId(1), 5);
  ModelCache cache;
  EXPECT_EQ(cache.deployed(state, key), nullptr);
  EXPECT_EQ(cache.get(state, key), nullptr);

  state.put_process(definition(key, 3));
  const DeployedProcess* deployed = cache.deployed(state, key);
  ASSERT_NE(deployed, nullptr);
  EXPECT_EQ(deployed->bpmn_process_id, "cached");
  EXPECT_EQ(deployed->version, 3);
  ASSERT_NE(deployed->model, nullptr);
  EXPECT_EQ(deployed->model->bpmn_process_id(), "cached");
  EXPECT_EQ(cache.get(state, key), deployed->model);
  // Asked again, the same entry, not a second parse.
  EXPECT_EQ(cache.deployed(state, key), deployed);
}

TEST_F(ModelCacheTest, AModelPutByADeploymentTakesItsIdentityFromStateOnly) {
  EngineState state(db_->transaction(), PartitionId(1));
  Key key = encode_key(PartitionId(1), 7);
  auto parsed = bpmn::parse_bpmn(kXml);
  ASSERT_TRUE(parsed.ok());
  auto model = parsed->processes.front();
  ModelCache cache;
  cache.put(key, model);
  // The deployment's state is not there (as after a rollback): no such process.
  EXPECT_EQ(cache.deployed(state, key), nullptr);

  state.put_process(definition(key, 4));
  const DeployedProcess* deployed = cache.deployed(state, key);
  ASSERT_NE(deployed, nullptr);
  EXPECT_EQ(deployed->model, model);  // the model put, not parsed again
  EXPECT_EQ(deployed->bpmn_process_id, "cached");
  EXPECT_EQ(deployed->version, 4);
}

}  // namespace
}  // namespace tern::engine
