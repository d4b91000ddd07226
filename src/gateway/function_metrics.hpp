#pragma once

// Per-function invocation metrics: what /metrics exposes in Prometheus text
// and what the scaler reads. Keys are "name.namespace". Thread-safe.

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace faasd::gateway {

class FunctionMetrics {
public:
    // Upper bounds of the gateway_functions_seconds buckets (Prometheus defaults).
    static constexpr std::array<double, 11> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                        0.5,   1,    2.5,   5,    10};

    struct Snapshot {
        uint64_t started = 0;   // gateway_function_invocation_started
        uint64_t completed = 0; // sum of gateway_function_invocation_total over codes
        uint64_t inFlight = 0;
        uint64_t replicas = 0; // gateway_service_count
        std::map<unsigned, uint64_t> byCode;
    };

    void started(const std::string& function);
    // started() and setReplicas() under one lock: the invoke path's call.
    void started(const std::string& function, uint64_t replicas);
    void finished(const std::string& function, unsigned code, std::chrono::nanoseconds took);
    void setReplicas(const std::string& function, uint64_t replicas);
    // Forgets a removed function.
    void remove(const std::string& function);

    std::optional<Snapshot> get(const std::string& function) const;
    std::map<std::string, Snapshot> all() const;

    // The Prometheus text exposition of every series.
    std::string prometheusText() const;

private:
    struct Histogram {
        std::array<uint64_t, kBuckets.size()> buckets{};
        uint64_t count = 0;
        double sum = 0;
    };
    struct Series {
        Snapshot snapshot;
        std::map<unsigned, Histogram> seconds;
    };

    mutable std::mutex mutex_;
    std::map<std::string, Series> series_;
};

} // namespace faasd::gateway
