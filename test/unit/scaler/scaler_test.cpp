// The Scaler over a fake provider and the gateway's real FunctionMetrics,
// on a fake clock: load in, replica changes out; one wake-up for many
// callers; alerts; eviction under memory pressure.

#include "catch_result.hpp"
#include "common/files.hpp"
#include "fake_provider.hpp"
#include "gateway/function_metrics.hpp"
#include "scaler/scaler.hpp"
#include "wait.hpp"

#include <algorithm>
#include <array>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <set>
#include <thread>
#include <unistd.h>

using namespace faasd;
using namespace faasd::scaler;
using namespace std::chrono_literals;

namespace {

const char* kNs = "openfaas-fn";

// Whether thread tid of this process is asleep (state S: blocked on a lock,
// a condition or a call), not running or waiting to run.
bool asleep(pid_t tid) {
    if (tid == 0) {
        return false;
    }
    auto stat = readFile("/proc/self/task/" + std::to_string(tid) + "/stat");
    if (!stat) {
        return false;
    }
    const size_t end = stat->rfind(')'); // the state follows "(comm) "
    return end != std::string::npos && end + 2 < stat->size() && (*stat)[end + 2] == 'S';
}

// The gateway's fake, with replicas that resolve, and park/wake.
class Fake : public gateway::test::FakeProvider {
public:
    Fake() { namespaces[kNs] = {}; }

    void add(const std::string& name, const api::StringMap& labels, uint64_t n = 1) {
        addFunction(name, kNs, "img");
        std::lock_guard lock(mutex);
        functions[name + "." + kNs].labels = labels;
        replicas[name + "." + kNs] = n;
    }
    uint64_t count(const std::string& name) {
        std::lock_guard lock(mutex);
        return parked.contains(name) ? 0 : replicas[name + "." + kNs];
    }

    Result<std::vector<api::FunctionStatus>> list(const std::string& ns) override {
        TRY_ASSIGN(auto all, FakeProvider::list(ns));
        std::lock_guard lock(mutex);
        for (auto& s : all) {
            if (parked.contains(s.name)) {
                s.replicas = s.availableReplicas = 0;
            }
        }
        return all;
    }
    Result<api::FunctionStatus> get(const std::string& name, const std::string& ns) override {
        TRY_ASSIGN(auto all, list(ns));
        for (auto& s : all) {
            if (s.name == name) {
                return s;
            }
        }
        return fail(Code::NotFound, "function {} not found", name);
    }
    Result<void> scale(const std::string& name, const std::string& ns, uint64_t n) override {
        scaleCalls++;
        {
            std::lock_guard lock(mutex);
            parked.erase(name);
        }
        return FakeProvider::scale(name, ns, n);
    }
    Result<std::vector<provider::Endpoint>> resolve(const std::string& name,
                                                    const std::string&) override {
        std::lock_guard lock(mutex);
        if (!functions.contains(name + "." + kNs)) {
            return fail(Code::NotFound, "no {}", name);
        }
        const uint64_t n = parked.contains(name) || neverReady ? 0 : replicas[name + "." + kNs];
        return std::vector<provider::Endpoint>(n, provider::Endpoint{.ip = "127.0.0.1"});
    }
    Result<void> park(const std::string& name, const std::string&) override {
        parkCalls++;
        if (parkHook) {
            parkHook();
        }
        std::lock_guard lock(mutex);
        parked.insert(name);
        return {};
    }
    Result<void> wake(const std::string& name, const std::string&, uint64_t n) override {
        wakeCalls++;
        {
            std::unique_lock lock(holdMutex);
            // Bounded, so that a test that never releases cannot hang.
            released.wait_for(lock, 30s, [&] { return !holdWakes; });
        }
        if (!wakeError.empty()) {
            return fail(Code::Internal, "{}", wakeError);
        }
        std::lock_guard lock(mutex);
        if (parked.erase(name) == 0 && replicas[name + "." + kNs] == 0) {
            replicas[name + "." + kNs] = n;
        }
        return {};
    }
    bool isParked(const std::string& name, const std::string&) override {
        std::lock_guard lock(mutex);
        return parked.contains(name);
    }

