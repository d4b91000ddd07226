// The queue over a real SQLite file in a temp dir, a fake provider and a
// scripted invoker (no network).

#include "../gateway/fake_provider.hpp"
#include "catch_result.hpp"
#include "common/files.hpp"
#include "queue/queue.hpp"
#include "wait.hpp"

#include <atomic>
#include <catch2/catch.hpp>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

using namespace faasd;
using namespace faasd::queue;
using namespace std::chrono_literals;

namespace {

// Answers as scripted. While held, invocations stay in the function until
// release() or cancel() (the queue aborting them), as a slow function would.
struct ScriptedInvoker : Invoker {
    std::function<Outcome(const Job&, int attempt)> answer = [](const Job& j, int) {
        return Outcome{true, 200, {{"X-Echo", "1"}}, "echo:" + j.body, ""};
    };
    std::function<Outcome()> callbackAnswer = [] { return Outcome{true, 200, {}, "", ""}; };

    Outcome invoke(const Job& job) override {
        int attempt;
        {
            std::unique_lock lock(mutex);
            attempt = ++attempts[job.callId];
            running++;
            maxRunning = std::max(maxRunning, running);
            changed.notify_all();
            // Bounded, so that a test that never releases cannot hang.
            changed.wait_for(lock, 30s, [&] { return !held; });
        }
        Outcome o = answer(job, attempt);
        std::lock_guard lock(mutex);
        running--;
        changed.notify_all();
        return o;
    }
    Outcome callback(const std::string& url, const HeaderList& headers,
                     const std::string& body) override {
        std::lock_guard lock(mutex);
        calls.push_back({url, headers, body});
        return callbackAnswer();
    }
    void cancel() override { release(); }

    void hold() {
        std::lock_guard lock(mutex);
        held = true;
    }
    void release() {
        {
            std::lock_guard lock(mutex);
            held = false;
        }
        changed.notify_all();
    }
    // Waits until at least n invocations are in the function at once.
    bool waitRunning(int n, std::chrono::milliseconds timeout = 5s) {
        std::unique_lock lock(mutex);
        return changed.wait_for(lock, timeout, [&] { return running >= n; });
    }
    int peakRunning() {
        std::lock_guard lock(mutex);
        return maxRunning;
    }
    void resetPeak() {
        std::lock_guard lock(mutex);
        maxRunning = 0;
    }

    struct Call {
        std::string url;
        HeaderList headers;
        std::string body;
    };
    std::string header(const Call& c, const std::string& name) {
        for (const auto& [k, v] : c.headers) {
            if (k == name) {
                return v;
            }
        }
        return {};
    }
    size_t callbacks() {
        std::lock_guard lock(mutex);
        return calls.size();
    }

    std::mutex mutex;
    std::condition_variable changed;
    bool held = false;
    std::map<std::string, int> attempts;
    std::vector<Call> calls;
    int running = 0;
    int maxRunning = 0;
};

bool eventually(const std::function<bool()>& pred, std::chrono::milliseconds timeout = 5s) {
    return waitUntil(pred, timeout, 5ms);
}

gateway::AsyncRequest request(const std::string& id, const std::string& body = "hi",
                              const std::string& fn = "say") {
    gateway::AsyncRequest r;
    r.callId = id;
    r.name = fn;
    r.ns = "openfaas-fn";
    r.method = "POST";
    r.path = "/sub";
    r.query = "a=1";
    r.headers = {{"Content-Type", "text/plain"}, {"X-Custom", "v"}};
    r.body = body;
    r.callbackUrl = "http://127.0.0.1:9/cb";
    return r;
}

struct Fixture {
    Fixture() : dir(TempDir::create("faasd-queue-unit-").value()) {
        provider.addFunction("say", "openfaas-fn", "img");
        provider.addFunction("other", "openfaas-fn", "img");
        config.database = dir.path() / "queue.db";
        config.retryDelay = 10ms;
        config.maxRetryDelay = 50ms;
        config.callbackRetryDelay = 5ms;
        config.limitRefresh = 10ms;
        config.shutdownTimeout = 2s;
    }
    std::unique_ptr<Queue> open() {
        auto q = Queue::open(config, provider);
        REQUIRE(q);
        return std::move(*q);
    }

