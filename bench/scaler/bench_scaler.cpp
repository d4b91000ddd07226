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
#include "floor.hpp"
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
using bench::floorRun;
using bench::median;
using bench::ms;
using bench::waitAnswer;

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

    const int n = bench::runs(21);
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

    const double f = median(floor), r = median(resume), pk = median(parked), ev = median(evicted);
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
