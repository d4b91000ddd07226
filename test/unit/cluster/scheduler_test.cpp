#include "cluster/scheduler.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::cluster;

namespace {

FunctionRecord record(std::string name, uint64_t replicas) {
    FunctionRecord r{.replicas = replicas};
    r.deployment.service = std::move(name);
    r.deployment.ns = "openfaas-fn";
    r.deployment.image = "faasd.test/echo:1";
    return r;
}

// The placement each put writes, by key.
std::map<std::string, Placement> puts(const std::vector<etcd::Operation>& ops) {
    std::map<std::string, Placement> out;
    for (const auto& op : ops) {
        if (op.kind == etcd::Operation::Kind::Put) {
            out[op.key] = parsePlacement(op.value).value();
        }
    }
    return out;
}

} // namespace

TEST_CASE("the plan places new functions, re-places a dead node's replicas and drops the "
          "placements of removed functions",
          "[cluster]") {
    Keys keys;
    Snapshot s;
    for (const auto* name : {"a", "b"}) {
        s.nodes[name] = NodeRecord{.name = name, .address = "10.0.0.1", .freeMemoryBytes = 1 << 30};
    }
    const api::FunctionRef spread{"spread", "openfaas-fn"}, pinned{"pinned", "openfaas-fn"},
        moved{"moved", "openfaas-fn"}, gone{"gone", "openfaas-fn"};
    s.functions[spread] = record("spread", 2);
    s.functions[pinned] = record("pinned", 3);
    s.functions[pinned].deployment.constraints = {"kubernetes.io/hostname=b"};
    s.functions[moved] = record("moved", 2);
    s.placements[moved] = {{"a", 1}, {"c", 1}}; // c is gone
    s.placements[gone] = {{"a", 1}};

    auto ops = Scheduler::plan(s, keys);
    auto written = puts(ops);
    CHECK(written[keys.placement(spread)] == Placement{{"a", 1}, {"b", 1}});
    CHECK(written[keys.placement(pinned)] == Placement{{"b", 3}});
    CHECK(written[keys.placement(moved)] == Placement{{"a", 1}, {"b", 1}});
    const bool removesGone = std::any_of(ops.begin(), ops.end(), [&](const auto& op) {
        return op.kind == etcd::Operation::Kind::Delete && op.key == keys.placement(gone);
    });
    CHECK(removesGone);

    // Applied, the same state plans nothing more.
    for (const auto& [key, p] : written) {
        s.placements[*keys.placementOf(key)] = p;
    }
    s.placements.erase(gone);
    CHECK(Scheduler::plan(s, keys).empty());
}

TEST_CASE("with no node a function's placement is left as it is", "[cluster]") {
    Keys keys;
    Snapshot s;
    const api::FunctionRef fn{"f", "openfaas-fn"};
    s.functions[fn] = record("f", 1);
    CHECK(Scheduler::plan(s, keys).empty());
}
