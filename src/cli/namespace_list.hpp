#pragma once

// The gateway's namespace list, a JSON array of names. Read apart from
// namespace.cpp so that only namespace_list.cpp compiles the JSON parser.

#include "common/error.hpp"

#include <string>
#include <string_view>
#include <vector>

namespace faasd::cli {

// Internal when body is not a JSON array of strings.
Result<std::vector<std::string>> parseNamespaceList(std::string_view body);

} // namespace faasd::cli
