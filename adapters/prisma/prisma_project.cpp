#include "adapters/prisma/prisma_project.h"

#include <simdjson.h>

#include <algorithm>
#include <cstdlib>
#include <system_error>
#include <vector>

#include "adapters/prisma/prisma_project_paths.h"
#include "util/file_read.h"

namespace sm::prisma {

namespace fs = std::filesystem;

namespace {

constexpr uint64_t kMaxConfigSize = 4ull * 1024 * 1024;

// A token of TypeScript (or Prisma schema) text; enough to read object literals and calls.
struct Tok {
  enum class Kind { Ident, Str, Punct, Other, End };
  Kind kind = Kind::End;
  std::string text;
  uint32_t line = 0;
};

bool ident_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}
bool ident_char(char c) {
  return ident_start(c) || (c >= '0' && c <= '9');
}

std::vector<Tok> tokenize(std::string_view s) {
  std::vector<Tok> out;
  uint32_t line = 1;
  size_t i = 0;
  while (i < s.size()) {
    char c = s[i];
    if (c == '\n') {
      ++line, ++i;
      continue;
    }
    if (c == ' ' || c == '\t' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '/') {
      while (i < s.size() && s[i] != '\n') ++i;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      i += 2;
      while (i < s.size() && !(s[i] == '*' && i + 1 < s.size() && s[i + 1] == '/')) line += s[i++] == '\n';
      i += 2;
      continue;
    }
    Tok t;
    t.line = line;
    if (c == '"' || c == '\'' || c == '`') {
      // A template with ${…} is computed; other strings are literals (common escapes decoded).
      t.kind = Tok::Kind::Str;
      ++i;
      while (i < s.size() && s[i] != c) {
        if (s[i] == '\\' && i + 1 < s.size()) {
          char e = s[i + 1];
          t.text += e == 'n' ? '\n' : e == 't' ? '\t' : e;
          i += 2;
          continue;
        }
        if (c == '`' && s[i] == '$' && i + 1 < s.size() && s[i + 1] == '{') t.kind = Tok::Kind::Other;
        if (s[i] == '\n') ++line;
        t.text += s[i++];
      }
      ++i;
    } else if (ident_start(c)) {
      t.kind = Tok::Kind::Ident;
      while (i < s.size() && ident_char(s[i])) t.text += s[i++];
    } else if (c >= '0' && c <= '9') {
      t.kind = Tok::Kind::Other;
      while (i < s.size() && (ident_char(s[i]) || s[i] == '.')) t.text += s[i++];
    } else {
      t.kind = Tok::Kind::Punct;
      t.text = std::string(1, c);
      ++i;
    }
    out.push_back(std::move(t));
  }
  Tok end;
  end.line = line;
  out.push_back(end);
  return out;
}

class ObjectReader {
 public:
  ObjectReader(const std::vector<Tok>& toks, ConfigValues& out) : t_(toks), out_(out) {}

  // Reads the object literal opening at t_[i]; returns the index after its '}'.
  size_t object(size_t i, const std::string& prefix) {
    ++i;  // '{'
    while (!end(i) && !punct(i, "}")) {
      if (punct(i, ".") && punct(i + 1, ".") && punct(i + 2, ".")) {
        computed(prefix + "*", t_[i].line);
        i = skip_value(i + 3);
      } else if (t_[i].kind == Tok::Kind::Ident || t_[i].kind == Tok::Kind::Str) {
        std::string key = prefix + t_[i].text;
        uint32_t line = t_[i].line;
        if (punct(i + 1, ":")) {
          i = value(i + 2, key);
        } else {  // shorthand `{ schema }`, a method, a getter: computed
          computed(key, line);
          i = skip_value(i + 1);
        }
      } else {  // a computed key `[x]: …`
        computed(prefix + "*", t_[i].line);
        i = skip_value(i);
      }
      if (punct(i, ",")) ++i;
    }
    return end(i) ? i : i + 1;
  }

