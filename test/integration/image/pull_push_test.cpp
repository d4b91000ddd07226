// Push and pull against a real registry (Debian's docker-registry on
// loopback) and a real containerd: an image built here goes up, is deleted
// locally, comes back through ensureImage and runs; errors name what was
// asked for; mirrors are tried first; basic auth with config.json.

#include "catch_result.hpp"
#include "common/base64.hpp"
#include "common/files.hpp"
#include "containerd_daemon.hpp"
#include "image/pull.hpp"
#include "image/push.hpp"
#include "image_test_support.hpp"
#include "registry_server.hpp"
#include "test_image.hpp"

#include <catch2/catch.hpp>
#include <thread>

using namespace faasd;
using namespace faasd::image;
using namespace std::chrono_literals;
namespace cd = faasd::containerd;
using faasd::testing::Ns;

namespace {

testing::RegistryServer& registry() {
    static auto server = testing::RegistryServer::start().value();
    return *server;
}

RegistryOptions options() {
    RegistryOptions o;
    o.timeout = 30s;
    return o;
}

} // namespace

TEST_CASE("an image pushed, deleted and pulled back runs", "[registry][run]") {
    Ns ns;
    auto& c = ns.client;
    const std::string local = "faasd.test/pushme:1";
    auto stored = testing::storeBusyboxImage(c, local, {"sh", "-c", "echo pulled ok; exit 4"});
    REQUIRE(stored);
    auto target = parseReference(registry().host() + "/faasd/pushme:1").value();

    auto pushed = pushImage(c, local, target, options());
    REQUIRE(pushed);
    // A second push finds every blob there already.
    REQUIRE(pushImage(c, local, target, options()));

    REQUIRE(c.images().remove(local, true));
    testing::waitForEmpty(c);
    CHECK(c.content().list().value().empty());

    auto pulled = ensureImage(c, target.str(), PullPolicy::IfNotPresent, options());
    REQUIRE(pulled);
    CHECK(pulled->record.name == target.str());
    CHECK(pulled->manifestDescriptor.digest == stored->target.digest);
    CHECK(pulled->config.cmd.at(0) == "sh");
    // Every blob carries what gc needs and no lease is left.
    auto manifestInfo = c.content().info(pulled->manifestDescriptor.digest);
    REQUIRE(manifestInfo);
    CHECK(manifestInfo->labels.count("containerd.io/gc.ref.content.config") == 1);
    CHECK(manifestInfo->labels.count("containerd.io/gc.ref.content.l.0") == 1);
    CHECK(c.leases().list().value().empty());

    // Present now: IfNotPresent and Never use it; Always pulls again.
    CHECK(ensureImage(c, target.str(), PullPolicy::Never, options()));
    CHECK(ensureImage(c, target.str(), PullPolicy::Always, options()));

    auto run = testing::runImage(c, *pulled);
    REQUIRE(run);
    CHECK(run->exitCode == 4);
    CHECK(run->output == "pulled ok\n");

    REQUIRE(c.images().remove(target.str(), true));
    testing::checkNothingLeft(c);
}

TEST_CASE("pull errors name the reference and the host", "[registry]") {
    Ns ns;
    auto& c = ns.client;
    const std::string unknownTag = registry().host() + "/faasd/pushme:no-such-tag";
    auto missing = ensureImage(c, unknownTag, PullPolicy::IfNotPresent, options());
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);
    CHECK(missing.error().message().find(unknownTag) != std::string::npos);

    const std::string unknownRepo = registry().host() + "/faasd/never-pushed:1";
    auto noRepo = ensureImage(c, unknownRepo, PullPolicy::Always, options());
    REQUIRE_FALSE(noRepo);
    CHECK(noRepo.error().code() == Code::NotFound);

    auto never = ensureImage(c, unknownTag, PullPolicy::Never, options());
    REQUIRE_FALSE(never);
    CHECK(never.error().code() == Code::FailedPrecondition);
    CHECK(never.error().message().find(unknownTag) != std::string::npos);

    const std::string closed = "127.0.0.1:" + std::to_string(testing::closedPort());
    auto down = ensureImage(c, closed + "/x/y:1", PullPolicy::IfNotPresent, options());
    REQUIRE_FALSE(down);
    CHECK(down.error().code() == Code::Unavailable);
    CHECK(down.error().message().find(closed) != std::string::npos);
    testing::checkNothingLeft(c);
}

