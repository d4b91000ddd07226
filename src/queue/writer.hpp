#pragma once

// The queue's one writer: a thread that owns the store's writer connection
// and commits what callers hand it in groups. Every operation waiting at
// the time goes into one transaction, so one fsync covers all of them; a
// caller that waits learns its operation's result only after the commit.
// Once a minute it also removes completed requests older than keepCompleted.

#include "common/error.hpp"
#include "queue/store.hpp"

#include <chrono>
#include <condition_variable>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace faasd::queue {

class Writer {
public:
    using Operation = std::function<Result<void>(Store&)>;

    Writer(Store& store, std::chrono::milliseconds keepCompleted);
    ~Writer();
    Writer(const Writer&) = delete;
    Writer& operator=(const Writer&) = delete;

    // Runs op in the next group and returns its result once that group is
    // committed (a failed commit fails every operation in it). Unavailable
    // once stopped.
    Result<void> apply(Operation op);
    // Runs op in the next group without waiting; a failure is logged.
    void post(Operation op);
    // Commits what is waiting, then ends the thread. Idempotent.
    void stop();

private:
    struct Pending {
        Operation op;
        std::shared_ptr<std::promise<Result<void>>> done; // null: nobody waits
    };

    Result<void> submit(Pending pending);
    void loop();
    // Applies a group in one transaction; one result per operation.
    std::vector<Result<void>> commitGroup(std::vector<Pending>& group);
    void pruneNow();

    Store& store_;
    const std::chrono::milliseconds keepCompleted_;
    std::mutex mutex_;
    std::condition_variable cv_;
    std::vector<Pending> pending_;
    bool stopped_ = false;
    std::thread thread_;
};

} // namespace faasd::queue
