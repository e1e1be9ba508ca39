#include "exporter/postgresql_exporter.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <cctype>

#include "exporter/args.h"
#include "exporter/postgresql_schema.h"

namespace tern::exporter {
namespace {

using Param = std::optional<std::string>;

bool is_identifier(const std::string& text) {
  if (text.empty() || text.size() > 63) return false;
  if (!(std::islower(static_cast<unsigned char>(text[0])) || text[0] == '_')) return false;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (!(std::islower(u) || std::isdigit(u) || c == '_')) return false;
  }
  return true;
}

// A JSON field as SQL text: numbers and strings as written, objects and arrays as JSON, missing
// or null as NULL.
Param field(const Json& value, const char* name) {
  auto it = value.find(name);
  if (it == value.end() || it->is_null()) return std::nullopt;
  if (it->is_string()) return it->get<std::string>();
  return it->dump();
}

// A key or time field where -1 means "none".
Param optional_number(const Json& value, const char* name) {
  auto it = value.find(name);
  if (it == value.end() || !it->is_number_integer() || it->get<std::int64_t>() < 0) {
    return std::nullopt;
  }
  return std::to_string(it->get<std::int64_t>());
}

Param number(std::int64_t n) {
  return std::to_string(n);
}

}  // namespace

PostgresExporter::~PostgresExporter() {
  close();
}

