// A provider that dies without cleaning up, and replicas killed from
// outside: what is running is found again, what died comes back, what
// leaked is cleaned, and nothing is duplicated.

#include "catch_result.hpp"
#include "fixture.hpp"
#include "network/netns.hpp"
#include "provider/labels.hpp"

#include <catch2/catch.hpp>
#include <signal.h>

using namespace faasd;
using namespace faasd::provider;
using namespace faasd::provider::testing;
using namespace std::chrono_literals;

TEST_CASE("a restarted provider finds its functions and cleans leaks", "[provider][recovery]") {
    ProviderEnv env;
    env.storeImages();
    REQUIRE(env.provider().deploy(deployment("one", env.ns())));
    REQUIRE(env.provider().deploy(deployment("two", env.ns())));
    REQUIRE(env.provider().scale("two", env.ns(), 2));
    REQUIRE(env.provider().deploy(deployment("three", env.ns())));
    const auto three = env.provider().replicas("three", env.ns()).value();
    const auto one = env.provider().replicas("one", env.ns()).value();
    const auto two = env.provider().replicas("two", env.ns()).value();
    auto records = env.client().containers();
    CHECK(records.get("one")->labels.at(kProcessLabel) == kImageProcess);
    // "two" as a deployment made before the process was recorded.
    {
        auto record = records.get("two");
        REQUIRE(record);
        REQUIRE(record->labels.erase(kProcessLabel) == 1);
        REQUIRE(records.update(*record, {"labels"}));
        REQUIRE_FALSE(records.get("two")->labels.contains(kProcessLabel));
    }

    env.crash();
    // While it is down: a replica dies, and an attachment leaks.
    auto c = env.client();
    REQUIRE(c.tasks().kill(two.at(0).id, SIGKILL));
    REQUIRE(c.tasks().wait(two.at(0).id, 10s));
    auto leakedNs = network::createNetns(env.config().network.netnsDir, env.ns() + "-leaked");
    REQUIRE(leakedNs);
    {
        auto cni = network::Cni::load(env.config().network);
        REQUIRE(cni);
        REQUIRE(cni->attach(env.ns() + "-leaked", *leakedNs));
    }
    // And a replica loses its network.
    {
        auto cni = network::Cni::load(env.config().network);
        REQUIRE(cni);
        REQUIRE(cni->detach(three.at(0).cniId, three.at(0).netns));
        REQUIRE(network::deleteNetns(three.at(0).netns));
    }
    CHECK(env.cniAttachments() == 4);

    env.restart();
    auto& p = env.provider();
    // The leak is gone; the replica without a network is replaced.
    REQUIRE(eventually([&] { return p.resolve("three", env.ns())->size() == 1; }, 15s));
    CHECK(p.replicas("three", env.ns())->at(0).id != three.at(0).id);
    CHECK(env.cniAttachments() == 4);
    CHECK(env.netnsFiles().size() == 4);
    auto listed = p.list(env.ns());
    REQUIRE(listed);
    CHECK(listed->size() == 3);
    CHECK(p.get("two", env.ns())->replicas == 2);
    // The image's fprocess, from the record's label, and for the record
    // without one from its replicas' spec.
    for (const auto& s : *listed) {
        INFO(s.name);
        CHECK(s.envProcess == kImageProcess);
    }
    REQUIRE(eventually(
        [&] {
            return p.resolve("one", env.ns())->size() == 1 &&
                   p.resolve("two", env.ns())->size() == 2;
        },
        15s));
    CHECK(p.replicas("one", env.ns())->at(0).id == one.at(0).id);
    for (const auto& name : {"one", "two"}) {
        const auto endpoints = p.resolve(name, env.ns()).value();
        for (const auto& e : endpoints) {
            CHECK(httpGet(e.ip, "/index.html") == "hello from a replica\n");
        }
    }
    // No duplicates: three records and four replicas.
    CHECK(env.containers() == 7);
    CHECK(env.tasks() == 4);
    REQUIRE(p.remove("one", env.ns()));
    REQUIRE(p.remove("three", env.ns()));
    REQUIRE(p.remove("two", env.ns()));
    CHECK(env.containers() == 0);
    CHECK(env.netnsFiles().empty());
    CHECK(env.leases().empty());
}

TEST_CASE("a replica killed from outside comes back by itself", "[provider][recovery]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    REQUIRE(p.deploy(deployment("phoenix", env.ns())));
    const auto before = p.replicas("phoenix", env.ns()).value().at(0);
    REQUIRE(env.client().tasks().kill(before.id, SIGKILL));
    REQUIRE(eventually([&] { return p.resolve("phoenix", env.ns())->empty(); }, 5s));
    REQUIRE(eventually(
        [&] {
            auto r = p.replicas("phoenix", env.ns());
            return r && r->size() == 1 && r->at(0).state == ReplicaState::Ready &&
                   r->at(0).restarts == 1;
        },
        15s));
    auto after = p.replicas("phoenix", env.ns()).value().at(0);
    CHECK(after.id == before.id);
    CHECK(after.ip == before.ip);
    CHECK(httpGet(after.ip, "/index.html") == "hello from a replica\n");
    CHECK(env.client().containers().get(after.id)->labels.at("faasd.restarts") == "1");
    REQUIRE(p.remove("phoenix", env.ns()));
}
