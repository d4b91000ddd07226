// What a node's watch makes of the cluster queue's keys: which item a
// worker here takes next, and when.

#include "cluster/queue_mirror.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::cluster;
using namespace std::chrono_literals;

namespace {

const QueueKeys kKeys("/q/");

QueueItem item(const std::string& callId, const std::string& origin, int64_t enqueuedMs = 0) {
    return QueueItem{.callId = callId,
                     .function = {"say", "fn"},
                     .method = "POST",
                     .origin = origin,
                     .enqueuedMs = enqueuedMs};
}

etcd::KeyValue itemKv(const QueueItem& i, int64_t revision) {
    return {.key = kKeys.item(i.callId), .value = encodeItem(i), .modRevision = revision};
}

etcd::Event put(etcd::KeyValue kv) {
    return {.type = etcd::Event::Type::Put, .kv = std::move(kv)};
}

etcd::Event removed(std::string key, int64_t revision) {
    return {.type = etcd::Event::Type::Delete,
            .kv = {.key = std::move(key), .modRevision = revision}};
}

etcd::Event claimed(const std::string& callId, const std::string& node, int64_t revision) {
    return put({.key = kKeys.claim(callId), .value = node, .modRevision = revision});
}

} // namespace

TEST_CASE("a worker takes the oldest due item, and only one worker takes it") {
    QueueMirror m(kKeys, "a", 50ms);
    m.reset({itemKv(item("new", "a", 20), 3), itemKv(item("old", "a", 10), 4)}, 4, 1'000);
    auto first = m.take(1'000);
    REQUIRE(first);
    CHECK(first->callId == "old");
    CHECK(first->itemRevision == 4);
    auto second = m.take(1'000);
    REQUIRE(second);
    CHECK(second->callId == "new");
    CHECK_FALSE(m.take(1'000));
    CHECK(m.counts().items == 2);
    CHECK(m.counts().bytes == 0);
    CHECK(m.counts().waiting == 2); // held here, not yet claimed
}

TEST_CASE("another node's item waits foreignDelay after it is seen unclaimed") {
    QueueMirror m(kKeys, "a", 50ms);
    m.apply({put(itemKv(item("x", "b"), 5))}, 5, 1'000);
    CHECK_FALSE(m.take(1'010));
    CHECK(m.nextDueMs(1'010) == 1'050);
    CHECK(m.take(1'050));
}

TEST_CASE("a claimed item waits until its claim goes, as when its node's lease lapses") {
    QueueMirror m(kKeys, "a", 0ms);
    m.apply({put(itemKv(item("x", "b"), 5)), claimed("x", "b", 6)}, 6, 1'000);
    CHECK_FALSE(m.take(2'000));
    CHECK(m.counts().claimed == 1);
    CHECK(m.counts().waiting == 0);
    CHECK(m.depthByFunction().empty());
    m.apply({removed(kKeys.claim("x"), 7)}, 7, 3'000);
    auto c = m.take(3'000);
    REQUIRE(c);
    CHECK(c->callId == "x");
    CHECK(m.depthByFunction().at(api::FunctionRef{"say", "fn"}) == 1);
}

TEST_CASE("a retrying item is due at its nextAtMs; a failed one never") {
    QueueMirror m(kKeys, "a", 0ms);
    QueueItem r = item("r", "a");
    r.status = ItemStatus::Retrying;
    r.nextAtMs = 5'000;
    QueueItem f = item("f", "a");
    f.status = ItemStatus::Failed;
    m.apply({put(itemKv(r, 5)), put(itemKv(f, 6))}, 6, 1'000);
    CHECK_FALSE(m.take(4'999));
    CHECK(m.nextDueMs(1'000) == 5'000);
    auto c = m.take(5'000);
    REQUIRE(c);
    CHECK(c->callId == "r");
    CHECK_FALSE(m.take(9'000));
    CHECK(m.counts().failed == 1);
}

TEST_CASE("a claim lost to another node is not tried again until its keys change") {
    QueueMirror m(kKeys, "a", 0ms);
    m.apply({put(itemKv(item("x", "a"), 5))}, 5, 1'000);
    auto c = m.take(1'000);
    REQUIRE(c);
    m.release(*c, QueueMirror::Release::LostRace, 1'000);
    CHECK_FALSE(m.take(2'000));
    CHECK_FALSE(m.nextDueMs(2'000));
    // the other node's retry rewrites it
    QueueItem again = item("x", "b");
    again.status = ItemStatus::Retrying;
    again.nextAtMs = 2'000;
    m.apply({put(itemKv(again, 8))}, 8, 2'000);
    auto next = m.take(2'000);
    REQUIRE(next);
    CHECK(next->itemRevision == 8);
}

TEST_CASE("after an etcd error the item waits a second") {
    QueueMirror m(kKeys, "a", 0ms);
    m.apply({put(itemKv(item("x", "a"), 5))}, 5, 1'000);
    auto c = m.take(1'000);
    REQUIRE(c);
    m.release(*c, QueueMirror::Release::Error, 1'000);
    CHECK_FALSE(m.take(1'999));
    CHECK(m.take(2'000));
}

TEST_CASE("a claim holds until the watch shows it gone or replaced") {
    QueueMirror m(kKeys, "a", 0ms);
    m.apply({put(itemKv(item("x", "a"), 5))}, 5, 1'000);
    CHECK(m.claimHeld("x", 9)); // not seen yet
    m.apply({claimed("x", "a", 9)}, 9, 1'000);
    CHECK(m.claimHeld("x", 9));
    m.apply({removed(kKeys.claim("x"), 10)}, 10, 1'000);
    CHECK_FALSE(m.claimHeld("x", 9));
    m.apply({claimed("x", "a", 11)}, 11, 1'000); // claimed again, by this node even
    CHECK_FALSE(m.claimHeld("x", 9));
}

TEST_CASE("events the last read already had are skipped; a finished item is forgotten") {
    QueueMirror m(kKeys, "a", 0ms);
    m.reset({itemKv(item("x", "a"), 5)}, 7, 1'000);
    m.apply({removed(kKeys.item("x"), 6)}, 7, 1'000); // older than the read
    CHECK(m.counts().items == 1);
    m.apply({removed(kKeys.item("x"), 8)}, 8, 1'000);
    CHECK(m.counts().items == 0);
    CHECK_FALSE(m.take(1'000));
}

TEST_CASE("a reset keeps what workers here hold") {
    QueueMirror m(kKeys, "a", 0ms);
    m.apply({put(itemKv(item("x", "a"), 5))}, 5, 1'000);
    auto c = m.take(1'000);
    REQUIRE(c);
    m.reset({itemKv(item("x", "a"), 5)}, 20, 1'000);
    CHECK_FALSE(m.take(1'000)); // still held
    m.release(*c, QueueMirror::Release::Done, 1'000);
    CHECK(m.take(1'000));
}
