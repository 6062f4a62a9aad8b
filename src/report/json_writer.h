// JSON string quoting shared by the JSON outputs.
#pragma once

#include <string>
#include <string_view>

namespace sm::report {

std::string json_quote(std::string_view s);

}  // namespace sm::report
