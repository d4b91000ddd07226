#include "build/function_build.hpp"
#include "common/files.hpp"
#include "common/subprocess.hpp"
#include "image/builder.hpp"
#include "image/digest.hpp"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <sys/stat.h>
#include <utime.h>

using namespace faasd;
using namespace faasd::image;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

struct FunctionFixture {
    TempDir dir = TempDir::create("faasd-builder-").value();
    fs::path fn = dir.path() / "fn";

    FunctionFixture() {
        fs::create_directories(fn / "lib");
        REQUIRE(writeFileAtomic(fn / "handler", "#!/bin/sh\ncat\n", 0755));
        REQUIRE(writeFileAtomic(fn / "lib" / "b.txt", "b"));
        REQUIRE(writeFileAtomic(fn / "lib" / "a.txt", "a"));
        fs::create_symlink("lib/a.txt", fn / "link");
    }

    FunctionImageSpec spec() const {
        FunctionImageSpec s;
        s.watchdog = FWATCHDOG_PATH;
        s.files = {{"/home/app/function", fn}};
        s.fprocess = "./function/handler";
        s.env = {{"upstream_url", "http://127.0.0.1:8082"}};
        return s;
    }
};

std::string tarListing(const TempDir& dir, const Layer& layer) {
    auto path = dir.path() / "layer.tgz";
    REQUIRE(writeFileAtomic(path, layer.blob));
    auto listing = run({.argv = {"tar", "--utc", "-tvzf", path.string()}}, "", 10s);
    REQUIRE(listing);
    REQUIRE(listing->status == 0);
    return listing->out;
}

} // namespace

TEST_CASE("the same inputs give the same image digest", "[build]") {
    FunctionFixture f;
    auto first = buildFunctionImage(f.spec());
    REQUIRE(first);
    // A later mtime, a different umask-style mode on a plain file: same image.
    ::utime((f.fn / "lib" / "a.txt").c_str(), nullptr);
    ::chmod((f.fn / "lib" / "b.txt").c_str(), 0600);
    auto second = buildFunctionImage(f.spec());
    REQUIRE(second);
    CHECK(second->manifestDescriptor.digest == first->manifestDescriptor.digest);
    CHECK(second->layers[1].blob == first->layers[1].blob);

    // The archive is byte for byte the same too.
    auto a = f.dir.path() / "a.tar";
    auto b = f.dir.path() / "b.tar";
    REQUIRE(writeOciArchive(*first, "say:latest", a));
    REQUIRE(writeOciArchive(*second, "say:latest", b));
    CHECK(readFile(a).value() == readFile(b).value());

    // A changed byte in the function changes the function layer and the image.
    REQUIRE(writeFileAtomic(f.fn / "lib" / "a.txt", "A"));
    auto third = buildFunctionImage(f.spec());
    REQUIRE(third);
    CHECK(third->manifestDescriptor.digest != first->manifestDescriptor.digest);
    CHECK(third->layers[0].digest == first->layers[0].digest);
    CHECK(third->layers[1].digest != first->layers[1].digest);
}

TEST_CASE("layers: sorted entries, mtime 0, fixed owners, normalised modes", "[build]") {
    FunctionFixture f;
    auto img = buildFunctionImage(f.spec());
    REQUIRE(img);
    REQUIRE(img->layers.size() == 2);
    auto fnList = tarListing(f.dir, img->layers[1]);
    INFO(fnList);
    CHECK(
        fnList.find("-rwxr-xr-x 0/0              14 1970-01-01 00:00 home/app/function/handler") !=
        std::string::npos);
    CHECK(fnList.find(
              "-rw-r--r-- 0/0               1 1970-01-01 00:00 home/app/function/lib/a.txt") !=
          std::string::npos);
    CHECK(fnList.find("home/app/function/link -> lib/a.txt") != std::string::npos);
    CHECK(fnList.find("lib/a.txt") < fnList.find("lib/b.txt"));
    CHECK(fnList.find("function/handler") < fnList.find("function/lib/"));

    auto runtimeList = tarListing(f.dir, img->layers[0]);
    INFO(runtimeList);
    CHECK(runtimeList.find("-rwxr-xr-x 0/0") != std::string::npos);
    CHECK(runtimeList.find("usr/bin/fwatchdog") != std::string::npos);
    CHECK(runtimeList.find("drwxrwxrwt 0/0               0 1970-01-01 00:00 tmp") !=
          std::string::npos);
    CHECK(runtimeList.find("drwxr-xr-x 1000/1000         0 1970-01-01 00:00 home/app") !=
          std::string::npos);
    CHECK(runtimeList.find("bin/busybox") == std::string::npos);
}

