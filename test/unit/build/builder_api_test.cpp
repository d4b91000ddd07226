// The function builder API's answers, with the build itself faked: what is
// refused (401, 413, 429, 400) never reaches it, and nothing is left in the
// builds folder whatever the outcome.

#include "build/builder_api.hpp"
#include "catch_result.hpp"
#include "common/files.hpp"
#include "common/hmac.hpp"
#include "tar_writer.hpp"

#include <catch2/catch.hpp>
#include <filesystem>
#include <future>
#include <latch>
#include <mutex>
#include <nlohmann/json.hpp>

using namespace faasd;
using namespace faasd::build;
using namespace faasd::build::test;
namespace fs = std::filesystem;
using nlohmann::json;

namespace {

constexpr std::string_view kSecret = "0123abcd";

std::string sign(std::string_view body, std::string_view key = kSecret) {
    return "sha256=" + hmacSha256Hex(key, body);
}

std::string goodTar(std::string_view config = kConfig) {
    TarWriter t;
    t.dir("context/")
        .file("context/template.yml", "language: go\n")
        .file("context/function/handler.go", "package function\n")
        .config(config);
    return t.str();
}

// What the fake build saw, and what it answers.
struct FakeBuild {
    std::mutex mutex;
    int calls = 0;
    ContextBuild request;
    bool contextExisted = false;
    std::optional<Error> error;
    std::function<void()> during; // runs inside the build

    ContextBuilder fn() {
        return [this](const ContextBuild& r, const BuildEnvironment&,
                      const BuildLog& log) -> Result<ContextBuildResult> {
            {
                std::lock_guard lock(mutex);
                ++calls;
                request = r;
                contextExisted = fs::exists(r.context / "function/handler.go");
            }
            log("step 1");
            if (during) {
                during();
            }
            log("step 2");
            if (error) {
                return fail(*error);
            }
            return ContextBuildResult{"docker.io/library/say:latest", "sha256:00", "host", false};
        };
    }
};

struct Fixture {
    Fixture() {
        auto dir = TempDir::create("faasd-builder-test-");
        REQUIRE(dir);
        tmp.emplace(std::move(*dir));
        buildsDir = tmp->path() / "builds";
        REQUIRE(prepareBuildsDir(buildsDir));
    }

    RemoteBuilderConfig config(unsigned concurrency = 1) const {
        RemoteBuilderConfig c;
        c.payloadSecret = "  " + std::string(kSecret) + "\n"; // as a file holds it
        c.buildsDir = buildsDir;
        c.maxBytes = 64 * 1024;
        c.concurrency = concurrency;
        c.ns = "openfaas-fn";
        return c;
    }

    size_t leftovers() const {
        size_t n = 0;
        for ([[maybe_unused]] const auto& e : fs::directory_iterator(buildsDir)) {
            ++n;
        }
        return n;
    }

    std::optional<TempDir> tmp;
    fs::path buildsDir;
    FakeBuild fake;
};

json parsed(const BuilderAnswer& a) {
    return json::parse(answerJson(a));
}

} // namespace

TEST_CASE_METHOD(Fixture, "a signed good upload is built and answered 200", "[builder_api]") {
    RemoteBuilder builder(config(), fake.fn());
    const std::string body = goodTar();
    auto a = builder.handle(body, sign(body));
    CHECK(a.httpStatus == 200);
    auto j = parsed(a);
    CHECK(j["status"] == "success");
    CHECK(j["image"] == "127.0.0.1:5000/say:latest");
    CHECK(j["log"] == json::array({"step 1", "step 2"}));
    REQUIRE(fake.calls == 1);
    const ContextBuild& r = fake.request;
    CHECK(r.name == "say");
    CHECK(r.image == "127.0.0.1:5000/say:latest");
    CHECK(r.context.filename() == "context");
    CHECK(r.context.parent_path().parent_path() == buildsDir);
    CHECK(fake.contextExisted);
    CHECK(r.buildArgs == std::map<std::string, std::string>{{"GO111", "on"}});
    CHECK(r.platforms == std::vector<std::string>{"linux/amd64"});
    CHECK(r.ns == "openfaas-fn");
    CHECK(r.push);
    CHECK_FALSE(r.trustContextRecipe);
    CHECK(leftovers() == 0);
}

