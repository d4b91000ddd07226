#include "cni_fixture.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;
using namespace std::chrono_literals;
using nlohmann::json;

TEST_CASE("attach runs loopback, then the list in order, and returns the IP", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    auto attached = cni.attach("say-1", f.netns.path());
    REQUIRE(attached);
    CHECK(attached->ip == "10.88.0.5");
    CHECK(attached->prefixLength == 16);
    CHECK(attached->gateway == "10.88.0.1");
    CHECK(attached->netns == f.netns.path());
    CHECK(f.fakes.calls() == Calls{"ADD loopback", "ADD fakebridge", "ADD fakefw"});

    auto lo = f.fakes.envOf(0);
    CHECK(lo["CNI_IFNAME"] == "lo");
    auto bridge = f.fakes.envOf(1);
    CHECK(bridge["CNI_IFNAME"] == "eth0");
    CHECK(bridge["CNI_CONTAINERID"] == "say-1");
    CHECK(bridge["CNI_NETNS"] == f.netns.path());
    CHECK(f.fakes.stdinOf(0)["name"] == "cni-loopback");
    CHECK(f.fakes.stdinOf(1)["name"] == "fakenet");
    CHECK(f.fakes.stdinOf(2)["prevResult"] == f.result);

    auto listed = cni.attachments();
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    CHECK((*listed)[0].id == "say-1");
    CHECK((*listed)[0].ip == "10.88.0.5");
    CHECK((*listed)[0].complete);
    auto found = cni.lookup("say-1");
    REQUIRE(found);
    REQUIRE(*found);
    CHECK((*found)->ip == "10.88.0.5");
}

TEST_CASE("detach runs the list in reverse with the cached result, then loopback", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    REQUIRE(cni.attach("say-1", f.netns.path()));
    f.fakes.clearCalls();

    REQUIRE(cni.detach("say-1"));
    CHECK(f.fakes.calls() == Calls{"DEL fakefw", "DEL fakebridge", "DEL loopback"});
    CHECK(f.fakes.stdinOf(0)["prevResult"] == f.result);
    CHECK(f.fakes.stdinOf(1)["prevResult"] == f.result);
    CHECK(f.fakes.envOf(1)["CNI_NETNS"] == f.netns.path());
    CHECK(f.records() == 0);
    auto listed = cni.attachments();
    REQUIRE(listed);
    CHECK(listed->empty());
    auto found = cni.lookup("say-1");
    REQUIRE(found);
    CHECK_FALSE(*found);
}

TEST_CASE("detaching twice, or what was never attached, succeeds", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    REQUIRE(cni.attach("say-1", f.netns.path()));
    REQUIRE(cni.detach("say-1", f.netns.path()));
    f.fakes.clearCalls();

    REQUIRE(cni.detach("say-1", f.netns.path()));
    // Still asks the plugins, without a prevResult, so an IP leased by an
    // attachment whose record was lost is released too.
    CHECK(f.fakes.calls() == Calls{"DEL fakefw", "DEL fakebridge", "DEL loopback"});
    CHECK_FALSE(f.fakes.stdinOf(0).contains("prevResult"));
    REQUIRE(cni.detach("never-attached"));
}

TEST_CASE("detach after the namespace is gone passes an empty CNI_NETNS", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    REQUIRE(cni.attach("say-1", f.netns.path()));
    f.fakes.clearCalls();
    REQUIRE(cni.detach("say-1", "/nonexistent/netns/say-1"));
    CHECK(f.fakes.calls() == Calls{"DEL fakefw", "DEL fakebridge"});
    CHECK(f.fakes.envOf(0)["CNI_NETNS"].empty());
    CHECK(f.records() == 0);
}

TEST_CASE("a failed attach is undone and reported with context", "[cni]") {
    CniFixture f;
    f.fakes.setError("fakefw", "ADD", {{"code", 999}, {"msg", "could not add rule"}});
    auto cni = f.make();
    auto attached = cni.attach("say-1", f.netns.path());
    REQUIRE_FALSE(attached);
    CHECK(attached.error().message() ==
          "attaching say-1 to fk0: fakefw plugin: could not add rule (CNI error 999)");
    CHECK(f.fakes.calls() == Calls{"ADD loopback", "ADD fakebridge", "ADD fakefw", "DEL fakefw",
                                   "DEL fakebridge", "DEL loopback"});
    // The undo hands back what had been made: the bridge's result.
    CHECK(f.fakes.stdinOf(3)["prevResult"] == f.result);
    CHECK(f.records() == 0);
}

