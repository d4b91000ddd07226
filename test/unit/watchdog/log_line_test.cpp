#include "watchdog/log_line.hpp"
#include "watchdog/metrics.hpp"

#include <catch2/catch.hpp>
#include <cstdio>
#include <unistd.h>

using namespace faasd::watchdog;

TEST_CASE("log lines look like Go's log package", "[log]") {
    std::tm tm{};
    tm.tm_year = 2024 - 1900;
    tm.tm_mon = 0;
    tm.tm_mday = 2;
    tm.tm_hour = 3;
    tm.tm_min = 4;
    tm.tm_sec = 5;
    CHECK(logPrefix(tm) == "2024/01/02 03:04:05 ");
    CHECK(formatLogLine(tm, "Forking fprocess.") == "2024/01/02 03:04:05 Forking fprocess.\n");
}

TEST_CASE("the classic watchdog's byte count line", "[log]") {
    CHECK(wroteLine(11, 0.001234) == "Wrote 11 Bytes - Duration: 0.001234 seconds");
    CHECK(wroteLine(0, 2) == "Wrote 0 Bytes - Duration: 2.000000 seconds");
}

namespace {

// Captures what the sink writes to stderr.
std::string captureStderr(const std::function<void()>& fn) {
    std::fflush(stderr);
    int saved = dup(2);
    char path[] = "/tmp/fwatchdog-log-XXXXXX";
    int fd = mkstemp(path);
    dup2(fd, 2);
    fn();
    LogSink::instance().flush();
    dup2(saved, 2);
    close(saved);
    std::string out;
    lseek(fd, 0, SEEK_SET);
    char buffer[4096];
    ssize_t n;
    while ((n = read(fd, buffer, sizeof buffer)) > 0) {
        out.append(buffer, static_cast<size_t>(n));
    }
    close(fd);
    unlink(path);
    return out;
}

} // namespace

TEST_CASE("child output becomes log lines", "[log]") {
    std::string out = captureStderr([] {
        LineLogger logger("stderr", false, 8);
        logger.feed("one\ntw");
        logger.feed("o\nthree-is-long\nend");
        logger.finish();
    });
    CHECK(out == "one\ntwo\nthree-is\n-long\nend\n");

    std::string prefixed = captureStderr([] {
        LineLogger logger("stderr", true);
        logger.feed("oops\n");
    });
    // "YYYY/MM/DD hh:mm:ss stderr: oops"
    REQUIRE(prefixed.size() == 20 + 13);
    CHECK(prefixed.substr(4, 1) == "/");
    CHECK(prefixed.substr(19) == " stderr: oops\n");
}

TEST_CASE("metrics are Prometheus text", "[metrics]") {
    Metrics metrics;
    metrics.started();
    metrics.started();
    metrics.finished("POST", 200, 0.02);
    std::string text = metrics.render();
    CHECK_THAT(text, Catch::Contains("http_requests_total{code=\"200\",method=\"post\"} 1\n"));
    CHECK_THAT(text, Catch::Contains("http_requests_in_flight 1\n"));
    CHECK_THAT(text,
               Catch::Contains("http_request_duration_seconds_bucket{code=\"200\",method=\"post\","
                               "le=\"0.025\"} 1\n"));
    CHECK_THAT(text,
               Catch::Contains("http_request_duration_seconds_bucket{code=\"200\",method=\"post\","
                               "le=\"0.01\"} 0\n"));
    CHECK_THAT(text, Catch::Contains("# TYPE http_request_duration_seconds histogram"));
}
