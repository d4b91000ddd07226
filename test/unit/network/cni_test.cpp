#include "common/files.hpp"
#include "fake_plugins.hpp"
#include "network/cni.hpp"
#include "spare_netns.hpp"

#include <catch2/catch.hpp>
#include <map>
#include <thread>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

struct CniFixture {
    FakePlugins fakes;
    TempDir state = TempDir::create("faasd-cni-state-").value();
    SpareNetns netns;
    NetworkConfig config;
    Conflist list;
    json result;

    CniFixture() {
        for (auto name : {"fakebridge", "fakefw", "loopback"}) {
            fakes.install(name);
        }
        result = bridgeResult("1.0.0", netns.path(), "10.88.0.5/16", "10.88.0.1");
        fakes.setResult("fakebridge", result);
        fakes.setResult("fakefw", result);
        fakes.setResult("loopback", json::parse(R"({"cniVersion":"1.0.0",
            "interfaces":[{"name":"lo","sandbox":"x"}],
            "ips":[{"interface":0,"address":"127.0.0.1/8"}]})"));
        config = NetworkConfig{
            .networkName = "fakenet",
            .confDir = state.path() / "net.d",
            .pluginDirs = {fakes.dir()},
            .stateDir = state.path() / "cni",
            .pluginTimeout = 5s,
        };
        list = Conflist{
            .name = "fakenet",
            .cniVersion = "1.0.0",
            .plugins = {json{{"type", "fakebridge"}, {"bridge", "fk0"}}, json{{"type", "fakefw"}}},
        };
    }

    Cni make() {
        auto cni = Cni::create(config, list);
        REQUIRE(cni);
        fakes.clearCalls();
        return std::move(*cni);
    }

    size_t records() const {
        auto dir = config.stateDir / "fakenet";
        if (!std::filesystem::exists(dir)) {
            return 0;
        }
        return static_cast<size_t>(std::distance(std::filesystem::directory_iterator(dir),
                                                 std::filesystem::directory_iterator()));
    }
};

using Calls = std::vector<std::string>;

} // namespace

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

TEST_CASE("after a restart, leaked attachments are listed and deleted with their own config",
          "[cni]") {
    CniFixture f;
    {
        auto before = f.make();
        REQUIRE(before.attach("say-1", f.netns.path()));
        REQUIRE(before.attach("say-2", f.netns.path()));
        // The daemon dies here without detaching.
    }
    // It comes back with a changed network: one more plugin.
    f.fakes.install("fakeextra");
    f.list.plugins.push_back(json{{"type", "fakeextra"}});
    auto after = f.make();
    auto leaked = after.attachments();
    REQUIRE(leaked);
    REQUIRE(leaked->size() == 2);
    CHECK((*leaked)[0].id == "say-1");
    CHECK((*leaked)[1].id == "say-2");
    CHECK((*leaked)[1].ip == "10.88.0.5");

    for (const auto& a : *leaked) {
        REQUIRE(after.detach(a.id));
    }
    CHECK(f.fakes.calls() == Calls{"DEL fakefw", "DEL fakebridge", "DEL loopback", "DEL fakefw",
                                   "DEL fakebridge", "DEL loopback"});
    CHECK(f.fakes.stdinOf(0)["prevResult"] == f.result);
    auto none = after.attachments();
    REQUIRE(none);
    CHECK(none->empty());
}

TEST_CASE("check runs CHECK with the cached result", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    auto unknown = cni.check("say-1", f.netns.path());
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().code() == Code::NotFound);
    CHECK(unknown.error().message() == "checking say-1 on fk0: not attached");

    REQUIRE(cni.attach("say-1", f.netns.path()));
    f.fakes.clearCalls();
    REQUIRE(cni.check("say-1"));
    CHECK(f.fakes.calls() == Calls{"CHECK fakebridge", "CHECK fakefw"});
    CHECK(f.fakes.stdinOf(0)["prevResult"] == f.result);

    f.fakes.setError("fakefw", "CHECK", {{"code", 999}, {"msg", "rule missing"}});
    auto broken = cni.check("say-1");
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message() ==
          "checking say-1 on fk0: fakefw plugin: rule missing (CNI error 999)");
}

TEST_CASE("attaches of different ids run at once", "[cni]") {
    CniFixture f;
    auto cni = f.make();
    std::vector<std::thread> threads;
    std::vector<bool> ok(6, false);
    for (size_t i = 0; i < ok.size(); ++i) {
        threads.emplace_back(
            [&, i] { ok[i] = cni.attach("fn-" + std::to_string(i), f.netns.path()).has_value(); });
    }
    for (auto& t : threads) {
        t.join();
    }
    CHECK(std::all_of(ok.begin(), ok.end(), [](bool b) { return b; }));
    auto listed = cni.attachments();
    REQUIRE(listed);
    CHECK(listed->size() == ok.size());
    CHECK(f.fakes.attachmentCalls().size() == 3 * ok.size());
}

TEST_CASE("chained plugins run one at a time while first plugins overlap", "[cni]") {
    CniFixture f;
    f.fakes.setDelay("fakebridge", "ADD", "0.5");
    f.fakes.setDelay("fakefw", "ADD", "0.2");
    auto cni = f.make();
    std::vector<std::thread> threads;
    for (int i = 0; i < 4; ++i) {
        threads.emplace_back(
            [&, i] { CHECK(cni.attach("fn-" + std::to_string(i), f.netns.path())); });
    }
    for (auto& t : threads) {
        t.join();
    }
    std::map<std::string, int> running, most;
    for (const auto& span : f.fakes.spans()) {
        auto space = span.find(' ');
        auto name = span.substr(space + 1, span.rfind(' ') - space - 1);
        running[name] += span.starts_with("start ") ? 1 : -1;
        most[name] = std::max(most[name], running[name]);
    }
    INFO(fmt::format("{}", fmt::join(f.fakes.spans(), "\n")));
    CHECK(most["fakefw"] == 1);
    CHECK(most["fakebridge"] > 1);
}

TEST_CASE("loading checks the conflist and its plugins", "[cni]") {
    CniFixture f;

    auto absent = Cni::load(f.config);
    REQUIRE_FALSE(absent);
    CHECK(absent.error().code() == Code::NotFound);

    std::filesystem::create_directories(f.config.confDir);
    REQUIRE(writeFileAtomic(f.config.conflistPath(), f.list.toJson().dump()));
    auto loaded = Cni::load(f.config);
    REQUIRE(loaded);
    CHECK(loaded->conflist().name == "fakenet");
    CHECK(f.fakes.calls() == Calls{"VERSION fakebridge", "VERSION fakefw", "VERSION loopback"});

    f.fakes.setVersions("fakefw", {"0.4.0"});
    auto old = Cni::create(f.config, f.list);
    REQUIRE_FALSE(old);
    CHECK(old.error().code() == Code::FailedPrecondition);
    CHECK(
        old.error().message() ==
        "loading CNI network fakenet: fakefw plugin does not support CNI 1.0.0 (it speaks 0.4.0)");

    std::filesystem::remove(f.fakes.dir() / "fakefw");
    auto missing = Cni::create(f.config, f.list);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message() ==
          "loading CNI network fakenet: fakefw plugin not found in " + f.fakes.dir().string());
}
