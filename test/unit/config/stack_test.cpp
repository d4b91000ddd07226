#include "catch_result.hpp"
#include "common/files.hpp"
#include "config/stack.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::config;

namespace {

Result<Stack> parse(std::string_view text, const Env& env = {}) {
    return parseStack(text, "stack.yml", ".", env);
}

std::string errorOf(std::string_view text, const Env& env = {}) {
    auto s = parse(text, env);
    REQUIRE_FALSE(s);
    CHECK(s.error().code() == Code::InvalidArgument);
    return s.error().message();
}

const char* kFull = R"(version: 1.0
provider:
  name: openfaas
  gateway: http://127.0.0.1:8080
functions:
  say:
    lang: go
    handler: ./say
    image: ${REGISTRY:-localhost:5000}/say:${TAG}
    fprocess: ./handler
    environment:
      write_debug: true
      count: 3
    secrets: [api-key]
    labels:
      com.openfaas.scale.min: "2"
    annotations:
      topic: hello
    limits:
      memory: 128Mi
      cpu: 500m
    requests:
      memory: 64Mi
    readonly_root_filesystem: true
    build_args:
      GO111MODULE: "on"
    namespace: team-a
    skip_build: yes
    constraints: ["node.platform.os == linux"]
  echo:
    image: ghcr.io/openfaas/alpine:latest
    fprocess: cat
configuration:
  templates:
    - name: golang-middleware
)";

} // namespace

TEST_CASE("a full stack file", "[stack]") {
    auto s = parse(kFull, {{"TAG", "0.1"}});
    REQUIRE(s);
    CHECK(s->version == "1.0");
    CHECK(s->provider.name == "openfaas");
    CHECK(s->provider.gateway == "http://127.0.0.1:8080");
    REQUIRE(s->functions.size() == 2);
    const auto& say = s->functions[0];
    CHECK(say.name == "say");
    CHECK(say.lang == "go");
    CHECK(say.handler == "./say");
    CHECK(say.image == "localhost:5000/say:0.1");
    CHECK(say.fprocess == "./handler");
    CHECK(say.environment == api::StringMap{{"write_debug", "true"}, {"count", "3"}});
    CHECK(say.secrets == std::vector<std::string>{"api-key"});
    CHECK(say.labels.at("com.openfaas.scale.min") == "2");
    CHECK(say.annotations.at("topic") == "hello");
    REQUIRE(say.limits);
    CHECK(say.limits->memory == "128Mi");
    CHECK(say.limits->cpu == "500m");
    REQUIRE(say.requests);
    CHECK(say.requests->memory == "64Mi");
    CHECK(say.requests->cpu.empty());
    CHECK(say.readOnlyRootFilesystem);
    CHECK(say.buildArgs.at("GO111MODULE") == "on");
    CHECK(say.ns == "team-a");
    CHECK(say.skipBuild);
    CHECK(say.constraints == std::vector<std::string>{"node.platform.os == linux"});
    CHECK(say.location.line == 6);
    CHECK(say.location.column == 3);
    CHECK(say.locate("lang").line == 7);
    CHECK(say.locate("limits.cpu").line == 21);
    CHECK(say.error("lang", "unknown template").message() ==
          "stack.yml:7:11: functions.say.lang: unknown template");
    CHECK(s->functions[1].name == "echo");
    CHECK(s->functions[1].lang.empty());
    CHECK(s->find("echo") == &s->functions[1]);
    CHECK(s->find("nope") == nullptr);
    CHECK(s->warnings.empty());

    auto d = toDeployment(say);
    CHECK(d.service == "say");
    CHECK(d.envProcess == "./handler");
    CHECK(d.envVars.size() == 2);
    CHECK(d.ns == "team-a");
    CHECK(d.readOnlyRootFilesystem);
    REQUIRE(d.limits);
    CHECK(d.limits->cpu == "500m");
}

TEST_CASE("substitution of ${VAR}", "[stack]") {
    Env env{{"A", "x"}, {"EMPTY", ""}};
    CHECK(substituteEnv("${A}", env).value() == "x");
    CHECK(substituteEnv("pre-${A}-post", env).value() == "pre-x-post");
    CHECK(substituteEnv("${UNSET}", env).value() == "");
    CHECK(substituteEnv("${UNSET:-d}", env).value() == "d");
    CHECK(substituteEnv("${EMPTY:-d}", env).value() == "d");
    CHECK(substituteEnv("${EMPTY-d}", env).value() == "");
    CHECK(substituteEnv("${UNSET-d}", env).value() == "d");
    CHECK(substituteEnv("${A:-d}", env).value() == "x");
    CHECK(substituteEnv("${UNSET:-127.0.0.1:5000}/fn", env).value() == "127.0.0.1:5000/fn");
    CHECK(substituteEnv("$${A} $A $", env).value() == "${A} $A $");
    CHECK_FALSE(substituteEnv("${A", env));
    CHECK_FALSE(substituteEnv("${}", env));
    CHECK_FALSE(substituteEnv("${A:?x}", env));
    CHECK_FALSE(substituteEnv("${1A}", env));
}

