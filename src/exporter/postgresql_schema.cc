#include "exporter/postgresql_schema.h"

#include <fmt/format.h>

namespace tern::exporter::pg {

std::vector<std::string> migrations(const std::string& schema) {
  // Times are timestamptz (the record's timestamp); keys are Zeebe's 64-bit keys; `position` is
  // the log position of the record that last wrote the row.
  return {fmt::format(R"SQL(
CREATE TABLE {0}.export_position (
  partition_id integer PRIMARY KEY,
  position bigint NOT NULL);

CREATE FUNCTION {0}.advance_position(p_partition integer, p_from bigint, p_to bigint)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  UPDATE {0}.export_position SET position = p_to
   WHERE partition_id = p_partition AND position = p_from;
  IF NOT FOUND THEN
    RAISE EXCEPTION 'export position of partition % is no longer %', p_partition, p_from
      USING ERRCODE = '40001';
  END IF;
END $$;

CREATE TABLE {0}.process_definition (
  key bigint PRIMARY KEY,
  bpmn_process_id text NOT NULL,
  version integer NOT NULL,
  resource_name text,
  checksum text,
  resource text,
  deploy_time timestamptz,
  tenant_id text,
  partition_id integer NOT NULL,
  position bigint NOT NULL);

CREATE TABLE {0}.process_instance (
  key bigint PRIMARY KEY,
  bpmn_process_id text,
  process_definition_key bigint,
  version integer,
  state text NOT NULL,
  start_time timestamptz,
  end_time timestamptz,
  parent_process_instance_key bigint,
  parent_element_instance_key bigint,
  tenant_id text,
  partition_id integer NOT NULL,
  position bigint NOT NULL);
CREATE INDEX ON {0}.process_instance (bpmn_process_id, state);

CREATE TABLE {0}.element_instance (
  key bigint PRIMARY KEY,
  process_instance_key bigint,
  process_definition_key bigint,
  bpmn_process_id text,
  element_id text,
  bpmn_element_type text,
  flow_scope_key bigint,
  state text NOT NULL,
  start_time timestamptz,
  end_time timestamptz,
  partition_id integer NOT NULL,
  position bigint NOT NULL);
CREATE INDEX ON {0}.element_instance (process_instance_key);

CREATE TABLE {0}.job (
  key bigint PRIMARY KEY,
  type text,
  worker text,
  state text NOT NULL,
  retries integer,
  deadline timestamptz,
  error_message text,
  error_code text,
  custom_headers jsonb,
  element_id text,
  element_instance_key bigint,
  process_instance_key bigint,
  process_definition_key bigint,
  bpmn_process_id text,
  last_update_time timestamptz,
  partition_id integer NOT NULL,
  position bigint NOT NULL);
CREATE INDEX ON {0}.job (process_instance_key);

CREATE TABLE {0}.incident (
  key bigint PRIMARY KEY,
  error_type text,
  error_message text,
  state text NOT NULL,
  element_id text,
  element_instance_key bigint,
  process_instance_key bigint,
  process_definition_key bigint,
  bpmn_process_id text,
  job_key bigint,
  variable_scope_key bigint,
  creation_time timestamptz,
  resolve_time timestamptz,
  partition_id integer NOT NULL,
  position bigint NOT NULL);
CREATE INDEX ON {0}.incident (process_instance_key);

CREATE TABLE {0}.variable (
  scope_key bigint NOT NULL,
  name text NOT NULL,
  key bigint,
  value text,
  process_instance_key bigint,
  process_definition_key bigint,
  bpmn_process_id text,
  update_time timestamptz,
  partition_id integer NOT NULL,
  position bigint NOT NULL,
  PRIMARY KEY (scope_key, name));
CREATE INDEX ON {0}.variable (process_instance_key);

CREATE TABLE {0}.message (
  key bigint PRIMARY KEY,
  name text,
  correlation_key text,
  message_id text,
  time_to_live_ms bigint,
  variables jsonb,
  state text NOT NULL,
  publish_time timestamptz,
  update_time timestamptz,
  partition_id integer NOT NULL,
  position bigint NOT NULL);
)SQL",
                      schema)};
}

