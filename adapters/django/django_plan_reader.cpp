#include "adapters/django/django_plan_reader.h"

#include <simdjson.h>

#include <functional>

#include "sql/parse.h"
#include "util/file_read.h"

namespace sm::django {

namespace fs = std::filesystem;
using simdjson::dom::element;

namespace {

model::Finding input_error(const std::string& file, std::string message, uint32_t line = 0,
                           uint32_t column = 0) {
  model::Finding f;
  f.rule = "input-error";
  f.severity = model::Severity::Error;
  f.loc.file = file;
  f.loc.line = line;
  f.loc.column = column;
  f.message = std::move(message);
  return f;
}

std::string str(element e, std::string_view key) {
  std::string_view s;
  if (e[key].get_string().get(s) == simdjson::SUCCESS) return std::string(s);
  return {};
}

bool boolean(element e, std::string_view key, bool fallback) {
  bool b;
  if (e[key].get_bool().get(b) == simdjson::SUCCESS) return b;
  return fallback;
}

bool is_null_or_missing(element e, std::string_view key) {
  element v;
  return e[key].get(v) != simdjson::SUCCESS || v.is_null();
}

// [["shop", "0001_initial"], …] -> {"shop.0001_initial", …}
std::vector<std::string> keys(element e, std::string_view key) {
  std::vector<std::string> out;
  simdjson::dom::array arr;
  if (e[key].get_array().get(arr) != simdjson::SUCCESS) return out;
  for (element pair : arr) {
    simdjson::dom::array p;
    std::string_view app, name;
    if (pair.get_array().get(p) == simdjson::SUCCESS && p.size() == 2 && p.at(0).get_string().get(app) == 0 &&
        p.at(1).get_string().get(name) == 0)
      out.push_back(std::string(app) + "." + std::string(name));
  }
  return out;
}

// simdjson's DOM parser reports what is wrong but not where; its On-Demand parser stops at
// the offending spot, so walk the document with it to find the line and column.
std::optional<util::LineColumn> locate_json_error(const simdjson::padded_string& json) {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  if (parser.iterate(json).get(doc) != simdjson::SUCCESS) return std::nullopt;
  std::function<bool(simdjson::ondemand::value)> walk = [&](simdjson::ondemand::value v) -> bool {
    simdjson::ondemand::json_type type;
    if (v.type().get(type) != simdjson::SUCCESS) return false;
    switch (type) {
      case simdjson::ondemand::json_type::object: {
        simdjson::ondemand::object obj;
        if (v.get_object().get(obj) != simdjson::SUCCESS) return false;
        for (auto field : obj) {
          simdjson::ondemand::value child;
          if (field.value().get(child) != simdjson::SUCCESS || !walk(child)) return false;
        }
        return true;
      }
      case simdjson::ondemand::json_type::array: {
        simdjson::ondemand::array arr;
        if (v.get_array().get(arr) != simdjson::SUCCESS) return false;
        for (auto item : arr) {
          simdjson::ondemand::value child;
          if (item.get(child) != simdjson::SUCCESS || !walk(child)) return false;
        }
        return true;
      }
      case simdjson::ondemand::json_type::string: return v.get_string().error() == simdjson::SUCCESS;
      case simdjson::ondemand::json_type::number: return v.get_double().error() == simdjson::SUCCESS;
      case simdjson::ondemand::json_type::boolean: return v.get_bool().error() == simdjson::SUCCESS;
      case simdjson::ondemand::json_type::null: return v.is_null();
    }
    return false;
  };
  simdjson::ondemand::value root;
  bool ok = doc.get_value().get(root) == simdjson::SUCCESS && walk(root);
  const char* at = nullptr;
  if (ok || doc.current_location().get(at) != simdjson::SUCCESS || !at) {
    // Trailing content after a valid document, or no location: point at the end.
    at = json.data() + json.size();
  }
  size_t offset = static_cast<size_t>(at - json.data());
  return util::line_column_at(std::string_view(json.data(), json.size()), std::min(offset, json.size()));
}

std::optional<model::PythonCode> python_code(element op, std::string_view key) {
  element c;
  if (op[key].get(c) != simdjson::SUCCESS || c.is_null()) return std::nullopt;
  model::PythonCode code;
  code.module = str(c, "module");
  code.qualname = str(c, "qualname");
  code.file = str(c, "file");
  code.source = str(c, "source");
  int64_t line;
  if (c["line"].get_int64().get(line) == simdjson::SUCCESS && line > 0)
    code.line = static_cast<uint32_t>(line);
  simdjson::dom::array imports;
  if (c["module_imports"].get_array().get(imports) == simdjson::SUCCESS)
    for (element i : imports) {
      model::PythonCode::Import imp;
      imp.text = str(i, "text");
      if (i["line"].get_int64().get(line) == simdjson::SUCCESS && line > 0)
        imp.line = static_cast<uint32_t>(line);
      simdjson::dom::array names;
      if (i["names"].get_array().get(names) == simdjson::SUCCESS)
        for (element n : names) {
          std::string_view name;
          if (n.get_string().get(name) == simdjson::SUCCESS) imp.names.emplace_back(name);
        }
      code.module_imports.push_back(std::move(imp));
    }
  return code;
}

// The SQL of one operation, parsed; every statement points at the operation's line.
std::vector<model::Statement> operation_sql(element op, const model::SourceLocation& at) {
  std::string text;
  simdjson::dom::array arr;
  if (op["forward_sql"].get_array().get(arr) == simdjson::SUCCESS)
    for (element s : arr) {
      std::string_view sql;
      if (s.get_string().get(sql) == simdjson::SUCCESS) text.append(sql).append("\n");
    }
  std::vector<model::Statement> statements = sql::parse_sql(text, at.file).statements;
  for (auto& st : statements) {
    st.loc = at;
    for (auto& a : st.actions) a.loc = at;
  }
  return statements;
}

model::Operation read_operation(element op, const std::string& file, size_t index) {
  model::Operation o;
  o.index = index;
  o.kind = str(op, "class");
  o.description = str(op, "describe");
  o.loc.file = file;
  int64_t line = 0;
  if (op["line"].get_int64().get(line) == simdjson::SUCCESS && line > 0)
    o.loc.line = static_cast<uint32_t>(line);
  o.loc.column = o.loc.line ? 1 : 0;
  o.reversible = boolean(op, "reversible", true);
  o.non_transactional = boolean(op, "non_transactional", false);
  o.sql_depends_on_database = boolean(op, "sql_depends_on_database", false);
  o.sql_error = str(op, "sql_error");
  o.runs_python = o.kind == "RunPython";
  o.data_sql = o.kind == "RunSQL";
  o.code = python_code(op, "code");
  o.reverse_is_noop = boolean(op, "reverse_is_noop", false);
  if (o.runs_python && is_null_or_missing(op, "reverse_code")) o.reversible = false;
  if (o.data_sql && is_null_or_missing(op, "reverse_sql")) o.reversible = false;
  std::string model_name = str(op, "model_name");
  if (model_name.empty()) model_name = str(op, "name");
  if (!model_name.empty()) o.models.push_back(model_name);
  o.statements = operation_sql(op, o.loc);
  return o;
}

model::Migration read_migration(element m, const fs::path& plan_dir, const std::string& lock_timeout) {
  model::Migration mig;
  mig.framework = model::Framework::Django;
  mig.app = str(m, "app");
  mig.id = str(m, "id");
  if (mig.id.empty()) mig.id = mig.app + "." + str(m, "name");
  int64_t index = 0;
  if (m["plan_index"].get_int64().get(index) == simdjson::SUCCESS) mig.order = static_cast<size_t>(index);
  // Show the migration file as the user knows it: absolute when it exists here, else
  // relative to the plan file.
  std::string file = str(m, "file");
  std::error_code ec;
  if (file.empty() || !fs::exists(file, ec)) {
    std::string rel = str(m, "file_relative");
    if (!rel.empty()) file = (plan_dir / rel).lexically_normal().string();
  }
  mig.directory = fs::path(file).parent_path().string();
  model::SourceFile src;
  src.path = file;
  src.sha256 = str(m, "sha256");
  mig.files.push_back(src);
  mig.checksum = src.sha256;
  mig.dependencies = keys(m, "dependencies");
  mig.replaces = keys(m, "replaces");
  mig.atomic = boolean(m, "atomic", true);
  mig.session_lock_timeout = lock_timeout;
  bool applied;
  if (m["applied"].get_bool().get(applied) == simdjson::SUCCESS) mig.applied = applied;
  mig.has_down = true;  // Django's reversibility is per operation; see the run-*-without-reverse rules
  if (mig.atomic)
    mig.scenarios.push_back(
        {model::ExecutionMode::OneTransaction, "Django (atomic migration)",
         "Django runs an atomic migration inside one transaction: BEGIN, every operation, "
         "the django_migrations row, COMMIT."});
  else
    mig.scenarios.push_back(
        {model::ExecutionMode::PerStatement, "Django (atomic = False)",
         "A migration with atomic = False runs in autocommit: each statement commits on its "
         "own, and a failure leaves the earlier ones applied."});
  simdjson::dom::array ops;
  if (m["operations"].get_array().get(ops) == simdjson::SUCCESS) {
    size_t i = 0;
    for (element op : ops) mig.operations.push_back(read_operation(op, file, ++i));
  }
  return mig;
}

}  // namespace

bool is_plan_file(const fs::path& path) {
  std::error_code ec;
  return fs::is_regular_file(path, ec);
}

model::MigrationSet read_plan(const fs::path& path, uint64_t max_file_size) {
  model::MigrationSet set;
  set.source = path.string();
  set.framework = model::Framework::Django;
  util::FileReadResult file = util::read_whole_file(path, max_file_size);
  if (!file.ok) {
    set.input_findings.push_back(input_error(path.string(), file.error));
    return set;
  }
  simdjson::padded_string json(file.bytes);
  simdjson::dom::parser parser;
  element doc;
  if (auto error = parser.parse(json).get(doc); error != simdjson::SUCCESS) {
    auto at = locate_json_error(json);
    set.input_findings.push_back(
        input_error(path.string(),
                    std::string("not a valid plan: malformed JSON (") + simdjson::error_message(error) + ")",
                    at ? at->line : 0, at ? at->column : 0));
    return set;
  }
  std::string format = str(doc, "format"), version = str(doc, "format_version");
  if (format != "safemigrate-django-plan") {
    set.input_findings.push_back(
        input_error(path.string(), "not a safemigrate Django plan (its \"format\" is \"" + format +
                                       "\"); write one with adapters/django/export_plan.py"));
    return set;
  }
  int major = std::atoi(version.c_str());
  if (major != kPlanFormatMajor) {
    set.input_findings.push_back(input_error(
        path.string(), "plan format version \"" + version + "\" is not supported: this safemigrate reads " +
                           std::to_string(kPlanFormatMajor) +
                           ".x; export the plan again with the export_plan.py "
                           "that ships with this safemigrate"));
    return set;
  }
  fs::path plan_dir = path.parent_path();
  std::string lock_timeout;
  element database;
  if (doc["database"].get(database) == simdjson::SUCCESS && database.is_object())
    lock_timeout = str(database, "lock_timeout");
  simdjson::dom::array migrations;
  if (doc["migrations"].get_array().get(migrations) == simdjson::SUCCESS)
    for (element m : migrations) set.migrations.push_back(read_migration(m, plan_dir, lock_timeout));
  std::stable_sort(set.migrations.begin(), set.migrations.end(),
                   [](const model::Migration& a, const model::Migration& b) { return a.order < b.order; });
  simdjson::dom::object leaves;
  if (doc["leaf_nodes"].get_object().get(leaves) == simdjson::SUCCESS)
    for (auto kv : leaves) {
      std::vector<std::string> names;
      simdjson::dom::array arr;
      if (kv.value.get_array().get(arr) == simdjson::SUCCESS)
        for (element n : arr) {
          std::string_view s;
          if (n.get_string().get(s) == simdjson::SUCCESS) names.emplace_back(s);
        }
      set.leaves.emplace_back(std::string(kv.key), std::move(names));
    }
  simdjson::dom::array pending;
  if (doc["pending"].get_array().get(pending) == simdjson::SUCCESS)
    for (element p : pending) {
      std::string_view s;
      if (p.get_string().get(s) == simdjson::SUCCESS) set.pending.emplace_back(s);
    }
  return set;
}

}  // namespace sm::django