 private:
  bool end(size_t i) const { return i >= t_.size() || t_[i].kind == Tok::Kind::End; }
  bool punct(size_t i, const char* p) const {
    return !end(i) && t_[i].kind == Tok::Kind::Punct && t_[i].text == p;
  }
  bool ident(size_t i, const char* p) const {
    return !end(i) && t_[i].kind == Tok::Kind::Ident && t_[i].text == p;
  }
  void computed(const std::string& key, uint32_t line) {
    out_.values[key] = ConfigValue{ConfigValue::Kind::Computed, "", line};
  }
  // The index of the ',' or '}' ending the value that starts at i (brackets balanced).
  size_t skip_value(size_t i) const {
    int depth = 0;
    for (; !end(i); ++i) {
      if (t_[i].kind != Tok::Kind::Punct) continue;
      const std::string& p = t_[i].text;
      if (depth == 0 && (p == "," || p == "}")) return i;
      if (p == "(" || p == "[" || p == "{") ++depth;
      if (p == ")" || p == "]" || p == "}") --depth;
    }
    return i;
  }
  // After a value: `as const` or `satisfies T` may follow; anything else makes it computed.
  size_t finish(size_t i, const std::string& key, ConfigValue v) {
    if (ident(i, "as") || ident(i, "satisfies")) i = skip_value(i);
    if (punct(i, ",") || punct(i, "}")) {
      out_.values[key] = std::move(v);
      return i;
    }
    computed(key, v.line);
    return skip_value(i);
  }
  size_t value(size_t i, const std::string& key) {
    if (end(i)) return i;
    uint32_t line = t_[i].line;
    if (t_[i].kind == Tok::Kind::Str)
      return finish(i + 1, key, {ConfigValue::Kind::Literal, t_[i].text, line});
    if (punct(i, "{")) {
      out_.values[key] = ConfigValue{ConfigValue::Kind::Literal, "", line};  // an object: the key exists
      return object(i, key + ".");
    }
    if (ident(i, "env")) {  // env("X") or env<Env>("X") from prisma/config
      size_t j = i + 1;
      if (punct(j, "<")) {
        int depth = 0;
        for (; !end(j); ++j) {
          if (punct(j, "<")) ++depth;
          if (punct(j, ">") && --depth == 0) break;
        }
        ++j;
      }
      if (punct(j, "(") && !end(j + 1) && t_[j + 1].kind == Tok::Kind::Str && punct(j + 2, ")"))
        return finish(j + 3, key, {ConfigValue::Kind::Env, t_[j + 1].text, line});
    }
    if (ident(i, "process") && punct(i + 1, ".") && ident(i + 2, "env")) {
      if (punct(i + 3, ".") && !end(i + 4) && t_[i + 4].kind == Tok::Kind::Ident)
        return finish(i + 5, key, {ConfigValue::Kind::Env, t_[i + 4].text, line});
      if (punct(i + 3, "[") && !end(i + 4) && t_[i + 4].kind == Tok::Kind::Str && punct(i + 5, "]"))
        return finish(i + 6, key, {ConfigValue::Kind::Env, t_[i + 4].text, line});
    }
    computed(key, line);
    return skip_value(i);
  }

  const std::vector<Tok>& t_;
  ConfigValues& out_;
};

std::string read_text(const fs::path& p) {
  util::FileReadResult r = util::read_whole_file(p, kMaxConfigSize);
  if (!r.ok) throw ProjectError(r.error);
  if (r.bytes.starts_with("\xEF\xBB\xBF")) r.bytes.erase(0, 3);
  return std::move(r.bytes);
}

bool path_exists(const fs::path& p) {
  std::error_code ec;
  return fs::exists(p, ec);
}
bool is_dir(const fs::path& p) {
  std::error_code ec;
  return fs::is_directory(p, ec);
}

// Shown relative to the project's folder when inside it.
std::string shown(const fs::path& p, const fs::path& root) {
  std::error_code ec;
  fs::path rel = fs::relative(p, root, ec);
  if (ec || rel.empty() || rel.native().starts_with("..")) return p.string();
  return rel.string();
}

// The .prisma file of a schema folder holding the datasource block (Prisma keeps migrations
// beside it), or nullopt.
std::optional<fs::path> datasource_file(const fs::path& folder) {
  std::error_code ec;
  std::vector<fs::path> files;
  for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec))
    if (it->path().extension() == ".prisma" && it->is_regular_file(ec)) files.push_back(it->path());
  std::sort(files.begin(), files.end());
  for (const fs::path& f : files)
    if (read_schema_datasource(read_text(f)).values.count("datasource")) return f;
  return std::nullopt;
}

}  // namespace

