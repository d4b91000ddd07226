#pragma once

// One tick of the scaler is observe, decide, act. This header is the data
// between them and the decide step: what a tick saw (TickSnapshot, plain
// data read from the provider, the gateway's counters and /proc/meminfo),
// what the scaler remembers of each function between ticks (Tracked), and
// planTick(), which turns the one into changes (Plan) and updates the
// other. No clock, no I/O, no threads: tests drive it with made-up
// snapshots.

#include "api/function_ref.hpp"
#include "scaler/policy.hpp"

#include <filesystem>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace faasd::scaler {

struct ScalerConfig {
    milliseconds tick{1'000};
    LabelDefaults defaults;
    Settings policy;
    uint64_t maxReplicas = 20; // the provider's limit
    std::string defaultNamespace = "openfaas-fn";
    // Parked functions are evicted, longest parked first, while the host's
    // MemAvailable is below this fraction of MemTotal (0: never).
    double minFreeMemory = 0.1;
    std::filesystem::path meminfo = "/proc/meminfo";
};

// One function as a tick saw it.
struct ObservedFunction {
    api::FunctionRef function;
    uint64_t replicas = 0; // as the status reports them (0 when parked)
    bool parked = false;
    api::StringMap labels;
    std::optional<double> cpuMillicores; // of all replicas, when known
    Sample sample;                       // the gateway's counters (zero without a series)
};

// Everything one tick decides on.
struct TickSnapshot {
    TimePoint now;
    std::vector<ObservedFunction> functions;
    std::optional<double> freeMemory; // MemAvailable / MemTotal, when read
    // Functions with work under way, left alone: being woken for a request
    // (which counts as activity), or with a replica change still running.
    std::set<api::FunctionRef> waking;
    std::set<api::FunctionRef> changing;
};

// What the scaler remembers of a function between ticks.
struct Tracked {
    LoadWindow load;
    PolicyState policy;
    TimePoint lastActivity;
    TimePoint parkedAt{};
    uint64_t replicasSeen = 0; // a change of replicas (say, a scale by API) is activity
    bool parked = false;
    std::string labelsSeen; // com.openfaas.scale.* as last checked
};
using TrackedFunctions = std::map<api::FunctionRef, Tracked>;

// One replica change to make.
struct Change {
    api::FunctionRef function;
    uint64_t from = 0; // replicas when decided
    Decision decision;
    uint64_t startedAtDecision = 0; // the started counter then (a park checks it after)
};

struct Plan {
    std::vector<Change> changes;
    // Label problems, reported when a function's scale labels change.
    std::vector<std::pair<api::FunctionRef, std::string>> labelProblems;
};

// Brings t up to date with what the tick saw of its function: activity
// (counters moved, requests in flight, replicas changed), load, parking.
void observe(Tracked& t, const ObservedFunction& f, TimePoint now, bool fresh);

// The policy's decision for one function not busy with other work; label
// problems are added to problems when the labels changed since last time.
Decision decideFunction(Tracked& t, const ObservedFunction& f, TimePoint now,
                        const ScalerConfig& config,
                        std::vector<std::pair<api::FunctionRef, std::string>>& problems);

// Under memory pressure (free below config.minFreeMemory), the longest
// parked function not being changed is evicted; nullopt otherwise.
std::optional<Change> relieveMemory(const TrackedFunctions& tracked,
                                    const std::set<api::FunctionRef>& changing,
                                    std::optional<double> freeMemory, const ScalerConfig& config);

// The decide step of a tick: updates tracked (functions no longer seen are
// forgotten) and returns the changes to make.
Plan planTick(TrackedFunctions& tracked, const TickSnapshot& snapshot, const ScalerConfig& config);

} // namespace faasd::scaler
