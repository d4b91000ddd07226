#include "floor.hpp"

#include "catch_result.hpp"
#include "network/netns.hpp"
#include "provider/probe.hpp"
#include "test_image.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <thread>

namespace faasd::bench {

using namespace std::chrono_literals;
using provider::httpStatus;

int runs(int fallback) {
    const char* env = std::getenv("FAASD_BENCH_RUNS");
    return env ? std::max(1, std::atoi(env)) : fallback;
}

double ms(Clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

void waitAnswer(const std::string& ip) {
    auto deadline = Clock::now() + 20s;
    while (Clock::now() < deadline) {
        if (auto s = httpStatus(ip, 8080, "/index.html", 500ms); s && *s == 200) {
            return;
        }
        std::this_thread::sleep_for(1ms);
    }
    FAIL("no answer from " << ip);
}

// The least containerd + CNI needs to give a first answer.
double floorRun(provider::testing::ProviderEnv& env, network::Cni& cni,
                const image::ResolvedImage& img, const std::string& chain, int i) {
    auto plain = env.client();
    const std::string id = fmt::format("floor-{}", i);
    const std::string cniId = env.ns() + "-" + id;
    const auto logFile = env.config().stateDir / (id + ".log");
    const auto start = Clock::now();
    // A lease keeps the snapshot from the collector until the container holds it.
    auto lease = plain.leases().create("", {}, std::chrono::hours(1));
    REQUIRE(lease);
    auto c = plain.withLease(lease->id);
    auto mounts = c.snapshots().prepare(id, chain);
    REQUIRE(mounts);
    auto netns = network::createNetns(env.config().network.netnsDir, cniId);
    REQUIRE(netns);
    auto attached = cni.attach(cniId, *netns);
    REQUIRE(attached);
    auto spec = nlohmann::json::parse(faasd::testing::minimalSpec(id, img.config.cmd));
    spec["process"]["env"] = img.config.env;
    for (auto& ns : spec["linux"]["namespaces"]) {
        if (ns["type"] == "network") {
            ns["path"] = *netns;
        }
    }
    REQUIRE(c.containers().create({.id = id,
                                   .image = img.record.name,
                                   .spec = spec.dump(),
                                   .snapshotter = "overlayfs",
                                   .snapshotKey = id}));
    REQUIRE(plain.leases().remove(lease->id));
    const std::string uri = "file://" + logFile.string();
    REQUIRE(
        c.tasks().create({.containerId = id, .rootfs = *mounts, .io = {.out = uri, .err = uri}}));
    REQUIRE(c.tasks().start(id));
    waitAnswer(attached->ip);
    const double took = ms(Clock::now() - start);
    (void)c.tasks().kill(id, SIGKILL, true);
    (void)c.tasks().wait(id, 10s);
    (void)c.tasks().remove(id);
    (void)c.containers().remove(id);
    (void)c.snapshots().remove(id);
    (void)cni.detach(cniId, *netns);
    (void)network::deleteNetns(*netns);
    return took;
}

} // namespace faasd::bench
