#include "catch_result.hpp"
#include "cli/client_config.hpp"
#include "cli/deploy_flags.hpp"
#include "cli/gateway_client.hpp"
#include "common/files.hpp"

#include <catch2/catch.hpp>
#include <sys/stat.h>

using namespace faasd;
using namespace faasd::cli;

TEST_CASE("the gateway: -g, then the stack file, then OPENFAAS_URL, then the default", "[client]") {
    config::Env env{{"OPENFAAS_URL", "http://env:8080/"}};
    CHECK(resolveGateway("flag:9000", "http://stack:8080", env) == "http://flag:9000");
    CHECK(resolveGateway("", "http://stack:8080/", env) == "http://stack:8080");
    CHECK(resolveGateway("", "", env) == "http://env:8080");
    CHECK(resolveGateway("", "", {}) == "http://127.0.0.1:8080");
    CHECK(resolveGateway("", "", {{"OPENFAAS_URL", ""}}) == "http://127.0.0.1:8080");
    CHECK(normalizeGateway("https://gw.example/base//") == "https://gw.example/base");
    CHECK(normalizeGateway("127.0.0.1:8080") == "http://127.0.0.1:8080");
}

TEST_CASE("the credentials file's place", "[client]") {
    CHECK(credentialsFile({{"OPENFAAS_CONFIG", "/cfg"}, {"HOME", "/home/u"}}).value() ==
          "/cfg/config.yml");
    CHECK(credentialsFile({{"HOME", "/home/u"}}).value() == "/home/u/.openfaas/config.yml");
    CHECK_FALSE(credentialsFile({}));
}

TEST_CASE("credentials are saved 0600, found by gateway, replaced and removed", "[client]") {
    auto dir = TempDir::create("faasd-client-test");
    REQUIRE(dir);
    const auto file = dir->path() / "sub" / "config.yml";

    auto none = loadCredentials(file, "http://127.0.0.1:8080");
    REQUIRE(none);
    CHECK_FALSE(none->has_value());

    REQUIRE(saveCredentials(file, "http://127.0.0.1:8080/", {"admin", "p:ss word"}));
    REQUIRE(saveCredentials(file, "http://other:8080", {"bob", "secret"}));
    struct stat st {};
    REQUIRE(::stat(file.c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0600);
    REQUIRE(::stat(file.parent_path().c_str(), &st) == 0);
    CHECK((st.st_mode & 0777) == 0700);

    auto got = loadCredentials(file, "127.0.0.1:8080");
    REQUIRE(got);
    REQUIRE(got->has_value());
    CHECK((*got)->user == "admin");
    CHECK((*got)->password == "p:ss word");
    auto text = readFile(file);
    REQUIRE(text);
    // faas-cli's format: base64("admin:p:ss word")
    CHECK(text->find("token: YWRtaW46cDpzcyB3b3Jk") != std::string::npos);
    CHECK(text->find("auth: basic") != std::string::npos);

    REQUIRE(saveCredentials(file, "http://127.0.0.1:8080", {"admin", "new"}));
    CHECK(loadCredentials(file, "http://127.0.0.1:8080").value()->password == "new");
    CHECK(loadCredentials(file, "http://other:8080").value()->user == "bob");

    REQUIRE(removeCredentials(file, "http://127.0.0.1:8080"));
    CHECK_FALSE(loadCredentials(file, "http://127.0.0.1:8080").value().has_value());
    CHECK(loadCredentials(file, "http://other:8080").value().has_value());
    auto again = removeCredentials(file, "http://127.0.0.1:8080");
    REQUIRE_FALSE(again);
    CHECK(again.error().code() == Code::NotFound);
}

TEST_CASE("other fields of a faas-cli config survive a save", "[client]") {
    auto dir = TempDir::create("faasd-client-test");
    REQUIRE(dir);
    const auto file = dir->path() / "config.yml";
    REQUIRE(writeFileAtomic(file,
                            "auths:\n- gateway: http://a:8080\n  auth: basic\n  token: dTpw\n"
                            "  options:\n    ca: x\nenabled: true\n",
                            0600));
    REQUIRE(saveCredentials(file, "http://b:8080", {"admin", "pw"}));
    auto text = readFile(file).value();
    CHECK(text.find("enabled: true") != std::string::npos);
    CHECK(text.find("ca: x") != std::string::npos);
    CHECK(loadCredentials(file, "http://a:8080").value()->user == "u");
    CHECK(loadCredentials(file, "http://a:8080").value()->password == "p");
}

TEST_CASE("malformed credentials files are errors naming the file", "[client]") {
    auto dir = TempDir::create("faasd-client-test");
    REQUIRE(dir);
    const auto file = dir->path() / "config.yml";
    for (const char* text :
         {"auths: [\n", "auths: 3\n", "- a\n", "auths:\n- gateway: http://g\n  token: '%%%'\n",
          "auths:\n- gateway: http://g\n  auth: oauth2\n  token: dTpw\n",
          "auths:\n- gateway: http://g\n  token: dXNlcg==\n"}) {
        REQUIRE(writeFileAtomic(file, text, 0600));
        auto r = loadCredentials(file, "http://g");
        INFO(text);
        REQUIRE_FALSE(r);
        CHECK(r.error().message().find(file.string()) != std::string::npos);
    }
}

TEST_CASE("KEY=VALUE flags and percent-encoding", "[client]") {
    CHECK(splitKeyValue("a=b=c", "-e").value() == std::pair<std::string, std::string>{"a", "b=c"});
    CHECK(splitKeyValue("a=", "-e").value().second.empty());
    auto bad = splitKeyValue("novalue", "--label");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message() == "--label \"novalue\": expected KEY=VALUE");
    CHECK_FALSE(splitKeyValue("=x", "-e"));
    CHECK(percentEncode("a b/c?d=e&f~g.h-i_j") == "a%20b%2Fc%3Fd%3De%26f~g.h-i_j");
    CHECK(percentEncode("2024-01-01T00:00:00Z") == "2024-01-01T00%3A00%3A00Z");
}

