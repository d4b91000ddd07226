#pragma once

// The logger every file of the gateway component writes through.

#include "common/log.hpp"

namespace faasd::gateway {

inline constexpr Logger kLog{"gateway"};

} // namespace faasd::gateway