    TempDir dir;
    gateway::test::FakeProvider provider;
    QueueConfig config;
};

} // namespace

TEST_CASE("queue: a request runs once and calls back with the function's answer") {
    Fixture f;
    auto q = f.open();
    auto* inv = new ScriptedInvoker;
    q->start(std::unique_ptr<Invoker>(inv));
    auto id = q->enqueue(request("c1", "body1"));
    REQUIRE(id);
    CHECK(*id == "c1");
    REQUIRE(eventually([&] { return q->stats().completed == 1; }));
    REQUIRE(inv->callbacks() == 1);
    const auto& c = inv->calls[0];
    CHECK(c.url == "http://127.0.0.1:9/cb");
    CHECK(c.body == "echo:body1");
    CHECK(inv->header(c, "X-Call-Id") == "c1");
    CHECK(inv->header(c, "X-Function-Status") == "200");
    CHECK(inv->header(c, "X-Function-Name") == "say");
    CHECK(!inv->header(c, "X-Duration-Seconds").empty());
    CHECK(inv->header(c, "X-Echo") == "1");
    auto listed = q->list({"completed", "", 10});
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    CHECK((*listed)[0].callbackStatus == "delivered");
    CHECK((*listed)[0].attempts == 1);
    CHECK((*listed)[0].path == "/sub");
}

TEST_CASE("queue: accepted requests survive a restart and run then") {
    Fixture f;
    {
        auto q = f.open(); // never started: a daemon that died before its workers ran
        for (int i = 0; i < 20; ++i) {
            REQUIRE(q->enqueue(request("r" + std::to_string(i), std::to_string(i))));
        }
        CHECK(q->stats().depth == 20);
    }
    auto q = f.open();
    CHECK(q->stats().depth == 20);
    auto* inv = new ScriptedInvoker;
    q->start(std::unique_ptr<Invoker>(inv));
    REQUIRE(eventually([&] { return q->stats().completed == 20; }));
    std::set<std::string> seen;
    for (const auto& c : inv->calls) {
        seen.insert(inv->header(c, "X-Call-Id"));
    }
    CHECK(seen.size() == 20);
    CHECK(q->stats().depth == 0);
}

TEST_CASE("queue: a request running when the process died runs again") {
    Fixture f;
    f.config.shutdownTimeout = 50ms;
    {
        auto q = f.open();
        REQUIRE(q->enqueue(request("crash")));
        auto* inv = new ScriptedInvoker;
        inv->hold(); // still running when the queue goes; its abort releases it
        q->start(std::unique_ptr<Invoker>(inv));
        REQUIRE(inv->waitRunning(1));
        REQUIRE(q->stats().inFlight == 1);
        // Stopping gives up after shutdownTimeout and leaves the row marked
        // running, as kill -9 would.
    }
    f.config.shutdownTimeout = 2s;
    auto q = f.open();
    auto* inv = new ScriptedInvoker;
    q->start(std::unique_ptr<Invoker>(inv));
    REQUIRE(eventually([&] { return q->stats().completed == 1; }));
    auto listed = q->list({"completed", "", 10});
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    CHECK((*listed)[0].attempts == 2);
}

TEST_CASE("queue: retryable failures back off, then succeed with one callback") {
    Fixture f;
    auto q = f.open();
    auto* inv = new ScriptedInvoker;
    inv->answer = [](const Job&, int attempt) {
        if (attempt == 1) {
            return Outcome{false, 0, {}, "", "Connection refused"};
        }
        if (attempt == 2) {
            return Outcome{true, 503, {}, "busy", ""};
        }
        return Outcome{true, 200, {}, "fine", ""};
    };
    q->start(std::unique_ptr<Invoker>(inv));
    REQUIRE(q->enqueue(request("flaky")));
    REQUIRE(eventually([&] { return q->stats().completed == 1; }));
    CHECK(inv->attempts["flaky"] == 3);
    REQUIRE(inv->callbacks() == 1);
    CHECK(inv->calls[0].body == "fine");
    CHECK(q->stats().retried == 2);
}