TEST_CASE("the image config runs fwatchdog as a user with the function's settings", "[build]") {
    FunctionFixture f;
    auto img = buildFunctionImage(f.spec());
    REQUIRE(img);
    auto j = nlohmann::json::parse(img->configJson);
    const auto& c = j["config"];
    CHECK(c["Cmd"] == nlohmann::json::array({"/usr/bin/fwatchdog"}));
    CHECK(c["User"] == "1000:1000");
    CHECK(c["WorkingDir"] == "/home/app");
    CHECK(c["ExposedPorts"].contains("8080/tcp"));
    auto env = c["Env"].get<std::vector<std::string>>();
    CHECK(std::find(env.begin(), env.end(), "fprocess=./function/handler") != env.end());
    CHECK(std::find(env.begin(), env.end(), "mode=classic") != env.end());
    CHECK(std::find(env.begin(), env.end(), "upstream_url=http://127.0.0.1:8082") != env.end());
    CHECK(c["Healthcheck"]["Test"] ==
          nlohmann::json::array({"CMD", "/usr/bin/fwatchdog", "--run-healthcheck"}));
    CHECK(j["rootfs"]["diff_ids"].size() == 2);
    CHECK_FALSE(j.contains("created"));
    // The manifest names this config and the two layers by digest.
    auto m = nlohmann::json::parse(img->manifestJson);
    CHECK(m["config"]["digest"] == sha256Digest(img->configJson));
    CHECK(m["layers"][1]["digest"] == img->layers[1].digest);
    CHECK(img->manifestDescriptor.digest == sha256Digest(img->manifestJson));
    // The config parses back with its health check.
    auto parsed = parseImageConfig(img->configJson);
    REQUIRE(parsed);
    REQUIRE(parsed->healthcheck);
    CHECK(parsed->healthcheck->intervalNs == 5'000'000'000);
}

TEST_CASE("busybox comes with its applets when asked for", "[build]") {
    if (!fs::exists("/bin/busybox")) {
        FAIL("busybox-static is not installed (hack/install-deps.sh)");
    }
    FunctionFixture f;
    auto spec = f.spec();
    spec.busybox = "/bin/busybox";
    auto img = buildFunctionImage(spec);
    REQUIRE(img);
    auto list = tarListing(f.dir, img->layers[0]);
    CHECK(list.find("bin/busybox") != std::string::npos);
    CHECK(list.find("bin/sh -> /bin/busybox") != std::string::npos);
    CHECK(list.find("bin/cat -> /bin/busybox") != std::string::npos);
}

TEST_CASE("only static executables are packed", "[build]") {
    CHECK(isStaticExecutable(FWATCHDOG_PATH).value());
    CHECK_FALSE(isStaticExecutable("/bin/sh").value()); // dash, dynamically linked
    FunctionFixture f;
    CHECK_FALSE(isStaticExecutable(f.fn / "handler")); // a script
    auto spec = f.spec();
    spec.watchdog = "/bin/sh";
    auto img = buildFunctionImage(spec);
    REQUIRE_FALSE(img);
    CHECK(img.error().message().find("not a static executable") != std::string::npos);
}

TEST_CASE("a function build stages, runs the recipe and packs its output", "[build]") {
    auto dir = TempDir::create("faasd-fnbuild-").value();
    auto templates = dir.path() / "templates";
    fs::create_directories(templates / "demo" / "function");
    REQUIRE(writeFileAtomic(templates / "demo" / "wrapper.sh", "echo wrapped\n"));
    REQUIRE(writeFileAtomic(templates / "demo" / "template.yml", R"(language: demo
fprocess: ./out/run
build:
  env: {GREETING: hi}
  run:
    - mkdir out && cat wrapper.sh function/body.txt > out/run && echo "$GREETING $EXTRA" > out/env
    - test -s function/body.txt || { echo "body.txt is empty" >&2; exit 3; }
pack:
  - {from: out, to: /home/app/out}
)"));
    auto handler = dir.path() / "src" / "fn";
    fs::create_directories(handler);
    REQUIRE(writeFileAtomic(handler / "body.txt", "body\n"));

    build::FunctionSource source{"demo-fn", "demo", handler, "demo-fn:latest", {{"EXTRA", "x"}}};
    build::BuildOptions options;
    options.templatesDir = templates;
    options.watchdog = FWATCHDOG_PATH;
    options.buildRoot = dir.path() / "build";
    std::vector<std::string> lines;
    options.progress = [&](const std::string& l) { lines.push_back(l); };
    auto built = build::buildFunction(source, options);
    REQUIRE(built);
    CHECK(readFile(options.buildRoot / "demo-fn" / "out" / "run").value() ==
          "echo wrapped\nbody\n");
    CHECK(readFile(options.buildRoot / "demo-fn" / "out" / "env").value() == "hi x\n");
    // Staged as faas-cli stages: template.yml too, the skeleton not.
    CHECK(fs::exists(options.buildRoot / "demo-fn" / "template.yml"));
    CHECK(lines.size() == 4); // staging, two commands, packing
    CHECK(tarListing(dir, built->layers[1]).find("home/app/out/run") != std::string::npos);

    // A failing command: its output is in the error.
    REQUIRE(writeFileAtomic(handler / "body.txt", ""));
    auto failed = build::buildFunction(source, options);
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message().find("exited 3") != std::string::npos);
    CHECK(failed.error().message().find("body.txt is empty") != std::string::npos);

    // Unknown template and missing handler folder.
    source.lang = "nope";
    auto unknown = build::buildFunction(source, options);
    REQUIRE_FALSE(unknown);
    CHECK(unknown.error().message().find("available: demo") != std::string::npos);
    source.lang = "demo";
    source.handler = dir.path() / "missing";
    auto missing = build::buildFunction(source, options);
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().find("does not exist") != std::string::npos);
}
