// The decide step of a scaler tick (scaler/plan.hpp): made-up snapshots in,
// changes out. No provider, no threads, no clock.

#include "scaler/plan.hpp"
#include "times.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::scaler;
using namespace std::chrono_literals;
using faasd::scaler::test::t0;

namespace {

const api::StringMap kZero = {{"com.openfaas.scale.zero", "true"},
                              {"com.openfaas.scale.zero-duration", "10s"}};

ObservedFunction fn(const std::string& name, uint64_t replicas, const api::StringMap& labels = {}) {
    return {.function = {name, "openfaas-fn"}, .replicas = replicas, .labels = labels};
}

// Snapshots one second apart, counters as given.
struct Ticks {
    ScalerConfig config;
    TrackedFunctions tracked;
    TimePoint now = t0;

    Plan tick(std::vector<ObservedFunction> functions, std::optional<double> freeMemory = {},
              std::set<api::FunctionRef> waking = {}, std::set<api::FunctionRef> changing = {}) {
        now += 1s;
        for (auto& f : functions) {
            f.sample.at = now;
        }
        return planTick(tracked,
                        {.now = now,
                         .functions = std::move(functions),
                         .freeMemory = freeMemory,
                         .waking = std::move(waking),
                         .changing = std::move(changing)},
                        config);
    }
};

} // namespace

TEST_CASE("plan: an idle function labelled for zero is parked after zero-duration", "[plan]") {
    Ticks ticks;
    for (int i = 0; i < 10; ++i) {
        CHECK(ticks.tick({fn("idle", 1, kZero), fn("plain", 1)}).changes.empty());
    }
    const Plan plan = ticks.tick({fn("idle", 1, kZero), fn("plain", 1)});
    REQUIRE(plan.changes.size() == 1);
    const Change& c = plan.changes[0];
    CHECK(c.function == api::FunctionRef{"idle", "openfaas-fn"});
    CHECK(c.from == 1);
    CHECK(c.decision.action == Action::Park);
    CHECK(c.decision.reason == "no invocations for 10s");
}

TEST_CASE("plan: counters that move, or requests in flight, are activity", "[plan]") {
    Ticks ticks;
    uint64_t started = 0;
    for (int i = 0; i < 30; ++i) {
        auto f = fn("busy", 1, kZero);
        f.sample.started = f.sample.completed = f.sample.succeeded = ++started;
        CHECK(ticks.tick({f}).changes.empty());
    }
    for (int i = 0; i < 30; ++i) {
        auto f = fn("busy", 1, kZero);
        f.sample.started = started;
        f.sample.inFlight = 1; // one long call
        CHECK(ticks.tick({f}).changes.empty());
    }
}

TEST_CASE("plan: a changed replica count is activity", "[plan]") {
    Ticks ticks;
    for (int i = 0; i < 9; ++i) {
        CHECK(ticks.tick({fn("manual", 1, kZero)}).changes.empty());
    }
    for (int i = 0; i < 10; ++i) {
        CHECK(ticks.tick({fn("manual", 3, kZero)}).changes.empty()); // scaled by the API
    }
    CHECK(ticks.tick({fn("manual", 3, kZero)}).changes.size() == 1);
}

TEST_CASE("plan: functions being woken or changed are left alone", "[plan]") {
    Ticks ticks;
    const api::FunctionRef idle{"idle", "openfaas-fn"};
    for (int i = 0; i < 20; ++i) {
        CHECK(ticks.tick({fn("idle", 1, kZero)}, {}, {}, {idle}).changes.empty());
    }
    // A wake counts as activity: the idle time starts again.
    CHECK(ticks.tick({fn("idle", 1, kZero)}, {}, {idle}).changes.empty());
    for (int i = 0; i < 9; ++i) {
        CHECK(ticks.tick({fn("idle", 1, kZero)}).changes.empty());
    }
    CHECK(ticks.tick({fn("idle", 1, kZero)}).changes.size() == 1);
}

