// Database URLs: Prisma's form turned into libpq's, and the password never printed — checked as a
// property over generated passwords (every ASCII punctuation character, some UTF-8) in URL and
// keyword form, through parse_database_url and through every command of the binary, whose
// connection fails fast (a closed port, a socket folder that does not exist).
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <random>

#include "db/url.h"
#include "history_helpers.h"
#include "test_support.h"

namespace sm {
namespace {

using test::shell_quote;
using ::testing::HasSubstr;
using ::testing::Not;

std::string encode(std::string_view s) {
  return sm::db::percent_encode(s);
}

// libpq's keyword-form quoting.
std::string keyword_quote(std::string_view s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'' || c == '\\') out += '\\';
    out += c;
  }
  return out + "'";
}

// A password that is not in any of our messages by chance: 10–20 characters from every ASCII
// punctuation character, letters, digits and a few multi-byte characters.
std::string random_password(std::mt19937& rng) {
  static const std::vector<std::string> pool = [] {
    std::vector<std::string> p;
    for (char c = 33; c < 127; ++c) p.emplace_back(1, c);
    for (const char* u : {"\xc3\xa9", "\xe5\xaf\x86", "\xf0\x9f\x94\x91", "\xc3\x9f"}) p.emplace_back(u);
    return p;
  }();
  std::uniform_int_distribution<size_t> len(10, 20), pick(0, pool.size() - 1);
  std::string s;
  for (size_t n = len(rng), i = 0; i < n; ++i) s += pool[pick(rng)];
  return s;
}

// `text` shows no part of `password`: not whole, not percent-encoded (either case of hex), and no
// 6-byte stretch of it (a password split by a misreading of the URL, shown as host or database).
void expect_hidden(const std::string& text, const std::string& password, const std::string& what) {
  std::string enc = encode(password), lower_enc = enc;
  for (char& c : lower_enc) c = static_cast<char>(tolower(static_cast<unsigned char>(c)));
  EXPECT_THAT(text, Not(HasSubstr(password))) << what;
  EXPECT_THAT(text, Not(HasSubstr(enc))) << what;
  EXPECT_THAT(text, Not(HasSubstr(lower_enc))) << what;
  for (const std::string& form : {password, enc, lower_enc})
    for (size_t i = 0; i + 6 <= form.size(); ++i)
      ASSERT_THAT(text, Not(HasSubstr(form.substr(i, 6)))) << what << " (part " << i << " of " << form << ")";
}

// The forms a password reaches us in, for a server that refuses the connection.
std::vector<std::string> url_forms(const std::string& pw, std::mt19937& rng) {
  const std::string host = "127.0.0.1:1";
  std::string schema = rng() % 2 ? "?schema=tenant&connection_limit=3" : "";
  std::string sep = schema.empty() ? "?" : "&";
  return {
      "postgresql://app:" + encode(pw) + "@" + host + "/db" + schema,  // as it should be written
      "postgresql://app:" + pw + "@" + host + "/db" + schema,          // unescaped
      "postgres://app@" + host + "/db" + schema + sep + "password=" + encode(pw),
      "postgresql://app@" + host + "/db" + schema + sep + "PASSWORD=" + encode(pw),  // not libpq's
      "postgresql://app@" + host + "/db" + schema + sep + "sslpassword=" + encode(pw),
      "password=" + keyword_quote(pw) + " host=127.0.0.1 port=1 user=app dbname=db",
      "host=/nonexistent-socket-folder user=app password=" + keyword_quote(pw),
      "PASSWORD=" + keyword_quote(pw) + " host=127.0.0.1 port=1",
  };
}

