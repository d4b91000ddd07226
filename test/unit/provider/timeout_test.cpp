#include "provider/timeout.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::provider;
using namespace std::chrono_literals;

namespace {

api::FunctionDeployment deployment(std::map<std::string, std::string> env,
                                   std::map<std::string, std::string> annotations = {}) {
    api::FunctionDeployment d;
    d.service = "long";
    d.image = "img";
    for (auto& [k, v] : env) {
        d.envVars[k] = v;
    }
    for (auto& [k, v] : annotations) {
        d.annotations[k] = v;
    }
    return d;
}

} // namespace

TEST_CASE("parseUpstreamTimeout: Go durations and whole seconds") {
    CHECK(parseUpstreamTimeout("90").value() == 90s);
    CHECK(parseUpstreamTimeout("0").value() == 0ms);
    CHECK(parseUpstreamTimeout("20s").value() == 20s);
    CHECK(parseUpstreamTimeout("1h30m").value() == 90min);
    CHECK(parseUpstreamTimeout("1.5m").value() == 90s);
    CHECK(parseUpstreamTimeout("250ms").value() == 250ms);
    CHECK(parseUpstreamTimeout("1ns").value() == 1ms); // rounded up
    CHECK(parseUpstreamTimeout("48h").value() == 48h);
    for (const char* bad : {"", "s", "10x", "-5s", "1h 30m", "5s10", "1e3s", "99999999999"}) {
        INFO(bad);
        auto r = parseUpstreamTimeout(bad);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Code::InvalidArgument);
    }
}

TEST_CASE("upstreamTimeoutOf: the annotation, else the watchdog's longest plus a grace") {
    CHECK(upstreamTimeoutOf(deployment({})).value() == UpstreamTimeout{});
    CHECK(upstreamTimeoutOf(deployment({{"exec_timeout", "0"}})).value() == UpstreamTimeout{});
    CHECK(
        upstreamTimeoutOf(deployment({{"exec_timeout", "2h"}, {"write_timeout", "30m"}})).value() ==
        UpstreamTimeout{.value = 2h + kWatchdogGrace, .atLeast = true});
    CHECK(
        upstreamTimeoutOf(deployment({{"exec_timeout", "10s"}, {"write_timeout", "1m"}})).value() ==
        UpstreamTimeout{.value = 1min + kWatchdogGrace, .atLeast = true});
    // Past the cap: the gateway stops at a day.
    CHECK(upstreamTimeoutOf(deployment({{"write_timeout", "48h"}})).value() ==
          UpstreamTimeout{.value = kMaxUpstreamTimeout, .atLeast = true});
    // The annotation wins, shorter or longer.
    CHECK(upstreamTimeoutOf(
              deployment({{"exec_timeout", "2h"}}, {{std::string(kTimeoutAnnotation), "5s"}}))
              .value() == UpstreamTimeout{.value = 5s, .atLeast = false});
    CHECK(upstreamTimeoutOf(deployment({}, {{std::string(kTimeoutAnnotation), "24h"}})).value() ==
          UpstreamTimeout{.value = 24h, .atLeast = false});
}

TEST_CASE("upstreamTimeoutOf: a bad value names the annotation or the variable") {
    auto check = [](const api::FunctionDeployment& d, const std::string& named) {
        auto r = upstreamTimeoutOf(d);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Code::InvalidArgument);
        CHECK(r.error().message().find(named) != std::string::npos);
    };
    check(deployment({{"exec_timeout", "soon"}}), "exec_timeout");
    check(deployment({{"write_timeout", "-1s"}}), "write_timeout");
    check(deployment({}, {{std::string(kTimeoutAnnotation), "forever"}}),
          "com.openfaas.upstream.timeout");
    check(deployment({}, {{std::string(kTimeoutAnnotation), "25h"}}),
          "com.openfaas.upstream.timeout");
    check(deployment({}, {{std::string(kTimeoutAnnotation), "0"}}),
          "com.openfaas.upstream.timeout");
}

TEST_CASE("UpstreamTimeout::over: replaces or lengthens the caller's default") {
    CHECK(UpstreamTimeout{}.over(60s) == 60s);
    CHECK(UpstreamTimeout{.value = 5s, .atLeast = false}.over(60s) == 5s);
    CHECK(UpstreamTimeout{.value = 5s, .atLeast = true}.over(60s) == 60s);
    CHECK(UpstreamTimeout{.value = 2h, .atLeast = true}.over(60s) == 2h);
}
