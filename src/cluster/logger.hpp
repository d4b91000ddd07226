#pragma once

// The logger every file of the cluster component writes through.

#include "common/log.hpp"

namespace faasd::cluster {

inline constexpr Logger kLog{"cluster"};

} // namespace faasd::cluster
