#pragma once

// The logger of the cluster's asynchronous queue.

#include "common/log.hpp"

namespace faasd::cluster {

inline constexpr Logger kQueueLog{"cluster.queue"};

} // namespace faasd::cluster
