// Provider benchmarks against the harness's private containerd and the
// test CNI network (see test/integration/provider/fixture.hpp):
//   floor   raw containerd: snapshot + container + netns + CNI ADD + task
//           + first HTTP answer, through the project's own clients
//   deploy  Provider::deploy() until it returns (replica ready) + first answer
//   scale   scale 0 -> 1 + first answer
//   memory  host memory per replica: the shim's RSS (and the function's)
// Prints medians of FAASD_BENCH_RUNS runs (default 7) and ratios to the floor,
// and where deploy and scale spend their time, stage by stage (StartStages;
// what is left is the provider's own work: its lock, labels, endpoints).

#include "catch_result.hpp"
#include "fixture.hpp"
#include "floor.hpp"
#include "image/store.hpp"
#include "network/netns.hpp"
#include "provider/probe.hpp"
#include "provider/spec.hpp"
#include "test_image.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <signal.h>
#include <sstream>
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

namespace {

// Sum of VmRSS (kB) of processes whose command line contains needle.
long rssKb(const std::string& needle, int* count) {
    long total = 0;
    *count = 0;
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator("/proc", ec)) {
        const auto pid = entry.path().filename().string();
        if (pid.find_first_not_of("0123456789") != std::string::npos) {
            continue;
        }
        std::ifstream cmd(entry.path() / "cmdline", std::ios::binary);
        std::string line(std::istreambuf_iterator<char>(cmd), {});
        std::replace(line.begin(), line.end(), '\0', ' ');
        if (line.find(needle) == std::string::npos) {
            continue;
        }
        std::ifstream status(entry.path() / "status");
        for (std::string l; std::getline(status, l);) {
            if (l.starts_with("VmRSS:")) {
                total += std::atol(l.c_str() + 6);
                ++*count;
            }
        }
    }
    return total;
}

// Each stage's time in one operation, from the provider's totals before and after.
using StageTimes = std::array<double, kStartStages>;
StageTimes stagesBetween(const std::array<StartStages::Total, kStartStages>& before,
                         const std::array<StartStages::Total, kStartStages>& after) {
    StageTimes out{};
    for (size_t i = 0; i < kStartStages; ++i) {
        out[i] = ms(after[i].time - before[i].time);
    }
    return out;
}

// Each stage's median, and the median of what the stages leave of each
// run's total.
void printStages(const char* what, const std::vector<StageTimes>& runs,
                 const std::vector<double>& totals) {
    std::printf("  %s by stage (medians, ms):", what);
    for (size_t i = 0; i < kStartStages; ++i) {
        std::vector<double> v;
        for (const auto& r : runs) {
            v.push_back(r[i]);
        }
        std::printf(" %s %.1f", std::string(stageName(static_cast<StartStage>(i))).c_str(),
                    median(v));
    }
    std::vector<double> other;
    for (size_t r = 0; r < runs.size(); ++r) {
        double sum = 0;
        for (double t : runs[r]) {
            sum += t;
        }
        other.push_back(totals[r] - sum);
    }
    std::printf("; other %.1f\n", median(other));
}

} // namespace

TEST_CASE("provider benchmarks", "[bench]") {
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

    const int n = bench::runs(7);
    std::vector<double> floor, deploy, scale;
    std::vector<StageTimes> deployStages, scaleStages;
    for (int i = 0; i < n; ++i) {
        floor.push_back(floorRun(env, *cni, *img, *chain, i));

        auto before = p.startStages().totals();
        auto start = Clock::now();
        REQUIRE(p.deploy(deployment("bench", env.ns())));
        waitAnswer(p.resolve("bench", env.ns())->at(0).ip);
        deploy.push_back(ms(Clock::now() - start));
        deployStages.push_back(stagesBetween(before, p.startStages().totals()));

        REQUIRE(p.scale("bench", env.ns(), 0));
        before = p.startStages().totals();
        start = Clock::now();
        REQUIRE(p.scale("bench", env.ns(), 1));
        waitAnswer(p.resolve("bench", env.ns())->at(0).ip);
        scale.push_back(ms(Clock::now() - start));
        scaleStages.push_back(stagesBetween(before, p.startStages().totals()));
        REQUIRE(p.remove("bench", env.ns()));
    }

    const int replicas = 5;
    REQUIRE(p.deploy(deployment("mem", env.ns())));
    REQUIRE(p.scale("mem", env.ns(), replicas));
    int shims = 0, fns = 0;
    const long shimKb = rssKb("containerd-shim-runc-v2 -namespace " + env.ns(), &shims);
    const long fnKb = rssKb("httpd -f -p 8080 -h /www", &fns);
    REQUIRE(p.remove("mem", env.ns()));

    const double f = median(floor), d = median(deploy), s = median(scale);
    std::printf("provider bench: %d runs (medians)\n", n);
    std::printf("  floor  (containerd+CNI+task -> first answer): %8.1f ms\n", f);
    std::printf("  deploy (deploy -> first answer):              %8.1f ms  %.2fx floor\n", d,
                d / f);
    std::printf("  scale  (0 -> 1 -> first answer):              %8.1f ms  %.2fx floor\n", s,
                s / f);
    printStages("deploy", deployStages, deploy);
    printStages("scale ", scaleStages, scale);
    std::printf("  memory per replica: shim %ld kB (%d shims), function %ld kB (%d procs)\n",
                shims ? shimKb / shims : 0, shims, fns ? fnKb / fns : 0, fns);
    std::fflush(stdout);
}
