// What a function sees inside its container: user, env, secrets, limits in
// its cgroup, read-only root, resolv.conf and hosts.

#include "catch_result.hpp"
#include "fixture.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::provider;
using namespace faasd::provider::testing;
using namespace std::chrono_literals;

TEST_CASE("a function runs as the image's user with its spec", "[provider]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    REQUIRE(p.createSecret({.name = "api-key", .ns = env.ns(), .value = "s3cret"}));
    auto d = deployment("spec", env.ns(), kAppImage);
    d.envProcess = "cat";
    d.envVars = {{"GREETING", "hi there"}, {"FROM_IMAGE", "user"}};
    d.secrets = {"api-key"};
    d.limits = api::Resources{.memory = "64Mi", .cpu = "250m"};
    d.readOnlyRootFilesystem = true;
    REQUIRE(p.deploy(d));
    auto r = p.replicas("spec", env.ns()).value().at(0);

    CHECK(httpGet(r.ip, "/cgi-bin/id").starts_with("uid=1000(app) gid=1000(app)"));
    auto envText = httpGet(r.ip, "/cgi-bin/env");
    CHECK(envText.find("GREETING=hi there\n") != std::string::npos);
    CHECK(envText.find("fprocess=cat\n") != std::string::npos);
    CHECK(envText.find("FROM_IMAGE=user\n") != std::string::npos);
    CHECK(envText.find("PATH=/bin\n") != std::string::npos);
    CHECK(httpGet(r.ip, "/cgi-bin/hostname") == "spec\n");
    CHECK(httpGet(r.ip, "/cgi-bin/secret") == "s3cret");
    CHECK(httpGet(r.ip, "/cgi-bin/secretls").find("1000     1000") != std::string::npos);
    CHECK(httpGet(r.ip, "/cgi-bin/mem") == std::to_string(64 << 20) + "\n");
    CHECK(httpGet(r.ip, "/cgi-bin/cpu") == "25000\n100000\n");
    CHECK(httpGet(r.ip, "/cgi-bin/write") == "readonly\ntmp-ok\n");
    auto resolv = httpGet(r.ip, "/cgi-bin/resolv");
    CHECK(resolv.find(r.ip + "\tspec") != std::string::npos);
    CHECK(resolv.find("8.8.8.8") == std::string::npos);

    // The host copy is not world-readable.
    auto ls = sh("find " + env.config().stateDir.string() +
                 "/functions -path '*secrets-*' -type f -perm /o=r");
    CHECK(ls.out.empty());

    // An update of the secret reaches the running replica.
    REQUIRE(p.updateSecret({.name = "api-key", .ns = env.ns(), .value = "rotated"}));
    CHECK(httpGet(r.ip, "/cgi-bin/secret") == "rotated");

    // The deployment's envProcess wins over the image's fprocess.
    auto status = p.get("spec", env.ns());
    REQUIRE(status);
    CHECK(status->envProcess == "cat");
    CHECK(p.list(env.ns()).value().at(0).envProcess == "cat");
    CHECK(status->envVars == d.envVars);
    CHECK(status->secrets == d.secrets);
    CHECK(status->limits == d.limits);
    CHECK(status->readOnlyRootFilesystem);
    REQUIRE(p.remove("spec", env.ns()));
    CHECK(env.tasks() == 0);
}

TEST_CASE("a writable root and root user when the image asks for nothing", "[provider]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    auto d = deployment("plain", env.ns());
    REQUIRE(d.envProcess.empty());
    REQUIRE(p.deploy(d));
    auto r = p.replicas("plain", env.ns()).value().at(0);
    CHECK(httpGet(r.ip, "/cgi-bin/id").starts_with("uid=0(root)"));
    // No envProcess in the deployment: the status reports the image's
    // fprocess, which is what the replica runs with.
    const auto fprocess = fmt::format("fprocess={}\n", kImageProcess);
    CHECK(httpGet(r.ip, "/cgi-bin/env").find(fprocess) != std::string::npos);
    CHECK(p.get("plain", env.ns()).value().envProcess == kImageProcess);
    auto listed = p.list(env.ns());
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);
    CHECK(listed->at(0).envProcess == kImageProcess);
    // An update that names one replaces it; one that drops it goes back.
    d.envProcess = "cat";
    REQUIRE(p.update(d));
    CHECK(p.get("plain", env.ns()).value().envProcess == "cat");
    d.envProcess.clear();
    REQUIRE(p.update(d));
    CHECK(p.get("plain", env.ns()).value().envProcess == kImageProcess);
    r = p.replicas("plain", env.ns()).value().at(0);
    CHECK(httpGet(r.ip, "/cgi-bin/write") == "writable\ntmp-ok\n");
    // No memory limit: the cgroup's default (no limit).
    CHECK(httpGet(r.ip, "/cgi-bin/cpu") == "-1\n100000\n");
}
