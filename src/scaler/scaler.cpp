#include "scaler/scaler.hpp"

#include "common/files.hpp"
#include "common/log.hpp"

#include <fmt/format.h>
#include <set>
#include <sstream>

namespace faasd::scaler {

namespace {

const Logger log("scaler");

constexpr char kSep = '\x1f';

double millis(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

uint64_t succeeded(const gateway::FunctionMetrics::Snapshot& s) {
    uint64_t n = 0;
    for (const auto& [code, count] : s.byCode) {
        n += code >= 200 && code < 300 ? count : 0;
    }
    return n;
}

std::string labelText(const api::StringMap& labels) {
    std::string out;
    for (const auto& [k, v] : labels) {
        if (k.starts_with("com.openfaas.scale.")) {
            out += k + "=" + v + ";";
        }
    }
    return out;
}

} // namespace

ScalerConfig configFrom(const config::DaemonConfig& c) {
    ScalerConfig s;
    s.tick = c.scalerTick;
    s.defaults.zeroDuration = c.scaleZeroDuration;
    s.defaults.max = std::min<uint64_t>(s.defaults.max, c.maxReplicas);
    s.policy.scaleDownWindow = c.scaleDownWindow;
    s.policy.park = c.scalerPark;
    s.policy.evictAfter = c.scalerEvictAfter;
    s.maxReplicas = c.maxReplicas;
    s.minFreeMemory = static_cast<double>(c.scalerMinFreeMemoryPercent) / 100.0;
    return s;
}

std::optional<double> freeMemoryFraction(const std::string& meminfo) {
    std::istringstream in(meminfo);
    double total = 0, available = -1;
    for (std::string key; in >> key;) {
        double value = 0;
        in >> value;
        if (key == "MemTotal:") {
            total = value;
        } else if (key == "MemAvailable:") {
            available = value;
        }
        in.ignore(std::numeric_limits<std::streamsize>::max(), '\n');
    }
    if (total <= 0 || available < 0) {
        return std::nullopt;
    }
    return available / total;
}

Scaler::Scaler(ScalerConfig config, provider::Provider& provider,
               const gateway::FunctionMetrics& metrics, Now now)
    : config_(std::move(config)), provider_(provider), metrics_(metrics), now_(std::move(now)) {}

Scaler::~Scaler() { stop(); }

void Scaler::start() {
    if (ticker_.joinable()) {
        return;
    }
    {
        std::lock_guard lock(tickerMu_);
        stopping_ = false;
    }
    ticker_ = std::thread([this] {
        std::unique_lock lock(tickerMu_);
        while (!stopping_) {
            lock.unlock();
            tick();
            lock.lock();
            tickerCv_.wait_for(lock, config_.tick, [&] { return stopping_; });
        }
    });
    log.info("scaling every {} ms (park after com.openfaas.scale.zero-duration, default {} s; "
             "evict after {} s parked)",
             config_.tick.count(), config_.defaults.zeroDuration.count() / 1000,
             config_.policy.evictAfter.count() / 1000);
}

void Scaler::stop() {
    {
        std::lock_guard lock(tickerMu_);
        stopping_ = true;
    }
    tickerCv_.notify_all();
    if (ticker_.joinable()) {
        ticker_.join();
    }
    waitIdle();
}

void Scaler::waitIdle() {
    std::map<std::string, std::future<void>> running;
    {
        std::lock_guard lock(mu_);
        running.swap(running_);
    }
    for (auto& [fn, f] : running) {
        f.wait();
    }
}

std::string Scaler::key(const std::string& name, const std::string& ns) const {
    return name + "." + (ns.empty() ? config_.defaultNamespace : ns);
}

void Scaler::tick() {
    const auto now = now_();
    auto namespaces = provider_.listNamespaces();
    if (!namespaces) {
        log.warn("listing namespaces: {}", namespaces.error().message());
        return;
    }
    std::vector<api::FunctionStatus> functions;
    for (const auto& ns : *namespaces) {
        auto list = provider_.list(ns);
        if (!list) {
            continue;
        }
        for (auto& fn : *list) {
            if (fn.ns.empty()) {
                fn.ns = ns;
            }
            functions.push_back(std::move(fn));
        }
    }
    const auto snapshots = metrics_.all();

    struct Pending {
        std::string name, ns;
        uint64_t from;
        Decision decision;
        uint64_t started;
    };
    std::vector<Pending> todo;
    std::lock_guard lock(mu_);
    for (auto it = running_.begin(); it != running_.end();) {
        if (it->second.wait_for(std::chrono::seconds(0)) == std::future_status::ready) {
            it = running_.erase(it);
        } else {
            ++it;
        }
    }
    std::set<std::string> seen;
    for (const auto& fn : functions) {
        const auto k = key(fn.name, fn.ns);
        seen.insert(k);
        auto [it, inserted] = tracked_.try_emplace(k);
        auto& t = it->second;
        if (inserted || fn.replicas != t.replicasSeen) {
            t.lastActivity = now;
            t.replicasSeen = fn.replicas;
        }
        Sample sample{.at = now};
        if (auto s = snapshots.find(k); s != snapshots.end()) {
            sample.started = s->second.started;
            sample.completed = s->second.completed;
            sample.succeeded = succeeded(s->second);
            sample.inFlight = s->second.inFlight;
        }
        if (t.load.add(sample)) {
            t.lastActivity = now;
        }
        const bool parked = provider_.isParked(fn.name, fn.ns);
        if (parked && !t.parked) {
            t.parkedAt = now;
        }
        t.parked = parked;
        if (flights_.contains(k)) {
            t.lastActivity = now; // being woken for a request
            continue;
        }
        if (running_.contains(k)) {
            continue;
        }
        std::vector<std::string> problems;
        const auto labels =
            parseScaleLabels(fn.labels, config_.defaults, config_.maxReplicas, &problems);
        if (auto text = labelText(fn.labels); text != t.labelsSeen) {
            t.labelsSeen = text;
            for (const auto& p : problems) {
                log.warn("{}: {}", k, p);
            }
        }
        const auto window = config_.policy.rateWindow;
        Observation o{.now = now,
                      .replicas = fn.replicas,
                      .parked = parked,
                      .parkedAt = t.parkedAt,
                      .succeededRps = t.load.succeededRate(window),
                      .startedRps = t.load.startedRate(window),
                      .meanInFlight = t.load.meanInFlight(window),
                      .inFlight = sample.inFlight,
                      .lastActivity = t.lastActivity};
        if (fn.usage) {
            o.cpuMillicores = fn.usage->cpu * 1000;
        }
        auto d = decide(t.policy, labels, o, config_.policy);
        if (d.action != Action::None) {
            todo.push_back({fn.name, fn.ns, fn.replicas, std::move(d), sample.started});
        }
    }
    for (auto it = tracked_.begin(); it != tracked_.end();) {
        it = seen.contains(it->first) ? std::next(it) : tracked_.erase(it);
    }
    // Memory pressure: the longest parked function gives its memory back.
    bool evicting = false;
    for (const auto& p : todo) {
        evicting = evicting || p.decision.action == Action::Evict;
    }
    if (!evicting && config_.minFreeMemory > 0) {
        auto text = readFile(config_.meminfo);
        auto free = text ? freeMemoryFraction(*text) : std::nullopt;
        if (free && *free < config_.minFreeMemory) {
            const std::string* oldest = nullptr;
            for (const auto& [k, t] : tracked_) {
                if (t.parked && !running_.contains(k) &&
                    (oldest == nullptr || t.parkedAt < tracked_.at(*oldest).parkedAt)) {
                    oldest = &k;
                }
            }
            if (oldest != nullptr) {
                const auto dot = oldest->rfind('.');
                todo.push_back({oldest->substr(0, dot), oldest->substr(dot + 1), 0,
                                Decision{.action = Action::Evict,
                                         .reason = fmt::format("memory pressure: {:.0f}% free",
                                                               *free * 100)},
                                0});
            }
        }
    }
    for (auto& p : todo) {
        const auto k = key(p.name, p.ns);
        running_[k] = std::async(std::launch::async, [this, p = std::move(p)] {
            apply(p.name, p.ns, p.from, p.decision, p.started);
        });
    }
}

void Scaler::count(const std::string& fn, const char* action) {
    std::lock_guard lock(mu_);
    counters_.decisions[fn + kSep + action] += 1;
}

void Scaler::apply(const std::string& name, const std::string& ns, uint64_t from,
                   const Decision& d, uint64_t startedAtDecision) {
    const auto k = key(name, ns);
    Result<void> r;
    const auto t0 = std::chrono::steady_clock::now();
    switch (d.action) {
    case Action::None:
        return;
    case Action::Scale:
        log.info("{}: {} -> {} replicas ({})", k, from, d.replicas, d.reason);
        r = provider_.scale(name, ns, d.replicas);
        count(k, d.replicas > from ? "scale_up" : "scale_down");
        break;
    case Action::Park:
        log.info("{}: {} -> 0 replicas, parked ({})", k, from, d.reason);
        r = provider_.park(name, ns);
        count(k, "park");
        if (r) {
            std::lock_guard lock(mu_);
            auto& t = tracked_[k];
            t.parked = true;
            t.parkedAt = now_();
        }
        break;
    case Action::Evict:
        log.info("{}: {} -> 0 replicas, evicted ({})", k, from, d.reason);
        r = provider_.scale(name, ns, 0);
        count(k, "evict");
        if (r) {
            std::lock_guard lock(mu_);
            tracked_[k].parked = false;
        }
        break;
    }
    if (!r) {
        log.warn("{}: {} failed: {}", k, actionName(d.action), r.error().message());
        return;
    }
    log.debug("{}: {} took {:.1f} ms", k, actionName(d.action),
              millis(std::chrono::steady_clock::now() - t0));
    if (d.action == Action::Park) {
        // A request may have resolved a replica just before it was withdrawn;
        // it waits on the frozen replica, so thaw at once.
        auto s = metrics_.get(k);
        if (s && (s->started != startedAtDecision || s->inFlight > 0)) {
            log.info("{}: invoked while parking; resuming", k);
            if (auto woke = provider_.wake(name, ns, 1); !woke) {
                log.warn("{}: resuming: {}", k, woke.error().message());
            }
            std::lock_guard lock(mu_);
            auto& t = tracked_[k];
            t.parked = false;
            t.lastActivity = now_();
        }
    }
}

Result<void> Scaler::wake(const std::string& name, const std::string& ns,
                          std::chrono::steady_clock::time_point deadline) {
    const auto k = key(name, ns);
    std::shared_ptr<Flight> flight;
    bool leader = false;
    {
        std::lock_guard lock(mu_);
        auto& slot = flights_[k];
        if (!slot) {
            slot = std::make_shared<Flight>();
            leader = true;
        }
        flight = slot;
    }
    if (leader) {
        auto result = doWake(name, ns, deadline);
        {
            std::lock_guard lock(flight->mu);
            flight->done = true;
            flight->result = result;
        }
        flight->cv.notify_all();
        std::lock_guard lock(mu_);
        flights_.erase(k);
        return result;
    }
    std::unique_lock lock(flight->mu);
    if (!flight->cv.wait_until(lock, deadline, [&] { return flight->done; })) {
        return fail(Code::Unavailable, "{} is still waking up", k);
    }
    return flight->result;
}

Result<void> Scaler::doWake(const std::string& name, const std::string& ns,
                            std::chrono::steady_clock::time_point deadline) {
    const auto k = key(name, ns);
    const auto t0 = std::chrono::steady_clock::now();
    auto status = provider_.get(name, ns);
    if (!status) {
        if (status.error().code() == Code::NotFound) {
            return fail(status.error());
        }
        return fail(Code::Unavailable, "{}", status.error().message());
    }
    const auto labels = parseScaleLabels(status->labels, config_.defaults, config_.maxReplicas);
    const bool parked = provider_.isParked(name, ns);
    {
        std::lock_guard lock(mu_);
        tracked_[k].lastActivity = now_();
    }
    if (auto r = provider_.wake(name, ns, labels.min); !r) {
        log.warn("{}: waking failed: {}", k, r.error().message());
        if (r.error().code() == Code::NotFound) {
            return fail(r.error());
        }
        return fail(Code::Unavailable, "{}", r.error().message());
    }
    for (;;) {
        auto endpoints = provider_.resolve(name, ns);
        if (endpoints && !endpoints->empty()) {
            break;
        }
        if (std::chrono::steady_clock::now() >= deadline) {
            return fail(Code::Unavailable, "no replica of {} became ready in time", k);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    const auto took = std::chrono::steady_clock::now() - t0;
    const char* from = parked ? "parked" : "zero";
    log.info("{}: woke from {} in {:.1f} ms", k, from, millis(took));
    std::lock_guard lock(mu_);
    auto& t = tracked_[k];
    t.lastActivity = now_();
    t.parked = false;
    t.policy.reset();
    counters_.decisions[k + kSep + "wake"] += 1;
    counters_.wakes[k + kSep + from] += 1;
    counters_.wakeSeconds[from] += std::chrono::duration<double>(took).count();
    counters_.wakeCount[from] += 1;
    return {};
}

Result<void> Scaler::handle(const gateway::AlertNotification& notification) {
    std::optional<Error> firstError;
    for (const auto& a : notification.alerts) {
        if (a.functionName.empty()) {
            continue;
        }
        std::string name = a.functionName;
        std::string ns = config_.defaultNamespace;
        if (auto dot = name.rfind('.'); dot != std::string::npos) {
            ns = name.substr(dot + 1);
            name = name.substr(0, dot);
        }
        const auto k = key(name, ns);
        auto status = provider_.get(name, ns);
        if (!status) {
            log.warn("alert {} for {}: {}", a.alertName, k, status.error().message());
            continue;
        }
        const auto labels =
            parseScaleLabels(status->labels, config_.defaults, config_.maxReplicas);
        const uint64_t from = status->replicas;
        if (labels.fixed() || from == 0) {
            log.info("alert {} ({}) for {}: {}", a.alertName, a.status, k,
                     from == 0 ? "at zero; the next invocation wakes it" : "scaling disabled");
            continue;
        }
        uint64_t to = from;
        if (a.status == "firing") {
            to = std::min(labels.max, from + labels.step());
        } else if (a.status == "resolved") {
            to = labels.min;
        }
        if (to == from) {
            continue;
        }
        log.info("{}: {} -> {} replicas (alert {} {})", k, from, to, a.alertName, a.status);
        if (auto r = provider_.scale(name, ns, to); !r) {
            log.warn("{}: scaling for alert {}: {}", k, a.alertName, r.error().message());
            if (!firstError) {
                firstError = r.error();
            }
            continue;
        }
        count(k, to > from ? "scale_up" : "scale_down");
    }
    if (firstError) {
        return fail(*firstError);
    }
    return {};
}

std::string Scaler::prometheusText() const {
    std::lock_guard lock(mu_);
    std::string out;
    auto split = [](const std::string& s) {
        auto pos = s.find(kSep);
        return std::pair{s.substr(0, pos), s.substr(pos + 1)};
    };
    out += "# HELP faasd_scaler_decisions_total Replica changes made by the scaler.\n"
           "# TYPE faasd_scaler_decisions_total counter\n";
    for (const auto& [k, n] : counters_.decisions) {
        auto [fn, action] = split(k);
        out += fmt::format("faasd_scaler_decisions_total{{function_name=\"{}\",action=\"{}\"}} {}\n",
                           fn, action, n);
    }
    out += "# HELP faasd_scaler_wakes_total Functions woken from zero by an invocation.\n"
           "# TYPE faasd_scaler_wakes_total counter\n";
    for (const auto& [k, n] : counters_.wakes) {
        auto [fn, from] = split(k);
        out += fmt::format("faasd_scaler_wakes_total{{function_name=\"{}\",from=\"{}\"}} {}\n",
                           fn, from, n);
    }
    out += "# HELP faasd_scaler_wake_seconds Time from a wake's start to a ready replica.\n"
           "# TYPE faasd_scaler_wake_seconds summary\n";
    for (const auto& [from, sum] : counters_.wakeSeconds) {
        out += fmt::format("faasd_scaler_wake_seconds_sum{{from=\"{}\"}} {}\n", from, sum);
        out += fmt::format("faasd_scaler_wake_seconds_count{{from=\"{}\"}} {}\n", from,
                           counters_.wakeCount.at(from));
    }
    out += "# HELP faasd_scaler_parked Whether a function is parked (frozen, 0 replicas).\n"
           "# TYPE faasd_scaler_parked gauge\n";
    for (const auto& [fn, t] : tracked_) {
        out += fmt::format("faasd_scaler_parked{{function_name=\"{}\"}} {}\n", fn,
                           t.parked ? 1 : 0);
    }
    return out;
}

} // namespace faasd::scaler
