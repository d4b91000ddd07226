#pragma once

// The durable async queue behind /async-function/.
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
#include "queue/invoker.hpp"
#include "queue/store.hpp"

#include <chrono>
#include <condition_variable>
#include <deque>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace faasd::queue {

// A function's label overriding its concurrency in the queue.
inline constexpr const char* kConcurrencyLabel = "faasd.queue.concurrency";

struct QueueConfig {
    std::filesystem::path database;
    bool fullSync = true;               // synchronous=FULL (else NORMAL)
    uint64_t maxItems = 100'000;        // unfinished + failed requests; more is 429
    uint64_t maxBytes = 1ull << 30;     // their stored size; more is 429
    uint64_t maxBodyBytes = 8ull << 20; // larger bodies are 413
    unsigned workers = 32;              // requests running at once, all functions
    unsigned perReplica = 4;            // per ready replica when max_inflight is unset
    unsigned maxAttempts = 5;           // invocations before the dead-letter list
    std::chrono::milliseconds retryDelay{1'000}; // doubled after each attempt
    std::chrono::milliseconds maxRetryDelay{300'000};
    unsigned callbackAttempts = 5;
    std::chrono::milliseconds callbackRetryDelay{500};
    std::chrono::milliseconds shutdownTimeout{30'000};
    std::chrono::milliseconds keepCompleted{3'600'000}; // then completed rows go
    std::chrono::milliseconds limitRefresh{1'000};      // re-read replicas this often
};

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
    std::string prometheusText() const override;

    QueueStats stats() const;

private:
    struct Item {
        int64_t id = 0;
        uint64_t size = 0;
    };
    struct FunctionState {
        std::deque<Item> ready;
        unsigned running = 0;
        unsigned limit = 1;
        std::chrono::steady_clock::time_point limitAt{};
    };
    struct Task {
        Item item;
        std::string function;
    };
    struct WriteOp {
        std::function<Result<void>(Store&)> apply;
        std::shared_ptr<std::promise<Result<void>>> done; // null: nobody waits
    };
    enum class Delivery { Delivered, Failed, Aborted };

    Queue(QueueConfig config, provider::Provider& provider, std::unique_ptr<Store> store);

    Result<void> write(std::function<Result<void>(Store&)> apply, bool wait);
    void writerLoop();
    void dispatchLoop();
    void workerLoop();
    void run(const Task& task);
    Delivery deliver(const Job& job, const Outcome& outcome, int status, double seconds,
                     std::string& error);
    unsigned limitFor(const std::string& function);
    // Waits up to delay unless the queue is aborting; false when aborting.
    bool pause(std::chrono::milliseconds delay);
    void finish(const Task& task, bool failed);

    QueueConfig config_;
    provider::Provider& provider_;
    std::unique_ptr<Store> store_;
    std::unique_ptr<Invoker> invoker_;

    // The writer.
    std::mutex writeMutex_;
    std::condition_variable writeCv_;
    std::vector<WriteOp> ops_;
    bool writerStop_ = false;
    std::thread writer_;

    // Scheduling and accounting.
    mutable std::mutex mutex_;
    std::condition_variable dispatchCv_;
    std::condition_variable workCv_;
    std::condition_variable idleCv_;
    std::map<std::string, FunctionState> functions_;
    std::multimap<int64_t, Task> delayed_; // due time (Unix ms) -> retry
    std::deque<Task> tasks_;               // handed to workers, not yet taken
    std::map<int64_t, int64_t> unfinished_; // id -> enqueue time (Unix ms)
    unsigned running_ = 0;                  // tasks_ plus those being run
    uint64_t items_ = 0;
    uint64_t bytes_ = 0;
    uint64_t completed_ = 0;
    uint64_t failed_ = 0;
    uint64_t retried_ = 0;
    uint64_t callbackFailed_ = 0;
    bool accepting_ = true;
    bool stopping_ = false;
    bool aborting_ = false;
    bool started_ = false;
    std::thread dispatcher_;
    std::vector<std::thread> workers_;
};

} // namespace faasd::queue