TEST_CASE("substitution in keys and a bad substitution is located", "[stack]") {
    auto s = parse("functions:\n  ${NAME:-fn}:\n    image: x\n", {{"NAME", "hello"}});
    REQUIRE(s);
    CHECK(s->functions.at(0).name == "hello");
    CHECK(errorOf("functions:\n  fn:\n    image: ${BROKEN\n") ==
          "stack.yml:3:12: functions.fn.image: unterminated \"${\" in \"${BROKEN\"");
}

TEST_CASE("YAML syntax errors name the line and column", "[stack]") {
    auto msg = errorOf("functions:\n  say:\n    image: [a, b\n    lang: go\n");
    CHECK(msg.starts_with("stack.yml:"));
    CHECK(msg.find("YAML syntax error") != std::string::npos);
    auto tabs = errorOf("functions:\n  say:\n\timage: x\n");
    CHECK(tabs.starts_with("stack.yml:3:"));
}

TEST_CASE("invalid function names", "[stack]") {
    CHECK(errorOf("functions:\n  Say_Hello:\n    image: x\n")
              .starts_with("stack.yml:2:3: functions.Say_Hello: "));
    CHECK(errorOf("functions:\n  -bad:\n    image: x\n").starts_with("stack.yml:2:3:"));
    CHECK(errorOf("functions:\n  " + std::string(64, 'a') + ":\n    image: x\n")
              .starts_with("stack.yml:2:3:"));
}

TEST_CASE("wrong types name the field", "[stack]") {
    CHECK(errorOf("functions:\n  say:\n    image: x\n    environment: [a, b]\n") ==
          "stack.yml:4:18: functions.say.environment: must be a map, not a list");
    CHECK(errorOf("functions:\n  say:\n    image: {a: b}\n") ==
          "stack.yml:3:12: functions.say.image: must be a string, not a map");
    CHECK(errorOf("functions:\n  say:\n    image: x\n    secrets: a\n") ==
          "stack.yml:4:14: functions.say.secrets: must be a list of strings, not a scalar");
    CHECK(errorOf("functions:\n  say:\n    image: x\n    readonly_root_filesystem: maybe\n") ==
          "stack.yml:4:31: functions.say.readonly_root_filesystem: must be true or false, "
          "not \"maybe\"");
    CHECK(errorOf("functions:\n  say:\n    image: x\n    labels:\n      a: [1]\n") ==
          "stack.yml:5:10: functions.say.labels.a: must be a string, not a list");
    CHECK(errorOf("functions:\n  say:\n    image: x\n    limits:\n      memory: lots\n")
              .starts_with("stack.yml:5:15: functions.say.limits.memory: "));
    CHECK(errorOf("functions:\n  say:\n    image: x\n    limits:\n      gpu: 1\n")
              .starts_with("stack.yml:5:7: functions.say.limits.gpu: unknown field"));
    CHECK(errorOf("functions:\n  say:\n    image: x\n    secrets: [\"../etc\"]\n")
              .starts_with("stack.yml:4:15: functions.say.secrets[0]: "));
    CHECK(errorOf("functions:\n  say:\n    image: x\n    namespace: Team_A\n")
              .starts_with("stack.yml:4:16: functions.say.namespace: "));
    CHECK(errorOf("functions: [a]\n") == "stack.yml:1:12: functions: must be a map, not a list");
    CHECK(errorOf("functions:\n  say: 3\n") ==
          "stack.yml:2:8: functions.say: must be a map, not a scalar");
    CHECK(errorOf("- a\n") == "stack.yml:1:1: a stack file must be a map, not a list");
}

TEST_CASE("missing image, version, provider and functions", "[stack]") {
    CHECK(errorOf("functions:\n  say:\n    lang: go\n")
              .starts_with("stack.yml:2:3: functions.say.image: an image is required"));
    CHECK(errorOf("functions:\n  say:\n    image: \"\"\n")
              .starts_with("stack.yml:3:12: functions.say.image: an image is required"));
    CHECK(errorOf("functions:\n  say:\n").starts_with("stack.yml:2:3: functions.say.image:"));
    CHECK(errorOf("version: 2.0\nfunctions: {}\n") ==
          "stack.yml:1:10: version: only 1.0 is supported, not \"2.0\"");
    CHECK(errorOf("provider:\n  name: lambda\nfunctions: {}\n") ==
          "stack.yml:2:9: provider.name: must be openfaas, not \"lambda\"");
    CHECK(errorOf("version: 1.0\n").starts_with("stack.yml:1:1: functions: missing"));
    CHECK(errorOf("") == "stack.yml:1:1: empty stack file");
    CHECK(errorOf("functions:\n  a:\n    image: x\n  a:\n    image: y\n") ==
          "stack.yml:4:3: functions.a: given twice");
}

