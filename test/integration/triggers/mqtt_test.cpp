// The MQTT source against a real mosquitto on loopback: a broker of its own
// per test (a free port, a temp config and persistence directory), killed
// and reaped when the test ends. Exits 77 (skipped) without mosquitto.

#define CATCH_CONFIG_RUNNER
#include "common/files.hpp"
#include "common/subprocess.hpp"
#include "triggers/mqtt_source.hpp"
#include "triggers/topics.hpp"
#include "wait.hpp"

#include <arpa/inet.h>
#include <catch2/catch.hpp>
#include <csignal>
#include <cstdio>
#include <fstream>
#include <mosquitto.h>
#include <mutex>
#include <netinet/in.h>
#include <set>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>

using namespace faasd;
using namespace faasd::triggers;
using namespace std::chrono_literals;

namespace {

constexpr const char* kMosquitto = "/usr/sbin/mosquitto";

uint16_t freePort() {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    socklen_t len = sizeof addr;
    REQUIRE(::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    return ntohs(addr.sin_port);
}

bool accepts(uint16_t port) {
    UniqueFd fd(::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(port);
    return ::connect(fd.get(), reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
}

// A mosquitto with persistence on, on a loopback port of its own.
class Broker {
public:
    Broker() : dir_(*TempDir::create("faasd-it-mqtt")), port_(freePort()) {
        std::ofstream conf(dir_.path() / "mosquitto.conf");
        conf << "listener " << port_ << " 127.0.0.1\n"
             << "allow_anonymous true\n"
             << "persistence true\n"
             << "persistence_location " << (dir_.path() / "").string() << "\n";
        if (::geteuid() == 0) {
            conf << "user root\n"; // keep root: the persistence directory is ours
        }
        conf.close();
        start();
    }

    void start() {
        auto child = Subprocess::spawn(
            {.argv = {kMosquitto, "-c", (dir_.path() / "mosquitto.conf").string()},
             .out = Stdio::Null,
             .err = Stdio::Null});
        REQUIRE(child);
        process_.emplace(std::move(*child));
        REQUIRE(waitUntil([&] { return accepts(port_); }, 10s));
    }

    void kill() {
        process_->kill(SIGKILL);
        (void)process_->wait(10s);
        process_.reset();
    }

    uint16_t port() const { return port_; }
    std::string url() const { return fmt::format("mqtt://127.0.0.1:{}", port_); }

private:
    TempDir dir_;
    uint16_t port_;
    std::optional<Subprocess> process_; // SIGKILLed and reaped when dropped
};

// Records every deliver(); fails the first `failures` with ResourceExhausted
// (or every one with failAlways), and ends each run from its own thread.
class FakeDelivery : public Delivery {
public:
    ~FakeDelivery() override {
        std::vector<std::thread> threads;
        {
            std::lock_guard lock(mutex_);
            threads.swap(threads_);
        }
        for (auto& t : threads) {
            t.join();
        }
    }

    Result<std::string> deliver(Fire fire, RunEnded ended) override {
        std::lock_guard lock(mutex_);
        ++attempts_;
        if (failAlways_ || failures_ > 0) {
            failures_ = failures_ > 0 ? failures_ - 1 : 0;
            return fail(Code::ResourceExhausted, "the queue is full");
        }
        auto callId = fmt::format("call-{}", fires_.size());
        auto answer = "answer to " + fire.body;
        fires_.push_back(std::move(fire));
        threads_.emplace_back([ended = std::move(ended), callId, answer] {
            ended(RunEnd{.callId = callId, .status = 200, .body = answer});
        });
        return callId;
    }

    void failFirst(int n) {
        std::lock_guard lock(mutex_);
        failures_ = n;
    }
    void failAlways(bool on) {
        std::lock_guard lock(mutex_);
        failAlways_ = on;
    }
    int attempts() const {
        std::lock_guard lock(mutex_);
        return attempts_;
    }
    std::vector<Fire> fires() const {
        std::lock_guard lock(mutex_);
        return fires_;
    }
    std::vector<std::string> bodiesFor(const std::string& name) const {
        std::vector<std::string> out;
        for (const auto& f : fires()) {
            if (f.function.name == name) {
                out.push_back(f.body);
            }
        }
        return out;
    }

private:
    mutable std::mutex mutex_;
    std::vector<Fire> fires_;
    std::vector<std::thread> threads_;
    int attempts_ = 0;
    int failures_ = 0;
    bool failAlways_ = false;
};

std::string header(const Fire& fire, std::string_view name) {
    for (const auto& [k, v] : fire.headers) {
        if (k == name) {
            return v;
        }
    }
    return "";
}

// A plain libmosquitto client for the test's side: QoS 1 publishes, and a
// subscription whose messages it keeps.
class TestClient {
public:
    explicit TestClient(uint16_t port) : handle_(mosquitto_new(nullptr, true, this)) {
        REQUIRE(handle_);
        mosquitto_message_callback_set(
            handle_, [](mosquitto*, void* self, const mosquitto_message* m) {
                auto* c = static_cast<TestClient*>(self);
                std::lock_guard lock(c->mutex_);
                c->received_.emplace_back(static_cast<const char*>(m->payload),
                                          static_cast<size_t>(m->payloadlen));
            });
        mosquitto_subscribe_callback_set(handle_, [](mosquitto*, void* self, int, int, const int*) {
            auto* c = static_cast<TestClient*>(self);
            std::lock_guard lock(c->mutex_);
            ++c->subacks_;
        });
        mosquitto_publish_callback_set(handle_, [](mosquitto*, void* self, int) {
            auto* c = static_cast<TestClient*>(self);
            std::lock_guard lock(c->mutex_);
            ++c->pubacks_;
        });
        REQUIRE(mosquitto_connect(handle_, "127.0.0.1", port, 30) == MOSQ_ERR_SUCCESS);
        REQUIRE(mosquitto_loop_start(handle_) == MOSQ_ERR_SUCCESS);
    }
    ~TestClient() {
        (void)mosquitto_disconnect(handle_);
        (void)mosquitto_loop_stop(handle_, false);
        mosquitto_destroy(handle_);
    }

    void subscribe(const std::string& topic) {
        REQUIRE(mosquitto_subscribe(handle_, nullptr, topic.c_str(), 1) == MOSQ_ERR_SUCCESS);
        REQUIRE(waitUntil([&] { return count(subacks_) == 1; }, 10s));
    }
    void publish(const std::string& topic, const std::string& payload) {
        std::lock_guard lock(publishing_);
        int before = count(pubacks_);
        REQUIRE(mosquitto_publish(handle_, nullptr, topic.c_str(), static_cast<int>(payload.size()),
                                  payload.data(), 1, false) == MOSQ_ERR_SUCCESS);
        REQUIRE(waitUntil([&] { return count(pubacks_) > before; }, 10s));
    }
    std::vector<std::string> received() const {
        std::lock_guard lock(mutex_);
        return received_;
    }

private:
    int count(const int& n) const {
        std::lock_guard lock(mutex_);
        return n;
    }

    mosquitto* handle_;
    mutable std::mutex mutex_;
    std::mutex publishing_;
    std::vector<std::string> received_;
    int subacks_ = 0;
    int pubacks_ = 0;
};

MqttConfig configFor(const Broker& broker, std::string clientId) {
    return MqttConfig{.broker = broker.url(),
                      .clientId = std::move(clientId),
                      .keepAlive = 5s,
                      .reconnectMin = 1s,
                      .reconnectMax = 1s};
}

FunctionAnnotations fn(std::string name, std::string topic, api::StringMap more = {}) {
    more["topic"] = std::move(topic);
    return {api::FunctionRef{std::move(name), "openfaas-fn"}, std::move(more)};
}

bool allIn(const MqttSource& source, std::string_view state) {
    auto triggers = source.list();
    return !triggers.empty() && std::all_of(triggers.begin(), triggers.end(),
                                            [&](const auto& t) { return t.state == state; });
}

} // namespace

TEST_CASE("a message runs every function whose filter matches its topic") {
    Broker broker;
    FakeDelivery delivery;
    MqttSource source(configFor(broker, "it-match"), delivery);
    source.sync({fn("orders", "orders/new"), fn("temps", "sensors/+/temp"),
                 fn("logs", "cron-function, logs/#"), fn("left", "shared/x"),
                 fn("right", "shared/x")});
    source.start();
    REQUIRE(waitUntil([&] { return allIn(source, "subscribed"); }, 10s));

    TestClient client(broker.port());
    client.publish("orders/new", "o1");
    client.publish("sensors/kitchen/temp", "t1");
    client.publish("sensors/kitchen/humidity", "h1"); // no subscription: the broker keeps it
    client.publish("logs/a/b", "l1");
    client.publish("shared/x", "s1");
    REQUIRE(waitUntil([&] { return delivery.fires().size() == 5; }, 10s));

    CHECK(delivery.bodiesFor("orders") == std::vector<std::string>{"o1"});
    CHECK(delivery.bodiesFor("temps") == std::vector<std::string>{"t1"});
    CHECK(delivery.bodiesFor("logs") == std::vector<std::string>{"l1"});
    CHECK(delivery.bodiesFor("left") == std::vector<std::string>{"s1"});
    CHECK(delivery.bodiesFor("right") == std::vector<std::string>{"s1"});
    for (const auto& fire : delivery.fires()) {
        CHECK(header(fire, "X-Connector") == "faasd-mqtt");
        CHECK_FALSE(fire.sync);
        if (fire.function.name == "temps") {
            CHECK(header(fire, "X-Topic") == "sensors/kitchen/temp");
        }
    }
    REQUIRE(waitUntil(
        [&] {
            auto t = source.list();
            return std::all_of(t.begin(), t.end(),
                               [](const auto& i) { return i.lastStatus == "completed"; });
        },
        10s));
    auto triggers = source.list();
    REQUIRE(triggers.size() == 5);
    CHECK(triggers[0].kind == "mqtt");
    CHECK(triggers[0].function == "left");
    CHECK(triggers[0].spec == "shared/x");
    CHECK(triggers[0].mode == "async");
    CHECK(triggers[0].runs == 1);
    CHECK(triggers[0].lastRun.has_value());
    CHECK(source.prometheusText().find("faasd_trigger_mqtt_connected 1\n") != std::string::npos);
    CHECK(source.prometheusText().find("faasd_trigger_mqtt_messages_total 4\n") !=
          std::string::npos);
}

TEST_CASE("a forgotten function gets no more messages") {
    Broker broker;
    FakeDelivery delivery;
    MqttSource source(configFor(broker, "it-forget"), delivery);
    source.sync({fn("gone", "a/b"), fn("stays", "marker")});
    source.start();
    REQUIRE(waitUntil([&] { return allIn(source, "subscribed"); }, 10s));
    TestClient client(broker.port());
    client.publish("a/b", "before");
    REQUIRE(waitUntil([&] { return delivery.bodiesFor("gone").size() == 1; }, 10s));

    source.forget(api::FunctionRef{"gone", "openfaas-fn"});
    client.publish("a/b", "after");
    client.publish("marker", "m"); // after "after" on the same connection
    REQUIRE(waitUntil([&] { return delivery.bodiesFor("stays").size() == 1; }, 10s));
    CHECK(delivery.bodiesFor("gone") == std::vector<std::string>{"before"});
    CHECK(source.list().size() == 1);
}

TEST_CASE("a run's answer is published to the reply topic") {
    Broker broker;
    FakeDelivery delivery;
    MqttSource source(configFor(broker, "it-reply"), delivery);
    source.sync({fn("echo", "ask", {{std::string(kReplyTopicAnnotation), "answers/echo"}})});
    source.start();
    REQUIRE(waitUntil([&] { return allIn(source, "subscribed"); }, 10s));
    TestClient client(broker.port());
    client.subscribe("answers/echo");
    client.publish("ask", "ping");
    REQUIRE(waitUntil([&] { return client.received().size() == 1; }, 10s));
    CHECK(client.received()[0] == "answer to ping");
}

TEST_CASE("QoS 1 messages published while the source is gone reach the next one") {
    Broker broker;
    FakeDelivery first;
    {
        MqttSource source(configFor(broker, "it-durable"), first);
        source.sync({fn("durable", "jobs/+")});
        source.start();
        REQUIRE(waitUntil([&] { return allIn(source, "subscribed"); }, 10s));
    } // the daemon is gone; its session stays with the broker

    TestClient client(broker.port());
    for (int i = 0; i < 50; ++i) {
        client.publish(fmt::format("jobs/{}", i % 3), std::to_string(i));
    }
    FakeDelivery second;
    MqttSource source(configFor(broker, "it-durable"), second);
    source.sync({fn("durable", "jobs/+")});
    source.start();
    REQUIRE(waitUntil(
        [&] {
            auto bodies = second.bodiesFor("durable");
            return std::set<std::string>(bodies.begin(), bodies.end()).size() == 50;
        },
        20s));
    CHECK(first.fires().empty());
}

TEST_CASE("the source reconnects after the broker restarts") {
    Broker broker;
    FakeDelivery delivery;
    MqttSource source(configFor(broker, "it-restart"), delivery);
    source.sync({fn("f", "after/restart")});
    source.start();
    REQUIRE(waitUntil([&] { return allIn(source, "subscribed"); }, 10s));

    broker.kill();
    REQUIRE(waitUntil([&] { return allIn(source, "disconnected"); }, 10s));
    CHECK(source.prometheusText().find("faasd_trigger_mqtt_connected 0\n") != std::string::npos);
    broker.start();
    REQUIRE(waitUntil([&] { return allIn(source, "subscribed"); }, 20s));

    TestClient client(broker.port());
    client.publish("after/restart", "back");
    REQUIRE(waitUntil([&] { return delivery.bodiesFor("f").size() == 1; }, 10s));
}

TEST_CASE("a message waits out a full queue instead of being lost") {
    Broker broker;
    FakeDelivery delivery;
    delivery.failFirst(3);
    MqttSource source(configFor(broker, "it-full"), delivery);
    source.sync({fn("f", "busy")});
    source.start();
    REQUIRE(waitUntil([&] { return allIn(source, "subscribed"); }, 10s));
    TestClient client(broker.port());
    client.publish("busy", "kept");
    REQUIRE(waitUntil([&] { return delivery.bodiesFor("f").size() == 1; }, 10s));
    CHECK(delivery.attempts() == 4);
    CHECK(source.list()[0].failed == 0);
}

TEST_CASE("a message not delivered when the source stops is sent again") {
    Broker broker;
    FakeDelivery refusing;
    refusing.failAlways(true);
    {
        MqttSource source(configFor(broker, "it-unacked"), refusing);
        source.sync({fn("f", "pending")});
        source.start();
        REQUIRE(waitUntil([&] { return allIn(source, "subscribed"); }, 10s));
        TestClient client(broker.port());
        client.publish("pending", "not yet");
        REQUIRE(waitUntil([&] { return refusing.attempts() >= 2; }, 10s));
        source.stop(); // gives up without acknowledging
    }
    FakeDelivery accepting;
    MqttSource source(configFor(broker, "it-unacked"), accepting);
    source.sync({fn("f", "pending")});
    source.start();
    REQUIRE(waitUntil([&] { return accepting.bodiesFor("f").size() == 1; }, 10s));
    CHECK(accepting.bodiesFor("f")[0] == "not yet");
}

int main(int argc, char** argv) {
    if (::access(kMosquitto, X_OK) != 0) {
        std::fprintf(stderr, "SKIP: %s is not installed\n", kMosquitto);
        return 77;
    }
    mosquitto_lib_init();
    int rc = Catch::Session().run(argc, argv);
    mosquitto_lib_cleanup();
    return rc;
}
