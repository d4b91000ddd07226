#include "catch_result.hpp"
#include "common/files.hpp"
#include "daemon/component_config.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::daemon;
using namespace std::chrono_literals;

TEST_CASE("the provider's settings follow the daemon's", "[daemon]") {
    auto dir = TempDir::create("faasd-daemon-test");
    REQUIRE(dir);
    const auto dockerConfig = dir->path() / "config.json";
    REQUIRE(writeFileAtomic(dockerConfig, "{}"));
    auto c = config::fromEnv({{"FAASD_PROVIDER_STATE_DIR", "/srv/provider"},
                              {"FAASD_CNI_BRIDGE", "fn0"},
                              {"FAASD_CNI_SUBNET", "10.70.0.0/24"},
                              {"CNI_PATH", "/a:/b"},
                              {"FAASD_PULL_POLICY", "Never"},
                              {"FAASD_REGISTRY_MIRRORS", "docker.io=m1:5000"},
                              {"FAASD_DOCKER_CONFIG", dockerConfig.string()},
                              {"FAASD_READINESS_TIMEOUT", "5s"},
                              {"FAASD_MAX_REPLICAS", "3"},
                              {"FAASD_CGROUP_PARENT", "/faasd-node1"}});
    REQUIRE(c);
    auto p = providerConfigFrom(*c);
    CHECK(p.stateDir == "/srv/provider");
    CHECK(p.network.bridge == "fn0");
    CHECK(p.network.subnet == "10.70.0.0/24");
    CHECK(p.network.pluginDirs == std::vector<std::filesystem::path>{"/a", "/b"});
    CHECK(p.network.stateDir == "/srv/provider/cni");
    CHECK(p.pullPolicy == image::PullPolicy::Never);
    CHECK(p.registry.mirrors.at("docker.io") == std::vector<std::string>{"m1:5000"});
    CHECK(p.registry.dockerConfig == dockerConfig.string());
    CHECK(p.readinessTimeout == 5s);
    CHECK(p.maxReplicas == 3);
    CHECK(p.cgroupParent == "/faasd-node1");

    // A docker config that is not there is not handed on.
    c->dockerConfig = (dir->path() / "absent.json").string();
    CHECK(providerConfigFrom(*c).registry.dockerConfig.empty());
}

TEST_CASE("the queue's settings follow the daemon's", "[daemon]") {
    auto c = config::fromEnv({{"FAASD_STATE_DIR", "/srv/faasd"},
                              {"FAASD_QUEUE_SYNC", "normal"},
                              {"FAASD_QUEUE_WORKERS", "3"},
                              {"FAASD_QUEUE_RETRY_DELAY", "250ms"}});
    REQUIRE(c);
    auto q = queueConfigFrom(*c);
    CHECK(q.database == "/srv/faasd/queue.db");
    CHECK_FALSE(q.fullSync);
    CHECK(q.workers == 3);
    CHECK(q.retryDelay == 250ms);
    CHECK(q.maxAttempts == 5);
}

TEST_CASE("the gateway's blocking pool grows for the queue and the builder", "[daemon]") {
    const DaemonCredentials creds{.user = "admin", .password = "pw"};
    auto c = config::fromEnv({{"FAASD_QUEUE_ACCEPT_THREADS", "10"},
                              {"FAASD_BUILDER_CONCURRENCY", "3"},
                              {"FAASD_GATEWAY_PORT", "9999"}});
    REQUIRE(c);
    auto g = gatewayConfigFrom(*c, creds, "token");
    CHECK(g.port == 9999);
    CHECK(g.authEnabled);
    CHECK(g.credentials.user == "admin");
    CHECK(g.credentials.password == "pw");
    CHECK(g.internalToken == "token");
    CHECK(g.blockingThreads == 13);

    c->queue.enabled = false;
    c->builder.enabled = false;
    CHECK(gatewayConfigFrom(*c, creds, "token").blockingThreads ==
          gateway::GatewayConfig{}.blockingThreads);
}

TEST_CASE("the gateway's upstream timeout and callback policy follow the daemon's", "[daemon]") {
    const DaemonCredentials creds{.user = "admin", .password = "pw"};
    auto c = config::fromEnv(
        {{"FAASD_UPSTREAM_TIMEOUT", "3h"}, {"FAASD_CALLBACK_ALLOW", "127.0.0.1/32"}});
    REQUIRE(c);
    auto g = gatewayConfigFrom(*c, creds, "token");
    CHECK(g.upstreamTimeout == 3h);
    CHECK(g.callbackPolicy.restricts());
    CHECK(g.callbackPolicy.check("http://127.0.0.1:9/cb"));
    CHECK_FALSE(g.callbackPolicy.check("http://127.0.0.2:9/cb"));
    auto q = queueConfigFrom(*c);
    CHECK(q.callbackPolicy.restricts());
    CHECK_FALSE(q.callbackPolicy.check("http://169.254.169.254/"));

    auto none = config::fromEnv({});
    REQUIRE(none);
    CHECK(gatewayConfigFrom(*none, creds, "token").upstreamTimeout == 60s);
    CHECK(gatewayConfigFrom(*none, creds, "token").callbackPolicy.restricts()); // by default
    auto bad = config::fromEnv({{"FAASD_CALLBACK_ALLOW", "10.0.0.0/40"}});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message() ==
          "FAASD_CALLBACK_ALLOW: \"10.0.0.0/40\": the prefix length must be 0 to 32");
}