TEST_CASE("mirrors are tried first and the origin is the fallback", "[registry][mirror]") {
    Ns ns;
    auto& c = ns.client;
    REQUIRE(testing::storeBusyboxImage(c, "faasd.test/mirrored:1", {"true"}));
    auto origin = parseReference(registry().host() + "/faasd/mirrored:1").value();
    REQUIRE(pushImage(c, "faasd.test/mirrored:1", origin, options()));
    REQUIRE(c.images().remove("faasd.test/mirrored:1", true));

    // A domain nobody serves, mirrored by the test registry: the pull never
    // leaves loopback.
    auto opts = options();
    opts.mirrors["mirror-only.invalid"] = {registry().host()};
    auto viaMirror =
        pullImage(c, parseReference("mirror-only.invalid/faasd/mirrored:1").value(), opts);
    REQUIRE(viaMirror);
    CHECK(viaMirror->record.name == "mirror-only.invalid/faasd/mirrored:1");

    // A dead mirror first: the origin answers.
    opts.mirrors[registry().host()] = {"127.0.0.1:" + std::to_string(testing::closedPort())};
    auto fallback = pullImage(c, origin, opts);
    REQUIRE(fallback);
    CHECK(fallback->manifestDescriptor.digest == viaMirror->manifestDescriptor.digest);

    REQUIRE(c.images().remove(viaMirror->record.name, true));
    REQUIRE(c.images().remove(fallback->record.name, true));
    testing::checkNothingLeft(c);
}

TEST_CASE("a registry with basic auth takes credentials from config.json", "[registry][auth]") {
    auto secured = testing::RegistryServer::start(testing::RegistryUser{"faasd", "s3cret"});
    REQUIRE(secured);
    Ns ns;
    auto& c = ns.client;
    REQUIRE(testing::storeBusyboxImage(c, "faasd.test/private:1", {"true"}));
    auto target = parseReference((*secured)->host() + "/team/private:1").value();

    auto anonymous = pushImage(c, "faasd.test/private:1", target, options());
    REQUIRE_FALSE(anonymous);
    CHECK(anonymous.error().code() == Code::PermissionDenied);
    CHECK(anonymous.error().message().find((*secured)->host()) != std::string::npos);

    auto dir = TempDir::create("faasd-it-auth-").value();
    auto opts = options();
    opts.dockerConfig = (dir.path() / "config.json").string();
    REQUIRE(writeFileAtomic(opts.dockerConfig, R"({"auths":{")" + (*secured)->host() +
                                                   R"(":{"auth":")" + base64Encode("faasd:wrong") +
                                                   R"("}}})"));
    auto wrong = pushImage(c, "faasd.test/private:1", target, opts);
    REQUIRE_FALSE(wrong);
    CHECK(wrong.error().code() == Code::PermissionDenied);

    REQUIRE(writeFileAtomic(opts.dockerConfig, R"({"auths":{")" + (*secured)->host() +
                                                   R"(":{"auth":")" + base64Encode("faasd:s3cret") +
                                                   R"("}}})"));
    REQUIRE(pushImage(c, "faasd.test/private:1", target, opts));
    REQUIRE(c.images().remove("faasd.test/private:1", true));
    auto pulled = pullImage(c, target, opts);
    REQUIRE(pulled);
    REQUIRE(c.images().remove(target.str(), true));
    testing::checkNothingLeft(c);
}
