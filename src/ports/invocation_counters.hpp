#pragma once

// What the scaler reads of the invocations: per function, how many calls
// started and completed (by status code) and how many are in flight. The
// gateway's FunctionMetrics implements it with its own counters; in a
// cluster, ClusterCounters adds every other node's gateway.

#include "api/function_ref.hpp"

#include <cstdint>
#include <map>
#include <optional>

namespace faasd::gateway {

// A function's counters. started, completed and byCode only grow (a
// reader may take differences); inFlight and replicas are gauges.
struct InvocationSnapshot {
    uint64_t started = 0;   // gateway_function_invocation_started
    uint64_t completed = 0; // sum of gateway_function_invocation_total over codes
    uint64_t inFlight = 0;
    uint64_t replicas = 0; // gateway_service_count
    std::map<unsigned, uint64_t> byCode;
};

class InvocationCounters {
public:
    using Snapshot = InvocationSnapshot;

    virtual ~InvocationCounters() = default;

    // Every function with counters, in function order. Thread-safe.
    virtual std::map<api::FunctionRef, Snapshot> all() const = 0;
    // One function's; nullopt when it has none.
    virtual std::optional<Snapshot> get(api::FunctionRefView function) const = 0;
};

} // namespace faasd::gateway