TEST_CASE("unknown fields are warnings", "[stack]") {
    auto s = parse("version: 1.0\nextra: 1\nfunctions:\n  say:\n    image: x\n    fproces: "
                   "cat\n    build_secrets: {a: b}\n    build_options: [dev]\n");
    REQUIRE(s);
    REQUIRE(s->warnings.size() == 3);
    CHECK(s->warnings[0] == "stack.yml:2:1: extra: unknown field, ignored");
    CHECK(s->warnings[1] == "stack.yml:6:5: functions.say.fproces: unknown field, ignored");
    CHECK(s->warnings[2] ==
          "stack.yml:7:5: functions.say.build_secrets: not used by faasd, ignored");
    CHECK(s->functions[0].buildOptions == std::vector<std::string>{"dev"});
}

TEST_CASE("environment files merge under the inline environment", "[stack]") {
    auto dir = TempDir::create("faasd-stack-test");
    REQUIRE(dir);
    REQUIRE(writeFileAtomic(dir->path() / "env1.yml", "environment:\n  A: one\n  B: one\n"));
    REQUIRE(writeFileAtomic(dir->path() / "env2.yml", "environment:\n  B: two\n  C: ${X:-two}\n"));
    REQUIRE(writeFileAtomic(dir->path() / "bad.yml", "environment:\n  A: [1]\n"));
    REQUIRE(writeFileAtomic(dir->path() / "stack.yml",
                            "functions:\n  f:\n    image: x\n    environment_file: [env1.yml, "
                            "env2.yml]\n    environment:\n      C: inline\n"));
    auto s = loadStack(dir->path() / "stack.yml", {});
    REQUIRE(s);
    CHECK(s->functions[0].environment ==
          api::StringMap{{"A", "one"}, {"B", "two"}, {"C", "inline"}});
    CHECK(s->dir == dir->path());

    auto bad =
        parseStack("functions:\n  f:\n    image: x\n    environment_file:\n      - bad.yml\n",
                   "s.yml", dir->path(), {});
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message() == "s.yml:5:9: functions.f.environment_file[0]: bad.yml:2:6: "
                                   "environment.A: must be a string, not a list");
    auto missing = parseStack("functions:\n  f:\n    image: x\n    environment_file: [nope.yml]\n",
                              "s.yml", dir->path(), {});
    REQUIRE_FALSE(missing);
    CHECK(missing.error().message().starts_with("s.yml:4:24: functions.f.environment_file[0]: "));
}

TEST_CASE("loadStack of a missing file", "[stack]") {
    auto s = loadStack("/nonexistent/stack.yml", {});
    REQUIRE_FALSE(s);
    CHECK(s.error().message().find("/nonexistent/stack.yml") != std::string::npos);
}

TEST_CASE("--filter and --regex select functions", "[stack]") {
    auto s = parse("functions:\n  say:\n    image: x\n  say-two:\n    image: x\n  echo:\n    "
                   "image: x\n");
    REQUIRE(s);
    auto names = [](const std::vector<StackFunction>& fns) {
        std::vector<std::string> out;
        for (const auto& f : fns) {
            out.push_back(f.name);
        }
        return out;
    };
    CHECK(names(selectFunctions(*s, "", "").value()) ==
          std::vector<std::string>{"say", "say-two", "echo"});
    CHECK(names(selectFunctions(*s, "say*", "").value()) ==
          std::vector<std::string>{"say", "say-two"});
    CHECK(names(selectFunctions(*s, "echo", "").value()) == std::vector<std::string>{"echo"});
    CHECK(names(selectFunctions(*s, "", "^s.*o$").value()) == std::vector<std::string>{"say-two"});
    CHECK(names(selectFunctions(*s, "", "ay").value()) ==
          std::vector<std::string>{"say", "say-two"});
    auto none = selectFunctions(*s, "zzz*", "");
    REQUIRE_FALSE(none);
    CHECK(none.error().code() == Code::NotFound);
    CHECK_FALSE(selectFunctions(*s, "say", "say"));
    auto badRegex = selectFunctions(*s, "", "(");
    REQUIRE_FALSE(badRegex);
    CHECK(badRegex.error().code() == Code::InvalidArgument);
}
