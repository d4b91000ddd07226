// The of-watchdog fork modes (streaming, serializing), run as a real
// process on loopback.

#include "watchdog_process.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::watchdog::test;
using namespace std::chrono_literals;

TEST_CASE("streaming: stdin and stdout stream through", "[fork-modes]") {
    auto w = WatchdogProcess::start({{"fprocess", "cat"}, {"mode", "streaming"}});
    auto res = w->client().Post("/", std::string(5 << 20, 'z'), "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body.size() == size_t(5 << 20));
    CHECK(res->get_header_value("Content-Type") == "application/octet-stream");
    CHECK(res->get_header_value("Transfer-Encoding") == "chunked");
    CHECK(w->waitForLog("POST / - 200 - ContentLength: 5.243MB"));
}

TEST_CASE("streaming: output reaches the client as it is written", "[fork-modes]") {
    TempDir dir = TempDir::create("fwatchdog-script").value();
    std::string script =
        writeScript(dir, "ticks.sh", "#!/bin/sh\necho first\nsleep 1\necho second\n");
    auto w = WatchdogProcess::start({{"fprocess", script}, {"mode", "streaming"}});
    auto start = std::chrono::steady_clock::now();
    std::vector<std::pair<std::string, std::chrono::steady_clock::duration>> pieces;
    auto res = w->client().Get("/", [&](const char* data, size_t length) {
        pieces.emplace_back(std::string(data, length), std::chrono::steady_clock::now() - start);
        return true;
    });
    REQUIRE(res);
    REQUIRE(pieces.size() >= 2);
    CHECK(pieces.front().first == "first\n");
    CHECK(pieces.front().second < 800ms);
    CHECK(pieces.back().second >= 900ms);
}

TEST_CASE("streaming: a failure before any output is a 500", "[fork-modes]") {
    auto w = WatchdogProcess::start({{"fprocess", "false"}, {"mode", "streaming"}});
    auto res = w->client().Get("/");
    REQUIRE(res);
    CHECK(res->status == 500);
    CHECK(res->body == "exit status 1\n");

    auto slow = WatchdogProcess::start(
        {{"fprocess", "sleep 10"}, {"mode", "streaming"}, {"exec_timeout", "300ms"}});
    auto timedOut = slow->client().Get("/");
    REQUIRE(timedOut);
    CHECK(timedOut->status == 408);
}

TEST_CASE("serializing: buffered, errors as text, stderr logged", "[fork-modes]") {
    auto w = WatchdogProcess::start({{"fprocess", "cat"}, {"mode", "serializing"}});
    auto res = w->client().Post("/", "buffered", "text/plain");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == "buffered");
    CHECK(res->get_header_value("Content-Length") == "8");
    CHECK(res->get_header_value("Content-Type") == "application/octet-stream");

    TempDir dir = TempDir::create("fwatchdog-script").value();
    std::string script =
        writeScript(dir, "fail.sh", "#!/bin/sh\necho partial\necho went wrong >&2\nexit 3\n");
    auto failing = WatchdogProcess::start({{"fprocess", script}, {"mode", "serializing"}});
    auto failed = failing->client().Get("/");
    REQUIRE(failed);
    CHECK(failed->status == 500);
    CHECK(failed->body == "exit status 3\n");
    CHECK(failing->waitForLog("stderr: went wrong"));

    auto slow = WatchdogProcess::start(
        {{"fprocess", "sleep 10"}, {"mode", "serializing"}, {"exec_timeout", "300ms"}});
    auto timedOut = slow->client().Get("/");
    REQUIRE(timedOut);
    CHECK(timedOut->status == 500);
    CHECK(timedOut->body.find("exec_timeout") != std::string::npos);
}

TEST_CASE("prefix_logs=false passes function lines through as they are", "[fork-modes]") {
    TempDir dir = TempDir::create("fwatchdog-script").value();
    std::string script = writeScript(dir, "log.sh", "#!/bin/sh\necho plain-line >&2\n");
    auto w = WatchdogProcess::start(
        {{"fprocess", script}, {"mode", "serializing"}, {"prefix_logs", "false"}});
    REQUIRE(w->client().Get("/"));
    REQUIRE(w->waitForLog("plain-line"));
    CHECK(w->logs().find("\nplain-line\n") != std::string::npos);
}
