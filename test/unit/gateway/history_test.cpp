// The metrics history: its number encoding, latency percentiles, the
// rings, the one-minute downsampling, the memory bound and the JSON the
// charts read, each against a reference computed here from the raw values.

#include "fake_provider.hpp"
#include "gateway/history_sampler.hpp"
#include "gateway/history_store.hpp"
#include "gateway/latency_buckets.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <regex>
#include <thread>
#include <vector>

using namespace faasd;
using namespace faasd::gateway;
using Json = nlohmann::json;

namespace {

// The exact q-quantile of raw values: the smallest value with at least
// q * n values at or below it.
double exactQuantile(std::vector<double> v, double q) {
    std::sort(v.begin(), v.end());
    const size_t rank = static_cast<size_t>(std::ceil(q * static_cast<double>(v.size())));
    return v[std::max<size_t>(rank, 1) - 1];
}

// Within one bucket of the reference: buckets are 12.5 % wide.
bool withinBucket(double estimate, double reference) {
    return std::abs(estimate - reference) <= 0.125 * reference + 1;
}

std::vector<double> lognormalMicros(std::mt19937& rng, size_t n, double medianMicros) {
    std::lognormal_distribution<double> dist(std::log(medianMicros), 0.8);
    std::vector<double> out(n);
    for (auto& v : out) {
        v = std::round(dist(rng));
    }
    return out;
}

void count(LatencyCounts& counts, const std::vector<double>& micros) {
    for (double v : micros) {
        ++counts[latencyBucket(static_cast<uint64_t>(v))];
    }
}

constexpr int64_t kT0 = 1'800'000'040; // unix seconds, 40 s into a minute

} // namespace

TEST_CASE("the encoding is exact for small integers and within 0.035 % above") {
    using history::decode;
    using history::encode;
    CHECK(encode(0) == 0);
    CHECK(decode(0) == 0);
    for (int i = 0; i <= 1400; ++i) {
        INFO(i);
        CHECK(std::round(decode(encode(i))) == i);
    }
    for (double x : {1e4, 123456.0, 9.9e6, 4.2e9, 1.5e15}) {
        INFO(x);
        CHECK(std::abs(decode(encode(x)) - x) <= x * 0.00035);
    }
    uint16_t previous = 0;
    for (double x = 1; x < 1e12; x *= 1.37) {
        CHECK(encode(x) >= previous);
        previous = encode(x);
    }
    CHECK(encode(-5) == 0);
    CHECK(encode(1e300) == 65535);
}

TEST_CASE("latency buckets are contiguous and each 12.5 % wide at most") {
    for (size_t i = 0; i + 1 < kLatencyBuckets; ++i) {
        INFO(i);
        CHECK(latencyBucket(static_cast<uint64_t>(bucketLow(i))) == i);
        CHECK(latencyBucket(static_cast<uint64_t>(bucketLow(i + 1)) - 1) == i);
        if (i >= 8) {
            CHECK((bucketLow(i + 1) - bucketLow(i)) / bucketLow(i) <= 0.125);
        }
    }
    CHECK(latencyBucket(uint64_t{1} << 40) == kLatencyBuckets - 1);
}

