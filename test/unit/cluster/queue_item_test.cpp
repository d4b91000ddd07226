// The cluster queue's records and keys.

#include "catch_result.hpp"
#include "cluster/queue_item.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::cluster;

namespace {

gateway::AsyncRequest request() {
    return gateway::AsyncRequest{.callId = "c-1",
                                 .name = "say",
                                 .ns = "fn",
                                 .method = "POST",
                                 .path = "/x",
                                 .query = "a=1",
                                 .headers = {{"Content-Type", "text/plain"}, {"X-A", "b"}},
                                 .body = "hello",
                                 .callbackUrl = "http://hooks/done"};
}

} // namespace

TEST_CASE("a queue item survives its JSON, every field") {
    QueueItem item = itemOf(request(), "node-a", 1'700'000'000'123);
    CHECK(item.bodyBytes == 5);
    CHECK(item.origin == "node-a");
    CHECK(item.status == ItemStatus::Pending);
    auto back = decodeItem(encodeItem(item));
    REQUIRE(back);
    CHECK(*back == item);

    item.status = ItemStatus::Failed;
    item.attempts = 5;
    item.nextAtMs = 42;
    item.lastError = "the function answered 503";
    item.functionStatus = 503;
    item.callbackStatus = "delivered";
    item.finishedMs = 1'700'000'000'999;
    back = decodeItem(encodeItem(item));
    REQUIRE(back);
    CHECK(*back == item);
}

TEST_CASE("a job is the item with its body") {
    QueueItem item = itemOf(request(), "node-a", 1);
    item.attempts = 2;
    queue::Job job = jobOf(item, "hello");
    CHECK(job.callId == "c-1");
    CHECK(job.function == api::FunctionRef{"say", "fn"});
    CHECK(job.path == "/x");
    CHECK(job.query == "a=1");
    CHECK(job.headers == item.headers);
    CHECK(job.body == "hello");
    CHECK(job.callbackUrl == "http://hooks/done");
    CHECK(job.attempts == 2);
}

TEST_CASE("the list shows a claimed item as running, a callback as pending until the end") {
    QueueItem item = itemOf(request(), "node-a", 1'000);
    auto info = infoOf(item, false);
    CHECK(info.status == "pending");
    CHECK(info.callbackStatus == "pending");
    CHECK(info.enqueuedAt == std::chrono::system_clock::time_point(std::chrono::seconds(1)));
    CHECK(infoOf(item, true).status == "running");
    item.status = ItemStatus::Failed;
    item.callbackStatus = "failed";
    info = infoOf(item, true);
    CHECK(info.status == "failed");
    CHECK(info.callbackStatus == "failed");
}

TEST_CASE("what is not a queue item is refused") {
    CHECK(decodeItem("").error().code() == Code::InvalidArgument);
    CHECK(decodeItem("[]").error().code() == Code::InvalidArgument);
    CHECK(decodeItem(R"({"callId":"a"})").error().code() == Code::InvalidArgument);
    CHECK(decodeItem(R"({"callId":"a","function":"f","attempts":"x"})").error().code() ==
          Code::InvalidArgument);
    CHECK(decodeItem(R"({"callId":"a","function":"f","status":"odd"})").error().code() ==
          Code::InvalidArgument);
    CHECK(decodeItem(R"({"callId":"a","function":"f","headers":[["k"]]})").error().code() ==
          Code::InvalidArgument);
}

TEST_CASE("header bytes that are not UTF-8 do not stop the item being stored") {
    gateway::AsyncRequest r = request();
    r.headers.emplace_back("X-Bin", std::string("\xff\xfe", 2));
    auto back = decodeItem(encodeItem(itemOf(r, "n", 1)));
    REQUIRE(back);
    CHECK(back->headers.size() == 3);
}

TEST_CASE("keys: items and claims are watched, bodies and done records are not") {
    QueueKeys keys("/faasd/queue");
    CHECK(keys.prefix() == "/faasd/queue/");
    CHECK(keys.item("c/1") == "/faasd/queue/q/items/c/1");
    CHECK(keys.claim("c") == "/faasd/queue/q/claims/c");
    CHECK(keys.body("c") == "/faasd/queue/bodies/c");
    CHECK(keys.doneRecord("c") == "/faasd/queue/done/c");
    CHECK(keys.item("c").starts_with(keys.watched()));
    CHECK(keys.claim("c").starts_with(keys.watched()));
    CHECK_FALSE(keys.body("c").starts_with(keys.watched()));
    CHECK_FALSE(keys.doneRecord("c").starts_with(keys.watched()));

    auto item = keys.parse("/faasd/queue/q/items/c/1");
    REQUIRE(item);
    CHECK(item->kind == QueueKeys::Kind::Item);
    CHECK(item->callId == "c/1");
    auto claim = keys.parse("/faasd/queue/q/claims/c");
    REQUIRE(claim);
    CHECK(claim->kind == QueueKeys::Kind::Claim);
    CHECK_FALSE(keys.parse("/faasd/queue/q/items/"));
    CHECK_FALSE(keys.parse("/faasd/queue/bodies/c"));
}
