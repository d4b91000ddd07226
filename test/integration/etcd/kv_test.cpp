// KV, transactions, cluster and connection behaviour against a real etcd.

#include "support.hpp"

using namespace faasd;
using namespace faasd::etcd;
using namespace faasd::etcd::testing;

TEST_CASE("put, get and remove a key, with its revisions", "[etcd][kv]") {
    Cluster c;
    auto& etcd = *c.client;

    auto missing = etcd.get("/t/a");
    REQUIRE(missing);
    CHECK_FALSE(missing->has_value());

    auto first = etcd.put("/t/a", "one");
    REQUIRE(first);
    CHECK(*first > 0);
    auto got = etcd.get("/t/a");
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK((*got)->key == "/t/a");
    CHECK((*got)->value == "one");
    CHECK((*got)->createRevision == *first);
    CHECK((*got)->modRevision == *first);
    CHECK((*got)->version == 1);
    CHECK((*got)->lease == 0);

    auto second = etcd.put("/t/a", "two");
    REQUIRE(second);
    CHECK(*second == *first + 1);
    got = etcd.get("/t/a");
    REQUIRE(got);
    CHECK((*got)->value == "two");
    CHECK((*got)->createRevision == *first);
    CHECK((*got)->modRevision == *second);
    CHECK((*got)->version == 2);

    // Keys and values are bytes.
    const std::string binary("k\0\xff", 3);
    REQUIRE(etcd.put(binary, std::string("v\0\x01", 3)));
    got = etcd.get(binary);
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK((*got)->value == std::string("v\0\x01", 3));

    auto removed = etcd.remove("/t/a");
    REQUIRE(removed);
    CHECK(*removed == 1);
    got = etcd.get("/t/a");
    REQUIRE(got);
    CHECK_FALSE(got->has_value());
    removed = etcd.remove("/t/a");
    REQUIRE(removed);
    CHECK(*removed == 0);
}

TEST_CASE("a prefix reads and removes its keys only, sorted", "[etcd][kv]") {
    Cluster c;
    auto& etcd = *c.client;
    for (const char* key : {"/p/c", "/p/a", "/p/b/x", "/p0", "/q/a", "/p"}) {
        REQUIRE(etcd.put(key, key));
    }
    auto last = etcd.put("/p/d", "d");
    REQUIRE(last);

    auto range = etcd.getPrefix("/p/");
    REQUIRE(range);
    std::vector<std::string> keys;
    for (const auto& kv : range->kvs) {
        keys.push_back(kv.key);
        CHECK(kv.value == (kv.key == "/p/d" ? "d" : kv.key));
    }
    CHECK(keys == std::vector<std::string>{"/p/a", "/p/b/x", "/p/c", "/p/d"});
    CHECK(range->revision == *last);

    auto limited = etcd.getPrefix("/p/", 2);
    REQUIRE(limited);
    REQUIRE(limited->kvs.size() == 2);
    CHECK(limited->kvs[0].key == "/p/a");
    CHECK(limited->kvs[1].key == "/p/b/x");

    auto removed = etcd.removePrefix("/p/");
    REQUIRE(removed);
    CHECK(*removed == 4);
    range = etcd.getPrefix("/p");
    REQUIRE(range);
    REQUIRE(range->kvs.size() == 2); // "/p" and "/p0" were never under "/p/"
    CHECK(range->kvs[0].key == "/p");
    CHECK(range->kvs[1].key == "/p0");

    // The empty prefix is every key.
    auto all = etcd.getPrefix("");
    REQUIRE(all);
    CHECK(all->kvs.size() == 3);
}

TEST_CASE("what etcd refuses is InvalidArgument or NotFound, naming the key", "[etcd][kv]") {
    Cluster c;
    auto& etcd = *c.client;
    // etcd 3.4 takes requests up to 1.5 MiB.
    auto big = etcd.put("/t/big", std::string(2 << 20, 'x'));
    REQUIRE_FALSE(big);
    CHECK(big.error().code() == Code::InvalidArgument);
    CHECK(big.error().message().find("etcd: put /t/big") != std::string::npos);

    auto noLease = etcd.put("/t/leased", "v", 0x1234);
    REQUIRE_FALSE(noLease);
    CHECK(noLease.error().code() == Code::NotFound);
}

