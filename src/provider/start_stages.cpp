#include "provider/start_stages.hpp"

#include <fmt/format.h>

namespace faasd::provider {

std::string_view stageName(StartStage stage) {
    switch (stage) {
    case StartStage::Image:
        return "image";
    case StartStage::Snapshot:
        return "snapshot";
    case StartStage::Network:
        return "network";
    case StartStage::Container:
        return "container";
    case StartStage::Task:
        return "task";
    case StartStage::Start:
        return "start";
    case StartStage::Ready:
        return "ready";
    }
    return "unknown";
}

void StartStages::add(StartStage stage, Duration took) {
    std::lock_guard lock(mutex_);
    auto& t = totals_[static_cast<size_t>(stage)];
    t.time += took;
    ++t.count;
}

std::array<StartStages::Total, kStartStages> StartStages::totals() const {
    std::lock_guard lock(mutex_);
    return totals_;
}

std::string StartStages::prometheusText() const {
    const auto totals = this->totals();
    std::string out =
        "# HELP faasd_replica_start_stage_seconds_total Time replica starts spent in each stage.\n"
        "# TYPE faasd_replica_start_stage_seconds_total counter\n";
    for (size_t i = 0; i < kStartStages; ++i) {
        out += fmt::format("faasd_replica_start_stage_seconds_total{{stage=\"{}\"}} {:.6f}\n",
                           stageName(static_cast<StartStage>(i)),
                           std::chrono::duration<double>(totals[i].time).count());
    }
    out += "# HELP faasd_replica_start_stage_runs_total Replica starts that went through each "
           "stage.\n"
           "# TYPE faasd_replica_start_stage_runs_total counter\n";
    for (size_t i = 0; i < kStartStages; ++i) {
        out += fmt::format("faasd_replica_start_stage_runs_total{{stage=\"{}\"}} {}\n",
                           stageName(static_cast<StartStage>(i)), totals[i].count);
    }
    return out;
}

} // namespace faasd::provider
