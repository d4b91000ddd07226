#pragma once

// A node's share of the desired state, made true on its own containerd:
// every function placed on this node runs here with its placed replica
// count and its current deployment (the function record's revision, kept
// in the local deployment's kGenerationLabel), with the secrets it uses;
// whatever else runs here is removed, and secrets no local function uses
// go too. Then what runs is published: one NodeFunction per local function
// under the node's lease (endpoints/<ns>/<name>/<node>), written only when
// it changed.
//
// One thread, woken by every change of the cluster's state and once per
// tick (replicas that became ready, restarts, a lost lease). A failure is
// published as the function's error on this node and tried again on the
// next pass.

#include "cluster/membership.hpp"
#include "cluster/state.hpp"
#include "etcd/client.hpp"
#include "provider/provider.hpp"

#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>

namespace faasd::cluster {

inline constexpr const char* kGenerationLabel = "faasd.cluster.generation";

class Reconciler {
public:
    Reconciler(etcd::Client& etcd, ClusterState& state, Membership& membership,
               provider::Provider& local, std::chrono::milliseconds tick);
    ~Reconciler(); // stops

    void start();
    void stop();
    // Runs one pass now, on the caller's thread (tests, and start-up).
    void reconcileOnce();

private:
    void run();
    void converge(const Snapshot& s, const api::FunctionRef& fn, const FunctionRecord& record,
                  uint64_t placed);
    Result<void> ensureSecrets(const Snapshot& s, const api::FunctionDeployment& d);
    void removeUnused(const Snapshot& s);
    void publish(const Snapshot& s);

    etcd::Client& etcd_;
    ClusterState& state_;
    Membership& membership_;
    provider::Provider& local_;
    std::chrono::milliseconds tick_;

    std::mutex passMutex_; // one pass at a time
    std::map<api::FunctionRef, std::string> errors_;
    std::map<SecretKey, int64_t> appliedSecrets_;       // the revision written here
    std::map<api::FunctionRef, std::string> published_; // last value written
    uint64_t publishedGeneration_ = 0;                  // membership's

    std::mutex mutex_;
    std::condition_variable wake_;
    bool dirty_ = true;
    bool stopping_ = false;
    std::thread thread_;
};

} // namespace faasd::cluster
