// /system/functions, /system/function/{name}, /system/scale-function/{name}.

#include "catch_result.hpp"
#include "harness.hpp"

#include <nlohmann/json.hpp>

using namespace faasd;
using namespace faasd::gateway;
using namespace faasd::gateway::test;
using nlohmann::json;

namespace {

const std::string kDeploy =
    R"({"service":"say","image":"registry:5000/say:0.1","envProcess":"./handler"})";

} // namespace

TEST_CASE("deploy answers 202 and list shows the function with OpenFaaS shapes") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();

    auto res = c.Post("/system/functions", kDeploy, "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);

    res = c.Get("/system/functions");
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->get_header_value("Content-Type") == "application/json");
    auto list = json::parse(res->body);
    REQUIRE(list.is_array());
    REQUIRE(list.size() == 1);
    const auto& f = list[0];
    CHECK(f["name"] == "say");
    CHECK(f["image"] == "registry:5000/say:0.1");
    CHECK(f["namespace"] == "openfaas-fn");
    CHECK(f["labels"].is_object());
    CHECK(f["annotations"].is_object());
    CHECK_FALSE(f.contains("envVars"));
    CHECK(f["replicas"] == 1);
    CHECK(f["invocationCount"].is_number());
}

TEST_CASE("PUT of an unknown function is 404, then POST succeeds, then PUT is 202") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Put("/system/functions", kDeploy, "application/json");
    REQUIRE(res);
    CHECK(res->status == 404);
    res = c.Post("/system/functions", kDeploy, "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    res = c.Put("/system/functions", kDeploy, "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    // Deploying again over an existing function is a conflict.
    res = c.Post("/system/functions", kDeploy, "application/json");
    REQUIRE(res);
    CHECK(res->status == 409);
}

TEST_CASE("bad JSON and bad names are 400 with a message") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Post("/system/functions", "{not json", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK(res->body.find("not valid JSON") != std::string::npos);

    res = c.Post("/system/functions", R"({"service":"Bad_Name","image":"x"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
    CHECK_FALSE(res->body.empty());

    res = c.Post("/system/functions", "", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
}

TEST_CASE("namespace comes from the query or from the body") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Post("/system/functions?namespace=dev", kDeploy, "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    CHECK(h.provider.lastNamespace == "dev");

    res = c.Get("/system/functions?namespace=dev");
    REQUIRE(res);
    CHECK(json::parse(res->body).size() == 1);
    res = c.Get("/system/functions");
    REQUIRE(res);
    CHECK(json::parse(res->body).empty());

    // DELETE with the namespace in the body (faas-cli remove -n dev).
    res = c.Delete("/system/functions", R"({"functionName":"say","namespace":"dev"})",
                   "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    CHECK(h.provider.lastNamespace == "dev");
}

TEST_CASE("delete answers 202, then 404 for the unknown function") {
    Harness h;
    h.provider.addFunction("say", "openfaas-fn", "say:1");
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Delete("/system/functions", R"({"functionName":"say"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    res = c.Delete("/system/functions", R"({"functionName":"say"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 404);
    // Namespace in the query.
    h.provider.addFunction("say", "dev", "say:1");
    res = c.Delete("/system/functions?namespace=dev", R"({"functionName":"say"})",
                   "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
}

TEST_CASE("get one function: 200 with status, 404 when unknown, usage=1 ignored") {
    Harness h;
    h.provider.addFunction("say", "dev", "say:1");
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Get("/system/function/say?namespace=dev&usage=1");
    REQUIRE(res);
    CHECK(res->status == 200);
    auto f = json::parse(res->body);
    CHECK(f["name"] == "say");
    CHECK(f["namespace"] == "dev");
    CHECK(f["availableReplicas"] == 1);
    CHECK(f["labels"].is_object());

    res = c.Get("/system/function/nope");
    REQUIRE(res);
    CHECK(res->status == 404);
}

TEST_CASE("scale sets replicas; 404 unknown; 400 without replicas") {
    Harness h;
    h.provider.addFunction("say", "openfaas-fn", "say:1");
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Post("/system/scale-function/say", R"({"serviceName":"say","replicas":3})",
                      "application/json");
    REQUIRE(res);
    CHECK(res->status == 202);
    CHECK(h.provider.replicas["say.openfaas-fn"] == 3);
    res = c.Post("/system/scale-function/nope", R"({"serviceName":"nope","replicas":1})",
                 "application/json");
    REQUIRE(res);
    CHECK(res->status == 404);
    res = c.Post("/system/scale-function/say", R"({"serviceName":"say"})", "application/json");
    REQUIRE(res);
    CHECK(res->status == 400);
}

TEST_CASE("unknown routes are 404 and wrong methods 405") {
    Harness h;
    REQUIRE(h.gateway->start());
    auto c = h.client();
    auto res = c.Get("/system/nothing");
    REQUIRE(res);
    CHECK(res->status == 404);
    res = c.Patch("/system/functions", "{}", "application/json");
    REQUIRE(res);
    CHECK(res->status == 405);
}
