// The rules both asynchronous queues share: what an outcome means, the
// backoff, and a callback's headers.

#include "queue/attempt.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::queue;
using namespace std::chrono_literals;

namespace {

const RetryPolicy kPolicy{.maxAttempts = 3, .retryDelay = 100ms, .maxRetryDelay = 250ms};

Outcome answered(int status, std::string body = "") {
    return Outcome{.reached = true, .status = status, .body = std::move(body)};
}

} // namespace

TEST_CASE("the backoff doubles after each attempt up to its bound") {
    CHECK(kPolicy.delayAfter(1) == 100ms);
    CHECK(kPolicy.delayAfter(2) == 200ms);
    CHECK(kPolicy.delayAfter(3) == 250ms);
    CHECK(kPolicy.delayAfter(90) == 250ms);
    const RetryPolicy wide{.maxAttempts = 99, .retryDelay = 1s, .maxRetryDelay = 24h};
    CHECK(wide.delayAfter(1000) == 24h); // the shift stops at 2^20
}

TEST_CASE("429, 502, 503, 504 and no answer are retried, other answers are final") {
    for (int status : {429, 502, 503, 504}) {
        auto j = judgeAttempt(answered(status), 1, kPolicy);
        CHECK(j.next == Judgement::Next::Retry);
        CHECK(j.delay == 100ms);
        CHECK(j.error == fmt::format("the function answered {}", status));
    }
    auto gone = judgeAttempt(Outcome{.error = "refused"}, 2, kPolicy);
    CHECK(gone.next == Judgement::Next::Retry);
    CHECK(gone.delay == 200ms);
    CHECK(gone.error == "invoking: refused");

    auto ok = judgeAttempt(answered(200, "hi"), 1, kPolicy);
    CHECK(ok.next == Judgement::Next::Complete);
    CHECK(ok.status == 200);
    CHECK(ok.body == "hi");
    CHECK(ok.error.empty());

    auto bad = judgeAttempt(answered(500, "boom"), 1, kPolicy);
    CHECK(bad.next == Judgement::Next::Complete); // the function's own answer, not retried
    CHECK(bad.error == "the function answered 500");
}

TEST_CASE("the last attempt's failure is final: the function's status, or 503 when none came") {
    auto busy = judgeAttempt(answered(503, "busy"), 3, kPolicy);
    CHECK(busy.next == Judgement::Next::Fail);
    CHECK(busy.status == 503);
    CHECK(busy.body == "busy");
    auto none = judgeAttempt(Outcome{.error = "timed out"}, 3, kPolicy);
    CHECK(none.next == Judgement::Next::Fail);
    CHECK(none.status == 503);
    CHECK(none.body == "timed out");
}

TEST_CASE("a callback carries the answer's headers and its own, which win") {
    Job job{.callId = "c-1", .function = {"say", "fn"}};
    Outcome o = answered(201);
    o.headers = {{"Content-Type", "text/plain"}, {"x-call-id", "forged"}};
    auto h = callbackHeaders(job, o, 201, 0.25);
    REQUIRE(h.size() == 5);
    CHECK(h[0] == std::pair<std::string, std::string>{"Content-Type", "text/plain"});
    CHECK(h[1] == std::pair<std::string, std::string>{"X-Call-Id", "c-1"});
    CHECK(h[2] == std::pair<std::string, std::string>{"X-Function-Status", "201"});
    CHECK(h[3] == std::pair<std::string, std::string>{"X-Function-Name", "say"});
    CHECK(h[4] == std::pair<std::string, std::string>{"X-Duration-Seconds", "0.250000"});
}
