#include "watchdog/config.hpp"

#include <catch2/catch.hpp>

using namespace faasd::watchdog;
using namespace std::chrono_literals;

TEST_CASE("durations: whole seconds and Go durations", "[config]") {
    CHECK(parseDuration("10").value() == 10s);
    CHECK(parseDuration("0").value() == 0ms);
    CHECK(parseDuration("10s").value() == 10s);
    CHECK(parseDuration("500ms").value() == 500ms);
    CHECK(parseDuration("1m").value() == 60s);
    CHECK(parseDuration("1m30s").value() == 90s);
    CHECK(parseDuration("1.5s").value() == 1500ms);
    CHECK(parseDuration("2h").value() == 7200s);
    CHECK(parseDuration("1h2m3s").value() == 3723s);
    // Below a millisecond still means "a timeout", never "no timeout".
    CHECK(parseDuration("10us").value() == 1ms);
    CHECK(parseDuration("0s").value() == 0ms);
}

TEST_CASE("durations: malformed values are errors", "[config]") {
    for (const char* bad : {"", "abc", "10x", "s", "-5", "1.2.3s", "ms10"}) {
        INFO(bad);
        CHECK_FALSE(parseDuration(bad).has_value());
    }
}

TEST_CASE("durations format like Go", "[config]") {
    CHECK(formatDuration(0ms) == "0s");
    CHECK(formatDuration(500ms) == "500ms");
    CHECK(formatDuration(30s) == "30s");
    CHECK(formatDuration(90s) == "1m30s");
    CHECK(formatDuration(1500ms) == "1.5s");
    CHECK(formatDuration(3600s) == "1h0m0s");
}

TEST_CASE("fprocess is split on spaces", "[config]") {
    CHECK(splitCommand("cat") == std::vector<std::string>{"cat"});
    CHECK(splitCommand("python3  index.py ") == std::vector<std::string>{"python3", "index.py"});
    CHECK(splitCommand("   ").empty());
}

TEST_CASE("config defaults follow the classic watchdog", "[config]") {
    auto config = fromEnv({{"fprocess", "cat"}});
    REQUIRE(config);
    CHECK(config->mode == Mode::Classic);
    CHECK(config->argv == std::vector<std::string>{"cat"});
    CHECK(config->port == 8080);
    CHECK(config->metricsPort == 8081);
    CHECK(config->readTimeout == 30s);
    CHECK(config->writeTimeout == 30s);
    CHECK(config->execTimeout == 0ms);
    CHECK(config->combineOutput);
    CHECK(config->cgiHeaders);
    CHECK(config->prefixLogs);
    CHECK_FALSE(config->suppressLock);
    CHECK_FALSE(config->contentType);
    CHECK(config->maxInflight == 0);
    CHECK(config->lockPath == "/tmp/.lock");
    CHECK(config->maxRequestBytes == 64u << 20);
}

TEST_CASE("config reads every setting", "[config]") {
    Env env = {
        {"fprocess", "node index.js"},
        {"mode", "streaming"},
        {"read_timeout", "5"},
        {"write_timeout", "10s"},
        {"exec_timeout", "500ms"},
        {"healthcheck_interval", "2s"},
        {"port", "9000"},
        {"metrics_port", "-1"},
        {"max_inflight", "3"},
        {"combine_output", "false"},
        {"cgi_headers", "0"},
        {"write_debug", "true"},
        {"prefix_logs", "false"},
        {"suppress_lock", "1"},
        {"content_type", "application/json"},
        {"TMPDIR", "/var/tmp/"},
        {"max_request_bytes", "1M"},
        {"max_response_bytes", "65536"},
    };
    auto config = fromEnv(env);
    REQUIRE(config);
    CHECK(config->mode == Mode::Streaming);
    CHECK(config->argv == std::vector<std::string>{"node", "index.js"});
    CHECK(config->readTimeout == 5s);
    CHECK(config->writeTimeout == 10s);
    CHECK(config->execTimeout == 500ms);
    CHECK(config->healthcheckInterval == 2s);
    CHECK(config->port == 9000);
    CHECK(config->metricsPort == -1);
    CHECK(config->maxInflight == 3);
    CHECK_FALSE(config->combineOutput);
    CHECK_FALSE(config->cgiHeaders);
    CHECK(config->writeDebug);
    CHECK_FALSE(config->prefixLogs);
    CHECK(config->suppressLock);
    CHECK(config->contentType == "application/json");
    CHECK(config->lockPath == "/var/tmp/.lock");
    CHECK(config->maxRequestBytes == 1u << 20);
    CHECK(config->maxResponseBytes == 65536);
}

