// The Python package (packaging/python): the wheel that tests/tools/wheel_venv.sh builds from this
// build's binary and installs into a venv seeing Debian's Django (a ctest fixture), used from a
// copy of the fixture project with "safemigrate" in INSTALLED_APPS. `manage.py safemigrate_export`
// must write the plan that adapters/django/export_plan.py writes, `manage.py safemigrate check`
// must print what the binary prints on that plan, with its exit code, and `manage.py safemigrate
// apply` must run the project's own Django (the venv's interpreter, recorded in the plan).
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <regex>
#include <sstream>
#include <vector>

#include "django_helpers.h"

namespace fs = std::filesystem;

namespace {

using sm::test::RunResult;
using sm::test::shell_quote;

const fs::path kWheelDir = SAFEMIGRATE_WHEEL_DIR;
const fs::path kVenvPython = kWheelDir / "venv" / "bin" / "python";
const std::string kSettings = "mysite.settings_safemigrate";

// The venv's interpreter with the Django under test (its PYTHONPATH for versions other than 3.2).
std::string venv_python() {
  const auto& d = sm::test::django_under_test();
  return d.pythonpath.empty()
             ? shell_quote(kVenvPython.string())
             : "env PYTHONPATH=" + shell_quote(d.pythonpath) + " " + shell_quote(kVenvPython.string());
}

fs::path installed_package() {
  RunResult r = sm::test::run_shell(
      kWheelDir, shell_quote(kVenvPython.string()) +
                     " -c 'import os, safemigrate; print(os.path.dirname(safemigrate.__file__))'");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  return fs::path(r.out.substr(0, r.out.find('\n')));
}

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// A callable default (the fixture's `default=timezone.now`) is evaluated when the SQL is
// generated, so two exports differ in those literals (adapters/django/README.md, "SQL is not
// deterministic"); everything else must be the same.
std::string without_timestamps(const std::string& text, int* replaced = nullptr) {
  static const std::regex now(R"(\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d(\.\d+)?(\+00:00)?)");
  if (replaced)
    *replaced = static_cast<int>(
        std::distance(std::sregex_iterator(text.begin(), text.end(), now), std::sregex_iterator()));
  return std::regex_replace(text, now, "<export time>");
}

class DjangoWheel : public ::testing::Test {
 protected:
  void SetUp() override {
    SM_REQUIRE_DJANGO();
    if (!fs::exists(kVenvPython)) {
      std::string why =
          kVenvPython.string() +
          " is missing: tests/tools/wheel_venv.sh (ctest fixture django_wheel_setup) did not run";
      if (std::getenv("CI")) FAIL() << "CI is set but " << why;
      GTEST_SKIP() << why;
    }
    // The fixture project, with the app added by a settings module of its own.
    fs::copy(sm::test::source_dir() / "fixtures" / "django", proj(), fs::copy_options::recursive);
    tmp_.write("proj/mysite/settings_safemigrate.py",
               "from mysite.settings_modern import *  # noqa: F401,F403\n\n"
               "INSTALLED_APPS = INSTALLED_APPS + [\"safemigrate\"]  # noqa: F405\n");
  }
  fs::path proj() const { return tmp_.path() / "proj"; }
  RunResult manage(const std::string& args) {
    return sm::test::run_shell(
        proj(), "env DJANGO_SETTINGS_MODULE=" + kSettings + " " + venv_python() + " manage.py " + args);
  }
  // The standalone exporter, as a project that cannot add the app runs it.
  RunResult standalone_export(const fs::path& out, const std::string& python, const std::string& settings) {
    return sm::test::run_shell(
        proj(), python + " " +
                    shell_quote((sm::test::source_dir() / "adapters/django/export_plan.py").string()) +
                    " --settings " + settings + " --offline -o " + shell_quote(out.string()));
  }
  RunResult binary(const std::string& args) {
    return sm::test::run_shell(proj(), shell_quote(SAFEMIGRATE_BINARY) + " " + args);
  }

