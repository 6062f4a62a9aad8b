// syntax-error: a statement PostgreSQL cannot parse. The migration fails at deploy.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const model::Statement* st : m.statements())
    if (st->cls == model::StatementClass::Invalid && !st->syntax_error.empty())
      r.at(*st, nullptr, "PostgreSQL cannot parse this statement: " + st->syntax_error);
}

extern const Rule kSyntaxError = {
    .doc =
        {
            .id = "syntax-error",
            .severity = model::Severity::Error,
            .summary = "A statement that PostgreSQL's parser rejects.",
            .fix = "Fix the SQL; run it against a scratch database to confirm.",
            .why = "PostgreSQL parses the whole statement before "
                   "running it: a syntax error makes the migration fail\n"
                   "at deploy time, and depending on how the "
                   "framework runs the file, the statements before it may\n"
                   "already be applied (Prisma >= 7.4 runs statements "
                   "one by one). safemigrate parses every file with\n"
                   "PostgreSQL's own parser (libpg_query) and reports "
                   "the parser's message at its exact position; the\n"
                   "other statements of the file are still checked.",
            .alternative = "-- Fix the statement. For example a missing comma in a SET list:\n"
                           "UPDATE \"Model\" SET \"a\" = 1, \"b\" = 2 WHERE \"id\" = 3;",
        },
    .check = check,
};

}  // namespace sm::checks::rules
