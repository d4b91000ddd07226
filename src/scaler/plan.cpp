#include "scaler/plan.hpp"

#include <fmt/format.h>

namespace faasd::scaler {

namespace {

// The com.openfaas.scale.* labels as one string, to tell when they change.
std::string labelText(const api::StringMap& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        if (k.starts_with("com.openfaas.scale.")) {
            out += k + "=" + v + ";";
        }
    }
    return out;
}

} // namespace

void observe(Tracked& t, const ObservedFunction& f, TimePoint now, bool fresh) {
    if (fresh || f.replicas != t.replicasSeen) {
        t.lastActivity = now;
        t.replicasSeen = f.replicas;
    }
    if (t.load.add(f.sample)) {
        t.lastActivity = now;
    }
    if (f.parked && !t.parked) {
        t.parkedAt = now;
    }
    t.parked = f.parked;
}

Decision decideFunction(Tracked& t, const ObservedFunction& f, TimePoint now,
                        const ScalerConfig& config,
                        std::vector<std::pair<api::FunctionRef, std::string>>& problems) {
    std::vector<std::string> found;
    const auto labels = parseScaleLabels(f.labels, config.defaults, config.maxReplicas, &found);
    if (auto text = labelText(f.labels); text != t.labelsSeen) {
        t.labelsSeen = std::move(text);
        for (auto& p : found) {
            problems.emplace_back(f.function, std::move(p));
        }
    }
    const auto window = config.policy.rateWindow;
    const Observation o{.now = now,
                        .replicas = f.replicas,
                        .parked = f.parked,
                        .parkedAt = t.parkedAt,
                        .succeededRps = t.load.succeededRate(window),
                        .startedRps = t.load.startedRate(window),
                        .meanInFlight = t.load.meanInFlight(window),
                        .inFlight = f.sample.inFlight,
                        .cpuMillicores = f.cpuMillicores,
                        .lastActivity = t.lastActivity};
    return decide(t.policy, labels, o, config.policy);
}

std::optional<Change> relieveMemory(const TrackedFunctions& tracked,
                                    const std::set<api::FunctionRef>& changing,
                                    std::optional<double> freeMemory, const ScalerConfig& config) {
    if (config.minFreeMemory <= 0 || !freeMemory || *freeMemory >= config.minFreeMemory) {
        return std::nullopt;
    }
    const TrackedFunctions::value_type* oldest = nullptr;
    for (const auto& entry : tracked) {
        const auto& [function, t] = entry;
        if (t.parked && !changing.contains(function) &&
            (oldest == nullptr || t.parkedAt < oldest->second.parkedAt)) {
            oldest = &entry;
        }
    }
    if (oldest == nullptr) {
        return std::nullopt;
    }
    return Change{
        .function = oldest->first,
        .from = 0,
        .decision = {.action = Action::Evict,
                     .reason = fmt::format("memory pressure: {:.0f}% free", *freeMemory * 100)},
        .startedAtDecision = 0};
}

Plan planTick(TrackedFunctions& tracked, const TickSnapshot& snapshot, const ScalerConfig& config) {
    const TimePoint now = snapshot.now;
    Plan plan;
    std::set<api::FunctionRef> seen;
    for (const auto& f : snapshot.functions) {
        seen.insert(f.function);
        auto [it, fresh] = tracked.try_emplace(f.function);
        Tracked& t = it->second;
        observe(t, f, now, fresh);
        if (snapshot.waking.contains(f.function)) {
            t.lastActivity = now; // being woken for a request
            continue;
        }
        if (snapshot.changing.contains(f.function)) {
            continue;
        }
        auto d = decideFunction(t, f, now, config, plan.labelProblems);
        if (d.action != Action::None) {
            plan.changes.push_back({f.function, f.replicas, std::move(d), f.sample.started});
        }
    }
    std::erase_if(tracked, [&](const auto& entry) { return !seen.contains(entry.first); });

    // Memory pressure: the longest parked function gives its memory back,
    // unless this tick evicts one already.
    bool evicting = false;
    for (const auto& c : plan.changes) {
        evicting = evicting || c.decision.action == Action::Evict;
    }
    if (!evicting) {
        if (auto c = relieveMemory(tracked, snapshot.changing, snapshot.freeMemory, config)) {
            plan.changes.push_back(std::move(*c));
        }
    }
    return plan;
}

} // namespace faasd::scaler