TEST(DatabaseUrl, PasswordIsMaskedInWhatIsShown) {
  EXPECT_EQ(db::mask_url("postgresql://me:pa55@db.example.com:5432/app?schema=x"),
            "postgresql://me:****@db.example.com:5432/app?schema=x");
  EXPECT_EQ(db::mask_url("postgresql://host/db?user=me&password=pa55"), "postgresql://me:****@host/db");
  EXPECT_EQ(db::mask_url("postgresql://me@host/db"), "postgresql://me@host/db");
  EXPECT_EQ(db::mask_url("password=pa55 host=h dbname='my db'"), "password=**** dbname='my db' host=h")
      << "libpq's order";
  // The issue's cases: an unescaped '/' or '@' makes libpq read part of the password as the port,
  // host or database; nothing of such a URL is shown.
  for (const char* url : {"postgresql://app:S3cr/tD@host/db", "postgres://me:p@ss@host/db",
                          "postgresql://app:100%zz@host/db", "mysql://me:secret@h/db"}) {
    std::string shown = db::mask_url(url);
    EXPECT_THAT(shown, AllOf(Not(HasSubstr("S3cr")), Not(HasSubstr("tD")), Not(HasSubstr("ss@")),
                             Not(HasSubstr("secret")), Not(HasSubstr("100"))))
        << url;
    EXPECT_THROW(db::parse_database_url(url), std::invalid_argument) << url;
  }
  // An unescaped '?' is read by libpq as part of the password: it works and is masked.
  db::DatabaseUrl q = db::parse_database_url("postgresql://app:S3cr?tD@host/db?schema=s");
  EXPECT_EQ(q.password, "S3cr?tD");
  EXPECT_EQ(q.schema, "s");
  EXPECT_EQ(q.display, "postgresql://app:****@host/db?schema=s");
  EXPECT_EQ(db::scrub("failed for pa55 and pa%35%35 at host", "pa55"),
            "failed for **** and pa%35%35 at host");
  EXPECT_EQ(db::scrub("p%2Fw p%2fw p/w", "p/w"), "**** **** ****");
  EXPECT_EQ(db::scrub("a*b", "*"), "a****b") << "a secret inside the mask does not loop";
  // A password this short is masked where it stands alone, not inside every word that holds it.
  EXPECT_EQ(db::scrub("cannot connect to postgres://u:****@h/db: bad password p for port 5432 (p)", "p"),
            "cannot connect to postgres://u:****@h/db: bad password **** for port 5432 (****)");
  EXPECT_EQ(db::scrub("pw=ab1, ab12 xab1", "ab1"), "pw=****, ab12 xab1");
  EXPECT_EQ(db::scrub("a long one: xs3cretx", "s3cret"), "a long one: x****x")
      << "four or more: masked anywhere";
  // What is refused when given as a path (it does not exist): anything that may hold a password.
  EXPECT_TRUE(db::looks_like_database_url("postgresql://app:pw@h/db"));
  EXPECT_TRUE(db::looks_like_database_url("mysql://app:pw@h/db"));
  EXPECT_TRUE(db::looks_like_database_url("host=h password=pw"));
  EXPECT_TRUE(db::looks_like_database_url("PASSWORD='pw' host=h"));
  EXPECT_FALSE(db::looks_like_database_url("prisma/migrations"));
  EXPECT_FALSE(db::looks_like_database_url("prisma/password_reset/migrations"));
  EXPECT_FALSE(db::looks_like_database_url("host=h dbname=x")) << "no password: it may be shown";
}

TEST(DatabaseUrl, PrismaParametersBecomeWhatLibpqAccepts) {
  db::DatabaseUrl u = db::parse_database_url(
      "postgresql://me:p%40ss@host:5433/"
      "app?schema=tenant%5Fa&connection_limit=5&sslmode=require&pgbouncer=true");
  EXPECT_EQ(u.schema, "tenant_a");
  EXPECT_EQ(u.password, "p@ss");
  EXPECT_EQ(u.libpq, "postgresql://me:p%40ss@host:5433/app?sslmode=require&connect_timeout=10");
  EXPECT_THAT(u.display, Not(HasSubstr("p%40ss")));
  EXPECT_THAT(u.dropped, ::testing::ElementsAre("schema", "connection_limit", "pgbouncer"));
  EXPECT_EQ(db::parse_database_url("postgresql://h/db?connect_timeout=3").libpq,
            "postgresql://h/db?connect_timeout=3");
  EXPECT_EQ(db::parse_database_url("postgresql://h/db").schema, "public");
  EXPECT_EQ(db::parse_database_url("host=h password=x").libpq, "host=h password=x connect_timeout=10");
  try {
    db::parse_database_url("mysql://me:secret@h/db");
    ADD_FAILURE() << "not a PostgreSQL URL";
  } catch (const std::invalid_argument& e) {
    EXPECT_THAT(e.what(), Not(HasSubstr("secret")));
  }
}

