// The cron source driven by a fake clock: runs at their times with
// cron-connector's headers, the overlap rules while a run is still going,
// missed runs caught up after a restart, redeploys and removals.

#include "common/files.hpp"
#include "times.hpp"
#include "triggers/cron_source.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <filesystem>
#include <map>
#include <mutex>

namespace faasd::triggers {
namespace {

using test::at;
using test::iso;

// Records the runs; each is running until the test ends it.
class FakeDelivery : public Delivery {
public:
    Result<std::string> deliver(Fire fire, RunEnded ended) override {
        std::lock_guard lock(mutex);
        if (refuse) {
            return fail(Code::ResourceExhausted, "the queue is full");
        }
        std::string id = "call-" + std::to_string(fires.size() + 1);
        fires.push_back(std::move(fire));
        running[id] = std::move(ended);
        return id;
    }

    void end(const std::string& id, int status = 200) {
        RunEnded ended;
        {
            std::lock_guard lock(mutex);
            ended = std::move(running.at(id));
            running.erase(id);
        }
        ended({.callId = id, .failed = status >= 400, .status = status});
    }

    std::string header(size_t i, std::string_view name) const {
        for (const auto& [k, v] : fires.at(i).headers) {
            if (k == name) {
                return v;
            }
        }
        return {};
    }

