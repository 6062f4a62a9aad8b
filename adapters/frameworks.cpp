// The registry of migration frameworks (app/framework.h): one line per framework. A path goes to
// the first framework that claims it, so a framework that claims what is left comes last.
#include "adapters/django/django_apply.h"
#include "adapters/prisma/prisma_apply.h"
#include "app/framework.h"
#include "model/errors.h"

namespace sm::app {

const std::vector<const Framework*>& frameworks() {
  static const std::vector<const Framework*> all = {
      &django::django_framework(),  // a plan file
      &prisma::prisma_framework(),  // a migrations folder, or a folder holding some
  };
  return all;
}

const Framework& framework_of(const model::MigrationSet& set) {
  for (const Framework* f : frameworks())
    if (f->kind() == set.framework) return *f;
  throw model::InputError(std::string("no framework is registered for ") +
                          model::framework_name(set.framework));
}

}  // namespace sm::app
