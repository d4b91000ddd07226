// The cluster's logic against a real etcd, in one process. Each "node" is
// what `faasd up` runs in cluster mode, its own etcd client, Membership,
// ClusterState, Reconciler, Scheduler and ClusterProvider, over a
// FakeContainerd in place of its containerd. A node dies as after kill -9:
// its membership stops renewing its lease and its reconciler stops; the
// rest of it is left as it was.

#include "catch_result.hpp"
#include "cluster/cluster_provider.hpp"
#include "cluster/membership.hpp"
#include "cluster/reconciler.hpp"
#include "cluster/scheduler.hpp"
#include "cluster/state.hpp"
#include "etcd/client.hpp"
#include "etcd_cluster.hpp"
#include "fake_containerd.hpp"
#include "wait.hpp"

#include <algorithm>
#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::cluster;
using namespace std::chrono_literals;
using faasd::testing::FakeContainerd;
using Clock = std::chrono::steady_clock;

namespace {

constexpr const char* kPrefix = "/t/cluster/";
constexpr const char* kNs = "openfaas-fn";
constexpr std::chrono::seconds kLeaseTtl{2};
constexpr std::chrono::milliseconds kTick{200};
constexpr std::chrono::milliseconds kRequestTimeout{1000};
// A lapsed lease seen by every node, a scheduler elected again and the
// replicas placed and started elsewhere: the TTL and a margin for a busy
// machine.
constexpr std::chrono::milliseconds kFailover = kLeaseTtl + 6s;
// A change that needs no lease to lapse: placed, reconciled, published.
constexpr std::chrono::milliseconds kConverge = 5s;

std::string nodeName(int i) {
    return fmt::format("n{}", i);
}

MembershipConfig memberConfig(int i) {
    return {.name = nodeName(i),
            .address = fmt::format("127.0.0.{}", i),
            .subnet = fmt::format("10.62.{}.0/24", i),
            .leaseTtl = kLeaseTtl};
}

api::FunctionDeployment function(const std::string& name, uint64_t replicas = 1,
                                 const std::string& image = "ghcr.io/openfaas/alpine:3.19") {
    api::FunctionDeployment d{.service = name, .image = image, .envProcess = "cat"};
    d.labels["com.openfaas.scale.min"] = std::to_string(replicas);
    return d;
}

// One node: everything but its containerd.
struct Node {
    int index = 0;
    FakeContainerd* local = nullptr;
    std::unique_ptr<etcd::Client> client;
    std::unique_ptr<ClusterState> state;
    std::unique_ptr<Membership> membership;
    std::unique_ptr<ClusterProvider> provider;
    std::unique_ptr<Reconciler> reconciler;
    std::unique_ptr<Scheduler> scheduler;

    // As Cluster::stop: the threads, then the watch that wakes them, then
    // the lease (revoked, unless abandoned).
    ~Node() {
        if (scheduler) {
            scheduler->stop();
        }
        if (reconciler) {
            reconciler->stop();
        }
        state.reset();
        scheduler.reset();
        reconciler.reset();
        provider.reset();
        membership.reset();
    }

    std::string name() const { return nodeName(index); }
    bool leading() const { return scheduler->leading(); }
    // kill -9: the lease is no longer renewed and nothing is reconciled
    // here. The scheduler is left running: what it believes no longer
    // counts, and its writes need an election key that goes with the lease.
    void die() {
        membership->abandon();
        reconciler->stop();
    }
    size_t resolved(const std::string& fn) const {
        auto r = provider->resolve(fn, kNs);
        return r ? r->size() : 0;
    }
};

// A fresh etcd per test, fakes and nodes on it.
struct Fixture {
    explicit Fixture(size_t members = 1) {
        auto started = faasd::testing::EtcdCluster::start(members);
        REQUIRE(started);
        etcd = std::move(*started);
        admin = connect();
    }

    std::unique_ptr<etcd::Client> connect() {
        auto client = etcd::Client::connect({.endpoints = etcd->clientUrls(),
                                             .dialTimeout = 2s,
                                             .requestTimeout = kRequestTimeout});
        REQUIRE(client);
        return std::move(*client);
    }

    FakeContainerd& fake(int i) {
        auto& f = fakes[i];
        if (!f) {
            f = std::make_unique<FakeContainerd>(i);
        }
        return *f;
    }

