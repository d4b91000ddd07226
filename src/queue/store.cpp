#include "queue/store.hpp"

#include <algorithm>
#include <nlohmann/json.hpp>

namespace faasd::queue {

namespace {

constexpr const char* kSchema = R"sql(
CREATE TABLE IF NOT EXISTS requests (
    id              INTEGER PRIMARY KEY,
    call_id         TEXT    NOT NULL UNIQUE,
    function        TEXT    NOT NULL,
    namespace       TEXT    NOT NULL,
    method          TEXT    NOT NULL,
    path            TEXT    NOT NULL,
    query           TEXT    NOT NULL,
    headers         TEXT    NOT NULL,
    body            BLOB,
    callback_url    TEXT    NOT NULL,
    enqueued_at     INTEGER NOT NULL,
    size            INTEGER NOT NULL,
    status          TEXT    NOT NULL,
    attempts        INTEGER NOT NULL DEFAULT 0,
    next_at         INTEGER NOT NULL DEFAULT 0,
    last_error      TEXT    NOT NULL DEFAULT '',
    function_status INTEGER NOT NULL DEFAULT 0,
    callback_status TEXT    NOT NULL DEFAULT '',
    finished_at     INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS requests_by_status ON requests (status, id);
)sql";

std::string encodeHeaders(const HeaderList& headers) {
    auto out = nlohmann::json::array();
    for (const auto& [k, v] : headers) {
        out.push_back({k, v});
    }
    return out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

HeaderList decodeHeaders(const std::string& text) {
    HeaderList out;
    auto parsed = nlohmann::json::parse(text, nullptr, false);
    if (!parsed.is_array()) {
        return out;
    }
    for (const auto& pair : parsed) {
        if (pair.is_array() && pair.size() == 2 && pair[0].is_string() && pair[1].is_string()) {
            out.emplace_back(pair[0].get<std::string>(), pair[1].get<std::string>());
        }
    }
    return out;
}

// A stored Unix time in milliseconds as a clock time; a value the clock
// cannot hold (a damaged row) is clamped rather than overflowing.
std::chrono::system_clock::time_point timeFromMs(int64_t ms) {
    using namespace std::chrono;
    constexpr int64_t kLimit = duration_cast<milliseconds>(system_clock::duration::max()).count();
    return system_clock::time_point(milliseconds(std::clamp(ms, -kLimit, kLimit)));
}

} // namespace

// --- Store

uint64_t storedSize(const gateway::AsyncRequest& r) {
    uint64_t size = 256 + r.callId.size() + r.name.size() + r.ns.size() + r.method.size() +
                    r.path.size() + r.query.size() + r.body.size() + r.callbackUrl.size();
    for (const auto& [k, v] : r.headers) {
        size += k.size() + v.size() + 8;
    }
    return size;
}

Result<std::unique_ptr<Store>> Store::open(const std::filesystem::path& path, bool fullSync) {
    std::unique_ptr<Store> s(new Store());
    TRY_ASSIGN(s->writer_, sqlite::Db::open(path, fullSync));
    TRY(withContext(s->writer_.exec(kSchema), "creating the queue schema"));
    TRY_ASSIGN(s->reader_, sqlite::Db::open(path, fullSync));
    auto prepare = [&]() -> Result<void> {
        sqlite::Db& w = s->writer_;
        TRY_ASSIGN(s->begin_, w.prepare("BEGIN IMMEDIATE"));
        TRY_ASSIGN(s->commit_, w.prepare("COMMIT"));
        TRY_ASSIGN(s->insert_,
                   w.prepare("INSERT INTO requests (call_id, function, namespace, method, path, "
                             "query, headers, body, callback_url, enqueued_at, size, status) "
                             "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending')"));
        TRY_ASSIGN(
            s->running_,
            w.prepare("UPDATE requests SET status = 'running', attempts = ?2 WHERE id = ?1"));
        TRY_ASSIGN(s->retrying_, w.prepare("UPDATE requests SET status = 'retrying', next_at = ?2, "
                                           "last_error = ?3 WHERE id = ?1"));
        TRY_ASSIGN(s->finished_,
                   w.prepare("UPDATE requests SET status = ?2, function_status = ?3, "
                             "last_error = ?4, callback_status = ?5, finished_at = ?6, "
                             "body = CASE WHEN ?2 = 'completed' THEN NULL ELSE body END "
                             "WHERE id = ?1"));
        TRY_ASSIGN(s->find_, w.prepare("SELECT id, function, namespace, status, next_at, size, "
                                       "enqueued_at FROM requests WHERE call_id = ?1"));
        TRY_ASSIGN(s->reset_,
                   w.prepare("UPDATE requests SET status = 'pending', attempts = 0, next_at = 0, "
                             "last_error = '', callback_status = '', finished_at = 0 "
                             "WHERE id = ?1"));
        TRY_ASSIGN(s->erase_, w.prepare("DELETE FROM requests WHERE id = ?1"));
        sqlite::Db& r = s->reader_;
        TRY_ASSIGN(s->load_,
                   r.prepare("SELECT id, call_id, function, namespace, method, path, query, "
                             "headers, body, callback_url, enqueued_at, status, attempts "
                             "FROM requests WHERE id = ?1"));
        TRY_ASSIGN(s->oldest_, r.prepare("SELECT MIN(enqueued_at) FROM requests "
                                         "WHERE status IN ('pending', 'running', 'retrying')"));
        return {};
    };
    TRY(withContext(prepare(), "preparing the queue's statements"));
    return s;
}

Result<sqlite::Transaction> Store::begin() {
    return sqlite::Transaction::begin(writer_, begin_, commit_);
}

Result<std::optional<int64_t>> Store::insert(const gateway::AsyncRequest& r, int64_t nowMs,
                                             uint64_t size) {
    const std::string headers = encodeHeaders(r.headers);
    auto done = insert_
                    .bind(r.callId, r.name, r.ns, r.method, r.path, r.query, headers,
                          sqlite::Blob{r.body}, r.callbackUrl, nowMs, static_cast<int64_t>(size))
                    .run();
    if (!done) {
        if (done.error().code() == Code::AlreadyExists) {
            return std::optional<int64_t>();
        }
        return fail(done.error());
    }
    return std::optional<int64_t>(writer_.lastInsertRowid());
}

Result<void> Store::markRunning(int64_t id, uint64_t attempts) {
    return running_.bind(id, static_cast<int64_t>(attempts)).run();
}

Result<void> Store::markRetrying(int64_t id, int64_t nextAtMs, const std::string& error) {
    return retrying_.bind(id, nextAtMs, error).run();
}

Result<void> Store::markFinished(int64_t id, const std::string& status, int functionStatus,
                                 const std::string& error, const std::string& callbackStatus,
                                 int64_t nowMs) {
    return finished_.bind(id, status, int64_t{functionStatus}, error, callbackStatus, nowMs).run();
}

namespace {

// Columns: id, function, namespace, status, next_at, size, enqueued_at.
Entry entryFrom(const sqlite::Binding& row) {
    return Entry{row.int64(0), api::FunctionRef{row.text(1), row.text(2)}, row.text(3),
                 row.int64(4), static_cast<uint64_t>(row.int64(5)),        row.int64(6)};
}

} // namespace

Result<std::optional<Entry>> Store::findByCallId(const std::string& callId) {
    auto use = find_.bind(callId);
    TRY_ASSIGN(bool row, use.step());
    if (!row) {
        return std::optional<Entry>();
    }
    return std::optional<Entry>(entryFrom(use));
}

Result<void> Store::resetFailed(int64_t id) {
    return reset_.bind(id).run();
}

Result<void> Store::erase(int64_t id) {
    return erase_.bind(id).run();
}

Result<int64_t> Store::pruneCompleted(int64_t beforeMs) {
    TRY_ASSIGN(auto st,
               withContext(writer_.prepare("DELETE FROM requests WHERE status = 'completed' AND "
                                           "finished_at < ?1",
                                           false),
                           "pruning completed requests"));
    TRY(st.bind(beforeMs).run());
    return writer_.changes();
}

Result<std::vector<Entry>> Store::recover() {
    TRY(writer_.exec("UPDATE requests SET status = 'pending' WHERE status = 'running'"));
    TRY_ASSIGN(auto st, withContext(writer_.prepare("SELECT id, function, namespace, status, "
                                                    "next_at, size, enqueued_at FROM requests "
                                                    "WHERE status != 'completed' ORDER BY id",
                                                    false),
                                    "reading the queue"));
    auto use = st.bind();
    std::vector<Entry> out;
    for (;;) {
        TRY_ASSIGN(bool row, use.step());
        if (!row) {
            return out;
        }
        out.push_back(entryFrom(use));
    }
}

Result<std::optional<Job>> Store::load(int64_t id) {
    std::lock_guard lock(readMutex_);
    auto use = load_.bind(id);
    TRY_ASSIGN(bool row, use.step());
    if (!row) {
        return std::optional<Job>();
    }
    Job j;
    j.id = use.int64(0);
    j.callId = use.text(1);
    j.function = api::FunctionRef{use.text(2), use.text(3)};
    j.method = use.text(4);
    j.path = use.text(5);
    j.query = use.text(6);
    j.headers = decodeHeaders(use.text(7));
    j.body = use.text(8);
    j.callbackUrl = use.text(9);
    j.enqueuedMs = use.int64(10);
    j.status = use.text(11);
    j.attempts = static_cast<uint64_t>(use.int64(12));
    return std::optional<Job>(std::move(j));
}

Result<std::vector<gateway::AsyncRequestInfo>> Store::list(const gateway::AsyncListFilter& filter) {
    std::lock_guard lock(readMutex_);
    TRY_ASSIGN(auto st,
               withContext(reader_.prepare("SELECT call_id, function, namespace, method, path, "
                                           "status, attempts, enqueued_at, last_error, "
                                           "callback_url, callback_status FROM requests "
                                           "WHERE (?1 = '' OR status = ?1) "
                                           "AND (?2 = '' OR namespace = ?2) "
                                           "ORDER BY id DESC LIMIT ?3",
                                           false),
                           "listing requests"));
    auto use = st.bind(filter.status, filter.ns, static_cast<int64_t>(filter.limit));
    std::vector<gateway::AsyncRequestInfo> out;
    for (;;) {
        TRY_ASSIGN(bool row, use.step());
        if (!row) {
            return out;
        }
        gateway::AsyncRequestInfo i;
        i.callId = use.text(0);
        i.function = use.text(1);
        i.ns = use.text(2);
        i.method = use.text(3);
        i.path = use.text(4);
        i.status = use.text(5);
        i.attempts = static_cast<uint64_t>(use.int64(6));
        i.enqueuedAt = timeFromMs(use.int64(7));
        i.lastError = use.text(8);
        i.callbackUrl = use.text(9);
        i.callbackStatus = use.text(10);
        out.push_back(std::move(i));
    }
}

Result<std::optional<int64_t>> Store::oldestUnfinishedMs() {
    std::lock_guard lock(readMutex_);
    auto use = oldest_.bind();
    TRY_ASSIGN(bool row, use.step());
    if (!row || use.isNull(0)) {
        return std::optional<int64_t>();
    }
    return std::optional<int64_t>(use.int64(0));
}

} // namespace faasd::queue
