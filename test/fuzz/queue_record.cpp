// The async queue's stored records read back: at start (recover), by a
// worker (load), by the admin API (list, oldest). A record as a damaged or
// older database may hold it: each column is NULL, an integer, a real, text
// or a blob, whatever the schema's type.
#include "input.hpp"
#include "queue/store.hpp"

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <sqlite3.h>
#include <unistd.h>

namespace {

constexpr const char* kInsert =
    "INSERT INTO requests (id, call_id, function, namespace, method, path, query, headers, body, "
    "callback_url, enqueued_at, size, status, attempts, next_at, last_error, function_status, "
    "callback_status, finished_at) "
    "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)";
constexpr int kColumns = 19;

// One column from its text: "n" NULL, "i<digits>" an integer, "r<number>"
// a real, "b<bytes>" a blob, anything else ("t<text>") text.
void bindColumn(sqlite3_stmt* st, int i, std::string_view field) {
    const char kind = field.empty() ? 'n' : field[0];
    const std::string value(field.substr(field.empty() ? 0 : 1));
    switch (kind) {
    case 'n':
        sqlite3_bind_null(st, i);
        break;
    case 'i':
        sqlite3_bind_int64(st, i, std::strtoll(value.c_str(), nullptr, 10));
        break;
    case 'r':
        sqlite3_bind_double(st, i, std::strtod(value.c_str(), nullptr));
        break;
    case 'b':
        sqlite3_bind_blob(st, i, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        break;
    default:
        sqlite3_bind_text(st, i, value.data(), static_cast<int>(value.size()), SQLITE_TRANSIENT);
        break;
    }
}

std::vector<std::string_view> splitFields(std::string_view line) {
    std::vector<std::string_view> out;
    for (;;) {
        const size_t bar = line.find('|');
        out.push_back(line.substr(0, bar));
        if (bar == std::string_view::npos) {
            return out;
        }
        line.remove_prefix(bar + 1);
    }
}

// A folder of this process's own, in memory where there is /dev/shm.
const std::filesystem::path& scratch() {
    static const std::filesystem::path dir =
        (std::filesystem::exists("/dev/shm") ? std::filesystem::path("/dev/shm")
                                             : std::filesystem::temp_directory_path()) /
        ("faasd-fuzz-queue-" + std::to_string(::getpid()));
    return dir;
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    using namespace faasd;
    static const std::filesystem::path path = [] {
        std::filesystem::create_directories(scratch());
        std::atexit([] { std::filesystem::remove_all(scratch()); });
        return scratch() / "queue.db";
    }();
    static std::unique_ptr<queue::Store> store = [] {
        auto s = queue::Store::open(path, false);
        if (!s) {
            __builtin_trap();
        }
        return std::move(*s);
    }();
    static sqlite3* raw = [] {
        sqlite3* db = nullptr;
        if (sqlite3_open(path.c_str(), &db) != SQLITE_OK) {
            __builtin_trap();
        }
        sqlite3_busy_timeout(db, 5000);
        return db;
    }();

    // Up to three rows, one a line of '|'-separated columns in the table's
    // order (id, call_id, function, ..., finished_at); then a line with the
    // call id to find and the admin API's filter: status|namespace|limit.
    const auto lines = fuzz::splitLines(fuzz::asText(data, size), 3);
    sqlite3_exec(raw, "DELETE FROM requests", nullptr, nullptr, nullptr);
    for (size_t r = 0; r + 1 < lines.size(); ++r) {
        const auto fields = splitFields(lines[r]);
        sqlite3_stmt* st = nullptr;
        sqlite3_prepare_v2(raw, kInsert, -1, &st, nullptr);
        for (int i = 0; i < kColumns; ++i) {
            bindColumn(st, i + 1, i < static_cast<int>(fields.size()) ? fields[i] : "n");
        }
        sqlite3_step(st); // a row the schema refuses is simply not there
        sqlite3_finalize(st);
    }
    const auto query = splitFields(lines.back());
    auto field = [&](size_t i) { return std::string(i < query.size() ? query[i] : ""); };
    const std::string callId = field(0);
    gateway::AsyncListFilter filter{
        field(1), field(2), static_cast<size_t>(std::strtoul(field(3).c_str(), nullptr, 10) % 100)};

    if (auto tx = store->begin()) {
        if (auto entries = store->recover()) {
            for (const auto& entry : *entries) {
                (void)store->load(entry.id);
            }
        }
        (void)store->findByCallId(callId);
        (void)tx->commit();
    }
    (void)store->list(filter);
    (void)store->oldestUnfinishedMs();
    return 0;
}
