#pragma once

// The logger every file of the network component writes through.

#include "common/log.hpp"

namespace faasd::network {

inline constexpr Logger kLog{"cni"};

} // namespace faasd::network
