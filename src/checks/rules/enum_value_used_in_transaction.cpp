// enum-value-used-in-transaction: ALTER TYPE … ADD VALUE whose new value is used later in the
// same transaction; PostgreSQL refuses with "unsafe use of new value".
#include <algorithm>

#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  std::vector<const model::Statement*> reported;
  for (const auto& scenario : m.scenarios) {
    std::vector<StatementRun> runs = plan_runs(m, scenario.mode);
    for (size_t i = 0; i < runs.size(); ++i) {
      const model::Statement& add = *runs[i].statement;
      if (add.enum_value.empty() || !runs[i].in_transaction_block) continue;
      for (size_t j = i + 1; j < runs.size(); ++j) {
        if (runs[j].transaction != runs[i].transaction) break;
        const model::Statement& use = *runs[j].statement;
        bool uses = false;
        for (const auto& lit : use.string_literals) uses = uses || lit == add.enum_value;
        if (!uses || std::find(reported.begin(), reported.end(), &use) != reported.end()) continue;
        reported.push_back(&use);
        r.at(use, nullptr,
             "uses the enum value '" + add.enum_value + "' added to " + add.enum_type + " at line " +
                 std::to_string(add.loc.line) + " in the same transaction under " + scenario.label +
                 ": PostgreSQL refuses it (\"unsafe use of new value\") until the ADD VALUE commits");
      }
    }
  }
}

extern const Rule kEnumValueUsedInTransaction = {
    .doc =
        {
            .id = "enum-value-used-in-transaction",
            .severity = model::Severity::Error,
            .summary = "ALTER TYPE … ADD VALUE whose new value is used later in the same transaction.",
            .fix = "Add the enum value in one migration and use it in the next.",
            .why = "A value added with ALTER TYPE … ADD VALUE "
                   "cannot be used until the transaction that added it\n"
                   "commits. Under Prisma <= 7.3 the whole "
                   "migration.sql is one transaction, so an UPDATE or a\n"
                   "DEFAULT using the new value in the same file fails at deploy.",
            .alternative = "-- migration 1\n"
                           "ALTER TYPE \"Role\" ADD VALUE 'MODERATOR';\n"
                           "-- migration 2\n"
                           "UPDATE \"User\" SET \"role\" = 'MODERATOR' WHERE \"isMod\";",
        },
    .check = check,
};

}  // namespace sm::checks::rules
