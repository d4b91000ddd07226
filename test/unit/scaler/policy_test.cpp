// The scaler's policies as pure functions: synthetic load, a fake clock.

#include "scaler/policy.hpp"
#include "times.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::scaler;
using namespace std::chrono_literals;
using faasd::scaler::test::t0;

namespace {

ScaleLabels labels(const api::StringMap& l) {
    return parseScaleLabels(l, LabelDefaults{}, 20);
}

// Drives one function through the policy second by second: `load(t)` is the
// number of successful requests in second t; replicas follow the decisions.
struct Sim {
    ScaleLabels labels;
    Settings settings;
    uint64_t replicas = 1;
    PolicyState state;
    LoadWindow window{std::chrono::milliseconds(60'000)};
    uint64_t total = 0;
    TimePoint lastActivity = t0;
    std::vector<std::pair<int, Decision>> decisions;

    void run(int from, int to, const std::function<uint64_t(int)>& load) {
        for (int t = from; t < to; ++t) {
            const auto now = t0 + std::chrono::seconds(t);
            total += load(t);
            if (window.add({.at = now, .started = total, .completed = total, .succeeded = total})) {
                lastActivity = now;
            }
            Observation o{.now = now,
                          .replicas = replicas,
                          .succeededRps = window.succeededRate(settings.rateWindow),
                          .startedRps = window.startedRate(settings.rateWindow),
                          .lastActivity = lastActivity};
            auto d = decide(state, labels, o, settings);
            if (d.action == Action::Scale) {
                replicas = d.replicas;
            } else if (d.action == Action::Park || d.action == Action::Evict) {
                replicas = 0;
            }
            if (d.action != Action::None) {
                decisions.emplace_back(t, d);
            }
        }
    }
};

} // namespace

TEST_CASE("labels: OpenFaaS defaults", "[scaler]") {
    auto l = labels({});
    CHECK(l.min == 1);
    CHECK(l.max == 20);
    CHECK(l.factor == 20);
    CHECK_FALSE(l.zero);
    CHECK(l.zeroDuration == 15min);
    CHECK_FALSE(l.target);
    CHECK(l.type == ScaleType::Rps);
    CHECK(l.targetProportion == Approx(0.9));
    CHECK(l.step() == 4);
    CHECK_FALSE(l.fixed());
}

TEST_CASE("labels: parsed, clamped, and bad values reported", "[scaler]") {
    std::vector<std::string> problems;
    auto l = parseScaleLabels({{"com.openfaas.scale.min", "2"},
                               {"com.openfaas.scale.max", "50"},
                               {"com.openfaas.scale.factor", "10"},
                               {"com.openfaas.scale.zero", "true"},
                               {"com.openfaas.scale.zero-duration", "30s"},
                               {"com.openfaas.scale.target", "7.5"},
                               {"com.openfaas.scale.type", "capacity"},
                               {"com.openfaas.scale.target-proportion", "0.5"}},
                              LabelDefaults{}, 20, &problems);
    CHECK(problems.empty());
    CHECK(l.min == 2);
    CHECK(l.max == 20); // the provider's limit
    CHECK(l.step() == 2);
    CHECK(l.zero);
    CHECK(l.zeroDuration == 30s);
    CHECK(*l.target == Approx(7.5));
    CHECK(l.type == ScaleType::Capacity);
    CHECK(l.targetProportion == Approx(0.5));

    auto bad = parseScaleLabels({{"com.openfaas.scale.min", "two"},
                                 {"com.openfaas.scale.factor", "150"},
                                 {"com.openfaas.scale.zero", "yes"},
                                 {"com.openfaas.scale.zero-duration", "soon"},
                                 {"com.openfaas.scale.target", "-1"},
                                 {"com.openfaas.scale.type", "memory"},
                                 {"com.openfaas.scale.target-proportion", "2"}},
                                LabelDefaults{}, 20, &problems);
    CHECK(problems.size() == 7);
    CHECK(problems[0].find("com.openfaas.scale.min") != std::string::npos);
    CHECK(bad.min == 1);
    CHECK(bad.factor == 20);
    CHECK_FALSE(bad.zero);
    CHECK_FALSE(bad.target);
    CHECK(bad.type == ScaleType::Rps);

    CHECK(labels({{"com.openfaas.scale.min", "5"}, {"com.openfaas.scale.max", "3"}}).min == 3);
    CHECK(labels({{"com.openfaas.scale.min", "0"}}).min == 1);
    CHECK(labels({{"com.openfaas.scale.min", "2"}, {"com.openfaas.scale.max", "2"}}).fixed());
    CHECK(labels({{"com.openfaas.scale.factor", "0"}}).fixed());
    CHECK(labels({{"com.openfaas.scale.max", "2"}}).step() == 1);
}

TEST_CASE("load window: rates over the window", "[scaler]") {
    LoadWindow w;
    CHECK(w.succeededRate(5s) == 0);
    CHECK_FALSE(w.add({.at = t0}));
    CHECK(w.succeededRate(5s) == 0);
    for (int i = 1; i <= 10; ++i) {
        CHECK(w.add({.at = t0 + std::chrono::seconds(i),
                     .started = uint64_t(12 * i),
                     .succeeded = uint64_t(10 * i),
                     .inFlight = 2}));
    }
    CHECK(w.succeededRate(5s) == Approx(10));
    CHECK(w.startedRate(5s) == Approx(12));
    CHECK(w.meanInFlight(5s) == Approx(2));
    // Nothing new, nothing in flight: not activity.
    CHECK_FALSE(w.add({.at = t0 + 11s, .started = 120, .succeeded = 100}));
    CHECK(w.succeededRate(5s) == Approx(8)); // 40 over the last 5 s
}

TEST_CASE("alert rule: > 5 req/s for 5 s steps up; quiet steps back to min", "[scaler]") {
    Sim sim{.labels = labels({{"com.openfaas.scale.max", "2"}})};
    sim.run(0, 60, [](int t) { return t >= 1 ? 10 : 0; });
    REQUIRE(sim.decisions.size() == 1);
    CHECK(sim.decisions[0].second.replicas == 2);
    CHECK(sim.decisions[0].first >= 6);
    CHECK(sim.decisions[0].first <= 8);
    CHECK(sim.decisions[0].second.reason.find("> 5") != std::string::npos);
    sim.run(60, 120, [](int) { return 0; });
    REQUIRE(sim.decisions.size() == 2);
    CHECK(sim.decisions[1].second.replicas == 1);
    // The stabilisation window: not before 30 s of quiet, well within a minute.
    CHECK(sim.decisions[1].first >= 60 + 30);
    CHECK(sim.decisions[1].first <= 60 + 40);
}

TEST_CASE("alert rule: a short burst, or 5 req/s exactly, changes nothing", "[scaler]") {
    Sim burst{.labels = labels({})};
    burst.run(0, 60, [](int t) { return t == 10 ? 50 : 0; });
    CHECK(burst.decisions.empty());
    Sim edge{.labels = labels({})};
    edge.run(0, 60, [](int) { return 5; });
    CHECK(edge.decisions.empty());
}

TEST_CASE("alert rule: sustained load keeps stepping by factor % of max up to max", "[scaler]") {
    Sim sim{.labels = labels({{"com.openfaas.scale.max", "10"}})}; // step 2
    sim.run(0, 300, [](int) { return 20; });
    std::vector<uint64_t> steps;
    for (const auto& [t, d] : sim.decisions) {
        steps.push_back(d.replicas);
    }
    CHECK(steps == std::vector<uint64_t>{3, 5, 7, 9, 10});
    // Repeats come alertRepeat apart.
    CHECK(sim.decisions[1].first - sim.decisions[0].first == 30);
}

TEST_CASE("min = max, or factor 0, disables scaling", "[scaler]") {
    Sim sim{.labels = labels({{"com.openfaas.scale.min", "2"}, {"com.openfaas.scale.max", "2"}}),
            .replicas = 2};
    sim.run(0, 200, [](int) { return 100; });
    CHECK(sim.decisions.empty());
    CHECK(sim.replicas == 2);
    Sim off{.labels = labels({{"com.openfaas.scale.factor", "0"}})};
    off.run(0, 100, [](int) { return 100; });
    CHECK(off.decisions.empty());
}

TEST_CASE("a manual scale-up is not undone by the alert rule", "[scaler]") {
    Sim sim{.labels = labels({}), .replicas = 5};
    sim.run(0, 200, [](int) { return 0; });
    CHECK(sim.decisions.empty());
}

TEST_CASE("target rule: rps per replica, up at once, down after the window", "[scaler]") {
    Sim sim{.labels = labels({{"com.openfaas.scale.target", "10"},
                              {"com.openfaas.scale.target-proportion", "1"},
                              {"com.openfaas.scale.max", "8"}})};
    sim.run(0, 10, [](int) { return 45; });
    REQUIRE_FALSE(sim.decisions.empty());
    CHECK(sim.replicas == 5);
    CHECK(sim.decisions[0].first <= 2);
    sim.run(10, 20, [](int) { return 500; });
    CHECK(sim.replicas == 8); // max
    const size_t before = sim.decisions.size();
    sim.run(20, 45, [](int) { return 15; }); // wants 2: not yet
    CHECK(sim.decisions.size() == before);
    sim.run(45, 80, [](int) { return 15; });
    CHECK(sim.replicas == 2);
    CHECK(sim.decisions.back().second.reason.find("stabilisation") != std::string::npos);
}

TEST_CASE("target rule: capacity uses in-flight requests; cpu needs usage", "[scaler]") {
    PolicyState st;
    Settings s;
    auto l = labels({{"com.openfaas.scale.target", "4"},
                     {"com.openfaas.scale.type", "capacity"},
                     {"com.openfaas.scale.target-proportion", "0.5"}});
    Observation o{.now = t0, .replicas = 1, .meanInFlight = 7, .lastActivity = t0};
    auto d = targetRule(st, l, o, s);
    CHECK(d.action == Action::Scale);
    CHECK(d.replicas == 4); // ceil(7 / 2)

    auto cpu = labels({{"com.openfaas.scale.target", "500"}, {"com.openfaas.scale.type", "cpu"}});
    PolicyState st2;
    CHECK(targetRule(st2, cpu, o, s).action == Action::None);
    o.cpuMillicores = 1800;
    d = targetRule(st2, cpu, o, s);
    CHECK(d.action == Action::Scale);
    CHECK(d.replicas == 4); // ceil(1800 / 450)
}

TEST_CASE("idle rule: park after zero-duration, evict later; never with work", "[scaler]") {
    Settings s;
    auto zero =
        labels({{"com.openfaas.scale.zero", "true"}, {"com.openfaas.scale.zero-duration", "10m"}});
    Observation o{.now = t0 + 9min, .replicas = 1, .lastActivity = t0};
    CHECK(idleRule(zero, o, s).action == Action::None);
    o.now = t0 + 10min;
    auto d = idleRule(zero, o, s);
    CHECK(d.action == Action::Park);
    CHECK(d.reason == "no invocations for 10m");
    o.inFlight = 1; // a long request is never cut
    CHECK(idleRule(zero, o, s).action == Action::None);
    o.inFlight = 0;
    CHECK(idleRule(labels({}), o, s).action == Action::None); // not labelled
    s.park = false;
    CHECK(idleRule(zero, o, s).action == Action::Evict);
    s.park = true;

    Observation parked{.now = t0 + 59min, .parked = true, .parkedAt = t0, .lastActivity = t0};
    CHECK(idleRule(zero, parked, s).action == Action::None);
    parked.now = t0 + 60min;
    CHECK(idleRule(zero, parked, s).action == Action::Evict);
    s.evictAfter = 0ms;
    parked.now = t0 + 1000h;
    CHECK(idleRule(zero, parked, s).action == Action::None);
}

TEST_CASE("scale to zero wins over autoscaling, and at zero nothing moves", "[scaler]") {
    Sim sim{.labels = labels({{"com.openfaas.scale.zero", "true"},
                              {"com.openfaas.scale.zero-duration", "20s"},
                              {"com.openfaas.scale.max", "2"}})};
    sim.run(0, 30, [](int) { return 10; });
    CHECK(sim.replicas == 2);
    sim.run(30, 100, [](int) { return 0; });
    REQUIRE(sim.decisions.back().second.action == Action::Park);
    CHECK(sim.decisions.back().first == 49); // 20 s after the last request
    CHECK(sim.replicas == 0);
    const size_t n = sim.decisions.size();
    sim.run(100, 200, [](int) { return 0; });
    CHECK(sim.decisions.size() == n);
}
