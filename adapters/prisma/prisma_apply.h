// Prisma behind app/framework.h: a migrations folder, _prisma_migrations, and apply's engine
// (prisma-6, prisma-7 and safe modes), as `prisma migrate deploy` records them.
#pragma once

#include "app/framework.h"

namespace sm::prisma {

const app::Framework& prisma_framework();

}  // namespace sm::prisma
