// The hub between the gateway, the queue and the sources: annotations
// checked at deploy, runs started through the queue (their end heard from
// it) or as sync calls, sources kept in step with the provider's functions.

#include "fake_provider.hpp"
#include "triggers/cron_source.hpp"
#include "triggers/hub.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <mutex>

namespace faasd::triggers {
namespace {

using namespace std::chrono_literals;

class FakeQueue : public gateway::AsyncQueue {
public:
    Result<std::string> enqueue(gateway::AsyncRequest request) override {
        std::lock_guard lock(mutex);
        if (full) {
            return fail(Code::ResourceExhausted, "the queue is full");
        }
        requests.push_back(request);
        return request.callId;
    }
    void setFinishedListener(gateway::AsyncFinishedListener l) override { listener = std::move(l); }

    std::mutex mutex;
    std::vector<gateway::AsyncRequest> requests;
    gateway::AsyncFinishedListener listener;
    bool full = false;
};

// Records what the hub tells it.
class RecordingSource : public Source {
public:
    std::string_view kind() const override { return "test"; }
    Result<bool> check(const api::StringMap& a) const override {
        if (a.contains("test.bad")) {
            return fail(Code::InvalidArgument, "test.bad: refused");
        }
        return a.contains("test.trigger");
    }
    void sync(const std::vector<FunctionAnnotations>& functions) override {
        std::lock_guard lock(mutex);
        synced.clear();
        for (const auto& f : functions) {
            synced.push_back(f.function.qualified());
        }
        syncs++;
    }
    void forget(const api::FunctionRef& f) override {
        std::lock_guard lock(mutex);
        forgotten.push_back(f.qualified());
    }
    void start() override { started = true; }
    void stop() override {}
    std::vector<gateway::TriggerInfo> list() const override {
        return {{.kind = "test", .function = "f", .ns = "openfaas-fn", .spec = "x", .runs = 7}};
    }
    std::string prometheusText() const override { return "test_series 1\n"; }

