#include "sql/facts.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <deque>
#include <optional>
#include <set>
#include <string>

#include "sql/lock_table.h"

namespace sm::sql {

using model::Action;
using model::ActionKind;
using model::LockMode;
using model::StatementClass;
using model::TxControl;

namespace {

struct Ctx {
  std::string_view text;
  uint32_t base;
  model::Statement& st;
};

// A RangeVar node's body to a relation name; quoting is read at the parser's location.
model::RelationName relation(const Ctx& c, Node range_var) {
  model::RelationName r;
  r.schema = std::string(str(range_var, "schemaname"));
  r.name = std::string(str(range_var, "relname"));
  int64_t loc = integer(range_var, "location", -1);
  if (loc >= 0 && c.base + static_cast<size_t>(loc) < c.text.size()) r.quoted = c.text[c.base + loc] == '"';
  return r;
}

bool relation_field(const Ctx& c, Node n, std::string_view key, model::RelationName& out) {
  Node rv;
  if (!field(n, key, rv)) return false;
  out = relation(c, rv);
  return !out.name.empty();
}

// A name list such as DROP INDEX's ["public", "idx"] to a relation name.
model::RelationName relation_from_names(simdjson::dom::array names) {
  model::RelationName r;
  std::vector<std::string> parts;
  for (Node n : names) parts.emplace_back(string_node(n));
  if (parts.size() >= 2) r.schema = parts[parts.size() - 2];
  if (!parts.empty()) r.name = parts.back();
  return r;
}

// A TypeName body as PostgreSQL names it: "int4", "varchar(255)", "timestamp(3)", "text[]".
std::string type_name(Node type) {
  std::string out = last_name(list(type, "names"));
  std::string mods;
  for (Node m : list(type, "typmods")) {
    Node body;
    std::string_view t = node_type(m, body);
    if (t != "A_Const") continue;
    Node ival;
    if (field(body, "ival", ival)) {
      if (!mods.empty()) mods += ",";
      mods += std::to_string(integer(ival, "ival", 0));
    }
  }
  if (!mods.empty()) out += "(" + mods + ")";
  for (Node b [[maybe_unused]] : list(type, "arrayBounds")) out += "[]";
  return out;
}

// Functions whose result is the same for every row of one statement: a default that calls only
// these is evaluated once, so ADD COLUMN keeps PostgreSQL 11's fast default. Anything else is
// treated as volatile (PostgreSQL's own default for user functions).
bool non_volatile_function(std::string_view name) {
  static constexpr std::array<std::string_view, 34> names = {"now",
                                                             "statement_timestamp",
                                                             "transaction_timestamp",
                                                             "current_timestamp",
                                                             "localtimestamp",
                                                             "lower",
                                                             "upper",
                                                             "coalesce",
                                                             "to_jsonb",
                                                             "to_json",
                                                             "jsonb_build_object",
                                                             "json_build_object",
                                                             "jsonb_build_array",
                                                             "json_build_array",
                                                             "array_to_json",
                                                             "concat",
                                                             "length",
                                                             "to_char",
                                                             "to_timestamp",
                                                             "to_date",
                                                             "date_trunc",
                                                             "make_interval",
                                                             "make_date",
                                                             "nullif",
                                                             "greatest",
                                                             "least",
                                                             "abs",
                                                             "round",
                                                             "md5",
                                                             "replace",
                                                             "trim",
                                                             "current_setting",
                                                             "timezone",
                                                             "format"};
  return std::find(names.begin(), names.end(), name) != names.end();
}

// Walks an expression; reports the first volatile function call it contains.
bool find_volatile_call(Node expr, std::string& which) {
  simdjson::dom::object obj;
  simdjson::dom::array arr;
  if (expr.get_array().get(arr) == simdjson::SUCCESS) {
    for (Node n : arr)
      if (find_volatile_call(n, which)) return true;
    return false;
  }
  if (expr.get_object().get(obj) != simdjson::SUCCESS) return false;
  for (auto kv : obj) {
    if (kv.key == "FuncCall") {
      std::string name = last_name(list(kv.value, "funcname"));
      if (!non_volatile_function(name)) {
        which = name + "()";
        return true;
      }
    }
    if (find_volatile_call(kv.value, which)) return true;
  }
  return false;
}

// The statement needs PostgreSQL `major` or later for `feature` (the newest need wins), unless
// `extension` (when given) was created earlier.
void needs_postgres(Ctx& c, uint32_t major, std::string_view feature, std::string_view extension = {}) {
  if (major <= c.st.min_postgres) return;
  c.st.min_postgres = major;
  c.st.min_postgres_feature = std::string(feature);
  c.st.min_postgres_unless_extension = std::string(extension);
}

// Built-in functions that older servers lack (checked by name, in any schema).
struct NewFunction {
  std::string_view name;
  uint32_t major;
  std::string_view extension;  // gives it on older versions
};
constexpr std::array<NewFunction, 12> kNewFunctions = {{
    {"jsonb_path_query", 12, {}},
    {"jsonb_path_exists", 12, {}},
    {"gen_random_uuid", 13, "pgcrypto"},
    {"jsonb_set_lax", 13, {}},
    {"string_to_table", 14, {}},
    {"date_bin", 14, {}},
    {"trim_array", 14, {}},
    {"range_agg", 14, {}},
    {"regexp_count", 15, {}},
    {"regexp_like", 15, {}},
    {"regexp_substr", 15, {}},
    {"regexp_instr", 15, {}},
}};

// ---- settings that change how the server lexes SQL ------------------------------------------

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  return out;
}

// Settings that change how PostgreSQL's lexer reads a query (PostgreSQL compares their names
// without case): standard_conforming_strings (whether a backslash escapes in '…': off turns
// `'x\'' ; DROP …` into two statements), backslash_quote (whether \' is accepted) and
// client_encoding (the server converts a query from it before lexing, and the client-only ones,
// SJIS, BIG5, GBK…, have multibyte characters whose second byte is a backslash). Not
// escape_string_warning: it only adds a warning.
bool lexing_setting(const std::string& name) {
  return name == "standard_conforming_strings" || name == "backslash_quote" || name == "client_encoding";
}

// Whether `name` = `value` lexes as safemigrate reads every file: standard strings, \' as the
// server's default allows it, UTF-8 (encoding names ignore case and punctuation: "utf-8").
bool lexes_as_read(const std::string& name, std::string_view value) {
  std::string v = lower(value);
  if (name == "standard_conforming_strings")
    return v == "on" || v == "true" || v == "yes" || v == "1" || v == "t" || v == "y";
  if (name == "backslash_quote") return v == "safe_encoding";
  std::string e;
  for (char ch : v)
    if (std::isalnum(static_cast<unsigned char>(ch))) e += ch;
  return e == "utf8" || e == "unicode";
}

// The value of an A_Const (string, integer or boolean), or nullopt for anything else.
std::optional<std::string> constant(Node n) {
  Node k, v;
  if (node_type(n, k) != "A_Const") return std::nullopt;
  if (field(k, "sval", v)) return std::string(str(v, "sval"));
  if (field(k, "ival", v)) return std::to_string(integer(v, "ival", 0));
  if (field(k, "boolval", v)) return flag(v, "boolval") ? "true" : "false";
  return std::nullopt;
}

// A VariableSetStmt body run as `prefix` ("SET", "SET LOCAL", "ALTER ROLE …", "ALTER SYSTEM"):
// records a change of a lexing setting. In the session (`session`), RESET and DEFAULT go back
// to the value the session started with, which apply checks; for a role, a database or the
// system they go back to a server default that cannot be seen from here, so they count.
void lexing_set(Ctx& c, Node set, const std::string& prefix, bool session) {
  std::string_view kind = str(set, "kind");
  std::string name = lower(str(set, "name"));
  if (kind == "VAR_RESET_ALL") {
    if (!session)
      c.st.lexing_changes.push_back(prefix + " RESET ALL (standard_conforming_strings among them)");
    return;
  }
  if (!lexing_setting(name) || kind == "VAR_SET_CURRENT" || kind == "VAR_SET_MULTI") return;
  if (kind == "VAR_SET_VALUE") {
    auto args = list(set, "args");
    std::optional<std::string> value;
    if (args.size() == 1)
      for (Node a : args) value = constant(a);
    if (value && lexes_as_read(name, *value)) return;
    c.st.lexing_changes.push_back(fmt::format("{} {} = {}", session ? prefix : prefix + " SET", name,
                                              value ? *value : std::string("(not a constant)")));
    return;
  }
  if (session) return;
  c.st.lexing_changes.push_back(fmt::format("{} RESET {}", prefix, name));
}

// set_config('standard_conforming_strings', 'off', …) in any expression.
void lexing_set_config(Ctx& c, Node call) {
  std::vector<Node> args;
  for (Node a : list(call, "args")) args.push_back(a);
  std::optional<std::string> name = args.empty() ? std::nullopt : constant(args[0]);
  if (!name) {
    c.st.lexing_changes.push_back("set_config() of a setting named by an expression");
    return;
  }
  std::string n = lower(*name);
  if (!lexing_setting(n)) return;
  std::optional<std::string> value = args.size() < 2 ? std::nullopt : constant(args[1]);
  if (value && lexes_as_read(n, *value)) return;
  c.st.lexing_changes.push_back(fmt::format("set_config('{}', {}, …)", n,
                                            value ? "'" + *value + "'" : std::string("(not a constant)")));
}

// A list-valued setting as PostgreSQL splits it (SplitIdentifierString): names separated by
// commas, white space around them ignored, "quoted" names kept as written ("" is a quote), other
// names lower-cased. This reads a setting's value, not SQL. False when the list is malformed.
bool split_identifier_list(std::string_view value, std::vector<std::string>& out) {
  size_t i = 0;
  auto space = [&] {
    while (i < value.size() && std::isspace(static_cast<unsigned char>(value[i]))) ++i;
  };
  space();
  if (i == value.size()) return true;  // an empty list
  for (;;) {
    std::string name;
    if (value[i] == '"') {
      for (++i;; ++i) {
        if (i >= value.size()) return false;
        if (value[i] == '"') {
          if (i + 1 < value.size() && value[i + 1] == '"') {
            name += '"';
            ++i;
            continue;
          }
          ++i;
          break;
        }
        name += value[i];
      }
    } else {
      while (i < value.size() && value[i] != ',' && !std::isspace(static_cast<unsigned char>(value[i])))
        name += static_cast<char>(std::tolower(static_cast<unsigned char>(value[i++])));
      if (name.empty()) return false;
    }
    out.push_back(std::move(name));
    space();
    if (i == value.size()) return true;
    if (value[i] != ',') return false;
    ++i;
    space();
  }
}

// SELECT set_config('search_path', 'a, b', is_local): the statement sets the search_path. A value
// or is_local that is not a constant leaves it unknown (the tracker then says so).
void set_config_call(Ctx& c, Node call) {
  auto args = list(call, "args");
  std::vector<Node> a(args.begin(), args.end());
  auto constant = [](Node n, Node& out) {
    Node k;
    return node_type(n, k) == "A_Const" && (out = k, true);
  };
  Node setting, value, local;
  if (a.size() != 3 || !constant(a[0], setting)) return;
  Node sval;
  if (!field(setting, "sval", sval) || str(sval, "sval") != "search_path") return;
  c.st.sets_search_path = true;
  Node v, b;
  std::vector<std::string> path;
  if (!constant(a[1], value) || !field(value, "sval", v) || !constant(a[2], local) ||
      !field(local, "boolval", b) || !split_identifier_list(str(v, "sval"), path)) {
    c.st.search_path_unknown = true;
    return;
  }
  c.st.search_path = std::move(path);
  c.st.set_local = flag(b, "boolval");
}

// Calls fn(type, body) for every node of `root`'s tree in document order (a node's keys before
// its children). Iterative: a tree may nest thousands of levels deep (parse.cpp reads up to
// kMaxTreeDepth), more than a recursive walk's stack allows. The work list is this thread's,
// reused from walk to walk (a walk inside fn gets a list of its own).
template <class Fn>
void walk_nodes(Node root, Fn fn) {
  thread_local std::deque<std::vector<Node>> lists;  // a deque: growing it moves no list
  thread_local size_t depth = 0;
  if (lists.size() <= depth) lists.resize(depth + 1);
  std::vector<Node>& todo = lists[depth];
  struct Level {
    std::vector<Node>& todo;
    explicit Level(std::vector<Node>& t) : todo(t) { ++depth; }
    ~Level() {
      todo.clear();
      --depth;
    }
  } level(todo);
  todo.push_back(root);
  while (!todo.empty()) {
    Node n = todo.back();
    todo.pop_back();
    size_t first_child = todo.size();
    simdjson::dom::object obj;
    simdjson::dom::array arr;
    if (n.get_array().get(arr) == simdjson::SUCCESS) {
      for (Node e : arr) todo.push_back(e);
    } else if (n.get_object().get(obj) == simdjson::SUCCESS) {
      for (auto kv : obj) {
        fn(kv.key, kv.value);
        todo.push_back(kv.value);
      }
    }
    std::reverse(todo.begin() + static_cast<std::ptrdiff_t>(first_child), todo.end());
  }
}

// One walk over a statement's tree: every string constant (A_Const sval), to see whether a new
// enum value is used later in the same transaction, and calls of functions newer servers added.
void walk_constants_and_calls(Ctx& c, Node root) {
  walk_nodes(root, [&](std::string_view type, Node body) {
    if (type == "A_Const") {
      Node sval;
      if (field(body, "sval", sval)) c.st.string_literals.emplace_back(str(sval, "sval"));
    } else if (type == "FuncCall") {
      std::string name = last_name(list(body, "funcname"));
      for (const NewFunction& f : kNewFunctions)
        if (f.name == name) needs_postgres(c, f.major, name + "()", f.extension);
      if (name == "set_config") {
        lexing_set_config(c, body);
        set_config_call(c, body);
      }
    }
  });
}

// Every constant of an expression as written: 10, 2024-01-01, true.
std::vector<std::string> constants_of(Node expr) {
  std::vector<std::string> out;
  walk_nodes(expr, [&](std::string_view type, Node body) {
    if (type != "A_Const") return;
    Node v;
    if (field(body, "sval", v)) out.emplace_back(str(v, "sval"));
    if (field(body, "ival", v)) out.push_back(std::to_string(integer(v, "ival", 0)));
    if (field(body, "fval", v)) out.emplace_back(str(v, "fval"));
    if (field(body, "boolval", v)) out.emplace_back(flag(v, "boolval") ? "true" : "false");
  });
  return out;
}

// The column a ColumnRef names (its last field), or "*" for a star.
std::string column_ref_name(Node ref) {
  std::string name;
  for (Node f : list(ref, "fields")) {
    Node body;
    name = node_type(f, body) == "A_Star" ? "*" : std::string(string_node(f));
  }
  return name;
}

// Whether an UPDATE is a backfill with no batch bound: its WHERE tests a column it sets for NULL
// (`WHERE c IS NULL`, `WHERE c = '' OR c IS NULL`) and no AND-ed condition names another column
// or holds a subquery. Such a WHERE picks every row still to do, not a batch of them.
bool where_tests_only_set_columns(Node where, const std::set<std::string>& set_columns) {
  std::vector<Node> conjuncts;
  Node body;
  if (node_type(where, body) == "BoolExpr" && str(body, "boolop") == "AND_EXPR") {
    for (Node arg : list(body, "args")) conjuncts.push_back(arg);
  } else {
    conjuncts.push_back(where);
  }
  // A condition bounds the batch when it names another column or holds a subquery; a constant
  // condition (`true`) bounds nothing. The backfill's mark is `set_column IS NULL` somewhere in it:
  // a WHERE that picks rows by another value of the set column (`WHERE status = 'old'`) is a data
  // fix whose size the SQL does not tell.
  bool null_test = false;
  for (Node conjunct : conjuncts) {
    bool bounds = false;
    walk_nodes(conjunct, [&](std::string_view type, Node n) {
      if (type == "SubLink" || (type == "ColumnRef" && !set_columns.count(column_ref_name(n)))) bounds = true;
      Node arg, ref;
      if (type == "NullTest" && str(n, "nulltesttype") == "IS_NULL" && field(n, "arg", arg) &&
          node_type(arg, ref) == "ColumnRef" && set_columns.count(column_ref_name(ref)))
        null_test = true;
    });
    if (bounds) return false;
  }
  return null_test;
}

// The tables a FROM item names directly (through joins, not subqueries), with the name a star
// qualifier uses for each (its alias, else its name).
void from_tables(const Ctx& c, Node item, const std::set<std::string>& ctes,
                 std::vector<std::pair<std::string, model::RelationName>>& out) {
  Node body;
  std::string_view type = node_type(item, body);
  if (type == "RangeVar") {
    model::RelationName r = relation(c, body);
    if (r.schema.empty() && ctes.count(r.name)) return;
    Node alias;
    std::string name = field(body, "alias", alias) ? std::string(str(alias, "aliasname")) : r.name;
    out.emplace_back(name, std::move(r));
  } else if (type == "JoinExpr") {
    Node side;
    if (field(body, "larg", side)) from_tables(c, side, ctes, out);
    if (field(body, "rarg", side)) from_tables(c, side, ctes, out);
  }
}

// The tables and column names a view's query reads; the names its WITH clauses give are no tables.
// A star reads every column of the tables it covers: `*` those of its own SELECT's FROM, `q.*` the
// table named or aliased q there (a star over a subquery or WITH query reads only what that
// query names). Stars are recorded as "schema.table.*" (the table's key).
void view_reads(Ctx& c, Node query, Action& view) {
  std::set<std::string> ctes;
  walk_nodes(query, [&](std::string_view type, Node n) {
    if (type == "CommonTableExpr") ctes.insert(std::string(str(n, "ctename")));
  });
  std::set<std::string> columns;
  walk_nodes(query, [&](std::string_view type, Node n) {
    if (type == "RangeVar") {
      model::RelationName r = relation(c, n);
      if (!(r.schema.empty() && ctes.count(r.name))) view.reads.push_back(std::move(r));
    } else if (type == "ColumnRef") {
      std::string name = column_ref_name(n);
      if (name != "*") columns.insert(name);
    } else if (type == "SelectStmt") {
      std::vector<std::pair<std::string, model::RelationName>> tables;
      for (Node item : list(n, "fromClause")) from_tables(c, item, ctes, tables);
      for (Node t : list(n, "targetList")) {
        Node target, val, ref;
        if (node_type(t, target) != "ResTarget" || !field(target, "val", val) ||
            node_type(val, ref) != "ColumnRef" || column_ref_name(ref) != "*")
          continue;
        // `q.*`: the field before the star names the table or alias (a schema may precede it).
        std::string qualifier, previous;
        for (Node f : list(ref, "fields")) {
          Node star;
          if (node_type(f, star) == "A_Star")
            qualifier = previous;
          else
            previous = std::string(string_node(f));
        }
        for (const auto& [name, table] : tables)
          if (qualifier.empty() || qualifier == name) columns.insert(table.key() + ".*");
      }
    }
  });
  view.read_columns.assign(columns.begin(), columns.end());
}

Action& add_action(Ctx& c, ActionKind kind, const model::RelationName& rel, LockMode lock, uint32_t offset) {
  Action a;
  a.kind = kind;
  a.relation = rel;
  a.lock = lock;
  a.loc.offset = offset;
  c.st.actions.push_back(std::move(a));
  return c.st.actions.back();
}

// The parent table of a FOREIGN KEY gets SHARE ROW EXCLUSIVE too.
void add_referenced_table(Ctx& c, Node constraint, uint32_t offset) {
  model::RelationName parent;
  if (relation_field(c, constraint, "pktable", parent))
    add_action(c, ActionKind::ReferencedByForeignKey, parent, LockMode::ShareRowExclusive, offset);
}

// CHECK (col IS NOT NULL): the constraint that lets SET NOT NULL skip its scan.
std::string not_null_check_column(Node constraint) {
  Node expr, body;
  if (!field(constraint, "raw_expr", expr) || node_type(expr, body) != "NullTest") return {};
  if (str(body, "nulltesttype") != "IS_NOT_NULL") return {};
  Node arg, ref;
  if (!field(body, "arg", arg) || node_type(arg, ref) != "ColumnRef") return {};
  auto fields = list(ref, "fields");
  if (fields.size() != 1) return {};
  return last_name(fields);
}

// USING col::type (or CAST(col AS type)) of the altered column to the new type: PostgreSQL treats
// it as no USING at all (ATColumnChangeRequiresRewrite sees only the cast), so whether the table is
// rewritten depends on the types alone (varchar to text: it is not).
bool using_casts_the_column(Node using_expr, const std::string& column, const std::string& new_type) {
  Node body, arg, ref, type;
  if (node_type(using_expr, body) != "TypeCast") return false;
  if (!field(body, "arg", arg) || node_type(arg, ref) != "ColumnRef") return false;
  auto fields = list(ref, "fields");
  if (fields.size() != 1 || last_name(fields) != column) return false;
  return field(body, "typeName", type) && type_name(type) == new_type;
}

// ADD CONSTRAINT: the lock, scan and kind depend on the constraint type.
void constraint_action(Ctx& c, const model::RelationName& table, Node con, uint32_t offset) {
  std::string_view type = str(con, "contype");
  bool not_valid = flag(con, "skip_validation");
  std::string name(str(con, "conname"));
  if (type == "CONSTR_FOREIGN") {
    Action& a = add_action(c, ActionKind::AddForeignKey, table, LockMode::ShareRowExclusive, offset);
    a.not_valid = not_valid;
    a.scans = !not_valid;
    a.object = name;
    std::string cols;
    for (Node k : list(con, "fk_attrs")) cols += (cols.empty() ? "" : ", ") + std::string(string_node(k));
    a.column = cols;
    a.match_full = str(con, "fk_matchtype") == "f";
    model::RelationName parent;
    if (relation_field(c, con, "pktable", parent)) a.references = parent.key();
    add_referenced_table(c, con, offset);
  } else if (type == "CONSTR_CHECK") {
    Action& a = add_action(c, ActionKind::AddCheck, table, LockMode::AccessExclusive, offset);
    a.not_valid = not_valid;
    a.scans = !not_valid;
    a.object = name;
    a.column = not_null_check_column(con);
    a.check_is_not_null = !a.column.empty();
    Node expr;
    if (field(con, "raw_expr", expr)) {
      a.constants = constants_of(expr);
      std::set<std::string> names;
      walk_nodes(expr, [&](std::string_view t, Node n) {
        if (t == "ColumnRef") names.insert(column_ref_name(n));
        Node arg, ref;
        if (t == "NullTest" && str(n, "nulltesttype") == "IS_NOT_NULL" && field(n, "arg", arg) &&
            node_type(arg, ref) == "ColumnRef")
          a.not_null_columns.push_back(column_ref_name(ref));
      });
      a.read_columns.assign(names.begin(), names.end());
    }
  } else if (type == "CONSTR_UNIQUE" || type == "CONSTR_PRIMARY" || type == "CONSTR_EXCLUSION") {
    if (flag(con, "nulls_not_distinct")) needs_postgres(c, 15, "UNIQUE NULLS NOT DISTINCT");
    ActionKind kind = type == "CONSTR_UNIQUE"    ? ActionKind::AddUnique
                      : type == "CONSTR_PRIMARY" ? ActionKind::AddPrimaryKey
                                                 : ActionKind::AddExclusion;
    Action& a = add_action(c, kind, table, LockMode::AccessExclusive, offset);
    a.object = name;
    a.nulls_not_distinct = flag(con, "nulls_not_distinct");
    a.using_index = !str(con, "indexname").empty();
    a.scans = !a.using_index;  // builds the index while holding ACCESS EXCLUSIVE
    std::string cols;
    for (Node k : list(con, "keys")) cols += (cols.empty() ? "" : ", ") + std::string(string_node(k));
    a.column = cols;
  } else {
    Action& a = add_action(c, ActionKind::OtherAlter, table, LockMode::AccessExclusive, offset);
    a.object = name;
  }
}

// ADD COLUMN: fast default unless the default is volatile or the column is identity, serial,
// GENERATED … STORED; inline PRIMARY KEY / UNIQUE build an index; REFERENCES locks the parent.
void add_column_action(Ctx& c, const model::RelationName& table, Node coldef, uint32_t offset,
                       bool if_not_exists) {
  Action& a = add_action(c, ActionKind::AddColumn, table, LockMode::AccessExclusive, offset);
  a.column = std::string(str(coldef, "colname"));
  a.if_exists = if_not_exists;
  Node type;
  if (field(coldef, "typeName", type)) a.new_type = type_name(type);
  if (a.new_type == "serial" || a.new_type == "bigserial" || a.new_type == "smallserial" ||
      a.new_type == "serial4" || a.new_type == "serial8" || a.new_type == "serial2") {
    a.rewrites = a.volatile_default = a.has_default = true;
    a.detail = a.new_type + " fills every row from a sequence";
  }
  size_t index = c.st.actions.size() - 1;  // `a` may move when more actions are added
  std::vector<Node> foreign_keys;
  for (Node cn : list(coldef, "constraints")) {
    Node con;
    if (node_type(cn, con) != "Constraint") continue;
    std::string_view type_ = str(con, "contype");
    Action& col = c.st.actions[index];
    if (type_ == "CONSTR_NOTNULL") col.not_null = true;
    if (type_ == "CONSTR_PRIMARY") col.not_null = true;
    if (type_ == "CONSTR_DEFAULT") {
      col.has_default = true;
      Node expr;
      std::string which;
      if (field(con, "raw_expr", expr) && find_volatile_call(expr, which)) {
        col.volatile_default = col.rewrites = true;
        col.detail = "volatile default " + which;
      }
    }
    if (type_ == "CONSTR_IDENTITY") {
      col.rewrites = col.has_default = true;
      col.detail = "identity column fills every row";
    }
    if (type_ == "CONSTR_GENERATED") {
      needs_postgres(c, 12, "GENERATED … STORED columns");
      col.rewrites = true;
      col.detail = "GENERATED … STORED computes every row";
    }
    if (type_ == "CONSTR_PRIMARY" || type_ == "CONSTR_UNIQUE") {
      col.scans = true;
      col.detail = col.detail.empty() ? "builds a unique index under ACCESS EXCLUSIVE" : col.detail;
    }
    if (type_ == "CONSTR_CHECK" && !flag(con, "skip_validation")) col.scans = true;
    if (type_ == "CONSTR_FOREIGN") {
      foreign_keys.push_back(con);
      model::RelationName parent;
      if (relation_field(c, con, "pktable", parent)) col.references = parent.key();
    }
  }
  for (Node con : foreign_keys) add_referenced_table(c, con, offset);
}

void alter_table(Ctx& c, Node body) {
  model::RelationName table;
  relation_field(c, body, "relation", table);
  std::string_view objtype = str(body, "objtype");
  for (Node cmd_node : list(body, "cmds")) {
    Node cmd;
    if (node_type(cmd_node, cmd) != "AlterTableCmd") continue;
    std::string_view subtype = str(cmd, "subtype");
    const SubcommandLock& row = alter_table_lock(subtype);
    uint32_t offset = c.st.loc.offset;
    Node def, inner;
    bool has_def = field(cmd, "def", def);
    std::string_view def_type = has_def ? node_type(def, inner) : std::string_view{};
    if (has_def) {
      int64_t loc = integer(inner, "location", -1);
      if (loc >= 0) offset = c.base + static_cast<uint32_t>(loc);
    }
    if (subtype == "AT_AddColumn" && def_type == "ColumnDef") {
      add_column_action(c, table, inner, offset, flag(cmd, "missing_ok"));
      continue;
    }
    if (subtype == "AT_AddConstraint" && def_type == "Constraint") {
      constraint_action(c, table, inner, offset);
      continue;
    }
    if (subtype == "AT_AttachPartition" || subtype == "AT_DetachPartition") {
      Node part_cmd;
      model::RelationName partition;
      if (def_type == "PartitionCmd" && relation_field(c, inner, "name", partition)) {
        Action& p = add_action(c, row.kind, partition, LockMode::AccessExclusive, offset);
        p.scans = subtype == "AT_AttachPartition";
        Node bound;
        if (p.scans && field(inner, "bound", bound)) {
          p.default_partition = flag(bound, "is_default");
          for (std::string_view key : {"listdatums", "lowerdatums", "upperdatums"})
            for (Node d : list(bound, key))
              for (std::string& v : constants_of(d)) p.constants.push_back(std::move(v));
        }
        // DETACH … CONCURRENTLY keeps ACCESS EXCLUSIVE on the partition: its second transaction
        // takes it to finish the detach (PostgreSQL's docs; seen by rehearse's sampler).
        p.concurrently = flag(inner, "concurrent");
        if (p.concurrently) needs_postgres(c, 14, "DETACH PARTITION … CONCURRENTLY");
      }
      Action& a = add_action(c, row.kind, table, row.lock, offset);
      if (def_type == "PartitionCmd" && flag(inner, "concurrent")) {
        a.concurrently = c.st.concurrently = c.st.cannot_run_in_transaction = true;
        a.lock = LockMode::ShareUpdateExclusive;
      }
      continue;
    }
    Action& a = add_action(c, row.kind, table, row.lock, offset);
    a.rewrites = row.rewrites;
    a.scans = row.scans;
    a.column = std::string(str(cmd, "name"));
    a.if_exists = flag(cmd, "missing_ok");
    if (subtype == "AT_ColumnDefault" && !has_def) a.kind = ActionKind::DropDefault;
    if (subtype == "AT_DropConstraint" || subtype == "AT_ValidateConstraint") {
      a.object = a.column;
      a.column.clear();
    }
    if (subtype == "AT_AlterColumnType" && def_type == "ColumnDef") {
      Node type, using_expr;
      if (field(inner, "typeName", type)) a.new_type = type_name(type);
      if (field(inner, "raw_default", using_expr) &&
          !using_casts_the_column(using_expr, a.column, a.new_type))
        a.detail = "USING expression";
    }
    if (objtype == "OBJECT_INDEX") a.detail = "on an index";
    // INHERIT takes SHARE UPDATE EXCLUSIVE on the parent; NO INHERIT only ACCESS SHARE, but the
    // child it holds under ACCESS EXCLUSIVE is still scanned by every read of the parent.
    if ((subtype == "AT_AddInherit" || subtype == "AT_DropInherit") && def_type == "RangeVar") {
      bool add = subtype == "AT_AddInherit";
      Action& p = add_action(c, ActionKind::OtherAlter, relation(c, inner),
                             add ? LockMode::ShareUpdateExclusive : LockMode::AccessShare, offset);
      p.detail = "inheritance parent";
      p.indirect_access_exclusive = !add;
    }
  }
}

void drop_stmt(Ctx& c, Node body) {
  std::string_view type = str(body, "removeType");
  bool concurrent = flag(body, "concurrent");
  bool missing_ok = flag(body, "missing_ok");
  for (Node obj : list(body, "objects")) {
    Node inner;
    if (type == "OBJECT_SCHEMA" && node_type(obj, inner) == "String") {
      // No lock of its own to model here: with CASCADE every table in it is dropped.
      model::RelationName schema;
      schema.name = std::string(string_node(obj));
      Action& a = add_action(c, ActionKind::DropSchema, schema, LockMode::None, c.st.loc.offset);
      a.cascade = str(body, "behavior") == "DROP_CASCADE";
      a.if_exists = missing_ok;
      continue;
    }
    if (node_type(obj, inner) != "List") continue;
    auto names = list(inner, "items");
    model::RelationName rel = relation_from_names(names);
    if (type == "OBJECT_TABLE") {
      add_action(c, ActionKind::DropTable, rel, LockMode::AccessExclusive, c.st.loc.offset).if_exists =
          missing_ok;
    } else if (type == "OBJECT_INDEX") {
      // Both forms end with ACCESS EXCLUSIVE on the index (measured on PG 15); CONCURRENTLY takes
      // it only after marking the index dead and waiting out every transaction, and holds SHARE
      // UPDATE EXCLUSIVE on the table (SchemaTracker adds the table when it knows it).
      Action& a = add_action(c, ActionKind::DropIndex, rel, LockMode::AccessExclusive, c.st.loc.offset);
      a.concurrently = concurrent;
      a.if_exists = missing_ok;
      a.detail = concurrent ? "" : "ACCESS EXCLUSIVE on the index's table";
    } else if (type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW") {
      add_action(c, ActionKind::DropView, rel, LockMode::AccessExclusive, c.st.loc.offset);
    } else if (type == "OBJECT_TRIGGER" || type == "OBJECT_RULE") {
      // [schema,] table, trigger (or rule)
      std::vector<std::string> parts;
      for (Node n : names) parts.emplace_back(string_node(n));
      if (parts.size() >= 2) {
        model::RelationName t;
        t.name = parts[parts.size() - 2];
        if (parts.size() >= 3) t.schema = parts[parts.size() - 3];
        add_action(c, type == "OBJECT_RULE" ? ActionKind::DropRule : ActionKind::DropTrigger, t,
                   LockMode::AccessExclusive, c.st.loc.offset)
            .object = parts.back();
      }
    }
  }
  if (concurrent) c.st.concurrently = c.st.cannot_run_in_transaction = true;
}

void rename_stmt(Ctx& c, Node body) {
  std::string_view type = str(body, "renameType");
  model::RelationName rel;
  relation_field(c, body, "relation", rel);
  uint32_t offset = c.st.loc.offset;
  std::string newname(str(body, "newname"));
  if (type == "OBJECT_COLUMN") {
    Action& a = add_action(c, ActionKind::RenameColumn, rel, LockMode::AccessExclusive, offset);
    a.column = std::string(str(body, "subname"));
    a.object = newname;
  } else if (type == "OBJECT_TABLE") {
    add_action(c, ActionKind::RenameTable, rel, LockMode::AccessExclusive, offset).object = newname;
  } else if (type == "OBJECT_TABCONSTRAINT") {
    Action& a = add_action(c, ActionKind::RenameConstraint, rel, LockMode::AccessExclusive, offset);
    a.column = std::string(str(body, "subname"));
    a.object = newname;
  } else if (type == "OBJECT_INDEX") {
    // ALTER INDEX … RENAME takes SHARE UPDATE EXCLUSIVE since PostgreSQL 12.
    add_action(c, ActionKind::OtherAlter, rel, LockMode::ShareUpdateExclusive, offset).object = newname;
  } else if (type == "OBJECT_VIEW" || type == "OBJECT_MATVIEW") {
    add_action(c, ActionKind::RenameTable, rel, LockMode::AccessExclusive, offset).object = newname;
  } else if (type == "OBJECT_TYPE") {
    // ALTER TYPE a RENAME TO b: `object` is the type's name list.
    Node object, names;
    if (field(body, "object", object) && node_type(object, names) == "List") {
      c.st.renamed_type_from = last_name(list(names, "items"));
      c.st.renamed_type_to = newname;
    }
  }
}

void index_stmt(Ctx& c, Node body) {
  model::RelationName table;
  relation_field(c, body, "relation", table);
  bool concurrent = flag(body, "concurrent");
  Action& a = add_action(c, ActionKind::CreateIndex, table,
                         concurrent ? LockMode::ShareUpdateExclusive : LockMode::Share, c.st.loc.offset);
  a.concurrently = concurrent;
  a.scans = !concurrent;
  a.object = std::string(str(body, "idxname"));
  a.if_exists = flag(body, "if_not_exists");
  // The indexed columns (expressions have none), so that a later DROP COLUMN is known to drop it.
  for (Node p : list(body, "indexParams")) {
    Node elem;
    if (node_type(p, elem) != "IndexElem" || str(elem, "name").empty()) continue;
    a.column += (a.column.empty() ? "" : ",") + std::string(str(elem, "name"));
  }
  if (flag(body, "unique")) a.detail = "unique";
  a.nulls_not_distinct = flag(body, "nulls_not_distinct");
  if (a.nulls_not_distinct) needs_postgres(c, 15, "NULLS NOT DISTINCT");
  if (list(body, "indexIncludingParams").size() > 0) needs_postgres(c, 11, "CREATE INDEX … INCLUDE");
  // The index lives in its table's schema; SchemaTracker matches DROP INDEX by that key.
  if (concurrent) c.st.concurrently = c.st.cannot_run_in_transaction = true;
}

void create_stmt(Ctx& c, Node body) {
  model::RelationName table;
  relation_field(c, body, "relation", table);
  size_t index = c.st.actions.size();
  add_action(c, ActionKind::CreateTable, table, LockMode::None, c.st.loc.offset).if_exists =
      flag(body, "if_not_exists");
  std::vector<Node> foreign_keys;
  // A CHECK of the new table, recorded on the CREATE TABLE action (not as an action of its own:
  // it takes no lock and scans nothing).
  auto inline_check = [&](Node con, std::string_view column) {
    constraint_action(c, table, con, c.st.loc.offset);
    Action check = std::move(c.st.actions.back());
    c.st.actions.pop_back();
    check.not_valid = check.scans = false;
    check.lock = LockMode::None;
    // A column constraint names its column only implicitly: CHECK (VALUE > 0) is written on it.
    if (!column.empty() && check.read_columns.empty()) check.read_columns.emplace_back(column);
    c.st.actions[index].checks.push_back(std::move(check));
  };
  for (Node elt : list(body, "tableElts")) {
    Node inner;
    std::string_view t = node_type(elt, inner);
    if (t == "Constraint" && str(inner, "contype") == "CONSTR_CHECK") inline_check(inner, {});
    if (t == "ColumnDef") {
      Node type;
      std::string ty = field(inner, "typeName", type) ? type_name(type) : "";
      c.st.actions[index].columns.emplace_back(std::string(str(inner, "colname")), ty);
      for (Node cn : list(inner, "constraints")) {
        Node con;
        if (node_type(cn, con) != "Constraint") continue;
        if (str(con, "contype") == "CONSTR_FOREIGN") foreign_keys.push_back(con);
        if (str(con, "contype") == "CONSTR_CHECK") inline_check(con, str(inner, "colname"));
        if (str(con, "contype") == "CONSTR_PRIMARY")
          c.st.actions[index].primary_key.emplace_back(str(inner, "colname"));
        if (str(con, "contype") == "CONSTR_PRIMARY" || str(con, "contype") == "CONSTR_NOTNULL")
          c.st.actions[index].not_null_columns.emplace_back(str(inner, "colname"));
        if (str(con, "contype") == "CONSTR_IDENTITY")
          c.st.actions[index].identity_columns.emplace_back(str(inner, "colname"));
        if (str(con, "contype") == "CONSTR_GENERATED") needs_postgres(c, 12, "GENERATED … STORED columns");
        if (flag(con, "nulls_not_distinct")) needs_postgres(c, 15, "UNIQUE NULLS NOT DISTINCT");
      }
    } else if (t == "Constraint" && str(inner, "contype") == "CONSTR_FOREIGN") {
      foreign_keys.push_back(inner);
    } else if (t == "Constraint" && flag(inner, "nulls_not_distinct")) {
      needs_postgres(c, 15, "UNIQUE NULLS NOT DISTINCT");
    } else if (t == "Constraint" && str(inner, "contype") == "CONSTR_PRIMARY") {
      for (Node key : list(inner, "keys")) {
        c.st.actions[index].primary_key.emplace_back(string_node(key));
        c.st.actions[index].not_null_columns.emplace_back(string_node(key));
      }
    }
  }
  for (Node con : foreign_keys) add_referenced_table(c, con, c.st.loc.offset);
  // CREATE TABLE … PARTITION OF parent locks the parent.
  Node partbound;
  bool has_partbound = field(body, "partbound", partbound);
  for (Node p : list(body, "inhRelations")) {
    Node rv;
    if (node_type(p, rv) == "RangeVar" && has_partbound)
      add_action(c, ActionKind::AttachPartition, relation(c, rv), LockMode::AccessExclusive, c.st.loc.offset);
  }
}

// What a plain expression of an UPDATE gives, or "" when it is not plain: one whose evaluation
// cannot fail on a row. Constants (and casts of constants) are coerced when the statement is
// planned, so a bad one fails on an empty table too; comparisons, IS NULL, AND/OR/NOT, IN
// (constants) and CASE over those do not fail; a cast of a column, a function call, arithmetic
// (division by zero, overflow) or a subquery may. Kinds: "const" (never NULL), "null" (a constant
// that may be NULL), "col:NAME" (a column of the row), "cond" (a plain condition).
std::string plain_expression(Node n, int depth = 0) {
  if (depth > 32) return {};
  Node body;
  std::string_view t = node_type(n, body);
  if (t == "A_Const") return flag(body, "isnull") ? "null" : "const";
  if (t == "SQLValueFunction") return "const";
  if (t == "ColumnRef") {
    auto fields = list(body, "fields");
    return fields.size() == 1 ? "col:" + last_name(fields) : "";
  }
  if (t == "TypeCast" || t == "A_ArrayExpr") {
    Node arg;
    if (t == "TypeCast") {
      if (!field(body, "arg", arg)) return {};
      std::string k = plain_expression(arg, depth + 1);
      return k == "const" || k == "null" ? k : "";
    }
    for (Node e : list(body, "elements")) {
      std::string k = plain_expression(e, depth + 1);
      if (k != "const" && k != "null") return {};
    }
    return "const";
  }
  if (t == "NullTest") {
    Node arg;
    return field(body, "arg", arg) && !plain_expression(arg, depth + 1).empty() ? "cond" : "";
  }
  if (t == "BoolExpr") {
    for (Node e : list(body, "args"))
      if (plain_expression(e, depth + 1).empty()) return {};
    return "cond";
  }
  if (t == "A_Expr") {
    std::string_view kind = str(body, "kind");
    std::string op = last_name(list(body, "name"));
    Node l, r;
    if (!field(body, "lexpr", l) || !field(body, "rexpr", r) || plain_expression(l, depth + 1).empty())
      return {};
    if (kind == "AEXPR_OP" && (op == "=" || op == "<>" || op == "!="))
      return plain_expression(r, depth + 1).empty() ? "" : "cond";
    Node items;
    if (kind == "AEXPR_IN" && node_type(r, items) == "List") {
      for (Node e : list(items, "items"))
        if (plain_expression(e, depth + 1) != "const") return {};
      return "cond";
    }
    return {};
  }
  if (t == "CaseExpr") {
    Node arg, def;
    if (field(body, "arg", arg) && plain_expression(arg, depth + 1).empty()) return {};
    std::string result = "const";
    auto merge = [&](const std::string& k) {
      if (k != "const" && k != "null") return false;
      if (k == "null") result = "null";
      return true;
    };
    for (Node w : list(body, "args")) {
      Node when, expr, res;
      if (node_type(w, when) != "CaseWhen" || !field(when, "expr", expr) || !field(when, "result", res) ||
          plain_expression(expr, depth + 1).empty() || !merge(plain_expression(res, depth + 1)))
        return {};
    }
    if (!field(body, "defresult", def)) return "null";  // no ELSE: NULL
    return merge(plain_expression(def, depth + 1)) ? result : "";
  }
  return {};
}

// UPDATE … SET col = plain value [WHERE plain condition], with no FROM, WITH or RETURNING.
std::vector<std::pair<std::string, std::string>> plain_assignments(Node update) {
  std::vector<std::pair<std::string, std::string>> out;
  Node unused, where;
  if (field(update, "fromClause", unused) || field(update, "withClause", unused) ||
      field(update, "returningList", unused))
    return {};
  if (field(update, "whereClause", where) && plain_expression(where).empty()) return {};
  for (Node t : list(update, "targetList")) {
    Node target, value;
    if (node_type(t, target) != "ResTarget" || field(target, "indirection", unused) ||
        !field(target, "val", value))
      return {};
    std::string kind = plain_expression(value);
    if (kind.empty() || kind == "cond") return {};
    out.emplace_back(std::string(str(target, "name")), kind);
  }
  return out;
}

void dml_target(Ctx& c, Node body, std::string_view key, std::string_view command) {
  model::RelationName rel;
  if (!relation_field(c, body, key, rel)) return;
  Action& a = add_action(c, ActionKind::WriteRows, rel, LockMode::RowExclusive, c.st.loc.offset);
  a.detail = std::string(command);
  // No WHERE: every row is written (UPDATE) or deleted, and row-locked until the transaction ends.
  Node where;
  a.whole_table = (command == "UPDATE" || command == "DELETE") && !field(body, "whereClause", where);
  if (command == "UPDATE") a.assignments = plain_assignments(body);
  if (command == "UPDATE" && !a.whole_table) {
    std::set<std::string> set_columns;
    for (Node t : list(body, "targetList")) {
      Node target;
      if (node_type(t, target) == "ResTarget") set_columns.insert(std::string(str(target, "name")));
    }
    a.unbounded_batch = where_tests_only_set_columns(where, set_columns);
    for (const std::string& col : set_columns) a.column += (a.column.empty() ? "" : ", ") + col;
  }
}

// The names a statement's WITH clause gives its queries: `FROM name` then reads no table.
void add_cte_names(Node body, std::set<std::string>& names) {
  Node with, cte;
  if (!field(body, "withClause", with)) return;
  for (Node item : list(with, "ctes"))
    if (node_type(item, cte) == "CommonTableExpr") names.insert(std::string(str(cte, "ctename")));
}

// INSERT … SELECT … FROM t with no WHERE and no LIMIT reads every row of t (and writes as many
// into the target) in one statement: t gets a ReadAllRows action, so that a rule can tell an
// existing table's size from a new one's.
void insert_select_sources(Ctx& c, Node insert_body) {
  model::RelationName target;
  Node select, select_body, unused;
  if (!relation_field(c, insert_body, "relation", target) || !field(insert_body, "selectStmt", select) ||
      node_type(select, select_body) != "SelectStmt" || field(select_body, "whereClause", unused) ||
      field(select_body, "limitCount", unused))
    return;
  std::set<std::string> ctes;
  add_cte_names(insert_body, ctes);
  add_cte_names(select_body, ctes);
  for (Node from : list(select_body, "fromClause")) {
    Node rv;
    if (node_type(from, rv) != "RangeVar") continue;
    if (str(rv, "schemaname").empty() && ctes.count(std::string(str(rv, "relname")))) continue;
    Action& a =
        add_action(c, ActionKind::ReadAllRows, relation(c, rv), LockMode::AccessShare, c.st.loc.offset);
    a.whole_table = true;
    a.object = target.display();
    a.detail = "INSERT … SELECT";
  }
}

}  // namespace