TEST(DatabaseUrl, NoGeneratedPasswordIsEverShownOrMisread) {
  std::mt19937 rng(4242);
  for (int iter = 0; iter < 500; ++iter) {
    std::string pw = random_password(rng);
    std::vector<std::string> forms = url_forms(pw, rng);
    for (size_t k = 0; k < forms.size(); ++k) {
      const std::string& url = forms[k];
      std::string what = "form " + std::to_string(k) + ": " + url;
      expect_hidden(db::mask_url(url), pw, what);
      try {
        db::DatabaseUrl u = db::parse_database_url(url);
        expect_hidden(u.display, pw, what);
        // Whatever libpq reads as the password is among the secrets scrubbed from messages.
        if (!u.password.empty()) {
          EXPECT_THAT(u.secrets, ::testing::Contains(u.password)) << what;
        }
        if (k == 0 || k == 2 || k == 5) {
          EXPECT_EQ(u.password, pw) << what;  // the well-written forms
        }
        if (k == 3) {
          EXPECT_THAT(u.secrets, ::testing::Contains(pw)) << what;
        }
        if (std::find(u.secrets.begin(), u.secrets.end(), pw) != u.secrets.end())
          expect_hidden(db::scrub("x " + pw + " y " + encode(pw), u.secrets), pw, what + " scrubbed");
      } catch (const std::invalid_argument& e) {
        expect_hidden(e.what(), pw, what);
        EXPECT_NE(k, 0u) << "a well-written URL is read: " << e.what();
      }
      if (HasFatalFailure()) return;
    }
  }
}

// Every command, with the URL in --database-url, in DATABASE_URL, and where a path belongs.
TEST(DatabaseUrl, NoCommandPrintsThePasswordOnAnyPath) {
  test::TempDir d;
  d.write("migrations/20240101000000_a/migration.sql", "CREATE INDEX i ON t (a);\n");
  std::string dir = shell_quote((d.path() / "migrations").string());
  const std::vector<std::string> commands = {"check",
                                             "status",
                                             "verify",
                                             "apply",
                                             "apply --dry-run",
                                             "resolve --rolled-back 20240101000000_a",
                                             "rehearse --i-know-this-is-a-copy"};
  std::mt19937 rng(99);
  int runs = 0;
  for (int iter = 0; iter < 6; ++iter) {
    std::string pw = random_password(rng);
    std::vector<std::string> forms = url_forms(pw, rng);
    for (size_t k = 0; k < forms.size(); ++k) {
      const std::string& cmd = commands[(iter + k) % commands.size()];
      std::string url = shell_quote(forms[k]);
      for (const std::string& args :
           {cmd + " --database-url " + url + " " + dir, "check " + url, cmd + " " + dir + " " + url}) {
        test::RunResult r = test::run_cli(args);
        std::string what = args + " (exit " + std::to_string(r.exit_code) + ")";
        EXPECT_EQ(r.exit_code, 2) << what << "\n" << r.out << r.err;
        expect_hidden(r.out + r.err, pw, what);
        ++runs;
      }
      test::RunResult env =
          test::run_shell(d.path(), "DATABASE_URL=" + url + " " + shell_quote(SAFEMIGRATE_BINARY) + " " +
                                        (cmd == "check" ? "status" : cmd) + " " + dir);
      EXPECT_EQ(env.exit_code, 2) << env.out << env.err;
      expect_hidden(env.out + env.err, pw, "DATABASE_URL with " + cmd);
      if (HasFatalFailure()) return;
    }
  }
  EXPECT_GT(runs, 100);
}