TEST_CASE("a transaction runs the branch its comparisons choose", "[etcd][txn]") {
    Cluster c;
    auto& etcd = *c.client;

    // Create-if-missing: once.
    auto created = etcd.txn({Compare::missing("/t/lock")}, {Operation::put("/t/lock", "me")},
                            {Operation::get("/t/lock")});
    REQUIRE(created);
    CHECK(created->succeeded);
    CHECK(created->ranges.empty());
    auto again = etcd.txn({Compare::missing("/t/lock")}, {Operation::put("/t/lock", "you")},
                          {Operation::get("/t/lock")});
    REQUIRE(again);
    CHECK_FALSE(again->succeeded);
    CHECK(again->revision == created->revision); // nothing written
    REQUIRE(again->ranges.size() == 1);
    REQUIRE(again->ranges[0].kvs.size() == 1);
    CHECK(again->ranges[0].kvs[0].value == "me");
    CHECK(again->ranges[0].kvs[0].modRevision == created->revision);

    auto exists = etcd.txn({Compare::exists("/t/lock")}, {}, {});
    REQUIRE(exists);
    CHECK(exists->succeeded);

    // Compare-and-swap on the mod revision: the stale writer loses.
    auto swapped = etcd.txn({Compare::modRevisionIs("/t/lock", created->revision)},
                            {Operation::put("/t/lock", "me2")});
    REQUIRE(swapped);
    CHECK(swapped->succeeded);
    CHECK(swapped->revision == created->revision + 1);
    auto stale = etcd.txn({Compare::modRevisionIs("/t/lock", created->revision)},
                          {Operation::put("/t/lock", "stale")});
    REQUIRE(stale);
    CHECK_FALSE(stale->succeeded);
    auto none = etcd.txn({Compare::modRevisionIs("/t/absent", 0)}, {});
    REQUIRE(none);
    CHECK(none->succeeded);

    // On the value.
    auto byValue = etcd.txn({Compare::valueIs("/t/lock", "me2")},
                            {Operation::remove("/t/lock"), Operation::put("/t/other", "o")});
    REQUIRE(byValue);
    CHECK(byValue->succeeded);
    auto gone = etcd.get("/t/lock");
    REQUIRE(gone);
    CHECK_FALSE(gone->has_value());
    auto wrongValue =
        etcd.txn({Compare::valueIs("/t/other", "x")}, {Operation::remove("/t/other")});
    REQUIRE(wrongValue);
    CHECK_FALSE(wrongValue->succeeded);

    // Several comparisons: all must hold. Several reads: one range each, in
    // order, at the transaction's revision.
    REQUIRE(etcd.put("/t/dir/a", "1"));
    REQUIRE(etcd.put("/t/dir/b", "2"));
    auto reads = etcd.txn({Compare::exists("/t/other"), Compare::missing("/t/lock")},
                          {Operation::getPrefix("/t/dir/"), Operation::put("/t/dir/c", "3"),
                           Operation::get("/t/other"), Operation::getPrefix("/t/dir/")});
    REQUIRE(reads);
    CHECK(reads->succeeded);
    REQUIRE(reads->ranges.size() == 3);
    CHECK(reads->ranges[0].kvs.size() == 2);
    REQUIRE(reads->ranges[1].kvs.size() == 1);
    CHECK(reads->ranges[1].kvs[0].value == "o");
    CHECK(reads->ranges[2].kvs.size() == 3); // sees the put before it
    for (const auto& r : reads->ranges) {
        CHECK(r.revision > 0);
    }

    auto cleared = etcd.txn({}, {Operation::removePrefix("/t/dir/")});
    REQUIRE(cleared);
    auto dir = etcd.getPrefix("/t/dir/");
    REQUIRE(dir);
    CHECK(dir->kvs.empty());
}