    // Node i joined and running, as Cluster::join and start() make it.
    Node& start(int i) {
        auto n = std::make_unique<Node>();
        n->index = i;
        n->local = &fake(i);
        n->client = connect();
        auto state = ClusterState::start(*n->client, keys);
        REQUIRE(state);
        n->state = std::move(*state);
        auto membership = Membership::join(*n->client, keys, memberConfig(i));
        REQUIRE(membership);
        n->membership = std::move(*membership);
        n->provider = std::make_unique<ClusterProvider>(
            *n->client, *n->state, *n->local, ClusterProviderConfig{.readinessTimeout = 10s});
        n->reconciler =
            std::make_unique<Reconciler>(*n->client, *n->state, *n->membership, *n->local, kTick);
        n->scheduler = std::make_unique<Scheduler>(*n->client, *n->state, *n->membership, kTick);
        n->reconciler->reconcileOnce();
        n->reconciler->start();
        n->scheduler->start();
        nodes[i] = std::move(n);
        return *nodes[i];
    }

    Node& node(int i) { return *nodes.at(i); }

    // Replicas of fn on each fake, by node index (0 included).
    std::map<int, uint64_t> perNode(const std::string& fn) const {
        std::map<int, uint64_t> out;
        for (const auto& [i, f] : fakes) {
            out[i] = f->replicas(fn);
        }
        return out;
    }
    uint64_t total(const std::string& fn) const {
        uint64_t n = 0;
        for (const auto& [i, count] : perNode(fn)) {
            n += count;
        }
        return n;
    }
    // The counts per node, sorted (the spread, whatever node got what).
    std::vector<uint64_t> spread(const std::string& fn) const {
        std::vector<uint64_t> out;
        for (const auto& [i, count] : perNode(fn)) {
            out.push_back(count);
        }
        std::sort(out.begin(), out.end());
        return out;
    }
    int leaders(const std::vector<int>& among) {
        int n = 0;
        for (int i : among) {
            n += node(i).leading() ? 1 : 0;
        }
        return n;
    }
    std::optional<Placement> placement(const std::string& fn) {
        auto kv = admin->get(keys.placement({fn, kNs}));
        REQUIRE(kv);
        if (!*kv) {
            return std::nullopt;
        }
        auto p = parsePlacement((*kv)->value);
        REQUIRE(p);
        return *p;
    }

