#pragma once

// The logger every file of the provider component writes through.

#include "common/log.hpp"

namespace faasd::provider {

inline constexpr Logger kLog{"provider"};

} // namespace faasd::provider
