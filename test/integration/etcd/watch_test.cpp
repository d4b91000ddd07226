// Watches against a real etcd: order and revisions, a start in the past,
// compaction, and streams broken by members that die.

#include "support.hpp"

#include <set>

using namespace faasd;
using namespace faasd::etcd;
using namespace faasd::etcd::testing;

namespace {

// Waits until the members other than `down` agree on a leader among them.
// Until then a write may go to a follower that still forwards to the dead
// leader, and time out (etcd's own timeout is longer than our deadline).
bool waitForLiveLeader(const faasd::testing::EtcdCluster& etcd, size_t down) {
    std::vector<std::unique_ptr<Client>> clients;
    for (size_t j = 0; j < etcd.size(); ++j) {
        if (j != down) {
            clients.push_back(connectTo({etcd.clientUrl(j)}));
        }
    }
    return waitUntil(
        [&] {
            std::set<uint64_t> leaders, alive;
            for (auto& client : clients) {
                auto status = client->status();
                if (!status) {
                    return false;
                }
                leaders.insert(status->leaderId);
                alive.insert(status->memberId);
            }
            return leaders.size() == 1 && alive.count(*leaders.begin()) == 1;
        },
        10s, 50ms);
}

} // namespace

TEST_CASE("a watch delivers a prefix's events in order, with their revisions", "[etcd][watch]") {
    Cluster c;
    auto& etcd = *c.client;
    auto before = etcd.put("/w/before", "x");
    REQUIRE(before);
    Recorder rec;
    auto watch = etcd.watchPrefix("/w/", 0, rec.handlers());
    REQUIRE(watch);
    CHECK((*watch)->revision() == *before);

    auto a = etcd.put("/w/a", "1");
    REQUIRE(a);
    REQUIRE(etcd.put("/w0", "not under /w/"));
    REQUIRE(etcd.put("/x/a", "elsewhere"));
    auto b = etcd.put("/w/b", "2");
    REQUIRE(b);
    auto del = etcd.remove("/w/a");
    REQUIRE(del);
    auto both = etcd.txn({}, {Operation::put("/w/c", "3"), Operation::put("/w/d", "4")});
    REQUIRE(both);
    REQUIRE(rec.waitFor("/w/d"));

    auto events = rec.events();
    REQUIRE(events.size() == 5);
    CHECK(events[0].type == Event::Type::Put);
    CHECK(events[0].kv.key == "/w/a");
    CHECK(events[0].kv.value == "1");
    CHECK(events[0].kv.modRevision == *a);
    CHECK(events[1].kv.key == "/w/b");
    CHECK(events[1].kv.modRevision == *b);
    CHECK(events[2].type == Event::Type::Delete);
    CHECK(events[2].kv.key == "/w/a");
    CHECK(events[2].kv.modRevision == *b + 1);
    CHECK(events[3].kv.key == "/w/c");
    CHECK(events[4].kv.key == "/w/d");
    CHECK(events[3].kv.modRevision == both->revision);
    CHECK(events[4].kv.modRevision == both->revision);
    CHECK_FALSE(rec.outOfBatch());
    CHECK((*watch)->revision() == both->revision);
    CHECK(rec.resets().empty());
}

TEST_CASE("a watch from a past revision replays what happened since", "[etcd][watch]") {
    Cluster c;
    auto& etcd = *c.client;
    auto first = etcd.put("/w/1", "a");
    REQUIRE(first);
    REQUIRE(etcd.put("/w/2", "b"));
    REQUIRE(etcd.remove("/w/1"));
    Recorder rec;
    auto watch = etcd.watchPrefix("/w/", *first, rec.handlers());
    REQUIRE(watch);
    REQUIRE(etcd.put("/w/3", "c"));
    REQUIRE(rec.waitFor("/w/3"));
    auto events = rec.events();
    REQUIRE(events.size() == 4);
    CHECK(events[0].kv.key == "/w/1");
    CHECK(events[0].kv.modRevision == *first);
    CHECK(events[1].kv.key == "/w/2");
    CHECK(events[2].kv.key == "/w/1");
    CHECK(events[2].type == Event::Type::Delete);
    CHECK(events[3].kv.key == "/w/3");
    for (size_t i = 1; i < events.size(); ++i) {
        CHECK(events[i].kv.modRevision == events[i - 1].kv.modRevision + 1);
    }
}

