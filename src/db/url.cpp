#include "db/url.h"

#include <libpq-fe.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <set>
#include <stdexcept>

namespace sm::db {

namespace {

constexpr std::string_view kMask = "****";

// Said instead of the text given: any part of it may be the password.
constexpr const char* kNotShown = "the database URL (not shown: it may hold a password)";

// The connection parameters this libpq knows; anything else in a URL's query makes libpq refuse
// it ("invalid URI query parameter"), so Prisma's own parameters are dropped.
const std::set<std::string, std::less<>>& libpq_keywords() {
  static const std::set<std::string, std::less<>> keywords = [] {
    std::set<std::string, std::less<>> out;
    if (PQconninfoOption* opts = PQconndefaults()) {
      for (PQconninfoOption* o = opts; o->keyword; ++o) out.insert(o->keyword);
      PQconninfoFree(opts);
    }
    return out;
  }();
  return keywords;
}

bool is_password_keyword(std::string_view k) {
  return k == "password" || k == "sslpassword";
}

// Values never shown: the passwords, and `options` (command-line options for the server, which
// can set any parameter, secrets included: `-c app.api_key=…`).
bool is_masked_keyword(std::string_view k) {
  return is_password_keyword(k) || k == "options";
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  return out;
}

}  // namespace

std::string percent_encode(std::string_view s, bool lower_hex) {
  const char* hex = lower_hex ? "0123456789abcdef" : "0123456789ABCDEF";
  std::string out;
  for (unsigned char c : s) {
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
        c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

namespace {

// libpq's reading of a connection string: keyword -> value, only what the string sets.
using Options = std::vector<std::pair<std::string, std::string>>;

bool conninfo_parse(const std::string& conninfo, Options& out) {
  char* err = nullptr;
  std::unique_ptr<PQconninfoOption, decltype(&PQconninfoFree)> opts(PQconninfoParse(conninfo.c_str(), &err),
                                                                    &PQconninfoFree);
  // libpq's message may quote a token of the password: it is never shown.
  if (err) PQfreemem(err);
  if (!opts) return false;
  for (PQconninfoOption* o = opts.get(); o->keyword; ++o)
    if (o->val) out.emplace_back(o->keyword, o->val);
  return true;
}

const std::string* find(const Options& o, std::string_view k) {
  for (const auto& [key, val] : o)
    if (key == k) return &val;
  return nullptr;
}

std::vector<std::string_view> split_list(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  for (size_t start = 0;;) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

// A reading in which part of a password may have become the host, port, user or database:
// libpq ends the user part at the first '@' (or a '/'), where Prisma's URL parser takes the
// last '@'. An '@' left in those, a host name with characters no host name has, or a port that is
// not a number means the URL is ambiguous.
bool plausible(const Options& o) {
  for (const char* k : {"host", "hostaddr", "port", "dbname", "user"})
    if (const std::string* v = find(o, k); v && v->find('@') != std::string::npos) return false;
  for (const char* k : {"host", "hostaddr"})
    if (const std::string* v = find(o, k))
      for (std::string_view h : split_list(*v, ','))
        if (!h.starts_with('/') && !std::all_of(h.begin(), h.end(), [](char c) {
              return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                     c == '-' || c == '_' || c == ':' || c == '%';
            }))
          return false;
  if (const std::string* port = find(o, "port"))
    for (std::string_view p : split_list(*port, ','))
      if (!std::all_of(p.begin(), p.end(), [](char c) { return c >= '0' && c <= '9'; })) return false;
  return true;
}

bool is_parameter_name(std::string_view k) {
  return !k.empty() && std::all_of(k.begin(), k.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
  });
}

// The URL form shown in messages: user, masked password, hosts, database, then the other
// parameters (passwords masked), `extra` (Prisma's schema) last.
std::string display_uri(std::string_view scheme, const Options& o, const std::string& extra) {
  std::string out(scheme);
  const std::string* user = find(o, "user");
  const std::string* password = find(o, "password");
  const std::string* host = find(o, "host");
  const std::string* port = find(o, "port");
  if (user) out += percent_encode(*user);
  if (password) out += ":" + std::string(kMask);
  if (user || password) out += '@';
  // Socket folders (host=/tmp) stay in the query, where a '/' does not end the host.
  bool host_in_authority = host && host->find('/') == std::string::npos;
  if (host_in_authority) {
    std::vector<std::string_view> hosts = split_list(*host, ',');
    std::vector<std::string_view> ports = port ? split_list(*port, ',') : std::vector<std::string_view>{};
    for (size_t i = 0; i < hosts.size(); ++i) {
      if (i) out += ',';
      out += hosts[i].find(':') != std::string_view::npos ? "[" + std::string(hosts[i]) + "]"
                                                          : percent_encode(hosts[i]);
      std::string_view p = ports.size() == hosts.size() ? ports[i] : ports.size() == 1 ? ports[0] : "";
      if (!p.empty()) out += ":" + std::string(p);
    }
  }
  if (const std::string* db = find(o, "dbname")) out += "/" + percent_encode(*db);
  std::string query;
  for (const auto& [k, v] : o) {
    if (k == "user" || k == "password" || k == "dbname") continue;
    if (host_in_authority && (k == "host" || k == "port")) continue;
    query += (query.empty() ? "?" : "&") + k + "=" +
             (is_masked_keyword(k) ? std::string(kMask) : percent_encode(v));
  }
  if (!extra.empty()) query += (query.empty() ? "?" : "&") + extra;
  return out + query;
}

// The keyword form shown in messages, values quoted as libpq reads them.
std::string display_keywords(const Options& o) {
  std::string out;
  for (const auto& [k, v] : o) {
    std::string value = is_masked_keyword(k) ? std::string(kMask) : v;
    bool quote = value.empty() || value.find_first_of(" '\\\t\n") != std::string::npos;
    std::string q;
    for (char c : value) q += c == '\'' || c == '\\' ? std::string("\\") + c : std::string(1, c);
    out += (out.empty() ? "" : " ") + k + "=" + (quote ? "'" + q + "'" : q);
  }
  return out;
}

void collect_secrets(const Options& o, DatabaseUrl& out) {
  for (const auto& [k, v] : o)
    if (is_masked_keyword(k) && !v.empty()) out.secrets.push_back(v);
  if (const std::string* p = find(o, "password")) out.password = *p;
}

[[noreturn]] void unreadable(const std::string& why) {
  throw std::invalid_argument("cannot use " + std::string(kNotShown) + ": " + why);
}

DatabaseUrl parse_uri(std::string_view url, int default_connect_timeout_s) {
  DatabaseUrl out;
  out.schema = "public";
  size_t start = url.find("://") + 3;
  // Where libpq's query starts: after the user part (which ends at the first '@', unless a '/'
  // comes first), at the first '?'. Only used to drop Prisma's parameters; libpq reads the rest.
  size_t at = url.find_first_of("@/", start);
  size_t host_start = at != std::string_view::npos && url[at] == '@' ? at + 1 : start;
  size_t q = url.find('?', host_start);
  std::string base(url.substr(0, q));
  std::string kept, extra;
  bool has_timeout = false;
  if (q != std::string_view::npos) {
    for (std::string_view kv : split_list(url.substr(q + 1), '&')) {
      if (kv.empty()) continue;
      size_t eq = kv.find('=');
      std::string_view k = kv.substr(0, eq);
      std::string_view v = eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1);
      // Something that is not name=value is no parameter of Prisma's: more likely the rest of
      // a password, so it is left for libpq to refuse, never dropped.
      if (!libpq_keywords().count(k) && is_parameter_name(k) && eq != std::string_view::npos) {
        // Prisma's parameters (and anything else libpq would refuse) are dropped; a value
        // under a name like PASSWORD is still a secret to keep out of messages.
        if (lower(k).find("password") != std::string::npos) {
          if (std::string s = percent_decode(v); !s.empty()) out.secrets.push_back(s);
        } else if (k == "schema") {
          out.schema = percent_decode(v);
          extra = "schema=" + percent_encode(out.schema);
        }
        if (k == "schema" || k == "connection_limit" || k == "pool_timeout" || k == "pgbouncer" ||
            k == "socket_timeout" || k == "statement_cache_size" || k == "sslaccept" || k == "sslidentity")
          out.dropped.emplace_back(k);
        else
          out.dropped.emplace_back("an unknown parameter");
        continue;
      }
      if (k == "connect_timeout") has_timeout = true;
      kept += (kept.empty() ? "" : "&") + std::string(kv);
    }
  }
  std::string cleaned = base + (kept.empty() ? "" : "?" + kept);
  Options opts;
  if (!conninfo_parse(cleaned, opts))
    unreadable(
        "libpq cannot read it (percent-encode '%', '@', '/' and '?' in the user name and password: %25, %40, "
        "%2F, %3F)");
  if (!plausible(opts))
    unreadable(
        "libpq would read part of it as the host, port or database name; percent-encode '@', '/' and '?' "
        "in the user name and password (%40, %2F, %3F)");
  collect_secrets(opts, out);
  out.display = display_uri(url.substr(0, start), opts, extra);
  if (!has_timeout && default_connect_timeout_s > 0)
    cleaned += (kept.empty() ? "?" : "&") + std::string("connect_timeout=") +
               std::to_string(default_connect_timeout_s);
  out.libpq = cleaned;
  return out;
}

DatabaseUrl parse_keywords(std::string_view text, int default_connect_timeout_s) {
  DatabaseUrl out;
  out.schema = "public";
  Options opts;
  // libpq reads "" and bare words without '=' as nothing: not a connection string at all.
  if (text.find('=') == std::string_view::npos || !conninfo_parse(std::string(text), opts))
    unreadable("expected postgresql://user:password@host:port/db or libpq's host=… dbname=… form");
  collect_secrets(opts, out);
  out.display = display_keywords(opts);
  out.libpq = std::string(text);
  if (!find(opts, "connect_timeout") && default_connect_timeout_s > 0)
    out.libpq += " connect_timeout=" + std::to_string(default_connect_timeout_s);
  return out;
}

}  // namespace

std::string percent_decode(std::string_view s) {
  std::string out;
  auto hex = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && hex(s[i + 1]) >= 0 && hex(s[i + 2]) >= 0) {
      out += static_cast<char>(hex(s[i + 1]) * 16 + hex(s[i + 2]));
      i += 2;
    } else {
      out += s[i];
    }
  }
  return out;
}