TEST_CASE("an attach whose undo fails is left on record for recovery", "[cni]") {
    CniFixture f;
    f.fakes.setError("fakefw", "ADD", {{"code", 999}, {"msg", "could not add rule"}});
    f.fakes.setError("fakebridge", "DEL", {{"code", 999}, {"msg", "netlink busy"}});
    auto cni = f.make();
    auto attached = cni.attach("say-1", f.netns.path());
    REQUIRE_FALSE(attached);
    CHECK(attached.error().message() ==
          "attaching say-1 to fk0: fakefw plugin: could not add rule (CNI error 999) (undoing it "
          "failed too, say-1 is left for recovery: fakebridge plugin: netlink busy (CNI error "
          "999))");
    auto listed = cni.attachments();
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    CHECK((*listed)[0].id == "say-1");
    CHECK_FALSE((*listed)[0].complete);
    CHECK((*listed)[0].ip.empty());

    std::filesystem::remove(f.fakes.dir() / "fakebridge.error.DEL");
    REQUIRE(cni.detach("say-1"));
    CHECK(f.records() == 0);
}

TEST_CASE("a plugin that hangs during attach is killed and the attach undone", "[cni]") {
    CniFixture f;
    f.config.pluginTimeout = 300ms;
    f.fakes.setSleep("fakefw", "ADD", 30);
    auto cni = f.make();
    auto start = std::chrono::steady_clock::now();
    auto attached = cni.attach("say-1", f.netns.path());
    REQUIRE_FALSE(attached);
    CHECK(std::chrono::steady_clock::now() - start < 5s);
    CHECK(attached.error().code() == Code::Timeout);
    CHECK(attached.error().message() ==
          "attaching say-1 to fk0: fakefw plugin: killed after 300 ms without finishing");
    CHECK(f.fakes.attachmentCalls().back() == "DEL loopback");
    CHECK(f.records() == 0);
}

TEST_CASE("attach refuses a namespace it must not or cannot use", "[cni]") {
    CniFixture f;
    auto cni = f.make();

    auto missing = cni.attach("say-1", "/nonexistent/netns/say-1");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);
    CHECK(missing.error().message() ==
          "attaching say-1 to fk0: network namespace /nonexistent/netns/say-1 does not exist");

    auto host = cni.attach("say-1", "/proc/self/ns/net");
    REQUIRE_FALSE(host);
    CHECK(host.error().code() == Code::InvalidArgument);
    CHECK(host.error().message() ==
          "attaching say-1 to fk0: /proc/self/ns/net is the host's own network namespace");

    auto badId = cni.attach("../etc", f.netns.path());
    REQUIRE_FALSE(badId);
    CHECK(badId.error().code() == Code::InvalidArgument);

    CHECK(f.fakes.calls().empty());
    CHECK(f.records() == 0);
    auto hostDetach = cni.detach("say-1", "/proc/self/ns/net");
    REQUIRE_FALSE(hostDetach);
    CHECK(f.fakes.calls().empty());
}

TEST_CASE("attaching an id twice is refused", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    REQUIRE(cni.attach("say-1", f.netns.path()));
    auto again = cni.attach("say-1", f.netns.path());
    REQUIRE_FALSE(again);
    CHECK(again.error().code() == Code::AlreadyExists);
    CHECK(f.fakes.calls().size() == 3);
}

TEST_CASE("detach falls back to the current config when the cached one is unusable", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    REQUIRE(cni.attach("say-1", f.netns.path()));
    ResultCache cache(f.config.stateDir / "fakenet");
    auto record = cache.load("say-1");
    REQUIRE(record);
    REQUIRE(*record);
    (*record)->conflist = json{{"name", "fakenet"}}; // no plugins, no version
    REQUIRE(cache.save(**record));
    f.fakes.clearCalls();

    REQUIRE(cni.detach("say-1"));
    CHECK(f.fakes.calls() == Calls{"DEL fakefw", "DEL fakebridge", "DEL loopback"});
    CHECK(f.fakes.stdinOf(0)["prevResult"] == f.result);
    CHECK(f.records() == 0);
}
