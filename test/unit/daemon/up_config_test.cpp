#include "catch_result.hpp"
#include "daemon/up.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::daemon;

TEST_CASE("faasd up's flags win over the environment", "[daemon]") {
    const config::Env env{{"FAASD_GATEWAY_PORT", "9000"},
                          {"FAASD_STATE_DIR", "/srv/faasd"},
                          {"FAASD_CONTAINERD_SOCKET", "/run/env.sock"},
                          {"FAASD_MAX_REPLICAS", "7"}};

    auto same = upConfig(env, {});
    REQUIRE(same);
    CHECK(*same == config::fromEnv(env).value());

    auto c = upConfig(env, {.port = 8081,
                            .stateDir = "/tmp/state",
                            .containerdSocket = "/run/flag.sock",
                            .noAuth = true,
                            .stopFunctionsOnExit = true});
    REQUIRE(c);
    CHECK(c->gatewayPort == 8081);
    CHECK(c->stateDir == "/tmp/state");
    CHECK(c->containerdSocket == "/run/flag.sock");
    CHECK_FALSE(c->basicAuth);
    CHECK(c->stopFunctionsOnExit);
    CHECK(c->maxReplicas == 7);
    CHECK(c->basicAuthUserFile() == "/tmp/state/secrets/basic-auth-user");
}

TEST_CASE("a bad variable stops faasd up before anything starts", "[daemon]") {
    auto c = upConfig({{"FAASD_CNI_SUBNET", "nope"}}, {.port = 8081});
    REQUIRE_FALSE(c);
    CHECK(c.error().code() == Code::InvalidArgument);
    CHECK(c.error().message().find("FAASD_CNI_SUBNET") != std::string::npos);
}
