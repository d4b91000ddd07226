#include "build/template.hpp"
#include "common/files.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <filesystem>

using namespace faasd;
using namespace faasd::build;
namespace fs = std::filesystem;

namespace {

constexpr const char* kMinimal = R"(language: demo
fprocess: ./handler
pack:
  - from: handler
    to: /home/app/handler
)";

std::string messageOf(const Result<Template>& r) {
    REQUIRE_FALSE(r);
    return r.error().message();
}

} // namespace

TEST_CASE("template.yml: every field is read", "[build]") {
    auto t = parseTemplate(R"(# a comment
language: golang-http
handler: function
fprocess: ./handler
mode: http
busybox: true
requires: [go]
environment:
  upstream_url: http://127.0.0.1:8082
build:
  env:
    CGO_ENABLED: "0"
  run:
    - go build -o handler .
pack:
  - from: handler
    to: /home/app/handler
  - {from: static, to: /home/app/static}
)",
                           "t.yml", "/x/golang-http");
    REQUIRE(t);
    CHECK(t->language == "golang-http");
    CHECK(t->dir == fs::path("/x/golang-http"));
    CHECK(t->handler == "function");
    CHECK(t->fprocess == "./handler");
    CHECK(t->mode == "http");
    CHECK(t->busybox);
    CHECK(t->tools == std::vector<std::string>{"go"});
    CHECK(t->environment.at("upstream_url") == "http://127.0.0.1:8082");
    CHECK(t->buildEnv.at("CGO_ENABLED") == "0");
    CHECK(t->buildRun == std::vector<std::string>{"go build -o handler ."});
    REQUIRE(t->pack.size() == 2);
    CHECK(t->pack[1].from == "static");
    CHECK(t->pack[1].to == "/home/app/static");
}

TEST_CASE("template.yml: defaults", "[build]") {
    auto t = parseTemplate(kMinimal, "t.yml", "/x/demo");
    REQUIRE(t);
    CHECK(t->mode == "classic");
    CHECK_FALSE(t->busybox);
    CHECK(t->handler == "function");
    CHECK(t->buildRun.empty());
}

TEST_CASE("template.yml: errors name file, line, column and field", "[build]") {
    CHECK(messageOf(parseTemplate(std::string(kMinimal) + "mode: fast\n", "t.yml", "/x")) ==
          "t.yml:6:7: mode: must be classic, streaming, serializing or http");
    CHECK(messageOf(parseTemplate(std::string(kMinimal) + "busybox: maybe\n", "t.yml", "/x")) ==
          "t.yml:6:10: busybox: must be true or false");
    CHECK(messageOf(parseTemplate("language: demo\npack: [{from: a, to: /a}]\n", "t.yml", "/x")) ==
          "t.yml:1:1: fprocess: is required for a host build");
    CHECK(messageOf(parseTemplate("language: demo\nfprocess: x\npack:\n  - {from: a, to: rel}\n",
                                  "t.yml", "/x")) ==
          "t.yml:4:5: pack.to: must be an absolute path in the image");
    CHECK(messageOf(parseTemplate("language: demo\nfprocess: x\npack:\n  - {from: ../a, to: /a}\n",
                                  "t.yml", "/x")) ==
          "t.yml:4:5: pack.from: must be a path inside the build folder");
    CHECK(messageOf(parseTemplate("language: [demo\n", "t.yml", "/x")).rfind("t.yml:2:", 0) == 0);
    CHECK(messageOf(parseTemplate("build:\n  run: go\n" + std::string(kMinimal), "t.yml", "/x")) ==
          "t.yml:2:8: build.run: must be a list of strings");
}

TEST_CASE("template.yml: OpenFaaS's keys with faasd's recipe under faasd:", "[build]") {
    auto t = parseTemplate(R"(language: python3-http
fprocess: python3 index.py
handler_folder: function
welcome_message: |
  You have created a function.
build_options:
  - name: dev
    packages: [make, gcc]
  - name: none
stack: some-other-tool
faasd:
  mode: http
  environment: {upstream_url: "http://127.0.0.1:5000"}
  requires: [python3]
  build:
    run: [sh ./runtime.sh]
  pack:
    - {from: rootfs, to: /, layer: runtime}
    - {from: index.py, to: /home/app/index.py}
)",
                           "t.yml", "/x/python3-http");
    REQUIRE(t);
    CHECK(t->hostBuild);
    CHECK(t->handler == "function");
    CHECK(t->welcomeMessage == "You have created a function.\n");
    CHECK(t->mode == "http");
    CHECK(t->tools == std::vector<std::string>{"python3"});
    REQUIRE(t->pack.size() == 2);
    CHECK(t->pack[0].layer == "runtime");
    CHECK(t->pack[0].to == "/");
    CHECK(t->pack[1].layer == "function");
    REQUIRE(t->buildOptions.size() == 2);
    CHECK(additionalPackages(*t, {"dev"}).value() == "make gcc");
    CHECK(additionalPackages(*t, {"none", "dev"}).value() == "make gcc");
    auto unknown = additionalPackages(*t, {"prod"});
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message() ==
          "build_options: the python3-http template has no option \"prod\" (it has: dev, none)");
}

