#pragma once

// Shared by the provider and scaler benchmarks: timing helpers and the raw
// containerd floor (snapshot + container + netns + CNI ADD + task + first
// HTTP answer, through the project's own clients) every figure is compared
// with. Needs the provider test fixture (test/integration/provider).

#include "fixture.hpp"
#include "image/store.hpp"
#include "network/cni.hpp"

#include <chrono>
#include <string>
#include <vector>

namespace faasd::bench {

using Clock = std::chrono::steady_clock;

// FAASD_BENCH_RUNS, else fallback.
int runs(int fallback);
double ms(Clock::duration d);
double median(std::vector<double> v);

// Until the replica at ip answers 200 on :8080 (fails the test after 20 s).
void waitAnswer(const std::string& ip);

// One floor round, cleaned up afterwards; returns its milliseconds.
double floorRun(provider::testing::ProviderEnv& env, network::Cni& cni,
                const image::ResolvedImage& img, const std::string& chain, int i);

} // namespace faasd::bench