DatabaseUrl parse_database_url(std::string_view url, int default_connect_timeout_s) {
  // libpq takes exactly these two prefixes as a URI; anything else is its keyword form.
  if (url.starts_with("postgresql://") || url.starts_with("postgres://"))
    return parse_uri(url, default_connect_timeout_s);
  return parse_keywords(url, default_connect_timeout_s);
}

std::string mask_url(std::string_view url) {
  try {
    return parse_database_url(url).display;
  } catch (const std::invalid_argument&) {
    return kNotShown;
  }
}

bool looks_like_database_url(std::string_view text) {
  // Also what libpq would refuse: "PASSWORD=… host=…" still holds a password.
  if (text.find("://") != std::string_view::npos) return true;
  if (size_t at = lower(text).find("password");
      at != std::string::npos && text.find('=', at) != std::string::npos)
    return true;
  // A mistyped scheme ("postgres:/u:pw@h/db", "postgresql:u:pw@h/db"): a URI scheme, then ':'.
  size_t scheme = 0;
  while (scheme < text.size() &&
         (std::isalnum(static_cast<unsigned char>(text[scheme])) ||
          (scheme > 0 && (text[scheme] == '+' || text[scheme] == '-' || text[scheme] == '.'))))
    ++scheme;
  if (scheme > 0 && std::isalpha(static_cast<unsigned char>(text[0])) && scheme < text.size() &&
      text[scheme] == ':')
    return true;
  // user:password@host with the scheme lost or mangled ("postgres//u:pw@h/db", "u:p/w@h").
  if (size_t colon = text.find(':');
      colon != std::string_view::npos && text.find('@', colon) != std::string_view::npos)
    return true;
  // A keyword string: one that libpq cannot read may hold a password anywhere (a misspelt
  // "pasword=", an unclosed quote); one it reads is shown unless it sets a password or options.
  if (text.find('=') == std::string_view::npos) return false;
  try {
    return !parse_database_url(text).secrets.empty();
  } catch (const std::invalid_argument&) {
    return true;
  }
}