TEST_CASE("members and status describe the cluster", "[etcd][cluster]") {
    Cluster c;
    auto& etcd = *c.client;
    auto members = etcd.members();
    REQUIRE(members);
    REQUIRE(members->size() == 1);
    CHECK((*members)[0].name == "n1");
    CHECK((*members)[0].id != 0);
    CHECK((*members)[0].clientUrls == std::vector<std::string>{c.etcd->clientUrl(0)});
    CHECK((*members)[0].peerUrls.size() == 1);

    auto rev = etcd.put("/t/x", "1");
    REQUIRE(rev);
    auto status = etcd.status();
    REQUIRE(status);
    CHECK(status->version.rfind("3.", 0) == 0);
    CHECK(status->memberId == (*members)[0].id);
    CHECK(status->leaderId == (*members)[0].id);
    CHECK(status->revision == *rev);
    CHECK(status->raftTerm >= 1);
    CHECK(status->dbSize > 0);
}

TEST_CASE("connect fails quickly with Unavailable naming a dead endpoint", "[etcd][connect]") {
    auto port = faasd::testing::freeLoopbackPort();
    REQUIRE(port);
    const std::string dead = fmt::format("http://127.0.0.1:{}", *port);
    const auto started = std::chrono::steady_clock::now();
    auto client = Client::connect({.endpoints = {dead}, .dialTimeout = 500ms});
    const auto took = std::chrono::steady_clock::now() - started;
    REQUIRE_FALSE(client);
    CHECK(client.error().code() == Code::Unavailable);
    CHECK(client.error().message().find(dead) != std::string::npos);
    CHECK(took < 3s);

    auto bad = Client::connect({.endpoints = {"127.0.0.1:2379"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == Code::InvalidArgument);
    auto noCa = Client::connect({.endpoints = {"https://127.0.0.1:2379"}});
    REQUIRE_FALSE(noCa);
    CHECK(noCa.error().code() == Code::InvalidArgument);
    auto missingCa =
        Client::connect({.endpoints = {"https://127.0.0.1:2379"}, .caFile = "/nonexistent/ca.pem"});
    REQUIRE_FALSE(missingCa);
    CHECK(missingCa.error().code() == Code::InvalidArgument);
    CHECK(missingCa.error().message().find("/nonexistent/ca.pem") != std::string::npos);
}

TEST_CASE("with a dead endpoint first, calls go to the live one", "[etcd][connect]") {
    Cluster c;
    auto port = faasd::testing::freeLoopbackPort();
    REQUIRE(port);
    const std::string dead = fmt::format("http://127.0.0.1:{}", *port);
    auto client =
        Client::connect({.endpoints = {dead, c.etcd->clientUrl(0)}, .requestTimeout = 1000ms});
    REQUIRE(client);
    auto& etcd = **client;
    const auto started = std::chrono::steady_clock::now();
    REQUIRE(etcd.put("/t/k", "v"));
    auto got = etcd.get("/t/k");
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK((*got)->value == "v");
    CHECK(std::chrono::steady_clock::now() - started < 2s);

    // With every member down a call fails, Unavailable, within its deadline,
    // naming them all.
    c.etcd->kill(0);
    auto down = Client::connect({.endpoints = {dead, c.etcd->clientUrl(0)}, .dialTimeout = 300ms});
    REQUIRE_FALSE(down);
    auto failed = etcd.get("/t/k");
    REQUIRE_FALSE(failed);
    CHECK(failed.error().code() == Code::Unavailable);
    CHECK(failed.error().message().find("etcd: get /t/k") != std::string::npos);
    CHECK(failed.error().message().find(dead) != std::string::npos);
    CHECK(failed.error().message().find(c.etcd->clientUrl(0)) != std::string::npos);
}
