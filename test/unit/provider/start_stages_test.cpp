// Replica starts' time by stage: totals per stage and their metrics.

#include "provider/start_stages.hpp"

#include <catch2/catch.hpp>

using namespace faasd::provider;
using namespace std::chrono_literals;

TEST_CASE("each stage adds up its time and its runs, and shows in the metrics") {
    StartStages stages;
    stages.add(StartStage::Network, 90ms);
    stages.add(StartStage::Network, 110ms);
    stages.add(StartStage::Task, 1500us);
    const auto totals = stages.totals();
    CHECK(totals[static_cast<size_t>(StartStage::Network)].time == 200ms);
    CHECK(totals[static_cast<size_t>(StartStage::Network)].count == 2);
    CHECK(totals[static_cast<size_t>(StartStage::Image)].count == 0);
    const std::string text = stages.prometheusText();
    CHECK_THAT(text, Catch::Matchers::Contains(
                         "faasd_replica_start_stage_seconds_total{stage=\"network\"} 0.200000\n"));
    CHECK_THAT(text, Catch::Matchers::Contains(
                         "faasd_replica_start_stage_seconds_total{stage=\"task\"} 0.001500\n"));
    CHECK_THAT(text, Catch::Matchers::Contains(
                         "faasd_replica_start_stage_runs_total{stage=\"network\"} 2\n"));
    CHECK_THAT(text, Catch::Matchers::Contains(
                         "faasd_replica_start_stage_runs_total{stage=\"ready\"} 0\n"));
}

TEST_CASE("a timer's laps go to consecutive stages") {
    StartStages stages;
    StageTimer timer(stages);
    timer.lap(StartStage::Snapshot);
    timer.lap(StartStage::Network);
    const auto totals = stages.totals();
    CHECK(totals[static_cast<size_t>(StartStage::Snapshot)].count == 1);
    CHECK(totals[static_cast<size_t>(StartStage::Network)].count == 1);
    CHECK(totals[static_cast<size_t>(StartStage::Container)].count == 0);
}
