#include "app/database_choice.h"

#include "model/errors.h"

namespace sm::app {

DatabaseChoice choose_database(DatabaseUse use, const DatabaseCandidates& c) {
  if (c.flag) return {*c.flag, DatabaseFrom::Flag, {}};
  if (use == DatabaseUse::Rehearse)
    throw model::InputError("rehearse needs --database-url naming the copy (it does not read DATABASE_URL)");
  if (!c.source.empty()) return {c.source, DatabaseFrom::Source, {}};
  if (use == DatabaseUse::TableSizes) return {};
  if (c.prisma_project) {
    auto [url, from] = c.prisma_project();
    return {std::move(url), DatabaseFrom::PrismaProject, std::move(from)};
  }
  if (c.environment) return {*c.environment, DatabaseFrom::Environment, {}};
  return {};
}

}  // namespace sm::app
