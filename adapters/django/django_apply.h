// Django behind app/framework.h: a plan file (export_plan.py's JSON), django_migrations, and
// apply through Django's own `migrate` (run_migrate.py), writing the rows `manage.py migrate`
// writes so that `showmigrations` and `migrate` agree.
#pragma once

#include "app/framework.h"

namespace sm::django {

const app::Framework& django_framework();

}  // namespace sm::django
