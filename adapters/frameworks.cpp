// The registry of migration frameworks (app/framework.h): one line per framework. A path goes to
// the first framework that claims it, so a framework that claims what is left comes last.
#include "adapters/django/django_apply.h"
#include "adapters/prisma/prisma_apply.h"
#include "app/framework.h"

namespace sm::app {

const std::vector<const Framework*>& frameworks() {
  static const std::vector<const Framework*> all = {
      &django::django_framework(),  // a plan file
      &prisma::prisma_framework(),  // a migrations folder, or a folder holding some
  };
  return all;
}

}  // namespace sm::app
