#pragma once

// The queue's scheduling: one dispatcher thread hands stored requests to a
// pool of workers, oldest first and round robin between functions, at most
// `workers` at once and per function at most its ready replicas ×
// max_inflight (or the label faasd.queue.concurrency). A worker runs one
// request (Runner); a retry waits in the delayed set until it is due, a
// finished request leaves the schedule (completed, or failed: the
// dead-letter list).

#include "api/function_ref.hpp"
#include "provider/provider.hpp"
#include "queue/config.hpp"
#include "queue/invoker.hpp"
#include "queue/runner.hpp"
#include "queue/store.hpp"
#include "queue/writer.hpp"

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

namespace faasd::queue {

// A stored request the schedule knows: its row, its size and its function.
struct Task {
    int64_t id = 0;
    uint64_t size = 0;
    api::FunctionRef function;
};

struct DispatchStats {
    uint64_t depth = 0;    // ready, waiting to retry, or handed to a worker not yet running
    uint64_t inFlight = 0; // being run by a worker
    uint64_t completed = 0;
    uint64_t failed = 0;
    uint64_t retried = 0;
    uint64_t callbackFailed = 0;
    std::optional<int64_t> oldestEnqueuedMs; // of the unfinished requests
};

class Dispatcher {
public:
    // completed(size): a request completed and stops counting against the
    // queue's bound. Called without the dispatcher's lock held.
    Dispatcher(const QueueConfig& config, provider::Provider& provider, Store& store,
               Writer& writer, std::function<void(uint64_t size)> completed);
    ~Dispatcher();
    Dispatcher(const Dispatcher&) = delete;
    Dispatcher& operator=(const Dispatcher&) = delete;

    // Called with each Finished verdict, from the worker, without the
    // dispatcher's lock held; set before start().
    void setFinishedHook(std::function<void(const Verdict&)> hook) {
        finishedHook_ = std::move(hook);
    }

    // A request to run now, or (replayed retries) when dueMs has come.
    void add(Task task, int64_t enqueuedMs);
    void addDelayed(Task task, int64_t dueMs, int64_t enqueuedMs);

    // Starts the dispatcher thread and the workers; nothing after stop().
    void start(std::unique_ptr<Invoker> invoker);
    // Starts nothing new, waits up to shutdownTimeout for running requests,
    // then aborts the rest (they stay running in the database). Idempotent.
    void stop();

    DispatchStats stats() const;
    // Requests waiting (ready, to retry, or handed out), per function with any.
    std::map<api::FunctionRef, uint64_t> depthByFunction() const;

private:
    struct FunctionState {
        std::deque<Task> ready;
        unsigned running = 0;
        unsigned limit = 1;
        std::chrono::steady_clock::time_point limitAt{};
    };
    enum class State { Idle, Running, Stopping };

    void dispatchLoop();
    void workerLoop();
    // Re-reads the concurrency limits older than limitRefresh (unlocks
    // while asking the provider). Called and returns with lock held.
    void refreshLimits(std::unique_lock<std::mutex>& lock);
    // Hands ready requests to workers within the limits; true when any.
    bool handOut();
    unsigned limitFor(const api::FunctionRef& function);
    void settle(const Task& task, const Verdict& verdict);

    const QueueConfig& config_;
    provider::Provider& provider_;
    Store& store_;
    Writer& writer_;
    std::function<void(uint64_t)> completedHook_;
    std::function<void(const Verdict&)> finishedHook_;
    std::unique_ptr<Invoker> invoker_;
    AbortSignal abort_;

    mutable std::mutex mutex_;
    std::condition_variable dispatchCv_;
    std::condition_variable workCv_;
    std::condition_variable idleCv_;
    State state_ = State::Idle;
    std::map<api::FunctionRef, FunctionState> functions_;
    std::multimap<int64_t, Task> delayed_;  // due time (Unix ms) -> retry
    std::deque<Task> handed_;               // handed to workers, not yet taken
    std::map<int64_t, int64_t> unfinished_; // id -> enqueue time (Unix ms)
    unsigned running_ = 0;                  // handed_ plus those being run
    uint64_t completed_ = 0;
    uint64_t failed_ = 0;
    uint64_t retried_ = 0;
    uint64_t callbackFailed_ = 0;
    std::thread dispatcher_;
    std::vector<std::thread> workers_;
};

} // namespace faasd::queue
