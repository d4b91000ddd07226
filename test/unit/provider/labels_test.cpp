#include "provider/labels.hpp"

#include <catch2/catch.hpp>

using namespace faasd;
using namespace faasd::provider;

namespace {

api::FunctionDeployment sample() {
    api::FunctionDeployment d{
        .service = "say",
        .image = "ghcr.io/Example/say:0.1", // as deployed, not normalised
        .ns = "openfaas-fn",
        .envProcess = "cat",
        .envVars = {{"A", "1"}, {"MULTI", "line one\nline two\n"}},
        .constraints = {"node=a"},
        .secrets = {"api-key"},
        .labels = {{"com.openfaas.scale.min", "2"}, {"team", "x"}},
        .annotations = {{"topic", "cron"}, {"script", "#!/bin/sh\necho \"hi\"\n"}},
    };
    d.limits = api::Resources{.memory = "128Mi", .cpu = "500m"};
    d.readOnlyRootFilesystem = true;
    return d;
}

} // namespace

TEST_CASE("a function record round-trips byte-exact", "[provider][labels]") {
    auto d = sample();
    auto labels = recordLabels(d, 3);
    CHECK(labels.at(kFunctionLabel) == "say");
    CHECK(labels.at(kRoleLabel) == "function");
    CHECK(labels.at("team") == "x");
    CHECK(labels.at("com.openfaas.annotations.topic") == "cron");
    CHECK(labels.at("com.openfaas.annotations.script") == "#!/bin/sh\necho \"hi\"\n");
    auto back = parseRecord(labels);
    REQUIRE(back);
    CHECK(back->replicas == 3);
    const auto& r = back->deployment;
    CHECK(r.service == d.service);
    CHECK(r.image == d.image);
    CHECK(r.ns == d.ns);
    CHECK(r.envProcess == d.envProcess);
    CHECK(r.envVars == d.envVars);
    CHECK(r.constraints == d.constraints);
    CHECK(r.secrets == d.secrets);
    CHECK(r.labels == d.labels);
    CHECK(r.annotations == d.annotations);
    CHECK(r.limits == d.limits);
    CHECK_FALSE(r.requests);
    CHECK(r.readOnlyRootFilesystem);
}

TEST_CASE("a deployment larger than one label is split and joined", "[provider][labels]") {
    auto d = sample();
    d.envVars["BIG"] = std::string(10'000, 'x') + "\n" + std::string(5'000, 'y');
    auto labels = recordLabels(d, 1);
    for (const auto& [k, v] : labels) {
        CHECK(k.size() + v.size() <= 4096);
    }
    CHECK(labels.at(kDeploymentLabel) == "5");
    auto back = parseRecord(labels);
    REQUIRE(back);
    CHECK(back->deployment.envVars == d.envVars);

    labels.erase(std::string(kDeploymentLabel) + ".2");
    auto broken = parseRecord(labels);
    REQUIRE_FALSE(broken);
    CHECK(broken.error().message() == "function record misses label faasd.deployment.2");
}

TEST_CASE("replica labels carry the user's and ours, never the record", "[provider][labels]") {
    auto labels = replicaLabels(sample());
    CHECK(labels.at(kFunctionLabel) == "say");
    CHECK(labels.at(kReplicaLabel) == "true");
    CHECK(labels.at(kRoleLabel) == "replica");
    CHECK_FALSE(labels.contains(kDeploymentLabel));
    // The user cannot take over ours.
    auto d = sample();
    d.labels[kFunctionLabel] = "other";
    CHECK(replicaLabels(d).at(kFunctionLabel) == "say");
}

TEST_CASE("status: what the user set, objects always, absent when empty", "[provider][labels]") {
    auto d = sample();
    d.requests = api::Resources{};
    auto s = makeStatus(d, 3, 2, std::chrono::system_clock::time_point{});
    CHECK(s.name == "say");
    CHECK(s.image == "ghcr.io/Example/say:0.1");
    CHECK(s.replicas == 3);
    CHECK(s.availableReplicas == 2);
    CHECK(s.limits == d.limits);
    CHECK_FALSE(s.requests);
    CHECK(s.envVars == d.envVars);
    CHECK(s.readOnlyRootFilesystem);
    // The user's labels, plus the function's name as OpenFaaS reports it.
    auto want = d.labels;
    want["faas_function"] = "say";
    CHECK(s.labels == want);
}

TEST_CASE("bad deployments are refused before anything is made", "[provider][labels]") {
    auto check = [](auto mutate, const std::string& start) {
        auto d = sample();
        mutate(d);
        auto r = validateDeployment(d);
        REQUIRE_FALSE(r);
        CHECK(r.error().code() == Code::InvalidArgument);
        INFO(r.error().message());
        CHECK(r.error().message().starts_with(start));
    };
    check([](auto& d) { d.service = "Say_Hello"; }, "function name");
    check([](auto& d) { d.service = std::string(64, 'a'); }, "function name");
    check([](auto& d) { d.ns = "bad/ns"; }, "namespace");
    check([](auto& d) { d.image.clear(); }, "image is required");
    check([](auto& d) { d.secrets = {"../etc"}; }, "secrets");
    check([](auto& d) { d.limits = api::Resources{.memory = "1 gig"}; }, "limits.memory");
    check([](auto& d) { d.requests = api::Resources{.cpu = "-"}; }, "requests.cpu");
    check([](auto& d) { d.envVars = {{"A=B", "x"}}; }, "envVars");
    CHECK(validateDeployment(sample()));
}
