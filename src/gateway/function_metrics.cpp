#include "gateway/function_metrics.hpp"

#include <fmt/format.h>

namespace faasd::gateway {

namespace {

// Label values escape backslash, double quote and newline.
std::string escapeLabel(const std::string& value) {
    std::string out;
    out.reserve(value.size());
    for (char c : value) {
        if (c == '\\' || c == '"') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else {
            out += c;
        }
    }
    return out;
}

} // namespace

void FunctionMetrics::started(const std::string& function) {
    std::lock_guard lock(mutex_);
    auto& s = series_[function].snapshot;
    ++s.started;
    ++s.inFlight;
}

void FunctionMetrics::started(const std::string& function, uint64_t replicas) {
    std::lock_guard lock(mutex_);
    auto& s = series_[function].snapshot;
    ++s.started;
    ++s.inFlight;
    s.replicas = replicas;
}

void FunctionMetrics::finished(const std::string& function, unsigned code,
                               std::chrono::nanoseconds took) {
    const double seconds = std::chrono::duration<double>(took).count();
    std::lock_guard lock(mutex_);
    auto& series = series_[function];
    auto& s = series.snapshot;
    ++s.completed;
    ++s.byCode[code];
    if (s.inFlight > 0) {
        --s.inFlight;
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

void FunctionMetrics::setReplicas(const std::string& function, uint64_t replicas) {
    std::lock_guard lock(mutex_);
    series_[function].snapshot.replicas = replicas;
}

void FunctionMetrics::remove(const std::string& function) {
    std::lock_guard lock(mutex_);
    series_.erase(function);
}

std::optional<FunctionMetrics::Snapshot> FunctionMetrics::get(const std::string& function) const {
    std::lock_guard lock(mutex_);
    auto it = series_.find(function);
    if (it == series_.end()) {
        return std::nullopt;
    }
    return it->second.snapshot;
}

std::map<std::string, FunctionMetrics::Snapshot> FunctionMetrics::all() const {
    std::map<std::string, Snapshot> out;
    std::lock_guard lock(mutex_);
    for (const auto& [name, series] : series_) {
        out.emplace(name, series.snapshot);
    }
    return out;
}

std::string FunctionMetrics::prometheusText() const {
    std::lock_guard lock(mutex_);
    std::string out;

    out += "# HELP gateway_function_invocation_total Function metrics\n"
           "# TYPE gateway_function_invocation_total counter\n";
    for (const auto& [name, series] : series_) {
        for (const auto& [code, count] : series.snapshot.byCode) {
            out += fmt::format(
                "gateway_function_invocation_total{{code=\"{}\",function_name=\"{}\"}} {}\n", code,
                escapeLabel(name), count);
        }
    }

    out += "# HELP gateway_functions_seconds Function time taken\n"
           "# TYPE gateway_functions_seconds histogram\n";
    for (const auto& [name, series] : series_) {
        const std::string fn = escapeLabel(name);
        for (const auto& [code, h] : series.seconds) {
            for (size_t i = 0; i < kBuckets.size(); ++i) {
                out += fmt::format("gateway_functions_seconds_bucket{{code=\"{}\",function_name="
                                   "\"{}\",le=\"{}\"}} {}\n",
                                   code, fn, kBuckets[i], h.buckets[i]);
            }
            out += fmt::format("gateway_functions_seconds_bucket{{code=\"{}\",function_name="
                               "\"{}\",le=\"+Inf\"}} {}\n",
                               code, fn, h.count);
            out += fmt::format(
                "gateway_functions_seconds_sum{{code=\"{}\",function_name=\"{}\"}} {}\n", code, fn,
                h.sum);
            out += fmt::format(
                "gateway_functions_seconds_count{{code=\"{}\",function_name=\"{}\"}} {}\n", code,
                fn, h.count);
        }
    }

    out += "# HELP gateway_function_invocation_started The total number of function HTTP "
           "requests started.\n"
           "# TYPE gateway_function_invocation_started counter\n";
    for (const auto& [name, series] : series_) {
        out += fmt::format("gateway_function_invocation_started{{function_name=\"{}\"}} {}\n",
                           escapeLabel(name), series.snapshot.started);
    }

    out += "# HELP gateway_service_count Current count of replicas for function\n"
           "# TYPE gateway_service_count gauge\n";
    for (const auto& [name, series] : series_) {
        out += fmt::format("gateway_service_count{{function_name=\"{}\"}} {}\n", escapeLabel(name),
                           series.snapshot.replicas);
    }
    return out;
}

} // namespace faasd::gateway
