// Deploy, scale, update and remove on real containers, and nothing left
// behind; bad input refused with nothing half-made.

#include "catch_result.hpp"
#include "fixture.hpp"
#include "wait.hpp"

#include <catch2/catch.hpp>
#include <set>
#include <thread>

using namespace faasd;
using namespace faasd::provider;
using namespace faasd::provider::testing;
using namespace std::chrono_literals;

namespace {

void requireNothingLeft(ProviderEnv& env) {
    CHECK(env.containers() == 0);
    CHECK(env.tasks() == 0);
    CHECK(env.activeSnapshots() == 0);
    CHECK(env.netnsFiles().empty());
    CHECK(env.leases().empty());
    CHECK(env.natRules().empty());
    CHECK(env.filterRules().empty());
    CHECK(env.cniAttachments() == 0);
}

std::set<std::string> answeringIps(ContainerdProvider& p, const std::string& name,
                                   const std::string& ns) {
    std::set<std::string> ips;
    auto endpoints = p.resolve(name, ns);
    REQUIRE(endpoints);
    for (const auto& e : *endpoints) {
        if (httpGet(e.ip, "/index.html") == "hello from a replica\n") {
            ips.insert(e.ip);
        }
    }
    return ips;
}

} // namespace

TEST_CASE("deploy answers; scale to 3, 0 and back; remove leaves nothing", "[provider]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    auto d = deployment("web", env.ns());
    d.labels = {{"team", "a"}};
    d.annotations = {{"note", "two\nlines"}};
    REQUIRE(p.deploy(d));

    auto status = p.get("web", env.ns());
    REQUIRE(status);
    CHECK(status->image == kImage);
    CHECK(status->replicas == 1);
    CHECK(status->availableReplicas == 1);
    CHECK(status->labels == api::StringMap{{"team", "a"}, {"faas_function", "web"}});
    CHECK(status->annotations == api::StringMap{{"note", "two\nlines"}});
    CHECK(status->envVars.empty());
    CHECK_FALSE(status->limits);
    CHECK(status->createdAt.time_since_epoch().count() != 0);
    CHECK(answeringIps(p, "web", env.ns()).size() == 1);
    auto again = p.deploy(d);
    REQUIRE_FALSE(again);
    CHECK(again.error().code() == Code::AlreadyExists);

    REQUIRE(p.scale("web", env.ns(), 3));
    auto ips = answeringIps(p, "web", env.ns());
    CHECK(ips.size() == 3);
    for (const auto& ip : ips) {
        CHECK(ip.starts_with(kSubnetPrefix));
    }
    CHECK(p.get("web", env.ns())->availableReplicas == 3);
    CHECK(env.tasks() == 3);
    // Usage comes from the replicas' cgroups: three watchdogs use memory.
    auto used = p.get("web", env.ns())->usage;
    REQUIRE(used);
    CHECK(used->totalMemoryBytes > 3 * 64 * 1024);
    CHECK(used->cpu >= 0);

    REQUIRE(p.scale("web", env.ns(), 0));
    CHECK(env.tasks() == 0);
    CHECK(p.resolve("web", env.ns())->empty());
    CHECK(p.get("web", env.ns())->replicas == 0);
    CHECK(p.get("web", env.ns())->usage->totalMemoryBytes == 0);
    CHECK(env.netnsFiles().empty());
    CHECK(env.leases().empty());
    auto listed = p.list(env.ns());
    REQUIRE(listed);
    REQUIRE(listed->size() == 1);

    REQUIRE(p.scale("web", env.ns(), 1));
    CHECK(answeringIps(p, "web", env.ns()).size() == 1);
    auto tooMany = p.scale("web", env.ns(), 6);
    REQUIRE_FALSE(tooMany);
    CHECK(tooMany.error().code() == Code::InvalidArgument);

    REQUIRE(p.remove("web", env.ns()));
    requireNothingLeft(env);
    CHECK(p.list(env.ns())->empty());
    auto gone = p.remove("web", env.ns());
    REQUIRE_FALSE(gone);
    CHECK(gone.error().code() == Code::NotFound);
    CHECK(p.get("web", env.ns()).error().code() == Code::NotFound);
    CHECK(p.scale("web", env.ns(), 1).error().code() == Code::NotFound);
}

