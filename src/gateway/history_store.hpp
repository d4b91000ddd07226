#pragma once

// MetricsHistory: every function's history and the VM's (history.hpp),
// fed once a second by the sampler (history_sampler.hpp) and read by GET
// /system/metrics/history as JSON arrays ready to plot. It is also where
// the scaler marks its replica changes. Thread-safe.

#include "api/function_ref.hpp"
#include "gateway/history.hpp"
#include "ports/scale_events.hpp"

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace faasd::gateway {

class MetricsHistory final : public ScaleEventSink {
public:
    enum class Range { Minutes15, Hour, Day };
    // "15m", "1h", "24h" (empty: 15m); nullopt for anything else.
    static std::optional<Range> parseRange(std::string_view text);

    using Clock = std::function<int64_t()>; // unix seconds

    // clock: when the scaler's events happened (default: the wall clock).
    explicit MetricsHistory(Clock clock = {});

    // What the host has, for the VM's charts.
    struct Host {
        std::optional<double> memoryTotal; // bytes
        unsigned cpus = 0;
    };

    // One round of readings taken at unix second `second`. When complete
    // (every function was listed), functions absent from it are forgotten.
    void record(int64_t second, const std::map<api::FunctionRef, history::Reading>& functions,
                const history::Reading& vm, const Host& host, bool complete);

    void scaled(const api::FunctionRef& function, uint64_t from, uint64_t to,
                std::string_view reason) override;

    // The function's series over the range, as JSON; only the points after
    // unix second `since` when given. nullopt when the history has no such
    // function.
    std::optional<std::string> functionJson(const api::FunctionRef& function, Range range,
                                            std::optional<int64_t> since) const;
    // The VM's series over the range, and a summary with a sparkline per
    // function (of one namespace, or all when ns is empty).
    std::string overviewJson(std::string_view ns, Range range, std::optional<int64_t> since) const;

    // Bytes held, all functions and the VM included.
    size_t memoryBytes() const;
    size_t functions() const;

private:
    Clock clock_;
    mutable std::mutex mu_;
    std::map<api::FunctionRef, std::unique_ptr<history::SeriesHistory>> functions_;
    history::SeriesHistory vm_;
    Host host_;
    int64_t last_ = -1; // the latest recorded second
};

} // namespace faasd::gateway
