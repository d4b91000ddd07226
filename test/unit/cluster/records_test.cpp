#include "catch_result.hpp"
#include "cluster/records.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::cluster;

TEST_CASE("keys are made and read back by kind", "[cluster]") {
    Keys keys("/faasd");
    CHECK(keys.prefix() == "/faasd/");
    const api::FunctionRef fn{"say", "openfaas-fn"};
    CHECK(keys.function(fn) == "/faasd/functions/openfaas-fn/say");
    CHECK(keys.functionOf(keys.function(fn)) == fn);
    CHECK(keys.placementOf(keys.placement(fn)) == fn);
    CHECK(keys.nodeOf(keys.node("vm-a")) == "vm-a");
    auto ep = keys.endpointOf(keys.endpoint(fn, "vm-b"));
    REQUIRE(ep);
    CHECK(ep->first == fn);
    CHECK(ep->second == "vm-b");
    CHECK(keys.secretOf(keys.secret("team", "token")) ==
          std::pair<std::string, std::string>("team", "token"));
    CHECK(keys.namespaceOf(keys.ns("team")) == "team");
    CHECK(keys.subnet("10.62.1.0/24") == "/faasd/subnets/10.62.1.0_24");

    // Keys of another kind, or of the wrong shape, are not read as this one.
    CHECK_FALSE(keys.functionOf(keys.placement(fn)));
    CHECK_FALSE(keys.functionOf("/faasd/functions/openfaas-fn"));
    CHECK_FALSE(keys.functionOf("/faasd/functions/openfaas-fn/say/extra"));
    CHECK_FALSE(keys.functionOf("/faasd/functions//say"));
    CHECK_FALSE(keys.endpointOf(keys.endpoints(fn)));
    CHECK_FALSE(keys.nodeOf("/other/nodes/vm-a"));
}

TEST_CASE("records survive a round trip through JSON", "[cluster]") {
    NodeRecord node{.name = "vm-a",
                    .address = "10.0.0.1",
                    .gatewayPort = 8081,
                    .subnet = "10.62.1.0/24",
                    .memoryBytes = 4ull << 30,
                    .freeMemoryBytes = 3ull << 30,
                    .cpus = 2};
    auto n = parseNodeRecord(toJson(node));
    REQUIRE(n);
    CHECK(n->name == "vm-a");
    CHECK(n->gatewayPort == 8081);
    CHECK(n->subnet == "10.62.1.0/24");
    CHECK(n->freeMemoryBytes == 3ull << 30);

    FunctionRecord fn{.replicas = 3};
    fn.deployment.service = "say";
    fn.deployment.image = "faasd.test/echo:1";
    fn.deployment.ns = "openfaas-fn";
    fn.deployment.labels["com.openfaas.scale.min"] = "2";
    fn.deployment.secrets = {"token"};
    auto f = parseFunctionRecord(toJson(fn));
    REQUIRE(f);
    CHECK(f->replicas == 3);
    CHECK(f->deployment.image == "faasd.test/echo:1");
    CHECK(f->deployment.secrets == std::vector<std::string>{"token"});
    CHECK(f->deployment.labels.at("com.openfaas.scale.min") == "2");

    Placement p{{"vm-a", 2}, {"vm-b", 1}};
    CHECK(parsePlacement(toJson(p)) == p);
    CHECK(placed(p) == 3);

    NodeFunction nf{.generation = "7-00ff", .replicas = 2, .ready = {{"say-1", "10.62.1.4", 8080}}};
    auto back = parseNodeFunction(toJson(nf));
    REQUIRE(back);
    CHECK(back->generation == "7-00ff");
    REQUIRE(back->ready.size() == 1);
    CHECK(back->ready[0].ip == "10.62.1.4");
    CHECK(back->error.empty());
}

TEST_CASE("records that cannot be read are refused, naming what they are", "[cluster]") {
    auto bad = parseNodeRecord("[1]");
    REQUIRE_FALSE(bad);
    CHECK(bad.error().message().find("node record") != std::string::npos);
    CHECK_FALSE(parseNodeRecord(R"({"name":"a"})")); // no address
    CHECK_FALSE(parseNodeRecord(R"({"name":"a","address":"x","cpus":"two"})"));
    CHECK_FALSE(parseFunctionRecord(R"({"replicas":1})"));
    CHECK_FALSE(parsePlacement(R"({"vm-a":-1})"));
    CHECK_FALSE(parseNodeFunction(R"({"ready":[1]})"));
}

TEST_CASE("a generation changes with the deployment and the deploy, not the replicas",
          "[cluster]") {
    api::FunctionDeployment d{.service = "say", .image = "a:1", .ns = "openfaas-fn"};
    const auto g = generationOf(d, 10);
    CHECK(generationOf(d, 10) == g);
    CHECK(generationOf(d, 11) != g);
    auto e = d;
    e.image = "a:2";
    CHECK(generationOf(e, 10) != g);
}