ConfigValues read_config_ts(std::string_view text) {
  ConfigValues out;
  const std::vector<Tok> toks = tokenize(text);
  ObjectReader reader(toks, out);
  for (size_t i = 0; i + 1 < toks.size(); ++i) {
    const Tok& t = toks[i];
    if (t.kind == Tok::Kind::Str &&
        (t.text == "dotenv" || t.text.starts_with("dotenv/") || t.text.starts_with("@dotenvx/")))
      out.loads_dotenv = true;
    if (out.found_object) continue;
    // defineConfig({ … }), defineConfig<…>({ … }), export default { … }, module.exports = { … }
    bool opens = false;
    size_t j = i + 1;
    if (t.kind == Tok::Kind::Ident && t.text == "defineConfig") {
      if (toks[j].text == "<")
        while (toks[j].kind != Tok::Kind::End && toks[j].text != ">") ++j;
      if (toks[j].text == ">") ++j;
      opens = toks[j].text == "(" && toks[j + 1].text == "{";
      ++j;
    } else if (t.kind == Tok::Kind::Ident && t.text == "default" && i > 0 && toks[i - 1].text == "export") {
      opens = toks[j].text == "{";
    } else if (t.kind == Tok::Kind::Ident && t.text == "exports" && i > 1 && toks[i - 2].text == "module") {
      opens = toks[j].text == "=" && toks[j + 1].text == "{";
      ++j;
    }
    if (opens && toks[j].kind == Tok::Kind::Punct) {
      out.found_object = true;
      i = reader.object(j, "") - 1;
    }
  }
  return out;
}

ConfigValues read_schema_datasource(std::string_view text) {
  ConfigValues out;
  const std::vector<Tok> toks = tokenize(text);
  for (size_t i = 0; i + 3 < toks.size(); ++i) {
    if (!(toks[i].kind == Tok::Kind::Ident && toks[i].text == "datasource" &&
          toks[i + 1].kind == Tok::Kind::Ident && toks[i + 2].text == "{"))
      continue;
    out.values["datasource"] = ConfigValue{ConfigValue::Kind::Literal, toks[i + 1].text, toks[i].line};
    for (size_t j = i + 3; j + 2 < toks.size() && toks[j].text != "}"; ++j) {
      if (!(toks[j].kind == Tok::Kind::Ident && toks[j].text == "url" && toks[j + 1].text == "=")) continue;
      const Tok& v = toks[j + 2];
      ConfigValue cv{ConfigValue::Kind::Computed, "", toks[j].line};
      if (v.kind == Tok::Kind::Str) cv = {ConfigValue::Kind::Literal, v.text, toks[j].line};
      if (v.kind == Tok::Kind::Ident && v.text == "env" && j + 5 < toks.size() && toks[j + 3].text == "(" &&
          toks[j + 4].kind == Tok::Kind::Str && toks[j + 5].text == ")")
        cv = {ConfigValue::Kind::Env, toks[j + 4].text, toks[j].line};
      out.values["datasource.url"] = cv;
      break;
    }
    break;
  }
  return out;
}