  sm::test::TempDir tmp_;
};

TEST_F(DjangoWheel, TheWheelHoldsTheBinaryExecutableAndTheExporterUnchanged) {
  fs::path dist = kWheelDir / "dist";
#if defined(__x86_64__)
  EXPECT_TRUE(fs::exists(dist / ("safemigrate-" SAFEMIGRATE_VERSION "-py3-none-linux_x86_64.whl")))
      << "the file name that scripts/package.sh relies on";
#endif
  fs::path pkg = installed_package();
  ASSERT_TRUE(fs::exists(pkg / "bin" / "safemigrate")) << pkg;
  struct stat st {};
  ASSERT_EQ(stat((pkg / "bin" / "safemigrate").c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0111, 0111u) << "pip keeps the wheel's 0755";
  EXPECT_EQ(sm::test::read_file(pkg / "bin" / "safemigrate"), sm::test::read_file(SAFEMIGRATE_BINARY));
  EXPECT_EQ(sm::test::read_file(pkg / "export_plan.py"),
            sm::test::read_file(sm::test::source_dir() / "adapters/django/export_plan.py"))
      << "the wheel copies the exporter at build time";
  RunResult v =
      sm::test::run_shell(kWheelDir, shell_quote(kVenvPython.string()) + " -m safemigrate --version");
  RunResult b = binary("--version");
  EXPECT_EQ(v.exit_code, b.exit_code);
  EXPECT_EQ(v.out, b.out);
  EXPECT_NE(v.out.find(SAFEMIGRATE_VERSION), std::string::npos) << v.out;
}

// build_wheel.sh alone (no Django): a lib/ folder beside the binary (the relocatable release) is
// bundled, RECORD holds every file with its hash and size, modes are 0755/0644, the same inputs
// give the same bytes, and what is not an ELF executable is refused.
TEST(DjangoWheelBuild, BundlesLibFolderWithACorrectRecordReproducibly) {
  sm::test::TempDir tmp;
  fs::create_directories(tmp.path() / "rel" / "lib");
  fs::copy_file("/bin/true", tmp.path() / "rel" / "safemigrate");
  tmp.write("rel/lib/libdemo.so.1", "not really a library\n");
  const std::string build =
      "bash " + shell_quote((sm::test::source_dir() / "packaging/python/build_wheel.sh").string());
  RunResult one = sm::test::run_shell(tmp.path(), build + " rel/safemigrate one");
  ASSERT_EQ(one.exit_code, 0) << one.err;
  RunResult two = sm::test::run_shell(tmp.path(), build + " rel/safemigrate two");
  ASSERT_EQ(two.exit_code, 0) << two.err;
#if defined(__x86_64__)
  const std::string name = "safemigrate-" SAFEMIGRATE_VERSION "-py3-none-linux_x86_64.whl";
  EXPECT_EQ(one.out, "one/" + name + "\n");
#else
  const std::string name = fs::path(one.out.substr(0, one.out.find('\n'))).filename().string();
#endif
  EXPECT_EQ(sm::test::read_file(tmp.path() / "one" / name), sm::test::read_file(tmp.path() / "two" / name));

  // Every entry: name, mode, and whether RECORD's hash and size match its bytes.
  tmp.write(
      "list.py",
      "import base64, csv, hashlib, io, sys, zipfile\n"
      "z = zipfile.ZipFile(sys.argv[1])\n"
      "record = [n for n in z.namelist() if n.endswith('.dist-info/RECORD')][0]\n"
      "rows = {r[0]: r[1:] for r in csv.reader(io.StringIO(z.read(record).decode()))}\n"
      "for i in z.infolist():\n"
      "    data = z.read(i.filename)\n"
      "    h = 'sha256=' + base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b'=').decode()\n"
      "    ok = i.filename == record and rows[record] == ['', ''] or rows.get(i.filename) == [h, "
      "str(len(data))]\n"
      "    print(i.filename, oct(i.external_attr >> 16), 'ok' if ok else 'BAD', len(rows))\n");
  RunResult list = sm::test::run_shell(tmp.path(), "/usr/bin/python3 list.py " + shell_quote("one/" + name));
  ASSERT_EQ(list.exit_code, 0) << list.err;
  const std::string n = std::to_string(lines(list.out).size());
  EXPECT_NE(list.out.find("safemigrate/bin/safemigrate 0o100755 ok " + n + "\n"), std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("safemigrate/bin/lib/libdemo.so.1 0o100644 ok " + n + "\n"), std::string::npos)
      << list.out;
  EXPECT_NE(list.out.find("safemigrate/export_plan.py 0o100644 ok"), std::string::npos) << list.out;
  EXPECT_NE(list.out.find("safemigrate/management/commands/safemigrate_export.py 0o100644 ok"),
            std::string::npos);
  EXPECT_NE(list.out.find("safemigrate-" SAFEMIGRATE_VERSION ".dist-info/WHEEL 0o100644 ok"),
            std::string::npos);
  EXPECT_EQ(list.out.find("BAD"), std::string::npos) << list.out;
  EXPECT_EQ(list.out.find("__pycache__"), std::string::npos) << list.out;

  tmp.write("notelf", "#!/bin/sh\n");
  fs::permissions(tmp.path() / "notelf", fs::perms::owner_all);
  RunResult bad = sm::test::run_shell(tmp.path(), build + " notelf three");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("is not an ELF executable"), std::string::npos) << bad.err;
  EXPECT_FALSE(fs::exists(tmp.path() / "three"));
}

// The command's plan is the standalone exporter's, apart from the settings module (the project
// needs one that installs the app) and the interpreter (the venv's, which imports the app); with
// the venv's interpreter and the same settings the standalone script writes the same document.
TEST_F(DjangoWheel, ExportIsTheStandaloneExportersPlan) {
  RunResult app = manage("safemigrate_export --offline -o app.json");
  ASSERT_EQ(app.exit_code, 0) << app.err;
  EXPECT_NE(app.err.find("migrations (offline) written to app.json"), std::string::npos) << app.err;
  RunResult std1 =
      standalone_export(proj() / "standalone.json", sm::test::django_python(), "mysite.settings_modern");
  ASSERT_EQ(std1.exit_code, 0) << std1.err;

  int stamps = 0;
  std::vector<std::string> a = lines(without_timestamps(sm::test::read_file(proj() / "app.json"), &stamps));
  std::vector<std::string> s = lines(without_timestamps(sm::test::read_file(proj() / "standalone.json")));
  EXPECT_GE(stamps, 2) << "the fixture's timezone.now defaults";
  ASSERT_EQ(a.size(), s.size());
  ASSERT_GT(a.size(), 500u);
  std::vector<std::string> differences;
  for (size_t i = 0; i < a.size(); ++i)
    if (a[i] != s[i]) differences.push_back(a[i] + "  <>  " + s[i]);
  ASSERT_EQ(differences.size(), 2u) << ::testing::PrintToString(differences);
  EXPECT_EQ(differences[0],
            " \"settings\": \"" + kSettings + "\",  <>   \"settings\": \"mysite.settings_modern\",");
  EXPECT_EQ(differences[1], "  \"executable\": \"" + kVenvPython.string() +
                                "\",  <>    \"executable\": \"/usr/bin/python3\",");

  // Where apply runs migrate: the project folder, found from the settings module, as the
  // standalone script records its current folder.
  std::string doc = sm::test::read_file(proj() / "app.json");
  EXPECT_NE(doc.find("\"project_dir\": \"" + proj().string() + "\""), std::string::npos);

  RunResult std2 = sm::test::run_shell(
      proj(), "env DJANGO_SETTINGS_MODULE=" + kSettings + " " + venv_python() + " " +
                  shell_quote((sm::test::source_dir() / "adapters/django/export_plan.py").string()) +
                  " --offline -o same.json");
  ASSERT_EQ(std2.exit_code, 0) << std2.err;
  EXPECT_EQ(without_timestamps(sm::test::read_file(proj() / "app.json")),
            without_timestamps(sm::test::read_file(proj() / "same.json")));

  // From another folder the project folder is still the one holding the settings package.
  RunResult elsewhere =
      sm::test::run_shell(tmp_.path(), "env DJANGO_SETTINGS_MODULE=" + kSettings + " " + venv_python() + " " +
                                           shell_quote((proj() / "manage.py").string()) +
                                           " safemigrate_export --offline -o other.json");
  ASSERT_EQ(elsewhere.exit_code, 0) << elsewhere.err;
  EXPECT_NE(
      sm::test::read_file(tmp_.path() / "other.json").find("\"project_dir\": \"" + proj().string() + "\""),
      std::string::npos);

  // Standard output without -o, errors with the exporter's codes.
  RunResult out = manage("safemigrate_export --offline");
  EXPECT_EQ(out.exit_code, 0) << out.err;
  EXPECT_EQ(without_timestamps(out.out), without_timestamps(sm::test::read_file(proj() / "app.json")));
  RunResult bad = manage("safemigrate_export --offline --database nope");
  EXPECT_EQ(bad.exit_code, 2) << bad.err;
  EXPECT_NE(bad.err.find("no database alias 'nope' in DATABASES"), std::string::npos) << bad.err;
}

// `manage.py safemigrate check` = export + the bundled binary: the same findings and exit code as
// the build's binary on the standalone plan.
TEST_F(DjangoWheel, CheckGivesTheBinarysFindingsAndExitCode) {
  ASSERT_EQ(standalone_export(proj() / "standalone.json", sm::test::django_python(), "mysite.settings_modern")
                .exit_code,
            0);
  RunResult expected = binary("check --format json standalone.json");
  ASSERT_EQ(expected.exit_code, 1) << "the fixture holds error findings: " << expected.err;
  ASSERT_NE(expected.out.find("\"rule\""), std::string::npos) << expected.out;

  RunResult app = manage("safemigrate check --offline --format json");
  EXPECT_EQ(app.exit_code, expected.exit_code) << app.err;
  // The one legitimate difference: the plan file's name (sources[].path, and the file of
  // project-wide findings), here the command's temporary plan.
  std::smatch written;
  ASSERT_TRUE(std::regex_search(app.err, written, std::regex(R"(\(offline\) written to (/\S+/plan\.json))")))
      << app.err;
  const std::string temporary = written[1].str();
  EXPECT_FALSE(fs::exists(temporary)) << "removed after the run";
  std::string out = app.out;
  int renamed = 0;
  for (size_t at; (at = out.find(temporary)) != std::string::npos; ++renamed)
    out.replace(at, temporary.size(), "standalone.json");
  EXPECT_GE(renamed, 1);
  EXPECT_EQ(without_timestamps(out), without_timestamps(expected.out));

  // --plan: that file, byte for byte the binary's output; options anywhere on the line.
  RunResult with_plan = manage("safemigrate --plan standalone.json check --format json");
  EXPECT_EQ(with_plan.exit_code, expected.exit_code) << with_plan.err;
  EXPECT_EQ(with_plan.out, expected.out);
  RunResult text = manage("safemigrate check --no-color --plan standalone.json");
  RunResult text_expected = binary("check --no-color standalone.json");
  EXPECT_EQ(text.exit_code, 1);
  EXPECT_EQ(text.out, text_expected.out);

  // The binary's usage errors and commands without a plan pass through too.
  RunResult usage = manage("safemigrate check --plan standalone.json --format nonsense");
  RunResult usage_expected = binary("check standalone.json --format nonsense");
  EXPECT_NE(usage_expected.exit_code, 0);
  EXPECT_EQ(usage.exit_code, usage_expected.exit_code) << usage.err;
  RunResult rules = manage("safemigrate rules");
  EXPECT_EQ(rules.exit_code, 0) << rules.err;
  EXPECT_EQ(rules.out, binary("rules").out);
  RunResult conflicting = manage("safemigrate check --plan standalone.json --offline");
  EXPECT_EQ(conflicting.exit_code, 2);
  EXPECT_NE(conflicting.err.find("export options"), std::string::npos) << conflicting.err;
}

// apply and status from manage.py against a real database: the plan's interpreter is the venv's,
// the only one that imports the app in INSTALLED_APPS, so migrate runs the project's Django.
class DjangoWheelDatabase : public sm::test::DjangoProjectTest {
 protected:
  void SetUp() override {
    DjangoProjectTest::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!fs::exists(kVenvPython)) {
      if (std::getenv("CI")) FAIL() << "CI is set but " << kVenvPython << " is missing";
      GTEST_SKIP() << kVenvPython << " is missing (ctest fixture django_wheel_setup)";
    }
    sm::test::write_django_site(tmp_, "'inv', 'safemigrate'");
    sm::test::write_django_app(tmp_, "inv");
    const std::string head = sm::test::kMigrationHead;
    tmp_.write("proj/inv/migrations/0001_initial.py",
               head +
                   "    initial = True\n    dependencies = []\n    operations = [\n"
                   "        migrations.CreateModel(name='Item', fields=[('id', "
                   "models.BigAutoField(primary_key=True)), "
                   "('name', models.CharField(max_length=50))]),\n    ]\n");
    tmp_.write("proj/inv/migrations/0002_item_sku.py",
               head +
                   "    dependencies = [('inv', '0001_initial')]\n    operations = [\n"
                   "        migrations.AddField(model_name='item', name='sku', "
                   "field=models.CharField(max_length=20, "
                   "null=True)),\n    ]\n");
    pg_->create_database("w");
  }
  RunResult app(const std::string& args) {
    return sh(
        venv_python() + " manage.py safemigrate " + args + " --database-url " + shell_quote(pg_->url("w")),
        "w");
  }
};

