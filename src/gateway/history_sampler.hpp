#pragma once

// The metrics history's sampler: a thread that, once a second, reads every
// function's counters (FunctionMetrics), its replicas and cgroup usage
// (the Provider), the async queue's depth and the host's CPU and memory
// (/proc), and records them in the MetricsHistory.

#include "gateway/function_metrics.hpp"
#include "gateway/history_store.hpp"
#include "ports/async_queue.hpp"
#include "provider/provider.hpp"

#include <condition_variable>
#include <filesystem>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace faasd::gateway {

// The host's busy CPU as cumulative jiffies, from /proc/stat's "cpu" line.
struct CpuTimes {
    uint64_t busy = 0, total = 0;
};
std::optional<CpuTimes> parseProcStat(const std::string& text);
// MemTotal and MemTotal - MemAvailable, in bytes, from /proc/meminfo.
struct HostMemory {
    double total = 0, used = 0;
};
std::optional<HostMemory> parseMeminfo(const std::string& text);

// Where the host's figures are read (tests give files of their own).
struct HostPaths {
    std::filesystem::path procStat = "/proc/stat";
    std::filesystem::path meminfo = "/proc/meminfo";
};

class HistorySampler {
public:
    HistorySampler(MetricsHistory& history, const FunctionMetrics& metrics,
                   provider::Provider& provider, AsyncQueue* queue, HostPaths paths = {});
    ~HistorySampler();
    HistorySampler(const HistorySampler&) = delete;
    HistorySampler& operator=(const HistorySampler&) = delete;

    void start();
    void stop();

    // One round, as of unix second `second` (the thread calls it each second).
    void sampleOnce(int64_t second);

private:
    void loop();

    MetricsHistory& history_;
    const FunctionMetrics& metrics_;
    provider::Provider& provider_;
    AsyncQueue* queue_;
    HostPaths paths_;
    std::optional<CpuTimes> lastCpu_;
    unsigned cpus_;

    std::mutex mu_;
    std::condition_variable cv_;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace faasd::gateway
