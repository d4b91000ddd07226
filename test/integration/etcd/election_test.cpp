// Elections through etcd's v3election service: one leader at a time, the
// next one when it resigns or its lease goes, and a campaign that stops.

#include "support.hpp"

#include <atomic>
#include <thread>

using namespace faasd;
using namespace faasd::etcd;
using namespace faasd::etcd::testing;

namespace {

// A campaign on a thread of its own.
class Candidate {
public:
    Candidate(Client& etcd, std::string name, int64_t lease, std::string value) {
        thread_ = std::thread([this, &etcd, name, lease, value] {
            auto r = etcd.campaign(name, lease, value, stop_);
            std::lock_guard lock(mu_);
            result_.emplace(std::move(r));
        });
    }
    ~Candidate() {
        stop_ = true;
        thread_.join();
    }
    void stop() { stop_ = true; }
    bool done() const {
        std::lock_guard lock(mu_);
        return result_.has_value();
    }
    Result<LeaderKey> result() const {
        std::lock_guard lock(mu_);
        return *result_;
    }

private:
    std::atomic<bool> stop_{false};
    mutable std::mutex mu_;
    std::optional<Result<LeaderKey>> result_;
    std::thread thread_;
};

std::optional<std::string> leaderValue(Client& etcd, const std::string& name) {
    auto l = etcd.leader(name);
    REQUIRE(l);
    if (!l->has_value()) {
        return std::nullopt;
    }
    return (*l)->value;
}

} // namespace

TEST_CASE("the first candidate leads, the second waits and leads once it resigns",
          "[etcd][election]") {
    Cluster c;
    auto& etcd = *c.client;
    CHECK(leaderValue(etcd, "/e/sched") == std::nullopt);

    auto leaseA = etcd.grantLease(30s);
    auto leaseB = etcd.grantLease(30s);
    REQUIRE(leaseA);
    REQUIRE(leaseB);
    std::atomic<bool> never{false};
    auto a = etcd.campaign("/e/sched", *leaseA, "node-a", never);
    REQUIRE(a);
    CHECK(a->name == "/e/sched");
    CHECK(a->lease == *leaseA);
    CHECK(a->key.rfind("/e/sched/", 0) == 0);
    CHECK(a->revision > 0);
    CHECK(leaderValue(etcd, "/e/sched") == "node-a");

    Candidate b(etcd, "/e/sched", *leaseB, "node-b");
    CHECK(holdsFor([&] { return !b.done(); }, 500ms));
    CHECK(leaderValue(etcd, "/e/sched") == "node-a");

    REQUIRE(etcd.resign(*a));
    REQUIRE(waitUntil([&] { return b.done(); }, 5s));
    auto led = b.result();
    REQUIRE(led);
    CHECK(led->lease == *leaseB);
    CHECK(leaderValue(etcd, "/e/sched") == "node-b");
}

TEST_CASE("when the leader's lease goes, the next candidate leads", "[etcd][election]") {
    Cluster c;
    auto& etcd = *c.client;
    auto other = connectTo(c.etcd->clientUrls());
    auto leaseA = etcd.grantLease(30s);
    auto leaseB = other->grantLease(30s);
    REQUIRE(leaseA);
    REQUIRE(leaseB);
    std::atomic<bool> never{false};
    REQUIRE(etcd.campaign("/e/x", *leaseA, "a", never));

    Candidate b(*other, "/e/x", *leaseB, "b");
    CHECK(holdsFor([&] { return !b.done(); }, 300ms));
    REQUIRE(etcd.revokeLease(*leaseA));
    REQUIRE(waitUntil([&] { return b.done(); }, 5s));
    REQUIRE(b.result());
    CHECK(leaderValue(etcd, "/e/x") == "b");
}

TEST_CASE("a campaign stops promptly, Cancelled, when asked to", "[etcd][election]") {
    Cluster c;
    auto& etcd = *c.client;
    auto leaseA = etcd.grantLease(30s);
    auto leaseB = etcd.grantLease(30s);
    REQUIRE(leaseA);
    REQUIRE(leaseB);
    std::atomic<bool> never{false};
    auto a = etcd.campaign("/e/y", *leaseA, "a", never);
    REQUIRE(a);

    Candidate b(etcd, "/e/y", *leaseB, "b");
    CHECK(holdsFor([&] { return !b.done(); }, 300ms));
    const auto asked = std::chrono::steady_clock::now();
    b.stop();
    REQUIRE(waitUntil([&] { return b.done(); }, 2s));
    CHECK(std::chrono::steady_clock::now() - asked < 1s);
    auto r = b.result();
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Code::Cancelled);

    // The stopped candidate left no key behind: once the leader resigns
    // there is none.
    REQUIRE(etcd.resign(*a));
    REQUIRE(waitUntil([&] { return leaderValue(etcd, "/e/y") == std::nullopt; }, 3s));

    // A stop flag already set: no campaign at all.
    std::atomic<bool> stopped{true};
    auto none = etcd.campaign("/e/y", *leaseB, "b", stopped);
    REQUIRE_FALSE(none);
    CHECK(none.error().code() == Code::Cancelled);

    // A campaign with an expired lease is NotFound.
    REQUIRE(etcd.revokeLease(*leaseB));
    auto expired = etcd.campaign("/e/y", *leaseB, "b", never);
    REQUIRE_FALSE(expired);
    CHECK(expired.error().code() == Code::NotFound);
}
