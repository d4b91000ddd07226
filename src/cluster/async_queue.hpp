#pragma once

// The asynchronous queue of a cluster: the gateway's AsyncQueue on etcd, so
// that a request accepted (202) by any node runs even when that node dies
// right after. Every node runs workers; one watch per node keeps the
// queue's items and claims in memory (QueueMirror), and a worker claims an
// item with a transaction under its node's lease (ItemRunner). A node that
// dies loses its lease, its claims go with it, and the other nodes' watches
// see the items unclaimed and run them again: delivery is at least once,
// with X-Call-Id.
//
//   auto q = ClusterQueue::open(config, etcd, [&] { return membership.lease(); });
//   gateway.setAsyncQueue(q->get());                  // accepts from here on
//   (*q)->start(std::make_unique<queue::HttpInvoker>(...));
//   ...
//   (*q)->stop(); // running requests finish within the bound; the rest are
//                 // given back to the other nodes at once
//
// etcd writes per request: the accept (item and body in one transaction:
// the durability point before the 202), the claim, and the end (or a
// retry). Keys and records: queue_item.hpp.

#include "cluster/queue_config.hpp"
#include "cluster/queue_item.hpp"
#include "cluster/queue_mirror.hpp"
#include "etcd/client.hpp"
#include "ports/async_queue.hpp"
#include "provider/provider.hpp"
#include "queue/attempt.hpp"
#include "queue/invoker.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace faasd::cluster {

struct ClusterQueueStats {
    uint64_t items = 0;     // stored, cluster-wide: unfinished and failed
    uint64_t waiting = 0;   // pending or retrying, unclaimed, cluster-wide
    uint64_t claimed = 0;   // running on any node
    uint64_t running = 0;   // run by this node's workers
    uint64_t completed = 0; // by this node, since it started
    uint64_t failed = 0;
    uint64_t retried = 0;
    uint64_t lost = 0; // runs whose claim lapsed before they ended
    uint64_t callbackFailed = 0;
    double oldestAgeSeconds = 0;
};

class ClusterQueue final : public gateway::AsyncQueue {
public:
    // The node's current lease id; 0 while it has none (nothing is
    // claimed). Called often, with the queue's lock held: it must not block.
    using LeaseSource = std::function<int64_t()>;

    // Reads the queue and starts watching it: enqueue() and the admin API
    // work from here on; nothing runs before start(). provider, when given,
    // tells each run its function's own timeout.
    static Result<std::unique_ptr<ClusterQueue>> open(ClusterQueueConfig config, etcd::Client& etcd,
                                                      LeaseSource lease,
                                                      provider::Provider* provider = nullptr);
    ~ClusterQueue() override;
    ClusterQueue(const ClusterQueue&) = delete;
    ClusterQueue& operator=(const ClusterQueue&) = delete;

    void start(std::unique_ptr<queue::Invoker> invoker);
    // Refuses new requests (Unavailable) and claims nothing more; waits up
    // to the timeout (config's shutdownTimeout by default) for running
    // requests, then aborts the rest and deletes their claims, so that the
    // other nodes run them at once. Idempotent.
    void stop();
    void stop(std::chrono::milliseconds timeout);

    Result<std::string> enqueue(gateway::AsyncRequest request) override;
    uint64_t maxBodyBytes() const override { return config_.maxBodyBytes; }
    Result<std::vector<gateway::AsyncRequestInfo>>
    list(const gateway::AsyncListFilter& filter) override;
    Result<void> retry(const std::string& callId) override;
    Result<void> remove(const std::string& callId) override;
    void setFinishedListener(gateway::AsyncFinishedListener listener) override;
    std::map<api::FunctionRef, uint64_t> depthByFunction() const override;
    std::string prometheusText() const override;

    ClusterQueueStats stats() const;

private:
    enum class State { Idle, Running, Stopping, Stopped };

    ClusterQueue(ClusterQueueConfig config, etcd::Client& etcd, LeaseSource lease,
                 provider::Provider* provider);

    Result<void> watch();
    void reread(); // after the watch could not resume
    void workerLoop();
    // The lease of done records: one per window of keepCompleted / 10, so
    // a record stays between 90% and all of keepCompleted.
    int64_t doneLease();

    const ClusterQueueConfig config_;
    const QueueKeys keys_;
    etcd::Client& etcd_;
    LeaseSource lease_;
    provider::Provider* provider_;
    gateway::AsyncFinishedListener listener_;
    std::unique_ptr<queue::Invoker> invoker_;
    queue::AbortSignal abort_;

    mutable std::mutex mutex_;
    std::condition_variable workCv_; // an item may be due, or stopping
    std::condition_variable idleCv_; // a worker finished a run
    State state_ = State::Idle;
    bool accepting_ = true;
    QueueMirror mirror_;
    unsigned running_ = 0;
    uint64_t completed_ = 0;
    uint64_t failed_ = 0;
    uint64_t retried_ = 0;
    uint64_t lost_ = 0;
    uint64_t callbackFailed_ = 0;
    std::vector<std::thread> workers_;

    std::mutex leaseMutex_;
    int64_t doneLease_ = 0;
    std::chrono::steady_clock::time_point doneLeaseAt_{};

    // Last: destroyed first, so no handler runs on a half-destroyed queue.
    std::unique_ptr<etcd::Watch> watch_;
};

} // namespace faasd::cluster
