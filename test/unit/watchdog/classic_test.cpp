// The classic mode, run as a real process on loopback.

#include "wait.hpp"
#include "watchdog_process.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <signal.h>
#include <unistd.h>

using namespace faasd;
using namespace faasd::watchdog::test;
using namespace std::chrono_literals;

namespace {

const std::regex goLogLine(R"(^\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} )");

bool hasLine(const std::string& text, const std::string& line) {
    return text.find(line + "\n") != std::string::npos;
}

// A function that holds its request until the test releases it: in flight
// for as long as the test needs, however slow the machine (at most 20 s).
struct HeldFunction {
    TempDir dir = TempDir::create("fwatchdog-held").value();
    std::string release = dir.path().string() + "/release";
    std::string script = writeScript(dir, "held.sh",
                                     "#!/bin/sh\ni=0\nwhile [ ! -e " + release +
                                         " ] && [ $i -lt 400 ]; do sleep 0.05; i=$((i+1)); done\n"
                                         "echo released\n");

    void letGo() const { std::ofstream(release).put('\n'); }
};

std::optional<int> readyStatus(const WatchdogProcess& w) {
    auto res = w.client().Get("/_/ready");
    return res ? std::optional<int>(res->status) : std::nullopt;
}

std::string randomBody(size_t size) {
    std::string body(size, '\0');
    uint32_t x = 12345;
    for (char& c : body) {
        x = x * 1103515245 + 12345;
        c = static_cast<char>(x >> 16);
    }
    return body;
}

} // namespace

TEST_CASE("classic: cat echoes the body", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "cat"}});
    auto client = w->client();
    auto res = client.Post("/", "hello", "text/x-custom");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "hello");
    CHECK(res->get_header_value("Content-Type") == "text/x-custom");
    std::string duration = res->get_header_value("X-Duration-Seconds");
    REQUIRE_FALSE(duration.empty());
    CHECK(std::stod(duration) >= 0.0);
    CHECK(std::stod(duration) < 5.0);

    // Keep-alive: the same connection serves more requests.
    for (int i = 0; i < 20; ++i) {
        auto again = client.Post("/", std::to_string(i), "text/plain");
        REQUIRE(again);
        CHECK(again->body == std::to_string(i));
    }
    REQUIRE(w->waitForLog("Wrote 5 Bytes - Duration: "));
    std::string logs = w->logs();
    // Each line is "YYYY/MM/DD hh:mm:ss " and the message, as Go's log writes.
    std::smatch forking;
    REQUIRE(std::regex_search(logs, forking, std::regex(R"((^|\n)(.*Forking fprocess\.)\n)")));
    CHECK(std::regex_search(forking[2].str(), goLogLine));
    CHECK(forking[2].str().size() == 20 + std::string("Forking fprocess.").size());
    CHECK(std::regex_search(
        logs, std::regex(R"(\n\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2} Wrote 5 Bytes - Duration: )"
                         R"(\d+\.\d{6} seconds\n)")));
}

TEST_CASE("classic: the function sees CGI-style variables", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "env"}, {"MY_SETTING", "from-the-image"}});
    auto client = w->client();
    httplib::Headers headers = {{"X-Call-Id", "call-123"}, {"x-lower-case", "yes"}};
    auto res = client.Post("/some/path?a=1&b=two", headers, "12345", "application/json");
    REQUIRE(res);
    REQUIRE(res->status == 200);
    const std::string& env = res->body;
    CHECK(hasLine(env, "MY_SETTING=from-the-image"));
    CHECK(hasLine(env, "Http_X_Call_Id=call-123"));
    CHECK(hasLine(env, "Http_X_Lower_Case=yes"));
    CHECK(hasLine(env, "Http_Content_Type=application/json"));
    CHECK(hasLine(env, "Http_Method=POST"));
    CHECK(hasLine(env, "Http_Path=/some/path"));
    CHECK(hasLine(env, "Http_Query=a=1&b=two"));
    CHECK(hasLine(env, "Http_Content_Length=5"));
    CHECK(hasLine(env, "Http_Host=127.0.0.1:" + std::to_string(w->port())));
    CHECK(env.find("Http_Transfer_Encoding") == std::string::npos);

    auto get = client.Get("/");
    REQUIRE(get);
    CHECK(hasLine(get->body, "Http_Method=GET"));
    CHECK(get->body.find("Http_Query=") == std::string::npos);

    // A chunked request body.
    std::string raw = rawExchange(w->port(), "POST /c HTTP/1.1\r\nHost: x\r\n"
                                             "Transfer-Encoding: chunked\r\nConnection: close\r\n"
                                             "\r\n3\r\nabc\r\n0\r\n\r\n");
    CHECK(raw.find("HTTP/1.1 200 OK") == 0);
    CHECK(raw.find("Http_Transfer_Encoding=chunked\n") != std::string::npos);
}

