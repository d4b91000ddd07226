#include "network/cni_result.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::network;
using nlohmann::json;

namespace {

// As the bridge plugin prints them (containernetworking-plugins 1.1).
const char* kResult040 = R"({
  "cniVersion": "0.4.0",
  "interfaces": [
    {"name": "openfaas0", "mac": "d2:5c:3a:0e:55:10"},
    {"name": "vethd3f1a2b4", "mac": "fa:27:73:a4:90:1b"},
    {"name": "eth0", "mac": "6a:0c:35:d5:12:9e", "sandbox": "/var/run/netns/say-1"}
  ],
  "ips": [
    {"version": "4", "interface": 2, "address": "10.62.0.5/16", "gateway": "10.62.0.1"}
  ],
  "routes": [{"dst": "0.0.0.0/0"}],
  "dns": {}
})";

const char* kResult100 = R"({
  "cniVersion": "1.0.0",
  "interfaces": [
    {"name": "openfaas0", "mac": "d2:5c:3a:0e:55:10"},
    {"name": "veth0b7e6f1c", "mac": "26:b1:09:42:7e:11"},
    {"name": "eth0", "mac": "b6:d1:63:1f:af:2e", "sandbox": "/var/run/netns/say-2"}
  ],
  "ips": [
    {"interface": 2, "address": "fd00:62::7/64", "gateway": "fd00:62::1"},
    {"interface": 2, "address": "10.62.0.7/16", "gateway": "10.62.0.1"}
  ],
  "routes": [{"dst": "0.0.0.0/0", "gw": "10.62.0.1"}],
  "dns": {"nameservers": ["10.62.0.1"], "domain": "local", "search": ["a", "b"],
          "options": ["ndots:2"]}
})";

} // namespace

TEST_CASE("a 0.4.0 result parses", "[result]") {
    auto result = parseCniResult(json::parse(kResult040));
    REQUIRE(result);
    CHECK(result->cniVersion == "0.4.0");
    REQUIRE(result->interfaces.size() == 3);
    CHECK(result->interfaces[2].name == "eth0");
    CHECK(result->interfaces[2].sandbox == "/var/run/netns/say-1");
    CHECK(result->interfaces[0].sandbox.empty());
    REQUIRE(result->ips.size() == 1);
    CHECK(result->ips[0].address == "10.62.0.5/16");
    CHECK(result->ips[0].gateway == "10.62.0.1");
    CHECK(result->ips[0].interface == 2u);
    REQUIRE(result->routes.size() == 1);
    CHECK(result->routes[0].dst == "0.0.0.0/0");
    CHECK(result->routes[0].gw.empty());
    CHECK(result->dns.nameservers.empty());
}

TEST_CASE("a 1.0.0 result parses, dns included", "[result]") {
    auto result = parseCniResult(json::parse(kResult100));
    REQUIRE(result);
    CHECK(result->cniVersion == "1.0.0");
    REQUIRE(result->ips.size() == 2);
    CHECK(result->routes[0].gw == "10.62.0.1");
    CHECK(result->dns.nameservers == std::vector<std::string>{"10.62.0.1"});
    CHECK(result->dns.domain == "local");
    CHECK(result->dns.search == std::vector<std::string>{"a", "b"});
    CHECK(result->dns.options == std::vector<std::string>{"ndots:2"});
}

TEST_CASE("the attach result is the IPv4 address of the interface in the netns", "[result]") {
    auto a = makeAttachResult("say-1", "/var/run/netns/say-1", "eth0", json::parse(kResult040));
    REQUIRE(a);
    CHECK(a->ip == "10.62.0.5");
    CHECK(a->prefixLength == 16);
    CHECK(a->gateway == "10.62.0.1");
    CHECK(a->raw == json::parse(kResult040));

    auto b = makeAttachResult("say-2", "/var/run/netns/say-2", "eth0", json::parse(kResult100));
    REQUIRE(b);
    CHECK(b->ip == "10.62.0.7"); // the IPv6 address listed first is skipped
    CHECK(b->cni.ips.size() == 2);
}

TEST_CASE("an IP on a host interface is not the replica's", "[result]") {
    auto in = json::parse(kResult040);
    in["ips"].insert(in["ips"].begin(),
                     json{{"interface", 0}, {"address", "10.62.0.1/16"}, {"version", "4"}});
    auto a = makeAttachResult("say-1", "/var/run/netns/say-1", "eth0", in);
    REQUIRE(a);
    CHECK(a->ip == "10.62.0.5");
}

TEST_CASE("an IPAM-style result without interfaces still yields the IP", "[result]") {
    auto in = json::parse(R"({"cniVersion":"1.0.0","ips":[{"address":"10.1.2.3/24"}]})");
    auto a = makeAttachResult("x", "/run/netns/x", "eth0", in);
    REQUIRE(a);
    CHECK(a->ip == "10.1.2.3");
    CHECK(a->gateway.empty());
}

TEST_CASE("results that cannot be used are refused", "[result]") {
    auto noIp = makeAttachResult("x", "/n", "eth0", json::parse(R"({"cniVersion":"1.0.0"})"));
    REQUIRE_FALSE(noIp);
    CHECK(noIp.error().message() == "the CNI result has no IPv4 address for eth0");

    auto old = parseCniResult(json::parse(R"({"cniVersion":"0.2.0","ip4":{"ip":"10.0.0.2/24"}})"));
    REQUIRE_FALSE(old);
    CHECK(old.error().code() == Code::Unimplemented);

    auto badAddress = parseCniResult(json::parse(R"({"ips":[{"address":"10.0.0.300/24"}]})"));
    REQUIRE_FALSE(badAddress);
    CHECK(badAddress.error().message() == "CNI result IP: invalid address 10.0.0.300/24");

    auto noPrefix = parseCniResult(json::parse(R"({"ips":[{"address":"10.0.0.3"}]})"));
    REQUIRE_FALSE(noPrefix);

    auto badIndex =
        parseCniResult(json::parse(R"({"ips":[{"address":"10.0.0.3/8","interface":4}]})"));
    REQUIRE_FALSE(badIndex);
    CHECK(badIndex.error().message() ==
          "CNI result IP 10.0.0.3/8: interface index 4 is out of range");

    auto wrongType = parseCniResult(json::parse(R"({"interfaces":[{"name":7}]})"));
    REQUIRE_FALSE(wrongType);
    CHECK(wrongType.error().message() == "CNI result interface: \"name\" is not a string");

    CHECK_FALSE(parseCniResult(json::array()));
}

TEST_CASE("CIDRs split into address and prefix", "[result]") {
    auto v4 = splitCidr("10.62.0.5/16");
    REQUIRE(v4);
    CHECK(v4->first == "10.62.0.5");
    CHECK(v4->second == 16);
    CHECK(splitCidr("fd00::1/64"));
    CHECK_FALSE(splitCidr("10.62.0.5/33"));
    CHECK_FALSE(splitCidr("10.62.0.5/"));
    CHECK_FALSE(splitCidr("10.62.0.5/16x"));
    CHECK_FALSE(splitCidr("host/16"));
}
