#include "provider/labels.hpp"
#include "provider/spec.hpp"

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
    auto labels = recordLabels(d, 3, "cat");
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
    auto labels = recordLabels(d, 1, "cat");
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
    auto s = makeStatus(d, "cat", 3, 2, std::chrono::system_clock::time_point{});
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

TEST_CASE("status: the process its replicas run, the image's when the deployment names none",
          "[provider][labels]") {
    // What deploy resolved from a fake image whose Env sets fprocess.
    auto d = sample();
    d.envProcess.clear();
    image::ImageConfig img;
    img.env = {"PATH=/bin", "fprocess=python3 index.py"};
    const auto process = runProcess(img, d);
    CHECK(process == "python3 index.py");

    auto labels = recordLabels(d, 1, process);
    CHECK(labels.at(kProcessLabel) == "python3 index.py");
    auto back = parseRecord(labels);
    REQUIRE(back);
    CHECK(back->process == "python3 index.py");
    CHECK(back->deployment.envProcess.empty()); // the deployment stays as sent
    auto s = makeStatus(back->deployment, back->process, 1, 1, {});
    CHECK(s.envProcess == "python3 index.py");

    // The deployment's envProcess wins over the image's.
    auto own = sample();
    CHECK(runProcess(img, own) == "cat");
    CHECK(makeStatus(own, runProcess(img, own), 1, 1, {}).envProcess == "cat");

    // Resolved, and nothing sets it: empty, as before.
    CHECK(makeStatus(d, runProcess(image::ImageConfig{}, d), 1, 1, {}).envProcess.empty());
}

TEST_CASE("a record written before the process label still reads and lists", "[provider][labels]") {
    auto d = sample();
    auto labels = recordLabels(d, 2, "python3 index.py");
    labels.erase(kProcessLabel); // as such a record is in containerd
    auto back = parseRecord(labels);
    REQUIRE(back);
    CHECK(back->replicas == 2);
    CHECK_FALSE(back->process);
    // Until a replica tells: the deployment's, as before.
    CHECK(makeStatus(back->deployment, back->process, 2, 2, {}).envProcess == "cat");
    d.envProcess.clear();
    CHECK(makeStatus(d, std::nullopt, 2, 2, {}).envProcess.empty());

    // Unknown is left out, and a user's label of that name is not ours.
    d.labels[kProcessLabel] = "forged";
    auto unknown = recordLabels(d, 1, std::nullopt);
    CHECK_FALSE(unknown.contains(kProcessLabel));
    CHECK_FALSE(parseRecord(unknown)->process);
    CHECK(recordLabels(d, 1, "real").at(kProcessLabel) == "real");
    // Too long for a label: left out rather than refused by containerd.
    auto huge = recordLabels(d, 1, std::string(5000, 'x'));
    CHECK_FALSE(huge.contains(kProcessLabel));
    for (const auto& [k, v] : huge) {
        CHECK(k.size() + v.size() <= 4096);
    }
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
    check([](auto& d) { d.envVars = {{"exec_timeout", "later"}}; }, "envVars exec_timeout");
    check(
        [](auto& d) {
            d.annotations = {{"com.openfaas.upstream.timeout", "2d"}};
        },
        "annotation com.openfaas.upstream.timeout");
    CHECK(validateDeployment(sample()));
}
