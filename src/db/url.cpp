#include "db/url.h"

#include <algorithm>
#include <array>
#include <stdexcept>

namespace sm::db {

namespace {

constexpr std::string_view kMask = "****";

// Connection parameters libpq 15 understands; anything else in the query string makes libpq
// refuse the URL ("invalid URI query parameter"), so Prisma's own parameters are dropped.
constexpr std::array<std::string_view, 40> kLibpqParams = {
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "passfile",
    "channel_binding",
    "connect_timeout",
    "client_encoding",
    "options",
    "application_name",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslmode",
    "requiressl",
    "sslcompression",
    "sslcert",
    "sslkey",
    "sslpassword",
    "sslrootcert",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "requirepeer",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "service",
    "target_session_attrs",
    "load_balance_hosts",
    "require_auth",
    "sslcertmode",
};

bool starts_with_scheme(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

struct Parts {
  std::string_view scheme_and_slashes;  // "postgresql://"
  std::string_view userinfo;            // "user:pass" (may be empty)
  bool has_at = false;
  std::string_view rest;   // "host:port/db"
  std::string_view query;  // without '?'
  bool has_query = false;
};

Parts split(std::string_view url) {
  Parts p;
  size_t s = url.find("://") + 3;
  p.scheme_and_slashes = url.substr(0, s);
  std::string_view after = url.substr(s);
  size_t q = after.find('?');
  std::string_view before_query = q == std::string_view::npos ? after : after.substr(0, q);
  if (q != std::string_view::npos) {
    p.query = after.substr(q + 1);
    p.has_query = true;
  }
  // The user part ends at the last '@' before the path: passwords may contain '@' unescaped.
  size_t slash = before_query.find('/');
  std::string_view authority = slash == std::string_view::npos ? before_query : before_query.substr(0, slash);
  size_t at = authority.rfind('@');
  if (at != std::string_view::npos) {
    p.userinfo = before_query.substr(0, at);
    p.has_at = true;
    p.rest = before_query.substr(at + 1);
  } else {
    p.rest = before_query;
  }
  return p;
}

std::vector<std::pair<std::string_view, std::string_view>> split_query(std::string_view q) {
  std::vector<std::pair<std::string_view, std::string_view>> out;
  while (!q.empty()) {
    size_t amp = q.find('&');
    std::string_view kv = q.substr(0, amp);
    q = amp == std::string_view::npos ? std::string_view{} : q.substr(amp + 1);
    if (kv.empty()) continue;
    size_t eq = kv.find('=');
    out.emplace_back(kv.substr(0, eq), eq == std::string_view::npos ? std::string_view{} : kv.substr(eq + 1));
  }
  return out;
}

std::string masked(const Parts& p) {
  std::string out(p.scheme_and_slashes);
  if (p.has_at) {
    size_t colon = p.userinfo.find(':');
    if (colon == std::string_view::npos)
      out += p.userinfo;
    else
      out += std::string(p.userinfo.substr(0, colon)) + ":" + std::string(kMask);
    out += '@';
  }
  out += p.rest;
  if (p.has_query) {
    out += '?';
    bool first = true;
    for (auto [k, v] : split_query(p.query)) {
      if (!first) out += '&';
      first = false;
      out += k;
      out += '=';
      out += k == "password" || k == "sslpassword" ? kMask : v;
    }
  }
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

std::string mask_url(std::string_view url) {
  // Any scheme: a mistyped mysql:// URL still holds a real password.
  if (url.find("://") == std::string_view::npos) return std::string(url);
  return masked(split(url));
}

std::string scrub(std::string text, std::string_view secret) {
  if (secret.empty()) return text;
  for (size_t pos; (pos = text.find(secret)) != std::string::npos;) text.replace(pos, secret.size(), kMask);
  return text;
}

DatabaseUrl parse_database_url(std::string_view url, int default_connect_timeout_s) {
  if (!starts_with_scheme(url))
    throw std::invalid_argument("the database URL must start with postgresql:// or postgres:// (got \"" +
                                mask_url(url).substr(0, 40) + "\")");
  Parts p = split(url);
  DatabaseUrl out;
  out.display = masked(p);
  out.schema = "public";
  if (p.has_at) {
    size_t colon = p.userinfo.find(':');
    if (colon != std::string_view::npos) out.password = percent_decode(p.userinfo.substr(colon + 1));
  }
  std::string kept;
  bool has_timeout = false;
  for (auto [k, v] : split_query(p.query)) {
    if (k == "schema") {
      out.schema = percent_decode(v);
      out.dropped.emplace_back(k);
      continue;
    }
    if (std::find(kLibpqParams.begin(), kLibpqParams.end(), k) == kLibpqParams.end()) {
      out.dropped.emplace_back(k);
      continue;
    }
    if (k == "connect_timeout") has_timeout = true;
    if (k == "password") out.password = percent_decode(v);
    kept += kept.empty() ? "" : "&";
    kept += std::string(k) + "=" + std::string(v);
  }
  if (!has_timeout && default_connect_timeout_s > 0) {
    kept += kept.empty() ? "" : "&";
    kept += "connect_timeout=" + std::to_string(default_connect_timeout_s);
  }
  out.libpq = std::string(p.scheme_and_slashes) + (p.has_at ? std::string(p.userinfo) + "@" : "") +
              std::string(p.rest) + (kept.empty() ? "" : "?" + kept);
  return out;
}

}  // namespace sm::db
