// requires-newer-postgres: a statement that the target PostgreSQL version cannot run.
#include <string>

#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const model::Statement* st : m.statements())
    if (target_older_than(m, st->min_postgres))
      r.at(*st, nullptr,
           st->min_postgres_feature + ": needs PostgreSQL " + std::to_string(st->min_postgres) +
               ", the target is PostgreSQL " + std::to_string(m.target_postgres) +
               ": the migration would fail there");
}

extern const Rule kRequiresNewerPostgres = {
    .doc =
        {
            .id = "requires-newer-postgres",
            .severity = model::Severity::Error,
            .summary = "A statement that needs a newer PostgreSQL than the target version.",
            .fix = "Rewrite the statement for the target version, or "
                   "raise postgres_version once production is upgraded.",
            .why = "A migration is checked against the PostgreSQL it will run on: --postgres-version or\n"
                   "postgres_version in safemigrate.toml, else the "
                   "server of check's database; apply judges for the\n"
                   "server it applies to. Statements that need a "
                   "newer server fail at deploy time, often after\n"
                   "earlier statements of the same migration ran. Known: CREATE INDEX … INCLUDE and\n"
                   "procedures (11); REINDEX … CONCURRENTLY and "
                   "GENERATED … STORED columns (12); DETACH PARTITION …\n"
                   "CONCURRENTLY and CREATE OR REPLACE TRIGGER (14); "
                   "MERGE and NULLS NOT DISTINCT (15); and calls of\n"
                   "functions added later: jsonb_path_* (12), "
                   "gen_random_uuid() (13, or pgcrypto created by an\n"
                   "earlier migration), date_bin, string_to_table, "
                   "trim_array, range_agg (14), regexp_count/like/\n"
                   "substr/instr (15). Without a known version this rule is silent.",
            .alternative =
                "-- target PostgreSQL 11: instead of REINDEX INDEX CONCURRENTLY \"Event_day_idx\";\n"
                "CREATE INDEX CONCURRENTLY \"Event_day_idx_new\" ON \"Event\"(\"day\");\n"
                "DROP INDEX CONCURRENTLY \"Event_day_idx\";\n"
                "ALTER INDEX \"Event_day_idx_new\" RENAME TO \"Event_day_idx\";",
        },
    .check = check,
};

}  // namespace sm::checks::rules
