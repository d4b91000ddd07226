#include "build/buildah.hpp"
#include "common/files.hpp"

#include <catch2/catch.hpp>
#include <filesystem>

using namespace faasd;
using namespace faasd::build;

TEST_CASE("buildah: the base images a Dockerfile's FROM lines name", "[build]") {
    auto images = dockerfileBaseImages(R"(ARG PYTHON=3.12
FROM --platform=${TARGETPLATFORM:-linux/amd64} ghcr.io/openfaas/of-watchdog:0.10.7 AS watchdog
FROM --platform=${BUILDPLATFORM} python:${PYTHON}-alpine as build
from 127.0.0.1:5000/library/alpine:3.20 AS ship
COPY --from=watchdog /fwatchdog /usr/bin/fwatchdog
FROM build
FROM scratch
FROM ${BASE}
)");
    CHECK(images == std::vector<std::string>{"ghcr.io/openfaas/of-watchdog:0.10.7",
                                             "127.0.0.1:5000/library/alpine:3.20"});
}

TEST_CASE("buildah: registries.conf carries mirrors and plain-HTTP registries", "[build]") {
    image::RegistryOptions options;
    options.mirrors["docker.io"] = {"127.0.0.1:5001", "https://mirror.example.com"};
    options.insecure = {"registry.lan:5000"};
    auto conf = registriesConf(options, {"127.0.0.1:5000/library/alpine:3.20", "python:3.12",
                                         "ghcr.io/openfaas/of-watchdog:0.10.7"});
    CHECK(conf.find("prefix = \"docker.io\"\nlocation = \"docker.io\"") != std::string::npos);
    CHECK(conf.find("[[registry.mirror]]\nlocation = \"127.0.0.1:5001\"\ninsecure = true") !=
          std::string::npos);
    CHECK(conf.find("[[registry.mirror]]\nlocation = \"mirror.example.com\"\ninsecure = false") !=
          std::string::npos);
    CHECK(conf.find("location = \"127.0.0.1:5000\"\ninsecure = true") != std::string::npos);
    CHECK(conf.find("location = \"registry.lan:5000\"\ninsecure = true") != std::string::npos);
    CHECK(conf.find("ghcr.io") == std::string::npos);
}

TEST_CASE("buildah: the build's arguments, Docker's automatic ones included", "[build]") {
    ContextBuild request;
    request.name = "fn";
    request.context = "/ctx";
    request.image = "127.0.0.1:5000/fn:1";
    request.buildArgs = {{"ADDITIONAL_PACKAGE", "make"}, {"TARGETARCH", "override"}};
    BuildEnvironment env;
    env.buildahRoot = "/var/lib/x";
    auto argv = buildahBuildArgv(request, env, "/work", "linux/arm/v7");
    auto has = [&](const std::string& a, const std::string& b) {
        for (size_t i = 0; i + 1 < argv.size(); ++i) {
            if (argv[i] == a && argv[i + 1] == b) {
                return true;
            }
        }
        return false;
    };
    CHECK(has("--root", "/var/lib/x/storage"));
    CHECK(has("--runroot", "/var/lib/x/run"));
    CHECK(has("--build-arg", "TARGETPLATFORM=linux/arm/v7"));
    CHECK(has("--build-arg", "TARGETOS=linux"));
    CHECK(has("--build-arg", "TARGETVARIANT=v7"));
    CHECK(has("--build-arg", "BUILDPLATFORM=linux/arm/v7"));
    CHECK(has("--build-arg", "ADDITIONAL_PACKAGE=make"));
    CHECK(has("--build-arg", "TARGETARCH=override"));
    CHECK(has("-f", "/ctx/Dockerfile"));
    CHECK(has("-t", "127.0.0.1:5000/fn:1"));
    CHECK(has("--signature-policy", "/work/policy.json"));
    CHECK(argv.back() == "/ctx");
    // Without platforms asked for, none is passed (the host's).
    CHECK_FALSE(has("--platform", "linux/arm/v7"));
}

TEST_CASE("namesRegistry reads names as docker does", "[build]") {
    CHECK(namesRegistry("127.0.0.1:5000/fn:1"));
    CHECK(namesRegistry("localhost/fn"));
    CHECK(namesRegistry("ghcr.io/a/b"));
    CHECK_FALSE(namesRegistry("fn:latest"));
    CHECK_FALSE(namesRegistry("alexellis/fn"));
}

TEST_CASE("an uploaded context builds with the trusted recipe and no loader tricks", "[build]") {
    auto dir = faasd::TempDir::create("faasd-ctx-").value();
    auto trusted = dir.path() / "templates" / "demo";
    std::filesystem::create_directories(trusted / "function");
    REQUIRE(faasd::writeFileAtomic(trusted / "step.sh", "echo trusted > out\n"));
    REQUIRE(faasd::writeFileAtomic(trusted / "template.yml", R"(language: demo
fprocess: ./out
faasd:
  build:
    run: ["sh ./step.sh"]
  pack:
    - {from: out, to: /home/app/out}
)"));
    auto context = dir.path() / "context";
    std::filesystem::create_directories(context);
    // The upload's own recipe and scripts would run something else.
    REQUIRE(faasd::writeFileAtomic(context / "step.sh", "echo uploaded > out\n"));
    std::filesystem::create_directories(context / "function");
    REQUIRE(faasd::writeFileAtomic(context / "function" / "handler", "mine\n"));
    REQUIRE(faasd::writeFileAtomic(context / "template.yml", R"(language: demo
fprocess: ./out
faasd:
  build:
    run: ["echo uploaded > out"]
  pack:
    - {from: out, to: /home/app/out}
)"));
    ContextBuild request;
    request.name = "demo";
    request.context = context;
    request.image = "demo:1";
    request.trustContextRecipe = false;
    BuildEnvironment env;
    env.templatesDir = dir.path() / "templates";
    env.watchdog = FWATCHDOG_PATH;
    auto built = buildContext(request, env, {});
    REQUIRE(built);
    CHECK(built->method == "host");
    CHECK(faasd::readFile(context / "out").value() == "trusted\n");
    CHECK(faasd::readFile(context / "step.sh").value() == "echo trusted > out\n");
    CHECK(faasd::readFile(context / "function" / "handler").value() == "mine\n");

    request.buildArgs = {{"LD_PRELOAD", "/tmp/evil.so"}};
    auto refused = buildContext(request, env, {});
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("build arg LD_PRELOAD may not be set") !=
          std::string::npos);
    request.buildArgs = {{"GOFLAGS", "-toolexec=/bin/sh"}};
    CHECK_FALSE(buildContext(request, env, {}));
    // Index settings are fine.
    request.buildArgs = {{"PIP_INDEX_URL", "http://127.0.0.1:1/simple"}};
    CHECK(buildContext(request, env, {}));
}
