#pragma once

#include "common/error.hpp"

#include <string>
#include <string_view>

namespace faasd {

std::string base64Encode(std::string_view data);
// Standard alphabet; padding optional; whitespace is not allowed.
Result<std::string> base64Decode(std::string_view text);

} // namespace faasd
