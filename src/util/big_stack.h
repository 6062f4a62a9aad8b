// Work that recurses as deep as its input: libpg_query writes a parse tree out recursively, so a
// statement nested a hundred thousand levels deep needs far more stack than a thread has.
#pragma once

#include <cstddef>
#include <functional>

namespace sm::util {

// Runs fn on a new thread whose stack is `bytes` large (reserved, touched only as used), waits
// for it, and rethrows what it threw.
void run_with_stack(size_t bytes, const std::function<void()>& fn);

}  // namespace sm::util
