#pragma once

// Prometheus metrics of the function's HTTP traffic, named as the OpenFaaS
// watchdogs name them: http_requests_total{code,method},
// http_request_duration_seconds{code,method} (histogram) and
// http_requests_in_flight.

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace faasd::watchdog {

class Metrics {
public:
    void started() { ++inFlight_; }
    void finished(std::string_view method, int code, double seconds);
    int64_t inFlight() const { return inFlight_; }

    // The text exposition format (version 0.0.4).
    std::string render() const;

private:
    static constexpr std::array<double, 11> bounds_ = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                       0.5,   1,    2.5,   5,    10};
    struct Series {
        std::string method; // lower case, as Go's promhttp labels it
        int code = 0;
        uint64_t count = 0;
        double sum = 0;
        std::array<uint64_t, bounds_.size()> buckets{};
    };
    Series& series(std::string_view method, int code);

    std::vector<Series> series_;
    int64_t inFlight_ = 0;
};

} // namespace faasd::watchdog