TEST_CASE("a watch that needs a compacted revision resets and goes on from now",
          "[etcd][watch][compact]") {
    Cluster c;
    auto& etcd = *c.client;
    auto first = etcd.put("/w/a", "1");
    REQUIRE(first);
    REQUIRE(etcd.put("/w/a", "2"));
    auto head = etcd.put("/w/b", "3");
    REQUIRE(head);
    REQUIRE(etcd.compact(*head));
    // Compacting again below the compacted revision is refused.
    auto again = etcd.compact(*first);
    REQUIRE_FALSE(again);
    CHECK(again.error().code() == Code::FailedPrecondition);

    Recorder rec;
    auto watch = etcd.watchPrefix("/w/", *first, rec.handlers());
    REQUIRE(watch);
    REQUIRE(waitUntil([&] { return !rec.resets().empty(); }, 5s));
    CHECK(rec.resets() == std::vector<int64_t>{*head + 1});
    CHECK(rec.count() == 0);
    CHECK((*watch)->revision() == *head);

    auto next = etcd.put("/w/c", "4");
    REQUIRE(next);
    REQUIRE(rec.waitFor("/w/c"));
    auto events = rec.events();
    REQUIRE(events.size() == 1);
    CHECK(events[0].kv.modRevision == *next);
    CHECK(rec.resets().size() == 1);
}

TEST_CASE("a watch resumes on another member, each event once and in order, as members die",
          "[etcd][watch][reconnect]") {
    Cluster c(3);
    auto& etcd = *c.client;
    auto members = etcd.members();
    REQUIRE(members);
    CHECK(members->size() == 3);

    Recorder rec;
    auto watch = etcd.watchPrefix("/r/", 0, rec.handlers());
    REQUIRE(watch);
    std::vector<std::string> expected;
    // Each member dies in turn (so the one the watch uses does, whichever it
    // is); writes go through the others meanwhile, and it comes back before
    // the next one dies, so the cluster keeps its quorum.
    for (size_t i = 0; i < 3; ++i) {
        c.etcd->kill(i);
        REQUIRE(waitForLiveLeader(*c.etcd, i));
        std::vector<std::string> others;
        for (size_t j = 0; j < 3; ++j) {
            if (j != i) {
                others.push_back(c.etcd->clientUrl(j));
            }
        }
        auto writer = connectTo(others);
        for (int k = 0; k < 3; ++k) {
            std::string key = fmt::format("/r/{}-{}", i, k);
            REQUIRE(writer->put(key, "v"));
            expected.push_back(key);
        }
        REQUIRE(c.etcd->restart(i));
    }
    auto end = etcd.put("/r/end", "v");
    REQUIRE(end);
    expected.push_back("/r/end");
    REQUIRE(rec.waitFor("/r/end", 15s));
    CHECK(rec.keys() == expected);
    auto events = rec.events();
    for (size_t i = 1; i < events.size(); ++i) {
        CHECK(events[i].kv.modRevision == events[i - 1].kv.modRevision + 1);
    }
    CHECK((*watch)->revision() == *end);
    CHECK(rec.resets().empty());
}

TEST_CASE("a watch on a single member resumes after it restarts on its data",
          "[etcd][watch][reconnect]") {
    Cluster c;
    auto& etcd = *c.client;
    Recorder rec;
    auto watch = etcd.watchPrefix("/s/", 0, rec.handlers());
    REQUIRE(watch);
    auto a = etcd.put("/s/a", "1");
    REQUIRE(a);
    REQUIRE(rec.waitFor("/s/a"));

    REQUIRE(c.etcd->restart(0));
    // Written before the watch has necessarily come back: still delivered.
    auto b = etcd.put("/s/b", "2");
    REQUIRE(b);
    auto cRev = etcd.put("/s/c", "3");
    REQUIRE(cRev);
    REQUIRE(rec.waitFor("/s/c", 10s));
    CHECK(rec.keys() == std::vector<std::string>{"/s/a", "/s/b", "/s/c"});
    CHECK(*b == *a + 1);
    CHECK((*watch)->revision() == *cRev);
}

TEST_CASE("no handler runs once a watch is destroyed", "[etcd][watch]") {
    Cluster c;
    auto& etcd = *c.client;
    Recorder rec;
    auto watch = etcd.watchPrefix("/d/", 0, rec.handlers());
    REQUIRE(watch);
    REQUIRE(etcd.put("/d/a", "1"));
    REQUIRE(rec.waitFor("/d/a"));
    watch->reset();
    REQUIRE(etcd.put("/d/b", "2"));
    // A second watch sees /d/b, so the first would have by then.
    Recorder witness;
    auto second = etcd.watchPrefix("/d/", 1, witness.handlers());
    REQUIRE(second);
    REQUIRE(witness.waitFor("/d/b"));
    CHECK(rec.keys() == std::vector<std::string>{"/d/a"});
}
