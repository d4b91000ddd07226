#pragma once

// The CNI rules for names the runtime passes to plugins. Ids and network
// names also name files in the result cache, so they are checked before
// anything is run or written.

#include "common/error.hpp"

#include <string_view>

namespace faasd::network {

// Letters, digits, '_', '.' and '-', starting with a letter or digit.
Result<void> validateName(std::string_view what, std::string_view name);
// A plugin type names a binary in a plugin dir: no '/', not "." or "..".
Result<void> validatePluginType(std::string_view type);
// At most 15 bytes, no '/', ':' or whitespace, not "." or "..".
Result<void> validateIfName(std::string_view name);

} // namespace faasd::network
