// The other nodes' invocation counters merged for the elected scaler:
// CounterMerge's rule (baselines, differences, restarts, departures, calls
// in flight), the JSON of /system/function-counters, and ClusterCounters
// over fake answers and over two small HTTP servers standing for gateways.

#include "catch_result.hpp"
#include "cluster/cluster_counters.hpp"
#include "cluster/counter_merge.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <fmt/format.h>
#include <httplib.h>
#include <thread>

using namespace faasd;
using namespace faasd::cluster;
using namespace std::chrono_literals;
using gateway::InvocationSnapshot;

namespace {

const api::FunctionRef kEcho{"echo", "openfaas-fn"};
const api::FunctionRef kSay{"say", "dev"};
const CounterMerge::TimePoint t0{};

InvocationSnapshot counts(uint64_t ok, uint64_t errors = 0, uint64_t inFlight = 0) {
    InvocationSnapshot s{
        .started = ok + errors + inFlight, .completed = ok + errors, .inFlight = inFlight};
    if (ok > 0) {
        s.byCode[200] = ok;
    }
    if (errors > 0) {
        s.byCode[500] = errors;
    }
    return s;
}

// A node's answer with echo's counters only.
CounterTable echo(uint64_t ok, uint64_t errors = 0, uint64_t inFlight = 0) {
    return {{kEcho, counts(ok, errors, inFlight)}};
}

// echo as merged over local.
InvocationSnapshot merged(const CounterMerge& m, const CounterTable& local,
                          CounterMerge::TimePoint now) {
    auto all = m.merged(local, now);
    auto it = all.find(kEcho);
    REQUIRE(it != all.end());
    auto one =
        m.merged(kEcho, local.contains(kEcho) ? std::optional(local.at(kEcho)) : std::nullopt, now);
    REQUIRE(one);
    CHECK(one->started == it->second.started);
    CHECK(one->completed == it->second.completed);
    CHECK(one->inFlight == it->second.inFlight);
    CHECK(one->byCode == it->second.byCode);
    return it->second;
}

} // namespace

TEST_CASE("a node's first answer is a baseline: its earlier calls are not a burst", "[counters]") {
    CounterMerge m(10s);
    m.observe("b", echo(1000, 0, 2), t0);
    auto s = merged(m, echo(5), t0);
    CHECK(s.started == 5);
    CHECK(s.completed == 5);
    CHECK(s.inFlight == 2); // in flight counts at once
    CHECK(s.byCode == std::map<unsigned, uint64_t>{{200, 5}});

    m.observe("b", echo(1010, 3, 1), t0 + 1s);
    s = merged(m, echo(5), t0 + 1s);
    CHECK(s.started == 5 + 10 + 3 + 1 - 2);
    CHECK(s.completed == 5 + 13);
    CHECK(s.inFlight == 1);
    CHECK(s.byCode == std::map<unsigned, uint64_t>{{200, 15}, {500, 3}});
}

TEST_CASE("the other nodes' differences add up across nodes and functions", "[counters]") {
    CounterMerge m(10s);
    m.observe("b", echo(10), t0);
    m.observe("c", {}, t0);
    m.observe("b", echo(12), t0 + 1s);
    m.observe("c", {{kEcho, counts(4)}, {kSay, counts(7)}}, t0 + 1s);
    auto all = m.merged({}, t0 + 1s);
    REQUIRE(all.size() == 2);
    CHECK(all.at(kEcho).started == 2 + 4); // new on c since its previous answer: whole
    CHECK(all.at(kEcho).byCode.at(200) == 6);
    CHECK(all.at(kSay).completed == 7);
    CHECK(m.merged(api::FunctionRefView{"other", "dev"}, std::nullopt, t0 + 1s) == std::nullopt);
}

TEST_CASE("a node that restarts counts from zero again and the sum never goes down", "[counters]") {
    CounterMerge m(10s);
    m.observe("b", echo(100), t0);
    m.observe("b", echo(150), t0 + 1s);
    const auto before = merged(m, {}, t0 + 1s);
    CHECK(before.started == 50);

    // b's gateway restarted: its counters start again from 0.
    m.observe("b", echo(0), t0 + 2s);
    auto s = merged(m, {}, t0 + 2s);
    CHECK(s.started == 50);
    CHECK(s.byCode.at(200) == 50);

    m.observe("b", echo(7, 1), t0 + 3s);
    s = merged(m, {}, t0 + 3s);
    CHECK(s.started == 58);
    CHECK(s.completed == 58);
    CHECK(s.byCode == std::map<unsigned, uint64_t>{{200, 57}, {500, 1}});

    // Restarted and already past its old totals in another code: a counter
    // that went down (200) makes all of the answer new.
    m.observe("b",
              {{kEcho,
                [] {
                    auto c = counts(3);
                    c.byCode[500] = 9;
                    c.started = c.completed = 12;
                    return c;
                }()}},
              t0 + 4s);
    s = merged(m, {}, t0 + 4s);
    CHECK(s.started == 70);
    CHECK(s.byCode == std::map<unsigned, uint64_t>{{200, 60}, {500, 10}});
}

