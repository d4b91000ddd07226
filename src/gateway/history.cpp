#include "gateway/history.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

namespace faasd::gateway::history {

namespace {

constexpr double kScale = 1000;

uint8_t saturate8(uint64_t v) {
    return static_cast<uint8_t>(std::min<uint64_t>(v, 255));
}

// A counter's increase since the previous reading; a counter that went
// back (its series was dropped and made again) counts from zero.
uint64_t increase(uint64_t now, uint64_t before) {
    return now >= before ? now - before : now;
}

void setLatency(Sample& s, const LatencyCounts& window) {
    auto p50 = latencyQuantile(window, 0.50);
    if (!p50) {
        return;
    }
    s.p50 = encode(*p50);
    s.p95 = encode(*latencyQuantile(window, 0.95));
    s.p99 = encode(*latencyQuantile(window, 0.99));
    s.flags |= Sample::kLatency;
}

} // namespace

uint16_t encode(double x) {
    if (!(x > 0)) { // also NaN
        return 0;
    }
    const double code = std::round(kScale * std::log2(1 + x));
    return code >= 65535 ? 65535 : static_cast<uint16_t>(code);
}

double decode(uint16_t code) {
    return code == 0 ? 0 : std::exp2(code / kScale) - 1;
}

void SeriesHistory::record(int64_t second, const Reading& r) {
    Sample s;
    s.flags = Sample::kPresent;
    uint64_t ok = 0, clientErrors = 0, serverErrors = 0;
    LatencyCounts window{};
    if (baseline_) {
        ok = increase(r.ok, lastOk_);
        clientErrors = increase(r.clientErrors, lastClientErrors_);
        serverErrors = increase(r.serverErrors, lastServerErrors_);
        for (size_t i = 0; i < kLatencyBuckets; ++i) {
            window[i] = r.latency[i] - lastLatency_[i]; // modulo 2^32
        }
    }
    baseline_ = true;
    lastOk_ = r.ok;
    lastClientErrors_ = r.clientErrors;
    lastServerErrors_ = r.serverErrors;
    lastLatency_ = r.latency;

    s.ok = encode(static_cast<double>(ok));
    s.clientErrors = encode(static_cast<double>(clientErrors));
    s.serverErrors = encode(static_cast<double>(serverErrors));
    setLatency(s, window);
    s.inFlight = encode(static_cast<double>(r.inFlight));
    s.queued = encode(static_cast<double>(r.queued));
    s.ready = saturate8(r.ready);
    s.wanted = saturate8(r.wanted);
    s.parked = saturate8(r.parked);
    if (r.cpu) {
        s.cpu = encode(*r.cpu * 1000);
        s.flags |= Sample::kCpu;
    }
    if (r.memory) {
        s.memory = encode(*r.memory / 1024);
        s.flags |= Sample::kMemory;
    }
    seconds_.put(second, s);

    const int64_t minute = second >= 0 ? second / 60 : -1;
    if (minute_.minute != minute) {
        closeMinute();
        minute_ = MinuteAccumulator{};
        minute_.minute = minute;
    }
    MinuteAccumulator& m = minute_;
    m.ok += ok;
    m.clientErrors += clientErrors;
    m.serverErrors += serverErrors;
    for (size_t i = 0; i < kLatencyBuckets; ++i) {
        m.latency[i] += window[i];
    }
    m.inFlight = std::max(m.inFlight, r.inFlight);
    m.queued = std::max(m.queued, r.queued);
    m.ready = std::max(m.ready, r.ready);
    m.wanted = std::max(m.wanted, r.wanted);
    m.parked = std::max(m.parked, r.parked);
    if (r.cpu) {
        m.cpuSum += *r.cpu;
        ++m.cpuSamples;
    }
    if (r.memory) {
        m.memorySum += *r.memory;
        ++m.memorySamples;
    }
    ++m.samples;
}

std::optional<Sample> SeriesHistory::partialMinute() const {
    const MinuteAccumulator& m = minute_;
    if (m.minute < 0 || m.samples == 0) {
        return std::nullopt;
    }
    Sample s;
    s.flags = Sample::kPresent;
    s.ok = encode(static_cast<double>(m.ok));
    s.clientErrors = encode(static_cast<double>(m.clientErrors));
    s.serverErrors = encode(static_cast<double>(m.serverErrors));
    setLatency(s, m.latency);
    s.inFlight = encode(static_cast<double>(m.inFlight));
    s.queued = encode(static_cast<double>(m.queued));
    s.ready = saturate8(m.ready);
    s.wanted = saturate8(m.wanted);
    s.parked = saturate8(m.parked);
    if (m.cpuSamples > 0) {
        s.cpu = encode(m.cpuSum / m.cpuSamples * 1000);
        s.flags |= Sample::kCpu;
    }
    if (m.memorySamples > 0) {
        s.memory = encode(m.memorySum / m.memorySamples / 1024);
        s.flags |= Sample::kMemory;
    }
    return s;
}

void SeriesHistory::closeMinute() {
    if (auto s = partialMinute()) {
        minutes_.put(minute_.minute, *s);
    }
}

void SeriesHistory::addEvent(int64_t at, uint64_t from, uint64_t to, std::string_view reason) {
    Event& e = events_[nextEvent_];
    nextEvent_ = (nextEvent_ + 1) % kEventSlots;
    e.at = at;
    e.from = static_cast<uint32_t>(std::min<uint64_t>(from, UINT32_MAX));
    e.to = static_cast<uint32_t>(std::min<uint64_t>(to, UINT32_MAX));
    e.reason.fill('\0');
    size_t n = std::min(reason.size(), e.reason.size() - 1);
    // Cut at a character, not inside one.
    while (n > 0 && n < reason.size() && (static_cast<unsigned char>(reason[n]) & 0xC0) == 0x80) {
        --n;
    }
    std::memcpy(e.reason.data(), reason.data(), n);
}

} // namespace faasd::gateway::history
