# tern_engine: records, the log-stream seam, RocksDB state, the stream processor, command
# processors and event appliers. Uses the BPMN model (tern_bpmn) and FEEL (tern_feel).
if(TARGET tern_bpmn)
  add_library(tern_engine STATIC
    ${CMAKE_CURRENT_LIST_DIR}/records/record.cc
    ${CMAKE_CURRENT_LIST_DIR}/records/record_codec.cc
    ${CMAKE_CURRENT_LIST_DIR}/records/msgpack.cc
    ${CMAKE_CURRENT_LIST_DIR}/records/process_instance_value.cc
    ${CMAKE_CURRENT_LIST_DIR}/records/job_value.cc
    ${CMAKE_CURRENT_LIST_DIR}/records/job_batch_value.cc
    ${CMAKE_CURRENT_LIST_DIR}/records/variable_value.cc
    ${CMAKE_CURRENT_LIST_DIR}/log/in_memory_log_stream.cc
    ${CMAKE_CURRENT_LIST_DIR}/state/state_db.cc
    ${CMAKE_CURRENT_LIST_DIR}/state/transaction.cc
    ${CMAKE_CURRENT_LIST_DIR}/state/engine_state.cc
    ${CMAKE_CURRENT_LIST_DIR}/processing/model_cache.cc
    ${CMAKE_CURRENT_LIST_DIR}/processing/result_builder.cc
    ${CMAKE_CURRENT_LIST_DIR}/processing/stream_processor.cc
    ${CMAKE_CURRENT_LIST_DIR}/appliers/event_applier.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/variable_behavior.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/bpmn_behavior.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/inclusive_gateway.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/deployment_processor.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/process_instance_processors.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/job_processors.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/misc_processors.cc
    ${CMAKE_CURRENT_LIST_DIR}/partition_engine.cc
    ${CMAKE_CURRENT_LIST_DIR}/state/event_state.cc
    ${CMAKE_CURRENT_LIST_DIR}/appliers/event_appliers.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/event_behavior.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/catch_behavior.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/call_activity_behavior.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/timer_processors.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/executable_elements.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/message_behavior.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/message_processors.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/multi_instance_behavior.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/signal_behavior.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/signal_processors.cc
    ${CMAKE_CURRENT_LIST_DIR}/state/signal_state.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/compensation_behavior.cc
    ${CMAKE_CURRENT_LIST_DIR}/state/compensation_state.cc
    ${CMAKE_CURRENT_LIST_DIR}/processing/subscription_sender.cc
    ${CMAKE_CURRENT_LIST_DIR}/processing/empty_activation.cc
    ${CMAKE_CURRENT_LIST_DIR}/state/exporter_state.cc
    ${CMAKE_CURRENT_LIST_DIR}/processors/exporter_processors.cc
  )
  target_include_directories(tern_engine PUBLIC ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(tern_engine
    PUBLIC tern_common tern_bpmn RocksDB::rocksdb nlohmann_json::nlohmann_json
    PRIVATE spdlog::spdlog tern_warnings)
  # FEEL evaluates conditions, mappings, scripts and job attributes; the engine cannot link
  # without it, so dependants check for TARGET tern_feel too.
  if(TARGET tern_feel)
    target_link_libraries(tern_engine PUBLIC tern_feel)
  endif()
endif()