TEST_CASE("bad input is refused clearly and leaves nothing behind", "[provider]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    auto refused = [&](api::FunctionDeployment d, Code code, const std::string& part) {
        auto r = p.deploy(d);
        REQUIRE_FALSE(r);
        INFO(r.error().message());
        CHECK(r.error().code() == code);
        CHECK(r.error().message().find(part) != std::string::npos);
        requireNothingLeft(env);
    };
    refused(deployment("Bad_Name", env.ns()), Code::InvalidArgument, "function name");
    // A registry on loopback where nothing listens: the pull fails at once,
    // and no traffic leaves the machine.
    refused(deployment("web", env.ns(), "127.0.0.1:9/no-such-image:1"), Code::Unavailable,
            "127.0.0.1:9");
    auto withSecret = deployment("web", env.ns());
    withSecret.secrets = {"missing"};
    refused(withSecret, Code::FailedPrecondition, "secret missing not found");
    auto badLimit = deployment("web", env.ns());
    badLimit.limits = api::Resources{.memory = "lots"};
    refused(badLimit, Code::InvalidArgument, "limits.memory");
    refused(deployment("web", "no-such-ns"), Code::FailedPrecondition, "namespace no-such-ns");
    refused(deployment("fails", env.ns(), kFailingImage), Code::FailedPrecondition,
            "exited with status 3");
    auto failed = p.deploy(deployment("fails", env.ns(), kFailingImage));
    REQUIRE_FALSE(failed);
    CHECK(failed.error().message().find("about to fail") != std::string::npos);
    CHECK(p.list(env.ns())->empty());
}

TEST_CASE("pull policy Never names the missing image", "[provider]") {
    ProviderEnv env;
    auto config = env.config();
    config.pullPolicy = image::PullPolicy::Never;
    auto p = ContainerdProvider::create(config);
    REQUIRE(p);
    auto r = (*p)->deploy(deployment("web", env.ns(), "nothere:2"));
    REQUIRE_FALSE(r);
    CHECK(r.error().code() == Code::FailedPrecondition);
    CHECK(r.error().message() == "deploying web: getting image nothere:2: image "
                                 "docker.io/library/nothere:2 is not in the local store and "
                                 "the pull policy is Never");
}

TEST_CASE("update replaces replicas without a gap", "[provider]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    auto d = deployment("web", env.ns());
    d.envVars = {{"VERSION", "1"}};
    REQUIRE(p.deploy(d));
    REQUIRE(p.scale("web", env.ns(), 2));
    auto before = p.replicas("web", env.ns()).value();

    std::atomic<bool> done{false};
    std::atomic<int> gaps{0}, samples{0};
    std::thread watcher([&] {
        while (!done) {
            auto e = p.resolve("web", env.ns());
            if (!e || e->empty()) {
                ++gaps;
            }
            ++samples;
            // Not a wait: the sampling interval of the watcher, which looks
            // for a gap all through the update.
            std::this_thread::sleep_for(5ms);
        }
    });
    CHECK(waitUntil([&] { return samples > 0; }, 10s)); // watching before the update starts
    d.envVars = {{"VERSION", "2"}};
    auto updated = p.update(d);
    done = true;
    watcher.join();
    REQUIRE(updated);
    CHECK(gaps == 0);
    auto after = p.replicas("web", env.ns()).value();
    REQUIRE(after.size() == 2);
    for (const auto& r : after) {
        for (const auto& old : before) {
            CHECK(r.id != old.id);
        }
        CHECK(httpGet(r.ip, "/cgi-bin/env").find("VERSION=2") != std::string::npos);
    }
    CHECK(p.get("web", env.ns())->envVars == api::StringMap{{"VERSION", "2"}});
    CHECK(env.tasks() == 2);
    // An update whose replicas never get ready leaves the old ones serving.
    auto broken = deployment("web", env.ns(), kFailingImage);
    auto refused = p.update(broken);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().message().find("exited with status 3") != std::string::npos);
    CHECK(env.tasks() == 2);
    CHECK(p.resolve("web", env.ns())->size() == 2);
    CHECK(p.get("web", env.ns())->image == kImage);
    for (const auto& r : p.replicas("web", env.ns()).value()) {
        CHECK(httpGet(r.ip, "/index.html") == "hello from a replica\n");
    }
    auto missing = p.update(deployment("nope", env.ns()));
    REQUIRE_FALSE(missing);
    CHECK(missing.error().code() == Code::NotFound);
    REQUIRE(p.remove("web", env.ns()));
    requireNothingLeft(env);
}

