// Deploying an image that is only in a registry: Debian's docker-registry
// on loopback holds it, the provider pulls it on deploy.

#include "catch_result.hpp"
#include "fixture.hpp"
#include "image/push.hpp"
#include "image/reference.hpp"
#include "registry_server.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::provider;
using namespace faasd::provider::testing;

TEST_CASE("a deploy pulls its image from a registry; an unknown tag is a clear error",
          "[provider][registry]") {
    auto registry = faasd::testing::RegistryServer::start();
    REQUIRE(registry);
    ProviderEnv env;
    env.storeImages();
    auto client = env.client();

    // Publish the test image to the registry only.
    const std::string remote = (*registry)->host() + "/faasd-it/web:pulled";
    auto target = image::parseReference(remote);
    REQUIRE(target);
    REQUIRE(image::pushImage(client, "docker.io/" + std::string(kImage), *target, {}));
    CHECK_FALSE(client.images().get(target->str()));

    auto& p = env.provider();
    REQUIRE(p.deploy(deployment("pulled", env.ns(), remote)));
    CHECK(client.images().get(target->str())); // pulled into the store
    auto status = p.get("pulled", env.ns());
    REQUIRE(status);
    CHECK(status->image == remote);
    CHECK(status->availableReplicas == 1);
    auto endpoints = p.resolve("pulled", env.ns());
    REQUIRE(endpoints);
    REQUIRE(endpoints->size() == 1);
    CHECK(httpGet((*endpoints)[0].ip, "/index.html") == "hello from a replica\n");
    REQUIRE(p.remove("pulled", env.ns()));

    const std::string unknown = (*registry)->host() + "/faasd-it/web:no-such-tag";
    auto missing = p.deploy(deployment("missing", env.ns(), unknown));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);
    CHECK(missing.error().message().find("no-such-tag") != std::string::npos);
    CHECK(p.get("missing", env.ns()).error().code() == Code::NotFound);
    CHECK(env.containers() == 0);
    CHECK(env.tasks() == 0);
}
