#include "adapters/django/django_fix.h"

#include <fmt/format.h>
#include <simdjson.h>

#include <filesystem>
#include <map>
#include <stdexcept>

#include "report/sanitize.h"
#include "util/file_read.h"
#include "util/sha256.h"
#include "util/subprocess.h"

namespace sm::django {

namespace fs = std::filesystem;

namespace {

constexpr std::string_view kResultPrefix = "@@safemigrate-fix ";

// The operations fix_migrations.py rewrites, for the rules whose findings the rewrite ends.
bool rewritable(const model::Operation& op, std::string_view rule) {
  if (rule == "require-concurrent-index-creation") return op.kind == "AddIndex" || op.kind == "AlterField";
  if (rule == "require-concurrent-index-deletion") return op.kind == "RemoveIndex";
  return false;
}

// The operation a finding is about ("operation 2: AddIndex", as checks/rule.cpp labels it).
const model::Operation* operation_of(const model::Migration& m, const model::Finding& f) {
  for (const model::Operation& op : m.operations)
    if (f.operation == "operation " + std::to_string(op.index) + ": " + op.kind) return &op;
  return nullptr;
}

std::string canonical(const std::string& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? p : c.string();
}

std::string str(simdjson::dom::element e, const char* key) {
  std::string_view v;
  if (e[key].get_string().get(v) != simdjson::SUCCESS) return {};
  return std::string(v);
}

}  // namespace

std::vector<app::MigrationFix> fix_django_set(const model::MigrationSet& set,
                                              const std::vector<app::FixTarget>& targets,
                                              const app::FixSettings& settings) {
  std::vector<app::MigrationFix> out;
  // Per target: the findings of each operation that the rewrite ends.
  std::vector<std::map<size_t, std::vector<const model::Finding*>>> ops(targets.size());
  std::string request;
  for (size_t t = 0; t < targets.size(); ++t) {
    const model::Migration& m = set.migrations[targets[t].index];
    app::MigrationFix mf;
    mf.migration = m.id;
    mf.file = m.main_file() ? m.main_file()->path : m.directory;
    // The plan is an export: a file that changed since would be rewritten from operations the
    // findings do not describe.
    std::string stale;
    if (const model::SourceFile* main = m.main_file()) {
      util::FileReadResult bytes = util::read_whole_file(main->path, settings.max_file_size);
      if (!bytes.ok) throw std::runtime_error(bytes.error);
      if (util::sha256_hex(bytes.bytes) != main->sha256)
        stale =
            "the migration file changed since the plan was exported; export the plan again and run fix again";
    }
    for (const model::Finding* f : targets[t].findings) {
      // non-atomic-migration's rewrite is Prisma's (BEGIN; … COMMIT; in a migration.sql); in Django
      // it is an atomic = False migration, the author's choice, and fix says nothing of it.
      if (f->rule == "non-atomic-migration") continue;
      const model::Operation* op = operation_of(m, *f);
      if (!stale.empty())
        mf.left.push_back({f->rule, f->loc.line, stale});
      else if (!op || !rewritable(*op, f->rule))
        mf.left.push_back(
            {f->rule, f->loc.line,
             "fix rewrites Django's AddIndex, RemoveIndex and AlterField gaining db_index=True (into their "
             "concurrent form); this one is the author's to change"});
      else
        ops[t][op->index].push_back(f);
    }
    if (!ops[t].empty()) {
      std::string indexes;
      for (const auto& [i, fs_] : ops[t]) indexes += (indexes.empty() ? "" : ", ") + std::to_string(i);
      request += fmt::format("{}{{\"app\": \"{}\", \"name\": \"{}\", \"operations\": [{}]}}",
                             request.empty() ? "" : ", ", m.app, m.id.substr(m.app.size() + 1), indexes);
    }
    out.push_back(std::move(mf));
  }
  if (request.empty()) return out;

  const auto& dj = set.django;
  if (dj.settings.empty())
    throw std::runtime_error(
        set.source +
        " does not name the project's settings module; export it again with export_plan.py "
        "--settings MODULE");
  util::ProcessSpec spec;
  std::string project_dir =
      !dj.project_dir.empty() ? dj.project_dir : fs::absolute(set.source).parent_path().string();
  spec.argv = {dj.python.empty() ? "python3" : dj.python,
               "-c",
               kFixMigrationsSource,
               "--settings",
               dj.settings,
               "--project-dir",
               project_dir};
  spec.cwd = project_dir;
  if (!dj.pythonpath.empty()) spec.env.emplace_back("PYTHONPATH", dj.pythonpath);
  std::string result, other;
  int code;
  {
    util::Process p(spec);
    p.send("{\"migrations\": [" + request + "]}\n");
    code = p.wait([&](const std::string& line) {
      if (line.rfind(kResultPrefix, 0) == 0)
        result = line.substr(kResultPrefix.size());
      else
        other += line + "\n";
    });
  }
  if (code != 0 || result.empty())
    throw std::runtime_error(
        fmt::format("the project's Python ({}) could not rewrite the migrations (exit {}): {}", spec.argv[0],
                    code, other));
  simdjson::dom::parser parser;
  simdjson::dom::element doc;
  simdjson::dom::array results;
  if (parser.parse(result).get(doc) != simdjson::SUCCESS ||
      doc["results"].get_array().get(results) != simdjson::SUCCESS)
    throw std::runtime_error("fix_migrations.py answered something that is not its JSON");
  std::map<std::string, simdjson::dom::element> by_id;
  for (simdjson::dom::element r : results) by_id[str(r, "app") + "." + str(r, "name")] = r;
  for (size_t t = 0; t < targets.size(); ++t) {
    if (ops[t].empty()) continue;
    app::MigrationFix& mf = out[t];
    const model::Migration& m = set.migrations[targets[t].index];
    auto it = by_id.find(m.id);
    if (it == by_id.end()) throw std::runtime_error("fix_migrations.py said nothing about " + m.id);
    simdjson::dom::element r = it->second;
    auto findings_of = [&](simdjson::dom::element e) -> const std::vector<const model::Finding*>& {
      int64_t i = 0;
      static const std::vector<const model::Finding*> none;
      if (e["operation"].get_int64().get(i) != simdjson::SUCCESS) return none;
      auto f = ops[t].find(static_cast<size_t>(i));
      return f == ops[t].end() ? none : f->second;
    };
    simdjson::dom::array left, changes;
    if (r["left"].get_array().get(left) == simdjson::SUCCESS)
      for (simdjson::dom::element l : left)
        for (const model::Finding* f : findings_of(l))
          mf.left.push_back({f->rule, f->loc.line, str(l, "why")});
    if (r["changes"].get_array().get(changes) != simdjson::SUCCESS || changes.size() == 0) continue;
    std::string file = str(r, "file");
    if (canonical(file) != canonical(mf.file))
      throw std::runtime_error(
          fmt::format("Django loads {} from {}, the plan has it in {}; export the plan again", m.id,
                      report::printable(file), report::printable(mf.file)));
    for (simdjson::dom::element c : changes)
      for (const model::Finding* f : findings_of(c))
        mf.changes.push_back({f->rule, f->loc.line, str(c, "what"), str(c, "into")});
    mf.files.push_back({str(r, "new_file"), "", str(r, "new_text"), true});
    mf.files.push_back({mf.file, str(r, "before"), str(r, "after"), false});
  }
  return out;
}

}  // namespace sm::django
