#pragma once

// The logger every file of the queue component writes through.

#include "common/log.hpp"

namespace faasd::queue {

inline constexpr Logger kLog{"queue"};

} // namespace faasd::queue