TEST_CASE("percentiles from the buckets are within a bucket of the exact ones") {
    std::mt19937 rng(7);
    for (double median : {40.0, 900.0, 25'000.0, 3e6}) {
        auto v = lognormalMicros(rng, 5000, median);
        LatencyCounts counts{};
        count(counts, v);
        for (double q : {0.5, 0.95, 0.99}) {
            INFO("median " << median << " q " << q);
            auto estimate = latencyQuantile(counts, q);
            REQUIRE(estimate);
            CHECK(withinBucket(*estimate, exactQuantile(v, q)));
        }
    }
    CHECK_FALSE(latencyQuantile(LatencyCounts{}, 0.5));
}

TEST_CASE("a ring keeps its last N samples and leaves skipped times empty") {
    history::Ring<10> ring;
    history::Sample s;
    s.flags = history::Sample::kPresent;
    for (int64_t t = 100; t < 105; ++t) {
        s.ok = static_cast<uint16_t>(t);
        ring.put(t, s);
    }
    REQUIRE(ring.at(104));
    CHECK(ring.at(104)->ok == 104);
    ring.put(108, s); // 105..107 skipped
    CHECK(ring.at(105) == nullptr);
    CHECK(ring.at(107) == nullptr);
    CHECK(ring.at(104) != nullptr);
    ring.put(103, s); // older than the head: dropped
    CHECK(ring.at(103)->ok == 103);
    ring.put(120, s); // everything before 111 is out
    CHECK(ring.at(108) == nullptr);
    CHECK(ring.at(110) == nullptr);
    CHECK(ring.at(120) != nullptr);
    CHECK(ring.at(121) == nullptr);
    ring.put(200, s); // a gap longer than the ring
    for (int64_t t = 191; t < 200; ++t) {
        CHECK(ring.at(t) == nullptr);
    }
}

TEST_CASE("a minute is made from its seconds: sums, percentiles over all calls, maxima, means") {
    std::mt19937 rng(11);
    history::SeriesHistory h;
    history::Reading cumulative;
    // The raw values of each minute, to compare with.
    struct Minute {
        uint64_t ok = 0, c4 = 0, c5 = 0, inFlightMax = 0;
        std::vector<double> latencies;
        double cpuSum = 0;
        int samples = 0;
    };
    std::map<int64_t, Minute> minutes;
    h.record(kT0 - 1, cumulative); // the baseline
    for (int64_t t = kT0; t < kT0 + 200; ++t) {
        Minute& m = minutes[t / 60];
        const uint64_t ok = rng() % 3000, c4 = rng() % 5, c5 = rng() % 2;
        auto v = lognormalMicros(rng, static_cast<size_t>(ok + c4 + c5),
                                 t % 60 < 30 ? 2'000.0 : 20'000.0);
        cumulative.ok += ok;
        cumulative.clientErrors += c4;
        cumulative.serverErrors += c5;
        count(cumulative.latency, v);
        cumulative.inFlight = rng() % 50;
        cumulative.cpu = 0.25 + static_cast<double>(rng() % 100) / 100;
        h.record(t, cumulative);

        m.ok += ok;
        m.c4 += c4;
        m.c5 += c5;
        m.latencies.insert(m.latencies.end(), v.begin(), v.end());
        m.inFlightMax = std::max(m.inFlightMax, cumulative.inFlight);
        m.cpuSum += *cumulative.cpu;
        ++m.samples;

        // Each second on its own.
        const history::Sample* s = h.seconds().at(t);
        REQUIRE(s);
        CHECK(history::decode(s->ok) == Approx(static_cast<double>(ok)).epsilon(0.00035));
        CHECK(std::round(history::decode(s->clientErrors)) == c4);
        if (!v.empty()) {
            CHECK(withinBucket(history::decode(s->p99), exactQuantile(v, 0.99)));
        }
    }
    // The complete minutes (the first and last are partial).
    int checked = 0;
    for (const auto& [minute, m] : minutes) {
        const history::Sample* s = h.minutes().at(minute);
        if (minute == h.partialMinuteIndex()) {
            CHECK(s == nullptr);
            continue;
        }
        REQUIRE(s);
        INFO("minute " << minute);
        CHECK(history::decode(s->ok) == Approx(static_cast<double>(m.ok)).epsilon(0.00035));
        CHECK(std::round(history::decode(s->clientErrors)) == m.c4);
        CHECK(std::round(history::decode(s->serverErrors)) == m.c5);
        CHECK(std::round(history::decode(s->inFlight)) == m.inFlightMax);
        CHECK(history::decode(s->cpu) / 1000 == Approx(m.cpuSum / m.samples).epsilon(0.001));
        for (auto [q, code] : {std::pair{0.5, s->p50}, {0.95, s->p95}, {0.99, s->p99}}) {
            INFO("q " << q);
            CHECK(withinBucket(history::decode(code), exactQuantile(m.latencies, q)));
        }
        // Not the mean of the seconds' percentiles: half the minute is 10x slower.
        ++checked;
    }
    CHECK(checked >= 2);
    REQUIRE(h.partialMinute());
}

TEST_CASE("a function's history stays within its budget however long it runs") {
    MetricsHistory history([] { return kT0; });
    const auto one = history.memoryBytes();
    std::map<api::FunctionRef, history::Reading> functions;
    for (int i = 0; i < 20; ++i) {
        functions[{"function-" + std::to_string(i), "openfaas-fn"}] = {};
    }
    history::Reading vm;
    history.record(kT0, functions, vm, {}, true);
    const auto withTwenty = history.memoryBytes();
    CHECK((withTwenty - one) / 20 <= history::kFunctionBudget);
    // A day and a bit of samples, every second, with events: nothing grows.
    std::map<api::FunctionRef, history::Reading> two(functions.begin(),
                                                     std::next(functions.begin(), 2));
    for (int64_t t = kT0 + 1; t < kT0 + 25 * 3600; ++t) {
        for (auto& [f, r] : two) {
            r.ok += 3;
            ++r.latency[static_cast<size_t>(t % 200)];
        }
        history.record(t, two, vm, {}, false);
        if (t % 600 == 0) {
            history.scaled(two.begin()->first, 1, 2,
                           "a reason long enough to be cut at the end "
                           "of the event's fixed-size field");
        }
    }
    CHECK(history.memoryBytes() == withTwenty);
    CHECK(history.functions() == 20);
    // A complete round forgets the functions it no longer lists.
    history.record(kT0 + 25 * 3600, two, vm, {}, true);
    CHECK(history.functions() == 2);
    CHECK((history.memoryBytes() - one) / 2 <= history::kFunctionBudget);
}

TEST_CASE("the JSON has one point per step, nulls where nothing was sampled, and the events") {
    int64_t now = kT0;
    MetricsHistory history([&] { return now; });
    const api::FunctionRef f{"echo", "openfaas-fn"};
    history::Reading r;
    r.wanted = 2;
    r.ready = 1;
    history::Reading vm;
    for (int64_t t = kT0; t < kT0 + 10; ++t) {
        r.ok += 5;
        r.serverErrors += (t == kT0 + 5) ? 1 : 0;
        r.latency[latencyBucket(1000)] += 5;
        if (t == kT0 + 7) {
            continue; // a second the sampler missed
        }
        history.record(t, {{f, r}}, vm, {.memoryTotal = 1e9, .cpus = 2}, true);
    }
    now = kT0 + 8;
    history.scaled(f, 1, 2, "alert APIHighInvocationRate firing");

    auto body = history.functionJson(f, MetricsHistory::Range::Minutes15, std::nullopt);
    REQUIRE(body);
    Json j = Json::parse(*body);
    CHECK(j["step"] == 1);
    CHECK(j["t"].size() == history::kSecondSlots);
    CHECK(j["t"].back() == kT0 + 9);
    auto ok = j["rate"]["2xx"];
    CHECK(ok[ok.size() - 1] == 5);
    CHECK(ok[ok.size() - 2] == 10); // the missed second's calls land in the next
    CHECK(ok[ok.size() - 3].is_null());
    CHECK(ok[ok.size() - 11].is_null()); // before the first reading
    CHECK(j["rate"]["5xx"][ok.size() - 5] == 1);
    CHECK(withinBucket(j["latency"]["p99"].back().get<double>() * 1000, 1000));
    CHECK(j["replicas"]["wanted"].back() == 2);
    REQUIRE(j["events"].size() == 1);
    CHECK(j["events"][0]["t"] == kT0 + 8);
    CHECK(j["events"][0]["from"] == 1);
    CHECK(j["events"][0]["to"] == 2);
    CHECK(j["events"][0]["reason"] == "alert APIHighInvocationRate firing");

    // Only what is new since a time.
    Json since = Json::parse(*history.functionJson(f, MetricsHistory::Range::Minutes15,
                                                   std::optional<int64_t>(kT0 + 8)));
    CHECK(since["t"] == Json::array({kT0 + 8, kT0 + 9}));
    CHECK(since["start"] == kT0 + 8);

    // Minutes: the last point is the minute under way.
    Json hour = Json::parse(*history.functionJson(f, MetricsHistory::Range::Hour, std::nullopt));
    CHECK(hour["step"] == 60);
    CHECK(hour["t"].size() == 60);
    CHECK(hour["t"].back() == (kT0 + 9) / 60 * 60);
    CHECK_FALSE(hour["rate"]["2xx"].back().is_null());

    CHECK_FALSE(history.functionJson({"other", "openfaas-fn"}, MetricsHistory::Range::Minutes15,
                                     std::nullopt));

    Json overview = Json::parse(history.overviewJson("", MetricsHistory::Range::Minutes15, {}));
    CHECK(overview["memoryTotal"] == 1e9);
    CHECK(overview["cpus"] == 2);
    REQUIRE(overview["functions"].size() == 1);
    CHECK(overview["functions"][0]["name"] == "echo");
    CHECK(overview["functions"][0]["spark"].size() == 30);
    CHECK(overview["functions"][0]["rate"].get<double>() > 5);
    // Numbers are written as short decimals, never as binary noise.
    const std::string text = history.overviewJson("", MetricsHistory::Range::Minutes15, {});
    CHECK_FALSE(std::regex_search(text, std::regex(R"(\.[0-9]{4,})")));
    CHECK(Json::parse(history.overviewJson("other-ns", MetricsHistory::Range::Day, {}))["functions"]
              .empty());
    CHECK(MetricsHistory::parseRange("24h") == MetricsHistory::Range::Day);
    CHECK_FALSE(MetricsHistory::parseRange("2d"));
}

TEST_CASE("the sampler reads the counters, the provider's replicas and the host") {
    test::FakeProvider provider;
    provider.addFunction("echo", "openfaas-fn", "img");
    provider.namespaces["openfaas-fn"] = {};
    FunctionMetrics metrics(true);
    MetricsHistory history;
    auto dir = std::filesystem::temp_directory_path() / "faasd-history-test";
    std::filesystem::create_directories(dir);
    {
        std::ofstream(dir / "stat") << "cpu  100 0 100 800 0 0 0 0 0 0\ncpu0 1 2 3 4\n";
        std::ofstream(dir / "meminfo") << "MemTotal:       2000 kB\nMemFree: 10 kB\n"
                                          "MemAvailable:    500 kB\n";
    }
    HistorySampler sampler(history, metrics, provider, nullptr,
                           {.procStat = dir / "stat", .meminfo = dir / "meminfo"});
    sampler.sampleOnce(kT0);
    for (int i = 0; i < 4; ++i) {
        metrics.started({"echo", "openfaas-fn"});
        metrics.finished({"echo", "openfaas-fn"}, i == 0 ? 500 : 200, std::chrono::milliseconds(3));
    }
    std::ofstream(dir / "stat") << "cpu  150 0 150 900 0 0 0 0 0 0\n";
    sampler.sampleOnce(kT0 + 1);
    std::filesystem::remove_all(dir);

    auto body = history.functionJson({"echo", "openfaas-fn"}, MetricsHistory::Range::Minutes15, {});
    REQUIRE(body);
    Json j = Json::parse(*body);
    CHECK(j["rate"]["2xx"].back() == 3);
    CHECK(j["rate"]["5xx"].back() == 1);
    CHECK(withinBucket(j["latency"]["p50"].back().get<double>() * 1000, 3000));
    Json vm = Json::parse(history.overviewJson("", MetricsHistory::Range::Minutes15, {}));
    CHECK(vm["memoryTotal"] == 2000 * 1024);
    CHECK(vm["memory"].back() == Approx(1500 * 1024).epsilon(0.001));
    // 100 of 200 jiffies busy, on every CPU of this machine.
    CHECK(vm["cpu"].back().get<double>() ==
          Approx(0.5 * std::max(1u, std::thread::hardware_concurrency())).epsilon(0.002));
    CHECK(vm["rate"]["2xx"].back() == 3);
}

TEST_CASE("CPU and memory lines the host may print are read, or refused") {
    CHECK_FALSE(parseProcStat("intr 1 2 3"));
    CHECK_FALSE(parseProcStat("cpu 1 2"));
    auto t = parseProcStat("cpu 10 1 5 100 4 1 1 0 0 0");
    REQUIRE(t);
    CHECK(t->total == 122);
    CHECK(t->busy == 18);
    CHECK_FALSE(parseMeminfo("MemTotal: 10 kB\n"));
}
