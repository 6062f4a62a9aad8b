// lexing-setting-changed: a migration changes a setting that decides how PostgreSQL lexes SQL
// (standard_conforming_strings, backslash_quote, client_encoding), for its session, a role, a
// database or the whole server.
#include <fmt/format.h>

#include "checks/rule.h"

namespace sm::checks::rules {

static void check(const model::Migration& m, Reporter& r) {
  for (const model::Statement* st : m.statements())
    for (const std::string& change : st->lexing_changes)
      r.at(*st, nullptr,
           fmt::format("{} changes how PostgreSQL lexes the SQL sent after it: safemigrate checked every "
                       "statement as read with standard_conforming_strings on and UTF-8, and the server "
                       "may split what follows into other statements than those checked (a backslash "
                       "before a quote can end a string here and not there)",
                       change));
}

extern const Rule kLexingSettingChanged = {
    .doc =
        {
            .id = "lexing-setting-changed",
            .severity = model::Severity::Error,
            .summary = "A migration changes standard_conforming_strings, backslash_quote or client_encoding.",
            .fix = "Remove the setting change; write strings that "
                   "need escapes as E'…' (standard strings stay on).",
            .why =
                "safemigrate reads every migration as PostgreSQL "
                "does by default: standard_conforming_strings\n"
                "on (a backslash is an ordinary character in "
                "'…'), UTF-8. With standard_conforming_strings off\n"
                "the server lexes `SELECT 'x\\'' ; DROP TABLE "
                "\"T\"; --';` as three statements where the parser\n"
                "safemigrate uses sees one SELECT, so the "
                "checks see one thing and the server runs another.\n"
                "A migration that changes such a setting - SET, "
                "SET LOCAL, set_config(), ALTER ROLE/DATABASE\n"
                "… SET (every later session), ALTER SYSTEM "
                "(every session after a reload) - makes the SQL that\n"
                "follows mean something else than what was "
                "checked. `safemigrate apply` refuses to run on a\n"
                "session whose standard_conforming_strings is "
                "off or whose client_encoding is a client-only\n"
                "one (SJIS, BIG5, GBK, UHC, GB18030, JOHAB), and "
                "this rule stops it before any migration that\n"
                "changes them. Setting the values safemigrate reads with (on, safe_encoding, UTF8) is fine.",
            .alternative =
                "-- instead of SET standard_conforming_strings = off; INSERT … VALUES ('it\\'s'):\n"
                "INSERT INTO \"Note\" (body) VALUES ('it''s');   -- or E'it\\'s'",
            .django_fix = "Remove the setting change from RunSQL; Django's own SQL never needs it.",
        },
    .check = check,
};

}  // namespace sm::checks::rules