TEST_CASE_METHOD(Fixture, "skipPush turns the push off; the name comes from the repository",
                 "[builder_api]") {
    RemoteBuilder builder(config(), fake.fn());
    const std::string body = goodTar(R"({"image":"ghcr.io/team/my_fn.v2:1","skipPush":true})");
    auto a = builder.handle(body, sign(body));
    CHECK(a.httpStatus == 200);
    REQUIRE(fake.calls == 1);
    CHECK_FALSE(fake.request.push);
    CHECK(fake.request.name == "my-fn-v2");
}

TEST_CASE_METHOD(Fixture, "missing or wrong signatures are 401 and build nothing",
                 "[builder_api]") {
    RemoteBuilder builder(config(), fake.fn());
    const std::string body = goodTar();
    for (const std::optional<std::string>& signature : std::vector<std::optional<std::string>>{
             std::nullopt, std::string(), sign(body, "other"), sign(body + "x"),
             hmacSha256Hex(kSecret, body), // without "sha256="
             sign(body, "  " + std::string(kSecret) + "\n")}) {
        auto a = builder.handle(body, signature);
        CHECK(a.httpStatus == 401);
        auto j = parsed(a);
        CHECK(j["status"] == "failed");
        CHECK(j["log"].size() == 1);
    }
    CHECK(fake.calls == 0);
    CHECK(leftovers() == 0);
}

TEST_CASE_METHOD(Fixture, "an empty secret accepts nothing", "[builder_api]") {
    auto c = config();
    c.payloadSecret = " \n";
    RemoteBuilder builder(c, fake.fn());
    const std::string body = goodTar();
    CHECK(builder.handle(body, sign(body, "")).httpStatus == 401);
    CHECK(fake.calls == 0);
}

TEST_CASE_METHOD(Fixture, "an upload over the limit is 413", "[builder_api]") {
    RemoteBuilder builder(config(), fake.fn());
    TarWriter t;
    t.dir("context/").file("context/big", std::string(70 * 1024, 'x')).config(kConfig);
    const std::string body = t.str();
    auto a = builder.handle(body, sign(body));
    CHECK(a.httpStatus == 413);
    CHECK(parsed(a)["status"] == "failed");
    CHECK(fake.calls == 0);
    CHECK(leftovers() == 0);
}

TEST_CASE_METHOD(Fixture, "a bad tar is 400 with the reason, and its folder is gone",
                 "[builder_api]") {
    RemoteBuilder builder(config(), fake.fn());
    for (const std::string& body : {
             std::string("not a tar"),
             TarWriter().config(kConfig).file("context/../../x", "x").str(),
             TarWriter().config(kConfig).symlink("context/l", "/etc/passwd").str(),
             TarWriter().config(R"({"image":"Bad Image"})").dir("context/").str(),
             TarWriter().dir("context/").file("context/a", "x").str(),
         }) {
        auto a = builder.handle(body, sign(body));
        CHECK(a.httpStatus == 400);
        auto j = parsed(a);
        CHECK(j["status"] == "failed");
        REQUIRE(j["log"].size() == 1);
        CHECK_FALSE(j["log"][0].get<std::string>().empty());
        CHECK(leftovers() == 0);
    }
    CHECK(fake.calls == 0);
}

TEST_CASE_METHOD(Fixture, "a failed build is 500 with its log ending in the error",
                 "[builder_api]") {
    fake.error = Error(Code::Internal, "go build: exit status 1");
    RemoteBuilder builder(config(), fake.fn());
    const std::string body = goodTar();
    auto a = builder.handle(body, sign(body));
    CHECK(a.httpStatus == 500);
    auto j = parsed(a);
    CHECK(j["status"] == "failed");
    CHECK(j["image"] == "127.0.0.1:5000/say:latest");
    CHECK(j["log"] == json::array({"step 1", "step 2", "go build: exit status 1"}));
    CHECK(leftovers() == 0);
}

