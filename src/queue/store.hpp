#pragma once

// The queue's durable store: one SQLite database in WAL mode. Writes go
// through one connection owned by the queue's writer thread, which groups
// them into transactions; reads (dispatch, the admin API, metrics) use a
// second connection, so they never wait for a commit.

#include "api/function_ref.hpp"
#include "common/error.hpp"
#include "ports/async_queue.hpp"
#include "queue/job.hpp"
#include "queue/sqlite.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace faasd::queue {

// What the scheduler keeps in memory of an unfinished request.
struct Entry {
    int64_t id = 0;
    api::FunctionRef function;
    std::string status;
    int64_t nextAtMs = 0;
    uint64_t size = 0;
    int64_t enqueuedMs = 0;
};

class Store {
public:
    // Opens (creating) the database. fullSync: synchronous=FULL (every
    // commit reaches the disk) rather than NORMAL.
    static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path, bool fullSync);
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // --- the writer connection: only the writer thread calls these.
    // A transaction on it: committed by its commit(), else rolled back.
    Result<sqlite::Transaction> begin();
    // The new row's id; nullopt when the call id is already stored (nothing
    // written).
    Result<std::optional<int64_t>> insert(const gateway::AsyncRequest& request, int64_t nowMs,
                                          uint64_t size);
    Result<void> markRunning(int64_t id, uint64_t attempts);
    Result<void> markRetrying(int64_t id, int64_t nextAtMs, const std::string& error);
    // status completed or failed; a completed request's body is dropped.
    Result<void> markFinished(int64_t id, const std::string& status, int functionStatus,
                              const std::string& error, const std::string& callbackStatus,
                              int64_t nowMs);
    // The stored request by call id (writer connection, inside a transaction).
    Result<std::optional<Entry>> findByCallId(const std::string& callId);
    Result<void> resetFailed(int64_t id);
    Result<void> erase(int64_t id);
    // Removes completed requests finished before beforeMs; returns how many.
    Result<int64_t> pruneCompleted(int64_t beforeMs);
    // At start: running requests go back to pending; returns every
    // request not completed (failed ones too, for the size accounting).
    Result<std::vector<Entry>> recover();

    // --- the reader connection: any thread.
    Result<std::optional<Job>> load(int64_t id);
    Result<std::vector<gateway::AsyncRequestInfo>> list(const gateway::AsyncListFilter& filter);
    // Enqueue time of the oldest request not yet finished, if any.
    Result<std::optional<int64_t>> oldestUnfinishedMs();

private:
    Store() = default;

    sqlite::Db writer_;
    sqlite::Statement begin_, commit_, insert_, running_, retrying_, finished_, find_, reset_,
        erase_;
    sqlite::Db reader_;
    std::mutex readMutex_; // the reader connection and its statements
    sqlite::Statement load_, oldest_;
};

// Rough bytes a request occupies, for the queue's size bound.
uint64_t storedSize(const gateway::AsyncRequest& request);

} // namespace faasd::queue
