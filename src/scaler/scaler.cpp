#include "scaler/scaler.hpp"

#include "common/files.hpp"
#include "common/log.hpp"

#include <fmt/format.h>
#include <sstream>

namespace faasd::scaler {

namespace {

const Logger log("scaler");

double millis(std::chrono::steady_clock::duration d) {
    return std::chrono::duration<double, std::milli>(d).count();
}

uint64_t succeeded(const gateway::InvocationSnapshot& s) {
    uint64_t n = 0;
    for (const auto& [code, count] : s.byCode) {
        n += code >= 200 && code < 300 ? count : 0;
    }
    return n;
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
               const gateway::InvocationCounters& metrics, Now now)
    : config_(std::move(config)), provider_(provider), metrics_(metrics), now_(std::move(now)) {}

Scaler::~Scaler() {
    stop();
}

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
    std::map<api::FunctionRef, std::future<void>> running;
    {
        std::lock_guard lock(mu_);
        running.swap(running_);
    }
    for (auto& [fn, f] : running) {
        f.wait();
    }
}

api::FunctionRef Scaler::ref(const std::string& name, const std::string& ns) const {
    return {name, ns.empty() ? config_.defaultNamespace : ns};
}

void Scaler::tick() {
    auto snapshot = observe();
    if (!snapshot) {
        return;
    }
    std::lock_guard lock(mu_);
    std::erase_if(running_, [](auto& entry) {
        return entry.second.wait_for(std::chrono::seconds(0)) == std::future_status::ready;
    });
    for (const auto& [function, flight] : flights_) {
        snapshot->waking.insert(function);
    }
    for (const auto& [function, change] : running_) {
        snapshot->changing.insert(function);
    }
    act(planTick(tracked_, *snapshot, config_));
}

std::optional<TickSnapshot> Scaler::observe() {
    TickSnapshot snapshot{.now = now_()};
    auto namespaces = provider_.listNamespaces();
    if (!namespaces) {
        // Said once: while containerd is away this fails every tick.
        if (namespaces.error().message() != observeError_) {
            observeError_ = namespaces.error().message();
            log.warn("no tick until the functions can be listed: {}", observeError_);
        }
        return std::nullopt;
    }
    observeError_.clear();
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
    const auto counters = metrics_.all();
    for (auto& fn : functions) {
        ObservedFunction f{.function = ref(fn.name, fn.ns),
                           .replicas = fn.replicas,
                           .parked = provider_.isParked(fn.name, fn.ns),
                           .labels = std::move(fn.labels),
                           .sample = {.at = snapshot.now}};
        if (fn.usage) {
            f.cpuMillicores = fn.usage->cpu * 1000;
        }
        if (auto c = counters.find(f.function); c != counters.end()) {
            f.sample.started = c->second.started;
            f.sample.completed = c->second.completed;
            f.sample.succeeded = succeeded(c->second);
            f.sample.inFlight = c->second.inFlight;
        }
        snapshot.functions.push_back(std::move(f));
    }
    if (config_.minFreeMemory > 0) {
        auto text = readFile(config_.meminfo);
        snapshot.freeMemory = text ? freeMemoryFraction(*text) : std::nullopt;
    }
    return snapshot;
}

void Scaler::act(Plan plan) {
    for (const auto& [function, problem] : plan.labelProblems) {
        log.warn("{}: {}", function, problem);
    }
    for (auto& change : plan.changes) {
        const api::FunctionRef function = change.function;
        running_[function] =
            std::async(std::launch::async, [this, change = std::move(change)] { apply(change); });
    }
}

void Scaler::count(const api::FunctionRef& function, const char* action) {
    std::lock_guard lock(mu_);
    counters_.decisions[{function, action}] += 1;
}

void Scaler::tell(const api::FunctionRef& function, uint64_t from, uint64_t to,
                  std::string_view reason) {
    if (events_ != nullptr) {
        events_->scaled(function, from, to, reason);
    }
}

void Scaler::apply(const Change& change) {
    const api::FunctionRef& k = change.function;
    const std::string& name = k.name;
    const std::string& ns = k.ns;
    const uint64_t from = change.from;
    const Decision& d = change.decision;
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
    {
        // The count this change made is the one seen: any other change
        // after it (a wake through another gateway of a cluster, before
        // the next tick saw this one) counts as activity.
        std::lock_guard lock(mu_);
        tracked_[k].replicasSeen = d.action == Action::Scale ? d.replicas : 0;
    }
    switch (d.action) {
    case Action::Scale:
        tell(k, from, d.replicas, d.reason);
        break;
    case Action::Park:
        tell(k, from, 0, fmt::format("parked: {}", d.reason));
        break;
    case Action::Evict:
        tell(k, from, 0, fmt::format("evicted: {}", d.reason));
        break;
    case Action::None:
        break;
    }
    log.debug("{}: {} took {:.1f} ms", k, actionName(d.action),
              millis(std::chrono::steady_clock::now() - t0));
    if (d.action == Action::Park) {
        // A request may have resolved a replica just before it was withdrawn;
        // it waits on the frozen replica, so thaw at once.
        auto s = metrics_.get(k);
        if (s && (s->started != change.startedAtDecision || s->inFlight > 0)) {
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
    const api::FunctionRef k = ref(name, ns);
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
        auto result = doWake(k, deadline);
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

Result<void> Scaler::doWake(const api::FunctionRef& k,
                            std::chrono::steady_clock::time_point deadline) {
    const std::string& name = k.name;
    const std::string& ns = k.ns;
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
    counters_.decisions[{k, "wake"}] += 1;
    tell(k, 0, std::max<uint64_t>(labels.min, 1), fmt::format("woken from {}", from));
    counters_.wakes[{k, from}] += 1;
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
        const auto k = api::FunctionRef::parse(a.functionName, config_.defaultNamespace);
        auto status = provider_.get(k.name, k.ns);
        if (!status) {
            log.warn("alert {} for {}: {}", a.alertName, k, status.error().message());
            continue;
        }
        const auto labels = parseScaleLabels(status->labels, config_.defaults, config_.maxReplicas);
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
        if (auto r = provider_.scale(k.name, k.ns, to); !r) {
            log.warn("{}: scaling for alert {}: {}", k, a.alertName, r.error().message());
            if (!firstError) {
                firstError = r.error();
            }
            continue;
        }
        count(k, to > from ? "scale_up" : "scale_down");
        tell(k, from, to, fmt::format("alert {} {}", a.alertName, a.status));
    }
    if (firstError) {
        return fail(*firstError);
    }
    return {};
}

std::string Scaler::prometheusText() const {
    std::lock_guard lock(mu_);
    std::string out;
    out += "# HELP faasd_scaler_decisions_total Replica changes made by the scaler.\n"
           "# TYPE faasd_scaler_decisions_total counter\n";
    for (const auto& [key, n] : counters_.decisions) {
        const auto& [fn, action] = key;
        out +=
            fmt::format("faasd_scaler_decisions_total{{function_name=\"{}\",action=\"{}\"}} {}\n",
                        fn, action, n);
    }
    out += "# HELP faasd_scaler_wakes_total Functions woken from zero by an invocation.\n"
           "# TYPE faasd_scaler_wakes_total counter\n";
    for (const auto& [key, n] : counters_.wakes) {
        const auto& [fn, from] = key;
        out += fmt::format("faasd_scaler_wakes_total{{function_name=\"{}\",from=\"{}\"}} {}\n", fn,
                           from, n);
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
        out +=
            fmt::format("faasd_scaler_parked{{function_name=\"{}\"}} {}\n", fn, t.parked ? 1 : 0);
    }
    return out;
}

} // namespace faasd::scaler