TEST_CASE("a node that leaves keeps what it added and stops counting in flight", "[counters]") {
    CounterMerge m(10s);
    m.observe("b", echo(10, 0, 4), t0);
    m.observe("b", echo(20, 0, 4), t0 + 1s);
    CHECK(merged(m, echo(1), t0 + 1s).inFlight == 4);

    m.retain({}, t0 + 2s);
    auto s = merged(m, echo(1), t0 + 2s);
    CHECK(s.started == 1 + 10);
    CHECK(s.inFlight == 0);

    // Back soon with the same counters (its lease lapsed, it did not
    // restart): only what is new counts, nothing twice.
    m.observe("b", echo(25, 0, 1), t0 + 3s);
    s = merged(m, echo(1), t0 + 3s);
    CHECK(s.started == 1 + 10 + 2);
    CHECK(s.completed == 1 + 10 + 5);
    CHECK(s.inFlight == 1);

    // Gone for longer than forgetAfter: forgotten; back, it is a baseline.
    m.retain({}, t0 + 4s);
    m.retain({}, t0 + 20s);
    CHECK(merged(m, echo(1), t0 + 20s).started == 13);
    m.observe("b", echo(500), t0 + 21s);
    CHECK(merged(m, echo(1), t0 + 21s).started == 13);
    m.observe("b", echo(501), t0 + 22s);
    CHECK(merged(m, echo(1), t0 + 22s).started == 14);
}

TEST_CASE("an answer older than forgetAfter counts no calls in flight and is a baseline",
          "[counters]") {
    CounterMerge m(10s);
    m.observe("b", echo(10, 0, 3), t0);
    CHECK(merged(m, {}, t0 + 10s).inFlight == 3);
    CHECK(m.merged({}, t0 + 11s).empty());    // b did not answer since
    m.observe("b", echo(90, 0, 1), t0 + 11s); // the gap is not a burst
    auto s = merged(m, {}, t0 + 11s);
    CHECK(s.started == 0);
    CHECK(s.inFlight == 1);
}

TEST_CASE("function counters are parsed from the gateway's JSON", "[counters]") {
    auto t = parseFunctionCounters(R"({"echo.openfaas-fn": {"started": 3, "completed": 2,
        "inFlight": 1, "byCode": {"200": 1, "500": 1}}, "say.dev": {"started": 0,
        "completed": 0, "inFlight": 0, "byCode": {}}})");
    REQUIRE(t);
    REQUIRE(t->size() == 2);
    const auto& e = t->at(kEcho);
    CHECK(e.started == 3);
    CHECK(e.completed == 2);
    CHECK(e.inFlight == 1);
    CHECK(e.byCode == std::map<unsigned, uint64_t>{{200, 1}, {500, 1}});
    CHECK(parseFunctionCounters("{}").value().empty());

    for (const char* bad : {"", "[]", "not json", R"({"echo": {"started": 1}})",
                            R"({"echo.fn": {"started": -1}})", R"({"echo.fn": {"started": "1"}})",
                            R"({"echo.fn": {"byCode": {"ok": 1}}})", R"({"echo.fn": 3})"}) {
        INFO(bad);
        auto r = parseFunctionCounters(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Code::InvalidArgument);
    }
}

TEST_CASE("peers are the cluster's other nodes at their gateway ports", "[counters]") {
    Snapshot s;
    s.nodes["a"] = {.name = "a", .address = "10.0.0.1", .gatewayPort = 8080};
    s.nodes["b"] = {.name = "b", .address = "10.0.0.2", .gatewayPort = 8443};
    s.nodes["c"] = {.name = "c", .address = "10.0.0.3", .gatewayPort = 8080};
    CHECK(peersOf(s, "a") == std::vector<Peer>{{"b", "10.0.0.2", 8443}, {"c", "10.0.0.3", 8080}});
}

