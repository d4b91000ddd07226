#pragma once

// What a function's replicas use, from their cgroups: memory in use now,
// and CPU as cores over the time between two readings. cgroup v1 (memory
// and cpuacct hierarchies) and v2 (unified) are both read.
//
//   UsageMeter meter("/sys/fs/cgroup");
//   api::FunctionUsage u = meter.measure({"/faasd/openfaas-fn/say-1a2b3c"});

#include "api/types.hpp"

#include <chrono>
#include <cstdint>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace faasd::provider {

struct CgroupSample {
    uint64_t memoryBytes = 0;
    std::chrono::nanoseconds cpu{0}; // cumulative CPU time
};

// Reads one cgroup (its path as given to runc, e.g. "/faasd/ns/id") under
// root; nullopt when it is not there (a replica that just went).
std::optional<CgroupSample> readCgroup(const std::filesystem::path& root,
                                       const std::string& cgroupPath);

class UsageMeter {
public:
    using Clock = std::chrono::steady_clock;

    explicit UsageMeter(std::filesystem::path root) : root_(std::move(root)) {}

    // The sum over the cgroups: memory now; CPU as the rate since this
    // meter last read each cgroup (0 for one read for the first time).
    // Each function's cgroups are measured in calls of their own, so a
    // cgroup is forgotten only once no call has asked for it for kForget.
    // Thread-safe.
    api::FunctionUsage measure(const std::vector<std::string>& cgroupPaths,
                               Clock::time_point now = Clock::now());

    static constexpr std::chrono::seconds kForget{60};

private:
    struct Last {
        CgroupSample sample;
        Clock::time_point at;   // when sample was taken
        Clock::time_point seen; // when last asked for
        double cores = 0;
    };

    std::filesystem::path root_;
    std::mutex mu_;
    std::map<std::string, Last> last_;
};

} // namespace faasd::provider