std::optional<PrismaProject> find_prisma_project(const fs::path& dir_in) {
  std::error_code ec;
  const fs::path dir = fs::absolute(dir_in, ec).lexically_normal();
  PrismaProject p;
  p.root = dir;
  ConfigValues config;
  for (const char* name : {"prisma.config.ts", "prisma.config.mts", "prisma.config.cts", "prisma.config.js",
                           "prisma.config.mjs", "prisma.config.cjs"}) {
    if (!path_exists(dir / name)) continue;
    p.config_file = dir / name;
    config = read_config_ts(read_text(dir / name));
    if (!config.found_object)
      throw ProjectError(
          p.config_file->string() +
          ": no defineConfig({ … }) or export default { … } object to read; give the migrations "
          "folder as a path (safemigrate reads the file's literal values, it never runs it)");
    p.config_loads_dotenv = config.loads_dotenv;
    break;
  }
  const std::string config_name = p.config_file ? p.config_file->filename().string() : "";
  auto config_value = [&](const std::string& key) -> const ConfigValue* {
    auto it = config.values.find(key);
    if (it != config.values.end()) return &it->second;
    // A spread (`...base`) in the key's object or any object around it may set the key: not
    // known without running the file.
    for (std::string parent = key; !parent.empty();) {
      size_t dot = parent.rfind('.');
      parent = dot == std::string::npos ? "" : parent.substr(0, dot);
      auto spread = config.values.find(parent.empty() ? "*" : parent + ".*");
      if (spread != config.values.end()) return &spread->second;
    }
    return nullptr;
  };

  const ConfigValue* migrations_path = p.config_file ? config_value("migrations.path") : nullptr;
  const ConfigValue* schema_value = p.config_file ? config_value("schema") : nullptr;
  if (migrations_path && migrations_path->kind != ConfigValue::Kind::Literal)
    throw ProjectError(
        p.config_file->string() + ":" + std::to_string(migrations_path->line) +
        ": migrations.path is computed, and safemigrate reads only literal values (it never runs "
        "the file); give the migrations folder as a path");

  // The schema: the config's, else package.json's "prisma": {"schema"}, else the defaults.
  if (schema_value && schema_value->kind != ConfigValue::Kind::Literal) {
    if (!migrations_path)
      throw ProjectError(p.config_file->string() + ":" + std::to_string(schema_value->line) +
                         ": schema is computed, and safemigrate reads only literal values (it never runs the "
                         "file); give the migrations folder as a path");
  } else if (schema_value) {
    p.schema = (dir / schema_value->text).lexically_normal();
    if (!path_exists(*p.schema))
      throw ProjectError(p.config_file->string() + ":" + std::to_string(schema_value->line) + ": schema " +
                         schema_value->text + " does not exist");
    p.migrations_from = config_name + ":" + std::to_string(schema_value->line) + " schema";
  }
  if (!p.schema && !(schema_value && migrations_path) && path_exists(dir / "package.json")) {
    std::string text = read_text(dir / "package.json");
    simdjson::dom::parser parser;
    simdjson::dom::element root;
    std::string_view schema;
    if (parser.parse(text).get(root) == simdjson::SUCCESS &&
        root["prisma"]["schema"].get_string().get(schema) == simdjson::SUCCESS) {
      p.schema = (dir / std::string(schema)).lexically_normal();
      if (!path_exists(*p.schema))
        throw ProjectError((dir / "package.json").string() + ": prisma.schema " + std::string(schema) +
                           " does not exist");
      p.migrations_from = "package.json prisma.schema";
    }
  }
  if (!p.schema) {
    for (const char* rel : {"prisma/schema.prisma", "prisma/schema", "schema.prisma"}) {
      if (path_exists(dir / rel)) {
        p.schema = dir / rel;
        p.migrations_from = std::string("the default schema ") + rel;
        break;
      }
    }
  }
  if (!p.schema && !p.config_file) return std::nullopt;

  // Migrations live beside the file holding the datasource block (Prisma's inferDirectoryConfig),
  // unless the config names the folder.
  p.schema_dir = dir / "prisma";
  fs::path schema_file;
  if (p.schema && is_dir(*p.schema)) {
    std::optional<fs::path> f = datasource_file(*p.schema);
    p.schema_dir = f ? f->parent_path() : *p.schema;
    if (f) schema_file = *f;
  } else if (p.schema) {
    p.schema_dir = p.schema->parent_path();
    schema_file = *p.schema;
  }
  if (migrations_path) {
    p.migrations_dir = (dir / migrations_path->text).lexically_normal();
    p.migrations_from = config_name + ":" + std::to_string(migrations_path->line) + " migrations.path";
  } else {
    p.migrations_dir = p.schema_dir / "migrations";
    if (p.migrations_from.empty()) p.migrations_from = "the default folder";
  }

  // What names the database: the config's datasource.url, else the schema's url.
  if (const ConfigValue* url = p.config_file ? config_value("datasource.url") : nullptr) {
    p.url = *url;
    p.url_file = p.config_file->string();
  } else if (!schema_file.empty()) {
    ConfigValues ds = read_schema_datasource(read_text(schema_file));
    if (auto it = ds.values.find("datasource.url"); it != ds.values.end()) {
      p.url = it->second;
      p.url_file = schema_file.string();
    }
  }
  return p;
}

