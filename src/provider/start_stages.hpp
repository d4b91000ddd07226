#pragma once

// Where a replica's start goes, stage by stage: each start adds the time
// of each of its stages, so a benchmark (bench/provider) or a scrape of
// /metrics can tell the image from the shim from CNI from the readiness
// probe. Cheap: a few clock reads per start, one lock per stage.

#include <array>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>

namespace faasd::provider {

enum class StartStage {
    Image,     // the image found, unpacked, its user resolved, secrets copied
    Snapshot,  // a lease and the replica's snapshot prepared
    Network,   // its network namespace, CNI ADD, the blocked routes
    Container, // its files and spec written, the container created
    Task,      // the task created: the shim started, the runtime's create
    Start,     // the task started: the runtime's start
    Ready,     // until the watchdog answered the readiness probe
};
inline constexpr size_t kStartStages = 7;

std::string_view stageName(StartStage stage);

class StartStages {
public:
    using Duration = std::chrono::nanoseconds;
    struct Total {
        Duration time{0};
        uint64_t count = 0;
    };

    void add(StartStage stage, Duration took);
    std::array<Total, kStartStages> totals() const;
    // faasd_replica_start_stage_seconds_total{stage} and _runs_total{stage}.
    std::string prometheusText() const;

private:
    mutable std::mutex mutex_;
    std::array<Total, kStartStages> totals_{};
};

// Times consecutive stages: lap(stage) adds the time since the last lap
// (or since construction) to that stage.
class StageTimer {
public:
    explicit StageTimer(StartStages& stages)
        : stages_(stages), last_(std::chrono::steady_clock::now()) {}
    void lap(StartStage stage) {
        const auto now = std::chrono::steady_clock::now();
        stages_.add(stage, now - last_);
        last_ = now;
    }

private:
    StartStages& stages_;
    std::chrono::steady_clock::time_point last_;
};

} // namespace faasd::provider