    mutable std::mutex mutex;
    std::vector<std::string> synced;
    std::vector<std::string> forgotten;
    int syncs = 0;
    bool started = false;
};

api::FunctionDeployment deployment(std::string ns, api::StringMap annotations) {
    api::FunctionDeployment d;
    d.service = "f";
    d.image = "img";
    d.ns = std::move(ns);
    d.annotations = std::move(annotations);
    return d;
}

std::string checkError(Hub& hub, const api::FunctionDeployment& d) {
    auto checked = hub.check(d);
    if (checked) {
        return "ok";
    }
    CHECK(checked.error().code() == Code::InvalidArgument);
    return checked.error().message();
}

TEST_CASE("deploys are checked: annotations, broker, namespaces") {
    gateway::test::FakeProvider provider;
    Hub hub({.namespaces = {"openfaas-fn"}}, provider, nullptr, {});
    hub.add(std::make_unique<CronSource>(CronConfig{}, hub));
    hub.add(std::make_unique<RecordingSource>());
    const api::StringMap cron{{"topic", "cron-function"}, {"schedule", "@daily"}};
    CHECK(checkError(hub, deployment("openfaas-fn", cron)) == "ok");
    CHECK(checkError(hub, deployment("openfaas-fn", {})) == "ok");
    CHECK(checkError(hub, deployment("other", {})) == "ok"); // no trigger: any namespace
    CHECK(checkError(hub, deployment("other", cron)) ==
          "topic: triggers are not enabled in namespace other (FAASD_TRIGGER_NAMESPACES: "
          "openfaas-fn)");
    CHECK(checkError(hub, deployment("other", {{"test.trigger", "1"}}))
              .starts_with("topic: triggers are not enabled in namespace other"));
    CHECK(checkError(hub, deployment("openfaas-fn", {{"topic", "orders/#"}})) ==
          "topic: \"orders/#\" is an MQTT topic, and no MQTT broker is configured "
          "(FAASD_MQTT_BROKER)");
    CHECK(checkError(hub, deployment("openfaas-fn", {{"test.bad", "1"}})) == "test.bad: refused");
    CHECK(checkError(hub, deployment("openfaas-fn", {{"topic", "cron-function"}})) ==
          "schedule: missing (topic cron-function needs a schedule)");
    CHECK(checkError(hub, deployment("openfaas-fn", {{"topic", "cron-function"},
                                                     {"schedule", "@daily"},
                                                     {"com.openfaas.trigger.mode", "soon"}})) ==
          "com.openfaas.trigger.mode: \"soon\" is not one of async, sync");

    Hub withBroker({.mqttBroker = true}, provider, nullptr, {});
    CHECK(checkError(withBroker, deployment("team", {{"topic", "orders/#"}})) == "ok");
}

TEST_CASE("an async run is a queue request; its end comes from the queue") {
    gateway::test::FakeProvider provider;
    FakeQueue queue;
    Hub hub({}, provider, &queue, {});
    REQUIRE(queue.listener);
    std::vector<RunEnd> ends;
    auto id = hub.deliver({.function = {"f", "openfaas-fn"},
                           .body = "payload",
                           .headers = {{"X-Topic", "cron-function"}}},
                          [&](const RunEnd& e) { ends.push_back(e); });
    REQUIRE(id);
    REQUIRE(queue.requests.size() == 1);
    const auto& r = queue.requests[0];
    CHECK(r.callId == *id);
    CHECK(r.name == "f");
    CHECK(r.ns == "openfaas-fn");
    CHECK(r.method == "POST");
    CHECK(r.path == "/");
    CHECK(r.body == "payload");
    CHECK(r.headers == HeaderList{{"X-Topic", "cron-function"}});

    queue.listener({.callId = "someone-else", .status = 200});
    CHECK(ends.empty()); // not a trigger's run
    queue.listener({.callId = *id, .failed = true, .status = 500, .body = "boom"});
    REQUIRE(ends.size() == 1);
    CHECK(ends[0].callId == *id);
    CHECK(ends[0].failed);
    CHECK(ends[0].status == 500);
    CHECK(ends[0].body == "boom");
    queue.listener({.callId = *id, .status = 200});
    CHECK(ends.size() == 1); // once

    queue.full = true;
    auto refused = hub.deliver({.function = {"f", "openfaas-fn"}},
                               [&](const RunEnd& e) { ends.push_back(e); });
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code() == Code::ResourceExhausted);
}

TEST_CASE("a sync run is a call made by a worker") {
    gateway::test::FakeProvider provider;
    FakeQueue queue;
    std::mutex mutex;
    std::vector<std::string> called;
    Hub hub({}, provider, &queue, [&](const Fire& fire, const std::string& callId) {
        std::lock_guard lock(mutex);
        called.push_back(fire.function.name + " " + callId);
        return RunEnd{.status = 202, .body = "ok"};
    });
    hub.start();
    std::mutex endMutex;
    std::vector<RunEnd> ends;
    auto id = hub.deliver({.function = {"f", "openfaas-fn"}, .sync = true}, [&](const RunEnd& e) {
        std::lock_guard lock(endMutex);
        ends.push_back(e);
    });
    REQUIRE(id);
    REQUIRE(waitUntil(
        [&] {
            std::lock_guard lock(endMutex);
            return ends.size() == 1;
        },
        10s));
    CHECK(ends[0].callId == *id);
    CHECK(ends[0].status == 202);
    CHECK(called == std::vector<std::string>{"f " + *id});
    CHECK(queue.requests.empty());
    hub.stop();
    auto late = hub.deliver({.function = {"f", "openfaas-fn"}, .sync = true}, [](const RunEnd&) {});
    REQUIRE_FALSE(late);
    CHECK(late.error().code() == Code::Unavailable);
}

TEST_CASE("sources follow the functions: at start, after a deploy, at a removal") {
    gateway::test::FakeProvider provider;
    provider.namespaces["openfaas-fn"] = {.name = "openfaas-fn"};
    provider.namespaces["private"] = {.name = "private"};
    provider.addFunction("a", "openfaas-fn", "img");
    provider.addFunction("hidden", "private", "img");
    auto source = std::make_unique<RecordingSource>();
    RecordingSource& s = *source;
    Hub hub({.namespaces = {"openfaas-fn"}, .resync = 60s}, provider, nullptr, {});
    hub.add(std::move(source));
    hub.start();
    {
        std::lock_guard lock(s.mutex);
        CHECK(s.started);
        CHECK(s.synced == std::vector<std::string>{"a.openfaas-fn"});
    }
    provider.addFunction("b", "openfaas-fn", "img");
    hub.deployed(deployment("openfaas-fn", {}));
    {
        // Synced before deployed() returned: the resync thread waits 60 s.
        std::lock_guard lock(s.mutex);
        REQUIRE(s.synced.size() == 2);
    }
    hub.removed("b", "openfaas-fn");
    {
        std::lock_guard lock(s.mutex);
        CHECK(s.forgotten == std::vector<std::string>{"b.openfaas-fn"});
    }
    auto listed = hub.list("openfaas-fn");
    REQUIRE(listed.size() == 1);
    CHECK(listed[0].runs == 7);
    CHECK(hub.list("other").empty());
    auto text = hub.prometheusText();
    CHECK(text.find("faasd_trigger_runs_total{kind=\"test\",function=\"f.openfaas-fn\","
                    "trigger=\"x\"} 7\n") != std::string::npos);
    CHECK(text.find("test_series 1\n") != std::string::npos);
    hub.stop();
}

} // namespace
} // namespace faasd::triggers
