#pragma once

// Where the scaler tells what it changed ("2 -> 3 replicas, alert
// firing"), so the metrics history can mark it on the charts. The gateway's
// history implements it; the scaler works without one.

#include "api/function_ref.hpp"

#include <cstdint>
#include <string_view>

namespace faasd::gateway {

class ScaleEventSink {
public:
    virtual ~ScaleEventSink() = default;

    // A replica change made; cheap and non-blocking (called on the
    // scaler's threads).
    virtual void scaled(const api::FunctionRef& function, uint64_t from, uint64_t to,
                        std::string_view reason) = 0;
};

} // namespace faasd::gateway
