#include "queue/store.hpp"

#include <nlohmann/json.hpp>
#include <sqlite3.h>

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

Error sqliteError(sqlite3* db, std::string_view what) {
    int code = sqlite3_errcode(db);
    Code c = code == SQLITE_FULL || code == SQLITE_NOMEM ? Code::ResourceExhausted
             : code == SQLITE_BUSY || code == SQLITE_LOCKED || code == SQLITE_IOERR
                 ? Code::Unavailable
                 : Code::Internal;
    return Error(c, fmt::format("{}: {}", what, sqlite3_errmsg(db)));
}

Result<void> exec(sqlite3* db, const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db, sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        return fail(Code::Internal, "{}: {}", sql, text);
    }
    return {};
}

Result<sqlite3*> openConnection(const std::filesystem::path& path, bool fullSync) {
    sqlite3* db = nullptr;
    int rc = sqlite3_open_v2(path.c_str(), &db,
                             SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                             nullptr);
    if (rc != SQLITE_OK) {
        std::string message = db ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
        sqlite3_close(db);
        return fail(Code::Unavailable, "opening {}: {}", path.string(), message);
    }
    sqlite3_busy_timeout(db, 5000);
    auto setup = [&]() -> Result<void> {
        TRY(exec(db, "PRAGMA journal_mode=WAL"));
        TRY(exec(db, fullSync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
        TRY(exec(db, "PRAGMA foreign_keys=OFF"));
        return {};
    };
    if (auto r = setup(); !r) {
        sqlite3_close(db);
        return fail(r.error().context("opening " + path.string()));
    }
    return db;
}

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

} // namespace

// --- Statement

Statement::Statement(sqlite3* db, const char* sql) : db_(db) {
    if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, &stmt_, nullptr) != SQLITE_OK) {
        stmt_ = nullptr;
    }
}

Statement::~Statement() {
    sqlite3_finalize(stmt_);
}

Statement& Statement::operator=(Statement&& other) noexcept {
    if (this != &other) {
        sqlite3_finalize(stmt_);
        db_ = other.db_;
        stmt_ = other.stmt_;
        other.stmt_ = nullptr;
    }
    return *this;
}

Statement& Statement::bind(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
    return *this;
}

Statement& Statement::bind(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
    return *this;
}

Statement& Statement::bindBlob(int index, const std::string& value) {
    sqlite3_bind_blob64(stmt_, index, value.data(), value.size(), SQLITE_STATIC);
    return *this;
}

Result<bool> Statement::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    auto error = sqliteError(db_, sqlite3_sql(stmt_));
    if (rc == SQLITE_CONSTRAINT) {
        error = Error(Code::AlreadyExists, error.message());
    }
    sqlite3_reset(stmt_);
    return fail(std::move(error));
}

void Statement::reset() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

bool Statement::isNull(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Statement::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string Statement::text(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);
    return data ? std::string(static_cast<const char*>(data), static_cast<size_t>(size))
                : std::string();
}

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
    TRY_ASSIGN(s->writer_, openConnection(path, fullSync));
    TRY(withContext(exec(s->writer_, kSchema), "creating the queue schema"));
    TRY_ASSIGN(s->reader_, openConnection(path, fullSync));
    sqlite3* w = s->writer_;
    s->begin_ = Statement(w, "BEGIN IMMEDIATE");
    s->commit_ = Statement(w, "COMMIT");
    s->insert_ = Statement(w, "INSERT INTO requests (call_id, function, namespace, method, path, "
                              "query, headers, body, callback_url, enqueued_at, size, status) "
                              "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending')");
    s->running_ = Statement(w, "UPDATE requests SET status = 'running', attempts = ?2 WHERE id = ?1");
    s->retrying_ = Statement(w, "UPDATE requests SET status = 'retrying', next_at = ?2, "
                                "last_error = ?3 WHERE id = ?1");
    s->finished_ = Statement(
        w, "UPDATE requests SET status = ?2, function_status = ?3, last_error = ?4, "
           "callback_status = ?5, finished_at = ?6, "
           "body = CASE WHEN ?2 = 'completed' THEN NULL ELSE body END WHERE id = ?1");
    s->find_ = Statement(w, "SELECT id, function || '.' || namespace, status, next_at, size, "
                            "enqueued_at FROM requests WHERE call_id = ?1");
    s->reset_ = Statement(w, "UPDATE requests SET status = 'pending', attempts = 0, next_at = 0, "
                             "last_error = '', callback_status = '', finished_at = 0 "
                             "WHERE id = ?1");
    s->erase_ = Statement(w, "DELETE FROM requests WHERE id = ?1");
    s->load_ = Statement(s->reader_,
                         "SELECT id, call_id, function, namespace, method, path, query, headers, "
                         "body, callback_url, enqueued_at, status, attempts FROM requests "
                         "WHERE id = ?1");
    s->oldest_ = Statement(s->reader_, "SELECT MIN(enqueued_at) FROM requests "
                                       "WHERE status IN ('pending', 'running', 'retrying')");
    for (const Statement* st : {&s->begin_, &s->commit_, &s->insert_, &s->running_, &s->retrying_,
                                &s->finished_, &s->find_, &s->reset_, &s->erase_, &s->load_,
                                &s->oldest_}) {
        if (!st->valid()) {
            return fail(sqliteError(w, "preparing the queue's statements"));
        }
    }
    return s;
}

