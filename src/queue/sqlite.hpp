#pragma once

// Small owners for SQLite's C handles, as UniqueFd is for file descriptors:
//
//   TRY_ASSIGN(Db db, Db::open(path, fullSync));
//   TRY_ASSIGN(Statement st, db.prepare("SELECT a FROM t WHERE id = ?1"));
//   {
//       auto use = st.bind(id);          // bound now; reset and cleared when
//       TRY_ASSIGN(bool row, use.step()); // `use` goes, on every path
//       ... use.int64(0) ...
//   }
//   TRY_ASSIGN(Transaction tx, Transaction::begin(db, beginSt, commitSt));
//   ...
//   TRY(tx.commit()); // else rolled back when tx goes
//
// Text and blobs are bound without a copy: what is bound must outlive the
// Binding (binding a temporary string does not compile).

#include "common/error.hpp"

#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <string_view>
#include <utility>

struct sqlite3;
struct sqlite3_stmt;

namespace faasd::queue::sqlite {

class Statement;

// A connection, closed with sqlite3_close_v2 (which waits for statements
// still alive, so no member order matters).
class Db {
public:
    Db() = default;

    // Opens (creating) a database in WAL mode with a busy timeout.
    // fullSync: synchronous=FULL (every commit reaches the disk), else NORMAL.
    static Result<Db> open(const std::filesystem::path& path, bool fullSync);

    // Runs one or more statements without results.
    Result<void> exec(const char* sql);
    // persistent: kept for the connection's life (SQLITE_PREPARE_PERSISTENT).
    Result<Statement> prepare(const char* sql, bool persistent = true);

    int64_t lastInsertRowid() const;
    int64_t changes() const;
    bool inTransaction() const;
    // "what: <SQLite's message>", with a Code from the connection's last error.
    Error error(std::string_view what) const;

private:
    struct Close {
        void operator()(sqlite3* db) const;
    };
    explicit Db(sqlite3* db) : db_(db) {}

    std::unique_ptr<sqlite3, Close> db_;
};

// A blob argument (the default for strings is text).
struct Blob {
    const std::string& bytes;
};

class Binding;

// A prepared statement, finalized when it goes.
class Statement {
public:
    Statement() = default;

    // Binds args to ?1, ?2, ... and hands the statement over until the
    // Binding goes. int64_t, const std::string& (text) and Blob.
    template <typename... Args> Binding bind(Args&&... args);

private:
    friend class Db;
    friend class Binding;
    struct Finalize {
        void operator()(sqlite3_stmt* stmt) const;
    };
    Statement(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}

    sqlite3* db_ = nullptr;
    std::unique_ptr<sqlite3_stmt, Finalize> stmt_;
};

// A statement in use: bound, stepped, read; reset and its bindings cleared
// when it goes, whichever way the scope is left.
class [[nodiscard]] Binding {
public:
    template <typename... Args>
    explicit Binding(Statement& statement, Args&&... args)
        : db_(statement.db_), stmt_(statement.stmt_.get()) {
        int index = 1;
        (bindAt(index++, std::forward<Args>(args)), ...);
    }
    ~Binding();
    Binding(const Binding&) = delete;
    Binding& operator=(const Binding&) = delete;

    // true: a row; false: done. A constraint violation is AlreadyExists.
    Result<bool> step();
    // Steps to the end, for statements without rows.
    Result<void> run();

    bool isNull(int column) const;
    int64_t int64(int column) const;
    // Text or blob, as bytes.
    std::string text(int column) const;

private:
    void bindAt(int index, int64_t value);
    void bindAt(int index, const std::string& value);
    void bindAt(int index, std::string&& value) = delete; // would dangle
    void bindAt(int index, Blob value);

    sqlite3* db_;
    sqlite3_stmt* stmt_;
};

// BEGIN IMMEDIATE ... COMMIT; rolled back when it goes uncommitted.
class Transaction {
public:
    // Steps begin (BEGIN IMMEDIATE); commit (COMMIT) is stepped by commit().
    static Result<Transaction> begin(Db& db, Statement& begin, Statement& commit);
    ~Transaction();
    Transaction(Transaction&& other) noexcept
        : db_(std::exchange(other.db_, nullptr)), commit_(other.commit_) {}
    Transaction& operator=(Transaction&&) = delete;

    Result<void> commit();

private:
    Transaction(Db& db, Statement& commit) : db_(&db), commit_(&commit) {}

    Db* db_; // null once committed or rolled back
    Statement* commit_;
};

template <typename... Args> Binding Statement::bind(Args&&... args) {
    return Binding(*this, std::forward<Args>(args)...);
}

} // namespace faasd::queue::sqlite
