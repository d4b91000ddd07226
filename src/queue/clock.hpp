#pragma once

// The queue's timestamps: wall-clock milliseconds since the Unix epoch, as
// the store keeps them.

#include <chrono>
#include <cstdint>

namespace faasd::queue {

inline int64_t nowMs() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
}

} // namespace faasd::queue