namespace {

// Local counters set by the test.
class FakeLocal final : public gateway::InvocationCounters {
public:
    std::map<api::FunctionRef, Snapshot> all() const override { return table; }
    std::optional<Snapshot> get(api::FunctionRefView function) const override {
        auto it = table.find(api::FunctionRef::from(function));
        return it == table.end() ? std::nullopt : std::optional(it->second);
    }
    CounterTable table;
};

} // namespace

TEST_CASE("ClusterCounters asks the other nodes at most once per refresh, skips a silent one",
          "[counters]") {
    FakeLocal local;
    local.table = echo(2);
    std::vector<Peer> peers{{"b", "10.0.0.2", 8080}, {"c", "10.0.0.3", 8080}};
    std::map<std::string, Result<CounterTable>> answers{{"b", echo(100, 0, 1)}, {"c", echo(40)}};
    std::atomic<int> asked{0};
    auto now = CounterMerge::TimePoint{} + 1h;
    ClusterCounters counters(
        local, [&] { return peers; }, {.refresh = 1s},
        [&](const Peer& p) -> Result<CounterTable> {
            ++asked;
            return answers.at(p.node);
        },
        [&] { return now; });

    auto s = counters.get(kEcho);
    REQUIRE(s);
    CHECK(asked == 2);
    CHECK(s->started == 2);
    CHECK(s->inFlight == 1);

    answers["b"] = echo(110);
    answers["c"] = fail(Code::Unavailable, "connection refused");
    now += 500ms;
    CHECK(counters.all().at(kEcho).started == 2); // not asked again yet
    CHECK(asked == 2);

    now += 500ms;
    s = counters.get(kEcho);
    CHECK(asked == 4);
    CHECK(s->started == 2 + 9); // b: 10 more done, 1 fewer in flight; c skipped

    answers["c"] = echo(45);
    now += 1s;
    CHECK(counters.all().at(kEcho).started == 2 + 9 + 5);

    // c leaves the cluster.
    peers.pop_back();
    now += 1s;
    CHECK(counters.all().at(kEcho).started == 2 + 9 + 5);
    CHECK(asked == 7);
}

TEST_CASE("ClusterCounters reads other gateways' /system/function-counters over HTTP",
          "[counters]") {
    struct Gateway {
        httplib::Server server;
        std::thread thread;
        int port = 0;
        std::atomic<uint64_t> started{0};
        explicit Gateway() {
            server.Get("/system/function-counters",
                       [this](const httplib::Request& r, httplib::Response& res) {
                           if (r.get_header_value("Authorization") != "Basic YWRtaW46c2VjcmV0") {
                               res.status = 401;
                               return;
                           }
                           const auto n = started.load();
                           res.set_content(fmt::format(R"({{"echo.openfaas-fn": {{"started": {}, )"
                                                       R"("completed": {}, "inFlight": 0, )"
                                                       R"("byCode": {{"200": {}}}}}}})",
                                                       n, n, n),
                                           "application/json");
                       });
            port = server.bind_to_any_port("127.0.0.1");
            // Listening already: a connection waits in the backlog until accepted.
            thread = std::thread([this] { server.listen_after_bind(); });
        }
        ~Gateway() {
            server.stop();
            thread.join();
        }
    };
    Gateway b, c;
    b.started = 10;
    c.started = 20;
    FakeLocal local;
    auto now = CounterMerge::TimePoint{} + 1h;
    std::vector<Peer> peers{{"b", "127.0.0.1", static_cast<uint16_t>(b.port)},
                            {"c", "127.0.0.1", static_cast<uint16_t>(c.port)},
                            {"gone", "127.0.0.1", 1}};
    ClusterCounters counters(
        local, [&] { return peers; }, {.user = "admin", .password = "secret", .refresh = 1s}, {},
        [&] { return now; });

    CHECK_FALSE(counters.get(kEcho) == std::nullopt); // baselines
    CHECK(counters.get(kEcho)->started == 0);
    b.started = 13;
    c.started = 24;
    now += 1s;
    auto s = counters.get(kEcho);
    REQUIRE(s);
    CHECK(s->started == 7);
    CHECK(s->byCode.at(200) == 7);

    // Wrong credentials: the nodes are skipped, nothing is lost.
    ClusterCounters wrong(
        local, [&] { return peers; }, {.user = "admin", .password = "nope"}, {},
        [&] { return now; });
    CHECK(wrong.all().empty());
    CHECK(ClusterCounters::fetchOverHttp(peers[0], {.user = "admin", .password = "nope"})
              .error()
              .message()
              .find("401") != std::string::npos);
}
