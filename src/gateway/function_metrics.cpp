#include "gateway/function_metrics.hpp"

#include "common/strings.hpp"

#include <algorithm>
#include <fmt/format.h>
#include <vector>

namespace faasd::gateway {

FunctionMetrics::Series& FunctionMetrics::Shard::at(api::FunctionRefView function,
                                                    bool latencyDetail) {
    auto it = series.find(function);
    if (it == series.end()) {
        it = series.emplace(api::FunctionRef::from(function), Series{}).first;
        if (latencyDetail) {
            it->second.latency = std::make_unique<LatencyCounts>();
        }
    }
    return it->second;
}

FunctionMetrics::Shard& FunctionMetrics::shard() {
    static std::atomic<size_t> nextThread{0};
    thread_local const size_t index = nextThread.fetch_add(1) % kShards;
    return shards_[index];
}

void FunctionMetrics::started(api::FunctionRefView function) {
    Shard& sh = shard();
    std::lock_guard lock(sh.mutex);
    auto& s = sh.at(function, latencyDetail_).snapshot;
    ++s.started;
    ++s.inFlight;
}

void FunctionMetrics::started(api::FunctionRefView function, uint64_t replicas) {
    const uint64_t version = ++replicasVersion_;
    Shard& sh = shard();
    std::lock_guard lock(sh.mutex);
    auto& series = sh.at(function, latencyDetail_);
    ++series.snapshot.started;
    ++series.snapshot.inFlight;
    series.snapshot.replicas = replicas;
    series.replicasVersion = version;
}

void FunctionMetrics::finished(api::FunctionRefView function, unsigned code,
                               std::chrono::nanoseconds took) {
    const double seconds = std::chrono::duration<double>(took).count();
    Shard& sh = shard();
    std::lock_guard lock(sh.mutex);
    auto& series = sh.at(function, latencyDetail_);
    auto& s = series.snapshot;
    ++s.completed;
    ++s.byCode[code];
    if (s.inFlight > 0) {
        --s.inFlight;
    }
    if (series.latency) {
        const auto micros = std::chrono::duration_cast<std::chrono::microseconds>(took).count();
        ++(*series.latency)[latencyBucket(micros > 0 ? static_cast<uint64_t>(micros) : 0)];
    }
    auto& h = series.seconds[code];
    ++h.count;
    h.sum += seconds;
    for (size_t i = 0; i < kBuckets.size(); ++i) {
        if (seconds <= kBuckets[i]) {
            ++h.buckets[i];
        }
    }
}

void FunctionMetrics::setReplicas(api::FunctionRefView function, uint64_t replicas) {
    const uint64_t version = ++replicasVersion_;
    Shard& sh = shard();
    std::lock_guard lock(sh.mutex);
    auto& series = sh.at(function, latencyDetail_);
    series.snapshot.replicas = replicas;
    series.replicasVersion = version;
}

void FunctionMetrics::remove(api::FunctionRefView function) {
    for (auto& sh : shards_) {
        std::lock_guard lock(sh.mutex);
        if (auto it = sh.series.find(function); it != sh.series.end()) {
            sh.series.erase(it);
        }
    }
}

std::map<api::FunctionRef, FunctionMetrics::Series>
FunctionMetrics::merged(bool withLatency) const {
    std::map<api::FunctionRef, Series> out;
    for (const auto& sh : shards_) {
        std::lock_guard lock(sh.mutex);
        for (const auto& [function, from] : sh.series) {
            Series& to = out[function];
            to.snapshot.started += from.snapshot.started;
            to.snapshot.completed += from.snapshot.completed;
            to.snapshot.inFlight += from.snapshot.inFlight;
            if (from.replicasVersion >= to.replicasVersion) {
                to.snapshot.replicas = from.snapshot.replicas;
                to.replicasVersion = from.replicasVersion;
            }
            for (const auto& [code, n] : from.snapshot.byCode) {
                to.snapshot.byCode[code] += n;
            }
            for (const auto& [code, h] : from.seconds) {
                Histogram& sum = to.seconds[code];
                for (size_t i = 0; i < kBuckets.size(); ++i) {
                    sum.buckets[i] += h.buckets[i];
                }
                sum.count += h.count;
                sum.sum += h.sum;
            }
            if (withLatency && from.latency) {
                if (!to.latency) {
                    to.latency = std::make_unique<LatencyCounts>();
                }
                for (size_t i = 0; i < kLatencyBuckets; ++i) {
                    (*to.latency)[i] += (*from.latency)[i];
                }
            }
        }
    }
    return out;
}

std::optional<FunctionMetrics::Snapshot> FunctionMetrics::get(api::FunctionRefView function) const {
    std::optional<Snapshot> out;
    uint64_t replicasVersion = 0;
    for (const auto& sh : shards_) {
        std::lock_guard lock(sh.mutex);
        auto it = sh.series.find(function);
        if (it == sh.series.end()) {
            continue;
        }
        const Series& from = it->second;
        if (!out) {
            out.emplace();
        }
        out->started += from.snapshot.started;
        out->completed += from.snapshot.completed;
        out->inFlight += from.snapshot.inFlight;
        if (from.replicasVersion >= replicasVersion) {
            out->replicas = from.snapshot.replicas;
            replicasVersion = from.replicasVersion;
        }
        for (const auto& [code, n] : from.snapshot.byCode) {
            out->byCode[code] += n;
        }
    }
    return out;
}

std::map<api::FunctionRef, FunctionMetrics::Snapshot> FunctionMetrics::all() const {
    std::map<api::FunctionRef, Snapshot> out;
    for (auto& [function, series] : merged()) {
        out.emplace(function, std::move(series.snapshot));
    }
    return out;
}

std::map<api::FunctionRef, FunctionMetrics::Detail> FunctionMetrics::details() const {
    std::map<api::FunctionRef, Detail> out;
    for (auto& [function, series] : merged(true)) {
        Detail& d = out[function];
        d.snapshot = std::move(series.snapshot);
        if (series.latency) {
            d.latency = *series.latency;
        }
    }
    return out;
}

std::string FunctionMetrics::prometheusText() const {
    const std::map<api::FunctionRef, Series> merged = this->merged();
    // Each series under its function_name label, "name.namespace", in the
    // order of those names.
    std::vector<std::pair<std::string, const Series*>> all;
    all.reserve(merged.size());
    for (const auto& [function, series] : merged) {
        all.emplace_back(function.qualified(), &series);
    }
    std::sort(all.begin(), all.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& [label, series] : all) {
        label = prometheusLabelValue(label);
    }
    std::string out;

    out += "# HELP gateway_function_invocation_total Function metrics\n"
           "# TYPE gateway_function_invocation_total counter\n";
    for (const auto& [label, series] : all) {
        for (const auto& [code, count] : series->snapshot.byCode) {
            out += fmt::format(
                "gateway_function_invocation_total{{code=\"{}\",function_name=\"{}\"}} {}\n", code,
                label, count);
        }
    }

    out += "# HELP gateway_functions_seconds Function time taken\n"
           "# TYPE gateway_functions_seconds histogram\n";
    for (const auto& [label, series] : all) {
        for (const auto& [code, h] : series->seconds) {
            for (size_t i = 0; i < kBuckets.size(); ++i) {
                out += fmt::format("gateway_functions_seconds_bucket{{code=\"{}\",function_name="
                                   "\"{}\",le=\"{}\"}} {}\n",
                                   code, label, kBuckets[i], h.buckets[i]);
            }
            out += fmt::format("gateway_functions_seconds_bucket{{code=\"{}\",function_name="
                               "\"{}\",le=\"+Inf\"}} {}\n",
                               code, label, h.count);
            out += fmt::format(
                "gateway_functions_seconds_sum{{code=\"{}\",function_name=\"{}\"}} {}\n", code,
                label, h.sum);
            out += fmt::format(
                "gateway_functions_seconds_count{{code=\"{}\",function_name=\"{}\"}} {}\n", code,
                label, h.count);
        }
    }

    out += "# HELP gateway_function_invocation_started The total number of function HTTP "
           "requests started.\n"
           "# TYPE gateway_function_invocation_started counter\n";
    for (const auto& [label, series] : all) {
        out += fmt::format("gateway_function_invocation_started{{function_name=\"{}\"}} {}\n",
                           label, series->snapshot.started);
    }

    out += "# HELP gateway_service_count Current count of replicas for function\n"
           "# TYPE gateway_service_count gauge\n";
    for (const auto& [label, series] : all) {
        out += fmt::format("gateway_service_count{{function_name=\"{}\"}} {}\n", label,
                           series->snapshot.replicas);
    }
    return out;
}

} // namespace faasd::gateway
