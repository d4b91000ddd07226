#pragma once

// A Cni on fake plugins (fakebridge, fakefw, loopback) with its state in a
// temp dir, attaching into a spare network namespace.

#include "common/files.hpp"
#include "fake_plugins.hpp"
#include "network/cni.hpp"
#include "spare_netns.hpp"

#include <catch2/catch.hpp>
#include <chrono>
#include <filesystem>
#include <string>
#include <vector>

namespace faasd::network::testing {

struct CniFixture {
    FakePlugins fakes;
    TempDir state = TempDir::create("faasd-cni-state-").value();
    SpareNetns netns;
    NetworkConfig config;
    Conflist list;
    nlohmann::json result;

    CniFixture() {
        for (auto name : {"fakebridge", "fakefw", "loopback"}) {
            fakes.install(name);
        }
        result = bridgeResult("1.0.0", netns.path(), "10.88.0.5/16", "10.88.0.1");
        fakes.setResult("fakebridge", result);
        fakes.setResult("fakefw", result);
        fakes.setResult("loopback", nlohmann::json::parse(R"({"cniVersion":"1.0.0",
            "interfaces":[{"name":"lo","sandbox":"x"}],
            "ips":[{"interface":0,"address":"127.0.0.1/8"}]})"));
        config = NetworkConfig{
            .networkName = "fakenet",
            .confDir = state.path() / "net.d",
            .pluginDirs = {fakes.dir()},
            .stateDir = state.path() / "cni",
            .pluginTimeout = std::chrono::seconds(5),
        };
        list = Conflist{
            .name = "fakenet",
            .cniVersion = "1.0.0",
            .plugins = {nlohmann::json{{"type", "fakebridge"}, {"bridge", "fk0"}},
                        nlohmann::json{{"type", "fakefw"}}},
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

} // namespace faasd::network::testing