// A secret that only letters and digits spell, for `options` (no delimiter of its own).
std::string random_word(std::mt19937& rng) {
  static const std::string chars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  std::uniform_int_distribution<size_t> pick(0, chars.size() - 1);
  std::string s;
  for (int i = 0; i < 16; ++i) s += chars[pick(rng)];
  return s;
}

template <typename T>
const T& pick(const std::vector<T>& v, std::mt19937& rng) {
  return v[rng() % v.size()];
}

// Malformed shapes of a database URL or keyword string that hold `pw` and, in `options`, the
// secret `opt`: a mistyped scheme or separator, a lost scheme, and keyword strings that libpq
// refuses (a misspelt keyword, a value without one). None of them is a path that exists.
std::vector<std::string> malformed_forms(const std::string& pw, const std::string& opt, std::mt19937& rng) {
  static const std::vector<std::string> schemes = {"postgres",   "postgresql", "POSTGRES",
                                                   "PostgreSQL", "pg",         "psql",
                                                   "postgre",    "postgress",  "jdbc:postgresql"};
  static const std::vector<std::string> seps = {":/",    ":",   "//",  ":///", "/",
                                                ":\\\\", ";//", "::/", ":/ /", ""};
  static const std::vector<std::string> hosts = {"h", "db.internal:5432", "127.0.0.1:1", "[::1]:5432"};
  std::string scheme = pick(schemes, rng), sep = pick(seps, rng), host = pick(hosts, rng);
  std::string user = rng() % 2 ? "app" : "";
  std::string secret = rng() % 2 ? encode(pw) : pw;
  std::string options = "-c app.key=" + opt;
  std::string query = rng() % 2 ? "?options=" + encode(options) : "?schema=s&options=" + options;
  return {
      scheme + sep + user + ":" + secret + "@" + host + "/db" + query,
      scheme + sep + user + "@" + host + "/db?password=" + secret + "&options=" + encode(options),
      user + ":" + secret + "@" + host + "/db" + query,  // the scheme lost
      "host=h user=app pasword=" + keyword_quote(pw) + " options=" + keyword_quote(options),  // misspelt
      "host=h user=app passwd=" + keyword_quote(pw),
      "host=h user=app " + keyword_quote(pw) + " dbname=db",  // a value without a keyword
      "host=h user=app password='" + pw,                      // quote not closed
      "host=h dbname=db options=" + keyword_quote(options),   // libpq reads it: options is secret
  };
}

// The issue's property: a malformed database URL or keyword string given where a path belongs
// is shown by no command in no format, and neither is its password nor its options.
TEST(DatabaseUrl, MalformedUrlsWhereAPathBelongsAreNeverShown) {
  for (const char* text : {"postgres:/u:pw@h/db", "postgresql:u:pw@h/db", "postgres//u:pw@h/db",
                           "host=h pasword=pw", "u:p/w@h/db"})
    EXPECT_TRUE(db::looks_like_database_url(text)) << text;
  const std::vector<std::string> commands = {"check",
                                             "check --format json",
                                             "check --format sarif",
                                             "check --format github",
                                             "status",
                                             "verify",
                                             "list",
                                             "list --format json",
                                             "rehearse --i-know-this-is-a-copy"};
  std::mt19937 rng(1818);
  int runs = 0;
  for (int iter = 0; iter < 3; ++iter) {
    std::string pw = random_password(rng), opt = random_word(rng);
    std::vector<std::string> forms = malformed_forms(pw, opt, rng);
    for (size_t k = 0; k < forms.size(); ++k) {
      for (const std::string& cmd : commands) {
        std::string args = cmd + " " + shell_quote(forms[k]);
        test::RunResult r = test::run_cli(args);
        std::string what =
            args + " (form " + std::to_string(k) + ", exit " + std::to_string(r.exit_code) + ")";
        EXPECT_EQ(r.exit_code, 2) << what << "\n" << r.out << r.err;
        EXPECT_THAT(r.err, HasSubstr("not shown")) << what;
        expect_hidden(r.out + r.err, pw, what);
        expect_hidden(r.out + r.err, opt, what + " (options)");
        ++runs;
        if (HasFatalFailure()) return;
      }
    }
  }
  EXPECT_EQ(runs, 3 * 8 * 9);
}