TEST_CASE("namespaces and secrets: CRUD and their rules", "[provider]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    const std::string team = env.ns() + "-team";
    REQUIRE(
        p.createNamespace({.name = team, .labels = {{"owner", "x"}}, .annotations = {{"a", "b"}}}));
    auto names = p.listNamespaces();
    REQUIRE(names);
    CHECK(names->front() == env.ns());
    CHECK(std::find(names->begin(), names->end(), team) != names->end());
    auto got = p.getNamespace(team);
    REQUIRE(got);
    CHECK(got->labels.at("owner") == "x");
    CHECK(got->labels.at("openfaas") == "1");
    CHECK(got->annotations == api::StringMap{{"a", "b"}});
    REQUIRE(p.updateNamespace({.name = team, .labels = {{"owner", "y"}}}));
    CHECK(p.getNamespace(team)->labels.at("owner") == "y");
    CHECK(p.createNamespace({.name = team}).error().code() == Code::AlreadyExists);
    CHECK(p.getNamespace("nope-" + team).error().code() == Code::NotFound);

    REQUIRE(p.createSecret({.name = "api-key", .ns = team, .value = "v1"}));
    CHECK(p.createSecret({.name = "api-key", .ns = team, .value = "v1"}).error().code() ==
          Code::AlreadyExists);
    auto secrets = p.listSecrets(team);
    REQUIRE(secrets);
    REQUIRE(secrets->size() == 1);
    CHECK(secrets->at(0).name == "api-key");
    CHECK(secrets->at(0).value.empty());
    CHECK(p.updateSecret({.name = "nope", .ns = team, .value = "x"}).error().code() ==
          Code::NotFound);

    env.storeImages(team);
    auto d = deployment("web", team);
    d.secrets = {"api-key"};
    REQUIRE(p.deploy(d));
    auto removeBusy = p.removeNamespace(team);
    REQUIRE_FALSE(removeBusy);
    CHECK(removeBusy.error().code() == Code::FailedPrecondition);
    REQUIRE(p.remove("web", team));
    REQUIRE(p.removeSecret("api-key", team));
    CHECK(p.removeSecret("api-key", team).error().code() == Code::NotFound);
    REQUIRE(p.removeNamespace(team));
    CHECK(p.getNamespace(team).error().code() == Code::NotFound);
    CHECK(p.removeNamespace(env.ns()).error().code() == Code::FailedPrecondition);
}

TEST_CASE("logs: tail, instance and follow", "[provider]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    REQUIRE(p.deploy(deployment("web", env.ns())));
    auto r = p.replicas("web", env.ns()).value().at(0);
    CHECK(httpGet(r.ip, "/cgi-bin/log") == "logged\n");
    CHECK(httpGet(r.ip, "/cgi-bin/log") == "logged\n");
    std::vector<api::LogMessage> got;
    std::atomic<bool> stop{false};
    REQUIRE(eventually(
        [&] {
            got.clear();
            REQUIRE(p.logs(
                {.name = "web", .ns = env.ns(), .tail = 1},
                [&](const api::LogMessage& m) {
                    got.push_back(m);
                    return true;
                },
                stop));
            return got.size() == 1 && got[0].text == "log line from 0";
        },
        5s));
    CHECK(got[0].instance == r.id);
    CHECK(got[0].name == "web");
    CHECK(got[0].ns == env.ns());

    std::vector<std::string> followed;
    std::atomic<bool> followDone{false};
    std::thread follower([&] {
        (void)p.logs(
            {.name = "web", .ns = env.ns(), .tail = 0, .follow = true},
            [&](const api::LogMessage& m) {
                followed.push_back(m.text);
                return followed.size() < 1;
            },
            stop);
        followDone = true;
    });
    // The follow starts at the end of the log: a line logged before it is
    // there is not for it to see. Log until it has seen one.
    CHECK(waitUntil(
        [&] {
            CHECK(httpGet(r.ip, "/cgi-bin/log") == "logged\n");
            return followDone.load();
        },
        15s, 200ms));
    stop = true; // ends a follow that never saw its line
    follower.join();
    CHECK(followed == std::vector<std::string>{"log line from 0"});
    CHECK(p.logs(
               {.name = "nope", .ns = env.ns()}, [](auto&) { return true; }, stop)
              .error()
              .code() == Code::NotFound);
}