TEST_CASE("queue: a function error is an answer, not a retry") {
    Fixture f;
    auto q = f.open();
    auto* inv = new ScriptedInvoker;
    inv->answer = [](const Job&, int) { return Outcome{true, 500, {}, "boom", ""}; };
    q->start(std::unique_ptr<Invoker>(inv));
    REQUIRE(q->enqueue(request("err")));
    REQUIRE(eventually([&] { return q->stats().completed == 1; }));
    CHECK(inv->attempts["err"] == 1);
    REQUIRE(inv->callbacks() == 1);
    CHECK(inv->header(inv->calls[0], "X-Function-Status") == "500");
}

TEST_CASE("queue: exhausted retries go to the dead-letter list; retry and delete") {
    Fixture f;
    f.config.maxAttempts = 3;
    auto q = f.open();
    auto* inv = new ScriptedInvoker;
    std::atomic<bool> healthy{false};
    inv->answer = [&](const Job&, int) {
        return healthy ? Outcome{true, 200, {}, "ok", ""} : Outcome{true, 502, {}, "bad", ""};
    };
    q->start(std::unique_ptr<Invoker>(inv));
    REQUIRE(q->enqueue(request("dead")));
    REQUIRE(eventually([&] { return q->stats().failed == 1; }));
    CHECK(inv->attempts["dead"] == 3);
    REQUIRE(inv->callbacks() == 1); // the caller learns of the failure
    CHECK(inv->header(inv->calls[0], "X-Function-Status") == "502");
    auto failed = q->list({"failed", "", 10});
    REQUIRE(failed);
    REQUIRE(failed->size() == 1);
    CHECK((*failed)[0].callId == "dead");
    CHECK((*failed)[0].attempts == 3);
    CHECK((*failed)[0].lastError.find("502") != std::string::npos);

    CHECK(q->retry("nope").error().code() == Code::NotFound);
    healthy = true;
    REQUIRE(q->retry("dead"));
    REQUIRE(eventually([&] { return q->stats().completed == 1; }));
    CHECK(q->retry("dead").error().code() == Code::AlreadyExists); // completed, not failed
    REQUIRE(q->remove("dead"));
    CHECK(q->remove("dead").error().code() == Code::NotFound);
    CHECK(q->list({"", "", 10})->empty());
}

TEST_CASE("queue: pending requests cannot be deleted") {
    Fixture f;
    auto q = f.open(); // not started: stays pending
    REQUIRE(q->enqueue(request("p")));
    auto removed = q->remove("p");
    REQUIRE(!removed);
    CHECK(removed.error().code() == Code::AlreadyExists);
    CHECK(q->retry("p").error().code() == Code::AlreadyExists);
}

TEST_CASE("queue: bounded by items and bytes; a full queue refuses and stores nothing") {
    Fixture f;
    f.config.maxItems = 3;
    auto q = f.open();
    for (int i = 0; i < 3; ++i) {
        REQUIRE(q->enqueue(request("i" + std::to_string(i))));
    }
    auto full = q->enqueue(request("i3"));
    REQUIRE(!full);
    CHECK(full.error().code() == Code::ResourceExhausted);
    CHECK(q->list({"", "", 10})->size() == 3);

    Fixture g;
    g.config.maxBytes = 4096;
    auto q2 = g.open();
    REQUIRE(q2->enqueue(request("small")));
    auto big = q2->enqueue(request("big", std::string(4000, 'x')));
    REQUIRE(!big);
    CHECK(big.error().code() == Code::ResourceExhausted);
    CHECK(q2->list({"", "", 10})->size() == 1);
}

TEST_CASE("queue: the same call id is accepted once") {
    Fixture f;
    auto q = f.open();
    REQUIRE(q->enqueue(request("same", "first")));
    auto again = q->enqueue(request("same", "second"));
    REQUIRE(again);
    CHECK(*again == "same");
    CHECK(q->list({"", "", 10})->size() == 1);
    CHECK(q->stats().stored == 1);
}

