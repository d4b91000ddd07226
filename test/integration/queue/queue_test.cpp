// The async queue against a real function: the provider on the harness's
// containerd (the provider tests' fixture: real runc, real CNI on a
// test-only bridge), the real gateway on 127.0.0.1:0, the queue on SQLite
// in a temp dir, and a callback receiver on loopback. The function is
// busybox httpd with CGI scripts, in an image built here.

#include "catch_result.hpp"
#include "common/files.hpp"
#include "fixture.hpp"
#include "gateway/gateway.hpp"
#include "image/layer.hpp"
#include "image/store.hpp"
#include "queue/queue.hpp"
#include "test_image.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <httplib.h>
#include <map>
#include <mutex>
#include <thread>

using namespace faasd;
using namespace faasd::provider::testing;
using namespace std::chrono_literals;

namespace {

constexpr const char* kQueueImage = "faasd-it/queue-fn:1";

std::string cgi(const std::string& script) {
    return "#!/bin/sh\n" + script + "\n";
}

void storeQueueImage(const containerd::Client& client) {
    image::LayerBuilder b;
    REQUIRE(b.addHostFile("/bin/busybox", faasd::testing::kBusybox));
    for (const char* applet : {"sh", "echo", "cat", "head", "httpd"}) {
        b.addSymlink(fmt::format("/bin/{}", applet), "busybox");
    }
    for (const char* dir : {"/tmp", "/proc", "/sys", "/dev", "/etc", "/www", "/www/cgi-bin"}) {
        b.addDirectory(dir, std::string(dir) == "/tmp" ? 01777 : 0755);
    }
    b.addFile("/www/index.html", "up\n");
    // The body back, with the call id the function saw.
    b.addFile("/www/cgi-bin/echo",
              cgi("printf 'Content-Type: text/plain\\r\\nX-Seen-Call-Id: %s\\r\\n\\r\\n' "
                  "\"$HTTP_X_CALL_ID\"\nhead -c \"${CONTENT_LENGTH:-0}\""),
              0755);
    // 503 twice per call id, then 200.
    b.addFile("/www/cgi-bin/flaky",
              cgi("f=/tmp/flaky-$HTTP_X_CALL_ID\nn=$(cat $f 2>/dev/null || echo 0)\n"
                  "n=$((n + 1))\necho $n > $f\n"
                  "if [ $n -le 2 ]; then printf 'HTTP/1.1 503 Busy\\r\\n"
                  "Content-Type: text/plain\\r\\n\\r\\ntry %s\\n' $n; "
                  "else printf 'Content-Type: text/plain\\r\\n\\r\\nok after %s\\n' $n; fi"),
              0755);
    b.addFile("/www/cgi-bin/fail",
              cgi("printf 'HTTP/1.1 503 Down\\r\\nContent-Type: text/plain\\r\\n\\r\\ndown\\n'"),
              0755);
    auto layer = b.build();
    REQUIRE(layer);
    image::ImageConfig config;
    config.cmd = {"httpd", "-f", "-p", "8080", "-h", "/www"};
    config.env = {"PATH=/bin"};
    config.workingDir = "/";
    REQUIRE(image::storeImage(client, std::string("docker.io/") + kQueueImage, config, {*layer}));
}

struct Callback {
    std::string body;
    std::string status;
    std::string function;
    std::string seenCallId;
    std::string duration;
};

class Receiver {
public:
    Receiver() {
        server_.Post("/cb", [this](const httplib::Request& req, httplib::Response& res) {
            std::lock_guard lock(mutex);
            auto& list = received[req.get_header_value("X-Call-Id")];
            list.push_back({req.body, req.get_header_value("X-Function-Status"),
                            req.get_header_value("X-Function-Name"),
                            req.get_header_value("X-Seen-Call-Id"),
                            req.get_header_value("X-Duration-Seconds")});
            res.status = 200;
        });
        port_ = static_cast<uint16_t>(server_.bind_to_any_port("127.0.0.1"));
        thread_ = std::thread([this] { server_.listen_after_bind(); });
        REQUIRE(waitUntil([&] { return server_.is_running(); }, 5s, 1ms));
    }
    ~Receiver() {
        server_.stop();
        thread_.join();
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(port_) + "/cb"; }
    size_t total() {
        std::lock_guard lock(mutex);
        size_t n = 0;
        for (const auto& [id, list] : received) {
            n += list.size();
        }
        return n;
    }

    std::mutex mutex;
    std::map<std::string, std::vector<Callback>> received;

private:
    httplib::Server server_;
    std::thread thread_;
    uint16_t port_ = 0;
};

// All `completed` requests done and nothing waiting or running.
bool idle(const queue::QueueStats& s, uint64_t completed) {
    return s.completed == completed && s.depth == 0 && s.inFlight == 0;
}

} // namespace