ExporterResult<void> PostgresExporter::configure(const ExporterContext& context) {
  name_ = context.name;
  partition_ = context.partition;
  ArgsReader args(context.name, context.args);
  auto url = args.required_string("url");
  if (!url) return unexpected(url.error());
  auto schema = args.string_or("schema", "tern");
  if (!schema) return unexpected(schema.error());
  if (!is_identifier(*schema)) {
    return unexpected(args.error(
        "schema",
        "expected a lower-case SQL identifier ([a-z_][a-z0-9_]*), got '" + *schema + "'"));
  }
  auto batch = args.integer_or("max-batch-records", 1000, 1, 100'000);
  if (!batch) return unexpected(batch.error());
  if (auto unknown = args.reject_unknown(); !unknown) return unexpected(unknown.error());
  conninfo_ = *url;
  schema_ = *schema;
  max_batch_records_ = static_cast<std::size_t>(*batch);
  return {};
}

ExporterResult<void> PostgresExporter::open(ExporterController& controller) {
  controller_ = &controller;
  auto connected = PgConnection::connect(conninfo_);
  if (!connected) {
    return unexpected(ExporterError{connected.error().code,
                                    "exporter '" + name_ + "': " + connected.error().message});
  }
  auto& db = **connected;
  // Migrate under an advisory lock so that concurrent openers migrate once.
  auto migrate = [&]() -> ExporterResult<void> {
    if (auto r = db.exec("BEGIN"); !r) return r;
    auto locked =
        db.query("SELECT pg_advisory_xact_lock(hashtext($1))", {"tern-exporter-schema:" + schema_});
    if (!locked) return unexpected(locked.error());
    auto created =
        db.exec(fmt::format("CREATE SCHEMA IF NOT EXISTS {0}; CREATE TABLE IF NOT "
                            "EXISTS {0}.schema_version (version integer NOT NULL)",
                            schema_));
    if (!created) return created;
    auto version = db.query(
        fmt::format("SELECT COALESCE(MAX(version), 0) FROM {}.schema_version", schema_), {});
    if (!version) return unexpected(version.error());
    int current = std::stoi(version->at(0).at(0).value_or("0"));
    if (current > pg::kSchemaVersion) {
      return unexpected(ExporterError{ExporterErrc::kRejected,
                                      fmt::format("schema {} is at version {}, newer than this "
                                                  "exporter's {}",
                                                  schema_, current, pg::kSchemaVersion)});
    }
    auto all = pg::migrations(schema_);
    for (int next = current + 1; next <= pg::kSchemaVersion; ++next) {
      if (auto r = db.exec(all.at(static_cast<std::size_t>(next - 1))); !r) return r;
      if (auto r = db.exec(fmt::format("INSERT INTO {}.schema_version VALUES ({})", schema_, next));
          !r)
        return r;
      spdlog::info("postgresql exporter '{}': migrated schema {} to version {}", name_, schema_,
                   next);
    }
    return db.exec("COMMIT");
  };
  if (auto migrated = migrate(); !migrated) {
    return unexpected(
        ExporterError{migrated.error().code,
                      "exporter '" + name_ + "': schema migration: " + migrated.error().message});
  }
  auto partition = std::to_string(partition_.value());
  auto inserted = db.query(
      fmt::format("INSERT INTO {}.export_position VALUES ($1, 0) ON CONFLICT DO NOTHING", schema_),
      {partition});
  if (!inserted) return unexpected(inserted.error());
  auto position = db.query(
      fmt::format("SELECT position FROM {}.export_position WHERE partition_id = $1", schema_),
      {partition});
  if (!position) return unexpected(position.error());
  stored_ = Position(std::stoll(position->at(0).at(0).value_or("0")));
  for (const auto& statement : pg::prepared_statements(schema_)) {
    if (auto prepared = db.prepare(statement.name, statement.sql); !prepared) return prepared;
  }
  connection_ = std::move(connected.value());
  buffered_ = stored_;
  buffered_records_ = 0;
  statements_.clear();
  spdlog::info("postgresql exporter '{}' connected for partition {}, resuming after position {}",
               name_, partition_.value(), stored_.value());
  if (stored_ > Position(0)) controller.acknowledge(stored_);
  return {};
}

ExporterResult<void> PostgresExporter::export_record(const Record& record) {
  if (record.position <= buffered_) return {};  // already in the database
  if (statements_.empty()) {
    statements_.push_back(PgStatement{pg::kBegin, {}});
    statements_.push_back(PgStatement{pg::kAdvancePosition, {}});  // parameters set on flush
  }
  if (record.is_event()) translate(record);
  buffered_ = record.position;
  ++buffered_records_;
  if (buffered_records_ >= max_batch_records_) return flush();
  return {};
}

ExporterResult<void> PostgresExporter::flush() {
  if (buffered_ == stored_) return {};
  if (!connection_) {
    return unexpected(
        ExporterError{ExporterErrc::kConnection, "exporter '" + name_ + "' is closed"});
  }
  statements_[1].params = {std::to_string(partition_.value()), std::to_string(stored_.value()),
                           std::to_string(buffered_.value())};
  statements_.push_back(PgStatement{pg::kCommit, {}});
  auto written = connection_->run_pipelined(statements_);
  if (!written) {
    return unexpected(ExporterError{written.error().code,
                                    "exporter '" + name_ + "': " + written.error().message});
  }
  stored_ = buffered_;
  buffered_records_ = 0;
  statements_.clear();
  controller_->acknowledge(stored_);
  return {};
}

void PostgresExporter::close() {
  connection_.reset();
  statements_.clear();
  buffered_records_ = 0;
  buffered_ = stored_;
}

void PostgresExporter::translate(const Record& record) {
  const Json& v = record.value;
  std::string_view type = engine::to_string(record.value_type);
  std::string_view intent = engine::to_string(record.intent);
  Param key = number(record.key.value());
  Param time = number(record.timestamp_ms);
  Param partition = number(partition_.value());
  Param position = number(record.position.value());

  if (type == "PROCESS" && intent == "CREATED") {
    statements_.push_back({pg::kUpsertProcess,
                           {key, field(v, "bpmnProcessId"), field(v, "version"),
                            field(v, "resourceName"), field(v, "checksum"), field(v, "resource"),
                            time, field(v, "tenantId"), partition, position}});
  } else if (type == "PROCESS_INSTANCE" && intent.starts_with("ELEMENT_")) {
    std::string state(intent.substr(8));
    if (v.value("bpmnElementType", std::string()) == "PROCESS") {
      if (state == "ACTIVATING") {
        state = "ACTIVE";
      } else if (state != "COMPLETED" && state != "TERMINATED") {
        return;
      }
      statements_.push_back(
          {pg::kUpsertProcessInstance,
           {key, field(v, "bpmnProcessId"), field(v, "processDefinitionKey"), field(v, "version"),
            state, time, optional_number(v, "parentProcessInstanceKey"),
            optional_number(v, "parentElementInstanceKey"), field(v, "tenantId"), partition,
            position}});
    } else {
      statements_.push_back(
          {pg::kUpsertElementInstance,
           {key, field(v, "processInstanceKey"), field(v, "processDefinitionKey"),
            field(v, "bpmnProcessId"), field(v, "elementId"), field(v, "bpmnElementType"),
            optional_number(v, "flowScopeKey"), state, time, partition, position}});
    }
  } else if (type == "JOB") {
    Param state;
    if (intent == "CREATED" || intent == "COMPLETED" || intent == "FAILED" || intent == "TIMED_OUT"
        || intent == "ERROR_THROWN" || intent == "CANCELED") {
      state = std::string(intent);
    } else if (intent != "RETRIES_UPDATED" && intent != "TIMEOUT_UPDATED"
               && intent != "RECURRED_AFTER_BACKOFF" && intent != "UPDATED") {
      return;
    }
    statements_.push_back(
        {pg::kUpsertJob,
         {key, field(v, "type"), field(v, "worker"), state, field(v, "retries"),
          optional_number(v, "deadline"), field(v, "errorMessage"), field(v, "errorCode"),
          field(v, "customHeaders"), field(v, "elementId"), field(v, "elementInstanceKey"),
          field(v, "processInstanceKey"), field(v, "processDefinitionKey"),
          field(v, "bpmnProcessId"), time, partition, position}});
  } else if (type == "JOB_BATCH" && intent == "ACTIVATED") {
    const Json& keys = v.value("jobKeys", Json::array());
    const Json& jobs = v.value("jobs", Json::array());
    for (std::size_t i = 0; i < keys.size() && i < jobs.size(); ++i) {
      const Json& job = jobs[i];
      statements_.push_back(
          {pg::kUpsertJob,
           {keys[i].dump(), field(job, "type"), field(job, "worker"), std::string("ACTIVATED"),
            field(job, "retries"), optional_number(job, "deadline"), field(job, "errorMessage"),
            field(job, "errorCode"), field(job, "customHeaders"), field(job, "elementId"),
            field(job, "elementInstanceKey"), field(job, "processInstanceKey"),
            field(job, "processDefinitionKey"), field(job, "bpmnProcessId"), time, partition,
            position}});
    }
  } else if (type == "INCIDENT" && (intent == "CREATED" || intent == "RESOLVED")) {
    statements_.push_back(
        {pg::kUpsertIncident,
         {key, field(v, "errorType"), field(v, "errorMessage"),
          std::string(intent == "CREATED" ? "ACTIVE" : "RESOLVED"), field(v, "elementId"),
          field(v, "elementInstanceKey"), field(v, "processInstanceKey"),
          field(v, "processDefinitionKey"), field(v, "bpmnProcessId"), optional_number(v, "jobKey"),
          field(v, "variableScopeKey"), time, partition, position}});
  } else if (type == "VARIABLE" && (intent == "CREATED" || intent == "UPDATED")) {
    statements_.push_back({pg::kUpsertVariable,
                           {field(v, "scopeKey"), field(v, "name"), key, field(v, "value"),
                            field(v, "processInstanceKey"), field(v, "processDefinitionKey"),
                            field(v, "bpmnProcessId"), time, partition, position}});
  } else if (type == "MESSAGE" && (intent == "PUBLISHED" || intent == "EXPIRED")) {
    statements_.push_back({pg::kUpsertMessage,
                           {key, field(v, "name"), field(v, "correlationKey"),
                            field(v, "messageId"), field(v, "timeToLive"), field(v, "variables"),
                            std::string(intent), time, partition, position}});
  }
}

}  // namespace tern::exporter