TEST_CASE("concurrent deploys, and resolve is not held up by them", "[provider]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    REQUIRE(p.deploy(deployment("first", env.ns())));
    std::vector<Result<void>> results(3, Result<void>{});
    std::vector<std::thread> threads;
    std::atomic<bool> done{false};
    std::chrono::nanoseconds slowest{0};
    std::atomic<int> resolves{0};
    std::thread resolver([&] {
        while (!done) {
            auto start = std::chrono::steady_clock::now();
            auto e = p.resolve("first", env.ns());
            slowest = std::max(slowest, std::chrono::steady_clock::now() - start);
            CHECK(e);
            ++resolves;
            // Not a wait: the pace of the resolver, which times every call
            // all through the deploys.
            std::this_thread::sleep_for(1ms);
        }
    });
    CHECK(waitUntil([&] { return resolves > 0; }, 10s)); // resolving before the deploys start
    for (int i = 0; i < 3; ++i) {
        threads.emplace_back([&, i] {
            auto d = deployment(fmt::format("many-{}", i), env.ns());
            d.labels = {{"com.openfaas.scale.min", "2"}};
            results[i] = p.deploy(d);
        });
    }
    for (auto& t : threads) {
        t.join();
    }
    done = true;
    resolver.join();
    CHECK(slowest < 200ms); // a deploy takes longer; resolve never waits for one
    std::set<std::string> ips;
    for (int i = 0; i < 3; ++i) {
        REQUIRE(results[i]);
        auto name = fmt::format("many-{}", i);
        CHECK(p.get(name, env.ns())->availableReplicas == 2);
        for (const auto& ip : answeringIps(p, name, env.ns())) {
            ips.insert(ip);
        }
    }
    CHECK(ips.size() == 6);
    CHECK(p.list(env.ns())->size() == 4);
    for (int i = 0; i < 3; ++i) {
        REQUIRE(p.remove(fmt::format("many-{}", i), env.ns()));
    }
    REQUIRE(p.remove("first", env.ns()));
    requireNothingLeft(env);
}

TEST_CASE("logs are rotated past their size", "[provider]") {
    ProviderEnv env;
    env.storeImages();
    auto config = env.config();
    config.maxLogBytes = 64;
    env.crash();
    auto p = ContainerdProvider::create(config);
    REQUIRE(p);
    REQUIRE((*p)->deploy(deployment("chatty", env.ns())));
    auto r = (*p)->replicas("chatty", env.ns()).value().at(0);
    for (int i = 0; i < 5; ++i) {
        CHECK(httpGet(r.ip, "/cgi-bin/log") == "logged\n");
    }
    const auto log = config.stateDir / "logs" / env.ns() / "chatty" / (r.id + ".log");
    REQUIRE(eventually([&] { return std::filesystem::exists(log.string() + ".1"); }, 5s));
    CHECK(std::filesystem::file_size(log) <= 64);
    CHECK(httpGet(r.ip, "/cgi-bin/log") == "logged\n");
    std::vector<std::string> lines;
    std::atomic<bool> stop{false};
    REQUIRE((*p)->logs(
        {.name = "chatty", .ns = env.ns()},
        [&](const api::LogMessage& m) {
            lines.push_back(m.text);
            return true;
        },
        stop));
    CHECK_FALSE(lines.empty());
    CHECK(lines.back() == "log line from 0");
    REQUIRE((*p)->remove("chatty", env.ns()));
    CHECK_FALSE(std::filesystem::exists(log));
}
