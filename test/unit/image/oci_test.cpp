#include "image/digest.hpp"
#include "image/oci.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::image;

TEST_CASE("a manifest round-trips through JSON", "[image]") {
    Manifest m;
    m.config = {std::string(media::kOciConfig), sha256Digest("c"), 1, {}};
    m.layers.push_back({std::string(media::kOciLayerGzip), sha256Digest("l"), 2, {}});
    auto parsed = parseManifest(toJson(m));
    REQUIRE(parsed);
    CHECK(parsed->config.digest == m.config.digest);
    REQUIRE(parsed->layers.size() == 1);
    CHECK(parsed->layers[0].size == 2);
}

TEST_CASE("broken manifests are rejected with a reason", "[image]") {
    CHECK_FALSE(parseManifest("not json"));
    CHECK_FALSE(parseManifest("[]"));
    auto noVersion = parseManifest(R"({"config":{}})");
    REQUIRE_FALSE(noVersion);
    CHECK(noVersion.error().message().find("schemaVersion") != std::string::npos);
    auto badDigest = parseManifest(
        R"({"schemaVersion":2,"config":{"mediaType":"x","digest":"sha256:1","size":1}})");
    REQUIRE_FALSE(badDigest);
    CHECK(badDigest.error().message().find("sha256:1") != std::string::npos);
}

TEST_CASE("an image config keeps the fields a function needs", "[image]") {
    ImageConfig c;
    c.env = {"PATH=/bin", "fprocess=cat"};
    c.cmd = {"fwatchdog"};
    c.user = "1000";
    c.workingDir = "/home/app";
    c.labels = {{"a", "b"}};
    c.exposedPorts = {"8080/tcp"};
    c.diffIds = {sha256Digest("tar")};
    auto parsed = parseImageConfig(toJson(c));
    REQUIRE(parsed);
    CHECK(parsed->env == c.env);
    CHECK(parsed->cmd == c.cmd);
    CHECK(parsed->user == "1000");
    CHECK(parsed->workingDir == "/home/app");
    CHECK(parsed->labels == c.labels);
    CHECK(parsed->exposedPorts == c.exposedPorts);
    CHECK(parsed->diffIds == c.diffIds);
}

TEST_CASE("numbers an image document's fields cannot hold are refused", "[image]") {
    const std::string config = R"({"architecture":"amd64","os":"linux","config":{"Healthcheck":)";
    CHECK(parseImageConfig(config + R"({"Interval":5000000000,"Retries":3}}})"));
    CHECK_FALSE(parseImageConfig(config + R"({"Interval":1e27}}})"));
    CHECK_FALSE(parseImageConfig(config + R"({"Retries":4294967296}}})"));
    const std::string layer = R"({"schemaVersion":2,"config":{"mediaType":"a","digest":"sha256:)" +
                              std::string(64, '1') + R"(","size":)";
    CHECK_FALSE(parseManifest(layer + R"(1e30},"layers":[]})"));
    CHECK_FALSE(parseManifest(R"({"schemaVersion":2.5e20,"layers":[]})"));
}

TEST_CASE("an index yields the host platform's manifest", "[image]") {
    Index index;
    index.manifests.push_back({{std::string(media::kOciManifest), sha256Digest("arm"), 1, {}},
                               Platform{"linux", "arm64", "v8"}});
    index.manifests.push_back({{std::string(media::kOciManifest), sha256Digest("amd"), 1, {}},
                               Platform{"linux", "amd64", ""}});
    auto parsed = parseIndex(toJson(index));
    REQUIRE(parsed);
    CHECK(selectManifest(*parsed, Platform{"linux", "amd64", ""})->digest == sha256Digest("amd"));
    CHECK(selectManifest(*parsed, Platform{"linux", "arm64", "v8"})->digest == sha256Digest("arm"));
    auto none = selectManifest(*parsed, Platform{"linux", "s390x", ""});
    REQUIRE_FALSE(none);
    CHECK(none.error().code() == Code::NotFound);
}

TEST_CASE("chain IDs follow the OCI definition", "[image]") {
    std::string a = sha256Digest("a"), b = sha256Digest("b"), c = sha256Digest("c");
    auto chains = chainIds({a, b, c});
    REQUIRE(chains.size() == 3);
    CHECK(chains[0] == a);
    CHECK(chains[1] == sha256Digest(a + " " + b));
    CHECK(chains[2] == sha256Digest(chains[1] + " " + c));
}

TEST_CASE("a docker save manifest.json names the first image's config, layers and tag", "[image]") {
    auto saved = parseDockerSaveManifest(
        R"([{"Config":"abc.json","RepoTags":["fn:1","fn:latest"],"Layers":["a/layer.tar","b/layer.tar"]},)"
        R"({"Config":"other.json"}])");
    REQUIRE(saved);
    CHECK(saved->config == "abc.json");
    CHECK(saved->repoTag == "fn:1");
    CHECK(saved->layers == std::vector<std::string>{"a/layer.tar", "b/layer.tar"});

    auto untagged = parseDockerSaveManifest(R"([{"Config":"c.json","RepoTags":null}])");
    REQUIRE(untagged);
    CHECK(untagged->repoTag.empty());
    CHECK(untagged->layers.empty());

    CHECK_FALSE(parseDockerSaveManifest(R"({"Config":"c.json"})"));
    CHECK_FALSE(parseDockerSaveManifest("[]"));
    CHECK_FALSE(parseDockerSaveManifest(R"([{"Layers":"a/layer.tar"}])"));
    CHECK_FALSE(parseDockerSaveManifest(R"([{"Layers":[1]}])"));
}