    std::set<std::string> parked;
    std::atomic<int> scaleCalls{0}, parkCalls{0}, wakeCalls{0};
    // Wakes stay inside the provider while holdWakes, until releaseWakes().
    void releaseWakes() {
        {
            std::lock_guard lock(holdMutex);
            holdWakes = false;
        }
        released.notify_all();
    }
    std::mutex holdMutex;
    std::condition_variable released;
    bool holdWakes = false;
    std::string wakeError;
    bool neverReady = false;
    std::function<void()> parkHook;
};

struct Rig {
    Fake provider;
    gateway::FunctionMetrics metrics;
    TimePoint now{std::chrono::hours(1000)};
    TempDir dir = std::move(TempDir::create("faasd-scaler-test").value());
    std::unique_ptr<Scaler> scaler;

    explicit Rig(ScalerConfig config = {}) {
        config.meminfo = dir.path() / "meminfo";
        meminfo(8000000, 4000000);
        scaler = std::make_unique<Scaler>(config, provider, metrics, [this] { return now; });
    }
    void meminfo(uint64_t total, uint64_t available) {
        REQUIRE(writeFileAtomic(
            dir.path() / "meminfo",
            fmt::format("MemTotal:  {} kB\nMemFree: 1 kB\nMemAvailable: {} kB\n", total, available),
            0644));
    }
    // `rps` successful requests for each of `seconds` ticks.
    void load(const std::string& fn, int rps, int seconds) {
        for (int s = 0; s < seconds; ++s) {
            for (int i = 0; i < rps; ++i) {
                metrics.started({fn, kNs});
                metrics.finished({fn, kNs}, 200, 1ms);
            }
            step();
        }
    }
    void step() {
        now += 1s;
        scaler->tick();
        scaler->waitIdle();
    }
};

} // namespace

TEST_CASE("scaler: load above 5 req/s raises replicas to max, quiet brings them to min",
          "[scaler]") {
    Rig rig;
    rig.provider.add("fn", {{"com.openfaas.scale.min", "1"}, {"com.openfaas.scale.max", "2"}});
    rig.load("fn", 10, 8);
    CHECK(rig.provider.count("fn") == 2);
    rig.load("fn", 0, 20);
    CHECK(rig.provider.count("fn") == 2); // the stabilisation window
    rig.load("fn", 0, 20);
    CHECK(rig.provider.count("fn") == 1);
    auto text = rig.scaler->prometheusText();
    CHECK(text.find("faasd_scaler_decisions_total{function_name=\"fn.openfaas-fn\","
                    "action=\"scale_up\"} 1") != std::string::npos);
    CHECK(text.find("action=\"scale_down\"} 1") != std::string::npos);
}

TEST_CASE("scaler: min = max stays put under load", "[scaler]") {
    Rig rig;
    rig.provider.add("fixed", {{"com.openfaas.scale.min", "2"}, {"com.openfaas.scale.max", "2"}},
                     2);
    rig.load("fixed", 50, 60);
    CHECK(rig.provider.count("fixed") == 2);
    CHECK(rig.provider.scaleCalls == 0);
}

TEST_CASE("scaler: an idle function labelled for zero is parked, and evicted later", "[scaler]") {
    ScalerConfig config;
    config.policy.evictAfter = 60s;
    Rig rig(config);
    rig.provider.add(
        "idle", {{"com.openfaas.scale.zero", "true"}, {"com.openfaas.scale.zero-duration", "10s"}});
    rig.provider.add("busy", {});
    rig.load("idle", 1, 3);
    rig.load("busy", 0, 9);
    CHECK(rig.provider.parkCalls == 0);
    rig.step();
    CHECK(rig.provider.parkCalls == 1);
    CHECK(rig.provider.count("idle") == 0);
    CHECK(rig.provider.count("busy") == 1); // not labelled
    CHECK(rig.scaler->prometheusText().find(
              "faasd_scaler_parked{function_name=\"idle.openfaas-fn\"} 1") != std::string::npos);
    rig.load("busy", 0, 59);
    CHECK(rig.provider.isParked("idle", kNs));
    rig.step();
    CHECK_FALSE(rig.provider.isParked("idle", kNs));
    CHECK(rig.provider.count("idle") == 0); // evicted: scaled to 0
}