    std::mutex mutex;
    std::vector<Fire> fires;
    std::map<std::string, RunEnded> running;
    bool refuse = false;
};

struct Clock {
    SysTime now;
    std::function<SysTime()> fn() {
        return [this] { return now; };
    }
};

FunctionAnnotations cronFunction(std::string name, std::string schedule, api::StringMap more = {}) {
    more["topic"] = "cron-function";
    more["schedule"] = std::move(schedule);
    return {{std::move(name), "openfaas-fn"}, std::move(more)};
}

gateway::TriggerInfo only(const CronSource& cron) {
    auto list = cron.list();
    REQUIRE(list.size() == 1);
    return list.front();
}

TEST_CASE("runs fall due on the schedule with cron-connector's headers") {
    Clock clock{at("2026-06-01T10:00:00Z")};
    FakeDelivery d;
    CronSource cron({.clock = clock.fn()}, d);
    cron.sync({cronFunction("tick", "@every 2s", {{"com.openfaas.schedule.body", "hello"}}),
               {{"plain", "openfaas-fn"}, {}}});

    auto next = cron.tick(clock.now);
    CHECK(d.fires.empty());
    REQUIRE(next);
    CHECK(iso(std::chrono::floor<std::chrono::seconds>(*next)) == "2026-06-01T10:00:02Z");

    clock.now = at("2026-06-01T10:00:02Z");
    next = cron.tick(clock.now);
    REQUIRE(d.fires.size() == 1);
    CHECK(d.fires[0].function.name == "tick");
    CHECK(d.fires[0].body == "hello");
    CHECK_FALSE(d.fires[0].sync);
    CHECK(d.header(0, "X-Topic") == "cron-function");
    CHECK(d.header(0, "X-Connector") == "cron-connector");
    CHECK(d.header(0, "X-Scheduled-Time") == "2026-06-01T10:00:02Z");
    CHECK(iso(std::chrono::floor<std::chrono::seconds>(*next)) == "2026-06-01T10:00:04Z");

    auto info = only(cron);
    CHECK(info.kind == "cron");
    CHECK(info.spec == "@every 2s");
    CHECK(info.runs == 1);
    CHECK(info.lastStatus == "accepted");
    CHECK(info.lastCallId == "call-1");
    CHECK(info.state == "running");
    REQUIRE(info.recentRuns.size() == 1);
    CHECK(info.recentRuns[0].callId == "call-1");
    CHECK(info.recentRuns[0].status == "accepted");
    d.end("call-1");
    info = only(cron);
    CHECK(info.lastStatus == "completed (200)");
    CHECK(info.state == "scheduled");
    CHECK(info.recentRuns[0].status == "completed (200)");
}

TEST_CASE("a run that ends before its delivery returns is recorded as ended") {
    class Instant : public Delivery {
    public:
        Result<std::string> deliver(Fire, RunEnded ended) override {
            std::string id = "quick-" + std::to_string(++n);
            ended({.callId = id, .status = 204});
            return id;
        }
        int n = 0;
    } d;
    Clock clock{at("2026-06-01T10:00:00Z")};
    CronSource cron({.clock = clock.fn()}, d);
    cron.sync({cronFunction("f", "@every 1s")});
    for (int i = 0; i < 12; ++i) {
        clock.now += std::chrono::seconds(1);
        cron.tick(clock.now);
    }
    auto info = only(cron);
    CHECK(info.runs == 12);
    CHECK(info.skipped == 0);
    CHECK(info.lastStatus == "completed (204)");
    REQUIRE(info.recentRuns.size() == 10); // the last ten
    CHECK(info.recentRuns[0].status == "completed (204)");
    CHECK(info.recentRuns[9].status == "completed (204)");
    CHECK(iso(std::chrono::floor<std::chrono::seconds>(info.recentRuns[0].at)) ==
          "2026-06-01T10:00:12Z");
}

TEST_CASE("overlap skip: a run due while one runs is skipped") {
    Clock clock{at("2026-06-01T10:00:00Z")};
    FakeDelivery d;
    CronSource cron({.clock = clock.fn()}, d);
    cron.sync({cronFunction("slow", "@every 1s")});
    for (int s = 1; s <= 3; ++s) {
        clock.now += std::chrono::seconds(1);
        cron.tick(clock.now);
    }
    CHECK(d.fires.size() == 1);
    CHECK(only(cron).skipped == 2);
    d.end("call-1");
    clock.now += std::chrono::seconds(1);
    cron.tick(clock.now);
    CHECK(d.fires.size() == 2);
}

TEST_CASE("overlap allow runs beside; queue waits for the running one") {
    Clock clock{at("2026-06-01T10:00:00Z")};
    FakeDelivery d;
    CronSource cron({.clock = clock.fn()}, d);
    cron.sync({cronFunction("a", "@every 1s", {{"com.openfaas.schedule.overlap", "allow"}}),
               cronFunction("q", "@every 1s", {{"com.openfaas.schedule.overlap", "queue"}})});
    for (int s = 1; s <= 3; ++s) {
        clock.now += std::chrono::seconds(1);
        cron.tick(clock.now);
    }
    auto count = [&](std::string_view name) {
        return std::count_if(d.fires.begin(), d.fires.end(),
                             [&](const Fire& f) { return f.function.name == name; });
    };
    CHECK(count("a") == 3);
    CHECK(count("q") == 1); // one waits, the third was skipped
    std::string qCall;
    for (size_t i = 0; i < d.fires.size(); ++i) {
        if (d.fires[i].function.name == "q") {
            qCall = "call-" + std::to_string(i + 1);
        }
    }
    d.end(qCall);
    cron.tick(clock.now); // the waiting run starts now, with its own scheduled time
    CHECK(count("q") == 2);
    CHECK(d.header(d.fires.size() - 1, "X-Scheduled-Time") == "2026-06-01T10:00:02Z");
    auto list = cron.list();
    CHECK(list[1].function == "q");
    CHECK(list[1].skipped == 1);
}

TEST_CASE("missed runs are caught up after a restart, per the policy") {
    auto dir = TempDir::create("cron-state");
    REQUIRE(dir);
    auto file = dir->path() / "triggers.json";
    Clock clock{at("2026-06-01T10:00:00Z")};
    {
        FakeDelivery d;
        CronSource cron({.stateFile = file, .clock = clock.fn()}, d);
        cron.sync({cronFunction("one", "@every 1m"),
                   cronFunction("none", "@every 1m", {{"com.openfaas.schedule.missed", "none"}}),
                   cronFunction("all", "@every 1m", {{"com.openfaas.schedule.missed", "all"}}),
                   cronFunction("changed", "@every 1m")});
        clock.now = at("2026-06-01T10:01:00Z");
        cron.tick(clock.now);
        CHECK(d.fires.size() == 4);
    } // the daemon stops; ten minutes pass
    clock.now = at("2026-06-01T10:11:30Z");
    FakeDelivery d;
    CronSource cron({.stateFile = file, .clock = clock.fn()}, d);
    cron.sync({cronFunction("one", "@every 1m"),
               cronFunction("none", "@every 1m", {{"com.openfaas.schedule.missed", "none"}}),
               cronFunction("all", "@every 1m", {{"com.openfaas.schedule.missed", "all"}}),
               cronFunction("changed", "@every 2m")});
    cron.tick(clock.now);
    std::map<std::string, std::vector<std::string>> runs;
    for (size_t i = 0; i < d.fires.size(); ++i) {
        runs[d.fires[i].function.name].push_back(d.header(i, "X-Scheduled-Time"));
    }
    // Runs due together are delivered by several threads: in any order.
    for (auto& [name, times] : runs) {
        std::sort(times.begin(), times.end());
    }
    CHECK(runs["one"] == std::vector<std::string>{"2026-06-01T10:11:00Z"});
    CHECK(runs["none"].empty());
    REQUIRE(runs["all"].size() == 10);
    CHECK(runs["all"].front() == "2026-06-01T10:02:00Z");
    CHECK(runs["all"].back() == "2026-06-01T10:11:00Z");
    CHECK(runs["changed"].empty()); // a new schedule starts afresh
    for (const auto& t : cron.list()) {
        if (t.function == "one") {
            CHECK(t.missed == 9);
        } else if (t.function == "none") {
            CHECK(t.missed == 10);
        } else {
            CHECK(t.missed == 0);
        }
    }
}

TEST_CASE("a redeploy keeps the trigger; a removal drops it at once") {
    Clock clock{at("2026-06-01T10:00:00Z")};
    FakeDelivery d;
    CronSource cron({.clock = clock.fn()}, d);
    cron.sync({cronFunction("f", "@every 1s")});
    clock.now += std::chrono::seconds(1);
    cron.tick(clock.now);
    d.end("call-1");
    cron.sync({cronFunction("f", "@every 1s", {{"com.openfaas.trigger.mode", "sync"}})});
    clock.now += std::chrono::seconds(1);
    cron.tick(clock.now);
    REQUIRE(d.fires.size() == 2);
    CHECK(d.fires[1].sync);
    CHECK(only(cron).runs == 2);
    cron.forget({"f", "openfaas-fn"});
    CHECK(cron.list().empty());
    clock.now += std::chrono::seconds(5);
    cron.tick(clock.now);
    CHECK(d.fires.size() == 2);
}

TEST_CASE("a run the delivery refuses counts as failed and does not block the next") {
    Clock clock{at("2026-06-01T10:00:00Z")};
    FakeDelivery d;
    CronSource cron({.clock = clock.fn()}, d);
    cron.sync({cronFunction("f", "@every 1s")});
    d.refuse = true;
    clock.now += std::chrono::seconds(1);
    cron.tick(clock.now);
    auto info = only(cron);
    CHECK(info.failed == 1);
    CHECK(info.lastStatus == "not started: the queue is full");
    d.refuse = false;
    clock.now += std::chrono::seconds(1);
    cron.tick(clock.now);
    CHECK(d.fires.size() == 1);
    CHECK(only(cron).runs == 1);
}

TEST_CASE("runs due together are delivered at once, for the queue to commit together") {
    // Each delivery waits (a bounded while) for all eight to be under way.
    class Gathering : public Delivery {
    public:
        Result<std::string> deliver(Fire fire, RunEnded) override {
            std::unique_lock lock(mutex);
            ++inside;
            most = std::max(most, inside);
            cv.notify_all();
            cv.wait_for(lock, std::chrono::seconds(10), [&] { return inside >= 8 || most >= 8; });
            --inside;
            return fire.function.name;
        }
        std::mutex mutex;
        std::condition_variable cv;
        int inside = 0;
        int most = 0;
    } d;
    Clock clock{at("2026-06-01T10:00:00Z")};
    CronSource cron({.clock = clock.fn()}, d);
    std::vector<FunctionAnnotations> functions;
    for (int i = 0; i < 8; ++i) {
        functions.push_back(cronFunction("f" + std::to_string(i), "@every 1s"));
    }
    cron.sync(functions);
    clock.now += std::chrono::seconds(1);
    cron.tick(clock.now);
    CHECK(d.most == 8);
    for (const auto& t : cron.list()) {
        CHECK(t.runs == 1);
        CHECK(t.lastCallId == t.function);
    }
}

TEST_CASE("a run far behind its time (a suspended machine) is missed, not late") {
    Clock clock{at("2026-06-01T10:00:00Z")};
    FakeDelivery d;
    CronSource cron({.clock = clock.fn()}, d);
    cron.sync({cronFunction("f", "@every 1m")});
    clock.now = at("2026-06-01T10:10:30Z");
    cron.tick(clock.now);
    REQUIRE(d.fires.size() == 1);
    CHECK(d.header(0, "X-Scheduled-Time") == "2026-06-01T10:10:00Z");
    CHECK(only(cron).missed == 9);
}

TEST_CASE("a resync that changes nothing leaves the state file alone") {
    auto dir = TempDir::create("cron-state");
    REQUIRE(dir);
    auto file = dir->path() / "triggers.json";
    Clock clock{at("2026-06-01T10:00:00Z")};
    FakeDelivery d;
    CronSource cron({.stateFile = file, .clock = clock.fn()}, d);
    const std::vector<FunctionAnnotations> functions{cronFunction("f", "@every 1m")};
    cron.sync(functions);
    clock.now = at("2026-06-01T10:01:00Z");
    cron.tick(clock.now);
    REQUIRE(std::filesystem::exists(file));
    std::filesystem::remove(file);
    cron.sync(functions); // the same functions again
    cron.tick(clock.now);
    CHECK_FALSE(std::filesystem::exists(file));
    cron.sync({}); // the function is gone: its last run goes from the file
    cron.tick(clock.now);
    CHECK(std::filesystem::exists(file));
}

TEST_CASE("a broken state file is ignored") {
    auto dir = TempDir::create("cron-state");
    REQUIRE(dir);
    auto file = dir->path() / "triggers.json";
    REQUIRE(writeFileAtomic(file, "{\"lastRuns\": [ {\"function\": 3"));
    FakeDelivery d;
    Clock clock{at("2026-06-01T10:00:00Z")};
    CronSource cron({.stateFile = file, .clock = clock.fn()}, d);
    cron.sync({cronFunction("f", "@every 1s")});
    clock.now += std::chrono::seconds(1);
    cron.tick(clock.now);
    CHECK(d.fires.size() == 1);
}

} // namespace
} // namespace faasd::triggers
