#pragma once

// The durable async queue behind /async-function/: the gateway's AsyncQueue
// over a Store (SQLite), its Writer thread and its Dispatcher (scheduling
// and workers). This facade holds the bound (items, bytes) and the admin
// API.
//
//   auto q = Queue::open(config, provider);  // opens the database, replays
//   gateway.setAsyncQueue(q->get());          // accepts persist from here on
//   gateway.start();
//   (*q)->start(std::make_unique<HttpInvoker>(...));  // workers
//   ...
//   (*q)->stop();  // no new work; running jobs finish within a bound
//
// enqueue() returns only once the request is committed to SQLite (WAL):
// one writer thread groups the inserts of concurrent callers into one
// transaction, so one fsync covers many requests. Workers run requests
// oldest first, round robin between functions, at most `workers` at once
// and per function at most its ready replicas × max_inflight (or the
// label faasd.queue.concurrency). Delivery is at least once: a request
// that was running when the daemon died runs again at the next start.

#include "ports/async_queue.hpp"
#include "provider/provider.hpp"
#include "queue/config.hpp"
#include "queue/dispatcher.hpp"
#include "queue/invoker.hpp"
#include "queue/store.hpp"
#include "queue/writer.hpp"

#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace faasd::queue {

struct QueueStats {
    uint64_t depth = 0;    // pending or waiting to retry
    uint64_t inFlight = 0; // being invoked or called back
    uint64_t completed = 0;
    uint64_t failed = 0;
    uint64_t retried = 0;
    uint64_t callbackFailed = 0;
    uint64_t stored = 0; // rows counted against maxItems
    double oldestAgeSeconds = 0;
};

class Queue : public gateway::AsyncQueue {
public:
    static Result<std::unique_ptr<Queue>> open(QueueConfig config, provider::Provider& provider);
    ~Queue() override;
    Queue(const Queue&) = delete;
    Queue& operator=(const Queue&) = delete;

    // Starts the dispatcher and the workers.
    void start(std::unique_ptr<Invoker> invoker);
    // Refuses new requests (Unavailable), starts nothing new, waits up to
    // shutdownTimeout for running ones, then aborts the rest (they run again
    // at the next start). Idempotent.
    void stop();

    Result<std::string> enqueue(gateway::AsyncRequest request) override;
    uint64_t maxBodyBytes() const override { return config_.maxBodyBytes; }
    Result<std::vector<gateway::AsyncRequestInfo>>
    list(const gateway::AsyncListFilter& filter) override;
    Result<void> retry(const std::string& callId) override;
    Result<void> remove(const std::string& callId) override;
    void setFinishedListener(gateway::AsyncFinishedListener listener) override;
    std::string prometheusText() const override;
    std::map<api::FunctionRef, uint64_t> depthByFunction() const override;

    QueueStats stats() const;

private:
    Queue(QueueConfig config, provider::Provider& provider, std::unique_ptr<Store> store);

    // Counts a request against the bound: ResourceExhausted when full,
    // Unavailable once stopping.
    Result<void> reserve(uint64_t size);
    void release(uint64_t size);

    QueueConfig config_;

    // What the bound counts: unfinished and failed requests, their size.
    mutable std::mutex mutex_;
    bool accepting_ = true;
    uint64_t items_ = 0;
    uint64_t bytes_ = 0;

    // Declared in the order they start; they stop in reverse.
    std::unique_ptr<Store> store_;
    Writer writer_;
    Dispatcher dispatcher_;
};

} // namespace faasd::queue