TEST_CASE("classic: sha512sum of a large body", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "sha512sum"}});
    std::string body = randomBody(3 << 20);
    SubprocessOptions options;
    options.argv = {"sha512sum"};
    auto expected = run(options, body, std::chrono::seconds(10));
    REQUIRE(expected);
    auto res = w->client().Post("/", body, "application/octet-stream");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == expected->out);
}

TEST_CASE("classic: a failing function answers 500 with its output", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "ls /no-such-dir-for-the-test"}});
    auto res = w->client().Post("/", "x", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 500);
    CHECK(res->body.rfind("exit status 2\n", 0) == 0);
    CHECK(res->body.find("no-such-dir-for-the-test") != std::string::npos);
    CHECK_FALSE(res->get_header_value("X-Duration-Seconds").empty());
}

TEST_CASE("classic: combine_output=false logs stderr", "[classic]") {
    TempDir dir = TempDir::create("fwatchdog-script").value();
    std::string script =
        writeScript(dir, "both.sh", "#!/bin/sh\necho to-stdout\necho to-stderr >&2\nexit 0\n");
    auto w = WatchdogProcess::start({{"fprocess", script}, {"combine_output", "false"}});
    auto res = w->client().Get("/");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "to-stdout\n");
    CHECK(w->waitForLog("stderr: to-stderr"));

    auto combined = WatchdogProcess::start({{"fprocess", script}});
    auto both = combined->client().Get("/");
    REQUIRE(both);
    CHECK(both->body.find("to-stdout\n") != std::string::npos);
    CHECK(both->body.find("to-stderr\n") != std::string::npos);
}

TEST_CASE("classic: exec_timeout kills the function and answers 408", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "sleep 20"}, {"exec_timeout", "500ms"}});
    auto start = std::chrono::steady_clock::now();
    auto res = w->client().Post("/", "x", "text/plain");
    auto took = std::chrono::steady_clock::now() - start;
    REQUIRE(res);
    CHECK(res->status == 408);
    CHECK(res->body == "Killed process.\n");
    CHECK(took >= 450ms);
    CHECK(took < 3s);
    CHECK(w->waitForLog("Killing process: sleep 20"));
}

TEST_CASE("classic: a function that never reads stdin", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "echo ignored"}});
    auto client = w->client();
    for (size_t size : {size_t(10), size_t(200 << 10), size_t(8 << 20)}) {
        auto res = client.Post("/", std::string(size, 'a'), "text/plain");
        REQUIRE(res);
        CHECK(res->status == 200);
        CHECK(res->body == "ignored\n");
    }
}

TEST_CASE("classic: large and endless output", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "head -c 20000000 /dev/zero"}});
    auto res = w->client().Get("/");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.size() == 20000000);

    // An endless writer is stopped at max_response_bytes, not buffered forever.
    auto endless = WatchdogProcess::start({{"fprocess", "yes"}, {"max_response_bytes", "1M"}});
    auto start = std::chrono::steady_clock::now();
    auto cut = endless->client().Get("/");
    REQUIRE(cut);
    CHECK(cut->status == 500);
    CHECK(cut->body.find("max_response_bytes") != std::string::npos);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("classic: health, readiness and the lock file", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "cat"}});
    CHECK(access(w->lockPath().c_str(), F_OK) == 0);
    auto client = w->client();
    auto health = client.Get("/_/health");
    REQUIRE(health);
    CHECK(health->status == 200);
    CHECK(health->body == "OK");
    CHECK_FALSE(health->get_header_value("X-Duration-Seconds").empty());
    auto ready = client.Get("/_/ready");
    REQUIRE(ready);
    CHECK(ready->status == 200);
    auto post = client.Post("/_/health", "", "text/plain");
    REQUIRE(post);
    CHECK(post->status == 405);

    // Without its lock file the replica reports unhealthy.
    unlink(w->lockPath().c_str());
    auto unhealthy = client.Get("/_/health");
    REQUIRE(unhealthy);
    CHECK(unhealthy->status == 503);
}

