#pragma once

// Per-function invocation metrics: what /metrics exposes in Prometheus text
// and what the scaler reads (as InvocationCounters), per function
// (api::FunctionRef; the "name.namespace" string is only the Prometheus
// label). Thread-safe.
//
// Writers (the invoke path, on the I/O threads) each update a shard of
// their own, so they never wait on one another, nor on a thread that was
// preempted holding a lock; readers (scrapes, the scaler's tick) merge the
// shards. A call's start and finish happen on the same thread, hence in
// the same shard.

#include "api/function_ref.hpp"
#include "gateway/latency_buckets.hpp"
#include "ports/invocation_counters.hpp"

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

namespace faasd::gateway {

class FunctionMetrics final : public InvocationCounters {
public:
    // Upper bounds of the gateway_functions_seconds buckets (Prometheus defaults).
    static constexpr std::array<double, 11> kBuckets = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                        0.5,   1,    2.5,   5,    10};

    // The counters of one function (ports/invocation_counters.hpp).
    using Snapshot = InvocationSnapshot;
    // A snapshot with the function's latency buckets, cumulative (all zero
    // unless latency detail is kept).
    struct Detail {
        Snapshot snapshot;
        LatencyCounts latency{};
    };

    // latencyDetail: also count every call's latency in fine buckets
    // (latency_buckets.hpp), for the metrics history's percentiles.
    explicit FunctionMetrics(bool latencyDetail = false) : latencyDetail_(latencyDetail) {}

    // The invoke path's calls look a function up by view: no string is
    // made, except for a function's first series in a shard.
    void started(api::FunctionRefView function);
    // started() and setReplicas() under one lock: the invoke path's call.
    void started(api::FunctionRefView function, uint64_t replicas);
    void finished(api::FunctionRefView function, unsigned code, std::chrono::nanoseconds took);
    void setReplicas(api::FunctionRefView function, uint64_t replicas);
    // Forgets a removed function.
    void remove(api::FunctionRefView function);

    std::optional<Snapshot> get(api::FunctionRefView function) const override;
    std::map<api::FunctionRef, Snapshot> all() const override;
    std::map<api::FunctionRef, Detail> details() const;

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
        uint64_t replicasVersion = 0; // the latest setting wins across shards
        std::map<unsigned, Histogram> seconds;
        std::unique_ptr<LatencyCounts> latency; // with latencyDetail_
    };
    struct Shard {
        mutable std::mutex mutex;
        api::FunctionMap<Series> series;

        // The function's series, made on first use. Called with mutex held.
        Series& at(api::FunctionRefView function, bool latencyDetail);
    };
    static constexpr size_t kShards = 16;

    Shard& shard();
    // Every series, merged over the shards, in function order; the
    // latency buckets only when asked (details(), not scrapes).
    std::map<api::FunctionRef, Series> merged(bool withLatency = false) const;

    const bool latencyDetail_;
    std::array<Shard, kShards> shards_;
    std::atomic<uint64_t> replicasVersion_{0};
};

} // namespace faasd::gateway
