// The JSON Schema validator (ajv, installed by tests/tools/install_sarif_validator.sh once per
// build tree) that the SARIF and GitLab report tests check their output with.
#pragma once

#include <gtest/gtest.h>

#include <filesystem>

#include "test_support.h"

namespace sm::test {

inline std::filesystem::path schema_validator_dir() {
  return build_dir() / "test-tools" / "sarif";
}

// Installs ajv and the SARIF schema; a failure here fails the test.
inline void install_schema_validator() {
  auto r = run_shell(source_dir(), "bash tests/tools/install_sarif_validator.sh " +
                                       shell_quote(schema_validator_dir().string()));
  ASSERT_EQ(r.exit_code, 0) << "could not install the schema validator (ajv):\n" << r.out << r.err;
}

}  // namespace sm::test
