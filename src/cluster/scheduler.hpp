#pragma once

// Placement of every function's replicas over the live nodes (placement.hpp
// decides), run by exactly one node at a time: the one etcd's election
// (under the node's lease) names. Its writes are transactions that hold
// only while its leader key exists, so a node that lost its lease, or was
// cut off by a network split, cannot write a placement after another node
// was elected.
//
// The leader places again on every change of the cluster's state (a node
// gone or back, a function deployed, scaled or removed) and once per tick.

#include "cluster/membership.hpp"
#include "cluster/state.hpp"
#include "etcd/client.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

namespace faasd::cluster {

class Scheduler {
public:
    Scheduler(etcd::Client& etcd, ClusterState& state, Membership& membership,
              std::chrono::milliseconds tick);
    ~Scheduler(); // stops; resigns when leading

    void start();
    void stop();
    bool leading() const { return leading_.load(); }
    // Called from the scheduler's thread when this node starts or stops
    // leading (the scaler runs on the leader only).
    void onLeadership(std::function<void(bool)> listener);

    // One pass of placement over snapshot s; what it would write (for
    // tests: the put and remove operations, without a leader key).
    static std::vector<etcd::Operation> plan(const Snapshot& s, const Keys& keys);

private:
    void run();
    void lead(const etcd::LeaderKey& key);
    void setLeading(bool leading);

    etcd::Client& etcd_;
    ClusterState& state_;
    Membership& membership_;
    std::chrono::milliseconds tick_;
    std::atomic<bool> leading_{false};
    std::function<void(bool)> listener_;

    std::atomic<bool> stopping_{false};
    std::mutex mutex_;
    std::condition_variable wake_;
    bool dirty_ = true;
    std::thread thread_;
};

} // namespace faasd::cluster
