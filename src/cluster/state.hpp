#pragma once

// Every node's view of the cluster: everything under the cluster's prefix
// in etcd (nodes, functions, placements, endpoints, namespaces, the names
// of secrets), read once and then followed by one watch. Each batch of
// events makes a new immutable Snapshot; readers take a shared_ptr to the
// current one and never wait for the watch.
//
// Secrets' values are not kept here: the nodes that need one read it.

#include "api/function_ref.hpp"
#include "cluster/records.hpp"
#include "common/error.hpp"
#include "etcd/client.hpp"
#include "provider/provider.hpp"

#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

namespace faasd::cluster {

using SecretKey = std::pair<std::string, std::string>; // namespace, name

struct Snapshot {
    int64_t revision = 0; // etcd's revision this snapshot reflects
    std::map<std::string, NodeRecord> nodes;
    std::map<api::FunctionRef, FunctionRecord> functions;
    std::map<api::FunctionRef, Placement> placements;
    std::map<api::FunctionRef, std::map<std::string, NodeFunction>> running; // per node
    // The secrets' names (their values are read by the nodes that need
    // them) and each one's mod revision.
    std::map<SecretKey, int64_t> secrets;
    std::map<std::string, api::NamespaceRequest> namespaces;
    // The invoke path's table: ready replicas on every node, with the
    // function's own upstream timeout.
    std::unordered_map<api::FunctionRef, std::vector<provider::Endpoint>, api::FunctionRefHash,
                       api::FunctionRefEqual>
        ready;

    // Ready replicas of fn on every node.
    uint64_t readyReplicas(const api::FunctionRef& fn) const;
    // What node runs of fn, if it published anything.
    const NodeFunction* runningOn(const api::FunctionRef& fn, const std::string& node) const;
};

class ClusterState {
public:
    static Result<std::unique_ptr<ClusterState>> start(etcd::Client& etcd, Keys keys);
    ~ClusterState();

    std::shared_ptr<const Snapshot> snapshot() const;
    const Keys& keys() const { return keys_; }

    // Called after each new snapshot, from the watch's thread; keep it short.
    void subscribe(std::function<void(const Snapshot&)> listener);

    // Waits until done(snapshot) or the deadline; the last snapshot seen.
    std::shared_ptr<const Snapshot> waitUntil(const std::function<bool(const Snapshot&)>& done,
                                              std::chrono::steady_clock::time_point deadline) const;
    // Waits until the snapshot reflects revision (a write of ours).
    bool waitRevision(int64_t revision, std::chrono::steady_clock::time_point deadline) const;

private:
    ClusterState(etcd::Client& etcd, Keys keys) : etcd_(etcd), keys_(std::move(keys)) {}
    // Applies one key's value (nullopt: deleted) to next.
    void apply(Snapshot& next, const std::string& key, const std::optional<etcd::KeyValue>& kv);
    void reload(int64_t revision);
    void publish(std::shared_ptr<Snapshot> next);
    static void rebuildReady(Snapshot& s);

    etcd::Client& etcd_;
    Keys keys_;
    mutable std::mutex mutex_;
    mutable std::condition_variable changed_;
    std::shared_ptr<const Snapshot> current_;
    std::vector<std::function<void(const Snapshot&)>> listeners_;
    std::unique_ptr<etcd::Watch> watch_;
};

} // namespace faasd::cluster
