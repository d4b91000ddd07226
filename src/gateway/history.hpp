#pragma once

// The metrics history: a short, fixed-size record of what each function
// and the VM did, kept in memory for the UI's charts (GET
// /system/metrics/history). No disk: it is lost on restart.
//
// Per function, two rings of compact samples: one per second for the last
// 15 minutes, one per minute for the last 24 hours. A minute is made from
// its seconds: calls summed, percentiles over all of its calls (from the
// merged latency buckets, not averaged), in-flight, replicas and queue
// depth at their maximum, CPU and memory averaged. Numbers are stored as
// 16-bit logarithmic codes (0.07 % apart), so a sample is 24 bytes and a
// function's whole history stays under kFunctionBudget bytes.
//
// Not thread-safe by itself: MetricsHistory (history_store.hpp) locks.

#include "gateway/latency_buckets.hpp"

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

namespace faasd::gateway::history {

inline constexpr size_t kSecondSlots = 15 * 60;
inline constexpr size_t kMinuteSlots = 24 * 60;
inline constexpr size_t kEventSlots = 32;
// What one function's history may take, documented in docs/API.md.
inline constexpr size_t kFunctionBudget = 64 * 1024;

// Any non-negative number in 16 bits: round(1000 * log2(1 + x)), exact for
// integers below ~1400 and within 0.035 % above; saturates near 2^65.
uint16_t encode(double x);
double decode(uint16_t code);

// A function's counters as read at one moment (cumulative) plus its
// gauges then. The VM's series reads the same way: every function's calls
// and latencies, the host's CPU and memory, the whole queue.
struct Reading {
    uint64_t ok = 0;           // calls answered 1xx-3xx, cumulative
    uint64_t clientErrors = 0; // 4xx, cumulative
    uint64_t serverErrors = 0; // 5xx (and calls that got no answer), cumulative
    LatencyCounts latency{};   // cumulative, modulo 2^32
    uint64_t inFlight = 0;
    uint64_t ready = 0; // replicas answering
    uint64_t wanted = 0;
    uint64_t parked = 0;          // replicas parked (their function scaled to zero)
    std::optional<double> cpu;    // cores in use, all replicas
    std::optional<double> memory; // bytes, all replicas
    uint64_t queued = 0;          // async requests waiting
};

// One sample as stored: 24 bytes.
struct Sample {
    uint16_t ok = 0, clientErrors = 0, serverErrors = 0;    // calls in the interval
    uint16_t p50 = 0, p95 = 0, p99 = 0;                     // µs
    uint16_t inFlight = 0, cpu = 0, memory = 0, queued = 0; // cpu: millicores; memory: KiB
    uint8_t ready = 0, wanted = 0, parked = 0;
    uint8_t flags = 0; // kPresent, kLatency, kCpu, kMemory

    static constexpr uint8_t kPresent = 1, kLatency = 2, kCpu = 4, kMemory = 8;
    bool has(uint8_t flag) const { return (flags & flag) != 0; }
};
static_assert(sizeof(Sample) == 24);

// A replica change the scaler made, for the charts' markers.
struct Event {
    int64_t at = 0; // unix seconds
    uint32_t from = 0, to = 0;
    std::array<char, 64> reason{}; // NUL-terminated, cut to fit
};

// The one-minute aggregate under construction.
struct MinuteAccumulator {
    int64_t minute = -1; // unix minute, -1: none
    uint64_t ok = 0, clientErrors = 0, serverErrors = 0;
    LatencyCounts latency{};
    uint64_t inFlight = 0, ready = 0, wanted = 0, parked = 0, queued = 0;
    double cpuSum = 0, memorySum = 0;
    uint32_t cpuSamples = 0, memorySamples = 0, samples = 0;
};

// A ring of samples at one resolution; slot i holds the sample of time
// index (head - (n-1) + i) modulo n. Times are in units of the step.
template <size_t N> class Ring {
public:
    // Stores a sample at time t (>= the last one; older is dropped); the
    // times skipped in between become empty.
    void put(int64_t t, const Sample& s);
    // The sample at time t, or nullptr when absent or out of the ring.
    const Sample* at(int64_t t) const;
    int64_t head() const { return head_; }

private:
    std::array<Sample, N> slots_{};
    int64_t head_ = -1;
};

template <size_t N> void Ring<N>::put(int64_t t, const Sample& s) {
    if (head_ >= 0 && t < head_) {
        return;
    }
    if (head_ >= 0) {
        // Clear what was skipped: at most the whole ring.
        for (int64_t skipped = std::max(head_ + 1, t - static_cast<int64_t>(N) + 1); skipped < t;
             ++skipped) {
            slots_[static_cast<size_t>(skipped) % N] = Sample{};
        }
    }
    slots_[static_cast<size_t>(t) % N] = s;
    head_ = t;
}

template <size_t N> const Sample* Ring<N>::at(int64_t t) const {
    if (head_ < 0 || t > head_ || t <= head_ - static_cast<int64_t>(N) || t < 0) {
        return nullptr;
    }
    const Sample& s = slots_[static_cast<size_t>(t) % N];
    return s.has(Sample::kPresent) ? &s : nullptr;
}

// One function's history, or the VM's.
class SeriesHistory {
public:
    // Records the reading taken at unix second `second`: the interval since
    // the previous reading becomes that second's sample. The first reading
    // only sets the baseline.
    void record(int64_t second, const Reading& r);
    void addEvent(int64_t at, uint64_t from, uint64_t to, std::string_view reason);

    const Ring<kSecondSlots>& seconds() const { return seconds_; }
    const Ring<kMinuteSlots>& minutes() const { return minutes_; }
    // The minute under construction, as a sample (nullopt before any).
    std::optional<Sample> partialMinute() const;
    int64_t partialMinuteIndex() const { return minute_.minute; }
    // Events, oldest first.
    template <typename F> void forEachEvent(F&& f) const {
        for (size_t i = 0; i < kEventSlots; ++i) {
            const Event& e = events_[(nextEvent_ + i) % kEventSlots];
            if (e.at != 0) {
                f(e);
            }
        }
    }

private:
    void closeMinute();

    Ring<kSecondSlots> seconds_;
    Ring<kMinuteSlots> minutes_;
    MinuteAccumulator minute_;
    std::array<Event, kEventSlots> events_{};
    size_t nextEvent_ = 0;
    // The previous cumulative reading.
    bool baseline_ = false;
    uint64_t lastOk_ = 0, lastClientErrors_ = 0, lastServerErrors_ = 0;
    LatencyCounts lastLatency_{};
};
static_assert(sizeof(SeriesHistory) < kFunctionBudget - 1024);

} // namespace faasd::gateway::history
