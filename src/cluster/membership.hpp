#pragma once

// This node's registration: its record under a lease of its own, renewed
// by etcd::LeaseKeeper, and its function subnet claimed under the same
// lease, so that two nodes never route the same subnet. A node that stops
// renewing (dead, or cut from etcd) is gone from every other node's view
// when the lease lapses, and with it everything it published.
//
// A node restarted before its old lease lapsed takes its name back when
// the record is its own (same address); another address is refused.
// When the lease is lost (etcd unreachable for longer than its TTL), the
// node joins again as soon as etcd answers, with a new lease: leaseId()
// changes, and what was published under the old one is to be published
// again (generation()).

#include "cluster/records.hpp"
#include "common/error.hpp"
#include "etcd/client.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>

namespace faasd::cluster {

struct MembershipConfig {
    std::string name;
    std::string address;
    uint16_t gatewayPort = 8080;
    std::string subnet;
    std::chrono::seconds leaseTtl{5};
    std::chrono::seconds refresh{10}; // free memory published at most this often
};

class Membership {
public:
    static Result<std::unique_ptr<Membership>> join(etcd::Client& etcd, const Keys& keys,
                                                    MembershipConfig config);
    // Revokes the lease: the node leaves at once.
    ~Membership();

    const MembershipConfig& config() const { return config_; }
    int64_t leaseId() const { return lease_.load(); }
    // Counts joins; it moves when the lease was lost and taken anew.
    uint64_t generation() const { return generation_.load(); }
    bool registered() const { return registered_.load(); }
    // Stops renewing without revoking (a test's "the node died").
    void abandon();

private:
    Membership(etcd::Client& etcd, const Keys& keys, MembershipConfig config)
        : etcd_(etcd), keys_(keys), config_(std::move(config)) {}
    Result<void> registerOnce();
    NodeRecord record() const;
    void run();

    etcd::Client& etcd_;
    const Keys& keys_;
    MembershipConfig config_;
    std::unique_ptr<etcd::LeaseKeeper> keeper_;
    std::atomic<int64_t> lease_{0};
    std::atomic<uint64_t> generation_{0};
    std::atomic<bool> registered_{false};
    std::atomic<bool> lost_{false};
    std::chrono::system_clock::time_point startedAt_ = std::chrono::system_clock::now();
    uint64_t publishedFree_ = 0;

    std::mutex mutex_;
    std::condition_variable wake_;
    bool stopping_ = false;
    std::thread thread_;
};

// A node name etcd keys can hold: 1-63 of [a-z0-9-.], starting and ending
// with a letter or digit.
Result<void> validateNodeName(std::string_view name);

} // namespace faasd::cluster
