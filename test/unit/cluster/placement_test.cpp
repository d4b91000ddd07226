#include "cluster/placement.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::cluster;

namespace {

constexpr uint64_t kGiB = 1ull << 30;

std::vector<NodeLoad> nodes(std::initializer_list<std::pair<const char*, uint64_t>> list) {
    std::vector<NodeLoad> out;
    for (const auto& [name, free] : list) {
        out.push_back({.name = name, .freeMemoryBytes = free});
    }
    return out;
}

} // namespace

TEST_CASE("replicas spread one per node before any node gets a second", "[cluster]") {
    auto live = nodes({{"a", 4 * kGiB}, {"b", 2 * kGiB}, {"c", 8 * kGiB}});
    auto p = place({.replicas = 3}, live);
    CHECK(p == Placement{{"a", 1}, {"b", 1}, {"c", 1}});

    auto again = nodes({{"a", 4 * kGiB}, {"b", 2 * kGiB}, {"c", 8 * kGiB}});
    auto five = place({.replicas = 5}, again);
    CHECK(placed(five) == 5);
    for (const auto& [node, n] : five) {
        CHECK(n >= 1);
        CHECK(n <= 2);
    }
    // The two extra replicas go where the most memory is free.
    CHECK(five.at("c") == 2);
    CHECK(five.at("a") == 2);
    CHECK(five.at("b") == 1);
}

TEST_CASE("one replica goes to the node with the most free memory", "[cluster]") {
    auto live = nodes({{"a", 1 * kGiB}, {"b", 6 * kGiB}, {"c", 3 * kGiB}});
    CHECK(place({.replicas = 1}, live) == Placement{{"b", 1}});
    // That node's free memory is now less by the replica's memory, and the
    // next function goes elsewhere when it has the same free memory.
    auto equal = nodes({{"a", 2 * kGiB}, {"b", 2 * kGiB}});
    auto first = place({.replicas = 1, .memoryPerReplica = 512ull << 20}, equal);
    auto second = place({.replicas = 1, .memoryPerReplica = 512ull << 20}, equal);
    CHECK(first != second);
}

TEST_CASE("replicas stay where they are while the count allows", "[cluster]") {
    auto live = nodes({{"a", 1 * kGiB}, {"b", 9 * kGiB}, {"c", 9 * kGiB}});
    auto p = place({.replicas = 2, .current = {{"a", 1}, {"c", 1}}}, live);
    CHECK(p == Placement{{"a", 1}, {"c", 1}});
}

TEST_CASE("a dead node's replicas are placed again on the survivors", "[cluster]") {
    auto survivors = nodes({{"a", 4 * kGiB}, {"c", 4 * kGiB}});
    auto p = place({.replicas = 3, .current = {{"a", 1}, {"b", 1}, {"c", 1}}}, survivors);
    CHECK(placed(p) == 3);
    CHECK_FALSE(p.contains("b"));
    CHECK(p.at("a") + p.at("c") == 3);
}

TEST_CASE("scaling down takes replicas from the node with the most of them", "[cluster]") {
    auto live = nodes({{"a", 4 * kGiB}, {"b", 4 * kGiB}});
    auto p = place({.replicas = 2, .current = {{"a", 3}, {"b", 1}}}, live);
    CHECK(p == Placement{{"a", 1}, {"b", 1}});
    auto none = place({.replicas = 0, .current = {{"a", 1}, {"b", 1}}}, live);
    CHECK(none.empty());
}

TEST_CASE("the nodes' load carries over from one function to the next", "[cluster]") {
    auto live = nodes({{"a", 4 * kGiB}, {"b", 4 * kGiB}});
    std::map<std::string, uint64_t> count;
    for (int i = 0; i < 10; ++i) {
        for (const auto& [node, n] : place({.replicas = 1}, live)) {
            count[node] += n;
        }
    }
    CHECK(count["a"] == 5);
    CHECK(count["b"] == 5);
}

TEST_CASE("no live node: nothing is placed", "[cluster]") {
    std::vector<NodeLoad> none;
    CHECK(place({.replicas = 3, .current = {{"a", 3}}}, none).empty());
}

TEST_CASE("memory per replica comes from the limit, then the request", "[cluster]") {
    api::FunctionDeployment d;
    CHECK(memoryPerReplica(d) == 0);
    d.requests = api::Resources{.memory = "64Mi"};
    CHECK(memoryPerReplica(d) == 64ull << 20);
    d.limits = api::Resources{.memory = "128Mi"};
    CHECK(memoryPerReplica(d) == 128ull << 20);
}

TEST_CASE("constraints naming nodes restrict where replicas go", "[cluster]") {
    api::FunctionDeployment d;
    CHECK_FALSE(allowedNodes(d));
    d.constraints = {"kubernetes.io/arch=amd64"}; // not a node's name: no restriction
    CHECK_FALSE(allowedNodes(d));
    d.constraints = {"kubernetes.io/hostname=vm-a"};
    CHECK(allowedNodes(d) == std::set<std::string>{"vm-a"});
    d.constraints = {"node.hostname == vm-b", "faasd.node=vm-c"};
    CHECK(allowedNodes(d) == std::set<std::string>{"vm-b", "vm-c"});
}