Store::~Store() {
    // Statements first: a connection with live statements does not close.
    begin_ = Statement();
    commit_ = Statement();
    insert_ = Statement();
    running_ = Statement();
    retrying_ = Statement();
    finished_ = Statement();
    find_ = Statement();
    reset_ = Statement();
    erase_ = Statement();
    load_ = Statement();
    oldest_ = Statement();
    sqlite3_close(reader_);
    sqlite3_close(writer_);
}

Result<void> Store::begin() {
    TRY(begin_.step());
    begin_.reset();
    return {};
}

Result<void> Store::commit() {
    auto r = commit_.step();
    commit_.reset();
    if (!r) {
        return fail(r.error());
    }
    return {};
}

void Store::rollback() {
    if (!sqlite3_get_autocommit(writer_)) {
        (void)exec(writer_, "ROLLBACK");
    }
}

Result<std::optional<int64_t>> Store::insert(const gateway::AsyncRequest& r, int64_t nowMs, uint64_t size) {
    const std::string headers = encodeHeaders(r.headers);
    insert_.bind(1, r.callId).bind(2, r.name).bind(3, r.ns).bind(4, r.method).bind(5, r.path);
    insert_.bind(6, r.query).bind(7, headers).bindBlob(8, r.body).bind(9, r.callbackUrl);
    insert_.bind(10, nowMs).bind(11, static_cast<int64_t>(size));
    auto done = insert_.step();
    insert_.reset();
    if (!done) {
        if (done.error().code() == Code::AlreadyExists) {
            return std::optional<int64_t>();
        }
        return fail(done.error());
    }
    return std::optional<int64_t>(sqlite3_last_insert_rowid(writer_));
}

Result<void> Store::markRunning(int64_t id, uint64_t attempts) {
    running_.bind(1, id).bind(2, static_cast<int64_t>(attempts));
    auto r = running_.step();
    running_.reset();
    return r ? Result<void>{} : fail(r.error());
}

Result<void> Store::markRetrying(int64_t id, int64_t nextAtMs, const std::string& error) {
    retrying_.bind(1, id).bind(2, nextAtMs).bind(3, error);
    auto r = retrying_.step();
    retrying_.reset();
    return r ? Result<void>{} : fail(r.error());
}

Result<void> Store::markFinished(int64_t id, const std::string& status, int functionStatus,
                                 const std::string& error, const std::string& callbackStatus,
                                 int64_t nowMs) {
    finished_.bind(1, id).bind(2, status).bind(3, functionStatus).bind(4, error);
    finished_.bind(5, callbackStatus).bind(6, nowMs);
    auto r = finished_.step();
    finished_.reset();
    return r ? Result<void>{} : fail(r.error());
}

Result<std::optional<Entry>> Store::findByCallId(const std::string& callId) {
    find_.bind(1, callId);
    auto row = find_.step();
    if (!row) {
        find_.reset();
        return fail(row.error());
    }
    std::optional<Entry> out;
    if (*row) {
        out = Entry{find_.int64(0), find_.text(1), find_.text(2), find_.int64(3),
                    static_cast<uint64_t>(find_.int64(4)), find_.int64(5)};
    }
    find_.reset();
    return out;
}

