#include "queue/sqlite.hpp"

#include <sqlite3.h>

namespace faasd::queue::sqlite {

namespace {

Error errorOf(sqlite3* db, std::string_view what) {
    int code = sqlite3_errcode(db);
    // A full disk is the daemon's trouble, not the caller's: Unavailable
    // (503), not ResourceExhausted (429, which the gateway answers for the
    // queue's own bounds).
    Code c = code == SQLITE_NOMEM ? Code::ResourceExhausted
             : code == SQLITE_FULL || code == SQLITE_BUSY || code == SQLITE_LOCKED ||
                     code == SQLITE_IOERR
                 ? Code::Unavailable
                 : Code::Internal;
    return Error(c, fmt::format("{}: {}", what, sqlite3_errmsg(db)));
}

} // namespace

// --- Db

void Db::Close::operator()(sqlite3* db) const {
    sqlite3_close_v2(db);
}

Result<Db> Db::open(const std::filesystem::path& path, bool fullSync) {
    sqlite3* raw = nullptr;
    int rc =
        sqlite3_open_v2(path.c_str(), &raw,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
    Db db(raw); // owns the handle even when opening failed
    if (rc != SQLITE_OK) {
        return fail(Code::Unavailable, "opening {}: {}", path.string(),
                    raw ? sqlite3_errmsg(raw) : sqlite3_errstr(rc));
    }
    sqlite3_busy_timeout(raw, 5000);
    auto setup = [&]() -> Result<void> {
        TRY(db.exec("PRAGMA journal_mode=WAL"));
        TRY(db.exec(fullSync ? "PRAGMA synchronous=FULL" : "PRAGMA synchronous=NORMAL"));
        TRY(db.exec("PRAGMA foreign_keys=OFF"));
        return {};
    };
    TRY(withContext(setup(), "opening " + path.string()));
    return db;
}

Result<void> Db::exec(const char* sql) {
    char* message = nullptr;
    if (sqlite3_exec(db_.get(), sql, nullptr, nullptr, &message) != SQLITE_OK) {
        std::string text = message ? message : "unknown error";
        sqlite3_free(message);
        return fail(Code::Internal, "{}: {}", sql, text);
    }
    return {};
}

Result<Statement> Db::prepare(const char* sql, bool persistent) {
    sqlite3_stmt* stmt = nullptr;
    if (sqlite3_prepare_v3(db_.get(), sql, -1, persistent ? SQLITE_PREPARE_PERSISTENT : 0, &stmt,
                           nullptr) != SQLITE_OK) {
        sqlite3_finalize(stmt);
        return fail(error(fmt::format("preparing {}", sql)));
    }
    return Statement(db_.get(), stmt);
}

int64_t Db::lastInsertRowid() const {
    return sqlite3_last_insert_rowid(db_.get());
}

int64_t Db::changes() const {
    return sqlite3_changes64(db_.get());
}

bool Db::inTransaction() const {
    return !sqlite3_get_autocommit(db_.get());
}

Error Db::error(std::string_view what) const {
    return errorOf(db_.get(), what);
}

// --- Statement and Binding

void Statement::Finalize::operator()(sqlite3_stmt* stmt) const {
    sqlite3_finalize(stmt);
}

Binding::~Binding() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
}

void Binding::bindAt(int index, int64_t value) {
    sqlite3_bind_int64(stmt_, index, value);
}

void Binding::bindAt(int index, const std::string& value) {
    sqlite3_bind_text(stmt_, index, value.data(), static_cast<int>(value.size()), SQLITE_STATIC);
}

void Binding::bindAt(int index, Blob value) {
    sqlite3_bind_blob64(stmt_, index, value.bytes.data(), value.bytes.size(), SQLITE_STATIC);
}

Result<bool> Binding::step() {
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) {
        return true;
    }
    if (rc == SQLITE_DONE) {
        return false;
    }
    auto error = errorOf(db_, sqlite3_sql(stmt_));
    if (rc == SQLITE_CONSTRAINT) {
        error = Error(Code::AlreadyExists, error.message());
    }
    return fail(std::move(error));
}

Result<void> Binding::run() {
    for (;;) {
        TRY_ASSIGN(bool row, step());
        if (!row) {
            return {};
        }
    }
}

bool Binding::isNull(int column) const {
    return sqlite3_column_type(stmt_, column) == SQLITE_NULL;
}

int64_t Binding::int64(int column) const {
    return sqlite3_column_int64(stmt_, column);
}

std::string Binding::text(int column) const {
    const void* data = sqlite3_column_blob(stmt_, column);
    int size = sqlite3_column_bytes(stmt_, column);
    return data ? std::string(static_cast<const char*>(data), static_cast<size_t>(size))
                : std::string();
}

// --- Transaction

Result<Transaction> Transaction::begin(Db& db, Statement& begin, Statement& commit) {
    TRY(begin.bind().run());
    return Transaction(db, commit);
}

Transaction::~Transaction() {
    if (db_ && db_->inTransaction()) {
        (void)db_->exec("ROLLBACK"); // nothing more to do when even this fails
    }
}

Result<void> Transaction::commit() {
    TRY(commit_->bind().run()); // uncommitted: rolled back when this goes
    db_ = nullptr;
    return {};
}

} // namespace faasd::queue::sqlite