TEST_F(DjangoWheelDatabase, ApplyRunsTheProjectsDjangoAndStatusAgrees) {
  RunResult before = app("verify --online");
  EXPECT_NE(before.exit_code, 0) << "two migrations pending: " << before.out << before.err;
  EXPECT_NE((before.out + before.err).find("inv.0002_item_sku"), std::string::npos)
      << before.out << before.err;

  RunResult apply = app("apply --online");
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_NE(apply.out.find("applied inv.0002_item_sku"), std::string::npos) << apply.out;
  EXPECT_EQ(rows("w"), "inv.0001_initial\ninv.0002_item_sku");
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM information_schema.columns WHERE table_name = 'inv_item' AND "
                      "column_name = 'sku'",
                      "w"),
            "1");

  RunResult after = app("verify --online");
  EXPECT_EQ(after.exit_code, 0) << after.out << after.err;
  RunResult status = app("status");
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  RunResult django = sh(venv_python() + " manage.py showmigrations inv", "w");
  EXPECT_EQ(django.exit_code, 0) << django.err;
  EXPECT_NE(django.out.find("[X] 0002_item_sku"), std::string::npos) << django.out;
}

// `manage.py safemigrate fix` exports the plan first, as check does, and the binary rewrites the
// pending AddIndex with the project's Python (the venv's, recorded in the plan).
TEST_F(DjangoWheelDatabase, FixExportsThePlanAndRewritesThePendingAddIndex) {
  tmp_.write("proj/inv/migrations/0003_item_name_idx.py",
             "from django.db import migrations, models\n\n\nclass Migration(migrations.Migration):\n"
             "    dependencies = [('inv', '0002_item_sku')]\n    operations = [\n"
             "        migrations.AddIndex(model_name='item', index=models.Index(fields=['name'], "
             "name='inv_item_name_idx')),\n    ]\n");
  RunResult partly = sh(venv_python() + " manage.py migrate inv 0002", "w");
  ASSERT_EQ(partly.exit_code, 0) << partly.out << partly.err;
  const fs::path split = tmp_.path() / "proj/inv/migrations/0004_item_name_idx_concurrently.py";
  RunResult dry = app("fix --online --dry-run");
  EXPECT_EQ(dry.exit_code, 0) << dry.out << dry.err;
  EXPECT_NE(dry.out.find("AddIndexConcurrently"), std::string::npos) << dry.out;
  EXPECT_FALSE(fs::exists(split));
  RunResult fixed = app("fix --online");
  ASSERT_EQ(fixed.exit_code, 0) << fixed.out << fixed.err;
  ASSERT_TRUE(fs::exists(split)) << fixed.out;
  EXPECT_NE(sm::test::read_file(split).find("atomic = False"), std::string::npos);
  RunResult migrate = sh(venv_python() + " manage.py migrate", "w");
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  EXPECT_EQ(pg_->psql("SELECT count(*) FROM pg_indexes WHERE indexname = 'inv_item_name_idx'", "w"), "1");
  RunResult again = app("fix --online");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.out.find("fix: 0 changes"), std::string::npos) << again.out;
}

