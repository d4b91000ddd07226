#include "common/subprocess.hpp"

#include <catch2/catch.hpp>
#include <signal.h>

using namespace faasd;
using namespace std::chrono_literals;

TEST_CASE("run feeds stdin and collects stdout and stderr", "[subprocess]") {
    auto out = run({.argv = {"sh", "-c", "cat; echo oops >&2; exit 3"}}, "hello", 5s);
    REQUIRE(out);
    CHECK(out->status == 3);
    CHECK(out->out == "hello");
    CHECK(out->err == "oops\n");
}

TEST_CASE("run does not fail when the child ignores stdin", "[subprocess]") {
    std::string big(4 << 20, 'x');
    auto out = run({.argv = {"true"}}, big, 5s);
    REQUIRE(out);
    CHECK(out->status == 0);
}

TEST_CASE("run kills a child that takes too long", "[subprocess]") {
    auto start = std::chrono::steady_clock::now();
    auto out = run({.argv = {"sleep", "30"}}, "", 200ms);
    REQUIRE_FALSE(out);
    CHECK(out.error().code() == Code::Timeout);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
}

TEST_CASE("a signal maps to 128 + signal", "[subprocess]") {
    auto out = run({.argv = {"sh", "-c", "kill -TERM $$"}}, "", 5s);
    REQUIRE(out);
    CHECK(out->status == 128 + SIGTERM);
}

TEST_CASE("a missing program is a clear error", "[subprocess]") {
    auto out = run({.argv = {"/nonexistent/program"}}, "", 5s);
    REQUIRE_FALSE(out);
    CHECK(out.error().message().find("/nonexistent/program") != std::string::npos);
}

TEST_CASE("environment and working directory are applied", "[subprocess]") {
    auto out = run({.argv = {"sh", "-c", "echo $FOO; pwd"},
                    .env = {{"FOO=bar", "PATH=/usr/bin:/bin"}},
                    .cwd = "/"},
                   "", 5s);
    REQUIRE(out);
    CHECK(out->out == "bar\n/\n");
}

TEST_CASE("destroying a Subprocess kills and reaps it", "[subprocess]") {
    pid_t pid = 0;
    {
        auto child = Subprocess::spawn({.argv = {"sleep", "30"}});
        REQUIRE(child);
        pid = child->pid();
        CHECK(::kill(pid, 0) == 0);
    }
    // Reaped: the pid no longer names our child.
    CHECK(::kill(pid, 0) != 0);
}

TEST_CASE("output over the limit is an error", "[subprocess]") {
    auto out = run({.argv = {"head", "-c", "100000", "/dev/zero"}}, "", 5s, 1000);
    REQUIRE_FALSE(out);
    CHECK(out.error().code() == Code::ResourceExhausted);
}

TEST_CASE("executables are found on PATH or by path", "[subprocess]") {
    CHECK(isExecutable("sh"));
    CHECK(isExecutable("/bin/sh"));
    CHECK_FALSE(isExecutable("no-such-program-faasd"));
    CHECK_FALSE(isExecutable("/nonexistent/sh"));
    CHECK_FALSE(isExecutable(""));
}