TEST_CASE("queue: per-function concurrency follows replicas and max_inflight, or the label") {
    Fixture f;
    {
        std::lock_guard lock(f.provider.mutex);
        f.provider.functions["say.openfaas-fn"].envVars["max_inflight"] = "2";
        f.provider.replicas["say.openfaas-fn"] = 2;
        f.provider.functions["other.openfaas-fn"].labels[kConcurrencyLabel] = "1";
    }
    auto q = f.open();
    auto* inv = new ScriptedInvoker;
    inv->hold();
    q->start(std::unique_ptr<Invoker>(inv));
    for (int i = 0; i < 24; ++i) {
        REQUIRE(q->enqueue(request("s" + std::to_string(i))));
    }
    // 2 replicas × max_inflight 2: four run, the rest wait their turn.
    REQUIRE(inv->waitRunning(4));
    auto held = q->stats();
    CHECK(held.inFlight == 4);
    CHECK(held.depth == 20);
    inv->release();
    REQUIRE(eventually([&] { return q->stats().completed == 24; }));
    CHECK(inv->peakRunning() == 4);

    inv->resetPeak();
    inv->hold();
    for (int i = 0; i < 6; ++i) {
        REQUIRE(q->enqueue(request("o" + std::to_string(i), "x", "other")));
    }
    REQUIRE(inv->waitRunning(1));
    held = q->stats();
    CHECK(held.inFlight == 1);
    CHECK(held.depth == 5);
    inv->release();
    REQUIRE(eventually([&] { return q->stats().completed == 30; }));
    CHECK(inv->peakRunning() == 1);
}

TEST_CASE("queue: undeliverable callbacks are retried, then recorded as failed") {
    Fixture f;
    f.config.callbackAttempts = 3;
    auto q = f.open();
    auto* inv = new ScriptedInvoker;
    inv->callbackAnswer = [] { return Outcome{false, 0, {}, "", "Connection refused"}; };
    q->start(std::unique_ptr<Invoker>(inv));
    REQUIRE(q->enqueue(request("cb")));
    REQUIRE(eventually([&] { return q->stats().completed == 1; }));
    CHECK(inv->callbacks() == 3);
    auto listed = q->list({"completed", "", 10});
    REQUIRE(listed->size() == 1);
    CHECK((*listed)[0].callbackStatus == "failed");
    CHECK((*listed)[0].lastError.find("Connection refused") != std::string::npos);
    CHECK(q->stats().callbackFailed == 1);
}

TEST_CASE("queue: stop refuses new requests and waits for running ones") {
    Fixture f;
    f.config.shutdownTimeout = 30s;
    auto q = f.open();
    auto* inv = new ScriptedInvoker;
    inv->hold();
    q->start(std::unique_ptr<Invoker>(inv));
    REQUIRE(q->enqueue(request("long")));
    REQUIRE(inv->waitRunning(1));
    // The running request ends only once stop() has begun (the queue then
    // refuses even a request it already holds).
    std::atomic<bool> refused{false};
    std::thread releaser([&] {
        refused = eventually([&] {
            auto again = q->enqueue(request("long"));
            return !again && again.error().code() == Code::Unavailable;
        });
        inv->release();
    });
    q->stop();
    releaser.join();
    CHECK(refused);
    CHECK(q->stats().completed == 1);
    auto refusedLate = q->enqueue(request("late"));
    REQUIRE(!refusedLate);
    CHECK(refusedLate.error().code() == Code::Unavailable);
}

TEST_CASE("queue: metrics name depth, in flight, completed, failed, retried, oldest age") {
    Fixture f;
    auto q = f.open();
    REQUIRE(q->enqueue(request("m"))); // counted once it returns
    auto text = q->prometheusText();
    CHECK(text.find("faasd_queue_depth 1\n") != std::string::npos);
    CHECK(text.find("faasd_queue_in_flight 0\n") != std::string::npos);
    CHECK(text.find("faasd_queue_completed_total 0\n") != std::string::npos);
    CHECK(text.find("faasd_queue_failed_total 0\n") != std::string::npos);
    CHECK(text.find("faasd_queue_retried_total 0\n") != std::string::npos);
    CHECK(text.find("faasd_queue_oldest_age_seconds 0.0") != std::string::npos);
}
