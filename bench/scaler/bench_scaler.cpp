// Scaler benchmarks against the harness's private containerd and the test
// CNI network (test/integration/provider/fixture.hpp), through the real
// gateway on 127.0.0.1:
//   floor    raw containerd: snapshot + container + netns + CNI ADD + task
//            + first HTTP answer, through the project's own clients
//   resume   raw containerd: task resume of a paused replica + first answer
//   parked   invoke of a parked function -> 200 (wake = resume)
//   evicted  invoke of a function at 0 replicas -> 200 (wake = cold start)
// Prints medians of FAASD_BENCH_RUNS interleaved rounds (default 21) and
// ratios to the floors.

#include "catch_result.hpp"
#include "fixture.hpp"
#include "gateway/gateway.hpp"
#include "image/store.hpp"
#include "network/netns.hpp"
#include "provider/probe.hpp"
#include "scaler/scaler.hpp"
#include "test_image.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <httplib.h>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <thread>

using namespace faasd;
using namespace faasd::provider;
using namespace faasd::provider::testing;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

namespace {

int runs() {
    const char* env = std::getenv("FAASD_BENCH_RUNS");
    return env ? std::max(1, std::atoi(env)) : 21;
}

double ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

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
double floorRun(ProviderEnv& env, network::Cni& cni, const image::ResolvedImage& img,
                const std::string& chain, int i) {
    auto plain = env.client();
    const std::string id = fmt::format("floor-{}", i);
    const std::string cniId = env.ns() + "-" + id;
    const auto logFile = env.config().stateDir / (id + ".log");
    const auto start = Clock::now();
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

} // namespace

TEST_CASE("scaler benchmarks", "[bench]") {
    ProviderEnv env;
    env.storeImages();
    auto& p = env.provider();
    auto c = env.client();
    auto img = image::resolveImage(c, std::string("docker.io/") + kImage);
    REQUIRE(img);
    auto chain = image::unpackImage(c, *img);
    REQUIRE(chain);
    auto cni = network::Cni::load(env.config().network);
    REQUIRE(cni);

    gateway::GatewayConfig g;
    g.bindAddress = "127.0.0.1";
    g.port = 0;
    g.defaultNamespace = env.ns();
    gateway::Gateway gw(g, p);
    scaler::ScalerConfig sc;
    sc.defaultNamespace = env.ns();
    sc.maxReplicas = env.config().maxReplicas;
    scaler::Scaler scaler(sc, p, gw.metrics()); // no ticker: wakes only
    gw.setReplicaWaker(&scaler);
    REQUIRE(gw.start());
    httplib::Client http("127.0.0.1", gw.port());
    http.set_keep_alive(true);
    http.set_read_timeout(30, 0);
    auto invoke = [&](const char* name) {
        auto r = http.Get(fmt::format("/function/{}/index.html", name).c_str());
        REQUIRE(r);
        REQUIRE(r->status == 200);
        REQUIRE(r->body == "hello from a replica\n");
    };
    REQUIRE(p.deploy(deployment("parked", env.ns())));
    REQUIRE(p.deploy(deployment("evicted", env.ns())));
    REQUIRE(p.deploy(deployment("raw", env.ns())));
    invoke("parked");
    invoke("evicted");
    const auto rawId = p.replicas("raw", env.ns())->front().id;
    const auto rawIp = p.replicas("raw", env.ns())->front().ip;

    const int n = runs();
    std::vector<double> floor, resume, parked, evicted;
    for (int i = 0; i < n; ++i) {
        floor.push_back(floorRun(env, *cni, *img, *chain, i));

        REQUIRE(c.tasks().pause(rawId));
        auto start = Clock::now();
        REQUIRE(c.tasks().resume(rawId));
        waitAnswer(rawIp);
        resume.push_back(ms(Clock::now() - start));

        REQUIRE(p.park("parked", env.ns()));
        REQUIRE(p.get("parked", env.ns())->replicas == 0);
        start = Clock::now();
        invoke("parked");
        parked.push_back(ms(Clock::now() - start));

        REQUIRE(p.scale("evicted", env.ns(), 0));
        REQUIRE(p.get("evicted", env.ns())->replicas == 0);
        start = Clock::now();
        invoke("evicted");
        evicted.push_back(ms(Clock::now() - start));
    }
    gw.stop();
    for (const char* name : {"parked", "evicted", "raw"}) {
        REQUIRE(p.remove(name, env.ns()));
    }

    const double f = median(floor), r = median(resume), pk = median(parked),
                 ev = median(evicted);
    std::printf("scaler bench: %d interleaved rounds (medians)\n", n);
    std::printf("  floor   (containerd+CNI+task -> first answer):  %8.1f ms\n", f);
    std::printf("  resume  (containerd task resume -> first answer): %6.1f ms\n", r);
    std::printf("  parked  (invoke through the gateway -> 200):     %8.1f ms  %.2fx resume\n", pk,
                pk / r);
    std::printf("  evicted (invoke through the gateway -> 200):     %8.1f ms  %.2fx floor\n", ev,
                ev / f);
    std::printf("  ranges: parked %.1f-%.1f ms, evicted %.1f-%.1f ms\n",
                *std::min_element(parked.begin(), parked.end()),
                *std::max_element(parked.begin(), parked.end()),
                *std::min_element(evicted.begin(), evicted.end()),
                *std::max_element(evicted.begin(), evicted.end()));
    std::fflush(stdout);
}
