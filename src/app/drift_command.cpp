#include "app/drift_command.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <libpq-fe.h>
#include <re2/re2.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cctype>
#include <chrono>
#include <filesystem>
#include <memory>
#include <ostream>
#include <random>
#include <sstream>

#include "app/framework.h"
#include "app/history_support.h"
#include "db/catalog.h"
#include "db/database.h"
#include "report/sanitize.h"

namespace sm::app {

namespace {

// `url` (as libpq reads it) naming database `dbname` instead, with Prisma's schema: a
// postgresql:///DB?key=value… URI holding every parameter libpq read from the original.
std::string url_for_database(const db::DatabaseUrl& url, const std::string& dbname) {
  char* error = nullptr;
  PQconninfoOption* opts = PQconninfoParse(url.libpq.c_str(), &error);
  if (!opts) {
    std::string msg = error ? error : "cannot read the URL";
    PQfreemem(error);
    throw InputError(msg);
  }
  std::string out =
      "postgresql:///" + db::percent_encode(dbname) + "?schema=" + db::percent_encode(url.schema);
  for (PQconninfoOption* o = opts; o->keyword; ++o)
    if (o->val && *o->val && std::string_view(o->keyword) != "dbname")
      out += std::string("&") + o->keyword + "=" + db::percent_encode(o->val);
  PQconninfoFree(opts);
  return out;
}

// A temporary database on the target's server: created here, dropped by the destructor, and by a
// guard process when safemigrate dies before that (a signal, even SIGKILL). The guard holds the
// read end of a pipe whose only writer is this process: at EOF without the "done" byte it
// connects to the target and drops the database (WITH (FORCE): the dead process's backend may
// still be running a statement there).
class ScratchDatabase {
 public:
  ScratchDatabase(db::Database& target, std::ostream& out) : target_(target) {
    std::random_device rd;
    name_ = fmt::format("safemigrate_drift_{}_{:08x}", static_cast<int>(getpid()), rd());
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe2 failed");
    std::string conninfo = target.url().libpq;
    std::string drop = "DROP DATABASE IF EXISTS " + target.quote_name(name_) + " WITH (FORCE)";
    out.flush();
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork failed");
    if (pid == 0) {
      // The guard: only its pipe end stays open (the parent's connections are not its to close).
      signal(SIGINT, SIG_IGN);
      signal(SIGTERM, SIG_IGN);
      signal(SIGHUP, SIG_IGN);
      signal(SIGPIPE, SIG_IGN);
      for (int fd = 0; fd < 1024; ++fd)
        if (fd != fds[0]) close(fd);
      char c = 0;
      ssize_t n;
      while ((n = read(fds[0], &c, 1)) < 0 && errno == EINTR) {
      }
      if (n == 1 && c == 'd') _exit(0);
      PGconn* conn = PQconnectdb(conninfo.c_str());
      if (PQstatus(conn) == CONNECTION_OK) PQclear(PQexec(conn, drop.c_str()));
      PQfinish(conn);
      _exit(0);
    }
    close(fds[0]);
    guard_ = pid;
    pipe_ = fds[1];
    try {
      target_.exec("CREATE DATABASE " + target_.quote_name(name_));
    } catch (...) {
      release(true);
      throw;
    }
    created_ = true;
    url_ = url_for_database(target_.url(), name_);
  }
  ~ScratchDatabase() {
    bool dropped = !created_;
    if (created_) {
      try {
        if (target_.conn().is_open()) {
          target_.exec("DROP DATABASE IF EXISTS " + target_.quote_name(name_) + " WITH (FORCE)");
          dropped = true;
        }
      } catch (const std::exception&) {
        // The guard drops it when the pipe closes without "done".
      }
    }
    release(dropped);
  }
  ScratchDatabase(const ScratchDatabase&) = delete;
  ScratchDatabase& operator=(const ScratchDatabase&) = delete;
  const std::string& url() const { return url_; }
  const std::string& name() const { return name_; }

 private:
  // Tells the guard whether the database is gone ("done") and waits for it to exit.
  void release(bool dropped) {
    if (dropped) (void)!write(pipe_, "d", 1);
    close(pipe_);
    int st = 0;
    while (waitpid(guard_, &st, 0) < 0 && errno == EINTR) {
    }
  }

