#pragma once

// The invocation counters of every node's gateway, for the scaler on the
// elected node: calls made through any node count, not only through this
// one's. This gateway's own counters are read as they are; every other
// node in the cluster is asked for GET /system/function-counters at most
// once per refresh, when the scaler reads (so nothing is asked on the
// nodes that do not lead), all nodes at once, each within timeout. Their
// answers are merged by CounterMerge (counter_merge.hpp): the result only
// grows, across a node's restart or departure, and a leader change is not
// a burst. A node that does not answer is skipped for the round (a warning
// when it starts failing, one when it answers again).
//
// Every node of a cluster admits the same basic-auth credential; the
// gateways are asked over plain HTTP at each node's address and port.
//
//   ClusterCounters counters(gateway.metrics(), peersOf(cluster),
//                            {.user = creds.user, .password = creds.password});
//   Scaler scaler(config, provider, counters);

#include "cluster/counter_merge.hpp"
#include "cluster/state.hpp"
#include "common/error.hpp"
#include "ports/invocation_counters.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace faasd::cluster {

class Cluster;

// Another node's gateway.
struct Peer {
    std::string node;
    std::string host;
    uint16_t port = 8080;
    bool operator==(const Peer&) const = default;
};

// The nodes of s other than self.
std::vector<Peer> peersOf(const Snapshot& s, const std::string& self);
// The other nodes of cluster as its watch sees them when asked; valid
// while the cluster runs (the scaler is stopped before it).
std::function<std::vector<Peer>()> peersOf(const Cluster& cluster);

struct ClusterCountersConfig {
    std::string user; // the cluster's basic auth
    std::string password;
    std::chrono::milliseconds refresh{1'000};      // the others are asked at most this often
    std::chrono::milliseconds timeout{500};        // to connect, and to read the answer
    std::chrono::milliseconds forgetAfter{10'000}; // CounterMerge's
};

class ClusterCounters final : public gateway::InvocationCounters {
public:
    using Peers = std::function<std::vector<Peer>()>;
    // One node's answer (tests replace the HTTP call).
    using Fetch = std::function<Result<CounterTable>(const Peer&)>;
    using Now = std::function<std::chrono::steady_clock::time_point()>;

    ClusterCounters(const gateway::InvocationCounters& local, Peers peers,
                    ClusterCountersConfig config, Fetch fetch = {}, Now now = {});

    std::map<api::FunctionRef, Snapshot> all() const override;
    std::optional<Snapshot> get(api::FunctionRefView function) const override;

    // GET /system/function-counters of peer's gateway.
    static Result<CounterTable> fetchOverHttp(const Peer& peer,
                                              const ClusterCountersConfig& config);

private:
    // Asks the other nodes when the last round is older than refresh.
    // Called with mu_ held.
    void refresh(std::chrono::steady_clock::time_point now) const;

    const gateway::InvocationCounters& local_;
    Peers peers_;
    ClusterCountersConfig config_;
    Fetch fetch_;
    Now now_;

    mutable std::mutex mu_;
    mutable CounterMerge merge_;
    mutable std::optional<std::chrono::steady_clock::time_point> askedAt_;
    mutable std::map<std::string, std::string> failing_; // node -> its error, warned once
};

} // namespace faasd::cluster
