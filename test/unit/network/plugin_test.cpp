#include "fake_plugins.hpp"
#include "network/plugin.hpp"

#include <catch2/catch.hpp>
#include <stdlib.h>

using namespace faasd;
using namespace faasd::network;
using namespace faasd::network::testing;
using namespace std::chrono_literals;
using nlohmann::json;

namespace {

Invocation addInvocation() {
    return Invocation{
        .command = Command::Add,
        .containerId = "say-1",
        .netns = "/var/run/netns/say-1",
        .ifName = "eth0",
        .args = {{"IgnoreUnknown", "1"}, {"FAASD_FUNCTION", "say"}},
    };
}

} // namespace

TEST_CASE("a plugin gets the CNI variables in its environment", "[plugin]") {
    FakePlugins fakes;
    fakes.install("bridge");
    ::setenv("CNI_LEFTOVER", "from-our-environment", 1);
    PluginRunner runner({"/nonexistent", fakes.dir()}, 5s);

    auto out = runner.exec("bridge", addInvocation(), json{{"type", "bridge"}});
    ::unsetenv("CNI_LEFTOVER");
    REQUIRE(out);

    auto env = fakes.envOf(0);
    CHECK(env["CNI_COMMAND"] == "ADD");
    CHECK(env["CNI_CONTAINERID"] == "say-1");
    CHECK(env["CNI_NETNS"] == "/var/run/netns/say-1");
    CHECK(env["CNI_IFNAME"] == "eth0");
    CHECK(env["CNI_PATH"] == "/nonexistent:" + fakes.dir().string());
    CHECK(env["CNI_ARGS"] == "IgnoreUnknown=1;FAASD_FUNCTION=say");
    CHECK(env.count("CNI_LEFTOVER") == 0);
    CHECK_FALSE(env["PATH"].empty());
}

TEST_CASE("a plugin gets its config on stdin and its result is parsed", "[plugin]") {
    FakePlugins fakes;
    fakes.install("bridge");
    auto result = bridgeResult("1.0.0", "/var/run/netns/say-1", "10.62.0.5/16", "10.62.0.1");
    fakes.setResult("bridge", result);
    PluginRunner runner({fakes.dir()}, 5s);
    json config = {{"type", "bridge"}, {"name", "net"}, {"cniVersion", "1.0.0"}, {"x", {1, 2}}};

    auto out = runner.exec("bridge", addInvocation(), config);
    REQUIRE(out);
    CHECK(*out == result);
    CHECK(fakes.stdinOf(0) == config);
    CHECK(fakes.calls() == std::vector<std::string>{"ADD bridge"});
}

TEST_CASE("DEL and CHECK may print nothing", "[plugin]") {
    FakePlugins fakes;
    fakes.install("bridge");
    PluginRunner runner({fakes.dir()}, 5s);
    auto invocation = addInvocation();
    invocation.command = Command::Del;
    auto out = runner.exec("bridge", invocation, json{{"type", "bridge"}});
    REQUIRE(out);
    CHECK(out->is_null());
    CHECK(fakes.envOf(0)["CNI_COMMAND"] == "DEL");
}

TEST_CASE("a plugin's error object becomes an error naming the plugin", "[plugin]") {
    FakePlugins fakes;
    fakes.install("bridge");
    fakes.setError("bridge", "ADD",
                   {{"cniVersion", "1.0.0"},
                    {"code", 7},
                    {"msg", "invalid network config"},
                    {"details", "subnet 10.0.0.0/31 too small"}});
    PluginRunner runner({fakes.dir()}, 5s);

    auto out = runner.exec("bridge", addInvocation(), json{{"type", "bridge"}});
    REQUIRE_FALSE(out);
    CHECK(out.error().code() == Code::InvalidArgument);
    CHECK(out.error().message() ==
          "bridge plugin: invalid network config: subnet 10.0.0.0/31 too small (CNI error 7)");
}