TEST_CASE("error answers become one line", "[client]") {
    GatewayAnswer unauthorized{.status = 401, .body = "Unauthorized\n"};
    auto e = answerError(unauthorized, "listing functions", "http://gw:8080");
    CHECK(e.code() == Code::PermissionDenied);
    CHECK(e.message() ==
          "listing functions: unauthorized (401): run `faasd login -g http://gw:8080`");

    GatewayAnswer bad{.status = 400, .body = "\n  image is required\nmore detail\n"};
    e = answerError(bad, "deploying say", "http://gw");
    CHECK(e.code() == Code::InvalidArgument);
    CHECK(e.message() == "deploying say: image is required (400)");

    GatewayAnswer empty{.status = 503};
    e = answerError(empty, "x", "http://gw");
    CHECK(e.code() == Code::Unavailable);
    CHECK(e.message() == "x: no reason given (503)");

    GatewayAnswer https{.status = 308,
                        .headers = {{"location", "https://gw:8080/system/functions"}}};
    e = answerError(https, "listing functions", "http://gw:8080");
    CHECK(e.message() ==
          "listing functions: the gateway speaks HTTPS (308): use -g https://gw:8080");
    GatewayAnswer elsewhere{.status = 308, .headers = {{"location", "http://other/"}}};
    CHECK(answerError(elsewhere, "x", "http://gw").message() == "x: no reason given (308)");

    GatewayAnswer missing{.status = 404, .headers = {{"x-call-id", "1"}}};
    CHECK(answerError(missing, "x", "g").code() == Code::NotFound);
    CHECK(missing.header("X-Call-Id") == "1");
    CHECK(missing.header("X-Other").empty());
}

TEST_CASE("an unreachable gateway is Unavailable, naming it", "[client]") {
    GatewayClient client(GatewayOptions{.url = "http://127.0.0.1:9"});
    auto r = client.send({.path = "/system/functions"});
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Code::Unavailable);
    CHECK(r.error().message().starts_with("cannot reach the gateway at http://127.0.0.1:9: "));
}

TEST_CASE("deploy flags make a deployment", "[client]") {
    DeployOverrides o{.fprocess = "env",
                      .env = {"A=1", "B=x=y"},
                      .labels = {"com.openfaas.scale.min=2"},
                      .annotations = {"note=hi"},
                      .secrets = {"key", "key"},
                      .memoryLimit = "64Mi",
                      .cpuLimit = "500m",
                      .cpuRequest = "100m",
                      .readOnly = true,
                      .ns = "team-a"};
    auto d = deploymentFromFlags("img:1", "say", o);
    REQUIRE(d);
    CHECK(d->service == "say");
    CHECK(d->image == "img:1");
    CHECK(d->envProcess == "env");
    CHECK(d->envVars == api::StringMap{{"A", "1"}, {"B", "x=y"}});
    CHECK(d->labels.at("com.openfaas.scale.min") == "2");
    CHECK(d->annotations.at("note") == "hi");
    CHECK(d->secrets == std::vector<std::string>{"key"});
    REQUIRE(d->limits);
    CHECK(d->limits->memory == "64Mi");
    CHECK(d->limits->cpu == "500m");
    REQUIRE(d->requests);
    CHECK(d->requests->cpu == "100m");
    CHECK(d->requests->memory.empty());
    CHECK(d->readOnlyRootFilesystem);
    CHECK(d->ns == "team-a");

    CHECK_FALSE(deploymentFromFlags("", "say", {}));
    CHECK_FALSE(deploymentFromFlags("img", "", {}));
    CHECK(deploymentFromFlags("img", "Say", {}).error().message().starts_with("--name: "));
    CHECK(deploymentFromFlags("img", "say", {.env = {"A"}}).error().message() ==
          "--env \"A\": expected KEY=VALUE");
    CHECK(deploymentFromFlags("img", "say", {.memoryLimit = "lots"})
              .error()
              .message()
              .starts_with("--memory-limit lots: "));
    CHECK(deploymentFromFlags("img", "say", {.cpuLimit = "fast"})
              .error()
              .message()
              .starts_with("--cpu-limit fast: "));
    CHECK_FALSE(deploymentFromFlags("img", "say", {.secrets = {"../x"}}));
    CHECK_FALSE(deploymentFromFlags("img", "say", {.ns = "Team"}));
}

TEST_CASE("flags apply over a stack function", "[client]") {
    api::FunctionDeployment d{.service = "say",
                              .image = "img",
                              .envVars = {{"A", "stack"}, {"B", "stack"}},
                              .secrets = {"s1"},
                              .limits = api::Resources{.memory = "128Mi", .cpu = "1"}};
    REQUIRE(applyOverrides({.env = {"A=flag"}, .secrets = {"s2", "s1"}, .cpuLimit = "250m"}, d));
    CHECK(d.envVars == api::StringMap{{"A", "flag"}, {"B", "stack"}});
    CHECK(d.secrets == std::vector<std::string>{"s1", "s2"});
    CHECK(d.limits->memory == "128Mi");
    CHECK(d.limits->cpu == "250m");
    CHECK(d.ns.empty());
    CHECK_FALSE(d.readOnlyRootFilesystem);
}