Result<void> Store::resetFailed(int64_t id) {
    reset_.bind(1, id);
    auto r = reset_.step();
    reset_.reset();
    return r ? Result<void>{} : fail(r.error());
}

Result<void> Store::erase(int64_t id) {
    erase_.bind(1, id);
    auto r = erase_.step();
    erase_.reset();
    return r ? Result<void>{} : fail(r.error());
}

Result<int64_t> Store::pruneCompleted(int64_t beforeMs) {
    Statement st(writer_, "DELETE FROM requests WHERE status = 'completed' AND finished_at < ?1");
    if (!st.valid()) {
        return fail(sqliteError(writer_, "pruning completed requests"));
    }
    st.bind(1, beforeMs);
    TRY(st.step());
    return sqlite3_changes64(writer_);
}

Result<std::vector<Entry>> Store::recover() {
    TRY(exec(writer_, "UPDATE requests SET status = 'pending' WHERE status = 'running'"));
    Statement st(writer_, "SELECT id, function || '.' || namespace, status, next_at, size, "
                          "enqueued_at FROM requests WHERE status != 'completed' ORDER BY id");
    if (!st.valid()) {
        return fail(sqliteError(writer_, "reading the queue"));
    }
    std::vector<Entry> out;
    for (;;) {
        TRY_ASSIGN(bool row, st.step());
        if (!row) {
            break;
        }
        out.push_back(Entry{st.int64(0), st.text(1), st.text(2), st.int64(3),
                            static_cast<uint64_t>(st.int64(4)), st.int64(5)});
    }
    return out;
}

Result<std::optional<Job>> Store::load(int64_t id) {
    std::lock_guard lock(readMutex_);
    load_.bind(1, id);
    auto row = load_.step();
    if (!row) {
        load_.reset();
        return fail(row.error());
    }
    std::optional<Job> out;
    if (*row) {
        Job j;
        j.id = load_.int64(0);
        j.callId = load_.text(1);
        j.function = load_.text(2);
        j.ns = load_.text(3);
        j.method = load_.text(4);
        j.path = load_.text(5);
        j.query = load_.text(6);
        j.headers = decodeHeaders(load_.text(7));
        j.body = load_.text(8);
        j.callbackUrl = load_.text(9);
        j.enqueuedMs = load_.int64(10);
        j.status = load_.text(11);
        j.attempts = static_cast<uint64_t>(load_.int64(12));
        out = std::move(j);
    }
    load_.reset();
    return out;
}

Result<std::vector<gateway::AsyncRequestInfo>>
Store::list(const gateway::AsyncListFilter& filter) {
    std::lock_guard lock(readMutex_);
    Statement st(reader_,
                 "SELECT call_id, function, namespace, method, path, status, attempts, "
                 "enqueued_at, last_error, callback_url, callback_status FROM requests "
                 "WHERE (?1 = '' OR status = ?1) AND (?2 = '' OR namespace = ?2) "
                 "ORDER BY id DESC LIMIT ?3");
    if (!st.valid()) {
        return fail(sqliteError(reader_, "listing requests"));
    }
    st.bind(1, filter.status).bind(2, filter.ns).bind(3, static_cast<int64_t>(filter.limit));
    std::vector<gateway::AsyncRequestInfo> out;
    for (;;) {
        TRY_ASSIGN(bool row, st.step());
        if (!row) {
            break;
        }
        gateway::AsyncRequestInfo i;
        i.callId = st.text(0);
        i.function = st.text(1);
        i.ns = st.text(2);
        i.method = st.text(3);
        i.path = st.text(4);
        i.status = st.text(5);
        i.attempts = static_cast<uint64_t>(st.int64(6));
        i.enqueuedAt = std::chrono::system_clock::time_point(std::chrono::milliseconds(st.int64(7)));
        i.lastError = st.text(8);
        i.callbackUrl = st.text(9);
        i.callbackStatus = st.text(10);
        out.push_back(std::move(i));
    }
    return out;
}

Result<std::optional<int64_t>> Store::oldestUnfinishedMs() {
    std::lock_guard lock(readMutex_);
    auto row = oldest_.step();
    if (!row) {
        oldest_.reset();
        return fail(row.error());
    }
    std::optional<int64_t> out;
    if (*row && !oldest_.isNull(0)) {
        out = oldest_.int64(0);
    }
    oldest_.reset();
    return out;
}

} // namespace faasd::queue
