#include "common/files.hpp"
#include "network/conflist.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;
using nlohmann::json;

TEST_CASE("the default conflist is bridge + host-local + firewall", "[conflist]") {
    NetworkConfig config;
    auto conflist = makeConflist(config);
    auto expected = json::parse(R"({
      "cniVersion": "1.0.0",
      "name": "openfaas-cni-bridge",
      "plugins": [
        {
          "type": "bridge",
          "bridge": "openfaas0",
          "isGateway": true,
          "ipMasq": true,
          "ipam": {
            "type": "host-local",
            "subnet": "10.62.0.0/16",
            "dataDir": "/var/run/cni",
            "routes": [{"dst": "0.0.0.0/0"}]
          }
        },
        {"type": "firewall"}
      ]
    })");
    CHECK(conflist == expected);
}

TEST_CASE("the conflist follows the config", "[conflist]") {
    NetworkConfig config{
        .networkName = "test-net",
        .cniVersion = "0.4.0",
        .bridge = "faasdtest0",
        .subnet = "10.199.0.0/24",
        .firewall = false,
        .ipamDataDir = "/tmp/ipam",
    };
    auto conflist = makeConflist(config);
    CHECK(conflist["name"] == "test-net");
    CHECK(conflist["cniVersion"] == "0.4.0");
    REQUIRE(conflist["plugins"].size() == 1);
    CHECK(conflist["plugins"][0]["bridge"] == "faasdtest0");
    CHECK(conflist["plugins"][0]["ipam"]["subnet"] == "10.199.0.0/24");
    CHECK(conflist["plugins"][0]["ipam"]["dataDir"] == "/tmp/ipam");

    auto parsed = conflistFromJson(conflist);
    REQUIRE(parsed);
    CHECK(parsed->toJson() == conflist);
    CHECK(attachTarget(*parsed) == "faasdtest0");
}

TEST_CASE("a conflist is written once; an existing one is kept", "[conflist]") {
    auto dir = TempDir::create("faasd-conflist-");
    REQUIRE(dir);
    NetworkConfig config{.confDir = dir->path() / "net.d"};

    auto wrote = ensureConflist(config);
    REQUIRE(wrote);
    CHECK(*wrote);
    auto read = readConflist(config.conflistPath());
    REQUIRE(read);
    CHECK(read->toJson() == makeConflist(config));

    json edited = makeConflist(config);
    edited["plugins"][0]["bridge"] = "edited0";
    REQUIRE(writeFileAtomic(config.conflistPath(), edited.dump()));
    auto again = ensureConflist(config);
    REQUIRE(again);
    CHECK_FALSE(*again);
    CHECK(json::parse(*readFile(config.conflistPath())) == edited);
}

TEST_CASE("a config that cannot make a valid conflist writes nothing", "[conflist]") {
    auto dir = TempDir::create("faasd-conflist-");
    REQUIRE(dir);
    NetworkConfig badSubnet{.subnet = "10.62.0.0", .confDir = dir->path()};
    auto wrote = ensureConflist(badSubnet);
    REQUIRE_FALSE(wrote);
    CHECK(wrote.error().message() == (dir->path() / "10-openfaas.conflist").string() +
                                         ": subnet: address 10.62.0.0 has no prefix length");
    NetworkConfig badName{.networkName = "open faas", .confDir = dir->path()};
    CHECK_FALSE(ensureConflist(badName));
    CHECK_FALSE(std::filesystem::exists(badName.conflistPath()));
}

TEST_CASE("a bad conflist is refused with a reason", "[conflist]") {
    auto reason = [](const std::string& text) {
        auto parsed = parseConflist(text);
        REQUIRE_FALSE(parsed);
        CHECK(parsed.error().code() == Code::InvalidArgument);
        return parsed.error().message();
    };
    CHECK(reason("{") == "conflist is not valid JSON");
    CHECK(reason("[]") == "a conflist must be a JSON object");
    CHECK(reason(R"({"cniVersion":"1.0.0","plugins":[{"type":"x"}]})") ==
          "conflist has no \"name\"");
    CHECK(reason(R"({"name":"n","plugins":[{"type":"x"}]})") == "conflist n has no \"cniVersion\"");
    CHECK(reason(R"({"name":"n","cniVersion":"1.0.0","plugins":[]})") ==
          "conflist n has no plugins");
    CHECK(reason(R"({"name":"n","cniVersion":"1.0.0","plugins":[{"type":"x"},{}]})") ==
          "conflist n: plugin 1 has no \"type\"");
    CHECK(reason(R"({"name":"n","cniVersion":"1.0.0","plugins":[{"type":"../x"}]})") ==
          "invalid plugin type \"../x\"");
    CHECK(reason(R"({"name":"a b","cniVersion":"1.0.0","plugins":[{"type":"x"}]})") ==
          "network name \"a b\" may only hold letters, digits, '_', '.' and '-'");
}

TEST_CASE("a missing conflist file is NotFound", "[conflist]") {
    auto read = readConflist("/nonexistent/10-openfaas.conflist");
    REQUIRE_FALSE(read);
    CHECK(read.error().code() == Code::NotFound);
}

TEST_CASE("loopback is a one-plugin list", "[conflist]") {
    auto lo = loopbackConflist("1.0.0");
    CHECK(lo.toJson() == json::parse(R"({"cniVersion":"1.0.0","name":"cni-loopback",
                                         "plugins":[{"type":"loopback"}]})"));
}
