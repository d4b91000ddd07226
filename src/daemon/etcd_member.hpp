#pragma once

// This node's etcd member, when FAASD_CLUSTER_MEMBERS lists the cluster's
// members: faasd runs it (a SupervisedProcess, recorded in
// <state dir>/etcd/pid, its data in <state dir>/etcd/data, its log in
// <state dir>/etcd/etcd.log) and waits until the cluster has a leader
// before the node joins.

#include "common/error.hpp"
#include "config/daemon_config.hpp"
#include "daemon/supervised_process.hpp"

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <vector>

namespace faasd::daemon {

// The member this node runs: the one named FAASD_CLUSTER_NODE, else
// hostName. InvalidArgument naming the members when there is none.
Result<config::ClusterMember> localMember(const config::ClusterSettings& cluster,
                                          const std::string& hostName);

// host's IPv4 address (host itself when it is one); Unavailable when it
// does not resolve.
Result<std::string> ipv4Of(const std::string& host);

// What etcd is started with.
struct EtcdMemberPlan {
    std::string binary;
    std::string dataDir;
    config::ClusterMember self;
    std::string listenAddress; // self.host's IPv4 address: etcd binds addresses only
    std::vector<config::ClusterMember> members;
};

EtcdMemberPlan etcdMemberPlan(const config::DaemonConfig& config, config::ClusterMember self,
                              std::string listenAddress);

// etcd's command line. The client port is also on 127.0.0.1 (unless the
// member is on loopback already). A data dir that holds a member already
// makes etcd ignore the --initial-* flags: a restart is the same command.
std::vector<std::string> etcdMemberArgv(const EtcdMemberPlan& plan);

// Adopts the member an earlier run left running, else starts it; returns
// once it listens (it serves only once its cluster has a leader).
// FailedPrecondition when something else listens on its ports or there is
// no etcd binary.
Result<std::unique_ptr<SupervisedProcess>> startEtcdMember(const config::DaemonConfig& config);

// Sleeps up to the duration; true when the daemon is asked to stop.
using PauseOrStop = std::function<bool(std::chrono::milliseconds)>;

// Waits until this node's member answers with a leader: until the members
// of a new cluster are enough of them (2 of 3) to elect one. Logs "waiting
// for the etcd cluster (N of M members answer)" every 5 s meanwhile, and
// tells systemd (STATUS, and more time to start). No deadline: the other
// VMs may come up much later. false when pause says stop.
Result<bool> waitForEtcdCluster(const config::DaemonConfig& config, const PauseOrStop& pause);

// How many of the members accept a TCP connection on their client port.
size_t membersListening(const std::vector<config::ClusterMember>& members);

} // namespace faasd::daemon