TEST_CASE("classic: max_inflight answers 429", "[classic]") {
    HeldFunction held;
    auto w = WatchdogProcess::start({{"fprocess", held.script}, {"max_inflight", "1"}});
    auto first = std::async(std::launch::async, [&] { return w->client().Get("/"); });
    // Readiness answers 429 once the first request holds the only slot.
    REQUIRE(waitUntil([&] { return readyStatus(*w) == 429; }, 5s));
    auto second = w->client().Get("/");
    REQUIRE(second);
    CHECK(second->status == 429);
    held.letGo();
    auto firstResult = first.get();
    REQUIRE(firstResult);
    CHECK(firstResult->status == 200);
    CHECK(firstResult->body == "released\n");
    CHECK(waitUntil([&] { return readyStatus(*w) == 200; }, 5s));
}

TEST_CASE("classic: oversized bodies answer 413", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "cat"}, {"max_request_bytes", "1K"}});
    auto small = w->client().Post("/", std::string(1000, 'a'), "text/plain");
    REQUIRE(small);
    CHECK(small->status == 200);
    auto big = w->client().Post("/", std::string(4096, 'a'), "text/plain");
    REQUIRE(big);
    CHECK(big->status == 413);
    // Chunked: the limit applies while reading.
    std::string raw = rawExchange(w->port(), "POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: "
                                             "chunked\r\n\r\n800\r\n" +
                                                 std::string(2048, 'b') + "\r\n0\r\n\r\n");
    CHECK(raw.find("HTTP/1.1 413 ") == 0);
}

TEST_CASE("classic: content_type, methods, Expect and HTTP/1.0", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "cat"}, {"content_type", "application/json"}});
    auto res = w->client().Post("/", "{}", "text/plain");
    REQUIRE(res);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    auto options = w->client().Options("/");
    REQUIRE(options);
    CHECK(options->status == 405);

    std::string expect = rawExchange(w->port(),
                                     "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: "
                                     "3\r\nExpect: 100-continue\r\n\r\n",
                                     500ms);
    CHECK(expect == "HTTP/1.1 100 Continue\r\n\r\n");

    std::string old = rawExchange(w->port(), "POST / HTTP/1.0\r\nContent-Length: 2\r\n\r\nhi");
    CHECK(old.find("HTTP/1.1 200 OK\r\n") == 0);
    CHECK(old.find("Connection: close\r\n") != std::string::npos);
    CHECK(old.substr(old.size() - 2) == "hi");

    std::string pipelined = rawExchange(
        w->port(),
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\none"
        "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nConnection: close\r\n\r\ntwo");
    CHECK(pipelined.find("\r\n\r\none") != std::string::npos);
    CHECK(pipelined.find("\r\n\r\ntwo") != std::string::npos);
}

TEST_CASE("classic: metrics count the function's requests", "[classic]") {
    auto w = WatchdogProcess::start({{"fprocess", "cat"}});
    for (int i = 0; i < 3; ++i) {
        REQUIRE(w->client().Post("/", "x", "text/plain"));
    }
    REQUIRE(w->metricsPort() > 0);
    httplib::Client metrics("127.0.0.1", w->metricsPort());
    auto res = metrics.Get("/metrics");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.find("http_requests_total{code=\"200\",method=\"post\"} 3\n") !=
          std::string::npos);
    CHECK(res->body.find("http_requests_in_flight 0\n") != std::string::npos);
    CHECK(res->body.find("http_request_duration_seconds_count{code=\"200\",method=\"post\"} 3") !=
          std::string::npos);
}

TEST_CASE("classic: SIGTERM drains in-flight requests", "[classic]") {
    HeldFunction held;
    auto w = WatchdogProcess::start({{"fprocess", held.script}});
    auto inflight = std::async(std::launch::async, [&] { return w->client().Post("/", "", "x"); });
    REQUIRE(w->waitForLog("Forking fprocess."));
    ::kill(w->pid(), SIGTERM);
    REQUIRE(w->waitForLog("SIGTERM"));
    // The lock goes at once; the listener closes (healthcheck_interval 0).
    CHECK(waitUntil([&] { return access(w->lockPath().c_str(), F_OK) != 0; }, 5s));
    REQUIRE(w->waitForLog("No new connections allowed, draining: 1 requests"));
    auto refused = httplib::Client("127.0.0.1", w->port()).Get("/_/health");
    CHECK_FALSE(refused); // no new connections
    held.letGo();
    auto result = inflight.get();
    REQUIRE(result);
    CHECK(result->status == 200);
    auto status = w->waitExit(5s);
    REQUIRE(status);
    CHECK(*status == 0);
    CHECK(w->logs().find("Exiting. Active connections: 0") != std::string::npos);
}