TEST_CASE("a plugin that fails without an error object reports its stderr", "[plugin]") {
    FakePlugins fakes;
    fakes.install("firewall");
    fakes.setStderrFailure("firewall", "ADD", "iptables: command not found\n");
    PluginRunner runner({fakes.dir()}, 5s);

    auto out = runner.exec("firewall", addInvocation(), json{{"type", "firewall"}});
    REQUIRE_FALSE(out);
    CHECK(out.error().code() == Code::Internal);
    CHECK(out.error().message() ==
          "firewall plugin: exited with status 2: iptables: command not found");
}

TEST_CASE("a plugin that takes too long is killed", "[plugin]") {
    FakePlugins fakes;
    fakes.install("bridge");
    fakes.setSleep("bridge", "ADD", 30);
    PluginRunner runner({fakes.dir()}, 300ms);

    auto start = std::chrono::steady_clock::now();
    auto out = runner.exec("bridge", addInvocation(), json{{"type", "bridge"}});
    auto took = std::chrono::steady_clock::now() - start;
    REQUIRE_FALSE(out);
    CHECK(out.error().code() == Code::Timeout);
    CHECK(out.error().message() == "bridge plugin: killed after 300 ms without finishing");
    CHECK(took < 5s);
}

TEST_CASE("a missing plugin is a clear error", "[plugin]") {
    FakePlugins fakes;
    PluginRunner runner({fakes.dir(), "/nonexistent"}, 5s);
    auto out = runner.exec("bridge", addInvocation(), json{{"type", "bridge"}});
    REQUIRE_FALSE(out);
    CHECK(out.error().code() == Code::NotFound);
    CHECK(out.error().message() ==
          "bridge plugin not found in " + fakes.dir().string() + ":/nonexistent");

    auto bad = runner.find("../bin/sh");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code() == Code::InvalidArgument);
}

TEST_CASE("a plugin that prints garbage on success is an error", "[plugin]") {
    FakePlugins fakes;
    fakes.install("bridge");
    REQUIRE(writeFileAtomic(fakes.dir() / "bridge.result", "not json"));
    PluginRunner runner({fakes.dir()}, 5s);
    auto out = runner.exec("bridge", addInvocation(), json{{"type", "bridge"}});
    REQUIRE_FALSE(out);
    CHECK(out.error().message().starts_with("bridge plugin: printed something that is not"));
}

TEST_CASE("VERSION lists what a plugin supports", "[plugin]") {
    FakePlugins fakes;
    fakes.install("bridge");
    fakes.setVersions("bridge", {"0.4.0", "1.0.0"});
    PluginRunner runner({fakes.dir()}, 5s);
    auto versions = runner.versions("bridge", "1.0.0");
    REQUIRE(versions);
    CHECK(*versions == std::vector<std::string>{"0.4.0", "1.0.0"});
    CHECK(fakes.stdinOf(0) == json{{"cniVersion", "1.0.0"}});
    auto env = fakes.envOf(0);
    CHECK(env["CNI_COMMAND"] == "VERSION");
    CHECK(env.count("CNI_CONTAINERID") == 0);
}

TEST_CASE("CNI error codes map onto ours", "[plugin]") {
    auto code = [](int cniCode) {
        return pluginError("p", 1, json{{"code", cniCode}, {"msg", "m"}}.dump(), "").code();
    };
    CHECK(code(1) == Code::InvalidArgument);
    CHECK(code(3) == Code::NotFound);
    CHECK(code(4) == Code::InvalidArgument);
    CHECK(code(5) == Code::Internal);
    CHECK(code(7) == Code::InvalidArgument);
    CHECK(code(11) == Code::Unavailable);
    CHECK(code(50) == Code::Unavailable);
    CHECK(code(999) == Code::Internal);

    auto noDetails = pluginError("loopback", 1, R"({"code":999,"msg":"boom"})", "ignored");
    CHECK(noDetails.message() == "loopback plugin: boom (CNI error 999)");
    auto silent = pluginError("loopback", 137, "", "");
    CHECK(silent.message() == "loopback plugin: exited with status 137");
}
