#pragma once

// Call latencies in log-linear buckets, for percentiles over any window:
// eight buckets per doubling of microseconds (each bucket 12.5 % wide),
// exact below 8 µs, up to 2^34 µs (4.8 h; longer calls land in the last
// bucket). Counts are kept modulo 2^32: a window is the difference of two
// cumulative readings, which unsigned arithmetic gets right across a wrap.

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <optional>

namespace faasd::gateway {

inline constexpr size_t kLatencyBuckets = 256;
using LatencyCounts = std::array<uint32_t, kLatencyBuckets>;

// The bucket of a latency in microseconds.
constexpr size_t latencyBucket(uint64_t micros) {
    if (micros < 8) {
        return static_cast<size_t>(micros);
    }
    const unsigned exponent = std::bit_width(micros) - 1; // >= 3
    const size_t index = (exponent - 2) * 8 + ((micros >> (exponent - 3)) & 7);
    return index < kLatencyBuckets ? index : kLatencyBuckets - 1;
}

// The smallest latency (µs) in a bucket; bucketLow(kLatencyBuckets) is
// the end of the last one.
constexpr double bucketLow(size_t index) {
    if (index < 8) {
        return static_cast<double>(index);
    }
    const size_t exponent = index / 8 + 2;
    return static_cast<double>((8 + index % 8) * (uint64_t{1} << (exponent - 3)));
}

// The q-quantile (0 < q <= 1) of the latencies counted, in microseconds,
// interpolated within its bucket; nullopt without calls.
template <typename Counts> std::optional<double> latencyQuantile(const Counts& counts, double q) {
    uint64_t total = 0;
    for (auto n : counts) {
        total += n;
    }
    if (total == 0) {
        return std::nullopt;
    }
    // The rank of the q-quantile, 1-based, as Prometheus and HdrHistogram count it.
    const double rank = q * static_cast<double>(total);
    uint64_t below = 0;
    for (size_t i = 0; i < counts.size(); ++i) {
        const uint64_t n = counts[i];
        if (n == 0) {
            continue;
        }
        if (static_cast<double>(below + n) >= rank) {
            const double low = bucketLow(i);
            const double high = bucketLow(i + 1);
            const double within = (rank - static_cast<double>(below)) / static_cast<double>(n);
            return low + (high - low) * std::clamp(within, 0.0, 1.0);
        }
        below += n;
    }
    return bucketLow(counts.size());
}

} // namespace faasd::gateway
