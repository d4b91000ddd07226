#pragma once

// The scaler's decisions as pure functions of a function's labels, its
// observed load and the time: no clock, no I/O, so tests drive them with
// synthetic load and a fake clock.
//
//   labels  com.openfaas.scale.* with OpenFaaS's defaults
//   load    samples of the gateway's counters -> rates over a window
//   rules   idle (park after zero-duration, evict after evictAfter),
//           alert (OpenFaaS CE: > 5 successful req/s for 5 s -> step up by
//           factor % of max; quiet for the stabilisation window -> min),
//           target (per-replica target of rps, in-flight or CPU; up at
//           once, down to the highest recommendation of the window)

#include "api/types.hpp"

#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string>
#include <vector>

namespace faasd::scaler {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using std::chrono::milliseconds;

enum class ScaleType { Rps, Capacity, Cpu };
const char* scaleTypeName(ScaleType type);

// Daemon-wide defaults of the labels.
struct LabelDefaults {
    uint64_t min = 1;
    uint64_t max = 20;
    uint64_t factor = 20; // percent of max per alert step
    milliseconds zeroDuration{15 * 60'000};
    double targetProportion = 0.9;
};

struct ScaleLabels {
    uint64_t min = 1;
    uint64_t max = 20;
    uint64_t factor = 20;
    bool zero = false;
    milliseconds zeroDuration{15 * 60'000};
    std::optional<double> target; // per replica: req/s, in-flight, or millicores
    ScaleType type = ScaleType::Rps;
    double targetProportion = 0.9;

    // min = max, or factor 0 without a target: replicas are left alone.
    bool fixed() const { return min >= max || (!target && factor == 0); }
    // The replicas one alert step adds: factor % of max, at least 1.
    uint64_t step() const;
};

// Reads com.openfaas.scale.*; a value that does not parse keeps the default
// and is described in problems. max is capped at hardMax; min at least 1
// and at most max.
ScaleLabels parseScaleLabels(const api::StringMap& labels, const LabelDefaults& defaults,
                             uint64_t hardMax, std::vector<std::string>* problems = nullptr);

// One reading of the gateway's counters for a function.
struct Sample {
    TimePoint at;
    uint64_t started = 0;
    uint64_t completed = 0;
    uint64_t succeeded = 0; // 2xx answers
    uint64_t inFlight = 0;
};

// Samples of the last `span`; rates over any window within it.
class LoadWindow {
public:
    explicit LoadWindow(milliseconds span = milliseconds(60'000)) : span_(span) {}

    // Returns true when the function did anything since the previous sample
    // (counters moved, or requests in flight).
    bool add(const Sample& s);
    bool empty() const { return samples_.empty(); }
    const Sample& latest() const { return samples_.back(); }

    // Per second over the last `window` (or what history there is, at least
    // one interval); 0 without two samples.
    double succeededRate(milliseconds window) const;
    double startedRate(milliseconds window) const;
    // Mean in-flight requests over the samples of the last `window`.
    double meanInFlight(milliseconds window) const;

private:
    const Sample* base(milliseconds window) const;

    milliseconds span_;
    std::deque<Sample> samples_;
};

struct Settings {
    // The CE alert rule.
    double alertRps = 5;
    milliseconds alertFor{5'000};
    milliseconds alertRepeat{30'000}; // a further step while it keeps firing
    milliseconds rateWindow{5'000};
    // Scale down only after this long of lower load.
    milliseconds scaleDownWindow{30'000};
    // Idle functions: parked first (false: evicted at once), evicted after
    // this long parked (0: never).
    bool park = true;
    milliseconds evictAfter{60 * 60'000};
};

// What the policy sees of a function at one moment.
struct Observation {
    TimePoint now;
    uint64_t replicas = 0; // as the status reports them (0 when parked)
    bool parked = false;
    TimePoint parkedAt{};
    double succeededRps = 0;
    double startedRps = 0;
    double meanInFlight = 0;
    uint64_t inFlight = 0;
    std::optional<double> cpuMillicores; // of all replicas, when known
    TimePoint lastActivity;
};

enum class Action { None, Scale, Park, Evict };
const char* actionName(Action action);

struct Decision {
    Action action = Action::None;
    uint64_t replicas = 0; // for Scale
    std::string reason;
};

// What a rule remembers between ticks, per function.
struct PolicyState {
    // alert rule
    std::optional<TimePoint> hotSince;
    std::optional<TimePoint> lastStep;
    std::optional<TimePoint> quietSince;
    bool raised = false; // replicas above min because of the rule
    // target rule: recommendations below the replicas, since they began
    std::deque<std::pair<TimePoint, uint64_t>> recommendations;

    void reset() { *this = PolicyState{}; }
};

Decision idleRule(const ScaleLabels& labels, const Observation& o, const Settings& s);
Decision alertRule(PolicyState& state, const ScaleLabels& labels, const Observation& o,
                   const Settings& s);
Decision targetRule(PolicyState& state, const ScaleLabels& labels, const Observation& o,
                    const Settings& s);

// idle first; then, for a function with replicas whose scaling is not
// fixed, the target rule when a target is set, else the alert rule.
Decision decide(PolicyState& state, const ScaleLabels& labels, const Observation& o,
                const Settings& s);

} // namespace faasd::scaler