// With no --database-url, status and apply use DATABASES['default'] of the settings; the password
// reaches the binary in libpq's PGPASSWORD, never on its command line, and nothing is printed
// about Prisma.
TEST_F(DjangoWheelDatabase, StatusAndApplyWithNoUrlUseTheProjectsDatabases) {
  auto no_url = [&](const std::string& args) {
    return sh(
        "env -u DATABASE_URL -u PGPASSWORD XDG_CACHE_HOME=" + shell_quote((tmp_.path() / "cache").string()) +
            " " + venv_python() + " manage.py safemigrate " + args,
        "w");
  };
  RunResult status = no_url("status --online");
  EXPECT_EQ(status.exit_code, 0) << status.out << status.err;
  EXPECT_NE(status.out.find("inv.0002_item_sku"), std::string::npos) << status.out;
  EXPECT_NE(status.err.find("DATABASES['default']"), std::string::npos) << status.err;
  EXPECT_NE(status.err.find("postgresql://postgres@127.0.0.1:" + std::to_string(pg_->port()) + "/w"),
            std::string::npos)
      << status.err;
  RunResult apply = no_url("apply --online");
  ASSERT_EQ(apply.exit_code, 0) << apply.out << apply.err;
  EXPECT_EQ(rows("w"), "inv.0001_initial\ninv.0002_item_sku");
  EXPECT_NE(apply.err.find("manage.py safemigrate: "), std::string::npos) << apply.err;
  EXPECT_NE(apply.err.find(" migrations (online) written to"), std::string::npos) << apply.err;
  RunResult verify = no_url("verify");
  EXPECT_EQ(verify.exit_code, 0) << verify.out << verify.err;
  // A second apply with the same migrations, settings and alias does not export the plan again.
  RunResult again = no_url("apply --online");
  EXPECT_EQ(again.exit_code, 0) << again.out << again.err;
  EXPECT_NE(again.err.find("migrations unchanged since the last export"), std::string::npos) << again.err;
  EXPECT_EQ(again.err.find("written to"), std::string::npos) << again.err;
  tmp_.write("proj/inv/migrations/0003_noop.py",
             "from django.db import migrations\n\n\nclass Migration(migrations.Migration):\n"
             "    dependencies = [('inv', '0002_item_sku')]\n    operations = []\n");
  RunResult changed = no_url("apply --online");
  EXPECT_EQ(changed.exit_code, 0) << changed.out << changed.err;
  EXPECT_NE(changed.err.find(" migrations (online) written to"), std::string::npos) << changed.err;
  EXPECT_EQ(rows("w"), "inv.0001_initial\ninv.0002_item_sku\ninv.0003_noop");
  // check --sizes reads the table sizes from the same DATABASES entry; plain check connects to nothing.
  RunResult sized = no_url("check --sizes --format json");
  EXPECT_NE(sized.err.find("DATABASES['default']"), std::string::npos) << sized.err;
  EXPECT_EQ((sized.out + sized.err).find("cannot read table sizes"), std::string::npos)
      << sized.out << sized.err;
  RunResult plain = no_url("check --format json");
  EXPECT_EQ(sized.exit_code, plain.exit_code) << sized.out << sized.err;
  EXPECT_EQ(plain.err.find("DATABASES['default']"), std::string::npos) << plain.err;
  EXPECT_EQ(no_url("status --sizes").exit_code, 2);
  for (const RunResult* r : {&status, &apply, &verify, &again, &sized}) {
    EXPECT_EQ((r->out + r->err).find(sm::test::PgCluster::kPassword), std::string::npos) << r->out << r->err;
    EXPECT_EQ((r->out + r->err).find("Prisma"), std::string::npos) << r->out << r->err;
  }
  // An alias that is not in DATABASES is the command's own usage error.
  RunResult bad = no_url("status --database nope");
  EXPECT_EQ(bad.exit_code, 2);
  EXPECT_NE(bad.err.find("manage.py safemigrate: error: DATABASES has no alias 'nope'"), std::string::npos)
      << bad.err;
}

}  // namespace