std::vector<PreparedSql> prepared_statements(const std::string& schema) {
  // $n::bigint / 1000.0 turns a record's epoch milliseconds into a timestamptz.
  return {
      {kBegin, "BEGIN"},
      {kCommit, "COMMIT"},
      {kAdvancePosition, fmt::format("SELECT {}.advance_position($1, $2, $3)", schema)},
      {kUpsertProcess,
       fmt::format("INSERT INTO {}.process_definition AS t (key, bpmn_process_id, version, "
                   "resource_name, checksum, resource, deploy_time, tenant_id, partition_id, "
                   "position) VALUES ($1, $2, $3, $4, $5, $6, to_timestamp($7::bigint / 1000.0), "
                   "$8, $9, $10) ON CONFLICT (key) DO NOTHING",
                   schema)},
      {kUpsertProcessInstance,
       fmt::format(
           "INSERT INTO {}.process_instance AS t (key, bpmn_process_id, process_definition_key, "
           "version, state, start_time, parent_process_instance_key, "
           "parent_element_instance_key, tenant_id, partition_id, position) VALUES ($1, $2, $3, "
           "$4, $5, to_timestamp($6::bigint / 1000.0), $7, $8, $9, $10, $11) "
           "ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, position = EXCLUDED.position, "
           "end_time = CASE WHEN EXCLUDED.state IN ('COMPLETED', 'TERMINATED') "
           "THEN EXCLUDED.start_time ELSE t.end_time END",
           schema)},
      {kUpsertElementInstance,
       fmt::format(
           "INSERT INTO {}.element_instance AS t (key, process_instance_key, "
           "process_definition_key, bpmn_process_id, element_id, bpmn_element_type, "
           "flow_scope_key, state, start_time, partition_id, position) VALUES ($1, $2, $3, $4, "
           "$5, $6, $7, $8, to_timestamp($9::bigint / 1000.0), $10, $11) "
           "ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, position = EXCLUDED.position, "
           "end_time = CASE WHEN EXCLUDED.state IN ('COMPLETED', 'TERMINATED') "
           "THEN EXCLUDED.start_time ELSE t.end_time END",
           schema)},
      // $4 (state) is NULL for changes that keep the state (retries or time-out updated).
      {kUpsertJob,
       fmt::format(
           "INSERT INTO {}.job AS t (key, type, worker, state, retries, deadline, error_message, "
           "error_code, custom_headers, element_id, element_instance_key, process_instance_key, "
           "process_definition_key, bpmn_process_id, last_update_time, partition_id, position) "
           "VALUES ($1, $2, $3, COALESCE($4, 'CREATED'), $5, to_timestamp($6::bigint / 1000.0), "
           "$7, $8, $9::jsonb, $10, $11, $12, $13, $14, to_timestamp($15::bigint / 1000.0), $16, "
           "$17) ON CONFLICT (key) DO UPDATE SET worker = EXCLUDED.worker, "
           "state = COALESCE($4, t.state), retries = EXCLUDED.retries, "
           "deadline = EXCLUDED.deadline, error_message = EXCLUDED.error_message, "
           "error_code = EXCLUDED.error_code, last_update_time = EXCLUDED.last_update_time, "
           "position = EXCLUDED.position",
           schema)},
      {kUpsertIncident,
       fmt::format(
           "INSERT INTO {}.incident AS t (key, error_type, error_message, state, element_id, "
           "element_instance_key, process_instance_key, process_definition_key, "
           "bpmn_process_id, job_key, variable_scope_key, creation_time, partition_id, position) "
           "VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
           "to_timestamp($12::bigint / 1000.0), $13, $14) ON CONFLICT (key) DO UPDATE SET "
           "state = EXCLUDED.state, position = EXCLUDED.position, "
           "resolve_time = CASE WHEN EXCLUDED.state = 'RESOLVED' THEN EXCLUDED.creation_time "
           "ELSE t.resolve_time END",
           schema)},
      {kUpsertVariable,
       fmt::format("INSERT INTO {}.variable AS t (scope_key, name, key, value, "
                   "process_instance_key, process_definition_key, bpmn_process_id, update_time, "
                   "partition_id, position) VALUES ($1, $2, $3, $4, $5, $6, $7, "
                   "to_timestamp($8::bigint / 1000.0), $9, $10) ON CONFLICT (scope_key, name) DO "
                   "UPDATE SET key = EXCLUDED.key, value = EXCLUDED.value, "
                   "update_time = EXCLUDED.update_time, position = EXCLUDED.position",
                   schema)},
      {kUpsertMessage,
       fmt::format("INSERT INTO {}.message AS t (key, name, correlation_key, message_id, "
                   "time_to_live_ms, variables, state, publish_time, update_time, partition_id, "
                   "position) VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7, "
                   "to_timestamp($8::bigint / 1000.0), to_timestamp($8::bigint / 1000.0), $9, "
                   "$10) ON CONFLICT (key) DO UPDATE SET state = EXCLUDED.state, "
                   "update_time = EXCLUDED.update_time, position = EXCLUDED.position",
                   schema)},
  };
}

}  // namespace tern::exporter::pg
