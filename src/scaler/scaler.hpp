#pragma once

// The scaler: wakes functions at zero when they are invoked (one wake-up
// shared by concurrent callers), parks idle functions labelled
// com.openfaas.scale.zero and evicts them later or under memory pressure,
// and moves replicas between com.openfaas.scale.min and max from the
// invocation counters (policy.hpp): the gateway's own on one VM, every
// node's gateway's in a cluster (cluster/cluster_counters.hpp). It also
// takes Alertmanager's webhook. Every change goes through the Provider.
//
//   Scaler scaler(config, provider, gateway.metrics());
//   gateway.setReplicaWaker(&scaler);
//   gateway.setAlertHandler(&scaler);
//   scaler.start();  ...  scaler.stop();
//
// A tick observes (the provider's functions and the invocation counters,
// read into a TickSnapshot), decides (planTick in plan.hpp, pure) and acts
// (launches each change, logs and counts).
//
// Threads: one ticker samples the counters and decides; each replica change
// runs on its own thread (one at a time per function) so a slow start does
// not hold up other functions; wakes run on the caller's thread.

#include "config/daemon_config.hpp"
#include "ports/alerts.hpp"
#include "ports/invocation_counters.hpp"
#include "ports/replica_waker.hpp"
#include "ports/scale_events.hpp"
#include "provider/provider.hpp"
#include "scaler/plan.hpp"
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

// The scaler's settings from the daemon's (FAASD_SCALER_*, FAASD_MAX_REPLICAS).
ScalerConfig configFrom(const config::DaemonConfig& c);

// "MemAvailable / MemTotal" from /proc/meminfo text; nullopt if absent.
std::optional<double> freeMemoryFraction(const std::string& meminfo);

class Scaler final : public gateway::ReplicaWaker, public gateway::AlertHandler {
public:
    using Now = std::function<TimePoint()>;

    Scaler(
        ScalerConfig config, provider::Provider& provider,
        const gateway::InvocationCounters& metrics, Now now = [] { return Clock::now(); });
    ~Scaler() override;
    Scaler(const Scaler&) = delete;
    Scaler& operator=(const Scaler&) = delete;

    // Told every replica change made (the metrics history's markers);
    // optional, set before start(). Not owned.
    void setEventSink(gateway::ScaleEventSink* sink) { events_ = sink; }

    // The ticker thread; stop() ends it and waits for running changes.
    void start();
    void stop();

    // One round: observe, decide, act (launch changes). The ticker calls
    // it; tests call it with a fake clock and then waitIdle().
    void tick();
    // Waits until no replica change is running.
    void waitIdle();

    Result<void> wake(const std::string& name, const std::string& ns,
                      std::chrono::steady_clock::time_point deadline) override;
    Result<void> handle(const gateway::AlertNotification& notification) override;

    // faasd_scaler_* series in Prometheus text.
    std::string prometheusText() const;

private:
    struct Flight {
        std::mutex mu;
        std::condition_variable cv;
        bool done = false;
        Result<void> result;
    };
    struct Counters {
        std::map<std::pair<api::FunctionRef, std::string>, uint64_t> decisions; // by action
        std::map<std::pair<api::FunctionRef, std::string>, uint64_t> wakes;     // by "from"
        std::map<std::string, double> wakeSeconds;                              // "from" -> sum
        std::map<std::string, uint64_t> wakeCount;                              // "from" -> count
    };

    // The function; an empty namespace is the default one.
    api::FunctionRef ref(const std::string& name, const std::string& ns) const;

    // The observe step: the provider's functions and the gateway's counters
    // as plain data (waking and changing are filled in under mu_); nullopt
    // when the provider cannot list them.
    std::optional<TickSnapshot> observe();
    // The act step, under mu_: logs the plan's problems, launches its changes.
    void act(Plan plan);
    // Makes one change on its own thread, then logs and counts it.
    void apply(const Change& change);
    void count(const api::FunctionRef& function, const char* action);
    // Tells the event sink, if any.
    void tell(const api::FunctionRef& function, uint64_t from, uint64_t to,
              std::string_view reason);

    Result<void> doWake(const api::FunctionRef& function,
                        std::chrono::steady_clock::time_point deadline);

    ScalerConfig config_;
    provider::Provider& provider_;
    const gateway::InvocationCounters& metrics_;
    Now now_;
    gateway::ScaleEventSink* events_ = nullptr;

    mutable std::mutex mu_;
    TrackedFunctions tracked_;
    std::map<api::FunctionRef, std::shared_ptr<Flight>> flights_;
    std::map<api::FunctionRef, std::future<void>> running_;
    Counters counters_;
    // Why the last observe step failed; each new reason is a warning once.
    std::string observeError_;

    std::mutex tickerMu_;
    std::condition_variable tickerCv_;
    bool stopping_ = false;
    std::thread ticker_;
};

} // namespace faasd::scaler