// manage.py safemigrate drift: the plan exported, DATABASES['default'] compared with what Django's
// own migrate made from it (no drift), then a column added by hand reported (exit 1) with its fix.
TEST_F(DjangoWheelDatabase, DriftComparesTheProjectsDatabaseWithItsMigrations) {
  RunResult migrate = sh(venv_python() + " manage.py migrate", "w");
  ASSERT_EQ(migrate.exit_code, 0) << migrate.out << migrate.err;
  auto drift = [&](const std::string& args) {
    return sh("env -u DATABASE_URL -u PGPASSWORD " + venv_python() + " manage.py safemigrate drift " + args,
              "w");
  };
  RunResult clean = drift("--offline");
  EXPECT_EQ(clean.exit_code, 0) << clean.out << clean.err;
  EXPECT_NE(clean.out.find("2 migration(s) recorded as applied in \"public\".\"django_migrations\""),
            std::string::npos)
      << clean.out;
  EXPECT_NE(clean.out.find("no drift"), std::string::npos) << clean.out;
  EXPECT_NE(clean.err.find("DATABASES['default']"), std::string::npos) << clean.err;
  pg_->psql("ALTER TABLE inv_item ADD COLUMN note text", "w");
  RunResult found = drift("--offline --format json");
  EXPECT_EQ(found.exit_code, 1) << found.out << found.err;
  EXPECT_NE(found.out.find("\"object\": \"column public.inv_item.note\", \"side\": \"production-only\""),
            std::string::npos)
      << found.out;
  EXPECT_NE(found.out.find("DROP COLUMN \\\"note\\\""), std::string::npos) << found.out;
  EXPECT_EQ((found.out + found.err).find(sm::test::PgCluster::kPassword), std::string::npos);
}