void extract_facts(Node stmt, std::string_view file_text, uint32_t base, model::Statement& st) {
  Ctx c{file_text, base, st};
  Node body;
  std::string_view type = node_type(stmt, body);
  st.node = std::string(type);
  st.cls = StatementClass::Ddl;
  walk_constants_and_calls(c, stmt);

  if (type == "AlterTableStmt") {
    alter_table(c, body);
  } else if (type == "IndexStmt") {
    index_stmt(c, body);
  } else if (type == "DropStmt") {
    drop_stmt(c, body);
  } else if (type == "RenameStmt") {
    rename_stmt(c, body);
  } else if (type == "CreateStmt") {
    create_stmt(c, body);
  } else if (type == "CreateTableAsStmt") {
    Node into;
    model::RelationName rel;
    if (field(body, "into", into) && relation_field(c, into, "rel", rel)) {
      Action& a = add_action(c, ActionKind::CreateTable, rel, LockMode::None, st.loc.offset);
      Node query;
      if (str(body, "objtype") == "OBJECT_MATVIEW" && field(body, "query", query)) view_reads(c, query, a);
    }
  } else if (type == "ViewStmt") {
    model::RelationName rel;
    relation_field(c, body, "view", rel);
    Action& a = add_action(c, ActionKind::CreateView, rel, LockMode::AccessExclusive, st.loc.offset);
    Node query;
    if (field(body, "query", query)) view_reads(c, query, a);
  } else if (type == "AlterObjectSchemaStmt") {
    model::RelationName rel;
    if (relation_field(c, body, "relation", rel))
      add_action(c, ActionKind::SetSchema, rel, LockMode::AccessExclusive, st.loc.offset).object =
          std::string(str(body, "newschema"));
  } else if (type == "TruncateStmt") {
    st.cls = StatementClass::Dml;
    for (Node r : list(body, "relations")) {
      Node rv;
      if (node_type(r, rv) == "RangeVar")
        add_action(c, ActionKind::TruncateTable, relation(c, rv), LockMode::AccessExclusive, st.loc.offset)
            .cascade = str(body, "behavior") == "DROP_CASCADE";
    }
  } else if (type == "ReindexStmt") {
    bool concurrent = false;
    for (Node p : list(body, "params")) {
      Node d;
      if (node_type(p, d) == "DefElem" && str(d, "defname") == "concurrently") concurrent = true;
    }
    model::RelationName rel;
    relation_field(c, body, "relation", rel);
    bool on_index = str(body, "kind") == "REINDEX_OBJECT_INDEX";
    // Measured on PG 15: REINDEX INDEX takes ACCESS EXCLUSIVE on the index (SHARE on its table,
    // added by SchemaTracker when it knows the table); REINDEX TABLE takes SHARE on the table and
    // ACCESS EXCLUSIVE on each of its indexes, which blocks every read through the planner.
    // REINDEX INDEX CONCURRENTLY ends, like DROP INDEX CONCURRENTLY, by dropping the old (swapped,
    // dead) index under ACCESS EXCLUSIVE.
    LockMode lock = on_index     ? LockMode::AccessExclusive
                    : concurrent ? LockMode::ShareUpdateExclusive
                                 : LockMode::Share;
    Action& a = add_action(c, ActionKind::Reindex, rel, lock, st.loc.offset);
    a.concurrently = concurrent;
    a.indirect_access_exclusive = !concurrent && !on_index;
    a.detail = on_index ? "index" : "table";
    if (concurrent) {
      st.concurrently = st.cannot_run_in_transaction = true;
      needs_postgres(c, 12, "REINDEX … CONCURRENTLY");
    }
  } else if (type == "RuleStmt") {
    // CREATE RULE locks its table ACCESS EXCLUSIVE (measured on PG 15). What its WHERE and its
    // actions read, NEW.col and OLD.col being the table's columns, is recorded as a view's query.
    model::RelationName rel;
    relation_field(c, body, "relation", rel);
    Action& a = add_action(c, ActionKind::CreateRule, rel, LockMode::AccessExclusive, st.loc.offset);
    a.object = std::string(str(body, "rulename"));
    Action reads;
    Node where;
    if (field(body, "whereClause", where)) view_reads(c, where, reads);
    std::set<std::string> columns(reads.read_columns.begin(), reads.read_columns.end());
    for (Node action : list(body, "actions")) {
      Action one;
      view_reads(c, action, one);
      a.reads.insert(a.reads.end(), one.reads.begin(), one.reads.end());
      columns.insert(one.read_columns.begin(), one.read_columns.end());
      // INSERT INTO t (col, …) and UPDATE t SET col: PostgreSQL records the target columns too.
      walk_nodes(action, [&](std::string_view t, Node n) {
        if (t != "InsertStmt" && t != "UpdateStmt" && t != "DeleteStmt") return;
        Node into, select, values;
        // The table written to is a bare RangeVar in the tree (no "RangeVar" key for view_reads).
        if (field(n, "relation", into)) a.reads.push_back(relation(c, into));
        if (t == "DeleteStmt") return;
        if (t == "InsertStmt" && list(n, "cols").size() == 0 && field(n, "relation", into) &&
            field(n, "selectStmt", select) && node_type(select, values) == "SelectStmt") {
          auto rows = list(values, "valuesLists");
          Node row;
          size_t count = list(values, "targetList").size();
          if (rows.size() > 0 && node_type(*rows.begin(), row) == "List") count = list(row, "items").size();
          a.positional_inserts.emplace_back(relation(c, into), static_cast<uint32_t>(count));
        }
        for (Node target : list(n, t == "InsertStmt" ? "cols" : "targetList")) {
          Node rt;
          if (node_type(target, rt) == "ResTarget" && !str(rt, "name").empty())
            columns.insert(std::string(str(rt, "name")));
        }
      });
    }
    a.reads.insert(a.reads.end(), reads.reads.begin(), reads.reads.end());
    a.reads.push_back(rel);
    a.read_columns.assign(columns.begin(), columns.end());
  } else if (type == "CreateTrigStmt") {
    if (flag(body, "replace")) needs_postgres(c, 14, "CREATE OR REPLACE TRIGGER");
    model::RelationName rel;
    relation_field(c, body, "relation", rel);
    add_action(c, ActionKind::CreateTrigger, rel, LockMode::ShareRowExclusive, st.loc.offset).object =
        std::string(str(body, "trigname"));
  } else if (type == "VacuumStmt") {
    bool full = false;
    for (Node o : list(body, "options")) {
      Node d;
      if (node_type(o, d) == "DefElem" && str(d, "defname") == "full") full = true;
    }
    bool vacuum = flag(body, "is_vacuumcmd");
    st.cannot_run_in_transaction = vacuum;
    for (Node r : list(body, "rels")) {
      Node vr, rv;
      if (node_type(r, vr) != "VacuumRelation" || !field(vr, "relation", rv)) continue;
      Action& a =
          add_action(c, full ? ActionKind::VacuumFull : ActionKind::OtherAlter, relation(c, rv),
                     full ? LockMode::AccessExclusive : LockMode::ShareUpdateExclusive, st.loc.offset);
      a.rewrites = full;
    }
  } else if (type == "ClusterStmt") {
    model::RelationName rel;
    relation_field(c, body, "relation", rel);
    add_action(c, ActionKind::Cluster, rel, LockMode::AccessExclusive, st.loc.offset).rewrites = true;
  } else if (type == "RefreshMatViewStmt") {
    model::RelationName rel;
    relation_field(c, body, "relation", rel);
    bool concurrent = flag(body, "concurrent");
    Action& a = add_action(c, ActionKind::OtherAlter, rel,
                           concurrent ? LockMode::Exclusive : LockMode::AccessExclusive, st.loc.offset);
    a.detail = "refresh materialized view";
    // Without CONCURRENTLY the view is filled into a new file (new relfilenode) under ACCESS
    // EXCLUSIVE: readers wait for the whole query, as for a rewrite (measured on PG 15).
    a.rewrites = !concurrent;
  } else if (type == "AlterEnumStmt") {
    st.enum_type = dotted_name(list(body, "typeName"));
    if (str(body, "oldVal").empty()) {
      st.enum_value = std::string(str(body, "newVal"));
      // Literals of this statement are its own new value, not a use of it.
      st.string_literals.clear();
    }
  } else if (type == "InsertStmt" || type == "UpdateStmt" || type == "DeleteStmt" || type == "MergeStmt") {
    if (type == "MergeStmt") needs_postgres(c, 15, "MERGE");
    st.cls = StatementClass::Dml;
    dml_target(c, body, "relation",
               type == "InsertStmt"   ? "INSERT"
               : type == "UpdateStmt" ? "UPDATE"
               : type == "DeleteStmt" ? "DELETE"
                                      : "MERGE");
    if (type == "InsertStmt") insert_select_sources(c, body);
  } else if (type == "LockStmt") {
    // LOCK TABLE takes the mode it names (PostgreSQL's LOCKMODE numbers, 1 = ACCESS SHARE … 8 =
    // ACCESS EXCLUSIVE, the order of model::LockMode) on each table until the transaction ends.
    // Locks only, changes nothing: neither a schema nor a data change.
    st.cls = StatementClass::Query;
    int64_t mode = integer(body, "mode", 8);
    LockMode lock = mode >= 1 && mode <= 8 ? static_cast<LockMode>(mode) : LockMode::AccessExclusive;
    for (Node r : list(body, "relations")) {
      Node rv;
      if (node_type(r, rv) == "RangeVar")
        add_action(c, ActionKind::LockTable, relation(c, rv), lock, st.loc.offset);
    }
  } else if (type == "CopyStmt") {
    st.cls = flag(body, "is_from") ? StatementClass::Dml : StatementClass::Query;
    if (st.cls == StatementClass::Dml) dml_target(c, body, "relation", "COPY");
    // No file and no program: the rows come from the client, in the lines after the statement.
    st.copy_from_stdin =
        st.cls == StatementClass::Dml && str(body, "filename").empty() && !flag(body, "is_program");
  } else if (type == "CreateExtensionStmt") {
    st.created_extension = std::string(str(body, "extname"));
  } else if (type == "CreateFunctionStmt") {
    if (flag(body, "is_procedure")) needs_postgres(c, 11, "CREATE PROCEDURE");
  } else if (type == "DoStmt" || type == "CallStmt") {
    if (type == "CallStmt") needs_postgres(c, 11, "CALL (procedures)");
    st.cls = StatementClass::Dml;  // procedural code: assume it changes data
  } else if (type == "SelectStmt" || type == "ExplainStmt") {
    st.cls = StatementClass::Query;
    Node into;
    model::RelationName rel;
    if (field(body, "intoClause", into) && relation_field(c, into, "rel", rel)) {
      st.cls = StatementClass::Ddl;
      add_action(c, ActionKind::CreateTable, rel, LockMode::None, st.loc.offset);
    }
  } else if (type == "TransactionStmt") {
    st.cls = StatementClass::Transaction;
    std::string_view kind = str(body, "kind");
    st.tx = (kind == "TRANS_STMT_BEGIN" || kind == "TRANS_STMT_START") ? TxControl::Begin
            : (kind == "TRANS_STMT_COMMIT")                            ? TxControl::Commit
            : (kind == "TRANS_STMT_ROLLBACK")                          ? TxControl::Rollback
                                                                       : TxControl::Other;
  } else if (type == "VariableSetStmt") {
    st.cls = StatementClass::Session;
    st.set_name = std::string(str(body, "name"));
    st.set_local = flag(body, "is_local");
    for (Node arg : list(body, "args")) {
      Node k;
      if (node_type(arg, k) != "A_Const") continue;
      Node v;
      if (field(k, "sval", v)) st.set_value = std::string(str(v, "sval"));
      if (field(k, "ival", v)) st.set_value = std::to_string(integer(v, "ival", 0));
    }
    if (str(body, "kind") != "VAR_SET_VALUE") st.set_value = "DEFAULT";
    lexing_set(c, body, st.set_local ? "SET LOCAL" : "SET", true);
    // SET search_path TO a, b (SET SCHEMA 'a' too), SET … TO DEFAULT, RESET search_path, RESET ALL.
    if (st.set_name == "search_path" || str(body, "kind") == "VAR_RESET_ALL") {
      st.sets_search_path = true;
      if (str(body, "kind") == "VAR_SET_VALUE")
        for (Node arg : list(body, "args")) {
          Node k, v;
          if (node_type(arg, k) == "A_Const" && field(k, "sval", v))
            st.search_path.emplace_back(str(v, "sval"));
        }
    }
  } else if (type == "CreatedbStmt" || type == "DropdbStmt" || type == "AlterSystemStmt" ||
             type == "CreateTableSpaceStmt" || type == "DropTableSpaceStmt") {
    st.cannot_run_in_transaction = true;
  }
  // ALTER ROLE/DATABASE … SET: the sessions that start afterwards lex with it; ALTER SYSTEM: after
  // a reload, every session whose value came from the configuration files, this one included.
  Node set;
  if ((type == "AlterRoleSetStmt" || type == "AlterDatabaseSetStmt" || type == "AlterSystemStmt") &&
      field(body, "setstmt", set))
    lexing_set(c, set,
               type == "AlterRoleSetStmt"       ? "ALTER ROLE …"
               : type == "AlterDatabaseSetStmt" ? "ALTER DATABASE …"
                                                : "ALTER SYSTEM",
               false);
}

}  // namespace sm::sql