  db::Database& target_;
  std::string name_, url_;
  pid_t guard_ = -1;
  int pipe_ = -1;
  bool created_ = false;
};

// Leaves out the objects `exclude` names ("schema.name"; a table's objects by the table's name).
void apply_exclusions(model::Catalog& c, const std::vector<std::unique_ptr<RE2>>& exclude) {
  if (exclude.empty()) return;
  std::erase_if(c.objects, [&](const model::CatalogObject& o) {
    std::string name = o.kind == model::ObjectKind::Schema || o.kind == model::ObjectKind::Extension
                           ? o.name
                           : o.schema + "." + (o.table.empty() ? o.name : o.table);
    for (const auto& re : exclude)
      if (RE2::FullMatch(name, *re)) return true;
    return false;
  });
}

struct DriftResult {
  std::string database, scratch;
  ReplayOutcome replay;
  std::vector<model::Difference> differences;
};

std::string joined(const std::vector<std::string>& v) {
  return fmt::format("{}", fmt::join(v, ", "));
}

void write_text(std::ostream& out, const DriftResult& r) {
  const ReplayOutcome& h = r.replay;
  out << fmt::format("{}: {} migration(s) recorded as applied in {}, replayed on {} ({})\n", r.database,
                     h.replayed.size(), h.history_table, r.scratch, h.mode);
  if (!h.pending.empty())
    out << fmt::format("pending (not applied yet, so not compared): {}\n", joined(h.pending));
  if (!h.failed.empty())
    out << fmt::format(
        "failed and not resolved (not replayed; what it did before failing shows below as production-only): "
        "{}\n",
        joined(h.failed));
  if (!h.no_script.empty()) out << fmt::format("no migration.sql (not replayed): {}\n", joined(h.no_script));
  if (!h.missing_locally.empty())
    out << fmt::format(
        "recorded as applied but missing locally (not replayed; what it made shows below as "
        "production-only): {}\n",
        joined(h.missing_locally));
  if (!h.edited.empty())
    out << fmt::format(
        "edited after it was applied (the local file was replayed, production ran the earlier one): {}\n",
        joined(h.edited));
  for (const std::string& n : h.not_replayed) out << "not replayed: " << n << "\n";
  if (!h.unmanaged_tables.empty())
    out << fmt::format("left out: {} table(s) of models Django does not manage (Meta.managed = False): {}\n",
                       h.unmanaged_tables.size(), joined(h.unmanaged_tables));
  if (r.differences.empty()) {
    out << "no drift: the database holds what its applied migrations make\n";
    return;
  }
  out << "\n";
  for (const model::Difference& d : r.differences) {
    const char* what = d.side == model::DriftSide::ProductionOnly   ? "only in production"
                       : d.side == model::DriftSide::MigrationsOnly ? "missing from production"
                                                                    : "differs";
    out << fmt::format("{}: {}\n", d.object, what);
    if (d.side == model::DriftSide::Differs) {
      for (const model::AttrDifference& a : d.attrs)
        out << fmt::format("    {}: production {}, migrations {}\n", a.attr,
                           a.production.empty() ? "(none)" : a.production,
                           a.migrations.empty() ? "(none)" : a.migrations);
    } else {
      if (!d.production.empty()) out << "    production: " << d.production << "\n";
      if (!d.migrations.empty()) out << "    migrations: " << d.migrations << "\n";
    }
    out << "    to bring production back to the migrations:\n";
    for (const std::string& s : d.fix) out << "      " << s << "\n";
    if (!d.adopt.empty()) {
      out << "    or, to keep it, a new migration:\n";
      for (const std::string& s : d.adopt) out << "      " << s << "\n";
    }
  }
  out << fmt::format("\n{} difference(s). The SQL that brings production back to the migrations, in order:\n",
                     r.differences.size());
  for (const model::Difference& d : r.differences)
    for (const std::string& s : d.fix) out << s << "\n";
}

std::string json_list(const std::vector<std::string>& v) {
  std::string s = "[";
  for (size_t i = 0; i < v.size(); ++i) s += (i ? ", " : "") + report::json_quote(v[i]);
  return s + "]";
}

void write_json(std::ostream& out, const DriftResult& r) {
  using report::json_quote;
  const ReplayOutcome& h = r.replay;
  out << "{\n  \"version\": 1,\n  \"database\": " << json_quote(r.database)
      << ",\n  \"history_table\": " << json_quote(h.history_table) << ",\n  \"mode\": " << json_quote(h.mode)
      << ",\n  \"replayed\": " << json_list(h.replayed) << ",\n  \"edited\": " << json_list(h.edited)
      << ",\n  \"pending\": " << json_list(h.pending) << ",\n  \"failed\": " << json_list(h.failed)
      << ",\n  \"missing_locally\": " << json_list(h.missing_locally)
      << ",\n  \"no_script\": " << json_list(h.no_script)
      << ",\n  \"not_replayed\": " << json_list(h.not_replayed)
      << ",\n  \"unmanaged_tables\": " << json_list(h.unmanaged_tables)
      << ",\n  \"drift\": " << (r.differences.empty() ? "false" : "true") << ",\n  \"differences\": [";
  for (size_t i = 0; i < r.differences.size(); ++i) {
    const model::Difference& d = r.differences[i];
    out << (i ? ",\n" : "\n") << "    {\"kind\": " << json_quote(model::object_kind_name(d.kind))
        << ", \"object\": " << json_quote(d.object)
        << ", \"side\": " << json_quote(model::drift_side_name(d.side))
        << ", \"production\": " << json_quote(d.production)
        << ", \"migrations\": " << json_quote(d.migrations) << ", \"attributes\": [";
    for (size_t j = 0; j < d.attrs.size(); ++j)
      out << (j ? ", " : "") << "{\"name\": " << json_quote(d.attrs[j].attr)
          << ", \"production\": " << json_quote(d.attrs[j].production)
          << ", \"migrations\": " << json_quote(d.attrs[j].migrations) << "}";
    out << "], \"fix\": " << json_list(d.fix) << ", \"adopt\": " << json_list(d.adopt) << "}";
  }
  out << (r.differences.empty() ? "]" : "\n  ]") << "\n}\n";
}

// GitHub Actions annotations: one error per difference (no file: drift is about the database).
void write_github(std::ostream& out, const DriftResult& r) {
  auto escape = [](const std::string& s) {
    std::string o;
    for (char c : report::printable(s, true)) {
      if (c == '%')
        o += "%25";
      else if (c == '\r')
        o += "%0D";
      else if (c == '\n')
        o += "%0A";
      else
        o += c;
    }
    return o;
  };
  for (const model::Difference& d : r.differences) {
    std::string msg =
        fmt::format("{} ({}); fix: {}", d.object, model::drift_side_name(d.side), joined(d.fix));
    out << "::error title=drift::" << escape(msg) << "\n";
  }
  if (!r.replay.pending.empty())
    out << "::notice title=drift::" << escape("pending, not compared: " + joined(r.replay.pending)) << "\n";
  if (!r.replay.failed.empty())
    out << "::warning title=drift::" << escape("failed and not resolved: " + joined(r.replay.failed)) << "\n";
  for (const std::string& n : r.replay.not_replayed)
    out << "::warning title=drift::" << escape("not replayed: " + n) << "\n";
}

// SARIF 2.1.0: one result per difference (rule drift/<side>, level error), then the history that
// was not compared (drift/history, level note or warning). No line: drift is about the database;
// each result points at the migrations (folder or plan) it was compared with.
void write_sarif(std::ostream& out, const DriftResult& r, const std::string& local) {
  using report::json_quote;
  struct Rule {
    const char* id;
    const char* text;
  };
  static const Rule rules[] = {
      {"drift/production-only", "An object the database has that its applied migrations do not make"},
      {"drift/migrations-only", "An object the applied migrations make that the database lacks"},
      {"drift/differs", "An object whose definition in the database differs from what the migrations make"},
      {"drift/history",
       "Migrations that were not compared: pending, failed, missing locally or not replayed"}};
  std::string uri;  // a relative URI reference: the path's bytes, percent-encoded where they must be
  for (unsigned char c : local) {
    if (std::isalnum(c) || std::string_view("-._~/").find(static_cast<char>(c)) != std::string_view::npos)
      uri += static_cast<char>(c);
    else
      uri += fmt::format("%{:02X}", c);
  }
  if (std::filesystem::is_directory(local) && !uri.empty() && uri.back() != '/') uri += '/';
  out << "{\n  \"$schema\": \"https://json.schemastore.org/sarif-2.1.0.json\",\n  \"version\": \"2.1.0\",\n"
      << "  \"runs\": [\n    {\n      \"tool\": {\"driver\": {\"name\": \"safemigrate\", \"rules\": [";
  for (size_t i = 0; i < std::size(rules); ++i)
    out << (i ? ",\n" : "\n") << "        {\"id\": " << json_quote(rules[i].id)
        << ", \"shortDescription\": {\"text\": " << json_quote(rules[i].text) << "}}";
  out << "\n      ]}},\n      \"results\": [";
  bool first = true;
  auto result = [&](size_t rule, const char* level, const std::string& text, const std::string& fingerprint,
                    const std::string& properties) {
    out << (first ? "\n" : ",\n") << "        {\"ruleId\": " << json_quote(rules[rule].id)
        << ", \"ruleIndex\": " << rule << ", \"level\": \"" << level
        << "\", \"message\": {\"text\": " << json_quote(text) << "}";
    if (!uri.empty())
      out << ", \"locations\": [{\"physicalLocation\": {\"artifactLocation\": {\"uri\": " << json_quote(uri)
          << "}}}]";
    out << ", \"partialFingerprints\": {\"safemigrate/drift/v1\": " << json_quote(fingerprint) << "}";
    if (!properties.empty()) out << ", \"properties\": {" << properties << "}";
    out << "}";
    first = false;
  };
  for (const model::Difference& d : r.differences) {
    size_t rule = d.side == model::DriftSide::ProductionOnly   ? 0
                  : d.side == model::DriftSide::MigrationsOnly ? 1
                                                               : 2;
    std::string text = fmt::format("{} {}: {} in {}", model::object_kind_name(d.kind), d.object,
                                   model::drift_side_name(d.side), r.database);
    for (const model::AttrDifference& a : d.attrs)
      text += fmt::format("; {}: production {}, migrations {}", a.attr,
                          a.production.empty() ? "(none)" : a.production,
                          a.migrations.empty() ? "(none)" : a.migrations);
    text += "\nTo bring production back to the migrations: " + joined(d.fix);
    if (!d.adopt.empty()) text += "\nOr, to keep it, a new migration: " + joined(d.adopt);
    result(rule, "error", text, std::string(model::drift_side_name(d.side)) + ":" + d.object,
           "\"kind\": " + json_quote(model::object_kind_name(d.kind)) + ", \"object\": " +
               json_quote(d.object) + ", \"side\": " + json_quote(model::drift_side_name(d.side)) +
               ", \"fix\": " + json_list(d.fix) + ", \"adopt\": " + json_list(d.adopt));
  }
  auto history = [&](const char* what, const char* level, const std::vector<std::string>& names) {
    for (const std::string& n : names)
      result(3, level, fmt::format("{}: {}", what, n), std::string(what) + ":" + n, "");
  };
  history("pending (not applied yet, so not compared)", "note", r.replay.pending);
  history("failed and not resolved", "warning", r.replay.failed);
  history("recorded as applied but missing locally", "warning", r.replay.missing_locally);
  history("no migration.sql (not replayed)", "warning", r.replay.no_script);
  history("not replayed", "warning", r.replay.not_replayed);
  out << (first ? "]\n" : "\n      ]\n") << "    }\n  ]\n}\n";
}

}  // namespace

int run_drift(const DriftOptions& o, std::ostream& out, std::ostream& err) {
  return guarded(err, o.history, [&]() -> int {
    if (o.history.database_url.empty())
      throw InputError("drift needs --database-url (or DATABASE_URL): the database to compare");
    // The framework reads the local migrations first: an unreadable folder or plan is an input
    // error before any database is touched.
    std::unique_ptr<Project> project = framework_for(o.history.paths).open(o.history, Purpose::Drift);
    if (o.format != "text" && o.format != "json" && o.format != "github" && o.format != "sarif")
      throw InputError("--format: text, json, sarif or github");
    std::vector<std::unique_ptr<RE2>> exclude;
    for (const std::string& p : o.exclude) {
      auto re = std::make_unique<RE2>(p, RE2::Quiet);
      if (!re->ok()) throw InputError(fmt::format("--exclude {}: {}", p, re->error()));
      exclude.push_back(std::move(re));
    }
    auto target = connect(o.history);
    std::unique_ptr<ScratchDatabase> temp;
    std::string scratch_url = o.shadow_database_url;
    if (scratch_url.empty()) {
      try {
        temp = std::make_unique<ScratchDatabase>(*target, err);
      } catch (const pqxx::failure& e) {
        throw db::DbError(
            fmt::format("cannot create a temporary database on {}'s server to replay the migrations on ({}); "
                        "give an empty "
                        "one with --shadow-database-url",
                        target->url().display, clean_error(e.what())));
      }
      scratch_url = temp->url();
    }
    HistoryOptions so = o.history;
    so.database_url = scratch_url;
    std::unique_ptr<db::Database> scratch;
    try {
      scratch = connect(so);
    } catch (const db::DbError& e) {
      throw db::DbError(std::string("shadow database: ") + e.what());
    }
    if (!temp) {
      // A database that already holds objects would show them as drift (or make a migration fail).
      model::Catalog before = db::read_catalog(*scratch, db::CatalogFilter{{}});
      for (const model::CatalogObject& x : before.objects)
        if (x.kind != model::ObjectKind::Schema && x.kind != model::ObjectKind::Extension)
          throw InputError(fmt::format("the shadow database {} is not empty ({} is there): give an empty one",
                                       scratch->url().display, x.display()));
    }
    DriftResult r;
    r.database = target->url().display;
    r.scratch = temp ? "a temporary database (" + temp->name() + ")" : scratch->url().display;
    std::ostringstream replay_log;
    using Clock = std::chrono::steady_clock;
    const auto t0 = Clock::now();
    r.replay = project->replay(*target, *scratch, so, replay_log);
    const auto t1 = Clock::now();
    if (!r.replay.error.empty()) {
      err << fmt::format(
          "safemigrate: a migration recorded as applied in {} fails when replayed on an empty database, so "
          "the "
          "migrations cannot say what the database should hold:\n{}",
          r.database, r.replay.error);
      return kDriftError;
    }
    // The history tables, and the tables of Django models with Meta.managed = False (legacy tables
    // the project reads; no migration makes them), on both sides.
    db::CatalogFilter filter;
    filter.skip_tables.insert(filter.skip_tables.end(), r.replay.unmanaged_tables.begin(),
                              r.replay.unmanaged_tables.end());
    model::Catalog prod = db::read_catalog(*target, filter);
    const auto t2 = Clock::now();
    model::Catalog mig = db::read_catalog(*scratch, filter);
    const auto t3 = Clock::now();
    apply_exclusions(prod, exclude);
    apply_exclusions(mig, exclude);
    r.differences = model::diff_catalogs(prod, mig);
    const auto t4 = Clock::now();
    // The report first: dropping a scratch database of thousands of relations takes seconds.
    if (o.format == "json")
      write_json(out, r);
    else if (o.format == "github")
      write_github(out, r);
    else if (o.format == "sarif")
      write_sarif(out, r, o.history.paths.empty() ? "" : o.history.paths.front());
    else
      write_text(out, r);
    out.flush();
    scratch.reset();
    temp.reset();
    // Where the time went (on stderr, so that every format's output stays what it is).
    err << fmt::format(
        "drift: replay {}, catalogs read in {} ({} objects) and {} ({} objects), compared in {}, scratch "
        "dropped in {}\n",
        fmt_seconds(t1 - t0), fmt_seconds(t2 - t1), prod.objects.size(), fmt_seconds(t3 - t2),
        mig.objects.size(), fmt_seconds(t4 - t3), fmt_seconds(Clock::now() - t4));
    return r.differences.empty() ? kDriftNone : kDriftFound;
  });
}

}  // namespace sm::app
