#pragma once

// What the invoke proxy asks when a function has no ready replica: bring one
// up (scale from zero) and return once it serves, or fail by the deadline.
// The scaler implements it; without one the proxy answers 503.

#include "common/error.hpp"

#include <chrono>
#include <string>

namespace faasd::gateway {

class ReplicaWaker {
public:
    virtual ~ReplicaWaker() = default;

    // Blocking; called off the I/O threads. Ok means "resolve again".
    virtual Result<void> wake(const std::string& name, const std::string& ns,
                              std::chrono::steady_clock::time_point deadline) = 0;
};

} // namespace faasd::gateway
