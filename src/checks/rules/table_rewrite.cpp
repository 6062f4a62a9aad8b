// table-rewrite: a statement that rewrites an existing table under ACCESS EXCLUSIVE.
// (Type changes are reported by changing-column-type, with the types.)
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    if (!rewrites_on_target(m, a) || a.on_new_relation || a.kind == model::ActionKind::AlterColumnType)
      return;
    std::string detail = a.rewrites ? a.detail
                                    : "a default before PostgreSQL 11; the target is PostgreSQL " +
                                          std::to_string(m.target_postgres);
    r.at(st, &a,
         std::string(model::action_kind_name(a.kind)) + " rewrites every row of " + table_name(a) +
             " under " + model::lock_mode_name(a.lock) + ": reads and writes wait for the whole rewrite" +
             (detail.empty() ? "" : " (" + detail + ")"));
  });
}

extern const Rule kTableRewrite = {
    .doc =
        {
            .id = "table-rewrite",
            .severity = model::Severity::Error,
            .summary = "A statement that rewrites an existing table.",
            .fix = "Add the column without the volatile default, backfill in batches, then set the default.",
            .why = "Some statements copy the whole table into a new "
                   "file while holding ACCESS EXCLUSIVE: ADD COLUMN\n"
                   "with a volatile default (gen_random_uuid(), "
                   "clock_timestamp(), serial, identity, GENERATED …\n"
                   "STORED), SET LOGGED/UNLOGGED, SET TABLESPACE, SET "
                   "ACCESS METHOD, VACUUM FULL and CLUSTER. Nobody\n"
                   "can read or write the table until the copy is "
                   "done, and the disk needs room for a second copy.\n"
                   "Before PostgreSQL 11 any ADD COLUMN with a "
                   "default rewrote the table (set postgres_version).",
            .alternative = "-- instead of: ALTER TABLE \"Event\" ADD COLUMN "
                           "\"uid\" UUID NOT NULL DEFAULT gen_random_uuid();\n"
                           "ALTER TABLE \"Event\" ADD COLUMN \"uid\" UUID;                       -- instant\n"
                           "ALTER TABLE \"Event\" ALTER COLUMN \"uid\" SET "
                           "DEFAULT gen_random_uuid(); -- new rows only\n"
                           "-- backfill old rows in batches in a later "
                           "migration, then add NOT NULL via a CHECK … NOT VALID",
            .django_fix = "Add the field with null=True and no default (or a constant one), "
                          "backfill in batches in later migrations, then set the default and NOT NULL.",
        },
    .check = check,
};

}  // namespace sm::checks::rules