TEST_CASE("async requests run against a real function and call back") {
    ProviderEnv env;
    storeQueueImage(env.client());
    auto d = deployment("qfn", env.ns(), kQueueImage);
    REQUIRE(env.provider().deploy(d));

    auto dir = TempDir::create("faasd-queue-it-");
    REQUIRE(dir);
    gateway::GatewayConfig gc;
    gc.bindAddress = "127.0.0.1";
    gc.port = 0;
    gc.ioThreads = 2;
    gc.blockingThreads = 16;
    gc.defaultNamespace = env.ns();
    gateway::Gateway gw(gc, env.provider());
    queue::QueueConfig qc;
    qc.database = dir->path() / "queue.db";
    qc.retryDelay = 100ms;
    qc.maxAttempts = 3;
    auto q = queue::Queue::open(qc, env.provider());
    REQUIRE(q);
    gw.setAsyncQueue(q->get());
    REQUIRE(gw.start());
    (*q)->start(std::make_unique<queue::HttpInvoker>(
        queue::HttpInvokerConfig{.gatewayPort = gw.port(), .invokeTimeout = 30s}));
    Receiver receiver;

    auto post = [&](const std::string& path, const std::string& body) {
        httplib::Client c("127.0.0.1", gw.port());
        c.set_read_timeout(30, 0);
        auto res = c.Post(("/async-function/qfn" + path).c_str(),
                          {{"X-Callback-Url", receiver.url()}}, body, "text/plain");
        REQUIRE(res);
        REQUIRE(res->status == 202);
        return res->get_header_value("X-Call-Id");
    };

    SECTION("1,000 requests, 1,000 callbacks with the right bodies and headers") {
        constexpr int kRequests = 1000;
        std::vector<std::string> ids(kRequests);
        std::vector<std::thread> senders;
        std::mutex failMutex;
        int failures = 0;
        for (int t = 0; t < 4; ++t) {
            senders.emplace_back([&, t] {
                httplib::Client c("127.0.0.1", gw.port());
                c.set_keep_alive(true);
                c.set_read_timeout(30, 0);
                for (int i = t; i < kRequests; i += 4) {
                    auto res = c.Post("/async-function/qfn/cgi-bin/echo",
                                      {{"X-Callback-Url", receiver.url()}},
                                      "message " + std::to_string(i), "text/plain");
                    if (!res || res->status != 202) {
                        std::lock_guard lock(failMutex);
                        failures++;
                        continue;
                    }
                    ids[i] = res->get_header_value("X-Call-Id");
                }
            });
        }
        for (auto& s : senders) {
            s.join();
        }
        REQUIRE(failures == 0);
        REQUIRE(eventually([&] { return receiver.total() >= kRequests; }, 180s));
        // A request calls back before it counts as completed: once all are
        // completed and none is left, no callback can still come.
        REQUIRE(eventually([&] { return idle((*q)->stats(), kRequests); }, 60s));
        std::lock_guard lock(receiver.mutex);
        CHECK(receiver.received.size() == kRequests);
        int wrong = 0;
        for (int i = 0; i < kRequests; ++i) {
            auto it = receiver.received.find(ids[i]);
            if (it == receiver.received.end() || it->second.size() != 1) {
                ++wrong;
                continue;
            }
            const auto& cb = it->second[0];
            bool ok = cb.body == "message " + std::to_string(i) && cb.status == "200" &&
                      cb.function == "qfn" && cb.seenCallId == ids[i] && !cb.duration.empty();
            wrong += ok ? 0 : 1;
        }
        CHECK(wrong == 0);
        CHECK((*q)->stats().completed == kRequests);
    }

    SECTION("a function that fails twice is retried and calls back once") {
        auto id = post("/cgi-bin/flaky", "x");
        REQUIRE(eventually([&] { return idle((*q)->stats(), 1); }, 60s));
        std::lock_guard lock(receiver.mutex);
        REQUIRE(receiver.received[id].size() == 1);
        CHECK(receiver.received[id][0].body == "ok after 3\n");
        CHECK(receiver.received[id][0].status == "200");
        CHECK((*q)->stats().retried == 2);
        auto listed = (*q)->list({"completed", "", 10});
        REQUIRE(listed);
        REQUIRE(listed->size() == 1);
        CHECK((*listed)[0].attempts == 3);
        CHECK((*listed)[0].callbackStatus == "delivered");
    }

    SECTION("a function that always fails ends in the dead-letter list") {
        auto id = post("/cgi-bin/fail", "x");
        REQUIRE(eventually([&] { return (*q)->stats().failed == 1; }, 60s));
        auto failed = (*q)->list({"failed", "", 10});
        REQUIRE(failed);
        REQUIRE(failed->size() == 1);
        CHECK((*failed)[0].callId == id);
        CHECK((*failed)[0].attempts == 3);
        CHECK((*failed)[0].lastError.find("503") != std::string::npos);
        std::lock_guard lock(receiver.mutex);
        REQUIRE(receiver.received[id].size() == 1);
        CHECK(receiver.received[id][0].status == "503");
    }

    (*q)->stop();
    gw.stop();
}