std::map<std::string, std::string> parse_dotenv(std::string_view text,
                                                const std::map<std::string, std::string>& env) {
  std::map<std::string, std::string> out;
  auto lookup = [&](const std::string& name) -> std::string {
    if (auto it = env.find(name); it != env.end()) return it->second;
    if (auto it = out.find(name); it != out.end()) return it->second;
    return "";
  };
  auto trim = [](std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
    return s;
  };
  while (!text.empty()) {
    size_t nl = text.find('\n');
    std::string_view line = trim(text.substr(0, nl));
    text.remove_prefix(nl == std::string_view::npos ? text.size() : nl + 1);
    if (line.starts_with("export ")) line = trim(line.substr(7));
    size_t eq = line.find('=');
    if (line.empty() || line.front() == '#' || eq == std::string_view::npos) continue;
    std::string key(trim(line.substr(0, eq)));
    std::string_view raw = trim(line.substr(eq + 1));
    std::string value;
    bool expand = true;
    if (!raw.empty() && (raw.front() == '"' || raw.front() == '\'' || raw.front() == '`')) {
      char q = raw.front();
      size_t close = raw.find(q, 1);
      if (close == std::string_view::npos) {  // a multi-line value: up to the closing quote
        std::string_view rest = text;
        size_t end = rest.find(q);
        if (end == std::string_view::npos) continue;
        value = std::string(raw.substr(1)) + "\n" + std::string(rest.substr(0, end));
        size_t after = rest.find('\n', end);
        text.remove_prefix(after == std::string_view::npos ? text.size() : after + 1);
      } else {
        value = std::string(raw.substr(1, close - 1));
      }
      if (q == '"') {
        std::string unescaped;
        for (size_t i = 0; i < value.size(); ++i) {
          if (value[i] == '\\' && i + 1 < value.size() && value[i + 1] == 'n') {
            unescaped += '\n';
            ++i;
          } else {
            unescaped += value[i];
          }
        }
        value = unescaped;
      }
      expand = q != '\'';
    } else {
      size_t hash = raw.find(" #");
      value = std::string(trim(raw.substr(0, hash)));
    }
    if (expand) {  // dotenv-expand: ${NAME} and $NAME
      std::string expanded;
      for (size_t i = 0; i < value.size(); ++i) {
        if (value[i] == '\\' && i + 1 < value.size() && value[i + 1] == '$') {
          expanded += '$';
          ++i;
        } else if (value[i] == '$' && i + 1 < value.size() && value[i + 1] == '{') {
          size_t close = value.find('}', i);
          if (close == std::string::npos) {
            expanded += value.substr(i);
            break;
          }
          expanded += lookup(value.substr(i + 2, close - i - 2));
          i = close;
        } else if (value[i] == '$' && i + 1 < value.size() && ident_start(value[i + 1])) {
          size_t j = i + 1;
          while (j < value.size() && ident_char(value[j])) ++j;
          expanded += lookup(value.substr(i + 1, j - i - 1));
          i = j - 1;
        } else {
          expanded += value[i];
        }
      }
      value = expanded;
    }
    out[key] = value;
  }
  return out;
}

