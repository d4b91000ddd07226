#include "common/files.hpp"
#include "network/result_cache.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;
using nlohmann::json;

namespace {

CachedAttachment record(const std::string& id, json result = json()) {
    return CachedAttachment{
        .id = id,
        .ifName = "eth0",
        .netns = "/var/run/netns/" + id,
        .conflist = {{"name", "n"}, {"cniVersion", "1.0.0"}, {"plugins", {{{"type", "x"}}}}},
        .result = std::move(result),
    };
}

} // namespace

TEST_CASE("attachment records are saved, loaded, listed and removed", "[cache]") {
    auto dir = TempDir::create("faasd-cache-");
    REQUIRE(dir);
    ResultCache cache(dir->path() / "state" / "n");

    auto none = cache.list();
    REQUIRE(none);
    CHECK(none->empty());
    auto missing = cache.load("say-1");
    REQUIRE(missing);
    CHECK_FALSE(*missing);

    REQUIRE(cache.save(record("say-2")));
    REQUIRE(cache.save(record("say-1", json{{"cniVersion", "1.0.0"}})));
    auto loaded = cache.load("say-1");
    REQUIRE(loaded);
    REQUIRE(*loaded);
    CHECK((*loaded)->netns == "/var/run/netns/say-1");
    CHECK((*loaded)->complete());
    CHECK((*loaded)->result == json{{"cniVersion", "1.0.0"}});
    CHECK((*loaded)->conflist["name"] == "n");

    auto all = cache.list();
    REQUIRE(all);
    REQUIRE(all->size() == 2);
    CHECK((*all)[0].id == "say-1");
    CHECK((*all)[1].id == "say-2");
    CHECK_FALSE((*all)[1].complete());

    REQUIRE(cache.remove("say-1"));
    REQUIRE(cache.remove("say-1"));
    auto after = cache.list();
    REQUIRE(after);
    REQUIRE(after->size() == 1);
    CHECK((*after)[0].id == "say-2");
}

TEST_CASE("a record file that cannot be read is skipped when listing", "[cache]") {
    auto dir = TempDir::create("faasd-cache-");
    REQUIRE(dir);
    ResultCache cache(dir->path());
    REQUIRE(cache.save(record("good")));
    REQUIRE(writeFileAtomic(dir->path() / "bad.json", "{not json"));
    REQUIRE(writeFileAtomic(dir->path() / "other.json", R"({"kind":"something else"})"));
    REQUIRE(writeFileAtomic(dir->path() / "good.json.tmp", "partial"));

    auto all = cache.list();
    REQUIRE(all);
    REQUIRE(all->size() == 1);
    CHECK((*all)[0].id == "good");
    CHECK_FALSE(cache.load("bad"));
}

TEST_CASE("ids that are not safe file names are refused", "[cache]") {
    auto dir = TempDir::create("faasd-cache-");
    REQUIRE(dir);
    ResultCache cache(dir->path());
    for (const char* id : {"", "../x", "a/b", ".hidden", "sp ace"}) {
        auto saved = cache.save(record(id));
        REQUIRE_FALSE(saved);
        CHECK(saved.error().code() == Code::InvalidArgument);
    }
    CHECK(cache.save(record("say_1.x-2")));
}
