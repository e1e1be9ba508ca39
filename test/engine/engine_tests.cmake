# The engine core's tests: records, state, the stream processor, and BPMN scenarios run through
# the harness (an in-memory log with real RocksDB in a temporary folder).
if(TARGET tern_engine AND TARGET tern_feel)
  add_library(tern_engine_harness STATIC ${CMAKE_CURRENT_LIST_DIR}/harness/engine_harness.cc)
  target_include_directories(tern_engine_harness PUBLIC ${PROJECT_SOURCE_DIR}/test)
  target_link_libraries(tern_engine_harness
    PUBLIC tern_engine tern_test_support GTest::gtest
    PRIVATE tern_warnings)

  tern_add_gtest(tern_engine_processing_test
    SOURCES
      ${CMAKE_CURRENT_LIST_DIR}/processing/process_instance_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/deployment_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/job_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/empty_activation_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/flow_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/replay_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/uncommitted_processing_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/records_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/log_stream_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/typed_values_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/state_db_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/slot_table_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/msgpack_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/typed_records_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/model_cache_test.cc
      ${CMAKE_CURRENT_LIST_DIR}/processing/write_back_test.cc
    LIBS tern_engine_harness
    LABELS engine)
endif()
if(EXISTS ${CMAKE_CURRENT_LIST_DIR}/breadth/CMakeLists.txt)
  add_subdirectory(${CMAKE_CURRENT_LIST_DIR}/breadth ${CMAKE_CURRENT_BINARY_DIR}/breadth)
endif()
