#pragma once

// The queue's durable store: one SQLite database in WAL mode. Writes go
// through one connection owned by the queue's writer thread, which groups
// them into transactions; reads (dispatch, the admin API, metrics) use a
// second connection, so they never wait for a commit.

#include "common/error.hpp"
#include "ports/async_queue.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

struct sqlite3;
struct sqlite3_stmt;

namespace faasd::queue {

using HeaderList = std::vector<std::pair<std::string, std::string>>;

// A stored request, as a worker runs it.
struct Job {
    int64_t id = 0;
    std::string callId;
    std::string function;
    std::string ns;
    std::string method;
    std::string path;
    std::string query;
    HeaderList headers;
    std::string body;
    std::string callbackUrl;
    int64_t enqueuedMs = 0; // Unix milliseconds
    std::string status;
    uint64_t attempts = 0;
};

// What the scheduler keeps in memory of an unfinished request.
struct Entry {
    int64_t id = 0;
    std::string function; // "name.namespace"
    std::string status;
    int64_t nextAtMs = 0;
    uint64_t size = 0;
    int64_t enqueuedMs = 0;
};

// A prepared statement, finalized on destruction.
class Statement {
public:
    Statement() = default;
    Statement(sqlite3* db, const char* sql);
    ~Statement();
    Statement(const Statement&) = delete;
    Statement& operator=(const Statement&) = delete;
    Statement(Statement&& other) noexcept : db_(other.db_), stmt_(other.stmt_) {
        other.stmt_ = nullptr;
    }
    Statement& operator=(Statement&& other) noexcept;

    bool valid() const { return stmt_ != nullptr; }
    Statement& bind(int index, int64_t value);
    Statement& bind(int index, const std::string& value);
    Statement& bindBlob(int index, const std::string& value);
    // SQLITE_ROW: true; SQLITE_DONE: false; errors carry the message.
    Result<bool> step();
    void reset();
    bool isNull(int column) const;
    int64_t int64(int column) const;
    std::string text(int column) const;

private:
    sqlite3* db_ = nullptr;
    sqlite3_stmt* stmt_ = nullptr;
};

class Store {
public:
    // Opens (creating) the database. fullSync: synchronous=FULL (every
    // commit reaches the disk) rather than NORMAL.
    static Result<std::unique_ptr<Store>> open(const std::filesystem::path& path, bool fullSync);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    // --- the writer connection: only the writer thread calls these.
    Result<void> begin();
    Result<void> commit();
    void rollback();
    // The new row's id; nullopt when the call id is already stored (nothing
    // written).
    Result<std::optional<int64_t>> insert(const gateway::AsyncRequest& request, int64_t nowMs, uint64_t size);
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

    sqlite3* writer_ = nullptr;
    sqlite3* reader_ = nullptr;
    std::mutex readMutex_;
    Statement insert_, running_, retrying_, finished_, find_, reset_, erase_, begin_, commit_;
    Statement load_, oldest_;
};

// Rough bytes a request occupies, for the queue's size bound.
uint64_t storedSize(const gateway::AsyncRequest& request);

} // namespace faasd::queue
