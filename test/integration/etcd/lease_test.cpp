// Leases and the LeaseKeeper against a real etcd (its leases may be as
// short as 1 s with the harness's election timeout).

#include "support.hpp"

#include <atomic>

using namespace faasd;
using namespace faasd::etcd;
using namespace faasd::etcd::testing;

namespace {

bool gone(Client& etcd, const std::string& key) {
    auto got = etcd.get(key);
    return got && !got->has_value();
}

} // namespace

TEST_CASE("a lease's keys go when it is revoked; then it is NotFound", "[etcd][lease]") {
    Cluster c;
    auto& etcd = *c.client;
    auto lease = etcd.grantLease(30s);
    REQUIRE(lease);
    CHECK(*lease != 0);
    REQUIRE(etcd.put("/l/a", "a", *lease));
    REQUIRE(etcd.put("/l/b", "b", *lease));
    auto got = etcd.get("/l/a");
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK((*got)->lease == *lease);

    auto ttl = etcd.leaseTimeToLive(*lease);
    REQUIRE(ttl);
    CHECK(*ttl > 0s);
    CHECK(*ttl <= 30s);
    auto renewed = etcd.keepAliveOnce(*lease);
    REQUIRE(renewed);
    CHECK(*renewed == 30s);

    REQUIRE(etcd.revokeLease(*lease));
    CHECK(gone(etcd, "/l/a")); // at once, not eventually
    CHECK(gone(etcd, "/l/b"));

    auto again = etcd.revokeLease(*lease);
    REQUIRE_FALSE(again);
    CHECK(again.error().code() == Code::NotFound);
    auto renew = etcd.keepAliveOnce(*lease);
    REQUIRE_FALSE(renew);
    CHECK(renew.error().code() == Code::NotFound);
    auto left = etcd.leaseTimeToLive(*lease);
    REQUIRE_FALSE(left);
    CHECK(left.error().code() == Code::NotFound);
    auto put = etcd.put("/l/c", "c", *lease);
    REQUIRE_FALSE(put);
    CHECK(put.error().code() == Code::NotFound);
}

TEST_CASE("a lease chosen by id; a key of an unrenewed lease goes after its TTL", "[etcd][lease]") {
    Cluster c;
    auto& etcd = *c.client;
    auto lease = etcd.grantLease(1s, 0x42);
    REQUIRE(lease);
    CHECK(*lease == 0x42);
    auto duplicate = etcd.grantLease(1s, 0x42);
    REQUIRE_FALSE(duplicate);

    REQUIRE(etcd.put("/l/short", "v", *lease));
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(waitUntil([&] { return gone(etcd, "/l/short"); }, 5s, 50ms));
    CHECK(std::chrono::steady_clock::now() - started >= 500ms);

    auto left = etcd.leaseTimeToLive(*lease);
    REQUIRE_FALSE(left);
    CHECK(left.error().code() == Code::NotFound);
    auto renew = etcd.keepAliveOnce(*lease);
    REQUIRE_FALSE(renew);
    CHECK(renew.error().code() == Code::NotFound);
}

TEST_CASE("a LeaseKeeper keeps a 2 s lease past two TTLs, and revokes it when destroyed",
          "[etcd][lease][keeper]") {
    Cluster c;
    auto& etcd = *c.client;
    std::atomic<int> lost{0};
    auto keeper = LeaseKeeper::start(etcd, 2s, [&] { ++lost; });
    REQUIRE(keeper);
    const int64_t id = (*keeper)->id();
    REQUIRE(etcd.put("/l/kept", "v", id));

    // A steady state: sampled throughout 2.5 TTLs.
    CHECK(holdsFor([&] { return !gone(etcd, "/l/kept") && (*keeper)->alive(); }, 5s, 200ms));
    CHECK(lost == 0);
    auto ttl = etcd.leaseTimeToLive(id);
    REQUIRE(ttl);
    CHECK(*ttl > 0s);

    keeper->reset();
    CHECK(gone(etcd, "/l/kept"));
    auto left = etcd.leaseTimeToLive(id);
    REQUIRE_FALSE(left);
    CHECK(left.error().code() == Code::NotFound);
    CHECK(lost == 0);
}

TEST_CASE("a LeaseKeeper whose lease is revoked elsewhere calls onLost once",
          "[etcd][lease][keeper]") {
    Cluster c;
    auto other = connectTo(c.etcd->clientUrls());
    std::atomic<int> lost{0};
    auto keeper = LeaseKeeper::start(*c.client, 2s, [&] { ++lost; });
    REQUIRE(keeper);
    CHECK((*keeper)->alive());

    REQUIRE(other->revokeLease((*keeper)->id()));
    REQUIRE(waitUntil([&] { return lost.load() > 0; }, 3s));
    CHECK_FALSE((*keeper)->alive());
    // It stopped: nothing more is reported.
    CHECK(holdsFor([&] { return lost.load() == 1; }, 1500ms));
    keeper->reset();
    CHECK(lost == 1);
}

TEST_CASE("an abandoned LeaseKeeper lets its lease lapse without revoking it",
          "[etcd][lease][keeper]") {
    Cluster c;
    auto& etcd = *c.client;
    std::atomic<int> lost{0};
    auto keeper = LeaseKeeper::start(etcd, 1s, [&] { ++lost; });
    REQUIRE(keeper);
    REQUIRE(etcd.put("/l/abandoned", "v", (*keeper)->id()));
    (*keeper)->abandon();
    CHECK_FALSE((*keeper)->alive());
    keeper->reset(); // does not revoke
    CHECK_FALSE(gone(etcd, "/l/abandoned"));
    REQUIRE(waitUntil([&] { return gone(etcd, "/l/abandoned"); }, 5s, 50ms));
    CHECK(lost == 0);
}