TEST_CASE("template.yml: an OpenFaaS store template builds from its Dockerfile", "[build]") {
    auto t = parseTemplate(R"(language: node20
fprocess: node index.js
welcome_message: |
  You have created a new function which uses Node.js 20.
mount_ssh: false
build_options: []
)",
                           "t.yml", "/x/node20");
    REQUIRE(t);
    CHECK_FALSE(t->hostBuild);
    CHECK(t->fprocess == "node index.js");
    CHECK(t->pack.empty());
    // The dockerfile template has no fprocess at all.
    auto d = parseTemplate("language: dockerfile\n", "t.yml", "/x/dockerfile");
    REQUIRE(d);
    CHECK_FALSE(d->hostBuild);
}

TEST_CASE("template.yml: the recipe's own keys are checked, under faasd: too", "[build]") {
    CHECK(messageOf(parseTemplate("language: a\nfprocess: x\nfaasd:\n  colour: blue\n", "t.yml",
                                  "/x")) == "t.yml:4:3: faasd: unknown field \"colour\"");
    CHECK(messageOf(
              parseTemplate("language: a\nfprocess: x\nfaasd:\n  mode: fast\n", "t.yml", "/x")) ==
          "t.yml:4:9: mode: must be classic, streaming, serializing or http");
    CHECK(messageOf(parseTemplate("language: a\nfprocess: x\nfaasd:\n  mode: http\n", "t.yml",
                                  "/x")) == "t.yml:4:3: faasd.pack: is required: what goes into "
                                            "the image");
    CHECK(messageOf(parseTemplate("language: a\nfprocess: x\nfaasd: [1]\n", "t.yml", "/x")) ==
          "t.yml:3:8: faasd: must be a map: faasd's host build");
    CHECK(messageOf(parseTemplate("language: a\nfprocess: x\nmode: http\nfaasd:\n  busybox: "
                                  "true\n",
                                  "t.yml", "/x")) ==
          "t.yml:5:3: faasd: the host build is either under faasd: or at the top level, not both");
    CHECK(messageOf(parseTemplate("language: a\nbuild_options: {dev: x}\n", "t.yml", "/x")) ==
          "t.yml:2:16: build_options: must be a list of {name, packages}");
    // Unknown top-level keys are OpenFaaS's or another tool's: ignored.
    REQUIRE(parseTemplate(std::string(kMinimal) + "colour: blue\n", "t.yml", "/x"));
}

TEST_CASE("the project's templates all load", "[build]") {
    auto dir = fs::path(FAASD_SOURCE_TEMPLATES);
    auto all = listTemplates(dir);
    REQUIRE(all);
    std::vector<std::string> names;
    for (const auto& t : *all) {
        names.push_back(t.language);
        CHECK(fs::is_directory(t.dir / std::string(kSkeletonFolder)));
        CHECK(fs::is_regular_file(t.language == "dockerfile" ? t.dir / "function" / "Dockerfile"
                                                             : t.dir / "Dockerfile"));
        if (t.language != "dockerfile") {
            CHECK(t.hostBuild);
            CHECK_FALSE(t.pack.empty());
        }
    }
    for (const auto* expected : {"bash", "cpp", "go", "golang-http", "node", "python3-http"}) {
        CHECK(std::find(names.begin(), names.end(), expected) != names.end());
    }
    auto go = findTemplate(dir, "go");
    REQUIRE(go);
    CHECK(go->mode == "classic");
    CHECK(go->buildEnv.at("CGO_ENABLED") == "0");
    auto http = findTemplate(dir, "golang-http");
    REQUIRE(http);
    CHECK(http->mode == "http");
    auto bash = findTemplate(dir, "bash");
    REQUIRE(bash);
    CHECK(bash->busybox);
    auto python = findTemplate(dir, "python3-http");
    REQUIRE(python);
    CHECK(python->mode == "http");
}

TEST_CASE("an unknown language lists the templates there are", "[build]") {
    auto missing = findTemplate(FAASD_SOURCE_TEMPLATES, "cobol");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);
    CHECK(missing.error().message().find(
              "no template for language \"cobol\"; available: bash, cpp, ") == 0);
    // Not a way out of the folder.
    CHECK_FALSE(findTemplate(FAASD_SOURCE_TEMPLATES, "../templates/go"));
}

TEST_CASE("the templates folder: explicit, then installed, then the source tree", "[build]") {
    auto path = templateSearchPath("/explicit");
    REQUIRE(path.size() >= 2);
    CHECK(path.front() == fs::path("/explicit"));
    CHECK(path.back() == fs::path(FAASD_SOURCE_TEMPLATES));
    auto missing = findTemplatesDir("/nonexistent/templates");
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message() == "templates folder /nonexistent/templates does not exist");
}

TEST_CASE("a template whose language differs from its folder is refused", "[build]") {
    auto dir = TempDir::create("faasd-template-").value();
    fs::create_directories(dir.path() / "demo" / "function");
    REQUIRE(writeFileAtomic(dir.path() / "demo" / "template.yml",
                            std::string(kMinimal).replace(10, 4, "other")));
    auto t = loadTemplate(dir.path() / "demo");
    REQUIRE_FALSE(t);
    CHECK(t.error().message().find("differs from its folder name demo") != std::string::npos);
}
