#include "gateway/history_sampler.hpp"

#include "common/files.hpp"
#include "common/log.hpp"

#include <charconv>
#include <chrono>
#include <sstream>

namespace faasd::gateway {

namespace {

const Logger log("history");

// Adds a function's counters by status class to a reading.
void addCalls(history::Reading& r, const FunctionMetrics::Snapshot& s) {
    for (const auto& [code, n] : s.byCode) {
        if (code >= 500 || code < 100) {
            r.serverErrors += n;
        } else if (code >= 400) {
            r.clientErrors += n;
        } else {
            r.ok += n;
        }
    }
}

int64_t unixSeconds(std::chrono::system_clock::time_point t) {
    return std::chrono::duration_cast<std::chrono::seconds>(t.time_since_epoch()).count();
}

} // namespace

std::optional<CpuTimes> parseProcStat(const std::string& text) {
    std::istringstream in(text);
    std::string label;
    if (!(in >> label) || label != "cpu") {
        return std::nullopt;
    }
    // user nice system idle iowait irq softirq steal (guest time is in user)
    uint64_t v[8] = {};
    size_t n = 0;
    while (n < 8 && in >> v[n]) {
        ++n;
    }
    if (n < 4) {
        return std::nullopt;
    }
    CpuTimes t;
    for (size_t i = 0; i < n; ++i) {
        t.total += v[i];
    }
    t.busy = t.total - v[3] - (n > 4 ? v[4] : 0);
    return t;
}

std::optional<HostMemory> parseMeminfo(const std::string& text) {
    std::optional<double> total, available;
    std::istringstream in(text);
    std::string key;
    double kib = 0;
    std::string unit;
    while (in >> key >> kib) {
        std::getline(in, unit);
        if (key == "MemTotal:") {
            total = kib * 1024;
        } else if (key == "MemAvailable:") {
            available = kib * 1024;
        }
    }
    if (!total || !available) {
        return std::nullopt;
    }
    return HostMemory{*total, *total - *available};
}

HistorySampler::HistorySampler(MetricsHistory& history, const FunctionMetrics& metrics,
                               provider::Provider& provider, AsyncQueue* queue, HostPaths paths)
    : history_(history), metrics_(metrics), provider_(provider), queue_(queue),
      paths_(std::move(paths)), cpus_(std::max(1u, std::thread::hardware_concurrency())) {}

HistorySampler::~HistorySampler() {
    stop();
}

void HistorySampler::start() {
    std::lock_guard lock(mu_);
    if (thread_.joinable()) {
        return;
    }
    stopping_ = false;
    thread_ = std::thread([this] { loop(); });
}

void HistorySampler::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    if (thread_.joinable()) {
        thread_.join();
    }
}

void HistorySampler::loop() {
    using namespace std::chrono;
    std::unique_lock lock(mu_);
    while (!stopping_) {
        // Just after each wall-clock second, so that a sample is one second.
        const auto now = system_clock::now();
        const auto next = time_point_cast<seconds>(now) + seconds(1);
        if (cv_.wait_until(lock, next, [this] { return stopping_; })) {
            break;
        }
        lock.unlock();
        sampleOnce(unixSeconds(next));
        lock.lock();
    }
}

void HistorySampler::sampleOnce(int64_t second) {
    auto details = metrics_.details();
    std::map<api::FunctionRef, uint64_t> depth;
    if (queue_ != nullptr) {
        depth = queue_->depthByFunction();
    }

    history::Reading vm;
    for (const auto& [function, d] : details) {
        addCalls(vm, d.snapshot);
        for (size_t i = 0; i < kLatencyBuckets; ++i) {
            vm.latency[i] += d.latency[i];
        }
        vm.inFlight += d.snapshot.inFlight;
    }
    for (const auto& [function, n] : depth) {
        vm.queued += n;
    }

    // Every function the provider lists, with its counters if it has any.
    std::map<api::FunctionRef, history::Reading> functions;
    bool complete = true;
    auto namespaces = provider_.listNamespaces();
    if (!namespaces) {
        complete = false;
        log.debug("sampling: {}", namespaces.error().message());
    }
    for (const std::string& ns : namespaces ? *namespaces : std::vector<std::string>{}) {
        auto listed = provider_.list(ns);
        if (!listed) {
            complete = false;
            log.debug("sampling {}: {}", ns, listed.error().message());
            continue;
        }
        for (const api::FunctionStatus& status : *listed) {
            api::FunctionRef ref{status.name, status.ns.empty() ? ns : status.ns};
            history::Reading& r = functions[ref];
            if (auto it = details.find(ref); it != details.end()) {
                addCalls(r, it->second.snapshot);
                r.latency = it->second.latency;
                r.inFlight = it->second.snapshot.inFlight;
            }
            r.ready = status.availableReplicas;
            r.wanted = status.replicas;
            if (provider_.isParked(ref.name, ref.ns)) {
                r.parked = std::max<uint64_t>(1, status.replicas);
            }
            if (status.usage) {
                r.cpu = status.usage->cpu;
                r.memory = static_cast<double>(status.usage->totalMemoryBytes);
            }
            if (auto it = depth.find(ref); it != depth.end()) {
                r.queued = it->second;
            }
        }
    }

    MetricsHistory::Host host;
    host.cpus = cpus_;
    if (auto text = readFile(paths_.procStat)) {
        if (auto cpu = parseProcStat(*text)) {
            if (lastCpu_ && cpu->total > lastCpu_->total && cpu->busy >= lastCpu_->busy) {
                const double busy = static_cast<double>(cpu->busy - lastCpu_->busy) /
                                    static_cast<double>(cpu->total - lastCpu_->total);
                vm.cpu = busy * cpus_;
            }
            lastCpu_ = cpu;
        }
    }
    if (auto text = readFile(paths_.meminfo)) {
        if (auto mem = parseMeminfo(*text)) {
            vm.memory = mem->used;
            host.memoryTotal = mem->total;
        }
    }
    history_.record(second, functions, vm, host, complete);
}

} // namespace faasd::gateway