// A URL's options may set anything (`-c app.key=…`): never shown, in either form, in what is
// shown of the URL nor in connection errors.
TEST(DatabaseUrl, OptionsAreNeverShown) {
  EXPECT_EQ(db::mask_url("postgresql://me:pw@h/db?options=-c%20app.key%3Dk3y"),
            "postgresql://me:****@h/db?options=****");
  EXPECT_EQ(db::mask_url("host=h options='-c app.key=k3y'"), "host=h options=****");
  test::TempDir d;
  d.write("migrations/20240101000000_a/migration.sql", "ALTER TABLE t ADD COLUMN c INT NOT NULL;\n");
  std::string dir = shell_quote((d.path() / "migrations").string());
  std::mt19937 rng(26);
  for (int iter = 0; iter < 3; ++iter) {
    std::string opt = random_word(rng), options = "-c app.key=" + opt;
    for (const std::string& url :
         {"postgresql://app:pw@127.0.0.1:1/db?options=" + encode(options),
          "postgresql://app@127.0.0.1:1/db?schema=s&options=" + encode(options) + "&connect_timeout=2",
          "host=127.0.0.1 port=1 user=app options=" + keyword_quote(options)}) {
      for (const char* cmd : {"check", "check --format json", "status", "verify", "apply",
                              "rehearse --i-know-this-is-a-copy"}) {
        std::string args = std::string(cmd) + " --database-url " + shell_quote(url) + " " + dir;
        test::RunResult r = test::run_cli(args);
        EXPECT_NE(r.exit_code, 0) << args;
        EXPECT_THAT(r.out + r.err, HasSubstr("options=****")) << args << "\n" << r.out << r.err;
        expect_hidden(r.out + r.err, opt, args);
        if (HasFatalFailure()) return;
      }
    }
  }
}

// Against a real server: a password with every URL delimiter works percent-encoded and in
// keyword form, and is shown in neither.
TEST(DatabaseUrl, ARealServerAcceptsBothFormsAndNothingShowsThePassword) {
  SM_START_PG(pg);
  const std::string pw = "p@ss/w?rd:#%& 'q\\\xc3\xa9";
  std::string sql_pw;
  for (char c : pw) sql_pw += c == '\'' ? std::string("''") : std::string(1, c);
  pg.psql("CREATE ROLE app LOGIN SUPERUSER PASSWORD '" + sql_pw + "'");
  test::PrismaProject p;
  p.add("20240101000000_a", "CREATE TABLE \"a\" (\"id\" INTEGER);\n");
  std::string port = std::to_string(pg.port());
  std::vector<std::string> urls = {
      "postgresql://app:" + encode(pw) + "@127.0.0.1:" + port + "/postgres?schema=public",
      "host=127.0.0.1 port=" + port + " user=app dbname=postgres password=" + keyword_quote(pw)};
  for (const std::string& url : urls) {
    for (const char* cmd : {"status", "apply", "verify"}) {
      test::RunResult r = test::sm_cli(cmd, url, p);
      EXPECT_EQ(r.exit_code, 0) << cmd << " " << url << "\n" << r.out << r.err;
      expect_hidden(r.out + r.err, pw, std::string(cmd) + " " + url);
      if (std::string(cmd) != "apply") {
        EXPECT_THAT(r.out, HasSubstr("****")) << "the URL is shown, masked: " << r.out;
      }
    }
    pg.psql("DROP TABLE a; DROP TABLE _prisma_migrations");
  }
  // The wrong password: refused by the server, and still not shown.
  test::RunResult wrong = test::sm_cli(
      "status",
      "host=127.0.0.1 port=" + port + " user=app dbname=postgres password=" + keyword_quote(pw + "x"), p);
  EXPECT_EQ(wrong.exit_code, 2);
  EXPECT_THAT(wrong.err, HasSubstr("password authentication failed"));
  expect_hidden(wrong.out + wrong.err, pw, "wrong password");
}

}  // namespace
}  // namespace sm
