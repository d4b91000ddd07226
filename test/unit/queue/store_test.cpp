// The store read back: records as a damaged database may hold them.
#include "catch_result.hpp"
#include "common/files.hpp"
#include "queue/sqlite.hpp"
#include "queue/store.hpp"

#include <catch2/catch.hpp>
#include <limits>

using namespace faasd;

TEST_CASE("store: an enqueue time the clock cannot hold is listed clamped") {
    auto dir = TempDir::create("faasd-queue-store-").value();
    auto store = queue::Store::open(dir.path() / "queue.db", false);
    REQUIRE(store);
    for (int64_t at : {std::numeric_limits<int64_t>::max(), std::numeric_limits<int64_t>::min()}) {
        gateway::AsyncRequest request{.callId = at > 0 ? "late" : "early", .name = "f"};
        auto tx = (*store)->begin();
        REQUIRE(tx);
        REQUIRE((*store)->insert(request, at, 1));
        REQUIRE(tx->commit());
        auto listed = (*store)->list({}); // newest first
        REQUIRE(listed);
        REQUIRE_FALSE(listed->empty());
        const auto enqueued = listed->front().enqueuedAt;
        CHECK(enqueued != std::chrono::system_clock::time_point{});
        CHECK((at > 0) == (enqueued > std::chrono::system_clock::time_point{}));
    }
}

TEST_CASE("sqlite: a full database is Unavailable (503), not the queue's bound (429)") {
    auto dir = TempDir::create("faasd-queue-store-").value();
    auto db = queue::sqlite::Db::open(dir.path() / "full.db", false);
    REQUIRE(db);
    // As a full disk does: no page beyond the few there are.
    REQUIRE(db->exec("CREATE TABLE t (v BLOB); PRAGMA max_page_count = 8;"));
    auto insert = db->prepare("INSERT INTO t VALUES (zeroblob(4096))");
    REQUIRE(insert);
    Result<void> last;
    for (int i = 0; i < 100 && last; ++i) {
        last = insert->bind().run();
    }
    REQUIRE(!last);
    CHECK(last.error().code() == Code::Unavailable);
    CHECK(last.error().message().find("full") != std::string::npos);
}
