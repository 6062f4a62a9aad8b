#include "adapters/django/django_plan_reader.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdint>
#include <functional>
#include <set>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "model/errors.h"
#include "sql/parse.h"
#include "util/big_stack.h"
#include "util/file_read.h"

namespace sm::django {

namespace fs = std::filesystem;
using simdjson::dom::element;

namespace {

// The stack the JSON walks run on: their recursion is bounded by kMaxJsonDepth (1,024 levels).
constexpr size_t kJsonWalkStack = 64u << 20;

model::Finding input_error(const std::string& file, std::string message, uint32_t line = 0,
                           uint32_t column = 0) {
  model::Finding f;
  f.rule = model::kInputErrorRule;
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
// the offending spot, so walk the document with it to find the line and column. The walk goes
// no deeper than the DOM parser reads (a deeper value is where that parser stopped): 80,000
// nested arrays, 160 KB of JSON, overflowed the stack when it recursed without a limit. It runs
// on a stack of its own, so that its 1,024 levels do not depend on the caller's stack.
constexpr size_t kMaxJsonDepth = simdjson::DEFAULT_MAX_DEPTH;

std::optional<util::LineColumn> locate_json_error(const simdjson::padded_string& json) {
  simdjson::ondemand::parser parser;
  simdjson::ondemand::document doc;
  // An unclosed string, array or object (a truncated plan) already fails here: the document
  // ends where something was still open, so the end is where it went wrong.
  if (parser.iterate(json).get(doc) != simdjson::SUCCESS)
    return util::line_column_at(std::string_view(json.data(), json.size()), json.size());
  const char* too_deep = nullptr;
  std::function<bool(simdjson::ondemand::value, size_t)> walk = [&](simdjson::ondemand::value v,
                                                                    size_t depth) -> bool {
    simdjson::ondemand::json_type type;
    if (v.type().get(type) != simdjson::SUCCESS) return false;
    // Two levels short of the limit: the On-Demand iterator counts the document itself as a level,
    // and a build with simdjson's development checks (our Debug/sanitizer build) asserts as soon
    // as its depth reaches max_depth instead of returning an error.
    if ((type == simdjson::ondemand::json_type::object || type == simdjson::ondemand::json_type::array) &&
        depth + 2 >= kMaxJsonDepth) {
      too_deep = v.raw_json_token().data();
      return false;
    }
    switch (type) {
      case simdjson::ondemand::json_type::object: {
        simdjson::ondemand::object obj;
        if (v.get_object().get(obj) != simdjson::SUCCESS) return false;
        for (auto field : obj) {
          simdjson::ondemand::value child;
          if (field.value().get(child) != simdjson::SUCCESS || !walk(child, depth + 1)) return false;
        }
        return true;
      }
      case simdjson::ondemand::json_type::array: {
        simdjson::ondemand::array arr;
        if (v.get_array().get(arr) != simdjson::SUCCESS) return false;
        for (auto item : arr) {
          simdjson::ondemand::value child;
          if (item.get(child) != simdjson::SUCCESS || !walk(child, depth + 1)) return false;
        }
        return true;
      }
      case simdjson::ondemand::json_type::string: return v.get_string().error() == simdjson::SUCCESS;
      case simdjson::ondemand::json_type::number: return v.get_double().error() == simdjson::SUCCESS;
      case simdjson::ondemand::json_type::boolean: return v.get_bool().error() == simdjson::SUCCESS;
      case simdjson::ondemand::json_type::null: {
        // A literal cut short ("nu", a truncated plan) is an error, not a value: as a bool, the
        // result threw simdjson's exception out of the reader (issue 26's truncated plan).
        bool is = false;
        return v.is_null().get(is) == simdjson::SUCCESS && is;
      }
    }
    return false;
  };
  bool ok = false;
  const char* at = nullptr;
  util::run_with_stack(kJsonWalkStack, [&] {
    simdjson::ondemand::value root;
    ok = doc.get_value().get(root) == simdjson::SUCCESS && walk(root, 0);
    if (too_deep)
      at = too_deep;
    else if (ok || doc.current_location().get(at) != simdjson::SUCCESS)
      at = nullptr;
  });
  // Trailing content after a valid document, or no location: point at the end.
  if (!at) at = json.data() + json.size();
  size_t offset = static_cast<size_t>(at - json.data());
  return util::line_column_at(std::string_view(json.data(), json.size()), std::min(offset, json.size()));
}

// ---- the plan's shape (adapters/django/README.md, "The format") --------------------------
//
// Checked before anything is read, so that a wrong type, a missing key or a key written twice is
// an input error naming the key and its line, never a value silently read as absent (an empty
// plan, a reversible operation, an atomic migration). Keys the format does not name are allowed
// (a newer minor version may add them) but are still checked for duplicates.

enum Type : uint8_t {
  kString = 1,
  kInt = 2,
  kBool = 4,
  kNull = 8,
  kArray = 16,
  kObject = 32,
  kFloat = 64,
  kAny = 127,
};

struct Field;
struct Shape {
  uint8_t types = kAny;
  const Shape* items = nullptr;   // each item of an array
  const Shape* values = nullptr;  // each value of an object whose keys are data (leaf_nodes)
  std::vector<Field> fields;      // the named keys of an object
  size_t pair = 0;                // an array of exactly this many items ([app, name])
};
struct Field {
  std::string_view key;
  Shape shape;
  bool required = false;
};

std::string type_names(uint8_t types) {
  std::vector<std::string> names;
  if (types & kString) names.emplace_back("a string");
  if (types & kInt) names.emplace_back("an integer");
  if (types & kFloat) names.emplace_back("a number");
  if (types & kBool) names.emplace_back("true or false");
  if (types & kArray) names.emplace_back("an array");
  if (types & kObject) names.emplace_back("an object");
  if (types & kNull) names.emplace_back("null");
  std::string out;
  for (size_t i = 0; i < names.size(); ++i)
    out += (i == 0 ? "" : i + 1 == names.size() ? " or " : ", ") + names[i];
  return out;
}

const Shape& plan_shape() {
  static const Shape shape = [] {
    auto of = [](uint8_t types) { return Shape{types, nullptr, nullptr, {}, 0}; };
    static const Shape string = of(kString), int_ = of(kInt);
    static const Shape pair = Shape{kArray, &string, nullptr, {}, 2};
    static const Shape import_ = Shape{kObject,
                                       nullptr,
                                       nullptr,
                                       {{"line", of(kInt | kNull)},
                                        {"text", of(kString)},
                                        {"names", Shape{kArray, &string, nullptr, {}, 0}}},
                                       0};
    static const Shape cursor_sql_item = Shape{kObject,
                                               nullptr,
                                               nullptr,
                                               {{"line", of(kInt | kNull)},
                                                {"call", of(kString)},
                                                {"sql", of(kString | kNull)},
                                                {"why", of(kString)}},
                                               0};
    static const Shape code = Shape{kObject | kNull,
                                    nullptr,
                                    nullptr,
                                    {{"module", of(kString | kNull)},
                                     {"qualname", of(kString | kNull)},
                                     {"file", of(kString | kNull)},
                                     {"line", of(kInt | kNull)},
                                     {"source", of(kString | kNull)},
                                     {"module_imports", Shape{kArray, &import_, nullptr, {}, 0}},
                                     {"cursor_sql", Shape{kArray, &cursor_sql_item, nullptr, {}, 0}}},
                                    0};
    auto strings = [&](uint8_t extra) {
      return Shape{static_cast<uint8_t>(kArray | extra), &string, nullptr, {}, 0};
    };
    auto pairs = [&] { return Shape{kArray, &pair, nullptr, {}, 0}; };
    static const Shape operation = Shape{kObject,
                                         nullptr,
                                         nullptr,
                                         {{"index", of(kInt)},
                                          {"class", of(kString), true},
                                          {"module", of(kString)},
                                          {"describe", of(kString)},
                                          {"line", of(kInt | kNull)},
                                          {"directives", strings(0)},
                                          {"reversible", of(kBool), true},
                                          {"elidable", of(kBool)},
                                          {"reduces_to_sql", of(kBool)},
                                          {"non_transactional", of(kBool)},
                                          {"sql_depends_on_database", of(kBool)},
                                          {"db_table", of(kString)},
                                          {"forward_sql", strings(0), true},
                                          {"backward_sql", strings(kNull)},
                                          {"sql_error", of(kString | kNull)},
                                          {"backward_sql_error", of(kString | kNull)},
                                          {"model_name", of(kString)},
                                          {"name", of(kString)},
                                          {"old_name", of(kString)},
                                          {"new_name", of(kString)},
                                          {"code", code},
                                          {"reverse_code", code},
                                          {"reverse_is_noop", of(kBool)},
                                          {"atomic", of(kBool | kNull)},
                                          {"sql", of(kString | kArray | kNull)},
                                          {"reverse_sql", of(kString | kArray | kNull)},
                                          {"state_operations", strings(0)}},
                                         0};
    static const Shape migration = Shape{kObject,
                                         nullptr,
                                         nullptr,
                                         {{"app", of(kString), true},
                                          {"name", of(kString), true},
                                          {"id", of(kString)},
                                          {"plan_index", int_, true},
                                          {"file", of(kString | kNull)},
                                          {"file_relative", of(kString | kNull)},
                                          {"sha256", of(kString | kNull)},
                                          {"declared_dependencies", pairs()},
                                          {"dependencies", pairs()},
                                          {"run_before", pairs()},
                                          {"replaces", pairs()},
                                          {"atomic", of(kBool), true},
                                          {"initial", of(kBool | kNull)},
                                          {"applied", of(kBool | kNull)},
                                          {"operations", Shape{kArray, &operation, nullptr, {}, 0}, true}},
                                         0};
    static const Shape names = strings(0);
    return Shape{
        kObject,
        nullptr,
        nullptr,
        {{"format", of(kString), true},
         {"format_version", of(kString), true},
         {"generator", Shape{kObject,
                             nullptr,
                             nullptr,
                             {{"tool", of(kString)}, {"django", of(kString)}, {"python", of(kString)}},
                             0}},
         {"settings", of(kString | kNull)},
         {"python", Shape{kObject,
                          nullptr,
                          nullptr,
                          {{"executable", of(kString | kNull)},
                           {"pythonpath", of(kString | kNull)},
                           {"project_dir", of(kString | kNull)}},
                          0}},
         {"database", Shape{kObject,
                            nullptr,
                            nullptr,
                            {{"alias", of(kString)},
                             {"vendor", of(kString)},
                             {"online", of(kBool)},
                             {"server_version", of(kInt | kNull)},
                             {"identity", of(kString | kNull)},
                             {"history_id_type", of(kString)},
                             {"lock_timeout", of(kString | kNull)},
                             {"statement_timeout", of(kString | kNull)}},
                            0}},
         {"migrations", Shape{kArray, &migration, nullptr, {}, 0}, true},
         {"leaf_nodes", Shape{kObject, nullptr, &names, {}, 0}},
         {"pending", strings(kNull)},
         {"unmanaged_tables", strings(0)}},
        0};
  }();
  return shape;
}

// Walks the document with simdjson's On-Demand parser, which knows where each token is, against
// `plan_shape()`; the first problem found, with its line and column.
class ShapeChecker {
 public:
  explicit ShapeChecker(const simdjson::padded_string& json) : json_(json) {}

  // Where the value at `path` ("migrations[3].dependencies[0]") starts, once check() ran.
  std::optional<size_t> offset_of(const std::string& path) const {
    auto it = offsets_.find(path);
    return it == offsets_.end() ? std::nullopt : std::optional<size_t>(it->second);
  }

  struct Problem {
    std::string message;
    util::LineColumn at;
  };

  // Only for a document the DOM parser read, so at most kMaxJsonDepth deep; on a stack of its own.
  std::optional<Problem> check() {
    util::run_with_stack(kJsonWalkStack, [&] {
      simdjson::ondemand::parser parser;
      simdjson::ondemand::document doc;
      simdjson::ondemand::value root;
      if (parser.iterate(json_).get(doc) != simdjson::SUCCESS ||
          doc.get_value().get(root) != simdjson::SUCCESS)
        return void(fail("the plan is not a JSON document", json_.data()));
      value(root, plan_shape(), "the plan");
    });
    return problem_;
  }

 private:
  std::optional<Problem> fail(std::string message, const char* at) {
    if (!problem_) {
      size_t offset = at ? static_cast<size_t>(at - json_.data()) : 0;
      problem_ = Problem{
          std::move(message),
          util::line_column_at(std::string_view(json_.data(), json_.size()), std::min(offset, json_.size()))};
    }
    return problem_;
  }

  static std::string quoted(const std::string& path) { return "\"" + path + "\""; }

  // The values PlanValidator names: a migration, its id and name, its dependencies, every `line`.
  // Only these: recording every value doubled the time to read a plan of 5,000 migrations.
  static bool located(const std::string& path) {
    if (path.compare(0, 11, "migrations[") != 0) return false;
    auto ends = [&](std::string_view tail) {
      return path.size() >= tail.size() && path.compare(path.size() - tail.size(), tail.size(), tail) == 0;
    };
    if (ends(".line") || ends(".id") || ends(".name")) return true;
    size_t dot = path.rfind('.');
    return dot == std::string::npos ? path.back() == ']'
                                    : path.compare(dot, 14, ".dependencies[") == 0 && path.back() == ']';
  }

  void value(simdjson::ondemand::value v, const Shape& shape, const std::string& path) {
    if (problem_) return;
    const char* at = v.raw_json_token().data();
    if (located(path)) offsets_[path] = static_cast<size_t>(at - json_.data());
    simdjson::ondemand::json_type type;
    if (v.type().get(type) != simdjson::SUCCESS) {
      fail(quoted(path) + " is not a JSON value", at);
      return;
    }
    uint8_t is = 0;
    switch (type) {
      case simdjson::ondemand::json_type::object: is = kObject; break;
      case simdjson::ondemand::json_type::array: is = kArray; break;
      case simdjson::ondemand::json_type::string: is = kString; break;
      case simdjson::ondemand::json_type::boolean: is = kBool; break;
      case simdjson::ondemand::json_type::null: is = kNull; break;
      case simdjson::ondemand::json_type::number: {
        simdjson::ondemand::number_type nt;
        is = v.get_number_type().get(nt) == simdjson::SUCCESS &&
                     nt == simdjson::ondemand::number_type::signed_integer
                 ? kInt
                 : kFloat;
        break;
      }
    }
    if (!(shape.types & is) && !(is == kInt && (shape.types & kFloat))) {
      fail(quoted(path) + " is " + type_names(is) + "; the plan format says " + type_names(shape.types), at);
      return;
    }
    if (is == kArray) {
      simdjson::ondemand::array arr;
      if (v.get_array().get(arr) != simdjson::SUCCESS)
        return void(fail(quoted(path) + " is not an array", at));
      size_t i = 0;
      for (auto item : arr) {
        simdjson::ondemand::value child;
        if (item.get(child) != simdjson::SUCCESS) return void(fail(quoted(path) + " holds a bad value", at));
        value(child, shape.items ? *shape.items : any(), path + "[" + std::to_string(i++) + "]");
        if (problem_) return;
      }
      if (shape.pair && i != shape.pair)
        fail(quoted(path) + " has " + std::to_string(i) + " items; the plan format says " +
                 std::to_string(shape.pair) + " ([app, name])",
             at);
    } else if (is == kObject) {
      object(v, shape, path, at);
    }
  }

  void object(simdjson::ondemand::value v, const Shape& shape, const std::string& path, const char* at) {
    simdjson::ondemand::object obj;
    if (v.get_object().get(obj) != simdjson::SUCCESS)
      return void(fail(quoted(path) + " is not an object", at));
    std::set<std::string, std::less<>> seen;
    for (auto result : obj) {
      simdjson::ondemand::field field;
      if (std::move(result).get(field) != simdjson::SUCCESS)
        return void(fail(quoted(path) + " holds a bad key", at));
      // The raw key first: unescaping it consumes it. raw() points after the opening quote.
      const char* key_at = field.key().raw() ? field.key().raw() - 1 : at;
      std::string_view key;
      if (field.unescaped_key().get(key) != simdjson::SUCCESS)
        return void(fail(quoted(path) + " has a key that is not a valid string", key_at));
      std::string child_path = path == "the plan" ? std::string(key) : path + "." + std::string(key);
      if (!seen.emplace(key).second)
        return void(fail(quoted(child_path) + " appears twice; a key may appear once", key_at));
      const Shape* child_shape = shape.values ? shape.values : &any();
      for (const Field& f : shape.fields)
        if (f.key == key) child_shape = &f.shape;
      value(field.value(), *child_shape, child_path);
      if (problem_) return;
    }
    for (const Field& f : shape.fields)
      if (f.required && !seen.count(f.key)) {
        std::string child_path = path == "the plan" ? std::string(f.key) : path + "." + std::string(f.key);
        return void(fail(quoted(child_path) + " is missing; the plan format requires it", at));
      }
  }

  static const Shape& any() {
    static const Shape shape;
    return shape;
  }

  const simdjson::padded_string& json_;
  std::optional<Problem> problem_;
  std::unordered_map<std::string, size_t> offsets_;  // of the values located() names
};

// Where the exporting machine's migration folder is, and where it is here (they differ when the
// plan was exported elsewhere): RunPython code files are shown here, as the SQL's are.
struct Folders {
  fs::path exported, here;
  std::string map(const std::string& exported_file) const {
    std::error_code ec;
    if (exported_file.empty() || exported.empty() || exported == here || fs::exists(exported_file, ec))
      return exported_file;
    fs::path rel = fs::path(exported_file).lexically_relative(exported);
    return rel.empty() ? exported_file : (here / rel).lexically_normal().string();
  }
};

std::optional<model::PythonCode> python_code(element op, std::string_view key, const Folders& folders) {
  element c;
  if (op[key].get(c) != simdjson::SUCCESS || c.is_null()) return std::nullopt;
  model::PythonCode code;
  code.module = str(c, "module");
  code.qualname = str(c, "qualname");
  code.file = folders.map(str(c, "file"));
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

// `# safemigrate-ignore: …` on the operation applies to each of its statements: written before
// each as an SQL comment, the SQL layer reads it as it does in a migration.sql.
std::string directive_prefix(element op) {
  std::string prefix;
  simdjson::dom::array arr;
  if (op["directives"].get_array().get(arr) == simdjson::SUCCESS)
    for (element d : arr) {
      std::string_view directive;
      if (d.get_string().get(directive) == simdjson::SUCCESS &&
          directive.find('\n') == std::string_view::npos)
        prefix.append("-- ").append(directive).append("\n");
    }
  return prefix;
}

// The name the exporter writes where Django looks one up in the live database (OFFLINE_NAME).
constexpr std::string_view kLookedUpName = "safemigrate_name_looked_up_in_database";

// `text` parsed, every statement (and action) pointing at `at`.
std::vector<model::Statement> parse_at(const std::string& text, const model::SourceLocation& at) {
  std::vector<model::Statement> statements = sql::parse_sql(text, at.file).statements;
  for (auto& st : statements) {
    st.loc = at;
    for (auto& a : st.actions) a.loc = at;
  }
  return statements;
}

// The SQL of one operation, parsed; every statement points at the operation's line.
std::vector<model::Statement> operation_sql(element op, const model::SourceLocation& at) {
  const std::string prefix = directive_prefix(op);
  std::string text;
  simdjson::dom::array arr;
  if (op["forward_sql"].get_array().get(arr) == simdjson::SUCCESS)
    for (element s : arr) {
      std::string_view sql;
      if (s.get_string().get(sql) == simdjson::SUCCESS) text.append(prefix).append(sql).append("\n");
    }
  return parse_at(text, at);
}

// The SQL a RunPython function sends itself, as the exporter read it from the function's source
// (`cursor_sql`): parsed, each statement at its call's line in the Python file. SQL built at run
// time goes to code.unread_sql, so that a rule says it was not checked.
std::vector<model::Statement> cursor_sql(element op, std::string_view key, model::PythonCode& code) {
  std::vector<model::Statement> out;
  element c;
  simdjson::dom::array items;
  if (op[key].get(c) != simdjson::SUCCESS || c.is_null() ||
      c["cursor_sql"].get_array().get(items) != simdjson::SUCCESS)
    return out;
  const std::string prefix = directive_prefix(op);
  for (element item : items) {
    model::SourceLocation at{code.file, code.line, 1, 0};
    int64_t line = 0;
    if (item["line"].get_int64().get(line) == simdjson::SUCCESS && line > 0)
      at.line = static_cast<uint32_t>(line);
    std::string_view sql;
    if (item["sql"].get_string().get(sql) != simdjson::SUCCESS) {
      code.unread_sql.push_back({at.line, str(item, "call"), str(item, "why")});
      continue;
    }
    for (auto& st : parse_at(prefix + std::string(sql) + "\n", at)) out.push_back(std::move(st));
  }
  return out;
}

model::Operation read_operation(element op, const std::string& file, const Folders& folders, size_t index) {
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
  o.code = python_code(op, "code", folders);
  o.reverse_code = python_code(op, "reverse_code", folders);
  o.reverse_is_noop = boolean(op, "reverse_is_noop", false);
  if (o.runs_python && is_null_or_missing(op, "reverse_code")) o.reversible = false;
  if (o.data_sql && is_null_or_missing(op, "reverse_sql")) o.reversible = false;
  std::string model_name = str(op, "model_name");
  if (model_name.empty()) model_name = str(op, "name");
  if (!model_name.empty()) o.models.push_back(model_name);
  o.statements = operation_sql(op, o.loc);
  simdjson::dom::array directives;
  if (op["directives"].get_array().get(directives) == simdjson::SUCCESS)
    for (element d : directives) {
      std::string_view directive;
      if (d.get_string().get(directive) == simdjson::SUCCESS)
        for (auto& sup : sql::ignore_directive(directive)) o.suppressions.push_back(std::move(sup));
    }
  // A DROP INDEX of a name Django looks up in the database holds a placeholder: no catalog knows
  // it, but the operation's model names the table whose lock it takes and whose size counts.
  if (std::string table = str(op, "db_table"); !table.empty())
    for (auto& st : o.statements) {
      std::vector<model::Action> tables;
      for (const model::Action& a : st.actions) {
        if (a.kind != model::ActionKind::DropIndex || a.relation.name != kLookedUpName) continue;
        model::Action t;
        t.kind = model::ActionKind::IndexTable;
        t.relation = model::RelationName{"", table, true};
        t.lock = a.concurrently ? model::LockMode::ShareUpdateExclusive : model::LockMode::AccessExclusive;
        t.concurrently = a.concurrently;
        t.object = a.relation.name;
        t.loc = a.loc;
        tables.push_back(std::move(t));
      }
      for (auto& t : tables) st.actions.push_back(std::move(t));
    }
  // RunPython's own SQL: the forward code's runs as the operation's statements (every rule and
  // the apply gate read it); the reverse code's is kept apart, for the rules about reverse code.
  if (o.code)
    for (auto& st : cursor_sql(op, "code", *o.code)) o.statements.push_back(std::move(st));
  if (o.reverse_code) o.reverse_statements = cursor_sql(op, "reverse_code", *o.reverse_code);
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
  const std::string exported_file = str(m, "file");
  std::string file = exported_file;
  std::error_code ec;
  if (file.empty() || !fs::exists(file, ec)) {
    std::string rel = str(m, "file_relative");
    if (!rel.empty()) file = (plan_dir / rel).lexically_normal().string();
  }
  const Folders folders{fs::path(exported_file).parent_path(), fs::path(file).parent_path()};
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
    for (element op : ops) mig.operations.push_back(read_operation(op, file, folders, ++i));
  }
  return mig;
}

// ---- what the plan says of its migrations ---------------------------------------------------
//
// Checked after the shape, with the migrations read (in the plan's order, before sorting): an id
// twice, a dependency on a migration the plan does not hold, a dependency cycle, a `line` outside
// the file it is a line of. Django's own loader refuses such a graph (NodeNotFoundError,
// CircularDependencyError), so export_plan.py never writes one; read anyway, they would order the
// migrations wrongly or point findings nowhere. Each is an input error naming the key and its line.
class PlanValidator {
 public:
  PlanValidator(const fs::path& plan, const simdjson::padded_string& json, const ShapeChecker& shape,
                uint64_t max_file_size)
      : plan_(plan.string()), json_(json), shape_(shape), max_file_size_(max_file_size) {}

  std::vector<model::Finding> check(simdjson::dom::array docs, const std::vector<model::Migration>& migs) {
    std::vector<element> elems;
    for (element m : docs) elems.push_back(m);
    if (elems.size() != migs.size()) return {};
    std::unordered_map<std::string, size_t> index;  // id -> first migration with it
    for (size_t i = 0; i < migs.size(); ++i) {
      std::string key = "migrations[" + std::to_string(i) + "]";
      std::string id_key = key + (is_null_or_missing(elems[i], "id") ? ".name" : ".id");
      auto [it, fresh] = index.emplace(migs[i].id, i);
      if (!fresh)
        error(id_key, "\"" + id_key + "\": the migration \"" + migs[i].id +
                          "\" appears twice (first as \"migrations[" + std::to_string(it->second) +
                          "]\", line " + std::to_string(line_of(it->second)) +
                          "); a migration may appear once");
    }
    for (size_t i = 0; i < migs.size(); ++i)
      for (size_t k = 0; k < migs[i].dependencies.size(); ++k)
        if (!index.count(migs[i].dependencies[k])) {
          std::string key = "migrations[" + std::to_string(i) + "].dependencies[" + std::to_string(k) + "]";
          error(key, "\"" + key + "\": \"" + migs[i].id + "\" depends on \"" + migs[i].dependencies[k] +
                         "\", which is not a migration of the plan (Django's graph holds every migration a "
                         "dependency names)");
        }
    cycles(index, migs);
    for (size_t i = 0; i < migs.size(); ++i)
      lines(elems[i], migs[i], "migrations[" + std::to_string(i) + "]");
    return std::move(findings_);
  }

 private:
  uint32_t line_of(size_t migration) const {
    std::optional<size_t> at = shape_.offset_of("migrations[" + std::to_string(migration) + "]");
    return at ? util::line_column_at(std::string_view(json_.data(), json_.size()), *at).line : 0;
  }

  void error(const std::string& path, const std::string& message) {
    if (findings_.size() >= kMaxFindings) return;
    std::optional<size_t> at = shape_.offset_of(path);
    util::LineColumn lc{0, 0};
    if (at) lc = util::line_column_at(std::string_view(json_.data(), json_.size()), *at);
    findings_.push_back(input_error(plan_, "not a valid plan: " + message, lc.line, lc.column));
  }

  // Kahn's algorithm over the dependencies the plan holds; what it cannot order lies on or after
  // a cycle. From such a migration, a dependency that is left too leads round a cycle: named once.
  void cycles(const std::unordered_map<std::string, size_t>& index,
              const std::vector<model::Migration>& migs) {
    const size_t n = migs.size();
    std::vector<std::vector<size_t>> deps(n), children(n);
    std::vector<size_t> waiting(n, 0);
    for (size_t i = 0; i < n; ++i) {
      if (index.at(migs[i].id) != i) continue;  // a duplicate: reported above
      for (const std::string& d : migs[i].dependencies)
        if (auto it = index.find(d); it != index.end()) {
          deps[i].push_back(it->second);
          children[it->second].push_back(i);
          ++waiting[i];
        }
    }
    std::vector<size_t> ready;
    for (size_t i = 0; i < n; ++i)
      if (waiting[i] == 0) ready.push_back(i);
    size_t ordered = 0;
    while (!ready.empty()) {
      size_t i = ready.back();
      ready.pop_back();
      ++ordered;
      for (size_t c : children[i])
        if (--waiting[c] == 0) ready.push_back(c);
    }
    if (ordered == n) return;
    size_t at = 0;
    while (waiting[at] == 0) ++at;
    std::vector<size_t> seen_at(n, SIZE_MAX), path;
    while (seen_at[at] == SIZE_MAX) {
      seen_at[at] = path.size();
      path.push_back(at);
      for (size_t d : deps[at])
        if (waiting[d] != 0) {
          at = d;
          break;
        }
    }
    // path[seen_at[at]..] is the cycle, each depending on the next; the last depends on `at`.
    std::string names;
    for (size_t p = seen_at[at]; p < path.size(); ++p) names += "\"" + migs[path[p]].id + "\" depends on ";
    names += "\"" + migs[at].id + "\"";
    size_t last = path.back();
    size_t k = 0;
    while (k < migs[last].dependencies.size() && migs[last].dependencies[k] != migs[at].id) ++k;
    std::string key = "migrations[" + std::to_string(last) + "].dependencies[" + std::to_string(k) + "]";
    error(key, "\"" + key + "\" closes a dependency cycle: " + names + "; Django cannot order them");
  }

  // Lines of `file` here, or nullopt when it cannot be read here (exported on another machine).
  std::optional<uint32_t> line_count(const std::string& file) {
    if (file.empty()) return std::nullopt;
    if (auto it = line_counts_.find(file); it != line_counts_.end()) return it->second;
    std::optional<uint32_t> count;
    std::error_code ec;
    if (fs::is_regular_file(file, ec)) {
      util::FileReadResult r = util::read_whole_file(file, max_file_size_);
      if (r.ok) {
        size_t lines = static_cast<size_t>(std::count(r.bytes.begin(), r.bytes.end(), '\n'));
        if (!r.bytes.empty() && r.bytes.back() != '\n') ++lines;
        count = static_cast<uint32_t>(std::min<size_t>(lines, UINT32_MAX));
      }
    }
    line_counts_.emplace(file, count);
    return count;
  }

  // `holder[key]`, a line of `file`: from 1 to the file's last line (when the file is here).
  void line(element holder, const std::string& path, const std::string& file) {
    int64_t line = 0;
    if (holder["line"].get_int64().get(line) != simdjson::SUCCESS) return;  // null or absent
    std::string key = path + ".line";
    if (line < 1)
      return error(key, "\"" + key + "\" is " + std::to_string(line) + "; lines are counted from 1");
    std::optional<uint32_t> count = line_count(file);
    if (count && static_cast<uint64_t>(line) > *count)
      error(key, "\"" + key + "\" is " + std::to_string(line) + ", but " + file + " has " +
                     std::to_string(*count) + " lines: the plan is not of this file (export it again)");
  }

  void code_lines(element op, std::string_view which, const std::optional<model::PythonCode>& code,
                  const std::string& path) {
    element c;
    if (!code || op[which].get(c) != simdjson::SUCCESS || !c.is_object()) return;
    const std::string at = path + "." + std::string(which);
    line(c, at, code->file);
    for (std::string_view list : {"module_imports", "cursor_sql"}) {
      simdjson::dom::array items;
      if (c[list].get_array().get(items) != simdjson::SUCCESS) continue;
      size_t n = 0;
      for (element item : items)
        line(item, at + "." + std::string(list) + "[" + std::to_string(n++) + "]", code->file);
    }
  }

  void lines(element m, const model::Migration& mig, const std::string& path) {
    simdjson::dom::array ops;
    if (m["operations"].get_array().get(ops) != simdjson::SUCCESS) return;
    size_t k = 0;
    for (element op : ops) {
      if (k >= mig.operations.size()) break;
      const model::Operation& o = mig.operations[k];
      std::string at = path + ".operations[" + std::to_string(k++) + "]";
      line(op, at, mig.files.empty() ? std::string() : mig.files.front().path);
      code_lines(op, "code", o.code, at);
      code_lines(op, "reverse_code", o.reverse_code, at);
    }
  }

  static constexpr size_t kMaxFindings = 50;
  std::string plan_;
  const simdjson::padded_string& json_;
  const ShapeChecker& shape_;
  uint64_t max_file_size_;
  std::unordered_map<std::string, std::optional<uint32_t>> line_counts_;
  std::vector<model::Finding> findings_;
};

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
  element format_value;
  if (!doc.is_object() || doc["format"].get(format_value) != simdjson::SUCCESS) {
    set.input_findings.push_back(
        input_error(path.string(),
                    std::string("not a safemigrate Django plan: ") +
                        (doc.is_object() ? "it has no \"format\" key" : "not a JSON object") +
                        " (a plan starts with \"format\": \"safemigrate-django-plan\"); write one with "
                        "adapters/django/export_plan.py",
                    1, 1));
    return set;
  }
  if (format != "safemigrate-django-plan") {
    set.input_findings.push_back(
        input_error(path.string(), "not a safemigrate Django plan (its \"format\" is \"" + format +
                                       "\"); write one with adapters/django/export_plan.py"));
    return set;
  }
  // "MAJOR.MINOR", both numbers: "1x" or "1" is not a version this reader can judge.
  static const auto is_version = [](const std::string& v) {
    size_t dot = v.find('.');
    auto digits = [](std::string_view d) {
      return !d.empty() && d.size() <= 6 && d.find_first_not_of("0123456789") == std::string_view::npos;
    };
    return dot != std::string::npos && digits(std::string_view(v).substr(0, dot)) &&
           digits(std::string_view(v).substr(dot + 1));
  };
  if (!is_version(version) || std::atoi(version.c_str()) != kPlanFormatMajor) {
    set.input_findings.push_back(input_error(
        path.string(), "plan format version (\"format_version\") \"" + version +
                           "\" is not supported: this safemigrate reads " + std::to_string(kPlanFormatMajor) +
                           ".x (\"MAJOR.MINOR\"); export the plan again with the export_plan.py "
                           "that ships with this safemigrate"));
    return set;
  }
  ShapeChecker shape(json);
  if (std::optional<ShapeChecker::Problem> problem = shape.check()) {
    set.input_findings.push_back(input_error(path.string(), "not a valid plan: " + problem->message,
                                             problem->at.line, problem->at.column));
    return set;
  }
  fs::path plan_dir = path.parent_path();
  std::string lock_timeout;
  element database;
  if (doc["database"].get(database) == simdjson::SUCCESS && database.is_object()) {
    lock_timeout = str(database, "lock_timeout");
    set.exported_database = str(database, "identity");
    set.history_id_type = str(database, "history_id_type");
    set.django.database_alias = str(database, "alias");
  }
  set.django.settings = str(doc, "settings");
  element python;
  if (doc["python"].get(python) == simdjson::SUCCESS && python.is_object()) {
    set.django.python = str(python, "executable");
    set.django.pythonpath = str(python, "pythonpath");
    set.django.project_dir = str(python, "project_dir");
  }
  // Format 1.1: the tables of models with Meta.managed = False (absent from 1.0 plans: none known).
  simdjson::dom::array unmanaged;
  if (doc["unmanaged_tables"].get_array().get(unmanaged) == simdjson::SUCCESS)
    for (element t : unmanaged) {
      std::string_view name;
      if (t.get_string().get(name) == simdjson::SUCCESS && !name.empty())
        set.django.unmanaged_tables.emplace_back(name);
    }
  simdjson::dom::array migrations;
  if (doc["migrations"].get_array().get(migrations) == simdjson::SUCCESS) {
    for (element m : migrations) set.migrations.push_back(read_migration(m, plan_dir, lock_timeout));
    std::vector<model::Finding> problems =
        PlanValidator(path, json, shape, max_file_size).check(migrations, set.migrations);
    if (!problems.empty()) {
      set.migrations.clear();
      set.input_findings = std::move(problems);
      return set;
    }
  }
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