TEST_CASE_METHOD(Fixture, "a build beyond the concurrency is 429 at once", "[builder_api]") {
    std::latch started(1);
    std::latch release(1);
    fake.during = [&] {
        started.count_down();
        release.wait();
    };
    RemoteBuilder builder(config(1), fake.fn());
    const std::string body = goodTar();
    auto first = std::async(std::launch::async, [&] { return builder.handle(body, sign(body)); });
    started.wait();
    CHECK(builder.running() == 1);
    CHECK(leftovers() == 1); // the first build's folder
    auto second = builder.handle(body, sign(body));
    CHECK(second.httpStatus == 429);
    CHECK(parsed(second)["status"] == "failed");
    // Refusals that come before the slot still answer as they would.
    CHECK(builder.handle(body, std::nullopt).httpStatus == 401);
    release.count_down();
    CHECK(first.get().httpStatus == 200);
    CHECK(builder.running() == 0);
    CHECK(leftovers() == 0);
    CHECK(fake.calls == 1);
    // The slot is free again.
    fake.during = nullptr;
    CHECK(builder.handle(body, sign(body)).httpStatus == 200);
}

TEST_CASE_METHOD(Fixture, "two slots run two builds and refuse the third", "[builder_api]") {
    std::latch started(2);
    std::latch release(1);
    fake.during = [&] {
        started.count_down();
        release.wait();
    };
    RemoteBuilder builder(config(2), fake.fn());
    const std::string body = goodTar();
    auto a = std::async(std::launch::async, [&] { return builder.handle(body, sign(body)); });
    auto b = std::async(std::launch::async, [&] { return builder.handle(body, sign(body)); });
    started.wait();
    CHECK(builder.handle(body, sign(body)).httpStatus == 429);
    release.count_down();
    CHECK(a.get().httpStatus == 200);
    CHECK(b.get().httpStatus == 200);
    CHECK(leftovers() == 0);
}

TEST_CASE("answers as JSON and as NDJSON", "[builder_api]") {
    BuilderAnswer ok{.httpStatus = 200, .status = "success", .image = "say", .log = {"a", "b"}};
    CHECK(answerJson(ok) == R"({"image":"say","log":["a","b"],"status":"success"})");
    CHECK(answerNdjson(ok) == "{\"image\":\"say\",\"log\":[\"a\"],\"status\":\"in_progress\"}\n"
                              "{\"image\":\"say\",\"log\":[\"b\"],\"status\":\"in_progress\"}\n"
                              "{\"image\":\"say\",\"log\":[],\"status\":\"success\"}\n");
    BuilderAnswer failed{
        .httpStatus = 500, .status = "failed", .image = "say", .log = {"a", "boom"}};
    CHECK(answerNdjson(failed) == "{\"image\":\"say\",\"log\":[\"a\"],\"status\":\"in_progress\"}\n"
                                  "{\"error\":\"boom\",\"image\":\"say\",\"log\":[\"boom\"],"
                                  "\"status\":\"failed\"}\n");
    // A failure names its error, which faas-cli prints.
    CHECK(answerJson(failed) ==
          R"({"error":"boom","image":"say","log":["a","boom"],"status":"failed"})");
}

TEST_CASE("function names from image names", "[builder_api]") {
    auto name = [](std::string_view image) {
        auto ref = image::parseReference(image);
        REQUIRE(ref);
        return functionNameFor(*ref);
    };
    CHECK(name("say") == "say");
    CHECK(name("127.0.0.1:5000/say:latest") == "say");
    CHECK(name("ghcr.io/org/team/hello_world:1") == "hello-world");
    CHECK(name("registry.local/a/" + std::string(80, 'b')) == std::string(63, 'b'));
}

TEST_CASE("the builds folder is made private and emptied at start", "[builder_api]") {
    auto tmp = TempDir::create("faasd-builder-test-");
    REQUIRE(tmp);
    const fs::path builds = tmp->path() / "builds";
    REQUIRE(prepareBuildsDir(builds));
    CHECK((fs::status(builds).permissions() & fs::perms::all) == fs::perms::owner_all);
    fs::create_directories(builds / "build-old/context/function");
    REQUIRE(writeFileAtomic(builds / "build-old/context/function/x", "x"));
    REQUIRE(prepareBuildsDir(builds));
    CHECK(fs::is_empty(builds));
}
