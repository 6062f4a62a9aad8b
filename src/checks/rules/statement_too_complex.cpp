// statement-too-complex: a statement whose parse tree safemigrate cannot read (it nests deeper
// than the limits below). It is never skipped in silence: it is reported, and apply refuses it.
#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const model::Statement* st : m.statements())
    if (st->cls == model::StatementClass::Invalid && !st->not_analysed.empty())
      r.at(*st, nullptr, "safemigrate cannot analyse this statement: " + st->not_analysed);
}

extern const Rule kStatementTooComplex = {
    .doc =
        {
            .id = "statement-too-complex",
            .severity = model::Severity::Error,
            .summary = "A statement nested too deeply for safemigrate to analyse.",
            .fix = "Split the expression (for example into several "
                   "statements or a function); `apply` will not run it.",
            .why = "safemigrate reads every statement's parse tree "
                   "from PostgreSQL's own parser. A statement that\n"
                   "nests deeper than it reads (an expression of "
                   "tens of thousands of chained operators, or a tree\n"
                   "deeper than 20,000 levels) is not analysed, so "
                   "nothing is known about the locks it takes or the\n"
                   "data it changes. Rather than pass over it, "
                   "safemigrate reports it as an error, and `apply` refuses\n"
                   "the migration whatever the configuration says: a statement nobody checked is never run.",
            .alternative = "-- Instead of one expression of thousands of terms:\n"
                           "--   UPDATE \"T\" SET \"v\" = 'a' || 'b' || … ;\n"
                           "-- build the value in steps, or in a function:\n"
                           "UPDATE \"T\" SET \"v\" = concat_ws('', 'a', 'b');",
        },
    .check = check,
};

}  // namespace sm::checks::rules
