#pragma once

// The logger every file of the triggers component writes through.

#include "common/log.hpp"

namespace faasd::triggers {

inline constexpr Logger kLog{"triggers"};

} // namespace faasd::triggers
