#include "cluster/cluster.hpp"

#include "api/json.hpp"
#include "cluster/logger.hpp"
#include "network/blocked_routes.hpp"
#include "network/peer_routes.hpp"

#include <arpa/inet.h>
#include <nlohmann/json.hpp>

namespace faasd::cluster {

namespace {

// Ready replicas per node, per function.
std::map<std::string, std::map<std::string, uint64_t>> readyPerNode(const Snapshot& s) {
    std::map<std::string, std::map<std::string, uint64_t>> out;
    for (const auto& [fn, nodes] : s.running) {
        for (const auto& [node, nf] : nodes) {
            if (!nf.ready.empty()) {
                out[node][fn.qualified()] = nf.ready.size();
            }
        }
    }
    return out;
}

} // namespace

Result<std::unique_ptr<Cluster>> Cluster::join(ClusterConfig config, provider::Provider& local) {
    std::unique_ptr<Cluster> c(new Cluster(std::move(config), local));
    TRY_ASSIGN(c->etcd_, etcd::Client::connect(c->config_.etcd));
    TRY_ASSIGN(c->state_, ClusterState::start(*c->etcd_, c->keys_));
    TRY_ASSIGN(c->membership_, Membership::join(*c->etcd_, c->keys_, c->config_.node));
    c->provider_ =
        std::make_unique<ClusterProvider>(*c->etcd_, *c->state_, local, c->config_.provider);
    c->reconciler_ = std::make_unique<Reconciler>(*c->etcd_, *c->state_, *c->membership_, local,
                                                  c->config_.reconcileTick);
    c->scheduler_ = std::make_unique<Scheduler>(*c->etcd_, *c->state_, *c->membership_,
                                                c->config_.scheduleTick);
    return c;
}

Cluster::~Cluster() {
    stop();
}

void Cluster::onLeadership(std::function<void(bool)> listener) {
    scheduler_->onLeadership(std::move(listener));
}

void Cluster::start() {
    // What containerd runs here and the cluster does not place here goes
    // before the gateway serves (a node back from the dead).
    reconciler_->reconcileOnce();
    if (config_.manageRoutes) {
        state_->subscribe([this](const Snapshot& s) { syncRoutes(s); });
        syncRoutes(*state_->snapshot());
    }
    reconciler_->start();
    scheduler_->start();
}

void Cluster::stop() {
    if (stopped_.exchange(true)) {
        return;
    }
    if (scheduler_) {
        scheduler_->stop();
    }
    if (reconciler_) {
        reconciler_->stop();
    }
    state_.reset(); // no more route syncs
    if (config_.manageRoutes) {
        (void)network::syncPeerRoutes({});
    }
    membership_.reset(); // revokes the lease: this node's keys go
}

void Cluster::syncRoutes(const Snapshot& s) {
    std::vector<network::PeerRoute> wanted;
    std::string routedFor;
    for (const auto& [name, node] : s.nodes) {
        if (name == config_.node.name) {
            continue;
        }
        auto subnet = network::parseIpv4Net(node.subnet);
        in_addr via{};
        if (!subnet || inet_pton(AF_INET, node.address.c_str(), &via) != 1) {
            kLog.warn("node {}: cannot route {} via {}", name, node.subnet, node.address);
            continue;
        }
        wanted.push_back({.subnet = *subnet, .via = ntohl(via.s_addr)});
        routedFor += fmt::format("{}>{};", node.subnet, node.address);
    }
    std::lock_guard lock(routesMutex_);
    if (routedFor == routedFor_) {
        return;
    }
    if (auto synced = network::syncPeerRoutes(wanted); !synced) {
        kLog.error("routing the other nodes' function subnets: {}", synced.error().message());
        return;
    }
    routedFor_ = std::move(routedFor);
}

Result<SharedCredentials> Cluster::shareCredentials(const SharedCredentials& ours) {
    const auto key = keys_.credentials();
    TRY_ASSIGN(auto txn,
               etcd_->txn({etcd::Compare::missing(key)}, {etcd::Operation::put(key, toJson(ours))},
                          {etcd::Operation::get(key)}));
    if (txn.succeeded) {
        return ours;
    }
    if (txn.ranges.empty() || txn.ranges[0].kvs.empty()) {
        return fail(Code::Unavailable, "cluster: the credentials went while being read");
    }
    return withContext(parseSharedCredentials(txn.ranges[0].kvs[0].value), "cluster");
}

Result<std::string> Cluster::statusJson() {
    using nlohmann::json;
    const auto s = state_->snapshot();
    TRY_ASSIGN(auto leader, etcd_->leader(keys_.election()));
    const auto ready = readyPerNode(*s);
    json nodes = json::array();
    for (const auto& [name, node] : s->nodes) {
        json replicas = json::object();
        uint64_t total = 0;
        if (auto it = ready.find(name); it != ready.end()) {
            for (const auto& [fn, n] : it->second) {
                replicas[fn] = n;
                total += n;
            }
        }
        json entry{{"name", name},
                   {"address", node.address},
                   {"gatewayPort", node.gatewayPort},
                   {"subnet", node.subnet},
                   {"lease", fmt::format("{:x}", node.lease)},
                   {"cpus", node.cpus},
                   {"memoryBytes", node.memoryBytes},
                   {"freeMemoryBytes", node.freeMemoryBytes},
                   {"startedAt", api::formatRfc3339(node.startedAt)},
                   {"leader", leader && leader->value == name},
                   {"readyReplicas", total},
                   {"replicas", replicas}};
        if (auto ttl = etcd_->leaseTimeToLive(node.lease)) {
            entry["leaseTtlSeconds"] = ttl->count();
        }
        nodes.push_back(std::move(entry));
    }
    json functions = json::array();
    for (const auto& [fn, record] : s->functions) {
        json placement = json::object();
        if (auto it = s->placements.find(fn); it != s->placements.end()) {
            for (const auto& [node, n] : it->second) {
                placement[node] = n;
            }
        }
        functions.push_back({{"name", fn.name},
                             {"namespace", fn.ns},
                             {"replicas", record.replicas},
                             {"readyReplicas", s->readyReplicas(fn)},
                             {"placement", placement}});
    }
    json out{{"node", config_.node.name},
             {"leader", leader ? json(leader->value) : json(nullptr)},
             {"revision", s->revision},
             {"leaseTtlSeconds", config_.node.leaseTtl.count()},
             {"nodes", nodes},
             {"functions", functions}};
    return out.dump();
}

std::string Cluster::prometheusText() const {
    const auto s = state_->snapshot();
    const auto ready = readyPerNode(*s);
    std::string out = "# HELP faasd_cluster_nodes Nodes with a live lease.\n"
                      "# TYPE faasd_cluster_nodes gauge\n";
    out += fmt::format("faasd_cluster_nodes {}\n", s->nodes.size());
    out += "# HELP faasd_cluster_leader 1 when this node runs the cluster's scheduler.\n"
           "# TYPE faasd_cluster_leader gauge\n";
    out += fmt::format("faasd_cluster_leader{{node=\"{}\"}} {}\n", config_.node.name,
                       leading() ? 1 : 0);
    out += "# HELP faasd_cluster_node_ready_replicas Ready replicas on each node.\n"
           "# TYPE faasd_cluster_node_ready_replicas gauge\n";
    for (const auto& [name, node] : s->nodes) {
        uint64_t total = 0;
        if (auto it = ready.find(name); it != ready.end()) {
            for (const auto& [fn, n] : it->second) {
                total += n;
            }
        }
        out += fmt::format("faasd_cluster_node_ready_replicas{{node=\"{}\"}} {}\n", name, total);
    }
    out += "# HELP faasd_cluster_node_free_memory_bytes Free memory each node last published.\n"
           "# TYPE faasd_cluster_node_free_memory_bytes gauge\n";
    for (const auto& [name, node] : s->nodes) {
        out += fmt::format("faasd_cluster_node_free_memory_bytes{{node=\"{}\"}} {}\n", name,
                           node.freeMemoryBytes);
    }
    return out;
}

} // namespace faasd::cluster
