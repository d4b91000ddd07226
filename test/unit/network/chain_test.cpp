#include "fake_plugins.hpp"
#include "network/chain.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

Conflist threePlugins(const std::string& version = "1.0.0") {
    return Conflist{
        .name = "testnet",
        .cniVersion = version,
        .plugins = {json{{"type", "first"}, {"bridge", "br-test"}},
                    json{{"type", "second"}, {"opt", 1}}, json{{"type", "third"}}},
    };
}

json resultWith(const std::string& version, const std::string& cidr) {
    return bridgeResult(version, "/run/netns/x", cidr, "10.9.0.1");
}

struct ChainFixture {
    FakePlugins fakes;
    PluginRunner runner{{fakes.dir()}, 5s};
    Invocation invocation{.containerId = "fn-1", .netns = "/run/netns/x", .ifName = "eth0"};

    ChainFixture() {
        for (auto name : {"first", "second", "third"}) {
            fakes.install(name);
        }
        fakes.setResult("first", resultWith("1.0.0", "10.9.0.2/24"));
        fakes.setResult("second", resultWith("1.0.0", "10.9.0.3/24"));
        fakes.setResult("third", resultWith("1.0.0", "10.9.0.4/24"));
    }
};

} // namespace

TEST_CASE("a request config carries the list's name and version", "[chain]") {
    auto list = threePlugins("0.4.0");
    list.plugins[1]["prevResult"] = "stale";
    auto first = requestConfig(list, 0, nullptr);
    CHECK(first == json{{"type", "first"},
                        {"bridge", "br-test"},
                        {"name", "testnet"},
                        {"cniVersion", "0.4.0"}});
    CHECK_FALSE(requestConfig(list, 1, nullptr).contains("prevResult"));
    json prev = {{"cniVersion", "0.4.0"}};
    CHECK(requestConfig(list, 1, &prev)["prevResult"] == prev);
    CHECK(requestConfig(list, 1, &prev)["opt"] == 1);
}

TEST_CASE("ADD runs plugins in order, chaining each result into the next", "[chain]") {
    ChainFixture f;
    auto result = addChain(f.runner, threePlugins(), f.invocation);
    REQUIRE(result);
    CHECK(f.fakes.calls() == std::vector<std::string>{"ADD first", "ADD second", "ADD third"});
    CHECK_FALSE(f.fakes.stdinOf(0).contains("prevResult"));
    CHECK(f.fakes.stdinOf(1)["prevResult"] == resultWith("1.0.0", "10.9.0.2/24"));
    CHECK(f.fakes.stdinOf(2)["prevResult"] == resultWith("1.0.0", "10.9.0.3/24"));
    CHECK(*result == resultWith("1.0.0", "10.9.0.4/24"));
    for (size_t i = 0; i < 3; ++i) {
        CHECK(f.fakes.stdinOf(i)["name"] == "testnet");
        CHECK(f.fakes.envOf(i)["CNI_COMMAND"] == "ADD");
    }
}

TEST_CASE("ADD stops at the first failing plugin and keeps the last good result", "[chain]") {
    ChainFixture f;
    f.fakes.setError("second", "ADD", {{"code", 11}, {"msg", "busy"}});
    json last;
    auto result = addChain(f.runner, threePlugins(), f.invocation, &last);
    REQUIRE_FALSE(result);
    CHECK(result.error().message() == "second plugin: busy (CNI error 11)");
    CHECK(result.error().code() == Code::Unavailable);
    CHECK(f.fakes.calls() == std::vector<std::string>{"ADD first", "ADD second"});
    CHECK(last == resultWith("1.0.0", "10.9.0.2/24"));
}

TEST_CASE("ADD needs a result from every plugin", "[chain]") {
    ChainFixture f;
    std::filesystem::remove(f.fakes.dir() / "second.result");
    auto result = addChain(f.runner, threePlugins(), f.invocation);
    REQUIRE_FALSE(result);
    CHECK(result.error().message() == "second plugin: printed no result for ADD");
}

TEST_CASE("DEL runs plugins in reverse, each with the cached ADD result", "[chain]") {
    ChainFixture f;
    auto cached = resultWith("1.0.0", "10.9.0.4/24");
    REQUIRE(delChain(f.runner, threePlugins(), f.invocation, cached));
    CHECK(f.fakes.calls() == std::vector<std::string>{"DEL third", "DEL second", "DEL first"});
    for (size_t i = 0; i < 3; ++i) {
        CHECK(f.fakes.stdinOf(i)["prevResult"] == cached);
        CHECK(f.fakes.envOf(i)["CNI_COMMAND"] == "DEL");
    }
}

TEST_CASE("DEL without a cached result sends no prevResult", "[chain]") {
    ChainFixture f;
    REQUIRE(delChain(f.runner, threePlugins(), f.invocation, json()));
    CHECK_FALSE(f.fakes.stdinOf(0).contains("prevResult"));
}

TEST_CASE("DEL before CNI 0.4.0 sends no prevResult", "[chain]") {
    ChainFixture f;
    REQUIRE(delChain(f.runner, threePlugins("0.3.1"), f.invocation,
                     resultWith("0.3.1", "10.9.0.4/24")));
    CHECK(f.fakes.calls().size() == 3);
    CHECK_FALSE(f.fakes.stdinOf(0).contains("prevResult"));
}

TEST_CASE("DEL stops at the first failing plugin", "[chain]") {
    ChainFixture f;
    f.fakes.setError("second", "DEL", {{"code", 5}, {"msg", "io"}});
    auto done = delChain(f.runner, threePlugins(), f.invocation, json());
    REQUIRE_FALSE(done);
    CHECK(done.error().message() == "second plugin: io (CNI error 5)");
    CHECK(f.fakes.calls() == std::vector<std::string>{"DEL third", "DEL second"});
}

TEST_CASE("CHECK runs plugins in order with the cached ADD result", "[chain]") {
    ChainFixture f;
    auto cached = resultWith("1.0.0", "10.9.0.4/24");
    REQUIRE(checkChain(f.runner, threePlugins(), f.invocation, cached));
    CHECK(f.fakes.calls() ==
          std::vector<std::string>{"CHECK first", "CHECK second", "CHECK third"});
    CHECK(f.fakes.stdinOf(0)["prevResult"] == cached);

    auto old = checkChain(f.runner, threePlugins("0.3.1"), f.invocation, cached);
    REQUIRE_FALSE(old);
    CHECK(old.error().code() == Code::Unimplemented);

    f.fakes.clearCalls();
    auto disabled = threePlugins();
    disabled.disableCheck = true;
    REQUIRE(checkChain(f.runner, disabled, f.invocation, cached));
    CHECK(f.fakes.calls().empty());
}

TEST_CASE("versions compare numerically", "[chain]") {
    CHECK(versionAtLeast("1.0.0", "0.4.0"));
    CHECK(versionAtLeast("0.4.0", "0.4.0"));
    CHECK(versionAtLeast("0.10.0", "0.4.0"));
    CHECK_FALSE(versionAtLeast("0.3.1", "0.4.0"));
    CHECK_FALSE(versionAtLeast("", "0.4.0"));
}
