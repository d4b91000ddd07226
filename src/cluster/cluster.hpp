#pragma once

// One node of a cluster, as `faasd up` runs it when FAASD_CLUSTER_ETCD is
// set: the etcd client, this node's membership (its lease), the watched
// state, the reconciler of its share, the scheduler (active on the elected
// node only), the routes to the other nodes' function subnets, and the
// Provider its gateway serves (ClusterProvider over the local one).
//
// Destroying it stops them in reverse and revokes the node's lease: the
// other nodes see it leave at once and place its replicas elsewhere.

#include "cluster/cluster_provider.hpp"
#include "cluster/membership.hpp"
#include "cluster/reconciler.hpp"
#include "cluster/records.hpp"
#include "cluster/scheduler.hpp"
#include "cluster/state.hpp"
#include "etcd/client.hpp"
#include "ports/cluster_view.hpp"
#include "provider/provider.hpp"

#include <memory>
#include <mutex>
#include <set>

namespace faasd::cluster {

struct ClusterConfig {
    etcd::ClientConfig etcd;
    std::string prefix = "/faasd/";
    MembershipConfig node;
    ClusterProviderConfig provider;
    std::chrono::milliseconds reconcileTick{1'000};
    std::chrono::milliseconds scheduleTick{2'000};
    bool manageRoutes = true; // routes to the other nodes' subnets
};

class Cluster final : public gateway::ClusterView {
public:
    // Connects to etcd and joins (fails fast: etcd unreachable, name or
    // subnet taken). Nothing runs until start().
    static Result<std::unique_ptr<Cluster>> join(ClusterConfig config, provider::Provider& local);
    ~Cluster() override;

    // Removes what the local containerd runs that the cluster does not
    // place here, then starts the reconciler, the scheduler and the routes.
    void start();
    void stop();

    provider::Provider& provider() { return *provider_; }
    bool leading() const { return scheduler_ && scheduler_->leading(); }
    void onLeadership(std::function<void(bool)> listener);
    const std::string& nodeName() const { return config_.node.name; }
    const std::string& prefix() const { return config_.prefix; }
    etcd::Client& etcd() { return *etcd_; }
    // The watched state (until stop()).
    const ClusterState& state() const { return *state_; }
    // This node's lease (0 while it has none): the cluster queue's claims.
    int64_t leaseId() const { return membership_ ? membership_->leaseId() : 0; }

    // The cluster's credentials: ours when this node is the first to
    // offer any, else those stored by the first (never logged).
    Result<SharedCredentials> shareCredentials(const SharedCredentials& ours);

    Result<std::string> statusJson() override;
    std::string prometheusText() const;

private:
    Cluster(ClusterConfig config, provider::Provider& local)
        : config_(std::move(config)), keys_(config_.prefix), local_(local) {}
    void syncRoutes(const Snapshot& s);

    ClusterConfig config_;
    Keys keys_;
    provider::Provider& local_;
    std::unique_ptr<etcd::Client> etcd_;
    std::unique_ptr<Membership> membership_;
    std::unique_ptr<ClusterState> state_;
    std::unique_ptr<ClusterProvider> provider_;
    std::unique_ptr<Reconciler> reconciler_;
    std::unique_ptr<Scheduler> scheduler_;
    std::function<void(bool)> leadershipListener_;

    std::mutex routesMutex_;
    std::string routedFor_; // the nodes' subnets and addresses last routed
    std::atomic<bool> stopped_{false};
};

} // namespace faasd::cluster
