// copy-from-stdin: COPY … FROM STDIN in a migration file, as pg_dump writes it. Only psql sends
// the rows that follow it; a migration runner sends the file to the server as SQL.
#include <fmt/format.h>

#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const model::Statement* st : m.statements())
    if (st->copy_from_stdin)
      r.at(
          *st, nullptr,
          fmt::format("COPY … FROM STDIN waits for rows from the client, which a migration runner does not "
                      "send: the deploy fails here; the {} line(s) of data after it are not SQL and were not "
                      "checked",
                      st->copy_data_lines));
}

extern const Rule kCopyFromStdin = {
    .doc =
        {
            .id = "copy-from-stdin",
            .severity = model::Severity::Error,
            .summary = "COPY … FROM STDIN, whose rows only psql can send.",
            .fix = "Write the rows as INSERT statements, or load them with a separate psql step.",
            .why = "pg_dump writes table data as `COPY … FROM "
                   "stdin;` followed by the rows and a line `\\.`. psql\n"
                   "reads those rows from the file and streams them to the server. Prisma and Django send a\n"
                   "migration's SQL to the server as statements: "
                   "the server then waits for COPY data that never\n"
                   "comes, and the deploy fails (the rows are a "
                   "syntax error when sent as SQL). safemigrate treats\n"
                   "the lines up to `\\.` as data: they are not "
                   "checked as SQL, and this finding stands for them.",
            .alternative = "-- Instead of\n"
                           "--   COPY \"Country\" (code, name) FROM stdin;\n"
                           "--   de\tGermany\n"
                           "--   \\.\n"
                           "INSERT INTO \"Country\" (code, name) VALUES ('de', 'Germany');",
        },
    .check = check,
};

}  // namespace sm::checks::rules
