// Django's history table, django_migrations: its shape, what it says about a plan's
// migrations, and the rows `manage.py migrate` writes, so that Django and safemigrate read each
// other's records.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "db/database.h"
#include "db/history_store.h"
#include "model/migration.h"

namespace sm::django {

// `manage.py migrate` takes no lock, so two runs at once can apply a migration twice.
// safemigrate takes this advisory lock (its own key: "smdj" in ASCII) around every apply.
inline constexpr int64_t kDjangoAdvisoryLockKey = 0x736d646a;
inline constexpr const char* kDjangoMigrationsTable = "django_migrations";

struct DjangoRow {
  int64_t id = 0;
  std::string app, name, applied;
  std::string key() const { return app + "." + name; }
};

class DjangoHistory : public db::HistoryStore {
 public:
  // `id_type`: the primary key Django's recorder uses ("bigserial" or "serial", from the plan).
  DjangoHistory(db::Database& db, std::string id_type = "bigserial")
      : db_(db), id_type_(std::move(id_type)) {}

  std::string table() const override;
  int64_t lock_key() const override { return kDjangoAdvisoryLockKey; }
  bool table_exists() override;
  void check_table() override;
  void create_table() override;

  std::vector<DjangoRow> rows();
  db::HistoryReport report(const model::MigrationSet& plan);

 private:
  db::Database& db_;
  std::string id_type_;
};

// The state of every migration of the plan against the rows, as Django's loader sees it
// (a squash is applied when everything it replaces is), then the rows of the plan's apps
// that no local migration explains. No database needed.
std::vector<db::MigrationStatus> compute_status(const model::MigrationSet& plan,
                                                const std::vector<DjangoRow>& rows);

}  // namespace sm::django