TEST_CASE("plan: sustained load raises replicas by the alert rule", "[plan]") {
    Ticks ticks;
    const api::StringMap labels = {{"com.openfaas.scale.max", "4"}};
    uint64_t total = 0;
    std::vector<Change> changes;
    for (int i = 0; i < 8; ++i) {
        auto f = fn("hot", 1, labels);
        total += 10;
        f.sample.started = f.sample.completed = f.sample.succeeded = total;
        for (auto& c : ticks.tick({f}).changes) {
            changes.push_back(std::move(c));
        }
    }
    REQUIRE(changes.size() == 1);
    CHECK(changes[0].decision.action == Action::Scale);
    CHECK(changes[0].from == 1);
    CHECK(changes[0].decision.replicas == 2);
    CHECK(changes[0].startedAtDecision > 0);
}

TEST_CASE("plan: label problems are reported once per change of the labels", "[plan]") {
    Ticks ticks;
    const api::StringMap bad = {{"com.openfaas.scale.min", "many"}};
    const Plan first = ticks.tick({fn("odd", 1, bad)});
    REQUIRE(first.labelProblems.size() == 1);
    CHECK(first.labelProblems[0].first == api::FunctionRef{"odd", "openfaas-fn"});
    CHECK(first.labelProblems[0].second.find("com.openfaas.scale.min") != std::string::npos);
    CHECK(ticks.tick({fn("odd", 1, bad)}).labelProblems.empty());
    const api::StringMap worse = {{"com.openfaas.scale.min", "lots"}};
    CHECK(ticks.tick({fn("odd", 1, worse)}).labelProblems.size() == 1);
}

TEST_CASE("plan: functions no longer listed are forgotten", "[plan]") {
    Ticks ticks;
    (void)ticks.tick({fn("a", 1), fn("b", 1)});
    CHECK(ticks.tracked.size() == 2);
    (void)ticks.tick({fn("b", 1)});
    CHECK(ticks.tracked.size() == 1);
    CHECK(ticks.tracked.contains({"b", "openfaas-fn"}));
}

TEST_CASE("plan: under memory pressure the longest parked function is evicted", "[plan]") {
    Ticks ticks;
    auto parked = [](const std::string& name) {
        auto f = fn(name, 0, kZero);
        f.parked = true;
        return f;
    };
    (void)ticks.tick({parked("old"), fn("young", 1, kZero)});
    (void)ticks.tick({parked("old"), parked("young")});
    // Enough memory: nothing.
    CHECK(ticks.tick({parked("old"), parked("young")}, 0.5).changes.empty());
    // Unknown: nothing.
    CHECK(ticks.tick({parked("old"), parked("young")}).changes.empty());
    Plan plan = ticks.tick({parked("old"), parked("young")}, 0.05);
    REQUIRE(plan.changes.size() == 1);
    CHECK(plan.changes[0].function == api::FunctionRef{"old", "openfaas-fn"});
    CHECK(plan.changes[0].decision.action == Action::Evict);
    CHECK(plan.changes[0].decision.reason == "memory pressure: 5% free");
    // One being changed already is passed over.
    plan = ticks.tick({parked("old"), parked("young")}, 0.05, {}, {{"old", "openfaas-fn"}});
    REQUIRE(plan.changes.size() == 1);
    CHECK(plan.changes[0].function == api::FunctionRef{"young", "openfaas-fn"});
    // Pressure is not checked at all with minFreeMemory 0.
    ticks.config.minFreeMemory = 0;
    CHECK(ticks.tick({parked("old"), parked("young")}, 0.01).changes.empty());
}

TEST_CASE("plan: relieveMemory picks nothing when nothing is parked", "[plan]") {
    TrackedFunctions tracked;
    tracked[{"a", "ns"}].parked = false;
    CHECK_FALSE(relieveMemory(tracked, {}, 0.01, ScalerConfig{}));
}