namespace {

bool is_word_char(char c) {
  return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
}

// Whether `s` at `pos` in `text` stands alone: a word character at either end of it has no word
// character beside it. A secret this short (a password "p") would otherwise mask every "p" of
// "postgres" and "port" in the message, while an echoed password is a word of its own.
bool stands_alone(const std::string& text, size_t pos, const std::string& s) {
  size_t end = pos + s.size();
  bool open_start = pos == 0 || !is_word_char(s.front()) || !is_word_char(text[pos - 1]);
  bool open_end = end == text.size() || !is_word_char(s.back()) || !is_word_char(text[end]);
  return open_start && open_end;
}

constexpr size_t kShortSecret = 4;

}  // namespace

std::string scrub(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (const std::string& s : {std::string(secret), percent_encode(secret), percent_encode(secret, true)}) {
    for (size_t pos = 0; (pos = text.find(s, pos)) != std::string::npos;) {
      if (s.size() < kShortSecret && !stands_alone(text, pos, s)) {
        ++pos;
        continue;
      }
      text.replace(pos, s.size(), kMask);
      pos += kMask.size();
    }
  }
  return text;
}

std::string scrub(std::string text, const std::vector<std::string>& secrets) {
  for (const std::string& s : secrets) text = scrub(std::move(text), s);
  return text;
}

}  // namespace sm::db
