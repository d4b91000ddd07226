#pragma once

// The scaler: wakes functions at zero when they are invoked (one wake-up
// shared by concurrent callers), parks idle functions labelled
// com.openfaas.scale.zero and evicts them later or under memory pressure,
// and moves replicas between com.openfaas.scale.min and max from the
// gateway's own counters (policy.hpp). It also takes Alertmanager's
// webhook. Every change goes through the Provider.
//
//   Scaler scaler(config, provider, gateway.metrics());
//   gateway.setReplicaWaker(&scaler);
//   gateway.setAlertHandler(&scaler);
//   scaler.start();  ...  scaler.stop();
//
// Threads: one ticker samples the counters and decides; each replica change
// runs on its own thread (one at a time per function) so a slow start does
// not hold up other functions; wakes run on the caller's thread.

#include "config/daemon_config.hpp"
#include "gateway/function_metrics.hpp"
#include "ports/alerts.hpp"
#include "ports/replica_waker.hpp"
#include "provider/provider.hpp"
#include "scaler/policy.hpp"

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <thread>

namespace faasd::scaler {

struct ScalerConfig {
    milliseconds tick{1'000};
    LabelDefaults defaults;
    Settings policy;
    uint64_t maxReplicas = 20; // the provider's limit
    std::string defaultNamespace = "openfaas-fn";
    // Parked functions are evicted, longest parked first, while the host's
    // MemAvailable is below this fraction of MemTotal (0: never).
    double minFreeMemory = 0.1;
    std::filesystem::path meminfo = "/proc/meminfo";
};

// The scaler's settings from the daemon's (FAASD_SCALER_*, FAASD_MAX_REPLICAS).
ScalerConfig configFrom(const config::DaemonConfig& c);

// "MemAvailable / MemTotal" from /proc/meminfo text; nullopt if absent.
std::optional<double> freeMemoryFraction(const std::string& meminfo);

class Scaler final : public gateway::ReplicaWaker, public gateway::AlertHandler {
public:
    using Now = std::function<TimePoint()>;

    Scaler(ScalerConfig config, provider::Provider& provider,
           const gateway::FunctionMetrics& metrics, Now now = [] { return Clock::now(); });
    ~Scaler() override;
    Scaler(const Scaler&) = delete;
    Scaler& operator=(const Scaler&) = delete;

    // The ticker thread; stop() ends it and waits for running changes.
    void start();
    void stop();

    // One round: sample, decide, launch changes. The ticker calls it; tests
    // call it with a fake clock and then waitIdle().
    void tick();
    // Waits until no replica change is running.
    void waitIdle();

    Result<void> wake(const std::string& name, const std::string& ns,
                      std::chrono::steady_clock::time_point deadline) override;
    Result<void> handle(const gateway::AlertNotification& notification) override;

    // faasd_scaler_* series in Prometheus text.
    std::string prometheusText() const;

private:
    struct Tracked {
        LoadWindow load;
        PolicyState policy;
        TimePoint lastActivity;
        TimePoint parkedAt{};
        uint64_t replicasSeen = 0; // a change of replicas (say, a scale by API) is activity
        bool parked = false;
        bool warned = false; // label problems logged once
        std::string labelsSeen;
    };
    struct Flight {
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
        Result<void> result;
    };
    struct Counters {
        std::map<std::string, uint64_t> decisions; // "function\x1faction"
        std::map<std::string, uint64_t> wakes;     // "function\x1ffrom"
        std::map<std::string, double> wakeSeconds; // "from" -> sum
        std::map<std::string, uint64_t> wakeCount; // "from" -> count
        std::map<std::string, uint64_t> replicas;  // last decided target
    };

    std::string key(const std::string& name, const std::string& ns) const;
    Result<void> doWake(const std::string& name, const std::string& ns,
                        std::chrono::steady_clock::time_point deadline);
    void launch(const std::string& fn, std::function<void()> work);
    void apply(const std::string& name, const std::string& ns, uint64_t from,
               const Decision& decision, uint64_t startedAtDecision);
    void count(const std::string& fn, const char* action);

    ScalerConfig config_;
    provider::Provider& provider_;
    const gateway::FunctionMetrics& metrics_;
    Now now_;

    mutable std::mutex mu_;
    std::map<std::string, Tracked> tracked_; // "name.ns"
    std::map<std::string, std::shared_ptr<Flight>> flights_;
    std::map<std::string, std::future<void>> running_;
    Counters counters_;

    std::mutex tickerMu_;
    std::condition_variable tickerCv_;
    bool stopping_ = false;
    std::thread ticker_;
};

} // namespace faasd::scaler
