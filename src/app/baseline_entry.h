// One entry of a baseline file (src/app/baseline_command.h): a finding the team accepted.
#pragma once

#include <cstdint>
#include <string>

namespace sm::app {

struct BaselineEntry {
  std::string fingerprint, rule, migration, file, reason;
  uint32_t line = 0;
};

}  // namespace sm::app