TEST_CASE("scaler: a scale by API counts as activity: the function is not parked at once",
          "[scaler]") {
    Rig rig;
    rig.provider.add("manual", {{"com.openfaas.scale.zero", "true"},
                                {"com.openfaas.scale.zero-duration", "10s"}});
    rig.load("manual", 0, 9);
    REQUIRE(rig.provider.scale("manual", kNs, 3)); // what /system/scale-function does
    rig.load("manual", 0, 9);
    CHECK(rig.provider.parkCalls == 0);
    CHECK(rig.provider.count("manual") == 3);
    rig.load("manual", 0, 2);
    CHECK(rig.provider.parkCalls == 1);
}

TEST_CASE("scaler: a request in flight keeps a function from parking", "[scaler]") {
    Rig rig;
    rig.provider.add(
        "slow", {{"com.openfaas.scale.zero", "true"}, {"com.openfaas.scale.zero-duration", "5s"}});
    rig.metrics.started({"slow", kNs});
    rig.load("slow", 0, 30);
    CHECK(rig.provider.parkCalls == 0);
    rig.metrics.finished({"slow", kNs}, 200, 20s);
    rig.load("slow", 0, 6);
    CHECK(rig.provider.parkCalls == 1);
}

TEST_CASE("scaler: a request that slips in while parking thaws the function", "[scaler]") {
    Rig rig;
    rig.provider.add(
        "racy", {{"com.openfaas.scale.zero", "true"}, {"com.openfaas.scale.zero-duration", "2s"}});
    rig.provider.parkHook = [&] { rig.metrics.started({"racy", kNs}); };
    rig.load("racy", 0, 3);
    CHECK(rig.provider.parkCalls == 1);
    CHECK(rig.provider.wakeCalls == 1);
    CHECK_FALSE(rig.provider.isParked("racy", kNs));
}

TEST_CASE("scaler: under memory pressure the longest parked function is evicted", "[scaler]") {
    Rig rig;
    for (const char* name : {"a", "b"}) {
        rig.provider.add(name, {{"com.openfaas.scale.zero", "true"},
                                {"com.openfaas.scale.zero-duration", "2s"}});
    }
    rig.load("a", 0, 1);
    rig.load("b", 1, 1);
    rig.load("a", 0, 4);
    REQUIRE(rig.provider.isParked("a", kNs));
    REQUIRE(rig.provider.isParked("b", kNs));
    rig.meminfo(8000000, 400000); // 5% free
    rig.step();
    CHECK_FALSE(rig.provider.isParked("a", kNs)); // parked first
    CHECK(rig.provider.isParked("b", kNs));
    rig.step();
    CHECK_FALSE(rig.provider.isParked("b", kNs));
    CHECK(freeMemoryFraction("MemTotal: 100 kB\nMemAvailable: 25 kB\n").value() == Approx(0.25));
    CHECK_FALSE(freeMemoryFraction("nonsense"));
}