ResolvedUrl prisma_database_url(const PrismaProject& p, const std::optional<PrismaVersion>& version) {
  if (!p.url)
    throw ProjectError("no database URL: " +
                       (p.config_file ? p.config_file->string() + " has no datasource.url"
                                      : std::string("the schema has no datasource url")) +
                       "; give --database-url");
  const std::string where = shown(p.url_file, p.root) + ":" + std::to_string(p.url->line);
  if (p.url->kind == ConfigValue::Kind::Computed)
    throw ProjectError(
        p.url_file + ":" + std::to_string(p.url->line) +
        ": the datasource url is computed, and safemigrate reads only literal values (it never "
        "runs the file); give --database-url");
  if (p.url->kind == ConfigValue::Kind::Literal) return {p.url->text, "written in " + where};
  const std::string& name = p.url->text;
  if (const char* v = std::getenv(name.c_str()); v && *v)
    return {v, "$" + name + " from the environment, named by " + where};

  // The .env files this Prisma version loads, in its order (the first file that sets a key wins
  // over the second, as dotenv never overrides).
  std::vector<fs::path> files;
  std::string why_none;
  if (version && version->major >= 7) {
    why_none = "Prisma 7 does not load .env files";
  } else if (p.config_file && !p.config_loads_dotenv) {
    why_none = "with " + p.config_file->filename().string() +
               ", Prisma 6 does not load .env files (the file does "
               "not import dotenv)";
  } else if (p.config_file) {
    files.push_back(p.root / ".env");  // dotenv/config reads the working folder's .env
  } else {
    // The .env beside the nearest package.json, then the first of the schema's folder, ./prisma
    // and the working folder (Prisma 6's getEnvPaths).
    for (fs::path d = p.root;; d = d.parent_path()) {
      if (path_exists(d / "package.json")) {
        if (path_exists(d / ".env")) files.push_back(d / ".env");
        break;
      }
      if (d == d.parent_path() || path_exists(d / ".git")) break;
    }
    for (const fs::path& f : {p.schema_dir / ".env", p.root / "prisma" / ".env", p.root / ".env"}) {
      if (path_exists(f)) {
        std::error_code same_ec;
        if (files.empty() || !fs::equivalent(files.front(), f, same_ec)) files.push_back(f);
        break;
      }
    }
  }
  std::map<std::string, std::string> env;
  for (const fs::path& f : files) {
    if (!path_exists(f)) continue;
    for (const auto& [k, v] : parse_dotenv(read_text(f), env)) env.emplace(k, v);
    if (auto it = env.find(name); it != env.end() && !it->second.empty())
      return {it->second, "$" + name + " from " + shown(f, p.root) + ", named by " + where};
  }
  throw ProjectError(where + " names the database as $" + name + ", which is not set" +
                     (why_none.empty() ? (files.empty() ? std::string(" (no .env file found)")
                                                        : " (nor in " + shown(files.front(), p.root) + ")")
                                       : " (" + why_none + ")") +
                     "; set it or give --database-url");
}

std::function<std::pair<std::string, std::string>(const std::string& version)> map_project_paths(
    std::vector<std::string>& paths, bool none_given) {
  std::optional<PrismaProject> found;
  if (none_given) paths = {"."};
  for (std::string& path : paths) {
    std::error_code ec;
    if (!fs::is_directory(path, ec)) continue;
    std::optional<PrismaProject> p = find_prisma_project(path);
    if (!p) continue;
    // A given folder whose project has no migrations yet is searched as before.
    if (!fs::is_directory(p->migrations_dir, ec) && !none_given) continue;
    if (!fs::is_directory(p->migrations_dir, ec))
      throw ProjectError("the Prisma project in " + fs::absolute(path, ec).lexically_normal().string() +
                         " keeps its migrations in " + p->migrations_dir.string() + " (" +
                         p->migrations_from + "), which does not exist");
    path = (fs::path(path) / fs::relative(p->migrations_dir, p->root, ec)).lexically_normal().string();
    found = std::move(p);
  }
  if (none_given && !found) paths.clear();
  if (!found || !found->url) return {};
  return [project = std::move(*found)](const std::string& version) -> std::pair<std::string, std::string> {
    ResolvedUrl url =
        prisma_database_url(project, version.empty() ? detect_prisma_version(project.migrations_dir)
                                                     : parse_prisma_version(version));
    return {url.url, url.from};
  };
}

}  // namespace sm::prisma