    std::unique_ptr<faasd::testing::EtcdCluster> etcd;
    std::unique_ptr<etcd::Client> admin;
    const Keys keys{kPrefix}; // the memberships hold it
    std::map<int, std::unique_ptr<FakeContainerd>> fakes;
    std::map<int, std::unique_ptr<Node>> nodes; // destroyed first
};

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace

TEST_CASE("one node schedules at a time; another takes over when its lease lapses",
          "[cluster][scheduler]") {
    Fixture f;
    for (int i : {1, 2, 3}) {
        f.start(i);
    }
    const std::vector<int> all = {1, 2, 3};
    REQUIRE(waitUntil([&] { return f.leaders(all) == 1; }, 5s));
    CHECK(holdsFor([&] { return f.leaders(all) == 1; }, 2s, 2ms));

    int old = 0;
    for (int i : all) {
        old = f.node(i).leading() ? i : old;
    }
    auto leader = f.admin->leader(f.keys.election());
    REQUIRE(leader);
    REQUIRE(*leader);
    CHECK((*leader)->value == nodeName(old));
    const std::string oldKey = (*leader)->key;

    f.node(old).membership->abandon();
    const auto abandoned = Clock::now();
    std::vector<int> others;
    for (int i : all) {
        if (i != old) {
            others.push_back(i);
        }
    }
    // Sampled in a tight loop while the lease lapses and another is elected.
    int most = 0;
    REQUIRE(waitUntil(
        [&] {
            const int n = f.leaders(others);
            most = std::max(most, n);
            return n == 1;
        },
        kFailover, 1ms));
    const auto took = Clock::now() - abandoned;
    CHECK(most == 1);
    // Not before the lease lapsed: renewed last at most a third of the TTL
    // before it was abandoned.
    CHECK(took >= kLeaseTtl / 2);
    auto oldKv = f.admin->get(oldKey);
    REQUIRE(oldKv);
    CHECK_FALSE(*oldKv);
    CHECK(holdsFor(
        [&] {
            const int n = f.leaders(others);
            most = std::max(most, n);
            return n == 1;
        },
        1s, 2ms));
    CHECK(most == 1);
    int next = 0;
    for (int i : others) {
        next = f.node(i).leading() ? i : next;
    }

    // The old leader's writes, guarded as its scheduler's are, fail.
    const api::FunctionRef late{"late", kNs};
    auto guarded =
        f.node(old).client->txn({etcd::Compare::exists(oldKey)},
                                {etcd::Operation::put(f.keys.placement(late), "{\"n1\":1}")});
    REQUIRE(guarded);
    CHECK_FALSE(guarded->succeeded);

    // Given something to place, its scheduler finds its write refused and
    // stops leading; the new one places the function on the live nodes.
    FunctionRecord record{.deployment = function("late", 2), .replicas = 2};
    record.deployment.ns = kNs;
    REQUIRE(f.admin->put(f.keys.function(late), toJson(record)));
    REQUIRE(waitUntil([&] { return !f.node(old).leading(); }, kConverge));
    CHECK(f.node(next).leading());
    CHECK(f.leaders(all) == 1);
    REQUIRE(waitUntil([&] { return f.placement("late").has_value(); }, kConverge));
    CHECK(*f.placement("late") == Placement{{nodeName(others[0]), 1}, {nodeName(others[1]), 1}});
}

TEST_CASE("a function's replicas are spread over the nodes, scaled, updated and removed",
          "[cluster][placement]") {
    Fixture f;
    for (int i : {1, 2, 3}) {
        f.start(i);
    }
    ClusterProvider& gateway = *f.node(1).provider;

    REQUIRE(gateway.deploy(function("echo", 3)));
    REQUIRE(waitUntil(
        [&] {
            return f.spread("echo") == std::vector<uint64_t>{1, 1, 1};
        },
        kConverge));
    for (int i : {1, 2, 3}) {
        INFO("node " << i);
        Node& n = f.node(i);
        REQUIRE(waitUntil([&] { return n.resolved("echo") == 3; }, kConverge));
        auto endpoints = n.provider->resolve("echo", kNs);
        REQUIRE(endpoints);
        std::set<std::string> ips;
        for (const auto& e : *endpoints) {
            ips.insert(e.ip);
        }
        CHECK(ips == std::set<std::string>{"10.62.1.2", "10.62.2.2", "10.62.3.2"});
        auto status = n.provider->get("echo", kNs);
        REQUIRE(status);
        CHECK(status->replicas == 3);
        CHECK(status->availableReplicas == 3);
    }

    // Scaling returns when the count is served.
    REQUIRE(gateway.scale("echo", kNs, 5));
    CHECK(f.total("echo") == 5);
    CHECK(f.spread("echo") == std::vector<uint64_t>{1, 2, 2});
    for (int i : {1, 2, 3}) {
        INFO("node " << i);
        CHECK(waitUntil([&] { return f.node(i).resolved("echo") == 5; }, kConverge));
    }

    REQUIRE(gateway.scale("echo", kNs, 0));
    CHECK(f.total("echo") == 0);
    for (int i : {1, 2, 3}) {
        INFO("node " << i);
        CHECK(f.fake(i).functions().empty());
        // Known, with no replica, once this node has seen it.
        CHECK(waitUntil(
            [&] {
                auto endpoints = f.node(i).provider->resolve("echo", kNs);
                return endpoints && endpoints->empty();
            },
            kConverge));
        auto status = f.node(i).provider->get("echo", kNs);
        REQUIRE(status);
        CHECK(status->replicas == 0);
    }

    REQUIRE(gateway.scale("echo", kNs, 3));
    CHECK(f.spread("echo") == std::vector<uint64_t>{1, 1, 1});
    auto before = f.fake(1).deployment("echo");
    REQUIRE(before);
    const auto oldGeneration = before->labels.at(kGenerationLabel);

    const std::string image = "ghcr.io/openfaas/alpine:3.20";
    REQUIRE(gateway.update(function("echo", 3, image)));
    std::string newGeneration;
    REQUIRE(waitUntil(
        [&] {
            std::set<std::string> generations;
            for (int i : {1, 2, 3}) {
                auto d = f.fake(i).deployment("echo");
                if (!d || d->image != image) {
                    return false;
                }
                generations.insert(d->labels.at(kGenerationLabel));
            }
            newGeneration = *generations.begin();
            return generations.size() == 1;
        },
        kConverge));
    CHECK(newGeneration != oldGeneration);
    CHECK(f.spread("echo") == std::vector<uint64_t>{1, 1, 1});
    for (int i : {1, 2, 3}) {
        INFO("node " << i);
        CHECK(waitUntil(
            [&] {
                auto status = f.node(i).provider->get("echo", kNs);
                return status && status->image == image && status->availableReplicas == 3;
            },
            kConverge));
    }

    REQUIRE(gateway.remove("echo", kNs));
    REQUIRE(waitUntil(
        [&] {
            return f.fake(1).functions().empty() && f.fake(2).functions().empty() &&
                   f.fake(3).functions().empty();
        },
        kConverge));
    for (int i : {1, 2, 3}) {
        INFO("node " << i);
        CHECK(waitUntil(
            [&] {
                auto r = f.node(i).provider->resolve("echo", kNs);
                return !r && r.error().code() == Code::NotFound;
            },
            kConverge));
    }
    CHECK_FALSE(f.placement("echo"));
}

TEST_CASE("a function scaled to zero is updated at once", "[cluster][placement]") {
    Fixture f;
    for (int i : {1, 2}) {
        f.start(i);
    }
    ClusterProvider& gateway = *f.node(1).provider;
    REQUIRE(gateway.deploy(function("idle", 2)));
    REQUIRE(gateway.scale("idle", kNs, 0));
    const auto started = Clock::now();
    const std::string image = "ghcr.io/openfaas/alpine:3.20";
    auto updated = gateway.update(function("idle", 2, image));
    CHECK(updated);
    CHECK(Clock::now() - started < 3s);
    auto status = gateway.get("idle", kNs);
    REQUIRE(status);
    CHECK(status->image == image);
    CHECK(status->replicas == 0);
    // Scaled up, it runs the new image.
    REQUIRE(gateway.scale("idle", kNs, 2));
    auto d = f.fake(1).deployment("idle");
    REQUIRE(d);
    CHECK(d->image == image);
}

TEST_CASE("a dead node's replicas are placed again; back, it takes its name and sheds the rest",
          "[cluster][failover]") {
    Fixture f;
    for (int i : {1, 2, 3}) {
        f.start(i);
    }
    ClusterProvider& gateway = *f.node(1).provider;
    REQUIRE(gateway.deploy(function("echo", 3)));
    REQUIRE(waitUntil(
        [&] {
            return f.spread("echo") == std::vector<uint64_t>{1, 1, 1};
        },
        kConverge));
    REQUIRE(waitUntil([&] { return f.node(1).resolved("echo") == 3; }, kConverge));

    f.node(3).die();
    auto fromElsewhere = [&](int i) {
        auto endpoints = f.node(i).provider->resolve("echo", kNs);
        if (!endpoints || endpoints->size() != 3) {
            return false;
        }
        return std::none_of(endpoints->begin(), endpoints->end(), [](const provider::Endpoint& e) {
            return e.ip.starts_with("10.62.3.");
        });
    };
    REQUIRE(waitUntil(
        [&] {
            return f.fake(1).replicas("echo") + f.fake(2).replicas("echo") == 3 &&
                   fromElsewhere(1) && fromElsewhere(2);
        },
        kFailover));
    CHECK(f.fake(3).replicas("echo") == 1); // nothing ran its reconciler since
    CHECK(*f.placement("echo") ==
          Placement{{"n1", f.fake(1).replicas("echo")}, {"n2", f.fake(2).replicas("echo")}});
    auto status = gateway.get("echo", kNs);
    REQUIRE(status);
    CHECK(status->availableReplicas == 3);

    // Back with the same name and address: it removes from its containerd
    // what is no longer placed there before it serves.
    f.nodes.erase(3);
    Node& back = f.start(3);
    CHECK(back.membership->registered());
    CHECK(f.fake(3).replicas("echo") == 0);
    auto calls = f.fake(3).calls();
    CHECK(std::count(calls.begin(), calls.end(), "remove echo") == 1);
    CHECK(f.total("echo") == 3);
    CHECK(holdsFor([&] { return f.total("echo") == 3 && f.fake(3).replicas("echo") == 0; }, 1s));
    CHECK(back.resolved("echo") == 3);
}

TEST_CASE("failed and refused changes leave nothing behind", "[cluster][errors]") {
    Fixture f;
    for (int i : {1, 2, 3}) {
        f.start(i);
    }
    ClusterProvider& gateway = *f.node(1).provider;

    SECTION("a deploy that fails on every node returns the node's error and leaves no record") {
        const std::string broken = "ghcr.io/openfaas/broken:1";
        for (int i : {1, 2, 3}) {
            f.fake(i).failImage(broken);
        }
        auto deployed = gateway.deploy(function("broken", 3, broken));
        REQUIRE_FALSE(deployed);
        CHECK(deployed.error().code() == Code::FailedPrecondition);
        CHECK(contains(deployed.error().message(), "deploying broken: on node n"));
        CHECK(contains(deployed.error().message(), "pulling " + broken + ": not found"));
        const api::FunctionRef ref{"broken", kNs};
        auto record = f.admin->get(f.keys.function(ref));
        REQUIRE(record);
        CHECK_FALSE(*record);
        CHECK(waitUntil(
            [&] {
                auto left = f.admin->getPrefix(f.keys.endpoints(ref));
                return !f.placement("broken") && left && left->kvs.empty();
            },
            kConverge));
        for (int i : {1, 2, 3}) {
            INFO("node " << i);
            CHECK(waitUntil(
                [&] {
                    auto got = f.node(i).provider->get("broken", kNs);
                    return !got && got.error().code() == Code::NotFound;
                },
                kConverge));
            CHECK(f.fake(i).functions().empty());
        }
    }

    SECTION("deploying a function that exists is AlreadyExists") {
        REQUIRE(gateway.deploy(function("echo")));
        auto again = f.node(2).provider->deploy(function("echo", 2));
        REQUIRE_FALSE(again);
        CHECK(again.error().code() == Code::AlreadyExists);
        CHECK(f.total("echo") == 1);
    }

    SECTION("secrets: a missing one fails the deploy; they reach only the nodes that use them") {
        auto missing = gateway.deploy([] {
            auto d = function("needs");
            d.secrets = {"api-key"};
            return d;
        }());
        REQUIRE_FALSE(missing);
        CHECK(missing.error().code() == Code::FailedPrecondition);
        CHECK(contains(missing.error().message(), "api-key"));
        auto record = f.admin->get(f.keys.function({"needs", kNs}));
        REQUIRE(record);
        CHECK_FALSE(*record);

        REQUIRE(gateway.createSecret({.name = "api-key", .ns = kNs, .value = "s3cret"}));
        auto d = function("needs", 2);
        d.secrets = {"api-key"};
        REQUIRE(gateway.deploy(d));
        REQUIRE(waitUntil(
            [&] {
                return f.spread("needs") == std::vector<uint64_t>{0, 1, 1};
            },
            kConverge));
        for (int i : {1, 2, 3}) {
            INFO("node " << i);
            const bool runs = f.fake(i).replicas("needs") > 0;
            CHECK(f.fake(i).hasSecret("api-key") == runs);
            if (runs) {
                CHECK(f.fake(i).secretValue("api-key") == "s3cret");
            }
        }
        REQUIRE(gateway.remove("needs", kNs));
        CHECK(waitUntil(
            [&] {
                return !f.fake(1).hasSecret("api-key") && !f.fake(2).hasSecret("api-key") &&
                       !f.fake(3).hasSecret("api-key");
            },
            kConverge));
    }

    SECTION("a node's subnet and name are its own") {
        auto config = memberConfig(4);
        config.subnet = memberConfig(1).subnet;
        auto client = f.connect();
        auto sameSubnet = Membership::join(*client, f.keys, config);
        REQUIRE_FALSE(sameSubnet);
        CHECK(sameSubnet.error().code() == Code::FailedPrecondition);
        CHECK(contains(sameSubnet.error().message(), "10.62.1.0/24"));
        CHECK(contains(sameSubnet.error().message(), "n1"));

        config = memberConfig(1);
        config.address = "127.0.0.99";
        auto otherAddress = Membership::join(*client, f.keys, config);
        REQUIRE_FALSE(otherAddress);
        CHECK(otherAddress.error().code() == Code::FailedPrecondition);
        CHECK(contains(otherAddress.error().message(), "in use by the node at 127.0.0.1"));
        auto n1 = f.admin->get(f.keys.node("n1"));
        REQUIRE(n1);
        REQUIRE(*n1);
        CHECK((*n1)->lease == f.node(1).membership->leaseId());
    }

    SECTION("a node restarted before its lease lapsed takes its name back, the old lease revoked") {
        auto client = f.connect();
        auto first = Membership::join(*client, f.keys, memberConfig(7));
        REQUIRE(first);
        const auto oldLease = (*first)->leaseId();
        (*first)->abandon();
        auto second = Membership::join(*client, f.keys, memberConfig(7));
        REQUIRE(second);
        CHECK((*second)->leaseId() != oldLease);
        auto ttl = f.admin->leaseTimeToLive(oldLease);
        REQUIRE_FALSE(ttl);
        CHECK(ttl.error().code() == Code::NotFound);
        auto n7 = f.admin->get(f.keys.node("n7"));
        REQUIRE(n7);
        REQUIRE(*n7);
        CHECK((*n7)->lease == (*second)->leaseId());
    }
}

TEST_CASE("without etcd, nodes serve from memory and refuse changes; with it back, they rejoin",
          "[cluster][etcd]") {
    Fixture f;
    for (int i : {1, 2}) {
        f.start(i);
    }
    ClusterProvider& gateway = *f.node(1).provider;
    REQUIRE(gateway.deploy(function("echo", 2)));
    for (int i : {1, 2}) {
        REQUIRE(waitUntil([&] { return f.node(i).resolved("echo") == 2; }, kConverge));
    }
    const auto generation1 = f.node(1).membership->generation();
    const auto lease1 = f.node(1).membership->leaseId();

    REQUIRE(f.etcd->pause(0));
    for (int i : {1, 2}) {
        CHECK(f.node(i).resolved("echo") == 2);
    }
    auto refused = [&](const std::function<Result<void>()>& change) {
        const auto started = Clock::now();
        auto result = change();
        const auto took = Clock::now() - started;
        REQUIRE_FALSE(result);
        INFO(result.error().message());
        CHECK(result.error().code() == Code::Unavailable);
        CHECK(contains(result.error().message(), "etcd"));
        CHECK(took < kRequestTimeout + 1s);
    };
    refused([&] { return gateway.deploy(function("late")); });
    refused([&] { return f.node(2).provider->scale("echo", kNs, 3); });

    // Longer than the leases: the nodes know they lost them, and still serve.
    REQUIRE(waitUntil(
        [&] { return !f.node(1).membership->registered() && !f.node(2).membership->registered(); },
        kLeaseTtl + 3s));
    for (int i : {1, 2}) {
        CHECK(f.node(i).resolved("echo") == 2);
    }
    refused([&] { return gateway.scale("echo", kNs, 1); });

    f.etcd->resume(0);
    REQUIRE(waitUntil(
        [&] { return f.node(1).membership->registered() && f.node(2).membership->registered(); },
        10s));
    CHECK(f.node(1).membership->generation() > generation1);
    CHECK(f.node(1).membership->leaseId() != lease1);
    for (int i : {1, 2}) {
        INFO("node " << i);
        auto kv = f.admin->get(f.keys.node(nodeName(i)));
        REQUIRE(kv);
        REQUIRE(*kv);
        CHECK((*kv)->lease == f.node(i).membership->leaseId());
        CHECK(waitUntil([&] { return f.node(i).resolved("echo") == 2; }, kConverge));
    }
    REQUIRE(gateway.deploy(function("other", 2)));
    REQUIRE(gateway.scale("echo", kNs, 3));
    CHECK(f.total("echo") == 3);
    CHECK(f.total("other") == 2);

    // A change that timed out is of unknown outcome: etcd, resumed, may
    // still apply a request it had received. Then it is carried out as
    // any other, not left half made.
    auto late = f.admin->get(f.keys.function({"late", kNs}));
    REQUIRE(late);
    if (*late) {
        CHECK(waitUntil([&] { return f.total("late") == 1; }, kConverge));
        CHECK(waitUntil([&] { return f.node(1).resolved("late") == 1; }, kConverge));
    }
}