TEST_CASE("scaler: concurrent wakes share one wake-up", "[scaler]") {
    Rig rig;
    rig.provider.add("cold", {{"com.openfaas.scale.min", "2"}}, 0);
    rig.provider.holdWakes = true;
    const auto deadline = std::chrono::steady_clock::now() + 30s;
    constexpr size_t kCallers = 8;
    std::array<std::atomic<pid_t>, kCallers> tids{};
    std::vector<std::thread> threads;
    std::atomic<int> ok{0};
    for (size_t i = 0; i < kCallers; ++i) {
        threads.emplace_back([&, i] {
            tids[i] = ::gettid();
            if (rig.scaler->wake("cold", kNs, deadline)) {
                ok++;
            }
        });
    }
    // The wake goes on until every caller is inside wake() and asleep there:
    // one in the provider, the others waiting for it. (Asleep twice in a row:
    // a caller only queued for a lock that another holds is woken at once.)
    int asleepInARow = 0;
    CHECK(waitUntil(
        [&] {
            const bool all = rig.provider.wakeCalls > 0 &&
                             std::all_of(tids.begin(), tids.end(),
                                         [](const std::atomic<pid_t>& t) { return asleep(t); });
            asleepInARow = all ? asleepInARow + 1 : 0;
            return asleepInARow >= 2;
        },
        10s));
    rig.provider.releaseWakes();
    for (auto& t : threads) {
        t.join();
    }
    CHECK(ok == 8);
    CHECK(rig.provider.wakeCalls == 1);
    CHECK(rig.provider.count("cold") == 2); // to com.openfaas.scale.min
    CHECK(rig.scaler->prometheusText().find("faasd_scaler_wakes_total{function_name=\"cold."
                                            "openfaas-fn\",from=\"zero\"} 1") != std::string::npos);
    // A later wake is a new one.
    REQUIRE(rig.provider.scale("cold", kNs, 0));
    REQUIRE(rig.scaler->wake("cold", kNs, std::chrono::steady_clock::now() + 5s));
    CHECK(rig.provider.wakeCalls == 2);
}

TEST_CASE("scaler: a failed wake is Unavailable with the reason; unknown is NotFound", "[scaler]") {
    Rig rig;
    rig.provider.add("broken", {}, 0);
    rig.provider.wakeError = "image gone";
    auto r = rig.scaler->wake("broken", kNs, std::chrono::steady_clock::now() + 1s);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Code::Unavailable);
    CHECK(r.error().message().find("image gone") != std::string::npos);
    auto missing = rig.scaler->wake("nope", kNs, std::chrono::steady_clock::now() + 1s);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);
}

TEST_CASE("scaler: a wake that never serves times out at the deadline", "[scaler]") {
    Rig rig;
    rig.provider.add("stuck", {}, 0);
    rig.provider.neverReady = true;
    const auto start = std::chrono::steady_clock::now();
    auto r = rig.scaler->wake("stuck", kNs, start + 200ms);
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Code::Unavailable);
    CHECK(std::chrono::steady_clock::now() - start >= 200ms);
}

TEST_CASE("scaler: Alertmanager firing steps up by factor, resolved goes to min", "[scaler]") {
    Rig rig;
    rig.provider.add("hot", {{"com.openfaas.scale.max", "10"}});
    rig.provider.add("pinned", {{"com.openfaas.scale.min", "3"}, {"com.openfaas.scale.max", "3"}},
                     3);
    gateway::AlertNotification n{.status = "firing"};
    n.alerts.push_back({.status = "firing",
                        .alertName = "APIHighInvocationRate",
                        .functionName = "hot.openfaas-fn"});
    n.alerts.push_back(
        {.status = "firing", .alertName = "APIHighInvocationRate", .functionName = "pinned"});
    n.alerts.push_back({.status = "firing", .alertName = "x", .functionName = "gone"});
    REQUIRE(rig.scaler->handle(n));
    CHECK(rig.provider.count("hot") == 3); // 1 + 20% of 10
    CHECK(rig.provider.count("pinned") == 3);
    REQUIRE(rig.scaler->handle(n));
    CHECK(rig.provider.count("hot") == 5);
    for (auto& a : n.alerts) {
        a.status = "resolved";
    }
    REQUIRE(rig.scaler->handle(n));
    CHECK(rig.provider.count("hot") == 1);
    CHECK(rig.provider.count("pinned") == 3);
}
