// The paths the command line gives, as the Prisma CLI reads them: a folder holding a Prisma
// project stands for that project's migrations folder (prisma_project.h finds the project).
#pragma once

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace sm::prisma {

// Rewrites each folder in `paths` that holds a Prisma project (prisma.config.ts, package.json's
// prisma.schema, a schema at a default place) to that project's migrations folder, as `npx prisma
// migrate` finds it: a stray second migrations folder elsewhere in the tree is not read. With
// `none_given`, the working folder is tried (and `paths` left empty when it holds no project).
// Returns, for the last project mapped that names its database, a function giving that URL and
// where it came from for a Prisma version ("" : detected); else an empty function. Throws
// ProjectError when a project cannot be read without guessing.
std::function<std::pair<std::string, std::string>(const std::string& version)> map_project_paths(
    std::vector<std::string>& paths, bool none_given);

}  // namespace sm::prisma
