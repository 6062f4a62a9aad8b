// attach-partition-without-check: ATTACH PARTITION of an existing table with no validated CHECK
// constraint that names the bound: PostgreSQL scans the partition to prove every row fits.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for_each_action(m, [&](const model::Statement& st, const model::Action& a) {
    // The partition's action (the parent's carries no scan); a table made in this migration is empty.
    if (a.kind != model::ActionKind::AttachPartition || !a.scans || a.on_new_relation) return;
    r.at(st, &a,
         "ATTACH PARTITION scans every row of " + table_name(a) +
             " under ACCESS EXCLUSIVE on it to prove the rows fit the bound" +
             (a.default_partition ? " (a DEFAULT partition: no rows of the other partitions)"
                                  : ": no validated CHECK constraint naming the bound was seen in these "
                                    "migrations"));
  });
}

extern const Rule kAttachPartitionWithoutCheck = {
    .doc =
        {
            .id = "attach-partition-without-check",
            .severity = model::Severity::Warning,
            .summary = "ATTACH PARTITION of an existing table without a "
                       "validated CHECK constraint that matches the bound.",
            .fix = "Add a CHECK matching the bound NOT VALID, VALIDATE it "
                   "(SHARE UPDATE EXCLUSIVE), then ATTACH; drop the CHECK afterwards.",
            .why =
                "ATTACH PARTITION proves that every row of the "
                "table fits the partition bound by reading the\n"
                "whole table while it holds ACCESS EXCLUSIVE on it (and, from PostgreSQL 12, SHARE UPDATE\n"
                "EXCLUSIVE on the parent; before 12, ACCESS "
                "EXCLUSIVE on the parent too, so the parent is blocked\n"
                "for the scan). PostgreSQL skips the scan when a "
                "valid CHECK constraint of the table implies the\n"
                "bound (PostgreSQL's ALTER TABLE documentation). "
                "safemigrate takes a validated CHECK that names\n"
                "every value of the bound, made by earlier "
                "statements, as such a constraint; a CHECK made outside\n"
                "these migrations is not seen: silence the finding "
                "with a reason then. Tables created in the same\n"
                "migration are empty and not reported.",
            .alternative =
                "ALTER TABLE \"Event_2025\" ADD CONSTRAINT \"Event_2025_bound\"\n"
                "  CHECK (\"createdAt\" >= '2025-01-01' AND \"createdAt\" < '2026-01-01') NOT VALID;\n"
                "ALTER TABLE \"Event_2025\" VALIDATE CONSTRAINT "
                "\"Event_2025_bound\";  -- a later transaction\n"
                "ALTER TABLE \"Event\" ATTACH PARTITION \"Event_2025\"\n"
                "  FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');  -- no scan\n"
                "ALTER TABLE \"Event_2025\" DROP CONSTRAINT \"Event_2025_bound\";",
        },
    .check = check,
};

}  // namespace sm::checks::rules