TEST_CASE("of-watchdog modes default to a 30s exec timeout", "[config]") {
    auto config = fromEnv({{"fprocess", "cat"}, {"mode", "serializing"}});
    REQUIRE(config);
    CHECK(config->execTimeout == 30s);
}

TEST_CASE("function_process and http_upstream_url are aliases", "[config]") {
    auto config = fromEnv({{"function_process", "./server"},
                           {"mode", "http"},
                           {"http_upstream_url", "http://localhost:5000/api/"}});
    REQUIRE(config);
    CHECK(config->fprocess == "./server");
    REQUIRE(config->upstream);
    CHECK(config->upstream->host == "127.0.0.1");
    CHECK(config->upstream->port == 5000);
    CHECK(config->upstream->pathPrefix == "/api");
}

TEST_CASE("upstream urls", "[config]") {
    CHECK(parseUpstreamUrl("http://127.0.0.1:8082")->port == 8082);
    CHECK(parseUpstreamUrl("http://[::1]:3000")->host == "::1");
    CHECK(parseUpstreamUrl("http://10.0.0.1")->port == 80);
    CHECK_FALSE(parseUpstreamUrl("https://127.0.0.1:1"));
    CHECK_FALSE(parseUpstreamUrl("http://:5000"));
    CHECK_FALSE(parseUpstreamUrl("http://127.0.0.1:99999"));
}

TEST_CASE("bad configuration is a clear error", "[config]") {
    auto missing = fromEnv({});
    REQUIRE_FALSE(missing);
    CHECK_THAT(missing.error().message(), Catch::Contains("fprocess"));

    auto noUpstream = fromEnv({{"fprocess", "x"}, {"mode", "http"}});
    REQUIRE_FALSE(noUpstream);
    CHECK_THAT(noUpstream.error().message(), Catch::Contains("upstream_url"));

    auto badMode = fromEnv({{"fprocess", "x"}, {"mode", "afterburn"}});
    REQUIRE_FALSE(badMode);
    CHECK_THAT(badMode.error().message(), Catch::Contains("afterburn"));

    auto badTimeout = fromEnv({{"fprocess", "x"}, {"exec_timeout", "soon"}});
    REQUIRE_FALSE(badTimeout);
    CHECK_THAT(badTimeout.error().message(), Catch::Contains("exec_timeout"));

    auto badBool = fromEnv({{"fprocess", "x"}, {"combine_output", "yes"}});
    REQUIRE_FALSE(badBool);
    CHECK_THAT(badBool.error().message(), Catch::Contains("combine_output"));

    CHECK_FALSE(fromEnv({{"fprocess", "x"}, {"port", "http"}}));
    CHECK_FALSE(fromEnv({{"fprocess", "x"}, {"max_request_bytes", "1T"}}));
}

TEST_CASE("the environment is read from environ", "[config]") {
    char a[] = "fprocess=cat -n";
    char b[] = "EMPTY=";
    char c[] = "NOEQUALS";
    char* envp[] = {a, b, c, nullptr};
    Env env = environFromProcess(envp);
    CHECK(env.at("fprocess") == "cat -n");
    CHECK(env.at("EMPTY").empty());
    CHECK(env.count("NOEQUALS") == 0);
}
